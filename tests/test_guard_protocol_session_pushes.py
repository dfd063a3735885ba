"""Server pushes that change the protocol core's state, exactly (issue 20: mutation testing found these paths
unguarded): ``sessionEnded`` (final, typed, its message), maintenance broadcasts (how long reconnects pause: a naive
``ending`` is UTC, a past one pauses nothing, a long one is capped at ``max_pause``), server durations at each unit,
and the subscriptions kept for renewal.

The backoff here has floor = base = cap = 1 s, so every jittered wait is exactly 1 s and ``plan_reconnect(...).delay``
is 1 s plus the pause, to the exact float."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetfreedom._protocol import Backoff, CloseTransport, Emit, Protocol, Ready, State, parse_duration
from fleetfreedom.errors import SessionEndedError, SessionExpired
from fleetfreedom.events import Broadcast, SessionEnded
from test_client_protocol import connection_response, frame, only

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # the wall clock the core reads while the broadcast arrives


def core_at(clock: datetime = NOW, **options: Any) -> Protocol:
    core = Protocol(backoff=Backoff(base=1.0, cap=1.0, floor=1.0), clock=lambda: clock, **options)
    core.transport_opening()
    core.transport_opened(0.0)
    assert core.receive(connection_response(), 0.0) == [Ready(resumed=False)]
    return core


def reconnect_delay(core: Protocol, now: float) -> float:
    core.transport_closed(now, "server going down")
    plan = core.plan_reconnect(now)
    assert plan is not None
    return plan.delay


def broadcast(core: Protocol, now: float, **body: Any) -> None:
    effects = core.receive(frame("broadcast", **body), now)
    assert isinstance(only(effects, Emit).event, Broadcast) and len(effects) == 1


# --- sessionEnded ------------------------------------------------------------------------------------------------


def test_session_ended_without_a_code_is_a_session_ended_error_with_its_message() -> None:
    core = core_at()
    effects = core.receive(frame("sessionEnded", ghostId="g-1", message="replaced by another login"), 0.0)
    assert isinstance(effects[0], Emit) and isinstance(effects[0].event, SessionEnded) and len(effects) == 2
    error = core.closed_reason
    assert type(error) is SessionEndedError
    assert (error.code, error.message, error.command) == (-1, "replaced by another login", "sessionEnded")
    assert effects[1] == CloseTransport(str(error), final=True)
    assert str(error) == "sessionEnded: replaced by another login (errorCode -1)"
    assert core.state is State.CLOSING


def test_session_ended_without_a_message_says_the_server_ended_it() -> None:
    core = core_at()
    effects = core.receive(frame("sessionEnded", ghostId="g-1"), 0.0)
    assert only(effects, CloseTransport) == CloseTransport(
        "sessionEnded: the server ended this session (errorCode -1)", final=True
    )


def test_session_ended_with_a_code_is_the_error_of_that_code() -> None:
    core = core_at()
    effects = core.receive(frame("sessionEnded", ghostId="g-1", errorCode=7, message="expired"), 0.0)
    error = core.closed_reason
    assert isinstance(error, SessionExpired)
    assert (error.code, error.message, error.command) == (7, "expired", "sessionEnded")
    assert only(effects, CloseTransport) == CloseTransport("sessionEnded: expired (errorCode 7)", final=True)


def test_session_ended_with_a_code_and_no_message() -> None:
    core = core_at()
    core.receive(frame("sessionEnded", errorCode=7), 0.0)
    assert isinstance(core.closed_reason, SessionExpired)
    assert core.closed_reason.message == "the server ended this session"


# --- maintenance broadcasts --------------------------------------------------------------------------------------


def test_without_a_broadcast_the_reconnect_waits_the_backoff_only() -> None:
    assert reconnect_delay(core_at(), 6.0) == 1.0


def test_a_maintenance_broadcast_pauses_reconnects_until_it_ends() -> None:
    core = core_at()
    ending = (NOW + timedelta(seconds=600)).isoformat()
    broadcast(core, 5.0, kind="maintenance", starting=NOW.isoformat(), ending=ending)
    # paused until 5 + 600 on the monotonic clock; the connection drops at 6
    assert reconnect_delay(core, 6.0) == 1.0 + 599.0


def test_a_naive_ending_is_utc() -> None:
    core = core_at()
    ending = (NOW + timedelta(seconds=600)).replace(tzinfo=None).isoformat()
    assert "+" not in ending and "Z" not in ending
    broadcast(core, 5.0, kind="maintenance", ending=ending)
    assert reconnect_delay(core, 6.0) == 1.0 + 599.0


def test_an_ending_in_another_offset_keeps_its_offset() -> None:
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", ending="2030-01-01T14:10:00+02:00")  # 12:10 UTC: 600 s after NOW
    assert reconnect_delay(core, 6.0) == 1.0 + 599.0


@pytest.mark.parametrize("ago", [0, 1, 3600])
def test_an_ending_not_in_the_future_pauses_nothing(ago: int) -> None:
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", ending=(NOW - timedelta(seconds=ago)).isoformat())
    assert reconnect_delay(core, 5.0) == 1.0


def test_an_ending_less_than_a_second_ahead_still_pauses() -> None:
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(milliseconds=500)).isoformat())
    assert reconnect_delay(core, 5.0) == 1.0 + 0.5


def test_the_pause_is_logged_with_its_ending_in_utc(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fleetfreedom")
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", ending="2030-01-01T12:10:00")  # naive: UTC
    said = [r.getMessage() for r in caplog.records if r.name == "fleetfreedom" and r.levelno == logging.INFO]
    assert said == ["fleetfreedom: maintenance until 2030-01-01 12:10:00+00:00: reconnect attempts pause until then"]


def test_an_ending_beyond_max_pause_is_capped() -> None:
    core = core_at(max_pause=100.0)
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(days=3)).isoformat())
    assert reconnect_delay(core, 6.0) == 1.0 + 99.0


def test_a_shorter_second_window_does_not_cut_the_first_short() -> None:
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(seconds=600)).isoformat())
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(seconds=60)).isoformat())
    assert reconnect_delay(core, 6.0) == 1.0 + 599.0


def test_a_longer_second_window_extends_the_pause() -> None:
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(seconds=60)).isoformat())
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(seconds=600)).isoformat())
    assert reconnect_delay(core, 6.0) == 1.0 + 599.0


@pytest.mark.parametrize("kind", ["upgrade", "notice", None])
def test_only_a_maintenance_broadcast_pauses(kind: str | None) -> None:
    core = core_at()
    body: dict[str, Any] = {"ending": (NOW + timedelta(seconds=600)).isoformat(), "message": "m"}
    if kind is not None:
        body["kind"] = kind
    broadcast(core, 5.0, **body)
    assert reconnect_delay(core, 6.0) == 1.0


def test_a_maintenance_broadcast_without_ending_pauses_nothing() -> None:
    core = core_at()
    broadcast(core, 5.0, kind="maintenance", message="soon")
    assert reconnect_delay(core, 6.0) == 1.0


def test_the_pause_is_measured_from_the_wall_clock_at_arrival() -> None:
    core = core_at(clock=NOW + timedelta(seconds=100))  # the wall clock is 100 s later than the ending's reference
    broadcast(core, 5.0, kind="maintenance", ending=(NOW + timedelta(seconds=600)).isoformat())
    assert reconnect_delay(core, 6.0) == 1.0 + 499.0


# --- durations ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1.00:00:00", 86400.0),
        ("01:00:00", 3600.0),
        ("00:01:00", 60.0),
        ("00:00:01", 1.0),
        ("00:00:00", 0.0),
        ("2.03:04:05.25", 2 * 86400 + 3 * 3600 + 4 * 60 + 5.25),
        (" 00:00:30 ", 30.0),
        ("P1D", 86400.0),
        ("PT1H", 3600.0),
        ("PT1M", 60.0),
        ("PT1S", 1.0),
        ("PT0S", 0.0),
        ("P2DT3H4M5.25S", 2 * 86400 + 3 * 3600 + 4 * 60 + 5.25),
        (" PT30S ", 30.0),
        (0, 0.0),
        (7, 7.0),
        (0.5, 0.5),
        (-0.5, 0.0),
        ("7", 7.0),
        ("0.5", 0.5),
        ("-7", 0.0),
        (None, None),
        (False, None),
        ("", None),
        ("P", None),
        ("30 seconds", None),
    ],
)
def test_durations_at_each_unit(value: object, seconds: float | None) -> None:
    parsed = parse_duration(value)
    assert parsed == seconds
    assert seconds is None or type(parsed) is float


# --- subscriptions kept for renewal --------------------------------------------------------------------------------


def subscribed(core: Protocol, company: int, types: list[str]) -> None:
    out = core.prepare("subscribe", {"company": company, "subscriptionTypes": types}, 0.0)
    core.receive(frame("subscribeResponse", reqId=out.req_id, errorCode=0, company={"id": company}, merged=types,
                       denied=[], invalid=[]), 0.0)  # fmt: skip


def test_subscriptions_to_renew_are_sorted_by_company_and_type() -> None:
    core = core_at()
    subscribed(core, 42, ["placeGeneral", "assetGeneral"])
    subscribed(core, 7, ["userGeneral", "assetGeneral"])
    renew = core.subscriptions_to_renew()
    assert renew == [(7, ["assetGeneral", "userGeneral"]), (42, ["assetGeneral", "placeGeneral"])]


def test_forgotten_types_are_not_renewed_and_an_emptied_company_goes() -> None:
    core = core_at()
    subscribed(core, 42, ["placeGeneral", "assetGeneral"])
    subscribed(core, 7, ["assetGeneral"])
    core.forget_subscriptions(42, ["placeGeneral", "userGeneral"])
    assert core.subscriptions_to_renew() == [(7, ["assetGeneral"]), (42, ["assetGeneral"])]
    core.forget_subscriptions(42, ["assetGeneral"])
    assert core.subscriptions_to_renew() == [(7, ["assetGeneral"])]
    assert core.subscriptions == {7: {"assetGeneral"}}
    core.forget_subscriptions(99, ["assetGeneral"])  # a company never held: nothing to forget
    assert core.subscriptions == {7: {"assetGeneral"}}
