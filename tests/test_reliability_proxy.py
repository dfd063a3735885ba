"""The client through a fault proxy (tests/faultproxy.py) that breaks the TCP connection to the emulator.

Each fault, and what the client must do about it:

- dropped mid-request: the request fails at once with ConnectionLost (not after its timeout); the client resumes
  the same session by its ghostId and renews its subscriptions, and sync messages flow again;
- dropped mid-stream (a frame cut in half): the half frame is never decoded into an event; the client resumes and
  resubscribes;
- stalled (no bytes, no FIN): the keep-alive notices the silence; the waiting request fails with ConnectionLost
  and the client reconnects on a fresh connection;
- half-closed (EOF to the client): treated as a lost connection: pending requests fail, the client resumes;
- slow drip (one byte at a time): nothing changes for the caller: replies and events arrive whole and typed;
- refused connections: reconnect attempts back off exponentially with jitter and a floor (no tight loop), and the
  client comes back once the server accepts again; a first connect to a refusing server fails with TransportError.

Keep-alive and backoff values are small so each test takes about a second; every wait is bounded by ``WAIT`` and
every request timeout (``REQUEST_TIMEOUT``) is longer than that, so "failed at once" means "failed before the
request's own timeout could have fired".
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from faultproxy import FaultProxy
from fleetfreedom import (
    AsyncClient,
    Backoff,
    ConnectionLost,
    MalformedFrame,
    Reconnected,
    Reconnecting,
    TransportError,
)
from fleetfreedom._events import Event, UnknownFrame
from fleetfreedom.events import AssetGeneralMerged
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator

COMPANY = 42
WAIT = 10.0  # upper bound for anything that should happen soon
REQUEST_TIMEOUT = 60.0  # longer than WAIT: a request that fails within WAIT did not fail by timing out
E = TypeVar("E", bound=Event)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(60):
            await scenario

    asyncio.run(bounded())


def small_backoff(rng: random.Random | None = None) -> Backoff:
    return Backoff(base=0.05, cap=0.4, floor=0.02, rng=rng or random.Random(7))


@asynccontextmanager
async def through_proxy(emulator: Emulator, **options: Any) -> AsyncIterator[tuple[AsyncClient, FaultProxy]]:
    """A logged-in client that talks to the emulator through a fresh fault proxy."""
    target = urlsplit(emulator.url)
    assert target.hostname is not None and target.port is not None
    async with FaultProxy(target.hostname, target.port) as proxy:
        settings: dict[str, Any] = {
            "timeout": REQUEST_TIMEOUT,
            "connect_timeout": 5.0,
            "keepalive": None,
            "backoff": small_backoff(),
        }
        client = AsyncClient(proxy.url, **{**settings, **options})
        await client.connect()
        try:
            await client.login(DEMO_LOGIN, DEMO_PASSWORD)
            yield client, proxy
        finally:
            await client.close()


async def next_of(client: AsyncClient, kind: type[E], seen: list[Event] | None = None) -> E:
    """The next event of ``kind`` within WAIT; the events before it are appended to ``seen``."""
    async with asyncio.timeout(WAIT):
        while True:
            event = await client.next_event()
            if isinstance(event, kind):
                return event
            if seen is not None:
                seen.append(event)


async def bounded(awaitable: Any) -> Any:
    async with asyncio.timeout(WAIT):
        return await awaitable


async def assert_resumed_and_resubscribed(
    client: AsyncClient, emulator: Emulator, ghost_id: str | None, name: str, *, announced: bool = True
) -> list[Event]:
    """The session came back by its ghostId (no new login) with its subscription, and pushes arrive again;
    ``announced``: a Reconnecting event came first."""
    seen: list[Event] = []
    reconnected = await next_of(client, Reconnected, seen)
    assert any(isinstance(e, Reconnecting) for e in seen) or not announced, seen
    assert reconnected.ghost_id == ghost_id and client.session.ghost_id == ghost_id
    assert reconnected.subscriptions == {COMPANY: ("assetGeneral",)}
    assert client.session.logged_in
    emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": name})
    merged = await next_of(client, AssetGeneralMerged, seen)
    assert merged.data.name == name
    assert (await bounded(client.companies.get(COMPANY))).company.id == COMPANY
    return seen


def test_dropped_mid_request_fails_at_once_then_resumes(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        async with through_proxy(emulator) as (client, proxy):
            await client.subscribe(COMPANY, ["assetGeneral"])
            ghost_id = client.session.ghost_id
            proxy.drop_on_next_upstream()  # the request is swallowed and the connection reset
            with pytest.raises(ConnectionLost):
                await bounded(client.companies.get(COMPANY))
            assert len(proxy.attempts) == 1
            await assert_resumed_and_resubscribed(client, emulator, ghost_id, "after the drop")
            assert len(proxy.attempts) == 2  # one reconnect did it

    run(scenario())


def test_dropped_mid_stream_never_decodes_half_a_frame(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        async with through_proxy(emulator) as (client, proxy):
            await client.subscribe(COMPANY, ["assetGeneral"])
            ghost_id = client.session.ghost_id
            emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": "whole"})
            assert (await next_of(client, AssetGeneralMerged)).data.name == "whole"
            # random letters: permessage-deflate cannot shrink the frame below the cut
            cut_name = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyz", k=300))
            proxy.drop_after_downstream(40)  # the next push is cut 40 bytes in
            emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": cut_name})
            seen = await assert_resumed_and_resubscribed(client, emulator, ghost_id, "after the cut")
            assert not [e for e in seen if isinstance(e, (MalformedFrame, UnknownFrame))], seen
            assert not [e for e in seen if isinstance(e, AssetGeneralMerged) and e.data.name == cut_name]

    run(scenario())


def test_a_stalled_connection_is_detected_by_the_keepalive(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        options = {"keepalive": 0.2, "silence_limit": 0.3, "ping_interval": None}
        async with through_proxy(emulator, **options) as (client, proxy):
            await client.subscribe(COMPANY, ["assetGeneral"])
            ghost_id = client.session.ghost_id
            proxy.stall()  # no bytes either way, and no FIN: only silence tells
            with pytest.raises(ConnectionLost):
                await bounded(client.companies.get(COMPANY))
            seen = await assert_resumed_and_resubscribed(client, emulator, ghost_id, "after the stall")
            reasons = [e.reason for e in seen if isinstance(e, Reconnecting)]
            assert "sent nothing" in reasons[0], reasons

    run(scenario())


def test_a_half_closed_connection_counts_as_lost(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        async with through_proxy(emulator) as (client, proxy):
            await client.subscribe(COMPANY, ["assetGeneral"])
            ghost_id = client.session.ghost_id
            proxy.stall()  # hold the reply, so the request is still waiting when the EOF arrives
            request = asyncio.ensure_future(client.companies.get(COMPANY))
            await bounded(proxy.holding())  # the request is on its way, held by the proxy: now the EOF
            proxy.half_close()
            with pytest.raises(ConnectionLost):
                await bounded(request)
            await assert_resumed_and_resubscribed(client, emulator, ghost_id, "after the half-close")

    run(scenario())


def test_a_slow_drip_changes_nothing_for_the_caller(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        async with through_proxy(emulator) as (client, proxy):
            proxy.drip(size=1, interval=0.0005)  # every byte to the client on its own
            await bounded(client.subscribe(COMPANY, ["assetGeneral"]))
            reply = await bounded(client.companies.get(COMPANY))
            assert reply.company.id == COMPANY and reply.company.name == "Acme Logistics"
            emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": "dripped é ✓"})
            seen: list[Event] = []
            merged = await next_of(client, AssetGeneralMerged, seen)
            assert merged.data.name == "dripped é ✓"
            assert not [e for e in seen if isinstance(e, (MalformedFrame, UnknownFrame, Reconnecting))], seen
            assert len(proxy.attempts) == 1

    run(scenario())


def test_refused_reconnects_back_off_with_jitter_and_a_floor(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator
    floor, base, cap = 0.02, 0.05, 0.4

    async def scenario() -> None:
        backoff = Backoff(base=base, cap=cap, floor=floor, rng=random.Random())
        async with through_proxy(emulator, backoff=backoff) as (client, proxy):
            await client.subscribe(COMPANY, ["assetGeneral"])
            ghost_id = client.session.ghost_id
            await proxy.refuse()  # accepted and reset at once: the proxy sees (and times) every attempt
            proxy.drop_all()
            plans = [await next_of(client, Reconnecting) for _ in range(7)]
            assert [p.attempt for p in plans] == list(range(1, 8))
            assert all(floor <= p.delay <= min(cap, base * 2**i) for i, p in enumerate(plans)), plans
            assert len({round(p.delay, 6) for p in plans}) == len(plans), "no jitter: every client would retry in step"
            # what actually reached the wire: the gap before each attempt is at least the floor (no tight loop)
            times = proxy.attempts[1:]
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert len(times) >= 5 and all(gap >= floor for gap in gaps), gaps
            await proxy.refuse(False)
            await assert_resumed_and_resubscribed(client, emulator, ghost_id, "after the refusals", announced=False)

    run(scenario())


def test_a_first_connect_to_a_closed_port_fails_with_transport_error(fleetfreedom_emulator: Emulator) -> None:
    target = urlsplit(fleetfreedom_emulator.url)
    host, port = target.hostname, target.port  # locals, so the narrowing below holds inside scenario()
    assert host is not None and port is not None

    async def scenario() -> None:
        async with FaultProxy(host, port) as proxy:
            await proxy.refuse(listen=False)  # connection refused by the kernel
            client = AsyncClient(proxy.url, connect_timeout=5.0, backoff=small_backoff())
            with pytest.raises(TransportError):
                await bounded(client.connect())
            await proxy.refuse(True)  # accepted, then reset before the handshake
            with pytest.raises(TransportError):
                await bounded(client.connect())
            await client.close()
            assert len(proxy.attempts) == 1  # a first connect reports the failure instead of retrying forever

    run(scenario())
