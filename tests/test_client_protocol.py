"""The client's sans-I/O core: every rule checked without sockets or clocks (time and randomness are passed in)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetfreedom import ConnectionLost, MalformedFrame, NotConnected, RequestError, UnknownFrame
from fleetfreedom._protocol import (
    Backoff,
    CloseTransport,
    Emit,
    Outgoing,
    Protocol,
    Ready,
    Reply,
    State,
    parse_duration,
)
from fleetfreedom.commands.companies import GetCompanyResponse
from fleetfreedom.errors import (
    AssetNotFound,
    CommandThrottled,
    LoggedOut,
    NotFoundError,
    PasswordExpired,
    SessionEndedError,
    SessionExpired,
    SessionThrottled,
)
from fleetfreedom.events import AssetGeneralMerged, Broadcast, SessionEnded

USER = {"login": "demo@acme.example", "company": 42, "name": "Demo"}


def frame(frame_name: str, /, **body: Any) -> str:
    return f"{frame_name} {json.dumps(body)}"


def connection_response(code: int = 8, **extra: Any) -> str:
    return frame(
        "connectionResponse", errorCode=code, message="", ghostId="g-1", expiry="2030-01-01T00:00:00Z", **extra
    )


def ready(**options: Any) -> Protocol:
    core = Protocol(backoff=Backoff(rng=random.Random(1)), **options)
    core.transport_opening()
    core.transport_opened(0.0)
    effects = core.receive(connection_response(), 0.0)
    assert effects == [Ready(resumed=False)]
    return core


def only(effects: list[Any], kind: type) -> Any:
    found = [e for e in effects if isinstance(e, kind)]
    assert len(found) == 1, effects
    return found[0]


def state_of(core: Protocol) -> State:
    """The state read afresh: mypy keeps an earlier ``assert core.state is ...`` across the calls that change it."""
    return core.state


def user_extra(core: Protocol, key: str) -> object:
    """A field of the logged-in user the schema does not declare (``name`` here), kept in ``model_extra``."""
    user = core.session.user
    assert user is not None
    return (user.model_extra or {}).get(key)


# --- state machine and connectionResponse ------------------------------------------------------------------------


def test_nothing_is_sent_before_connection_response() -> None:
    core = Protocol()
    core.transport_opening()
    core.transport_opened(0.0)
    with pytest.raises(NotConnected):
        core.prepare("getCompany", {"company": 42}, 0.0)
    core.receive(connection_response(), 0.0)
    assert core.state is State.READY
    assert core.session.ghost_id == "g-1" and not core.session.logged_in


@pytest.mark.parametrize("code", [0, 7, 8, 16])
def test_connection_response_codes_that_count_as_connected(code: int) -> None:
    core = Protocol()
    core.transport_opening()
    core.transport_opened(0.0)
    assert core.receive(connection_response(code), 0.0) == [Ready(resumed=False)]


def test_a_refused_first_connection_is_final_and_typed() -> None:
    core = Protocol()
    core.transport_opening()
    core.transport_opened(0.0)
    effects = core.receive(connection_response(73, errorDetails={"kind": "throttled", "timeout": "00:00:30"}), 0.0)
    assert only(effects, CloseTransport).final
    assert isinstance(core.closed_reason, SessionThrottled)
    core.transport_closed(0.0, "closed")
    assert core.state is State.CLOSED


def test_resume_of_an_expired_session_stops_reconnecting() -> None:
    core = ready()
    core.session = core.session.updated_from(type("R", (), {"user": _user(), "ghost_id": "g-1"})(), 0)
    assert core.session.logged_in
    core.transport_closed(1.0, "dropped")
    assert core.state is State.RECONNECTING
    assert core.plan_reconnect(1.0) is not None
    core.transport_opening()
    core.transport_opened(2.0)
    effects = core.receive(connection_response(7), 2.0)
    assert only(effects, CloseTransport).final
    assert isinstance(core.closed_reason, SessionExpired)
    core.transport_closed(2.0, "closed")
    assert state_of(core) is State.CLOSED and core.plan_reconnect(3.0) is None


def test_resumed_connection_says_so() -> None:
    core = ready()
    core.transport_closed(1.0, "dropped")
    core.plan_reconnect(1.0)
    core.transport_opening()
    core.transport_opened(2.0)
    assert core.receive(connection_response(8), 2.0) == [Ready(resumed=True)]


def _user() -> Any:
    from fleetfreedom.models.users import User

    return User.model_validate(USER)


# --- correlation -------------------------------------------------------------------------------------------------


def test_replies_are_matched_by_req_id_and_reply_name() -> None:
    core = ready()
    first = core.prepare("getCompany", {"company": 42}, 0.0)
    second = core.prepare("getAsset", {"asset": 7}, 0.0)
    assert first.req_id != second.req_id
    assert json.loads(first.frame.partition(" ")[2]) == {"reqId": first.req_id, "company": {"id": 42}}
    # the right reqId under the wrong name is not the reply
    wrong = core.receive(frame("getAssetResponse", reqId=first.req_id, errorCode=0), 0.0)
    assert not any(isinstance(e, Reply) for e in wrong)
    reply = only(core.receive(frame("getAssetResponse", reqId=second.req_id, errorCode=0, asset={"id": 7}), 0.0), Reply)
    assert reply.req_id == second.req_id and reply.error is None and reply.reply.asset.id == 7
    unknown = only(core.receive(frame("unknownCommandResponse", reqId=first.req_id, errorCode=61), 0.0), Reply)
    assert unknown.req_id == first.req_id and unknown.error is not None and unknown.error.code == 61


def test_error_codes_become_typed_exceptions_with_context() -> None:
    core = ready()
    out = core.prepare("getAsset", {"asset": 999}, 0.0)
    reply = only(core.receive(frame("getAssetResponse", reqId=out.req_id, errorCode=20, message="no such asset",
                                    errorDetails={"kind": "parse"}), 0.0), Reply)  # fmt: skip
    assert isinstance(reply.error, AssetNotFound) and isinstance(reply.error, NotFoundError)
    assert (reply.error.code, reply.error.message, reply.error.req_id, reply.error.command) == (
        20, "no such asset", out.req_id, "getAsset")  # fmt: skip
    assert reply.error.details.kind.value == "parse"


def test_req_ids_skip_those_still_pending_and_stay_positive() -> None:
    core = ready()
    core._next_req_id = 2_147_483_646
    a = core.prepare("noop", {}, 0.0).req_id
    b = core.prepare("noop", {}, 0.0).req_id
    assert (a, b) == (2_147_483_647, 1)


def test_a_late_reply_is_dropped_and_counted() -> None:
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    core.abandon(out.req_id)
    assert core.receive(frame("getCompanyResponse", reqId=out.req_id, errorCode=0), 0.0) == []
    assert core.stats.late_replies == 1


def test_pending_requests_fail_when_the_transport_closes() -> None:
    core = ready()
    ids = [core.prepare("getCompany", {"company": 42}, 0.0).req_id for _ in range(3)]
    assert sorted(core.transport_closed(1.0, "dropped")) == sorted(ids)
    assert core.pending_count() == 0


def test_invalid_requests_are_refused_before_anything_is_sent() -> None:
    core = ready()
    with pytest.raises(RequestError):
        core.prepare("getCompany", {"company": 42, "bogus": 1}, 0.0)
    with pytest.raises(RequestError):
        core.prepare("noSuchCommand", {}, 0.0)
    assert core.stats.frames_sent == 0


def test_a_successful_reply_that_does_not_match_the_schema_is_delivered_typed() -> None:
    """errorCode 0 never raises because of the reply's shape: the odd field is left out and kept aside."""
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    reply = only(core.receive(frame("getCompanyResponse", reqId=out.req_id, errorCode=0, company="nope"), 0.0), Reply)
    assert reply.error is None and isinstance(reply.reply, GetCompanyResponse)
    assert reply.reply.company is None and reply.reply.wire_mismatches == {"company": "nope"}
    assert core.stats.shape_mismatches == 1 and core.stats.unknown_frames == 0


