"""Where and how to connect: the WebSocket address for a ghostId, and the rule that only TLS leaves this machine."""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

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
