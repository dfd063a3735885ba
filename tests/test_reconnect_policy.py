"""The reconnect policy: back within ``reconnect_delay`` after a connection that served, growing waits otherwise.

What grows the wait (doubling its ceiling, up to ``reconnect_max_delay``, always fully jittered): attempts that fail
(refused, TLS or WebSocket handshake failure, no ``connectionResponse``) and connections dropped less than
``healthy_after`` seconds after the server accepted them (flapping). What does not: drops of connections that
served; after each of those the count starts afresh, however often they happen.

The core's rules are checked first with time passed in; then over real sockets, against a small hand-written
server behind the fault proxy (tests/faultproxy.py), which timestamps every connection attempt: the waits the client
announces in ``Reconnecting`` must be the waits that reach the wire. Nothing here sleeps to synchronise: every wait
is on an event, bounded by ``WAIT``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import ssl
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
import trustme
from client_faces import FACES, close_face, open_face
from client_faces import run as run_bounded
from faultproxy import FaultProxy
from fleetfreedom import AsyncClient, Backoff, Reconnected, Reconnecting
from fleetfreedom._protocol import Plan, Protocol, Ready, State
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

WAIT = 10.0
BASE, CAP, FLOOR = 0.05, 0.8, 0.02  # ceilings 0.05, 0.1, 0.2, 0.4, then the cap: 0.8
ATTEMPTS = 9


def frame(name: str, body: dict[str, Any]) -> str:
    return f"{name} {json.dumps(body)}"


CONNECTION_RESPONSE = frame("connectionResponse", {"errorCode": 8, "message": "not logged in", "ghostId": "policy-1"})


# --- the core, with time passed in -------------------------------------------------------------------------------


def accepted(core: Protocol, now: float) -> None:
    core.transport_opening()
    core.transport_opened(now)
    assert [type(e) for e in core.receive(CONNECTION_RESPONSE, now)] == [Ready]


def dropped(core: Protocol, now: float) -> Plan:
    core.transport_closed(now, "connection dropped")
    plan = core.plan_reconnect(now)
    assert plan is not None
    return plan


def failed(core: Protocol, now: float) -> Plan:
    core.transport_opening()
    core.attempt_failed(now, "refused")
    plan = core.plan_reconnect(now)
    assert plan is not None
    return plan


def policy(**options: Any) -> Protocol:
    return Protocol(backoff=Backoff(**{"base": 1.0, "cap": 300.0, "healthy_after": 2.0, **options}))


def test_every_drop_of_a_connection_that_served_starts_afresh() -> None:
    core = policy(rng=random.Random(1))
    now = 0.0
    accepted(core, now)
    plans = []
    for _ in range(30):  # a drop every 7 s, as on a flaky cellular link
        now += 7.0
        plans.append(dropped(core, now))
        now += plans[-1].delay
        accepted(core, now)
    assert [p.attempt for p in plans] == [1] * 30
    assert all(0.5 <= p.delay <= 1.0 for p in plans)  # floor: half the base; ceiling: the base
    assert len({p.delay for p in plans}) == 30  # jittered


def test_failed_attempts_grow_the_wait_up_to_the_cap() -> None:
    core = policy(cap=30.0, rng=random.Random(2))
    accepted(core, 0.0)
    plans = [dropped(core, 100.0)] + [failed(core, 100.0 + i) for i in range(1, 16)]
    assert [p.attempt for p in plans] == list(range(1, 17))
    ceilings = [min(30.0, 2.0**i) for i in range(16)]
    assert all(0.5 <= p.delay <= c for p, c in zip(plans, ceilings, strict=True))
    assert max(p.delay for p in plans[10:]) > 20.0  # up to the cap (30 s), still jittered below it


def test_an_unacceptable_connection_response_is_a_failed_attempt() -> None:
    core = policy(rng=random.Random(3))
    accepted(core, 0.0)
    first = dropped(core, 100.0)
    core.transport_opening()
    core.transport_opened(101.0)
    service_error = frame("connectionResponse", {"errorCode": 2, "message": "service unavailable"})
    assert core.receive(service_error, 101.0)[0].final is False  # type: ignore[union-attr]
    core.transport_closed(101.0, "service unavailable")
    assert core.state is State.RECONNECTING
    second = core.plan_reconnect(101.0)
    assert second is not None and (first.attempt, second.attempt) == (1, 2)


def test_connections_that_drop_right_after_they_open_count_as_failures() -> None:
    core = policy(rng=random.Random(4))
    accepted(core, 0.0)
    now = 100.0
    plans = [dropped(core, now)]
    for _ in range(6):  # accepted, then dropped half a second later: a flapping server
        now += plans[-1].delay
        accepted(core, now)
        now += 0.5
        plans.append(dropped(core, now))
    assert [p.attempt for p in plans] == [1, 2, 3, 4, 5, 6, 7]
    now += plans[-1].delay
    accepted(core, now)  # this one serves long enough: the next drop starts afresh
    assert dropped(core, now + 2.0).attempt == 1


# --- over sockets: a server that refuses every connection, in each way it can -----------------------------------


@dataclass
class RefusingServer:
    """Serves the first connection normally; refuses every later one in the way ``mode`` says."""

    mode: str
    tls: ssl.SSLContext | None = None
    connections: int = 0
    first: asyncio.Event = field(default_factory=asyncio.Event)
    drop_first: asyncio.Event = field(default_factory=asyncio.Event)

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.connections and self.mode == "http-503":
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "busy\n")
        return None

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        if self.connections == 1:
            await ws.send(CONNECTION_RESPONSE)
            self.first.set()
            await self.drop_first.wait()
            ws.transport.abort()
        elif self.mode == "flapping":
            await ws.send(CONNECTION_RESPONSE)
            ws.transport.abort()
        else:  # "no-connection-response": the socket opens, the server never speaks
            await ws.wait_closed()


def tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context and a client context that trusts it (and nothing else)."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    authority.configure_trust(client)
    return server, client


@asynccontextmanager
async def refusing(mode: str) -> AsyncIterator[tuple[AsyncClient, RefusingServer, FaultProxy]]:
    server_tls, client_tls = tls_pair() if mode == "tls-untrusted" else (None, None)
    server = RefusingServer(mode, server_tls)
    async with (
        serve(server.handle, "127.0.0.1", 0, ssl=server_tls, process_request=server.process_request) as listener,
        FaultProxy("127.0.0.1", listener.sockets[0].getsockname()[1]) as proxy,
    ):
        scheme = "wss" if server_tls else "ws"
        backoff = Backoff(base=BASE, cap=CAP, floor=FLOOR, healthy_after=5.0, rng=random.Random(11))
        client = AsyncClient(f"{scheme}://127.0.0.1:{proxy.port}", ssl=client_tls, keepalive=None, backoff=backoff)
        await client.connect()
        client.connect_timeout = 0.3  # from now on: how long a silent server is given before the attempt fails
        try:
            yield client, server, proxy
        finally:
            await client.close()


async def reconnect_plans(client: AsyncClient, count: int, *, flapping: bool) -> list[Reconnecting]:
    plans: list[Reconnecting] = []
    async with asyncio.timeout(WAIT + count * CAP):
        while len(plans) < count:
            event = await client.next_event()
            # a flapping server lets the client back in, for a moment; the others never do
            assert flapping or not isinstance(event, Reconnected), "a refusing server let the client back in"
            if isinstance(event, Reconnecting):
                plans.append(event)
    return plans


@pytest.mark.parametrize("mode", ["tcp-reset", "tls-untrusted", "http-503", "no-connection-response", "flapping"])
def test_a_server_that_refuses_every_connection_sees_growing_jittered_waits_up_to_the_cap(mode: str) -> None:
    async def scenario() -> None:
        async with refusing(mode) as (client, server, proxy):
            await asyncio.wait_for(server.first.wait(), WAIT)
            if mode == "tcp-reset":
                await proxy.refuse()  # accepted and reset at once, before any TLS or WebSocket byte
            elif mode == "tls-untrusted":  # from now on the server shows a certificate the client does not trust
                assert server.tls is not None
                trustme.CA().issue_cert("127.0.0.1").configure_cert(server.tls)
            loop = asyncio.get_running_loop()
            dropped_at = loop.time()
            server.drop_first.set()
            plans = await reconnect_plans(client, ATTEMPTS, flapping=mode == "flapping")

            assert [p.attempt for p in plans] == list(range(1, ATTEMPTS + 1))  # never started afresh
            ceilings = [min(CAP, BASE * 2**i) for i in range(ATTEMPTS)]
            assert all(FLOOR <= p.delay <= c for p, c in zip(plans, ceilings, strict=True)), plans
            assert max(p.delay for p in plans[4:]) > CAP / 2  # up to the cap...
            assert len({p.delay for p in plans}) == ATTEMPTS  # ...and jittered all the way
            # what reached the wire: each attempt came no sooner than the wait announced before it
            times = [dropped_at, *proxy.attempts[1:]]
            assert len(times) >= ATTEMPTS, times
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert all(gap >= plan.delay - 0.005 for gap, plan in zip(gaps, plans, strict=False)), (gaps, plans)

    asyncio.run(asyncio.wait_for(scenario(), 60))


# --- over sockets, on every face: the documented options ---------------------------------------------------------


class DroppingServer:
    """Accepts every connection and cuts it ``serve_for`` seconds after its connectionResponse. It runs on an event
    loop of its own, in a thread, so a face that blocks the test's loop (``sync-in-loop``) does not stop it."""

    def __init__(self, serve_for: float) -> None:
        self.serve_for = serve_for
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), daemon=True)

    async def handle(self, ws: ServerConnection) -> None:
        await ws.send(CONNECTION_RESPONSE)
        await asyncio.sleep(self.serve_for)  # the server's behaviour under test, not synchronisation
        ws.transport.abort()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self.handle, "127.0.0.1", 0) as listener:
            self.url = f"ws://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> DroppingServer:
        self._thread.start()
        assert self._ready.wait(WAIT)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT)
        self._loop.close()


