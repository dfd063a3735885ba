"""The session the protocol core keeps, exactly (issue 20: mutation testing found these paths unguarded): the repr
that masks the ghostId, ``UserSession.of``, and the ``session*Merged`` pushes folded into the own account. The core
is sans-I/O: frames go in as text and effects come out, as in tests/test_client_protocol.py."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from fleetfreedom import FrameError, Session, UserSession
from fleetfreedom._protocol import Backoff, Emit, Protocol, Ready
from fleetfreedom.events import SessionGeneralMerged, SessionMachineMerged
from fleetfreedom.models import SelfMachine, SelfUser
from test_client_protocol import connection_response, frame, only, ready

GHOST = "5112a1ea-e1bd-4f6b-9c1d-sessionghost"
EXPIRY = datetime(2030, 1, 1, tzinfo=UTC)
MACHINE = {"key": "mk-7", "company": 42, "notAfter": "2030-06-01T00:00:00Z", "ipRanges": ["10.0.0.0/8"], "v": [3]}
USER = {"login": "demo@acme.example", "company": 42, "nickname": "Demo", "v": [4, 5, 6, 7]}


def user(**fields: Any) -> SelfUser:
    return SelfUser.model_validate({**USER, **fields})


def machine_core() -> Protocol:
    core = Protocol(backoff=Backoff(rng=random.Random(1)), machine=True)
    core.transport_opening()
    core.transport_opened(0.0)
    assert core.receive(connection_response(0, machine=MACHINE), 0.0) == [Ready(resumed=False)]
    return core


def user_core() -> Protocol:
    core = ready()
    out = core.prepare("login", {"username": USER["login"], "password": "pw"}, 0.0)
    core.receive(frame("loginResponse", reqId=out.req_id, errorCode=0, ghostId=GHOST, user=USER), 0.0)
    assert core.session.logged_in
    return core


# --- the repr: the ghostId is a bearer secret ----------------------------------------------------------------------


def test_the_repr_shows_the_start_of_the_ghost_id_the_login_the_code_and_the_expiry() -> None:
    session = Session(ghost_id=GHOST, user=user(), code=0, expiry=EXPIRY)
    assert repr(session) == (
        "Session(ghost_id='5112a1...', login='demo@acme.example', code=0, expiry=" + repr(EXPIRY) + ")"
    )


def test_a_machine_session_shows_its_key_as_the_login() -> None:
    session = Session(ghost_id=GHOST, machine=SelfMachine.model_validate(MACHINE), code=0)
    assert repr(session) == "Session(ghost_id='5112a1...', login='mk-7', code=0, expiry=None)"


@pytest.mark.parametrize("ghost_id", [None, ""])
def test_a_session_without_ghost_id_or_account_shows_none(ghost_id: str | None) -> None:
    assert repr(Session(ghost_id=ghost_id)) == "Session(ghost_id=None, login=None, code=8, expiry=None)"


def test_the_session_login_returns_masks_the_ghost_id_too() -> None:
    session = UserSession.of(Session(ghost_id=GHOST, user=user(), code=0))
    assert repr(session) == "UserSession(ghost_id='5112a1...', login='demo@acme.example', code=0, expiry=None)"
    assert "sessionghost" not in repr(session) + str(session)


# --- UserSession.of --------------------------------------------------------------------------------------------------


def test_user_session_of_keeps_every_field() -> None:
    policy: dict[str, Any] = {
        "ghost_id": GHOST, "user": user(), "code": 16, "expiry": EXPIRY, "server_time": EXPIRY, "message": "m"
    }  # fmt: skip
    session = UserSession.of(Session(**policy))
    assert {name: getattr(session, name) for name in policy} == policy and session.machine is None


@pytest.mark.parametrize(("ghost_id", "with_user"), [(None, True), ("", True), (GHOST, False)])
def test_a_login_without_user_or_ghost_id_says_so_and_masks_the_ghost_id(ghost_id: str | None, with_user: bool) -> None:
    session = Session(ghost_id=ghost_id, user=user() if with_user else None, code=0)
    with pytest.raises(FrameError) as refused:
        UserSession.of(session)
    assert refused.value.problem == "the loginResponse carried no user or no ghostId"
    assert refused.value.frame == repr(session)


# --- session*Merged folded into the own account -------------------------------------------------------------------


def test_a_general_merge_changes_only_the_fields_it_carries() -> None:
    core = user_core()
    effects = core.receive(frame("sessionGeneralMerged", login=USER["login"], nickname="Renamed", v=[9]), 1.0)
    assert isinstance(only(effects, Emit).event, SessionGeneralMerged)
    assert core.session.user is not None
    # the company stays (absent from the part), the version list of the whole user is not replaced by the part's
    assert core.session.user.to_wire() == {**USER, "nickname": "Renamed"}
    assert core.session.ghost_id == GHOST and core.session.code == 0


def test_a_machine_merge_changes_the_machine_by_its_wire_names() -> None:
    core = machine_core()
    pushed = {"key": "mk-7", "notAfter": "2031-01-01T00:00:00Z", "nickname": "gate", "v": [4]}
    effects = core.receive(frame("sessionMachineMerged", **pushed), 1.0)
    assert isinstance(only(effects, Emit).event, SessionMachineMerged)
    assert core.session.machine is not None
    expected = {**MACHINE, "notAfter": datetime(2031, 1, 1, tzinfo=UTC), "nickname": "gate"}
    assert core.session.machine.model_dump(by_alias=True, exclude_unset=True) == expected
    assert core.session.machine.model_extra == {}


def test_a_merge_for_the_other_kind_of_account_leaves_the_session_alone(caplog: pytest.LogCaptureFixture) -> None:
    core = user_core()
    before = core.session
    effects = core.receive(frame("sessionMachineMerged", key="mk-7", nickname="gate", v=[4]), 1.0)
    assert isinstance(only(effects, Emit).event, SessionMachineMerged)
    assert core.session is before and not caplog.records  # nothing to patch is not a fault

    core = machine_core()
    before = core.session
    effects = core.receive(frame("sessionGeneralMerged", login="x@acme.example", nickname="N", v=[9]), 1.0)
    assert isinstance(only(effects, Emit).event, SessionGeneralMerged)
    assert core.session is before and not caplog.records


def test_patched_without_the_account_returns_the_same_session() -> None:
    session = Session(ghost_id=GHOST)
    part = SelfMachine.model_validate({"key": "mk-7"})
    assert session.patched(part, machine=True) is session
    assert session.patched(part, machine=False) is session


# --- account replies update the session: only the fields present replace old ones ----------------------------------

SESSION_POLICY = {"maxSessions": 3, "idleAllowed": False}
PASSWORD_POLICY = {"minimumLength": 12}


def answer(core: Protocol, command: str, params: dict[str, Any], **body: Any) -> None:
    out = core.prepare(command, params, 0.0)
    core.receive(frame(f"{command}Response", reqId=out.req_id, **body), 0.0)


def test_a_login_reply_sets_every_session_field_it_carries() -> None:
    core = ready()
    answer(core, "login", {"username": USER["login"], "password": "pw"}, errorCode=0, message="welcome", ghostId=GHOST,
           expiry="2031-02-03T04:05:06Z", serverTime="2030-01-01T00:00:01Z", sessionPolicy=SESSION_POLICY,
           passwordPolicy=PASSWORD_POLICY, user=USER)  # fmt: skip
    session = core.session
    assert (session.ghost_id, session.code, session.message) == (GHOST, 0, "welcome")
    assert session.expiry == datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert session.server_time == datetime(2030, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert session.session_policy is not None and session.session_policy.to_wire() == SESSION_POLICY
    assert session.password_policy is not None and session.password_policy.to_wire() == PASSWORD_POLICY
    assert session.user is not None and session.user.to_wire() == USER and session.machine is None
    assert session.logged_in and not session.password_expired


def test_a_later_reply_keeps_the_fields_it_does_not_carry() -> None:
    core = ready()
    answer(core, "login", {"username": USER["login"], "password": "pw"}, errorCode=0, message="welcome", ghostId=GHOST,
           serverTime="2030-01-01T00:00:01Z", sessionPolicy=SESSION_POLICY, passwordPolicy=PASSWORD_POLICY,
           user=USER)  # fmt: skip
    before = core.session
    answer(core, "getSessionDetails", {}, errorCode=0, expiry="2032-01-01T00:00:00Z")
    session = core.session
    assert session.expiry == datetime(2032, 1, 1, tzinfo=UTC)
    assert session.message is None  # the message is the last reply's, absent here
    assert (session.ghost_id, session.server_time, session.code) == (GHOST, before.server_time, 0)
    assert session.session_policy == before.session_policy and session.password_policy == before.password_policy
    assert session.user == before.user and session.logged_in


def test_a_password_expired_reply_without_the_user_keeps_the_user() -> None:
    core = ready()
    answer(core, "login", {"username": USER["login"], "password": "pw"}, errorCode=0, ghostId=GHOST, user=USER)
    answer(core, "getSessionDetails", {}, errorCode=16, message="change it", ghostId=GHOST)
    session = core.session
    assert (session.code, session.message) == (16, "change it")
    assert session.user is not None and session.user.login == USER["login"]
    assert session.logged_in and session.password_expired


def test_a_failed_reply_that_names_the_session_logs_nobody_in() -> None:
    core = ready()
    answer(core, "login", {"username": USER["login"], "password": "pw"}, errorCode=0, ghostId=GHOST, user=USER)
    answer(core, "getSessionDetails", {}, errorCode=8, message="not logged in", ghostId=GHOST)
    session = core.session
    assert (session.ghost_id, session.code, session.message) == (GHOST, 8, "not logged in")
    assert session.user is None and session.machine is None and not session.logged_in


def test_a_reply_with_a_machine_replaces_the_account() -> None:
    core = machine_core()
    assert core.session.user is None and core.session.machine is not None
    answer(core, "getSessionDetails", {}, errorCode=0, machine={**MACHINE, "nickname": "gate"})
    session = core.session
    assert session.machine is not None and session.machine.nickname == "gate" and session.user is None
    assert session.logged_in and session.ghost_id == "g-1"


def test_updated_from_sets_user_and_machine_together() -> None:
    session = Session(ghost_id=GHOST, user=user(), code=0)
    machine = SelfMachine.model_validate(MACHINE)
    reply = type("Reply", (), {"machine": machine})()  # a reply for the machine account only
    updated = session.updated_from(reply, 0)
    assert updated.user is None and updated.machine is machine and updated.message is None
    assert session.user is not None  # the original is untouched (frozen, a copy is returned)


def test_a_part_that_cannot_be_applied_still_arrives_as_an_event(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    core = user_core()
    before = core.session

    def fails(self: Session, part: Any, machine: bool) -> Session:
        raise ValueError("odd part")

    monkeypatch.setattr(Session, "patched", fails)
    caplog.set_level(logging.WARNING, logger="fleetfreedom")
    effects = core.receive(frame("sessionGeneralMerged", login=USER["login"], nickname="Renamed", v=[9]), 1.0)
    assert isinstance(only(effects, Emit).event, SessionGeneralMerged) and len(effects) == 1
    assert core.session is before and core.stats.malformed_frames == 0 and core.ready
    [record] = [r for r in caplog.records if r.name == "fleetfreedom"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "fleetfreedom: could not apply sessionGeneralMerged to the session"
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)  # the traceback goes along