# --- session -----------------------------------------------------------------------------------------------------


def test_login_and_own_account_updates_change_the_session() -> None:
    core = ready()
    out = core.prepare("login", {"username": "demo@acme.example", "password": "secret-pw"}, 0.0)
    assert "secret-pw" in out.frame  # sent once, in the login frame...
    core.receive(frame("loginResponse", reqId=out.req_id, errorCode=0, ghostId="g-2", user=USER), 0.0)
    kept = repr(core.session) + repr(vars(core))  # ...and kept nowhere once the login is answered
    assert core.session.logged_in and "secret-pw" not in kept
    assert core.session.logged_in and core.session.ghost_id == "g-2" and user_extra(core, "name") == "Demo"
    effects = core.receive(frame("sessionGeneralMerged", login="demo@acme.example", name="Renamed", v=[2]), 0.0)
    assert only(effects, Emit).event.data.name == "Renamed"
    assert user_extra(core, "name") == "Renamed"


def test_password_expired_login_keeps_the_connection_usable() -> None:
    core = ready()
    out = core.prepare("login", {"username": "demo@acme.example", "password": "old"}, 0.0)
    reply = only(core.receive(frame("loginResponse", reqId=out.req_id, errorCode=16, user=USER), 0.0), Reply)
    assert isinstance(reply.error, PasswordExpired)
    assert core.session.password_expired and core.ready
    out = core.prepare("updateOwnPassword", {"current": "old", "password": "new-pass-1"}, 0.0)
    core.receive(frame("updateOwnPasswordResponse", reqId=out.req_id, errorCode=0), 0.0)
    assert not core.session.password_expired