@pytest.mark.parametrize("mode", FACES)
@pytest.mark.parametrize(
    ("serve_for", "growing"), [(0.4, False), (0.05, True)], ids=["drops-after-serving", "flapping"]
)
def test_the_policy_options_work_alike_on_every_face(mode: str, serve_for: float, growing: bool) -> None:
    async def scenario() -> None:
        with DroppingServer(serve_for) as server:
            url = server.url
            options = {"reconnect_delay": 0.04, "reconnect_max_delay": 0.3, "healthy_after": 0.2, "keepalive": None}
            face = await open_face(mode, url, **options)
            try:
                plans: list[Reconnecting] = []
                async with asyncio.timeout(WAIT):
                    while len(plans) < 6:
                        event = await face.next_event(WAIT)
                        if isinstance(event, Reconnecting):
                            plans.append(event)
            finally:
                await close_face(face)
        attempts = [p.attempt for p in plans]
        if growing:
            assert attempts == [1, 2, 3, 4, 5, 6]
            assert all(0.02 <= p.delay <= min(0.3, 0.04 * 2**i) for i, p in enumerate(plans))
        else:
            assert attempts == [1] * 6
            assert all(0.02 <= p.delay <= 0.04 for p in plans)

    run_bounded(scenario())


def test_backoff_and_the_policy_options_are_one_or_the_other() -> None:
    with pytest.raises(ValueError, match="either backoff"):
        AsyncClient("ws://127.0.0.1:1", backoff=Backoff(), reconnect_delay=2.0)
    with pytest.raises(ValueError):
        AsyncClient("ws://127.0.0.1:1", reconnect_delay=10.0, reconnect_max_delay=5.0)
    with pytest.raises(ValueError):
        Backoff(healthy_after=-1.0)
