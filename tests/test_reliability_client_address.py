"""Plain ``ws://`` never leaves this machine (issue 17, failure 11).

A loopback server must not be able to send the client to a remote host without TLS by answering the handshake
with an HTTP redirect, and a ``*.localhost`` name is used only when it really resolves to loopback. The "remote"
host is a real server on this machine's non-loopback address, so following the redirect would be seen.
"""

from __future__ import annotations

import asyncio
import socket
import time
from http import HTTPStatus

import pytest
from fleetfreedom import AsyncClient, TransportError
from fleetfreedom.testing import Emulator
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response


def _non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _redirect_to(location: str) -> object:
    def process_request(connection: ServerConnection, request: Request) -> Response:
        headers = Headers({"Location": location, "Content-Length": "0"})
        return Response(HTTPStatus.FOUND.value, "Found", headers)

    return process_request


async def _handler(ws: ServerConnection) -> None:
    await ws.wait_closed()


def test_a_loopback_redirect_to_plain_ws_on_a_remote_host_is_not_followed() -> None:
    remote_host = _non_loopback_address()
    if remote_host is None:
        pytest.skip("this machine has no non-loopback address to play the remote host")
    assert remote_host is not None

    async def scenario() -> None:
        reached: list[str] = []

        def remote_request(connection: ServerConnection, request: Request) -> None:
            reached.append(request.path)

        async with serve(_handler, remote_host, 0, process_request=remote_request) as remote:
            remote_port = remote.sockets[0].getsockname()[1]
            redirect = _redirect_to(f"ws://{remote_host}:{remote_port}/")
            async with serve(_handler, "127.0.0.1", 0, process_request=redirect) as local:  # type: ignore[arg-type]
                port = local.sockets[0].getsockname()[1]
                client = AsyncClient(url=f"ws://127.0.0.1:{port}/", reconnect=False, connect_timeout=5)
                started = time.monotonic()
                with pytest.raises(TransportError, match="refusing redirect"):
                    await client.connect()
                assert time.monotonic() - started < 3
                await client.close()
        assert reached == [], "the client followed the redirect to the remote host"

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_loopback_redirect_to_another_loopback_server_is_followed() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            redirect = _redirect_to(emu.url)
            async with serve(_handler, "127.0.0.1", 0, process_request=redirect) as local:  # type: ignore[arg-type]
                port = local.sockets[0].getsockname()[1]
                async with AsyncClient(url=f"ws://127.0.0.1:{port}/", reconnect=False) as client:
                    await client.login("demo@acme.example", "demo-pass-42")
                    assert client.session.user is not None

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_localhost_name_is_used_only_when_it_resolves_to_loopback() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            async with AsyncClient(url=f"ws://localhost:{emu.port}/", reconnect=False) as client:
                await client.login("demo@acme.example", "demo-pass-42")
            unresolved = "no-such-name-17.localhost"
            try:
                socket.getaddrinfo(unresolved, emu.port)
            except OSError:
                pass
            else:
                pytest.skip(f"{unresolved} resolves here; the refusal cannot be shown")
            client = AsyncClient(url=f"ws://{unresolved}:{emu.port}/", reconnect=False, connect_timeout=5)
            with pytest.raises(TransportError, match="refusing ws:// to"):
                await client.connect()
            await client.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))
