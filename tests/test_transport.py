"""The WebSocket transports (``websockets``, and ``picows`` when installed), each over a real socket.

The whole client suite runs over whichever transport ``--transport`` / FLEETFREEDOM_TRANSPORT picks (``make test``
runs it once per transport); the tests here name both transports explicitly, for what differs between the two
libraries underneath: TLS, a message split into fragments, the close code the server gives, an oversized frame,
and how ``transport="auto"`` chooses (picows when importable, websockets when not).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import trustme
from fleetfreedom import AsyncClient, Client, ConnectionLost
from fleetfreedom._transport import TransportName, picows_available
from websockets.asyncio.server import ServerConnection, serve

BLOCKER = Path(__file__).resolve().parent / "fixtures" / "block_picows"
NO_PICOWS = pytest.mark.skipif(not picows_available(), reason="picows is not installed")
TRANSPORTS = ["websockets", pytest.param("picows", marks=NO_PICOWS)]

CONNECTION = (
    'connectionResponse {"errorCode":8,"message":"not logged in","ghostId":"3f0c8a8e-1b7e-4f0e-9d3a-2b1c4d5e6f70",'
    '"serverTime":"2024-01-31T13:45:00.000Z","expiry":"2024-02-01T13:45:00.000Z"}'
)


async def _answer(ws: ServerConnection) -> None:
    """connectionResponse, then: ``split`` answered in three fragments, ``bye`` with close code 4001 (``curt``:
    4002 and no reason), ``huge``
    with a 2 MB frame, anything else with an ok reply."""
    await ws.send(CONNECTION)
    async for message in ws:
        assert isinstance(message, str)
        name, _, text = message.partition(" ")
        req_id = json.loads(text)["reqId"]
        reply = f'{name}Response {{"reqId":{req_id},"errorCode":0,"message":"ok","echo":"{"é" * 40}"}}'
        if name == "split":
            third = len(reply) // 3
            await ws.send([reply[:third], reply[third : 2 * third], reply[2 * third :]])
        elif name == "bye":
            await ws.close(4001, "go away")
        elif name == "curt":  # a close frame with a code and no reason
            await ws.close(4002)
        elif name == "huge":
            await ws.send(f'{name}Response {{"reqId":{req_id},"errorCode":0,"message":"{"x" * 2_000_000}"}}')
        else:
            await ws.send(reply)


def _tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    authority.configure_trust(client)
    return server, client


@asynccontextmanager
async def _client(transport: TransportName, *, tls: bool = False, **options: object) -> AsyncIterator[AsyncClient]:
    server_tls, client_tls = _tls_pair() if tls else (None, None)
    async with serve(_answer, "127.0.0.1", 0, ssl=server_tls, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}"
        async with AsyncClient(
            url,
            ssl=client_tls,
            transport=transport,
            keepalive=None,
            reconnect=False,
            **options,  # type: ignore[arg-type]
        ) as client:
            yield client


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tls_with_a_private_authority(transport: TransportName) -> None:
    async def main() -> None:
        async with _client(transport, tls=True) as client:
            assert client.transport == transport
            reply = await client.request("ping", {}, raw=True)
            assert reply.name == "pingResponse" and reply.data["echo"] == "é" * 40

    asyncio.run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tls_refuses_a_certificate_it_does_not_trust(transport: TransportName) -> None:
    async def main() -> None:
        server_tls, _ = _tls_pair()
        async with serve(_answer, "127.0.0.1", 0, ssl=server_tls) as server:
            port = server.sockets[0].getsockname()[1]
            client = AsyncClient(f"wss://127.0.0.1:{port}", transport=transport, reconnect=False)
            with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
                await client.connect()
            await client.close()

    asyncio.run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_message_in_fragments_arrives_whole(transport: TransportName) -> None:
    async def main() -> None:
        async with _client(transport) as client:
            reply = await client.request("split", {}, raw=True)
            assert reply.name == "splitResponse" and reply.data["echo"] == "é" * 40

    asyncio.run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_servers_close_code_reaches_the_waiting_request(transport: TransportName) -> None:
    async def main() -> None:
        async with _client(transport) as client:
            with pytest.raises(ConnectionLost, match="4001 go away"):
                await client.request("bye", {}, raw=True)

    asyncio.run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_close_frame_without_a_reason_reaches_the_waiting_request(transport: TransportName) -> None:
    async def main() -> None:
        async with _client(transport) as client:
            with pytest.raises(ConnectionLost, match="4002"):
                await client.request("curt", {}, raw=True)

    asyncio.run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_frame_over_max_frame_size_ends_the_connection(transport: TransportName) -> None:
    async def main() -> None:
        async with _client(transport, max_frame_size=1_000_000) as client:
            with pytest.raises(ConnectionLost):
                await client.request("huge", {}, raw=True, timeout=10)

    asyncio.run(main())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_sync_client_passes_the_transport_on(transport: TransportName) -> None:
    async def serve_forever(ready: asyncio.Future[int], stop: asyncio.Event) -> None:
        async with serve(_answer, "127.0.0.1", 0) as server:
            ready.set_result(server.sockets[0].getsockname()[1])
            await stop.wait()

    import threading

    loop = asyncio.new_event_loop()
    ready: asyncio.Future[int] = loop.create_future()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve_forever(ready, stop),), daemon=True)
    thread.start()
    port = asyncio.run_coroutine_threadsafe(asyncio.wait_for(asyncio.shield(ready), 10), loop).result()
    try:
        with Client(f"ws://127.0.0.1:{port}", transport=transport, keepalive=None) as client:
            assert client.transport == transport
            assert client.request("ping", {}, raw=True).name == "pingResponse"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def _in_subprocess(code: str, *, block_picows: bool, transport: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLEETFREEDOM_TRANSPORT"}
    if transport is not None:
        env["FLEETFREEDOM_TRANSPORT"] = transport
    if block_picows:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BLOCKER), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


CHOSEN = "from fleetfreedom import AsyncClient; print(AsyncClient('ws://127.0.0.1:9', transport={!r}).transport)"


def test_auto_falls_back_to_websockets_without_picows() -> None:
    done = _in_subprocess(CHOSEN.format("auto"), block_picows=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "websockets"
    asked = _in_subprocess(CHOSEN.format("picows"), block_picows=True)
    assert asked.returncode != 0 and "pip install 'fleetfreedom[fast]'" in asked.stderr


@NO_PICOWS
def test_auto_prefers_picows_and_obeys_the_environment() -> None:
    assert _in_subprocess(CHOSEN.format("auto"), block_picows=False).stdout.strip() == "picows"
    forced = _in_subprocess(CHOSEN.format("auto"), block_picows=False, transport="websockets")
    assert forced.stdout.strip() == "websockets"
    explicit = _in_subprocess(CHOSEN.format("websockets"), block_picows=False, transport="picows")
    assert explicit.stdout.strip() == "websockets"  # an explicit choice wins over the environment


def test_a_misspelt_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="transport must be one of auto, websockets, picows"):
        AsyncClient("ws://127.0.0.1:9", transport="pycows")  # type: ignore[arg-type]