def test_session_ended_push_is_final() -> None:
    core = ready()
    effects = core.receive(frame("sessionEnded", ghostId="g-1"), 0.0)
    assert isinstance(only(effects, Emit).event, SessionEnded)
    assert only(effects, CloseTransport).final
    assert isinstance(core.closed_reason, SessionEndedError)
    core.transport_closed(0.0, "closed")
    assert core.state is State.CLOSED and core.plan_reconnect(1.0) is None


def test_logout_closes_for_good() -> None:
    core = ready()
    out = core.prepare("logout", {}, 0.0)
    effects = core.receive(frame("logoutResponse", reqId=out.req_id, errorCode=0), 0.0)
    assert only(effects, CloseTransport).final and isinstance(core.closed_reason, LoggedOut)


# --- subscriptions -----------------------------------------------------------------------------------------------


def test_only_accepted_subscription_types_are_remembered() -> None:
    core = ready()
    out = core.prepare("subscribe", {"company": 42, "subscriptionTypes": ["assetGeneral", "userGeneral"]}, 0.0)
    core.receive(frame("subscribeResponse", reqId=out.req_id, errorCode=0, company={"id": 42},
                       merged=["assetGeneral"], denied=["userGeneral"], invalid=[]), 0.0)  # fmt: skip
    assert core.subscriptions_to_renew() == [(42, ["assetGeneral"])]
    out = core.prepare("unsubscribe", {"company": 42, "subscriptionTypes": ["assetGeneral"]}, 0.0)
    core.receive(frame("unsubscribeResponse", reqId=out.req_id, errorCode=0, company={"id": 42},
                       removed=["assetGeneral"]), 0.0)  # fmt: skip
    assert core.subscriptions_to_renew() == []


# --- bad input ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "noSpace", "bad name {}", "getAsset {not json", "getAsset [1,2]", "x" * 5000, "\x00 {}", "a\u2028 {}"]
)
def test_malformed_frames_become_events_and_never_raise(text: str) -> None:
    core = ready()
    effects = core.receive(text, 0.0)
    assert isinstance(only(effects, Emit).event, MalformedFrame)
    assert core.stats.malformed_frames == 1 and core.ready


