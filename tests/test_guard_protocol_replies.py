"""The protocol core's handling of replies and incoming frames, exactly (issue 20: mutation testing found these
paths unguarded): which pending request a frame answers, the effects and typed errors a reply becomes, what the
session, the subscriptions and the throttle learn from it, and the events and counters for frames nobody asked for.

The core is sans-I/O: frames go in as text and effects come out, as in tests/test_client_protocol.py. Where the
codec of the shipped schema cannot produce an input (a known reply that does not build at all, since no response
class has a required field), ``untyped`` makes the decoder answer as ``_codec._validate`` does for such a body: an
``UnknownFrame`` with the reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fleetfreedom import FrameError, MalformedFrame, UnknownFrame
from fleetfreedom._protocol import CloseTransport, Emit, Protocol, Reply, State
from fleetfreedom.commands.companies import GetCompanyResponse
from fleetfreedom.commands.self import LoginResponse
from fleetfreedom.errors import (
    ApiError,
    AssetNotFound,
    CommandThrottled,
    InvalidCredentials,
    LoggedOut,
    SessionThrottled,
    UserNotLoggedIn,
)
from fleetfreedom.events import AssetGeneralMerged
from test_client_protocol import USER, frame, only, ready, state_of

Untyped = Callable[[str], None]


@pytest.fixture
def untyped(monkeypatch: pytest.MonkeyPatch) -> Untyped:
    """``untyped(name)``: frames called ``name`` decode as a body that could not build its class (reason given)."""
    import fleetfreedom._protocol as protocol

    names: set[str] = set()
    from fleetfreedom._codec import decode_reporting as decode

    def decode_reporting(text: str) -> Any:
        name, _, body = text.partition(" ")
        if name in names:
            return name, UnknownFrame(name, json.loads(body), reason="cannot build it: company: Field required"), ()
        return decode(text)

    monkeypatch.setattr(protocol, "decode_reporting", decode_reporting)
    return names.add


def reply_of(effects: list[Any]) -> Reply:
    found: Reply = only(effects, Reply)
    return found


# --- which request a frame answers (_match) ----------------------------------------------------------------------


def test_a_reply_answers_its_request_once() -> None:
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    text = frame("getCompanyResponse", reqId=out.req_id, errorCode=0, company={"id": 42})
    assert reply_of(core.receive(text, 0.0)).req_id == out.req_id
    assert core.pending_count() == 0
    assert core.receive(text, 0.0) == []  # the same reqId again: nobody waits for it any more
    assert core.stats.late_replies == 1


def test_a_raw_reply_whose_req_id_is_not_an_integer_answers_nothing() -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 0.0)
    assert out.req_id == 1
    for req_id in (True, "1", 1.0, None):  # True == 1 in Python: still not the reqId 1
        assert core.receive(frame("brandNewCommandResponse", reqId=req_id), 0.0) == []
    assert core.pending_count() == 1 and core.stats.late_replies == 4  # each one named and numbered as a reply
    assert core.stats.unknown_frames == 0
    reply = reply_of(core.receive(frame("brandNewCommandResponse", reqId=1), 0.0))
    assert reply.req_id == 1 and core.pending_count() == 0


def test_unknown_command_response_answers_any_pending_command() -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 0.0)
    reply = reply_of(core.receive(frame("unknownCommandResponse", reqId=out.req_id, errorCode=61), 0.0))
    assert reply.command == "brandNewCommand" and reply.frame_name == "unknownCommandResponse"
    assert isinstance(reply.error, ApiError) and reply.error.code == 61


def test_a_typed_reply_under_another_name_is_not_the_answer() -> None:
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    assert core.receive(frame("getAssetResponse", reqId=out.req_id, errorCode=0), 0.0) == []
    assert core.pending_count() == 1 and core.stats.late_replies == 1


# --- replies of commands the schema does not know (raw) ----------------------------------------------------------


def test_a_raw_success_reply_carries_the_body_as_sent() -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {"a": 1}, 0.0)
    text = frame("brandNewCommandResponse", reqId=out.req_id, errorCode=0, answer=[1, 2])
    body = {"reqId": out.req_id, "errorCode": 0, "answer": [1, 2]}
    assert core.receive(text, 0.0) == [Reply(out.req_id, "brandNewCommand", "brandNewCommandResponse", text, data=body)]


@pytest.mark.parametrize("code", ["20", True, None, 2.5])
def test_a_raw_reply_whose_error_code_is_not_an_integer_succeeds(code: object) -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 0.0)
    reply = reply_of(core.receive(frame("brandNewCommandResponse", reqId=out.req_id, errorCode=code), 0.0))
    assert reply.error is None and reply.data == {"reqId": out.req_id, "errorCode": code}


def test_a_raw_error_reply_is_the_typed_exception_with_its_context() -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 0.0)
    details = {"kind": "parse", "field": "asset"}
    text = frame("brandNewCommandResponse", reqId=out.req_id, errorCode=20, message="gone", errorDetails=details)
    reply = reply_of(core.receive(text, 0.0))
    body = {"reqId": out.req_id, "errorCode": 20, "message": "gone", "errorDetails": details}
    assert (reply.req_id, reply.command, reply.frame_name, reply.text) == (
        out.req_id, "brandNewCommand", "brandNewCommandResponse", text)  # fmt: skip
    assert reply.data == body and reply.reply is None
    error = reply.error
    assert isinstance(error, AssetNotFound)
    assert (error.code, error.message, error.command, error.req_id) == (20, "gone", "brandNewCommand", out.req_id)
    assert error.details == details and error.reply == body
    assert str(error) == "brandNewCommand: gone (errorCode 20)"


@pytest.mark.parametrize("message", [5, None])
def test_a_raw_error_reply_without_a_text_message_has_an_empty_one(message: object) -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 0.0)
    reply = reply_of(
        core.receive(frame("brandNewCommandResponse", reqId=out.req_id, errorCode=20, message=message), 0.0)
    )
    assert isinstance(reply.error, AssetNotFound) and reply.error.message == ""
    assert reply.error.details is None


def test_a_raw_command_throttle_holds_that_command_back_from_now() -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 10.0)
    details = {"kind": "throttled", "timeout": "00:00:07"}
    reply = reply_of(core.receive(frame("brandNewCommandResponse", reqId=out.req_id, errorCode=105,
                                        errorDetails=details), 10.0))  # fmt: skip
    assert isinstance(reply.error, CommandThrottled)
    assert core.send_delay("brandNewCommand", 10.0) == 7.0
    assert core.send_delay("getCompany", 10.0) == 0.0


def test_a_raw_session_throttle_holds_every_command_back() -> None:
    core = ready()
    out = core.prepare_raw("brandNewCommand", {}, 10.0)
    details = {"kind": "throttled", "timeout": "00:00:07"}
    core.receive(frame("brandNewCommandResponse", reqId=out.req_id, errorCode=73, errorDetails=details), 10.0)
    assert core.send_delay("getCompany", 12.0) == 5.0


def test_a_known_reply_that_does_not_build_fails_the_call_with_a_frame_error(
    untyped: Untyped, caplog: pytest.LogCaptureFixture
) -> None:
    untyped("getCompanyResponse")
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    text = frame("getCompanyResponse", reqId=out.req_id, errorCode=0)
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        reply = reply_of(core.receive(text, 0.0))
    problem = "the getCompanyResponse reply does not match the schema (cannot build it: company: Field required)"
    assert isinstance(reply.error, FrameError) and reply.error.problem == problem
    assert reply.data == {"reqId": out.req_id, "errorCode": 0} and reply.reply is None
    assert (reply.req_id, reply.command, reply.frame_name, reply.text) == (
        out.req_id, "getCompany", "getCompanyResponse", text)  # fmt: skip
    assert [r.getMessage() for r in caplog.records] == [f"fleetfreedom: {problem}"]
    assert core.ready  # one call fails, not the connection


def test_a_known_error_reply_that_does_not_build_is_still_the_typed_error(untyped: Untyped) -> None:
    untyped("getCompanyResponse")
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    reply = reply_of(core.receive(frame("getCompanyResponse", reqId=out.req_id, errorCode=28, message="no"), 0.0))
    assert isinstance(reply.error, ApiError) and reply.error.code == 28


def test_an_unknown_command_response_that_does_not_build_is_no_schema_fault(untyped: Untyped) -> None:
    untyped("unknownCommandResponse")
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    reply = reply_of(core.receive(frame("unknownCommandResponse", reqId=out.req_id), 0.0))
    assert reply.error is None and reply.data == {"reqId": out.req_id}


# --- typed replies -----------------------------------------------------------------------------------------------


def test_a_typed_success_reply_is_delivered_as_is() -> None:
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    text = frame("getCompanyResponse", reqId=out.req_id, errorCode=0, company={"id": 42, "name": "Acme"})
    effects = core.receive(text, 0.0)
    reply = reply_of(effects)
    assert effects == [Reply(out.req_id, "getCompany", "getCompanyResponse", text, reply=reply.reply)]
    assert isinstance(reply.reply, GetCompanyResponse) and reply.reply.company is not None
    assert reply.reply.company.name == "Acme"


def test_a_typed_error_reply_keeps_the_reply_and_its_details() -> None:
    core = ready()
    out = core.prepare("getAsset", {"asset": 9}, 0.0)
    text = frame("getAssetResponse", reqId=out.req_id, errorCode=20, errorDetails={"kind": "parse"})
    reply = reply_of(core.receive(text, 0.0))
    assert (reply.req_id, reply.command, reply.frame_name, reply.text, reply.data) == (
        out.req_id, "getAsset", "getAssetResponse", text, None)  # fmt: skip
    error = reply.error
    assert isinstance(error, AssetNotFound) and error.message == ""  # no message sent
    assert error.reply is reply.reply and reply.reply is not None
    assert error.details is reply.reply.error_details and error.details is not None


def test_a_typed_session_throttle_holds_every_command_back_from_now() -> None:
    core = ready()
    out = core.prepare("getAsset", {"asset": 9}, 10.0)
    details = {"kind": "throttled", "timeout": "00:00:07"}
    reply = reply_of(
        core.receive(frame("getAssetResponse", reqId=out.req_id, errorCode=73, errorDetails=details), 10.0)
    )
    assert isinstance(reply.error, SessionThrottled)
    assert core.send_delay("getCompany", 10.0) == 7.0


def test_a_keepalive_reply_resolves_nothing_even_when_it_is_an_error() -> None:
    core = ready(keepalive=10.0)
    noop = core.tick(10.0)
    assert noop is not None and not isinstance(noop, CloseTransport)
    details = {"kind": "throttled", "timeout": "00:00:30"}
    assert core.receive(frame("noopResponse", reqId=noop.req_id, errorCode=105, errorDetails=details), 11.0) == []
    assert core.send_delay("noop", 11.0) == 0.0 and core.stats.late_replies == 0


# --- account replies (_account_reply) ----------------------------------------------------------------------------


def test_a_refused_login_without_a_ghost_id_leaves_the_session_alone() -> None:
    core = ready()
    before = core.session
    out = core.prepare("login", {"username": "demo@acme.example", "password": "bad"}, 0.0)
    effects = core.receive(frame("loginResponse", reqId=out.req_id, errorCode=11, message="wrong password"), 0.0)
    reply = reply_of(effects)
    assert effects == [reply] and isinstance(reply.error, InvalidCredentials)
    assert isinstance(reply.reply, LoginResponse) and reply.error.reply is reply.reply
    assert core.session == before and core.ready


def test_a_refused_login_with_a_ghost_id_is_the_new_anonymous_session() -> None:
    core = ready()
    out = core.prepare("login", {"username": "demo@acme.example", "password": "bad"}, 0.0)
    core.receive(frame("loginResponse", reqId=out.req_id, errorCode=11, message="wrong", ghostId="g-3"), 0.0)
    assert (core.session.ghost_id, core.session.code, core.session.message) == ("g-3", 11, "wrong")
    assert not core.session.logged_in


def test_a_login_with_an_expired_password_updates_the_session() -> None:
    core = ready()
    out = core.prepare("login", {"username": "demo@acme.example", "password": "old"}, 0.0)
    core.receive(frame("loginResponse", reqId=out.req_id, errorCode=16, user=USER), 0.0)
    assert core.session.code == 16 and core.session.user is not None and core.session.ghost_id == "g-1"


def test_session_details_replace_the_session() -> None:
    core = ready()
    out = core.prepare("getSessionDetails", {}, 0.0)
    effects = core.receive(frame("getSessionDetailsResponse", reqId=out.req_id, errorCode=0, ghostId="g-5",
                                 user=USER), 0.0)  # fmt: skip
    assert effects == [reply_of(effects)] and reply_of(effects).error is None
    assert core.session.logged_in and core.session.ghost_id == "g-5" and core.session.code == 0


def test_a_logout_closes_for_good_and_forgets_the_user() -> None:
    core = ready()
    out = core.prepare("login", {"username": "demo@acme.example", "password": "pw"}, 0.0)
    core.receive(frame("loginResponse", reqId=out.req_id, errorCode=0, ghostId="g-2", user=USER), 0.0)
    assert core.session.logged_in
    out = core.prepare("logout", {}, 0.0)
    text = frame("logoutResponse", reqId=out.req_id, errorCode=0)
    effects = core.receive(text, 0.0)
    reply = reply_of(effects)
    assert effects == [reply, CloseTransport("logged out", final=True)]
    assert reply.error is None and reply.command == "logout"
    assert isinstance(core.closed_reason, LoggedOut)
    assert (core.closed_reason.code, core.closed_reason.message) == (10, "logged out")
    assert core.session.user is None and core.session.machine is None and core.session.code == 8
    assert core.session.ghost_id == "g-2"  # the reply carries no session fields: the rest stays
    assert state_of(core) is State.CLOSING


def test_a_refused_logout_keeps_the_connection_and_the_session() -> None:
    core = ready()
    before = core.session
    out = core.prepare("logout", {}, 0.0)
    effects = core.receive(frame("logoutResponse", reqId=out.req_id, errorCode=8, message="not logged in"), 0.0)
    reply = reply_of(effects)
    assert effects == [reply] and isinstance(reply.error, UserNotLoggedIn)
    assert core.closed_reason is None and core.ready and core.session == before


# --- subscriptions and the own password --------------------------------------------------------------------------


def subscribe(core: Protocol, merged: list[str], company: Any = None, code: int = 0) -> list[Any]:
    out = core.prepare("subscribe", {"company": 42, "subscriptionTypes": ["assetGeneral"]}, 0.0)
    body: dict[str, Any] = {"reqId": out.req_id, "errorCode": code, "merged": merged}
    if company is not None:
        body["company"] = company
    effects = core.receive(frame("subscribeResponse", **body), 0.0)
    assert reply_of(effects).command == "subscribe"  # answered, whatever it held
    return effects


def unsubscribe(core: Protocol, removed: list[str] | None, company: Any = None) -> list[Any]:
    out = core.prepare("unsubscribe", {"company": 42, "subscriptionTypes": ["assetGeneral"]}, 0.0)
    body: dict[str, Any] = {"reqId": out.req_id, "errorCode": 0}
    if removed is not None:
        body["removed"] = removed
    if company is not None:
        body["company"] = company
    effects = core.receive(frame("unsubscribeResponse", **body), 0.0)
    assert reply_of(effects).error is None  # answered, whatever it held
    return effects


def test_accepted_subscriptions_add_up_per_company() -> None:
    core = ready()
    subscribe(core, ["assetGeneral"], {"id": 42})
    subscribe(core, ["placeGeneral", "brandNewType"], {"id": 42})
    subscribe(core, ["userGeneral"], {"id": 7})
    assert core.subscriptions_to_renew() == [
        (7, ["userGeneral"]), (42, ["assetGeneral", "brandNewType", "placeGeneral"])]  # fmt: skip


@pytest.mark.parametrize(
    ("merged", "company", "code"),
    [
        ([], {"id": 42}, 0),
        (["assetGeneral"], None, 0),
        (["assetGeneral"], {"id": "x"}, 0),
        (["assetGeneral"], {"id": 42}, 5),
    ],
    ids=["nothing-merged", "no-company", "company-without-id", "refused"],
)
def test_a_subscription_reply_without_an_accepted_type_holds_nothing(
    merged: list[str], company: Any, code: int
) -> None:
    core = ready()
    subscribe(core, merged, company, code)
    assert core.subscriptions == {} and core.subscriptions_to_renew() == []


def test_unsubscribing_removes_only_the_types_removed() -> None:
    core = ready()
    subscribe(core, ["assetGeneral", "placeGeneral", "brandNewType"], {"id": 42})
    subscribe(core, ["userGeneral"], {"id": 7})
    unsubscribe(core, ["assetGeneral", "brandNewType"], {"id": 42})
    assert core.subscriptions_to_renew() == [(7, ["userGeneral"]), (42, ["placeGeneral"])]
    unsubscribe(core, None, {"id": 42})  # nothing removed
    unsubscribe(core, ["placeGeneral"], None)  # no company: nothing to go by
    unsubscribe(core, ["placeGeneral"], {"id": 8})  # a company not held
    assert core.subscriptions_to_renew() == [(7, ["userGeneral"]), (42, ["placeGeneral"])]
    unsubscribe(core, ["placeGeneral"], {"id": 42})
    assert core.subscriptions == {7: {"userGeneral"}}


def test_changing_an_expired_password_makes_the_session_usable() -> None:
    core = ready()
    out = core.prepare("login", {"username": "demo@acme.example", "password": "old"}, 0.0)
    core.receive(frame("loginResponse", reqId=out.req_id, errorCode=16, user=USER), 0.0)
    out = core.prepare("getCompany", {"company": 42}, 0.0)  # another command changes nothing
    core.receive(frame("getCompanyResponse", reqId=out.req_id, errorCode=0), 0.0)
    assert core.session.code == 16
    out = core.prepare("updateOwnPassword", {"current": "old", "password": "new-pass-1"}, 0.0)
    core.receive(frame("updateOwnPasswordResponse", reqId=out.req_id, errorCode=15), 0.0)  # refused: still expired
    assert core.session.code == 16
    out = core.prepare("updateOwnPassword", {"current": "old", "password": "new-pass-2"}, 0.0)
    core.receive(frame("updateOwnPasswordResponse", reqId=out.req_id, errorCode=0), 0.0)
    assert core.session.code == 0 and core.session.logged_in


def test_changing_the_password_before_login_does_not_log_in() -> None:
    core = ready()
    out = core.prepare("updateOwnPassword", {"current": "old", "password": "new-pass-1"}, 0.0)
    core.receive(frame("updateOwnPasswordResponse", reqId=out.req_id, errorCode=0), 0.0)
    assert core.session.code == 8


# --- frames nobody asked for (_dispatch) -------------------------------------------------------------------------


def test_an_unknown_frame_is_an_event_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    with caplog.at_level(logging.INFO, logger="fleetfreedom"):
        effects = core.receive(frame("brandNewThing", reqId=3, a=1), 0.0)
    event = only(effects, Emit).event
    assert effects == [Emit(event)] and event == UnknownFrame("brandNewThing", {"reqId": 3, "a": 1})
    assert (core.stats.unknown_frames, core.stats.late_replies) == (1, 0)
    assert [r.getMessage() for r in caplog.records] == ["fleetfreedom: frame not typed: brandNewThing (unknown name)"]
    core.receive(frame("otherNewThing"), 0.0)
    assert (core.stats.unknown_frames, core.stats.late_replies) == (2, 0)


def test_an_unknown_frame_named_like_a_reply_without_a_req_id_is_an_event() -> None:
    core = ready()
    event = only(core.receive(frame("brandNewCommandResponse", a=1), 0.0), Emit).event
    assert event == UnknownFrame("brandNewCommandResponse", {"a": 1})
    assert (core.stats.unknown_frames, core.stats.late_replies) == (1, 0)


def test_a_late_untyped_reply_is_dropped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    with caplog.at_level(logging.DEBUG, logger="fleetfreedom"):
        assert core.receive(frame("brandNewCommandResponse", reqId=12), 0.0) == []
    assert (core.stats.unknown_frames, core.stats.late_replies) == (0, 1)
    said = [r.getMessage() for r in caplog.records]
    assert said == ["fleetfreedom: dropped a reply nobody waits for: brandNewCommandResponse reqId 12"]


def test_a_late_typed_reply_is_dropped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    with caplog.at_level(logging.DEBUG, logger="fleetfreedom"):
        assert core.receive(frame("getCompanyResponse", reqId=12, errorCode=0), 0.0) == []
    assert (core.stats.unknown_frames, core.stats.late_replies) == (0, 1)
    said = [r.getMessage() for r in caplog.records]
    assert said == ["fleetfreedom: dropped a reply nobody waits for: getCompanyResponse reqId 12"]
    core.receive(frame("getAssetResponse", reqId=13, errorCode=0), 0.0)
    assert (core.stats.unknown_frames, core.stats.late_replies) == (0, 2)


def test_a_push_answers_no_request_even_with_a_matching_req_id() -> None:
    core = ready()
    out = core.prepare("getCompany", {"company": 42}, 0.0)
    effects = core.receive(frame("assetGeneralMerged", id=7, company=42, v=[1], reqId=out.req_id), 0.0)
    assert isinstance(only(effects, Emit).event, AssetGeneralMerged) and effects == [only(effects, Emit)]
    assert core.pending_count() == 1


# --- receive ------------------------------------------------------------------------------------------------------


def test_every_frame_is_counted_and_moves_the_keepalive_deadline() -> None:
    core = ready(keepalive=10.0, silence_limit=5.0)
    assert core.stats.frames_received == 1  # the connectionResponse
    core.receive(frame("brandNewThing"), 7.0)
    assert core.stats.frames_received == 2 and core.next_check(7.0) == 10.0
    core.receive("not a frame", 9.0)
    assert core.stats.frames_received == 3 and core.next_check(9.0) == 10.0
    problem = "binary frame of 4 bytes (the API sends text frames only)"
    assert core.receive_binary(4, 12.0) == [Emit(MalformedFrame(problem=problem, frame=""))]
    assert core.stats.frames_received == 4 and core.next_check(12.0) == 10.0


def test_a_frame_that_is_not_well_formed_is_reported_with_the_codec_problem(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    text = "getCompanyResponse [1]"
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        effects = core.receive(text, 0.0)
    assert effects == [Emit(MalformedFrame(problem="frame body is not a JSON object", frame=text))]
    assert core.stats.malformed_frames == 1
    said = "fleetfreedom: skipped a malformed frame: frame body is not a JSON object: 'getCompanyResponse [1]'"
    assert [r.getMessage() for r in caplog.records] == [said]


def test_a_long_malformed_frame_is_logged_shortened_and_delivered_whole(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    text = "getCompanyResponse [" + "1," * 150 + "1]"  # 321 characters
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        event = only(core.receive(text, 0.0), Emit).event
    assert event.frame == text
    assert caplog.records[0].args == ("frame body is not a JSON object", text[:197] + "...")
    exactly = "x" * 181 + " [" + "1" * 16 + "]"  # 200 characters: logged whole
    assert len(exactly) == 200
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        core.receive(exactly, 0.0)
    assert caplog.records[-1].args[-1] == exactly  # type: ignore[index]
    longer = exactly.replace("[", "[1", 1)  # 201 characters: shortened
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        core.receive(longer, 0.0)
    assert caplog.records[-1].args[-1] == longer[:197] + "..."  # type: ignore[index]
    assert core.stats.malformed_frames == 3


def test_a_decoder_failure_is_a_malformed_frame(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import fleetfreedom._protocol as protocol

    def broken(text: str) -> Any:
        raise RuntimeError("boom")

    core = ready()
    monkeypatch.setattr(protocol, "decode_reporting", broken)
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        effects = core.receive("getCompanyResponse {}", 0.0)
    problem = "could not decode the frame (RuntimeError: boom)"
    assert effects == [Emit(MalformedFrame(problem=problem, frame="getCompanyResponse {}"))]
    assert core.stats.malformed_frames == 1
    logged = caplog.records[0]
    assert logged.getMessage() == "fleetfreedom: could not decode a frame" and logged.exc_info is not None


def test_a_failure_while_handling_a_frame_is_a_malformed_frame(caplog: pytest.LogCaptureFixture) -> None:
    def clock() -> Any:
        raise RuntimeError("no clock")

    core = ready(clock=clock)
    text = frame("broadcast", kind="maintenance", starting="2030-01-01T00:00:00Z", ending="2030-01-01T01:00:00Z")
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        effects = core.receive(text, 0.0)
    problem = "could not handle broadcast (RuntimeError: no clock)"
    assert effects == [Emit(MalformedFrame(problem=problem, frame=text))]
    assert core.stats.malformed_frames == 1 and core.ready
    logged = caplog.records[0]
    assert logged.getMessage() == "fleetfreedom: could not handle a broadcast frame" and logged.exc_info is not None


def test_fields_that_do_not_match_are_counted_each_time_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        core.receive(frame("assetGeneralMerged", id="x", name=5, v=[1]), 0.0)
        core.receive(frame("assetGeneralMerged", id="y", v=[2]), 0.0)
        core.receive(frame("placeGeneralMerged", id="z", v=[1]), 0.0)
    assert core.stats.shape_mismatches == 4
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 3, said
    assert said[0].startswith("fleetfreedom: AssetGeneral.id does not match the schema (Input should be a valid")
    assert said[0].endswith(
        "; string sent, first seen in assetGeneralMerged at id): delivered without it, the value as sent is in "
        ".wire_mismatches"
    )
    assert said[1].startswith("fleetfreedom: AssetGeneral.name does not match the schema")
    assert said[2].startswith("fleetfreedom: Place.id does not match the schema")
