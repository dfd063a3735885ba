"""The client against the emulator over real sockets, every behaviour run on every face (see client_faces.py)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import pytest
from client_faces import FACES, Face, close_face, open_face, run
from fleetfreedom import (
    AsyncClient,
    Backoff,
    ConnectionLost,
    Disconnected,
    MalformedFrame,
    NotConnected,
    Reconnected,
    Reconnecting,
    RequestTimeout,
    State,
    TransportError,
)
from fleetfreedom.errors import (
    AssetNotFound,
    CommandThrottled,
    InvalidCredentials,
    NotFoundError,
    SessionEndedError,
    SessionThrottled,
)
from fleetfreedom.events import AssetDeleted, AssetGeneralMerged, SessionEnded
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator

COMPANY = 42
WAIT = 10.0  # generous upper bound for anything that should happen "soon"

faces = pytest.mark.parametrize("mode", FACES)


def options(**overrides: Any) -> dict[str, Any]:
    """Small timeouts and delays, so failures show quickly and reconnects do not slow the suite."""
    base: dict[str, Any] = {
        "timeout": WAIT,
        "connect_timeout": 5.0,
        "keepalive": None,
        "backoff": Backoff(base=0.05, cap=0.4, floor=0.02, rng=random.Random(4)),
    }
    return {**base, **overrides}


async def next_of(face: Face, kind: type, timeout: float = WAIT) -> tuple[Any, list[Any]]:
    """The next event of ``kind``, and every event seen before it (bounded by ``timeout``)."""
    seen: list[Any] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {kind.__name__} within {timeout} s; saw {[type(e).__name__ for e in seen]}")
        event = await face.next_event(remaining)
        if isinstance(event, kind):
            return event, seen
        seen.append(event)


async def logged_in(emulator: Emulator, mode: str, **overrides: Any) -> Face:
    face = await open_face(mode, emulator.url, **options(**overrides))
    await face.login(DEMO_LOGIN, DEMO_PASSWORD)
    return face


def push_raw(emulator: Emulator, frames: list[str]) -> None:
    """Send frames exactly as given to every connected client (malformed ones included)."""
    send_raw = getattr(emulator, "send_raw", None)
    if send_raw is not None:
        for text in frames:
            send_raw(text)
        return

    # the emulator has no public control for this yet: queue the text on its peers, from its own loop
    def queue() -> None:
        for peer in list(emulator._peers.values()):
            for text in frames:
                peer.send(text)

    emulator._call(queue)


# --- the getting-started flow ------------------------------------------------------------------------------------


async def getting_started(face: Face) -> None:
    session = face.session
    assert session.ghost_id and not session.logged_in
    session = await face.login(DEMO_LOGIN, DEMO_PASSWORD)
    assert session.logged_in and session.user.login == DEMO_LOGIN and session.password_policy is not None
    reply = await face.companies.get(COMPANY)
    assert reply.company.id == COMPANY and reply.company.name == "Acme Logistics"
    sub = await face.subscribe(COMPANY, ["assetGeneral"])
    assert [t.value for t in sub.merged] == ["assetGeneral"] and not sub.denied and not sub.invalid
    created = await face.assets.merge({"company": COMPANY, "kind": "vehicle", "name": "Truck 13"})
    asset_id = created.asset.id
    merged, _ = await next_of(face, AssetGeneralMerged)
    assert merged.data.id == asset_id and merged.data.name == "Truck 13"
    assert (await face.assets.get(asset_id)).asset.name == "Truck 13"
    await face.assets.remove(asset_id)
    deleted, _ = await next_of(face, AssetDeleted)
    assert deleted.data.id == asset_id
    with pytest.raises(AssetNotFound) as caught:
        await face.assets.get(999_999)
    assert isinstance(caught.value, NotFoundError) and caught.value.command == "getAsset"
    assert caught.value.code == 20 and caught.value.req_id is not None


@faces
def test_getting_started(fleetfreedom_emulator: Emulator, mode: str) -> None:
    async def scenario() -> None:
        face = await open_face(mode, fleetfreedom_emulator.url, **options())
        try:
            await getting_started(face)
        finally:
            await close_face(face)
        assert face.state is State.CLOSED

    run(scenario())


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_getting_started_over_tls(fleetfreedom_emulator_tls: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator_tls
    assert emulator.url.startswith("wss://")

    async def scenario() -> None:
        face = await open_face(mode, emulator.url, **options(ssl=emulator.client_ssl_context()))
        try:
            await getting_started(face)
        finally:
            await close_face(face)

    run(scenario())


def test_tls_is_verified_by_default(fleetfreedom_emulator_tls: Emulator) -> None:
    async def scenario() -> None:
        with pytest.raises(TransportError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            await AsyncClient(fleetfreedom_emulator_tls.url, **options()).connect()

    run(scenario())


def test_plain_ws_is_refused_for_remote_hosts() -> None:
    with pytest.raises(ValueError, match="without TLS"):
        AsyncClient("ws://socket.example.com/")
    with pytest.raises(ValueError, match="not a WebSocket address"):
        AsyncClient("https://socket.example.com/")


# --- losing the connection ---------------------------------------------------------------------------------------


@faces
def test_cut_mid_request_fails_it_then_resumes_and_resubscribes(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        face = await logged_in(emulator, mode)
        try:
            ghost_id = face.session.ghost_id
            await face.subscribe(COMPANY, ["assetGeneral"])
            emulator.faults.drop_on("getCompany")  # a TCP cut without a close frame, mid-request
            started = time.monotonic()
            with pytest.raises(ConnectionLost):
                await face.companies.get(COMPANY, timeout=WAIT)
            assert time.monotonic() - started < 1.0  # at once, not after the request's timeout
            reconnected, seen = await next_of(face, Reconnected)
            assert any(isinstance(e, Reconnecting) for e in seen)
            assert reconnected.ghost_id == ghost_id and reconnected.subscriptions == {COMPANY: ("assetGeneral",)}
            assert face.session.ghost_id == ghost_id and face.session.logged_in  # resumed, no new login
            assert (await face.companies.get(COMPANY)).company.id == COMPANY
            # the renewed subscription delivers again
            emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": "After the cut"})
            merged, _ = await next_of(face, AssetGeneralMerged)
            assert merged.data.name == "After the cut"
        finally:
            await close_face(face)

    run(scenario())


# not on "sync-in-loop": a blocking call cannot run concurrently with the loop it blocks (the "sync" face covers it)
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_requests_made_while_reconnecting_wait_and_go_out(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        face = await logged_in(emulator, mode)
        try:
            emulator.faults.refuse_connections()
            emulator.drop_connections()
            await next_of(face, Reconnecting)
            pending = asyncio.ensure_future(face.companies.get(COMPANY, timeout=WAIT))
            await next_of(face, Reconnecting)  # still refused: the request is waiting, not failed
            assert not pending.done()
            emulator.faults.refuse_connections(False)
            assert (await pending).company.id == COMPANY
        finally:
            await close_face(face)

    run(scenario())


@faces
def test_a_silent_server_is_detected_and_left(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        face = await logged_in(emulator, mode, keepalive=0.2, silence_limit=0.3, ping_interval=None)
        try:
            emulator.go_silent()
            reconnecting, _ = await next_of(face, Reconnecting)
            assert "sent nothing" in reconnecting.reason
            emulator.speak_again()
            await next_of(face, Reconnected)
            assert (await face.companies.get(COMPANY)).company.id == COMPANY
        finally:
            await close_face(face)

    run(scenario())


@faces
def test_refused_reconnects_back_off_with_jitter(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        backoff = Backoff(base=0.02, cap=0.3, floor=0.01, rng=random.Random())
        face = await logged_in(emulator, mode, backoff=backoff)
        try:
            emulator.faults.refuse_connections()
            emulator.drop_connections()
            attempts = [(await next_of(face, Reconnecting))[0] for _ in range(6)]
            assert [a.attempt for a in attempts] == [1, 2, 3, 4, 5, 6]
            assert all(a.delay >= 0.01 for a in attempts)  # never a tight loop
            assert all(a.delay <= min(0.3, 0.02 * 2**i) for i, a in enumerate(attempts))  # the ceiling doubles
            assert len({a.delay for a in attempts}) == len(attempts)  # jittered
            assert any("503" in a.reason for a in attempts[1:])
            emulator.faults.refuse_connections(False)
            await next_of(face, Reconnected)
        finally:
            await close_face(face)

    run(scenario())


@faces
def test_session_ended_stops_reconnecting(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        face = await logged_in(emulator, mode)
        try:
            emulator.end_session(face.session.ghost_id, "sessionKilled")
            ended, _ = await next_of(face, SessionEnded)
            assert ended.data.ghost_id == face.session.ghost_id
            disconnected, seen = await next_of(face, Disconnected)
            assert isinstance(disconnected.error, SessionEndedError)
            assert not any(isinstance(e, Reconnecting) for e in seen)
            assert isinstance(face.closed_reason, SessionEndedError)
            with pytest.raises(NotConnected):
                await face.companies.get(COMPANY)
        finally:
            await close_face(face)

    run(scenario())


def test_a_throttled_first_connection_raises_the_typed_error(fleetfreedom_emulator: Emulator) -> None:
    fleetfreedom_emulator.faults.throttle_sessions(times=1, timeout=30)

    async def scenario() -> None:
        with pytest.raises(SessionThrottled):
            await AsyncClient(fleetfreedom_emulator.url, **options()).connect()

    run(scenario())


# --- many requests, bad frames -----------------------------------------------------------------------------------


@faces
def test_a_thousand_concurrent_requests_are_paired_correctly(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator
    ids = [
        emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": f"T{i}"})["id"] for i in range(8)
    ]

    async def scenario() -> None:
        face = await logged_in(emulator, mode, timeout=60.0)
        try:
            emulator.faults.delay_replies(0.05, command="getAsset", times=50)  # some replies overtake others
            wanted = [ids[i % len(ids)] for i in range(1000)]
            replies = await asyncio.gather(*(face.assets.get(asset_id) for asset_id in wanted))
            assert [r.asset.id for r in replies] == wanted
            assert len({r.req_id for r in replies}) == 1000
        finally:
            await close_face(face)

    run(scenario(), timeout=120)


@faces
def test_a_thousand_malformed_frames_leave_the_client_working(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator
    garbage = ["no-space-at-all", "bad name {}", "getAsset {not json", "assetGeneralMerged [1]", "x {"] * 200

    async def scenario() -> None:
        face = await logged_in(emulator, mode)
        try:
            push_raw(emulator, garbage)
            for _ in range(1000):
                event = await face.next_event(WAIT)
                assert isinstance(event, MalformedFrame)
            assert face.stats.malformed_frames == 1000
            assert (await face.companies.get(COMPANY)).company.id == COMPANY
        finally:
            await close_face(face)

    run(scenario())


@faces
def test_timeouts_and_throttling(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        face = await logged_in(emulator, mode)
        try:
            emulator.faults.withhold_replies(command="getCompany", times=1)
            with pytest.raises(RequestTimeout):
                await face.companies.get(COMPANY, timeout=0.3)
            emulator.faults.throttle_commands(command="getCompany", times=1, timeout=0.2)
            with pytest.raises(CommandThrottled) as caught:
                await face.companies.get(COMPANY)
            assert caught.value.details.timeout == "00:00:00"
            assert (await face.companies.get(COMPANY)).company.id == COMPANY  # held back, then sent
        finally:
            await close_face(face)

    run(scenario())


# --- the rest of the surface -------------------------------------------------------------------------------------


@faces
def test_raw_requests_callbacks_and_accepted_subscriptions(fleetfreedom_emulator: Emulator, mode: str) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        face = await logged_in(emulator, mode)
        try:
            raw = await face.request("getCompany", {"company": {"id": COMPANY}}, raw=True)
            assert raw.name == "getCompanyResponse" and raw.data["company"]["name"] == "Acme Logistics"
            typed = await face.request("getCompany", {"company": COMPANY})
            assert typed.company.name == "Acme Logistics"
            heard: list[Any] = []
            face.client.on(AssetGeneralMerged, heard.append)
            await face.subscribe(COMPANY, ["assetGeneral"])
            assert face.accepted_subscriptions == {COMPANY: frozenset({"assetGeneral"})}
            await face.assets.merge({"company": COMPANY, "kind": "vehicle", "name": "Heard"})
            await next_of(face, AssetGeneralMerged)
            deadline = time.monotonic() + WAIT
            while not heard and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert [e.data.name for e in heard] == ["Heard"]
        finally:
            await close_face(face)

    run(scenario())


def test_passwords_never_reach_logs_reprs_or_errors(
    fleetfreedom_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Sup3r-Secret-Pa55"

    async def scenario() -> None:
        async with AsyncClient(fleetfreedom_emulator.url, **options()) as client:
            with pytest.raises(InvalidCredentials) as caught:
                await client.login(DEMO_LOGIN, secret)
            texts = [str(caught.value), repr(caught.value), repr(client), repr(client.session)]
            texts.append(repr(getattr(caught.value, "reply", None)))
            assert not any(secret in text for text in texts)
            await client.login(DEMO_LOGIN, DEMO_PASSWORD)
            assert DEMO_PASSWORD not in repr(client) + repr(client.session)

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert caplog.records and not any(
        secret in r.getMessage() or DEMO_PASSWORD in r.getMessage() for r in caplog.records
    )
