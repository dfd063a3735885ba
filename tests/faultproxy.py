"""A TCP proxy on loopback that a test steers to break the connection between the client and the emulator.

It forwards bytes both ways, unchanged, until told otherwise:

- ``drop_on_next_upstream()``: the next bytes the client sends (say, a request) are swallowed and the connection
  is reset (RST, no close frame): the request never reaches the server;
- ``drop_after_downstream(n)``: forward ``n`` more bytes to the client, then reset: cuts a frame in half;
- ``stall()``: existing connections stop forwarding in both directions (no bytes, no FIN): a dead peer;
- ``half_close()``: the client receives EOF (FIN) while its own direction stays open;
- ``drip(size, interval)``: bytes to the client go ``size`` at a time, ``interval`` seconds apart;
- ``refuse()``: new connections are accepted and reset at once (their times are recorded in ``attempts``), or
  with ``listen=False`` the port stops listening (connection refused).

Everything runs on the caller's asyncio loop. ``attempts`` holds the loop time of every connection attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

_CHUNK = 65536


@dataclass
class _Link:
    """One client connection and its upstream connection to the target."""

    client_reader: asyncio.StreamReader
    client_writer: asyncio.StreamWriter
    server_reader: asyncio.StreamReader
    server_writer: asyncio.StreamWriter
    stalled: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    holding: asyncio.Event = field(default_factory=asyncio.Event)  # set once a stalled pump holds bytes back

    def abort(self) -> None:
        """Reset both sides: RST, not FIN (SO_LINGER 0), as a cable cut or a crashed middlebox would."""
        for writer in (self.client_writer, self.server_writer):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.attempts: list[float] = []
        self.links: list[_Link] = []
        self._server: asyncio.Server | None = None
        self._refusing = False
        self._drop_upstream = False
        self._drop_downstream_after: int | None = None
        self._drip: tuple[int, float] | None = None

    # --- lifecycle -----------------------------------------------------------------------------------------------

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in self.links:
            link.abort()
        self.links.clear()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- controls ------------------------------------------------------------------------------------------------

    def drop_all(self) -> None:
        for link in self.links:
            link.abort()
        self.links.clear()

    def drop_on_next_upstream(self) -> None:
        self._drop_upstream = True

    def drop_after_downstream(self, count: int) -> None:
        self._drop_downstream_after = count

    def stall(self) -> None:
        """Existing connections go quiet both ways; new ones work normally."""
        for link in self.links:
            link.stalled = True

    @property
    def stalled(self) -> list[_Link]:
        """The connections a stall or half-close left silent."""
        return [link for link in self.links if link.stalled]

    async def holding(self) -> None:
        """Wait until a stalled connection has bytes held back (a request sent into the silence)."""
        waits = [asyncio.ensure_future(link.holding.wait()) for link in self.stalled]
        if not waits:
            raise RuntimeError("no stalled connection: call stall() or half_close() first")
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    def half_close(self) -> None:
        """Send EOF to every connected client; the client's direction to the server stays open."""
        for link in self.links:
            if link.client_writer.can_write_eof():
                link.client_writer.write_eof()
            link.stalled = True  # nothing more flows to the client after its EOF

    def drip(self, size: int = 1, interval: float = 0.001) -> None:
        self._drip = (size, interval)

    async def refuse(self, refusing: bool = True, *, listen: bool = True) -> None:
        """Refuse new connections: reset them after accepting (``listen``), or stop listening altogether."""
        self._refusing = refusing
        if not listen and refusing and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        elif self._server is None:
            await self.start()  # listening again, on the same port

    # --- forwarding ----------------------------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.attempts.append(asyncio.get_running_loop().time())
        if self._refusing:
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        link = _Link(reader, writer, server_reader, server_writer)
        self.links.append(link)
        link.tasks = [
            asyncio.ensure_future(self._pump(link, upstream=True)),
            asyncio.ensure_future(self._pump(link, upstream=False)),
        ]

    async def _pump(self, link: _Link, *, upstream: bool) -> None:
        source = link.client_reader if upstream else link.server_reader
        sink = link.server_writer if upstream else link.client_writer
        try:
            while True:
                data = await source.read(_CHUNK)
                if not data:  # EOF from this side: pass it on (a half-close the other way)
                    if sink.can_write_eof() and not sink.is_closing():
                        sink.write_eof()
                    return
                if link.stalled:  # hold the bytes for good: a dead peer, not a closed one (a stall never lifts;
                    link.holding.set()  # the link is aborted, which cancels this task)
                    await asyncio.get_running_loop().create_future()
                if upstream and self._drop_upstream:
                    self._drop_upstream = False
                    self._forget(link)
                    link.abort()
                    return
                if not upstream and self._drop_downstream_after is not None:
                    allowed = self._drop_downstream_after
                    if len(data) >= allowed:
                        self._drop_downstream_after = None
                        sink.write(data[:allowed])
                        with contextlib.suppress(ConnectionError):
                            await sink.drain()
                        self._forget(link)
                        link.abort()
                        return
                    self._drop_downstream_after = allowed - len(data)
                if not upstream and self._drip is not None:
                    size, interval = self._drip
                    for start in range(0, len(data), size):
                        sink.write(data[start : start + size])
                        await sink.drain()
                        await asyncio.sleep(interval)
                else:
                    sink.write(data)
                    await sink.drain()
        except (ConnectionError, asyncio.CancelledError, OSError):
            self._forget(link)
            link.abort()

    def _forget(self, link: _Link) -> None:
        if link in self.links:
            self.links.remove(link)
