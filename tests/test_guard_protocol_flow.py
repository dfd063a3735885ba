"""The protocol core's connection flow, exactly (issue 20: mutation testing found these rules guarded only loosely):
the reconnect backoff, the reconnect plan, throttle windows, keep-alive and silence detection, the state machine and
reqId allocation.

Time is passed in and randomness is injected, so every wait is checked to the exact value: ``Always(x)`` is a random
generator whose ``random()`` always gives ``x`` (0.0: the wait is the floor; 0.5: half way to the ceiling).
"""

from __future__ import annotations

import json
import logging
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetfreedom import ConnectionLost, NotConnected
from fleetfreedom._protocol import (
    Backoff,
    CloseTransport,
    Outgoing,
    Plan,
    Protocol,
    Ready,
    Reply,
    State,
    connection_lost,
)
from fleetfreedom.errors import CommandThrottled, SessionThrottled
from test_client_protocol import connection_response, frame, only, state_of


class Always(random.Random):
    """A random generator that always draws ``value``: the jitter becomes a known fraction of the range."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def delays(backoff: Backoff, count: int) -> list[float]:
    return [backoff.next_delay() for _ in range(count)]


def core_at(now: float = 0.0, jitter: float = 0.0, **options: Any) -> Protocol:
    """A core whose connection was accepted at ``now``; its waits are ``floor + jitter * (ceiling - floor)``."""
    backoff = options.pop("backoff", None) or Backoff(base=2.0, cap=64.0, floor=1.0, rng=Always(jitter))
    core = Protocol(backoff=backoff, **options)
    core.transport_opening()
    core.transport_opened(now)
    assert core.receive(connection_response(), now) == [Ready(resumed=False)]
    return core


def reopened(core: Protocol, now: float) -> None:
    core.transport_opening()
    core.transport_opened(now)
    assert core.receive(connection_response(), now) == [Ready(resumed=True)]


# --- Backoff -------------------------------------------------------------------------------------------------------


def test_the_wait_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base=2.0, cap=20.0, floor=0.5, rng=Always(0.999999))
    assert [round(d, 3) for d in delays(backoff, 6)] == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert backoff.attempt == 6


def test_the_wait_is_the_floor_plus_the_jittered_share_of_the_range() -> None:
    assert delays(Backoff(base=2.0, cap=20.0, floor=0.5, rng=Always(0.0)), 4) == [0.5, 0.5, 0.5, 0.5]
    assert delays(Backoff(base=2.0, cap=20.0, floor=0.5, rng=Always(0.5)), 5) == [1.25, 2.25, 4.25, 8.25, 10.25]


def test_the_floor_defaults_to_half_the_base() -> None:
    assert Backoff(base=4.0, cap=100.0, rng=Always(0.0)).next_delay() == 2.0
    assert Backoff(base=4.0, cap=100.0, rng=Always(0.5)).next_delay() == 3.0
    # the defaults: the first wait after a drop is between half a second and a second; it grows to 300 s
    backoff = Backoff(rng=Always(0.5))
    assert delays(backoff, 10)[0] == 0.75
    assert backoff.next_delay() == 0.5 + 0.5 * (300.0 - 0.5)
    assert (backoff.base, backoff.cap, backoff.healthy_after) == (1.0, 300.0, 1.0)


def test_a_backoff_may_start_where_it_left_off() -> None:
    backoff = Backoff(base=1.0, cap=1000.0, floor=1.0, rng=Always(0.5), attempt=3)
    assert backoff.next_delay() == 1.0 + 0.5 * (8.0 - 1.0)
    assert backoff.attempt == 4


def test_the_ceiling_stops_doubling_at_two_to_the_62nd_so_it_never_overflows() -> None:
    for attempt, ceiling in [(61, 2.0**61), (62, 2.0**62), (63, 2.0**62), (5000, 2.0**62)]:
        backoff = Backoff(base=1.0, cap=math.inf, floor=1.0, rng=Always(1.0), attempt=attempt)
        assert backoff.next_delay() == ceiling, attempt
        assert backoff.attempt == attempt + 1


def test_floor_base_and_cap_may_be_equal() -> None:
    assert delays(Backoff(base=3.0, cap=3.0, floor=3.0, rng=Always(0.7)), 3) == [3.0, 3.0, 3.0]
    assert Backoff(base=3.0, cap=3.0).next_delay() <= 3.0


@pytest.mark.parametrize(
    "options",
    [
        {"floor": 0.0},
        {"floor": -1.0},
        {"base": 2.0, "floor": 2.5},
        {"base": 0.0, "floor": None},
        {"base": 10.0, "cap": 5.0},
        {"base": 5.0, "cap": 4.999, "floor": 1.0},
    ],
)
def test_an_inconsistent_backoff_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"^backoff needs 0 < floor <= base <= cap$"):
        Backoff(**options)


def test_healthy_after_may_be_zero_but_not_negative() -> None:
    assert Backoff(healthy_after=0.0).healthy_after == 0.0
    with pytest.raises(ValueError, match=r"^healthy_after must not be negative$"):
        Backoff(healthy_after=-0.001)


def grown(healthy_after: float = 5.0) -> Backoff:
    backoff = Backoff(base=1.0, cap=100.0, healthy_after=healthy_after, rng=Always(0.0))
    delays(backoff, 3)
    return backoff


def test_a_connection_that_served_exactly_healthy_after_starts_the_count_afresh() -> None:
    backoff = grown()
    backoff.connected(10.0)
    backoff.lost(15.0)
    assert backoff.attempt == 0


def test_a_connection_dropped_just_before_healthy_after_keeps_the_count() -> None:
    backoff = grown()
    backoff.connected(10.0)
    backoff.lost(14.999)
    assert backoff.attempt == 3


def test_with_healthy_after_zero_every_accepted_connection_served() -> None:
    backoff = grown(healthy_after=0.0)
    backoff.connected(10.0)
    backoff.lost(10.0)
    assert backoff.attempt == 0


def test_only_an_accepted_connection_can_start_the_count_afresh() -> None:
    backoff = grown()
    backoff.lost(1000.0)  # never accepted
    assert backoff.attempt == 3
    backoff.connected(0.0)
    backoff.lost(100.0)
    assert backoff.attempt == 0
    delays(backoff, 2)
    backoff.lost(1000.0)  # the connection that served is already counted: a second loss is not another one
    assert backoff.attempt == 2


# --- the reconnect plan --------------------------------------------------------------------------------------------


def test_the_plan_after_a_drop_gives_the_wait_the_attempt_and_the_reason() -> None:
    core = core_at(0.0, jitter=0.5)
    assert core.plan_reconnect(1.0) is None  # connected: nothing to plan
    assert core.stats.reconnects == 0
    assert core.transport_closed(10.0, "connection dropped") == []
    assert core.plan_reconnect(10.0) == Plan(delay=1.5, attempt=1, reason="connection dropped")
    assert core.stats.reconnects == 1
    core.transport_opening()
    core.attempt_failed(12.0, "refused")
    assert core.plan_reconnect(12.0) == Plan(delay=2.5, attempt=2, reason="refused")
    assert core.stats.reconnects == 2


def test_a_drop_without_a_reason_is_planned_as_connection_lost() -> None:
    core = core_at()
    core.transport_closed(5.0, "")
    plan = core.plan_reconnect(5.0)
    assert plan is not None and plan.reason == "connection lost"


def session_throttled(core: Protocol, now: float, timeout: Any) -> CloseTransport:
    """The connection drops; the next attempt is refused with sessionThrottled (a window of ``timeout``)."""
    core.transport_closed(now, "dropped")
    assert core.plan_reconnect(now) is not None
    core.transport_opening()
    core.transport_opened(now)
    details = {"kind": "throttled"} if timeout is None else {"kind": "throttled", "timeout": timeout}
    close: CloseTransport = only(core.receive(connection_response(73, errorDetails=details), now), CloseTransport)
    core.transport_closed(now, "throttled")
    assert state_of(core) is State.RECONNECTING
    return close


def test_a_session_throttle_adds_the_rest_of_its_window_to_the_next_wait() -> None:
    core = core_at(0.0, jitter=0.0)  # every jittered wait is the floor: 1 s
    close = session_throttled(core, 100.0, "00:00:30")
    assert not close.final  # throttled: retry later
    assert core.send_delay("getAsset", 110.0) == 20.0  # every command is held back, not one
    assert core.plan_reconnect(110.0) == Plan(delay=1.0 + 20.0, attempt=2, reason="throttled")


def test_a_throttle_window_already_over_adds_nothing() -> None:
    core = core_at(0.0, jitter=0.0)
    session_throttled(core, 100.0, "00:00:30")
    plan = core.plan_reconnect(130.0)
    assert plan is not None and plan.delay == 1.0
    core.transport_opening()
    core.attempt_failed(140.0, "refused")
    plan = core.plan_reconnect(129.5)  # half a second of the window left: it is waited out
    assert plan is not None and plan.delay == 1.5


def test_a_throttle_window_is_capped_by_max_pause() -> None:
    core = core_at(0.0, jitter=0.0, max_pause=50.0)
    session_throttled(core, 100.0, "01:00:00")
    assert core.send_delay("getAsset", 100.0) == 50.0
    plan = core.plan_reconnect(100.0)
    assert plan is not None and plan.delay == 1.0 + 50.0


def test_the_default_max_pause_is_six_hours() -> None:
    core = core_at(0.0, jitter=0.0)
    session_throttled(core, 100.0, "1.00:00:00")
    assert core.send_delay("getAsset", 100.0) == 6 * 3600.0


def test_a_throttle_without_a_window_holds_back_for_one_second() -> None:
    core = core_at(0.0, jitter=0.0)
    session_throttled(core, 100.0, None)
    assert core.send_delay("anything", 100.0) == 1.0
    plan = core.plan_reconnect(100.0)
    assert plan is not None and plan.delay == 2.0


def test_a_maintenance_broadcast_adds_its_rest_to_the_wait_with_the_default_clock() -> None:
    core = core_at(0.0, jitter=0.0)
    ending = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    core.receive(frame("broadcast", kind="maintenance", starting=datetime.now(UTC).isoformat(), ending=ending), 10.0)
    core.transport_closed(20.0, "server going down")
    plan = core.plan_reconnect(20.0)
    assert plan is not None and 3585.0 < plan.delay <= 1.0 + 3590.0


def test_nothing_is_added_to_the_wait_of_a_client_that_was_never_throttled() -> None:
    core = core_at(0.0, jitter=0.0)
    core.transport_closed(0.0, "dropped")  # at the very start of the monotonic clock
    assert core.plan_reconnect(0.0) == Plan(delay=1.0, attempt=1, reason="dropped")


# --- throttling ------------------------------------------------------------------------------------------------------


def throttled_reply(core: Protocol, command: str, params: dict[str, Any], now: float, **body: Any) -> Reply:
    out = core.prepare(command, params, now)
    reply: Reply = only(core.receive(frame(f"{command}Response", reqId=out.req_id, **body), now), Reply)
    return reply


def test_a_command_throttle_holds_back_that_command_only_for_its_window(caplog: pytest.LogCaptureFixture) -> None:
    core = core_at()
    details = {"kind": "throttled", "command": "getAsset", "timeout": "00:00:05"}
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        reply = throttled_reply(core, "getAsset", {"asset": 1}, 10.0, errorCode=105, errorDetails=details)
    assert isinstance(reply.error, CommandThrottled)
    assert caplog.messages == ["fleetfreedom: throttled (105): holding getAsset back for 5.0 s"]
    assert (core.send_delay("getAsset", 10.0), core.send_delay("getAsset", 12.0)) == (5.0, 3.0)
    assert (core.send_delay("getAsset", 15.0), core.send_delay("getAsset", 16.0)) == (0.0, 0.0)
    assert core.send_delay("getCompany", 10.0) == 0.0
    core.transport_closed(11.0, "dropped")  # a command throttle does not delay reconnecting
    assert core.plan_reconnect(11.0) == Plan(delay=1.0, attempt=1, reason="dropped")


def test_a_session_throttle_in_a_reply_holds_back_every_command(caplog: pytest.LogCaptureFixture) -> None:
    core = core_at()
    details = {"kind": "throttled", "timeout": "00:00:30"}
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        reply = throttled_reply(core, "getAsset", {"asset": 1}, 10.0, errorCode=73, errorDetails=details)
    assert isinstance(reply.error, SessionThrottled)
    assert caplog.messages == ["fleetfreedom: throttled (73): holding every command back for 30.0 s"]
    assert core.send_delay("getCompany", 20.0) == 20.0
    assert core.send_delay("getAsset", 20.0) == 20.0


def test_a_shorter_window_does_not_cut_a_longer_one_short() -> None:
    core = core_at()
    long = {"kind": "throttled", "timeout": "00:00:30"}
    short = {"kind": "throttled", "timeout": "00:00:02"}
    throttled_reply(core, "getAsset", {"asset": 1}, 10.0, errorCode=105, errorDetails=long)
    throttled_reply(core, "getAsset", {"asset": 1}, 20.0, errorCode=105, errorDetails=short)
    assert core.send_delay("getAsset", 20.0) == 20.0
    throttled_reply(core, "getAsset", {"asset": 1}, 39.0, errorCode=105, errorDetails=short)
    assert core.send_delay("getAsset", 40.0) == 1.0  # a later window beyond the first extends it


def test_the_command_window_and_the_session_window_each_count() -> None:
    core = core_at()
    throttled_reply(
        core, "getAsset", {"asset": 1}, 10.0, errorCode=105, errorDetails={"kind": "throttled", "timeout": "00:00:20"}
    )
    throttled_reply(
        core,
        "getCompany",
        {"company": 42},
        10.0,
        errorCode=73,
        errorDetails={"kind": "throttled", "timeout": "00:00:05"},
    )
    assert core.send_delay("getAsset", 10.0) == 20.0  # the longer of its own window and the session's
    assert core.send_delay("getCompany", 10.0) == 5.0


def test_a_throttle_reply_without_details_holds_back_for_one_second(caplog: pytest.LogCaptureFixture) -> None:
    core = core_at()
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        throttled_reply(core, "getAsset", {"asset": 1}, 10.0, errorCode=105)
    assert core.send_delay("getAsset", 10.0) == 1.0
    assert caplog.messages == ["fleetfreedom: throttled (105): holding getAsset back for 1.0 s"]


def test_a_throttle_window_sent_as_a_number_of_seconds_counts() -> None:
    core = core_at()
    throttled_reply(
        core, "getAsset", {"asset": 1}, 10.0, errorCode=105, errorDetails={"kind": "throttled", "timeout": 7}
    )
    assert core.send_delay("getAsset", 10.0) == 7.0


def test_a_throttle_window_in_an_untyped_reply_counts() -> None:
    core = core_at()
    out = core.prepare_raw("brandNewCommand", {"x": 1}, 10.0)
    details = {"kind": "throttled", "timeout": "00:00:09"}
    answer = frame("brandNewCommandResponse", reqId=out.req_id, errorCode=105, errorDetails=details)
    reply = only(core.receive(answer, 10.0), Reply)
    assert isinstance(reply.error, CommandThrottled)
    assert core.send_delay("brandNewCommand", 10.0) == 9.0
    assert core.send_delay("getAsset", 10.0) == 0.0


def test_a_throttle_window_in_an_untyped_reply_without_a_timeout_is_one_second() -> None:
    core = core_at()
    out = core.prepare_raw("brandNewCommand", {"x": 1}, 10.0)
    core.receive(frame("brandNewCommandResponse", reqId=out.req_id, errorCode=73, errorDetails={"kind": "x"}), 10.0)
    assert core.send_delay("getAsset", 10.0) == 1.0


def test_other_errors_hold_nothing_back() -> None:
    core = core_at()
    details = {"kind": "throttled", "timeout": "00:00:30"}
    for code in (20, 72, 74, 104, 106):
        throttled_reply(core, "getAsset", {"asset": 1}, 10.0, errorCode=code, errorDetails=details)
    assert core.send_delay("getAsset", 10.0) == 0.0
    core.transport_closed(11.0, "dropped")
    assert core.plan_reconnect(11.0) == Plan(delay=1.0, attempt=1, reason="dropped")


# --- keep-alive ------------------------------------------------------------------------------------------------------


def test_next_check_is_the_keepalive_after_the_last_frame_either_way() -> None:
    core = core_at(0.0, keepalive=10.0, silence_limit=5.0)
    assert core.next_check(3.0) == 7.0
    core.prepare("getCompany", {"company": 42}, 4.0)  # sent at 4: the keep-alive is due at 14
    assert core.next_check(4.0) == 10.0
    core.receive(frame("brandNewThing", a=1), 6.0)  # received at 6: due at 16
    assert core.next_check(6.0) == 10.0
    assert core.next_check(20.0) == 0.0  # overdue: at once, never negative


def test_next_check_is_the_silence_deadline_once_a_keepalive_went_out() -> None:
    core = core_at(0.0, keepalive=10.0, silence_limit=5.0)
    noop = core.tick(10.0)
    assert isinstance(noop, Outgoing)
    assert core.next_check(10.0) == 5.0  # the server has until 15 to say anything
    quiet = core_at(0.0, keepalive=10.0, silence_limit=None)
    assert isinstance(quiet.tick(10.0), Outgoing)
    assert quiet.next_check(10.0) == 10.0  # no silence limit: just the next keep-alive


def test_next_check_is_none_when_keepalive_is_off_or_not_connected() -> None:
    assert core_at(keepalive=None).next_check(5.0) is None
    core = core_at(0.0, keepalive=10.0)
    core.transport_closed(1.0, "dropped")
    assert core.next_check(1.0) is None
    waiting = Protocol(keepalive=10.0)
    waiting.transport_opening()
    waiting.transport_opened(0.0)
    assert waiting.next_check(0.0) is None and waiting.tick(100.0) is None


def test_the_default_keepalive_is_five_minutes_and_the_silence_limit_one_more() -> None:
    core = core_at(0.0)
    assert core.next_check(0.0) == 300.0
    assert core.tick(299.9) is None
    assert isinstance(core.tick(300.0), Outgoing)
    assert core.next_check(300.0) == 60.0
    assert core.tick(359.9) is None
    close = core.tick(360.0)
    assert close == CloseTransport("the server sent nothing for 360.0 s (keep-alive unanswered)", final=False)


def test_a_keepalive_noop_goes_out_exactly_when_the_connection_has_been_idle_for_keepalive() -> None:
    core = core_at(0.0, keepalive=10.0, silence_limit=5.0)
    sent = core.stats.frames_sent
    assert core.tick(9.99) is None
    noop = core.tick(10.0)
    assert isinstance(noop, Outgoing) and noop.command == "noop"
    assert noop.frame == f'noop {{"reqId":{noop.req_id}}}' and noop.req_id >= 1
    assert core.stats.frames_sent == sent + 1
    assert core.tick(10.5) is None  # the noop counts as traffic: nothing more to send yet
    assert core.pending_count() == 0  # nobody waits for it...
    assert core.receive(frame("noopResponse", reqId=noop.req_id, errorCode=0), 11.0) == []
    assert core.stats.late_replies == 0  # ...but its answer is expected, not late


def test_a_server_silent_for_keepalive_plus_silence_limit_is_dropped_not_before() -> None:
    core = core_at(0.0, keepalive=10.0, silence_limit=5.0)
    assert isinstance(core.tick(10.0), Outgoing)
    assert core.tick(14.9) is None
    assert core.tick(15.0) == CloseTransport("the server sent nothing for 15.0 s (keep-alive unanswered)", final=False)
    core.receive(frame("brandNewThing", a=1), 15.5)  # any frame shows it is alive
    assert core.tick(16.0) is None


def test_silence_is_measured_from_the_last_frame_received() -> None:
    core = core_at(0.0, keepalive=10.0, silence_limit=5.0)
    core.receive(frame("brandNewThing", a=1), 7.0)
    assert isinstance(core.tick(21.9), Outgoing)  # 14.9 s of silence: a keep-alive, not yet a close
    assert core.tick(22.0) == CloseTransport("the server sent nothing for 15.0 s (keep-alive unanswered)", final=False)


def test_without_a_silence_limit_a_silent_server_only_gets_keepalives() -> None:
    core = core_at(0.0, keepalive=10.0, silence_limit=None)
    for now in (10.0, 20.0, 1000.0):
        assert isinstance(core.tick(now), Outgoing)


def test_keepalive_off_sends_nothing_ever() -> None:
    core = core_at(0.0, keepalive=None, silence_limit=5.0)
    assert core.tick(10_000.0) is None


@pytest.mark.parametrize("keepalive", [0.0, -1.0])
def test_a_keepalive_that_is_not_positive_is_refused(keepalive: float) -> None:
    with pytest.raises(ValueError, match=r"^keepalive must be positive seconds, or None to disable it$"):
        Protocol(keepalive=keepalive)


def test_keepalive_noops_are_not_failed_requests_when_the_connection_drops() -> None:
    core = core_at(0.0, keepalive=10.0)
    assert isinstance(core.tick(10.0), Outgoing)
    user = core.prepare("getCompany", {"company": 42}, 11.0)
    assert core.pending_count() == 1
    assert core.transport_closed(12.0, "dropped") == [user.req_id]
    assert core.pending_count() == 0


# --- the state machine -------------------------------------------------------------------------------------------


def test_a_new_core_is_idle_with_nothing_pending() -> None:
    core = Protocol()
    assert core.state is State.IDLE and not core.ready and not core.resumable
    assert core.closed_reason is None and core.pending_count() == 0
    assert core.reconnect_enabled and not core.machine
    assert core.subscriptions_to_renew() == []
    assert (core.keepalive, core.silence_limit, core.max_pause) == (300.0, 60.0, 6 * 3600.0)


def test_the_ghost_id_given_is_the_session_to_resume() -> None:
    assert Protocol(ghost_id="g-7").session.ghost_id == "g-7"
    assert Protocol(ghost_id="").session.ghost_id is None
    assert Protocol().session.ghost_id is None


def test_a_backoff_given_is_the_one_used() -> None:
    backoff = Backoff(base=3.0, cap=3.0, floor=3.0)
    core = core_at(backoff=backoff)
    assert core.backoff is backoff
    core.transport_closed(1.0, "dropped")
    plan = core.plan_reconnect(1.0)
    assert plan is not None and plan.delay == 3.0


def test_a_drop_of_a_connection_that_was_never_accepted_is_final() -> None:
    core = Protocol()
    core.transport_opening()
    core.transport_opened(0.0)
    assert core.transport_closed(1.0, "reset by peer") == []
    assert core.state is State.CLOSED
    assert isinstance(core.closed_reason, NotConnected)
    assert str(core.closed_reason) == "connection lost: reset by peer"
    with pytest.raises(NotConnected, match=r"^the client is closed: connection lost: reset by peer$"):
        core.prepare("getCompany", {"company": 42}, 2.0)
    assert core.plan_reconnect(2.0) is None


def test_a_drop_without_reconnect_is_final() -> None:
    core = core_at(0.0, reconnect=False)
    core.transport_closed(5.0, "dropped")
    assert core.state is State.CLOSED
    assert str(core.closed_reason) == "connection lost: dropped"


def test_a_drop_while_reconnecting_after_a_final_answer_keeps_that_answer() -> None:
    core = core_at(0.0)
    core.transport_closed(5.0, "dropped")
    core.transport_opening()
    core.transport_opened(6.0)
    effects = core.receive(connection_response(9), 6.0)  # the session ended meanwhile: final
    assert only(effects, CloseTransport).final
    reason = core.closed_reason
    assert reason is not None and state_of(core) is State.CLOSING
    core.transport_closed(6.0, "closed")
    assert state_of(core) is State.CLOSED and core.closed_reason is reason


def test_a_closing_client_closes_for_good_when_the_transport_goes() -> None:
    core = core_at(0.0)
    out = core.prepare("getCompany", {"company": 42}, 1.0)
    core.closing()
    core.closing()  # twice is harmless
    assert core.state is State.CLOSING
    assert core.transport_closed(2.0, "closed by the client") == [out.req_id]
    assert state_of(core) is State.CLOSED and core.closed_reason is None
    assert core.plan_reconnect(3.0) is None
    core.closing()  # after the end: still harmless, still closed
    core.closed()
    assert state_of(core) is State.CLOSED
    with pytest.raises(NotConnected, match=r"^the client is not ready to send \(state: closed\)$"):
        core.prepare("getCompany", {"company": 42}, 4.0)


def test_a_drop_after_an_explicit_close_stays_closed() -> None:
    core = core_at(0.0)
    core.closed()
    assert core.state is State.CLOSED
    core.transport_closed(1.0, "gone")
    assert state_of(core) is State.CLOSED and core.closed_reason is None


def test_drops_right_after_acceptance_grow_the_wait_and_a_drop_after_healthy_after_resets_it() -> None:
    core = core_at(0.0, backoff=Backoff(base=2.0, cap=64.0, floor=1.0, healthy_after=5.0, rng=Always(1.0)))
    plans = []
    for start in (0.0, 1.0, 2.0):  # each one dropped 0.5 s after it was accepted: flapping
        if start:
            reopened(core, start)
        core.transport_closed(start + 0.5, "dropped")
        plans.append(core.plan_reconnect(start + 0.5))
    reopened(core, 10.0)
    core.transport_closed(15.0, "dropped")  # served exactly healthy_after
    plans.append(core.plan_reconnect(15.0))
    assert [(p.attempt, p.delay) for p in plans if p] == [(1, 2.0), (2, 4.0), (3, 8.0), (1, 2.0)]


def test_a_failed_attempt_does_not_reset_the_count() -> None:
    core = core_at(0.0, backoff=Backoff(base=2.0, cap=64.0, floor=1.0, healthy_after=0.0, rng=Always(1.0)))
    core.transport_closed(50.0, "dropped")
    assert core.plan_reconnect(50.0) == Plan(delay=2.0, attempt=1, reason="dropped")
    core.transport_opening()
    core.transport_opened(60.0)
    core.transport_closed(61.0, "no connectionResponse")  # opened, never accepted: a failed attempt
    assert core.plan_reconnect(61.0) == Plan(delay=4.0, attempt=2, reason="no connectionResponse")


def test_a_failed_attempt_after_close_does_not_reopen() -> None:
    core = core_at(0.0)
    core.transport_closed(1.0, "dropped")
    core.closing()
    core.attempt_failed(2.0, "refused")
    assert core.state is State.CLOSING and core.plan_reconnect(2.0) is None
    core.closed()
    core.attempt_failed(3.0, "refused")
    assert state_of(core) is State.CLOSED


def test_give_up_keeps_the_first_reason_and_closes() -> None:
    core = core_at(0.0)
    first, second = ConnectionLost("first"), ConnectionLost("second")
    core.give_up(first)
    assert core.state is State.CLOSING and core.closed_reason is first
    core.give_up(second)
    assert state_of(core) is State.CLOSING and core.closed_reason is first
    with pytest.raises(NotConnected, match=r"^the client is not ready to send \(state: closing\)$"):
        core.prepare("getCompany", {"company": 42}, 1.0)  # closing: not yet closed, whatever the reason
    core.transport_closed(1.0, "closed")
    core.give_up(second)
    assert state_of(core) is State.CLOSED and core.closed_reason is first


def test_impossible_moves_are_refused_with_the_states_named() -> None:
    core = Protocol()
    with pytest.raises(RuntimeError, match=r"^fleetfreedom client: cannot go from idle to awaitingConnectionResponse$"):
        core.transport_opened(0.0)
    core.transport_opening()
    core.transport_opening()  # the same state again is not a move
    assert core.state is State.CONNECTING
    core.closed()
    with pytest.raises(RuntimeError, match=r"^fleetfreedom client: cannot go from closed to connecting$"):
        core.transport_opening()


def test_transport_opened_starts_the_keepalive_clock() -> None:
    core = core_at(100.0, keepalive=10.0, silence_limit=5.0)
    assert core.next_check(100.0) == 10.0
    assert core.tick(109.0) is None
    assert isinstance(core.tick(110.0), Outgoing)


# --- sending -------------------------------------------------------------------------------------------------------


def test_prepare_encodes_registers_and_counts() -> None:
    core = core_at(0.0, keepalive=10.0)
    out = core.prepare("getCompany", {"company": 42}, 3.0)
    assert (out.req_id, out.command) == (1, "getCompany")
    assert out.frame.startswith("getCompany ")
    assert json.loads(out.frame.partition(" ")[2]) == {"reqId": 1, "company": {"id": 42}}
    assert core.pending_count() == 1 and core.stats.frames_sent == 1
    assert core.next_check(3.0) == 10.0  # sending counts as traffic for the keep-alive
    core.prepare_raw("brandNewCommand", {}, 3.0)
    assert core.pending_count() == 2 and core.stats.frames_sent == 2
    reply = only(core.receive(frame("getCompanyResponse", reqId=1, errorCode=0, company={"id": 42}), 4.0), Reply)
    assert reply.req_id == 1 and reply.command == "getCompany" and reply.error is None


def test_prepare_takes_extra_body_fields_and_models() -> None:
    from fleetfreedom.commands.companies import GetCompanyRequest

    core = core_at()
    out = core.prepare("getCompany", GetCompanyRequest.model_validate({"company": {"id": 42}}), 0.0, {"trace": "t"})
    assert json.loads(out.frame.partition(" ")[2]) == {"reqId": 1, "company": {"id": 42}, "trace": "t"}


def test_prepare_raw_sends_the_body_as_given_and_the_reply_comes_back_untyped() -> None:
    core = core_at(0.0, keepalive=10.0)
    out = core.prepare_raw("brandNewCommand", {"x": 1, "reqId": 99}, 5.0)
    assert out.req_id == 1 and out.command == "brandNewCommand"
    assert out.frame.startswith("brandNewCommand ")
    assert json.loads(out.frame.partition(" ")[2]) == {"x": 1, "reqId": 1}
    assert core.pending_count() == 1 and core.stats.frames_sent == 1
    assert core.next_check(5.0) == 10.0
    reply = only(core.receive(frame("brandNewCommandResponse", reqId=1, errorCode=0, y=2), 6.0), Reply)
    assert reply.command == "brandNewCommand" and reply.error is None
    assert reply.data == {"reqId": 1, "errorCode": 0, "y": 2}
    assert core.pending_count() == 0


def test_prepare_raw_is_refused_when_not_ready() -> None:
    core = Protocol()
    with pytest.raises(NotConnected, match=r"^the client is not ready to send \(state: idle\)$"):
        core.prepare_raw("noop", {}, 0.0)
    core.transport_opening()
    core.transport_opened(0.0)
    with pytest.raises(NotConnected, match=r"awaitingConnectionResponse"):
        core.prepare_raw("noop", {}, 0.0)
    assert core.stats.frames_sent == 0


def test_req_ids_count_up_from_one_and_skip_those_still_pending_across_the_wrap() -> None:
    core = core_at()
    assert [core.prepare("noop", {}, 0.0).req_id for _ in range(3)] == [1, 2, 3]
    core.abandon(2)
    assert core.pending_count() == 2
    core.abandon(2)  # abandoning twice is harmless
    core._next_req_id = 2_147_483_645  # no public way to get this far
    assert core.prepare("noop", {}, 0.0).req_id == 2_147_483_646
    assert core.prepare("noop", {}, 0.0).req_id == 2_147_483_647
    # wrapped: 1 and 3 are still pending, 2 was abandoned
    assert core.prepare("noop", {}, 0.0).req_id == 2
    core._next_req_id = 2_147_483_646  # 2_147_483_647, 1, 2 and 3 pending: the search wraps too
    assert core.prepare("noop", {}, 0.0).req_id == 4


def test_abandoned_requests_are_not_counted_and_their_reply_is_late() -> None:
    core = core_at()
    a = core.prepare("getCompany", {"company": 42}, 0.0)
    core.prepare("getCompany", {"company": 43}, 0.0)
    core.abandon(a.req_id)
    assert core.pending_count() == 1
    assert core.receive(frame("getCompanyResponse", reqId=a.req_id, errorCode=0), 1.0) == []
    assert core.stats.late_replies == 1


def test_send_delay_is_zero_when_nothing_is_throttled() -> None:
    core = core_at()
    assert core.send_delay("getAsset", 0.0) == 0.0


def test_windows_are_exact_from_the_very_start_of_the_monotonic_clock() -> None:
    core = core_at()
    throttled_reply(
        core, "getAsset", {"asset": 1}, 0.0, errorCode=105, errorDetails={"kind": "throttled", "timeout": "00:00:00.5"}
    )
    assert core.send_delay("getAsset", 0.0) == 0.5
    assert core.send_delay("getCompany", 0.0) == 0.0  # neither this command nor the session is throttled
    assert core.send_delay("getAsset", 0.25) == 0.25


def test_connection_lost_names_the_reason() -> None:
    error = connection_lost("reset by peer")
    assert isinstance(error, ConnectionLost)
    assert str(error) == "the connection was lost before the reply arrived (reset by peer)"


def test_a_keepalive_below_one_second_is_allowed() -> None:
    core = core_at(0.0, keepalive=0.5, silence_limit=0.25)
    assert core.next_check(0.0) == 0.5
    assert isinstance(core.tick(0.5), Outgoing)
    assert isinstance(core.tick(0.75), CloseTransport)


def test_every_state_change_is_logged_at_debug_level(caplog: pytest.LogCaptureFixture) -> None:
    core = Protocol()
    with caplog.at_level(logging.DEBUG, logger="fleetfreedom"):
        core.transport_opening()
        core.transport_opened(0.0)
        core.closing()
    assert caplog.messages == [
        "state idle -> connecting",
        "state connecting -> awaitingConnectionResponse",
        "state awaitingConnectionResponse -> closing",
    ]
