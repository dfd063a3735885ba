"""The connectionResponse, exactly (issue 20: mutation testing found these paths unguarded): which codes give a
usable connection (user and machine sessions), which refusals are final and which are retried, a resumed session
that is gone, the throttle a refusal carries, and what the session and the backoff learn from an accepted one.

Sans-I/O as in tests/test_client_protocol.py: frames go in as text, effects come out.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from fleetfreedom import UnknownFrame
from fleetfreedom._protocol import Backoff, CloseTransport, Protocol, Ready, State
from fleetfreedom.errors import (
    ApiError,
    InvalidCredentials,
    InvalidPermission,
    ServiceError,
    SessionEndedError,
    SessionExpired,
    SessionKilled,
    SessionThrottled,
    UserNotLoggedIn,
)
from test_client_protocol import USER, connection_response, frame, only, ready, state_of


def hello(code: int, **fields: Any) -> str:
    """A connectionResponse as ``connection_response`` sends it, with any of its fields replaced."""
    body = {"errorCode": code, "message": "", "ghostId": "g-1", "expiry": "2030-01-01T00:00:00Z", **fields}
    return frame("connectionResponse", **body)


def opened(**options: Any) -> Protocol:
    """A core whose first connection is open and waits for the connectionResponse."""
    core = Protocol(backoff=Backoff(rng=random.Random(1)), **options)
    core.transport_opening()
    core.transport_opened(0.0)
    return core


def reopened(core: Protocol, now: float) -> Protocol:
    """``core`` after its connection dropped, opened again and waiting for the connectionResponse."""
    core.transport_closed(now, "dropped")
    assert core.plan_reconnect(now) is not None
    core.transport_opening()
    core.transport_opened(now)
    return core


def logged_in(**options: Any) -> Protocol:
    core = opened(**options)
    assert core.receive(connection_response(0, user=USER), 0.0) == [Ready(resumed=False)]
    assert core.session.logged_in
    return core


def machine() -> Protocol:
    core = opened(machine=True)
    assert core.receive(connection_response(0, machine={"key": "k-1"}), 0.0) == [Ready(resumed=False)]
    return core


def closes(effects: list[Any], final: bool) -> CloseTransport:
    close: CloseTransport = only(effects, CloseTransport)
    assert effects == [close] and close.final is final
    return close


# --- accepted --------------------------------------------------------------------------------------------------


def test_an_accepted_connection_takes_the_session_from_the_payload() -> None:
    core = opened()
    text = connection_response(0, user=USER, serverTime="2030-01-01T00:00:05Z")
    assert core.receive(text, 3.0) == [Ready(resumed=False)]
    session = core.session
    assert (session.ghost_id, session.code, session.message) == ("g-1", 0, "")
    assert session.expiry == datetime(2030, 1, 1, tzinfo=UTC)
    assert session.server_time == datetime(2030, 1, 1, 0, 0, 5, tzinfo=UTC)
    assert session.logged_in and state_of(core) is State.READY and core.resumable


def test_an_accepted_connection_counts_as_up_from_now_for_the_backoff() -> None:
    core = ready()
    reopened(core, 0.5)  # up for half a second: flapping, the count goes on
    assert core.backoff.attempt == 1
    assert core.receive(connection_response(8), 100.0) == [Ready(resumed=True)]
    core.transport_closed(100.5, "dropped")  # half a second after THIS acceptance: flapping again
    assert core.backoff.attempt == 1
    core.plan_reconnect(100.5)
    core.transport_opening()
    core.transport_opened(200.0)
    core.receive(connection_response(8), 200.0)
    core.transport_closed(201.0, "dropped")  # served a second: healthy, the count starts afresh
    assert core.backoff.attempt == 0


def test_a_second_connection_response_on_one_connection_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    core = ready()
    before = core.session
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        assert core.receive(hello(11, ghostId="g-9"), 1.0) == []
    assert core.session == before and core.closed_reason is None and core.ready
    assert [r.getMessage() for r in caplog.records] == ["fleetfreedom: ignored a connectionResponse in state ready"]


@pytest.mark.parametrize("code", [7, 8])
def test_resuming_a_logged_in_session_the_server_forgot_is_final(code: int) -> None:
    core = reopened(logged_in(), 1.0)
    details = {"kind": "parse"}
    close = closes(core.receive(hello(code, message="forgotten", errorDetails=details), 2.0), final=True)
    error = core.closed_reason
    assert isinstance(error, SessionExpired if code == 7 else UserNotLoggedIn)
    assert (error.code, error.message, error.command) == (code, "forgotten", "connectionResponse")
    assert error.details is not None and error.details.kind.value == "parse"
    assert close.reason == str(error) == f"connectionResponse: forgotten (errorCode {code})"
    assert core.session.logged_in  # the session as it was: the refused reply is not taken in
    assert state_of(core) is State.CLOSING


@pytest.mark.parametrize("code", [0, 16])
def test_resuming_a_logged_in_session_that_is_still_there(code: int) -> None:
    core = reopened(logged_in(), 1.0)
    assert core.receive(hello(code, ghostId="g-2"), 2.0) == [Ready(resumed=True)]
    assert core.session.ghost_id == "g-2" and core.session.code == code


def test_resuming_a_session_that_never_logged_in_needs_no_login() -> None:
    core = reopened(ready(), 1.0)
    assert core.receive(connection_response(7), 2.0) == [Ready(resumed=True)]
    assert core.session.code == 7


# --- refused -----------------------------------------------------------------------------------------------------


def test_a_refused_first_connection_is_final_with_the_typed_error() -> None:
    core = opened()
    details = {"kind": "parse"}
    text = frame("connectionResponse", errorCode=11, message="who are you", errorDetails=details)
    close = closes(core.receive(text, 0.0), final=True)
    error = core.closed_reason
    assert isinstance(error, InvalidCredentials)
    assert (error.code, error.message, error.command) == (11, "who are you", "connectionResponse")
    assert error.details is not None and error.details.kind.value == "parse"
    assert close.reason == "connectionResponse: who are you (errorCode 11)"
    assert state_of(core) is State.CLOSING and not core.resumable


@pytest.mark.parametrize(("code", "kind"), [(2, ServiceError), (11, InvalidCredentials), (4, InvalidPermission)])
def test_a_refused_reconnect_of_a_user_session_is_retried(code: int, kind: type) -> None:
    core = reopened(ready(), 1.0)
    close = closes(core.receive(connection_response(code), 2.0), final=False)
    assert close.reason == str(kind(code, "", command="connectionResponse"))
    assert core.closed_reason is None and state_of(core) is State.AWAITING_CONNECTION_RESPONSE
    core.transport_closed(2.0, "closed")
    assert state_of(core) is State.RECONNECTING


@pytest.mark.parametrize("code", [9, 19])
def test_a_reconnect_to_an_ended_session_is_final(code: int) -> None:
    core = reopened(ready(), 1.0)
    closes(core.receive(connection_response(code), 2.0), final=True)
    assert isinstance(core.closed_reason, SessionEndedError) and core.closed_reason.code == code
    assert isinstance(core.closed_reason, SessionKilled) is (code == 9)


def test_a_session_throttle_on_reconnect_is_retried_after_the_window() -> None:
    core = reopened(ready(), 1.0)
    details = {"kind": "throttled", "timeout": "00:00:30"}
    closes(core.receive(connection_response(73, errorDetails=details), 2.0), final=False)
    assert core.closed_reason is None
    assert core.send_delay("getCompany", 2.0) == 30.0
    core.transport_closed(2.0, "closed")
    plan = core.plan_reconnect(2.0)
    assert plan is not None and plan.delay >= 30.0


def test_a_refused_first_connection_is_typed_even_when_throttled() -> None:
    core = opened()
    closes(core.receive(connection_response(73, errorDetails={"kind": "throttled", "timeout": "00:00:30"}), 0.0),
           final=True)  # fmt: skip
    assert isinstance(core.closed_reason, SessionThrottled)


# --- machine sessions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [7, 8, 16])
def test_a_machine_is_connected_only_by_success(code: int) -> None:
    core = opened(machine=True)
    closes(core.receive(connection_response(code), 0.0), final=True)
    assert getattr(core.closed_reason, "code", None) == code


@pytest.mark.parametrize("code", [8, 11, 4, 5, 71])
def test_a_machine_refused_for_its_credentials_stays_refused(code: int) -> None:
    core = reopened(machine(), 1.0)
    closes(core.receive(connection_response(code), 2.0), final=True)
    assert getattr(core.closed_reason, "code", None) == code and state_of(core) is State.CLOSING


def test_a_machine_refused_for_service_trouble_retries() -> None:
    core = reopened(machine(), 1.0)
    closes(core.receive(connection_response(2), 2.0), final=False)
    assert core.closed_reason is None
    core.transport_closed(2.0, "closed")
    assert state_of(core) is State.RECONNECTING
    core.plan_reconnect(2.0)
    core.transport_opening()
    core.transport_opened(3.0)
    assert core.receive(connection_response(0, machine={"key": "k-1"}), 3.0) == [Ready(resumed=True)]


# --- a connectionResponse that does not build (read from the raw body) -------------------------------------------


@pytest.fixture
def untyped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connectionResponse decodes as a body that could not build its class, as ``_codec._validate`` answers
    for a body lacking a required field (the shipped schema has none, so the codec itself never does)."""
    import fleetfreedom._protocol as protocol
    from fleetfreedom._codec import decode_reporting as decode

    def decode_reporting(text: str) -> Any:
        name, _, body = text.partition(" ")
        if name == "connectionResponse":
            return name, UnknownFrame(name, json.loads(body), reason="cannot build it: ghostId: Field required"), ()
        return decode(text)

    monkeypatch.setattr(protocol, "decode_reporting", decode_reporting)


