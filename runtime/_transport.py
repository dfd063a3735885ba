"""The WebSocket transport under ``AsyncClient``: one small interface, two implementations.

The client needs five things of a connection: open it (TLS, headers, redirects only to acceptable addresses),
hand every received message to one callback, send a text frame, close it with a code and reason, and abort it.
``Link`` is that interface. ``websockets`` is the default and always installed; ``picows`` (a Cython WebSocket
client, ``pip install 'fleetfreedom[fast]'``) is used when importable. picows hands each frame to the callback
inside its protocol callback, so a reply resolves its request future without the extra reader-task wake-up that
``websockets`` needs (one event-loop turn less per frame); see the README's Performance section for what each costs.

``transport="auto"`` means: the ``FLEETFREEDOM_TRANSPORT`` environment variable when set (``websockets`` or
``picows``), else picows when it can be imported, else websockets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl as ssl_module
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urljoin

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Frame, Opcode

from ._connection import display_url, guarded_connect, redirect_problem

if TYPE_CHECKING:
    from websockets.protocol import Event

TransportName = Literal["auto", "websockets", "picows"]
TRANSPORTS: tuple[str, ...] = get_args(TransportName)
ENV_TRANSPORT = "FLEETFREEDOM_TRANSPORT"

#: What the client does with one received message (text, or the size of a binary one): None, or the close code
#: and reason to close the connection with (the protocol core decided the connection must end).
OnMessage = Callable[[str | int], "tuple[int, str] | None"]

_MAX_REDIRECTS = 5


class RefusedRedirect(Exception):
    """The server redirected to an address this client does not go to (see ``redirect_problem``)."""


class LinkClosed(Exception):
    """Sending on a connection that has ended; ``str()`` says how it ended."""


class Link(ABC):
    """One open WebSocket connection, whichever library carries it."""

    name: str

    @property
    @abstractmethod
    def close_code(self) -> int | None:
        """The close code received from the server (None: no close frame arrived)."""

    @property
    @abstractmethod
    def close_reason(self) -> str: ...

    @abstractmethod
    async def serve(self, on_message: OnMessage) -> str:
        """Deliver every message to ``on_message`` until the connection ends; returns why it ended."""

    @abstractmethod
    async def send(self, frame: str) -> None:
        """Send one text frame; raises ``LinkClosed`` when the connection has ended."""

    @abstractmethod
    async def close(self, code: int, reason: str) -> None:
        """The closing handshake (bounded by the close timeout), then the socket is closed."""

    @abstractmethod
    def abort(self) -> None:
        """Drop the socket now, without a closing handshake."""


def picows_available() -> bool:
    try:
        import picows  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(transport: str) -> Literal["websockets", "picows"]:
    """The transport ``transport`` names; ``auto`` as described in the module docstring. A ValueError names the
    choices for a misspelt one and says how to install picows when it is asked for and missing."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
    if transport == "auto":
        chosen = os.environ.get(ENV_TRANSPORT, "").strip() or "auto"
        if chosen not in TRANSPORTS:
            raise ValueError(f"{ENV_TRANSPORT} must be one of {', '.join(TRANSPORTS)}, not {chosen!r}")
        if chosen == "auto":
            return "picows" if picows_available() else "websockets"
        transport = chosen
    if transport == "picows" and not picows_available():
        raise ValueError("transport='picows' needs the picows package: pip install 'fleetfreedom[fast]'")
    return "picows" if transport == "picows" else "websockets"


async def open_link(
    transport: Literal["websockets", "picows"],
    url: str,
    *,
    ssl: ssl_module.SSLContext | None,
    headers: Mapping[str, str],
    user_agent: str,
    open_timeout: float,
    ping_interval: float | None,
    close_timeout: float,
    max_size: int | None,
    logger: logging.Logger,
) -> Link:
    if transport == "picows":
        return await _open_picows(url, ssl, headers, user_agent, open_timeout, ping_interval, close_timeout, max_size)
    ws = await guarded_connect(
        url,
        ssl=(ssl or True) if url.startswith("wss:") else None,
        additional_headers=dict(headers) or None,
        user_agent_header=user_agent,
        open_timeout=open_timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_interval,
        close_timeout=close_timeout,
        max_size=max_size,
        max_queue=None,  # data frames never reach its queue (see _DirectConnection)
        logger=logger,
        create_connection=_DirectConnection,
    )
    assert isinstance(ws, _DirectConnection)
    return WebsocketsLink(ws)


# --- websockets --------------------------------------------------------------------------------------------------


_TEXT, _BINARY, _CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT


class _DirectConnection(ClientConnection):
    """A ``websockets`` connection that hands each data message to the client from its protocol callback, as
    ``data_received`` parses it, instead of queueing it for a reader task: a reply reaches its caller one event-loop
    turn sooner, and a stream skips the queue. Until ``serve`` sets ``handler``, messages wait in ``pending``.
    websockets' own parser has already enforced ``max_size`` (on the whole message) and answered pings and closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handler: OnMessage | None = None
        self.pending: list[str | int] = []
        self.fragments: list[bytes] | None = None
        self.fragments_text = True
        self.local_reason: str | None = None  # set when this side closed (the core's decision, bad UTF-8)
        self.closing: asyncio.Task[None] | None = None
        self.failure: BaseException | None = None

    def process_event(self, event: Event) -> None:
        if self.response is None or not isinstance(event, Frame):  # the handshake response
            super().process_event(event)
            return
        opcode = event.opcode
        if opcode is _TEXT or opcode is _BINARY:
            if event.fin:
                self.message(event.data, opcode is _TEXT)
            else:
                self.fragments, self.fragments_text = [bytes(event.data)], opcode is _TEXT
        elif opcode is _CONT:
            if self.fragments is not None:  # websockets' parser refuses a continuation without a start
                self.fragments.append(bytes(event.data))
                if event.fin:
                    data, self.fragments = b"".join(self.fragments), None
                    self.message(data, self.fragments_text)
        else:
            super().process_event(event)  # control frames: a pong acknowledges our ping

    def message(self, data: bytes | bytearray | memoryview, text: bool) -> None:
        if self.local_reason is not None:  # closing: what follows is not read (as a reader loop would stop)
            return
        message: str | int
        if text:
            try:
                message = str(data, "utf-8")
            except UnicodeDecodeError:
                self.close_soon(1007, "invalid UTF-8 in a text message")
                return
        else:
            message = len(data)
        handler = self.handler
        if handler is None:
            self.pending.append(message)
        else:
            self.handle(handler, message)

    def handle(self, handler: OnMessage, message: str | int) -> None:
        try:
            close = handler(message)
        except Exception as exc:  # a bug: end this connection and let serve() raise it, as a reader task would
            self.failure = exc
            self.transport.abort()
            return
        if close is not None:
            self.close_soon(*close)

    def close_soon(self, code: int, reason: str) -> None:
        if self.local_reason is None:
            self.local_reason = reason
            self.closing = self.loop.create_task(self.close(code, reason))


class WebsocketsLink(Link):
    name = "websockets"

    def __init__(self, ws: _DirectConnection) -> None:
        self._ws = ws

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    @property
    def close_reason(self) -> str:
        return self._ws.close_reason or ""

    async def serve(self, on_message: OnMessage) -> str:
        ws = self._ws
        ws.handler = on_message
        pending, ws.pending = ws.pending, []
        for message in pending:  # what arrived between the handshake and now, in order
            if ws.local_reason is None:
                ws.handle(on_message, message)
        try:
            await ws.wait_closed()
            if ws.closing is not None:
                await ws.closing
        finally:
            ws.handler = None
            if ws.close_code is None:
                ws.transport.abort()
        if ws.failure is not None:
            raise ws.failure
        if ws.local_reason is not None:
            return ws.local_reason
        closed = ws.protocol.close_exc
        return "connection closed" if isinstance(closed, ConnectionClosedOK) else describe_closed(closed)

    async def send(self, frame: str) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            await self._ws.send(frame)
        except ConnectionClosed as exc:
            raise LinkClosed(describe_closed(exc)) from None

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code, reason)

    def abort(self) -> None:
        self._ws.transport.abort()


def describe_closed(exc: BaseException) -> str:
    """A ``websockets`` ConnectionClosed in words."""
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is None:
        return "connection dropped without a close frame"
    return f"closed by the server ({rcvd.code}{' ' + rcvd.reason if rcvd.reason else ''})"


# --- picows ------------------------------------------------------------------------------------------------------


async def _open_picows(
    url: str,
    ssl: ssl_module.SSLContext | None,
    headers: Mapping[str, str],
    user_agent: str,
    open_timeout: float,
    ping_interval: float | None,
    close_timeout: float,
    max_size: int | None,
) -> Link:
    from picows import WSHandshakeError, ws_connect

    from ._picows import PicowsLink, _Listener

    extra = {"User-Agent": user_agent, **headers}
    limit = max_size or 2**62
    target = url
    for _ in range(_MAX_REDIRECTS + 1):
        try:
            transport, listener = await ws_connect(
                lambda: _Listener(limit, close_timeout),
                target,
                ssl_context=ssl if target.startswith("wss:") else None,
                websocket_handshake_timeout=open_timeout,
                logger_name=logging.getLogger("fleetfreedom.picows"),
                enable_auto_ping=ping_interval is not None,
                auto_ping_idle_timeout=ping_interval or 20.0,
                auto_ping_reply_timeout=ping_interval or 20.0,
                max_frame_size=limit,
                extra_headers=extra,
                max_redirects=0,  # followed below, only to addresses check_url accepts
            )
        except WSHandshakeError as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status", None)
            redirected = response is not None and status in (301, 302, 303, 307, 308)
            location = response.headers.get("Location") if redirected and response is not None else None
            if location is None:
                raise
            next_url = urljoin(target, location)
            problem = redirect_problem(next_url)
            if problem is None and target.startswith("wss:") and not next_url.startswith("wss:"):
                problem = "a redirect must not leave TLS"
            if problem is not None:
                raise RefusedRedirect(f"refusing redirect to {display_url(next_url)}: {problem}") from None
            target = next_url
            continue
        assert isinstance(listener, _Listener)
        return PicowsLink(transport, listener, close_timeout)
    raise ConnectionRefusedError(f"more than {_MAX_REDIRECTS} redirects from {display_url(url)}")