def test_unknown_frames_are_surfaced_and_bodies_that_do_not_validate_are_repaired() -> None:
    core = ready()
    event = only(core.receive(frame("brandNewThing", a=1), 0.0), Emit).event
    assert isinstance(event, UnknownFrame) and event.frame_name == "brandNewThing"
    event = only(core.receive(frame("assetGeneralMerged", id="not-a-number", name="T"), 0.0), Emit).event
    assert isinstance(event, AssetGeneralMerged) and event.data.id is None and event.data.name == "T"
    assert event.data.wire_mismatches == {"id": "not-a-number"} and core.stats.shape_mismatches == 1
    event = only(core.receive(frame("assetGeneralMerged", id=7, company=42, name="T", v=[1]), 0.0), Emit).event
    assert isinstance(event, AssetGeneralMerged) and event.data.id == 7


# --- throttling, maintenance, backoff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:00:30", 30.0), ("1.02:00:00", 93600.0), ("PT1M30S", 90.0), (12, 12.0), ("2.5", 2.5), (None, None)],
)
def test_durations(text: Any, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_command_throttling_holds_that_command_back() -> None:
    core = ready()
    out = core.prepare("getAsset", {"asset": 1}, 10.0)
    details = {"kind": "throttled", "command": "getAsset", "timeout": "00:00:05"}
    reply = only(core.receive(frame("getAssetResponse", reqId=out.req_id, errorCode=105, errorDetails=details), 10.0),
                 Reply)  # fmt: skip
    assert isinstance(reply.error, CommandThrottled)
    assert core.send_delay("getAsset", 10.0) == pytest.approx(5.0)
    assert core.send_delay("getCompany", 10.0) == 0.0


def test_backoff_grows_with_jitter_and_a_floor_and_resets_after_a_healthy_session() -> None:
    backoff = Backoff(base=1.0, cap=30.0, floor=0.25, healthy_after=60.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(0.25 <= d <= 30.0 for d in delays)
    assert all(d <= min(30.0, 2.0**i) for i, d in enumerate(delays))
    assert len(set(delays)) == len(delays)  # jittered
    assert max(delays[6:]) > 4 * max(delays[:2])  # growing
    backoff.connected(100.0)
    backoff.lost(110.0)  # up 10 s only: keep growing
    assert backoff.attempt == 12
    backoff.connected(200.0)
    backoff.lost(300.0)  # a healthy session: start over
    assert backoff.attempt == 0
    with pytest.raises(ValueError):
        Backoff(floor=0.0)


def test_maintenance_broadcast_pauses_reconnects_until_it_ends() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    core = ready(clock=lambda: now)
    ending = (now + timedelta(minutes=10)).isoformat()
    effects = core.receive(frame("broadcast", kind="maintenance", starting=now.isoformat(), ending=ending), 5.0)
    assert isinstance(only(effects, Emit).event, Broadcast)
    core.transport_closed(6.0, "server going down")
    plan = core.plan_reconnect(6.0)
    assert plan is not None and plan.delay >= 599.0


def test_keepalive_noop_after_idle_and_silence_detection() -> None:
    core = ready(keepalive=10.0, silence_limit=5.0)
    assert core.next_check(0.0) == pytest.approx(10.0)
    assert core.tick(5.0) is None
    noop = core.tick(10.0)
    assert isinstance(noop, Outgoing) and noop.frame.startswith("noop ")
    assert core.pending_count() == 0  # nobody waits for a keep-alive reply
    close = core.tick(15.0)
    assert isinstance(close, CloseTransport) and not close.final
    core.receive(frame("noopResponse", reqId=noop.req_id, errorCode=0), 12.0)
    assert core.tick(16.0) is None  # the server answered: alive
    assert core.stats.late_replies == 0


def test_connection_lost_message_names_the_reason() -> None:
    from fleetfreedom._protocol import connection_lost

    error = connection_lost("connection dropped without a close frame")
    assert isinstance(error, ConnectionLost) and "dropped" in str(error)