@pytest.mark.usefixtures("untyped")
def test_an_untyped_connection_response_is_judged_by_its_raw_code() -> None:
    core = opened()
    details = {"kind": "throttled", "timeout": "00:00:30"}
    text = frame("connectionResponse", errorCode=73, message="slow down", errorDetails=details)
    close = closes(core.receive(text, 0.0), final=True)
    error = core.closed_reason
    assert isinstance(error, SessionThrottled)
    assert (error.message, error.details) == ("slow down", details)
    assert close.reason == "connectionResponse: slow down (errorCode 73)"
    assert core.send_delay("getCompany", 0.0) == 30.0


@pytest.mark.usefixtures("untyped")
@pytest.mark.parametrize("body", [{"errorCode": 8, "ghostId": "g-7"}, {"errorCode": "11"}, {"message": 5}])
def test_an_untyped_connection_response_that_connects_leaves_the_session_alone(body: dict[str, Any]) -> None:
    core = opened()
    assert core.receive(frame("connectionResponse", **body), 0.0) == [Ready(resumed=False)]
    assert core.session.ghost_id is None and core.session.code == 8


@pytest.mark.usefixtures("untyped")
def test_an_untyped_refusal_without_a_text_message() -> None:
    core = opened()
    closes(core.receive(frame("connectionResponse", errorCode=11, message=5), 0.0), final=True)
    error = core.closed_reason
    assert isinstance(error, InvalidCredentials) and error.message == "" and error.details is None


@pytest.mark.parametrize("machine_session", [False, True], ids=["user", "machine"])
def test_a_refusal_with_a_code_this_sdk_does_not_know_is_retried(machine_session: bool) -> None:
    core = reopened(machine() if machine_session else ready(), 1.0)
    close = closes(core.receive(connection_response(999), 2.0), final=False)
    assert close.reason == "connectionResponse: error (errorCode 999)"
    assert core.closed_reason is None


def test_a_first_connection_refused_with_a_code_this_sdk_does_not_know_is_final() -> None:
    core = opened()
    closes(core.receive(connection_response(999), 0.0), final=True)
    assert type(core.closed_reason) is ApiError and core.closed_reason.code == 999


def test_a_machine_logout_forgets_the_machine() -> None:
    core = machine()
    assert core.session.machine is not None and core.session.logged_in
    out = core.prepare("logout", {}, 0.0)
    effects = core.receive(frame("logoutResponse", reqId=out.req_id, errorCode=0), 0.0)
    assert only(effects, CloseTransport) == CloseTransport("logged out", final=True)
    assert core.session.machine is None and core.session.user is None and not core.session.logged_in
