"""Where and how to connect: the WebSocket address for a ghostId, and the rule that only TLS leaves this machine."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import SecurityError

from ._redact import redact_path
from ._registry import DEFAULT_URL, VERSION

GhostIdTransport = Literal["path", "query"]
DEFAULT_USER_AGENT = f"fleetfreedom-python/{VERSION}"
_PLACEHOLDER = "{ghostId}"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """``wss://`` only; plain ``ws://`` is accepted for loopback hosts (a local emulator) and nothing else."""
    parts = urlsplit(url.replace(_PLACEHOLDER, "ghost"))
    if parts.scheme == "wss":
        return
    if parts.scheme == "ws":
        if is_loopback(parts.hostname):
            return
        raise ValueError(
            f"refusing to connect to {parts.hostname!r} without TLS: use wss:// (ws:// is only allowed for loopback)"
        )
    raise ValueError(f"not a WebSocket address (wss://...): {url!r}")


def socket_url(url: str | None, ghost_id: str | None, transport: GhostIdTransport = "path") -> str:
    """The address to open: the ghostId as the documented path segment (blank for a new session) or a query."""
    template = url or DEFAULT_URL
    check_url(template)
    ghost = quote(ghost_id or "", safe="")
    if transport == "query":
        base = template.replace(_PLACEHOLDER, "")
        parts = urlsplit(base)
        query = "&".join(q for q in (parts.query, urlencode({"ghostId": ghost_id or ""})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))
    if _PLACEHOLDER not in template:
        parts = urlsplit(template)
        path = parts.path.rstrip("/") + "/" + _PLACEHOLDER
        template = urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
    return template.replace(_PLACEHOLDER, ghost)


def display_url(url: str) -> str:
    """An address safe to log: the ghostId (a bearer secret) cut short, a machine's signature hidden."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if segments and len(segments[-1]) > 8:
        segments[-1] = segments[-1][:6] + "..."
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), redact_path("?" + parts.query)[1:], ""))


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


async def check_resolution(url: str) -> None:
    """For plain ``ws://`` to a name (not an IP literal): every address it resolves to must be loopback, so
    ``x.localhost`` is used only when it really points at this machine. Raises ValueError otherwise."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme != "ws" or not host or _ip_literal(host) is not None:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"refusing ws:// to {host!r}: it does not resolve ({exc.strerror or exc})") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    resolved = [_ip_literal(a) for a in addresses]
    if not resolved or not all(ip is not None and ip.is_loopback for ip in resolved):
        raise ValueError(f"refusing ws:// to {host!r}: it resolves to {addresses}, not only to loopback")


def redirect_problem(target: str) -> str | None:
    """Why a redirect to ``target`` must not be followed (None: it may): ``check_url``'s rule, and a ``ws://``
    target must name localhost or a loopback IP literal (a name is not resolved here)."""
    try:
        check_url(target)
        host = urlsplit(target).hostname or ""
        if urlsplit(target).scheme == "ws" and host.lower() != "localhost" and _ip_literal(host) is None:
            raise ValueError(f"a redirect to ws:// must name a loopback address, not {host!r}")
    except ValueError as problem:
        return str(problem)
    return None


class guarded_connect(connect):  # noqa: N801  (used like the websockets function it extends)
    """``websockets`` ``connect`` that follows a redirect only to an address ``check_url`` accepts: a loopback
    server (a local proxy, a compromised test double) cannot send the client to a remote host without TLS."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        target = super().process_redirect(exc)
        if isinstance(target, str):
            problem = redirect_problem(target)
            if problem is not None:
                return SecurityError(f"refusing redirect to {display_url(target)}: {problem}")
        return target
