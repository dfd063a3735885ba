"""The ``picows`` transport (``pip install 'fleetfreedom[fast]'``): imported only when it is chosen.

picows calls ``on_ws_frame`` from its protocol callback, with the frame still in its read buffer. The text is
decoded there and handed straight to the client, which feeds the protocol core and resolves the request future or
buffers the event: no reader task, no queue between the socket and the core.
"""

from __future__ import annotations

import asyncio

from picows import WSCloseCode, WSError, WSFrame, WSListener, WSMsgType, WSTransport

from ._transport import Link, LinkClosed, OnMessage

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CONTINUATION = WSMsgType.CONTINUATION
_CLOSE = WSMsgType.CLOSE


class _Listener(WSListener):
    """Receives frames for one ``PicowsLink``; until ``serve`` starts, messages wait in ``pending``."""

    def __init__(self, max_size: int, close_timeout: float) -> None:
        super().__init__()
        self.on_message: OnMessage | None = None
        self.pending: list[str | int] = []
        self.fragments: bytearray | None = None
        self.fragment_text = True
        self.max_size = max_size
        self.close_timeout = close_timeout
        self.received_close: tuple[int, str] | None = None
        self.local_reason: str | None = None  # set when this side closed (core's decision or a bad frame)
        self.writable: asyncio.Event | None = None

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if frame.payload_size > self.max_size:  # picows checks its limit only on frames it has to buffer
            self.close_now(transport, 1009, f"frame over {self.max_size} bytes")
            return
        if kind is _TEXT and frame.fin:  # the common case first: one whole text frame
            try:
                self.deliver(transport, frame.get_payload_as_utf8_text())
            except UnicodeDecodeError:
                self.close_now(transport, 1007, "invalid UTF-8 in a text frame")
            return
        if kind is _TEXT or kind is _BINARY:
            if frame.fin:
                self.deliver(transport, frame.payload_size)
            else:
                self.fragments = bytearray(frame.get_payload_as_memoryview())
                self.fragment_text = kind is _TEXT
        elif kind is _CONTINUATION:
            if self.fragments is None:
                self.close_now(transport, 1002, "continuation frame without a message to continue")
                return
            self.fragments += frame.get_payload_as_memoryview()
            if len(self.fragments) > self.max_size:
                self.close_now(transport, 1009, f"message over {self.max_size} bytes")
                return
            if frame.fin:
                data, self.fragments = self.fragments, None
                if not self.fragment_text:
                    self.deliver(transport, len(data))
                    return
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    self.close_now(transport, 1007, "invalid UTF-8 in a text message")
                    return
                self.deliver(transport, text)
        elif kind is _CLOSE:
            close_code = frame.get_close_code()  # WSCloseCode.NO_INFO (1005) when the frame carries none
            code = int(close_code.value)
            try:
                reason = frame.get_close_reason() or ""  # None when the frame carries no reason
            except UnicodeDecodeError:
                reason = ""
            self.received_close = (code, reason)
            if not transport.is_close_frame_sent:  # the server started the closing handshake: answer it
                transport.send_close(close_code, reason.encode("utf-8"))
            transport.disconnect()

    def deliver(self, transport: WSTransport, message: str | int) -> None:
        handler = self.on_message
        if handler is None:
            self.pending.append(message)
            return
        close = handler(message)
        if close is not None:
            self.close_now(transport, close[0], close[1])

    def close_now(self, transport: WSTransport, code: int, reason: str, *, local: bool = True) -> None:
        """Start the closing handshake; ``local``: this side decided it (the reason the connection ended)."""
        if local and self.local_reason is None:
            self.local_reason = reason
        if not transport.is_close_frame_sent:
            transport.send_close(WSCloseCode(code), reason.encode("utf-8"))
            # the server answers with its close frame (then we disconnect); one that does not is cut off
            asyncio.get_running_loop().call_later(self.close_timeout, transport.disconnect, False)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.writable is not None:
            self.writable.set()  # a sender waiting for the buffer to drain sees the end instead

    def pause_writing(self) -> None:
        if self.writable is None:
            self.writable = asyncio.Event()
        self.writable.clear()

    def resume_writing(self) -> None:
        if self.writable is not None:
            self.writable.set()


class PicowsLink(Link):
    name = "picows"

    def __init__(self, transport: WSTransport, listener: _Listener, close_timeout: float) -> None:
        self._transport = transport
        self._listener = listener
        self._close_timeout = close_timeout

    @property
    def close_code(self) -> int | None:
        received = self._listener.received_close
        if received is not None:
            return received[0]
        return 1006 if self._transport.is_disconnected else None

    @property
    def close_reason(self) -> str:
        received = self._listener.received_close
        return received[1] if received is not None else ""

    async def serve(self, on_message: OnMessage) -> str:
        listener = self._listener
        transport = self._transport
        listener.on_message = on_message
        pending, listener.pending = listener.pending, []
        for message in pending:  # what arrived between the handshake and now, in order
            listener.deliver(transport, message)
        try:
            await transport.wait_disconnected()
        except WSError as exc:  # a protocol violation picows found (a frame over max_size, a bad opcode...)
            return f"{type(exc).__name__}: {exc}"
        finally:
            listener.on_message = None
            if not transport.is_disconnected:
                transport.disconnect(graceful=False)
        return self._ended()

    def _ended(self) -> str:
        listener = self._listener
        if listener.local_reason is not None:
            return listener.local_reason
        received = listener.received_close
        if received is None:
            return "connection dropped without a close frame"
        code, reason = received
        if code in (1000, 1001):
            return "connection closed"
        return f"closed by the server ({code}{' ' + reason if reason else ''})"

    async def _closed_within_timeout(self) -> None:
        try:
            async with asyncio.timeout(self._close_timeout):
                await self._transport.wait_disconnected()
        except TimeoutError:
            self._transport.disconnect(graceful=False)
        except WSError:  # the reader already reported why the connection ended; closing is done either way
            pass

    async def send(self, frame: str) -> None:
        transport = self._transport
        if transport.is_disconnected or transport.is_close_frame_sent:
            raise LinkClosed(self._ended())
        transport.send(_TEXT, frame)
        writable = self._listener.writable
        if writable is not None and not writable.is_set():  # the socket buffer is full: wait for it to drain
            await writable.wait()

    async def close(self, code: int, reason: str) -> None:
        transport = self._transport
        if transport.is_disconnected:
            return
        self._listener.close_now(transport, code, reason, local=False)
        await self._closed_within_timeout()

    def abort(self) -> None:
        self._transport.disconnect(graceful=False)
