"""More guards on the emulator's semantics, written against the survivors of the second mutation run (issue 20).

Same layer as the desk tests of test_guard_emulator.py: commands go straight to ``Emulator.semantics.execute``,
the function the server calls for every frame, and each test pins what the real server answers (the shapes of
client-behaviour.md and the vendor wire: session replies, errors, versions, pushes) one field at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from emulator_wire import DEMO_LOGIN, DEMO_PASSWORD
from fleetfreedom.testing import Emulator, Failure
from fleetfreedom.testing._sessions import DEFAULT_PASSWORD_POLICY, DEFAULT_SESSION_POLICY, Session
from test_guard_emulator import GLOBEX_LOGIN, GLOBEX_PASSWORD, Desk, machine_session, stored

STRICT_SESSIONS = {"multiUser": "deny", "idleAllowed": False}
STRICT_PASSWORDS = {"minimumLength": 12, "includeLetters": True, "includeNumbers": True, "expireMode": "never"}


def recent(text: str, ahead: timedelta = timedelta()) -> bool:
    """A wire datetime (``...Z``, UTC) within a minute of now (plus ``ahead``)."""
    assert text.endswith("Z"), text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return abs(moment - ahead - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def demo(desk: Desk) -> Session:
    return desk.session()


# --- session replies (connectionResponse, loginResponse, getSessionDetailsResponse)


def test_a_user_sessions_details_carry_its_account_and_its_companys_policies(desk: Desk, demo: Session) -> None:
    desk.emu.merge_object("Company", {"id": 42, "sessionPolicy": STRICT_SESSIONS, "passwordPolicy": STRICT_PASSWORDS})
    details = desk.ok(demo, "getSessionDetails").fields
    assert set(details) == {"serverTime", "ghostId", "expiry", "user", "sessionPolicy", "passwordPolicy"}
    assert recent(details["serverTime"])
    assert details["ghostId"] == demo.ghost_id and details["expiry"] == demo.expiry
    assert details["sessionPolicy"] == STRICT_SESSIONS and details["passwordPolicy"] == STRICT_PASSWORDS
    user = details["user"]
    assert user["login"] == DEMO_LOGIN and user["v"] == [1, 1, 1, 1]
    assert user["contact"] == {
        "id": 500,
        "company": 42,
        "name": "Dana Demo",
        "emails": {"work": DEMO_LOGIN},
        "v": [1],
    }  # SelfUser embeds the whole contact, not its id


def test_a_company_without_policies_gives_the_default_ones(desk: Desk) -> None:
    globex = desk.session(GLOBEX_LOGIN, GLOBEX_PASSWORD)
    details = desk.ok(globex, "getSessionDetails").fields
    assert details["sessionPolicy"] == DEFAULT_SESSION_POLICY
    assert details["passwordPolicy"] == DEFAULT_PASSWORD_POLICY
    details["sessionPolicy"]["multiUser"] = "deny"  # a copy: the defaults are not shared with a reply
    assert DEFAULT_SESSION_POLICY["multiUser"] == "allow"


def test_a_machine_sessions_details_carry_the_machine_only(desk: Desk) -> None:
    machine = machine_session(desk)
    details = desk.ok(machine, "getSessionDetails").fields
    assert set(details) == {"serverTime", "ghostId", "expiry", "machine"}
    assert details["machine"] == {"key": "m-key", "company": 42, "enabled": True, "nickname": "m-key", "v": [1]}
    assert recent(details["serverTime"]) and details["ghostId"] == machine.ghost_id


def test_an_anonymous_sessions_details_have_no_account(desk: Desk) -> None:
    anonymous = desk.session(None)
    details = desk.semantics.session_details(anonymous)
    assert set(details) == {"serverTime", "ghostId", "expiry"}
    assert details["ghostId"] == anonymous.ghost_id and details["expiry"] == anonymous.expiry


def test_details_of_a_session_whose_user_is_gone_have_no_user(desk: Desk, demo: Session) -> None:
    desk.emu.store.discard("User", DEMO_LOGIN)
    assert set(desk.semantics.session_details(demo)) == {"serverTime", "ghostId", "expiry"}


# --- login


def test_login_refusals_say_why(desk: Desk) -> None:
    anonymous = desk.session(None)
    wrong = desk.fails(anonymous, "login", {"username": DEMO_LOGIN, "password": "wrong"}, "invalidCredentials")
    assert wrong.message == "unknown login or wrong password" and wrong.fields == {}
    assert desk.fails(anonymous, "login", {"username": "nobody@x", "password": "x"}, "invalidCredentials").message
    desk.emu.add_user("off@acme.example", "off-pass-1", enabled=False)
    off = desk.fails(anonymous, "login", {"username": "off@acme.example", "password": "off-pass-1"}, "userDisabled")
    assert off.message == "the user off@acme.example is disabled"
    assert not anonymous.logged_in and anonymous.login is None
    machine = machine_session(desk)
    refused = desk.fails(machine, "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD}, "machineNotAllowed")
    assert refused.message == "a machine session is authenticated by its key; it cannot log in"
    assert machine.login is None


def test_a_user_whose_password_is_known_but_who_was_removed_cannot_log_in(desk: Desk) -> None:
    desk.emu.add_user("gone@acme.example", "gone-pass-1")
    desk.emu.change_state("User", "gone@acme.example", "remove")
    anonymous = desk.session(None)
    desk.fails(anonymous, "login", {"username": "gone@acme.example", "password": "gone-pass-1"}, "invalidCredentials")
    desk.emu.store.discard("User", "gone@acme.example")  # the password is still on file, the user is not
    desk.fails(anonymous, "login", {"username": "gone@acme.example", "password": "gone-pass-1"}, "invalidCredentials")


def test_login_answers_the_session_details_and_slides_the_expiry(desk: Desk) -> None:
    session = desk.session(None)
    session.expiry = "2000-01-01T00:00:00.000Z"
    out = desk.ok(session, "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD, "userAgent": "desk/1"})
    assert session.expiry > "2026" and out.fields["expiry"] == session.expiry
    assert set(out.fields) == {"serverTime", "ghostId", "expiry", "user", "sessionPolicy", "passwordPolicy"}
    assert out.fields["user"]["login"] == DEMO_LOGIN and out.fields["ghostId"] == session.ghost_id
    assert (session.login, session.company, session.user_agent) == (DEMO_LOGIN, 42, "desk/1")
    mirrored = desk.ok(session, "getSession", {"session": {"handle": session.handle}}).fields["session"]
    assert mirrored["userAgent"] == "desk/1" and mirrored["login"] == DEMO_LOGIN and mirrored["company"] == 42


def test_an_expired_password_logs_in_with_the_details_and_says_so(desk: Desk) -> None:
    desk.emu.add_user("old@acme.example", "old-pass-1", passwordExpired=True)
    session = desk.session(None)
    out = desk.fails(session, "login", {"username": "old@acme.example", "password": "old-pass-1"}, "passwordExpired")
    assert out.message == "logged in, but the password has expired: change it"
    assert set(out.fields) == {"serverTime", "ghostId", "expiry", "user", "sessionPolicy", "passwordPolicy"}
    assert out.fields["ghostId"] == session.ghost_id and session.login == "old@acme.example"


# --- updateOwnPassword


def change(desk: Desk, session: Session, new: str, current: str = DEMO_PASSWORD) -> Any:
    return desk.run(session, "updateOwnPassword", {"current": current, "password": new})


def test_password_change_refusals_say_why(desk: Desk, demo: Session) -> None:
    wrong = change(desk, demo, "Better-pass-43", current="wrong-pass-1")
    assert (wrong.error, wrong.message) == ("invalidCredentials", "the current password is wrong")
    same = change(desk, demo, DEMO_PASSWORD)
    assert (same.error, same.message) == ("samePassword", "the new password must differ from the current one")
    weak = change(desk, demo, "!!!")
    assert weak.error == "noncompliantPassword"
    assert weak.message == "the new password needs at least 8 characters, a letter, a digit"
    assert desk.semantics.passwords.check(DEMO_LOGIN, DEMO_PASSWORD)  # nothing changed


def test_a_password_change_answers_the_companys_policy(desk: Desk, demo: Session) -> None:
    desk.emu.merge_object("Company", {"id": 42, "passwordPolicy": STRICT_PASSWORDS})
    assert change(desk, demo, "short-pass1").message == "the new password needs at least 12 characters"
    out = change(desk, demo, "longer-pass-12")
    assert (out.error, out.fields, out.pushes) == ("success", {"passwordPolicy": STRICT_PASSWORDS}, [])
    assert desk.semantics.passwords.check(DEMO_LOGIN, "longer-pass-12")
    assert not desk.semantics.passwords.check(DEMO_LOGIN, DEMO_PASSWORD)
    globex = desk.session(GLOBEX_LOGIN, GLOBEX_PASSWORD)
    out = change(desk, globex, "other-pass-78", current=GLOBEX_PASSWORD)
    assert out.fields == {"passwordPolicy": DEFAULT_PASSWORD_POLICY}


def test_a_policy_expiring_in_days_gives_the_new_expiry(desk: Desk, demo: Session) -> None:
    policy = {"minimumLength": 4, "expireMode": "days", "expireThreshold": 30}
    desk.emu.merge_object("Company", {"id": 42, "passwordPolicy": policy})
    expires = change(desk, demo, "abcd1234").fields["expires"]
    assert recent(expires, ahead=timedelta(days=30))
    desk.emu.merge_object("Company", {"id": 42, "passwordPolicy": {**policy, "expireThreshold": 0}})
    assert "expires" not in change(desk, demo, "abcd12345", current="abcd1234").fields  # days, but no threshold


def test_clearing_an_expired_password_pushes_the_account_to_its_sessions(desk: Desk) -> None:
    desk.emu.add_user("old@acme.example", "old-pass-1", passwordExpired=True)
    session = desk.session(None)
    desk.run(session, "login", {"username": "old@acme.example", "password": "old-pass-1"})
    out = change(desk, session, "new-pass-2", current="old-pass-1")
    assert out.error == "success" and out.fields == {"passwordPolicy": desk.semantics.session_details(session)[
        "passwordPolicy"]}  # fmt: skip
    own = [p for p in out.pushes if p.login == "old@acme.example"]
    assert own and all(p.companies == () for p in own)
    assert all(p.payload.get("passwordExpired", False) is False for p in out.pushes)
    assert not desk.semantics._password_expired(session)
    again = change(desk, session, "new-pass-3", current="new-pass-2")
    assert again.pushes == []  # no longer expired: nothing to clear


# --- request validation


def test_an_invalid_request_names_at_most_five_problems_by_their_path(desk: Desk, demo: Session) -> None:
    bad = {"id": "a", "company": "b", "name": 5, "odometer": "q", "kind": 7, "v": "z", "reference": 3}
    out = desk.fails(demo, "mergeAsset", {"asset": bad}, "invalidData")
    assert out.message.startswith("mergeAsset: asset.id: Input should be a valid integer")
    problems = out.message.removeprefix("mergeAsset: ").split("; ")
    assert len(problems) == 5 and all(p.startswith("asset.") and ": " in p for p in problems)
    assert stored(desk, 101)["name"] == "Truck 1"
    extra = desk.fails(demo, "getAsset", {"asset": {"id": 101}, "colour": "red"}, "invalidData")
    assert extra.message == "getAsset: colour: Extra inputs are not permitted"


def test_the_request_reaches_the_command_under_its_wire_names(desk: Desk) -> None:
    session = desk.session(None)
    desk.ok(session, "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD, "userAgent": "wire/2"})
    assert session.user_agent == "wire/2"  # userAgent, not the model's user_agent


# --- multiMerge / multiRemove


def test_a_failed_item_is_answered_under_its_own_key_field(desk: Desk, demo: Session) -> None:
    users = [{"login": "nobody@x"}, {"login": DEMO_LOGIN}, {"login": "viewer@acme.example"}]
    out = desk.run(demo, "multiRemoveUser", {"users": users})
    missing, itself, removed = out.fields["users"]
    assert missing == {"login": "nobody@x", "errorCode": 54, "message": "no User with key 'nobody@x'"}
    assert itself == {"login": DEMO_LOGIN, "errorCode": 57, "message": "a user cannot delete itself"}
    assert removed["login"] == "viewer@acme.example" and removed["deleted"] is True
    assert out.error == "userNotFound" and out.message == "2 of 3 items failed; first: no User with key 'nobody@x'"


# --- types whose commands are named apart from their type (BillableHostingRule served by ...HostingRule)


def test_hosting_rules_answer_under_the_commands_names_and_errors(desk: Desk, demo: Session) -> None:
    created = desk.ok(demo, "mergeHostingRule", {"hostingRule": {"company": 42, "name": "Rule A"}}).fields
    key = created["hostingRule"]["id"]
    got = desk.ok(demo, "getHostingRule", {"hostingRule": {"id": key}}).fields
    assert got == {"hostingRule": {"id": key, "company": 42, "name": "Rule A", "v": [1]}}
    missing = desk.fails(demo, "getHostingRule", {"hostingRule": {"id": 999}}, "hostingRuleNotFound")
    assert missing.message == "no BillableHostingRule with key 999"
    desk.fails(demo, "removeHostingRule", {"hostingRule": {"id": 999}}, "hostingRuleNotFound")
    desk.fails(demo, "mergeHostingRule", {"hostingRule": {"id": 999, "name": "x", "v": [1]}}, "hostingRuleNotFound")
    live = desk.fails(demo, "restoreHostingRule", {"hostingRule": {"id": key}}, "hostingRuleNotDeleted")
    assert live.message == f"BillableHostingRule {key} is not deleted"
    desk.fails(demo, "getHostingDiscount", {"hostingDiscount": {"id": 1}}, "hostingDiscountNotFound")


def test_a_logged_in_session_is_mirrored_as_a_session_object(desk: Desk) -> None:
    session = desk.session(None)
    desk.ok(session, "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD, "userAgent": "desk/2"})
    other = desk.session()  # logs in without a userAgent
    mirrored = desk.ok(other, "getSession", {"session": {"handle": session.handle}}).fields["session"]
    assert mirrored == {
        "handle": session.handle,
        "company": 42,
        "login": DEMO_LOGIN,
        "userAgent": "desk/2",
        "created": session.created,
        "expires": session.expiry,
    }
    plain = desk.ok(session, "getSession", {"session": {"handle": other.handle}}).fields["session"]
    assert "userAgent" not in plain and plain["login"] == DEMO_LOGIN


def test_a_user_whose_company_record_is_gone_gets_the_default_policies(desk: Desk) -> None:
    globex = desk.session(GLOBEX_LOGIN, GLOBEX_PASSWORD)
    desk.emu.store.discard("Company", 77)
    details = desk.semantics.session_details(globex)
    assert details["user"]["login"] == GLOBEX_LOGIN
    assert details["sessionPolicy"] == DEFAULT_SESSION_POLICY
    assert details["passwordPolicy"] == DEFAULT_PASSWORD_POLICY


def test_self_view_embeds_each_group_as_a_user_group(desk: Desk) -> None:
    desk.emu.merge_object("UserGroup", {"company": 42, "name": "Dispatch"})
    group = next(iter(desk.emu.store.records("UserGroup")))
    group.data["emulatorNote"] = "not a UserGroup field"
    record = desk.emu.store.get("User", DEMO_LOGIN)
    assert record is not None
    record.data["groups"] = [group.key]
    view = desk.semantics.self_view(record, "SelfUser")
    assert view["groups"] == [{"id": group.key, "company": 42, "name": "Dispatch", "v": [1]}]


def test_a_cancel_carries_no_version_and_needs_none(desk: Desk, demo: Session) -> None:
    created = desk.ok(demo, "mergeDispatchJob", {"dispatchJob": {"company": 42, "asset": 101, "name": "Job"}})
    key = created.fields["dispatchJob"]["id"]
    out = desk.ok(demo, "cancelDispatchJob", {"dispatchJob": {"id": key, "reason": "customer"}})
    assert out.fields == {"dispatchJob": {"id": key, "company": 42}}
    assert [p.message for p in out.pushes] == ["dispatchJobMerged"]
    job = desk.emu.get_object("DispatchJob", key)
    assert job is not None and job["v"] == [2]


# --- refusals of merges and state changes say why


def test_merge_refusals_say_why(desk: Desk, demo: Session) -> None:
    moved = desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "company": 77, "v": [1, 1, 1]}}, "invalidData")
    assert moved.message == "mergeAsset: company cannot change; create a new object instead"
    ownerless = desk.fails(demo, "mergeAsset", {"asset": {"kind": "vehicle", "name": "x"}}, "invalidData")
    assert ownerless.message == "mergeAsset: company is required to create a Asset"
    nowhere = desk.fails(
        demo, "mergeAsset", {"asset": {"company": 555, "kind": "vehicle", "name": "x"}}, "companyNotFound"
    )
    assert nowhere.message == "no company 555"
    theirs = desk.fails(
        demo, "mergeAsset", {"asset": {"company": 77, "kind": "vehicle", "name": "x"}}, "permissionDenied"
    )
    assert theirs.message == "no right to create in company 77"
    stale = desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "name": "q", "v": [0, 1, 1]}}, "wrongVersionKey")
    assert stale.message == "mergeAsset: stale version; sent v=[0, 1, 1], stored v=[1, 1, 1]"


def test_state_change_refusals_say_why_and_a_removal_is_dated(desk: Desk, demo: Session) -> None:
    asset = {"asset": {"id": 101}}
    desk.ok(demo, "suspendAsset", asset)
    assert desk.fails(demo, "suspendAsset", asset, "assetSuspended").message == "Asset 101 is already suspended"
    desk.ok(demo, "reviveAsset", asset)
    assert desk.fails(demo, "reviveAsset", asset, "assetNotSuspended").message == "Asset 101 is not suspended"
    assert desk.fails(demo, "restoreAsset", asset, "assetNotDeleted").message == "Asset 101 is not deleted"
    desk.ok(demo, "removeAsset", asset)
    assert recent(stored_including_deleted(desk, 101)["since"])


def stored_including_deleted(desk: Desk, asset: int) -> dict[str, Any]:
    record = desk.emu.store.get("Asset", asset)
    assert record is not None and record.deleted
    return record.data


# --- Failure: what a registered handler raises, and what the emulator's controls raise


def test_a_failure_raised_by_a_handler_carries_its_details_and_fields(desk: Desk, demo: Session) -> None:
    def handler(semantics: Any, request: dict[str, Any]) -> dict[str, Any]:
        if request["asset"]["id"] == 1:
            raise Failure("assetNotFound", "gone", details={"kind": "archived"}, fields={"asset": {"id": 1}})
        raise Failure("assetNotFound", "never there")

    desk.semantics.register("getAsset", handler)
    out = desk.fails(demo, "getAsset", {"asset": {"id": 1}}, "assetNotFound")
    assert (out.message, out.details, out.fields) == ("gone", {"kind": "archived"}, {"asset": {"id": 1}})
    plain = desk.fails(demo, "getAsset", {"asset": {"id": 2}}, "assetNotFound")
    assert (plain.message, plain.details, plain.fields) == ("never there", None, {})


def test_a_control_refused_raises_a_failure_that_reads_as_its_message(desk: Desk) -> None:
    with pytest.raises(Failure) as raised:
        desk.emu.change_state("Asset", 999, "remove")
    assert str(raised.value) == "no Asset with key 999" and raised.value.error == "assetNotFound"


def test_a_part_merge_that_changes_nothing_moves_no_version(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "mergeAssetDispatch", {"asset": {"id": 101, "v": [1]}})
    assert out.fields == {"asset": {"id": 101, "company": 42}} and out.pushes == []
    assert stored(desk, 101)["v"] == [1, 1, 1]


def test_refusals_before_login_and_with_an_expired_password_say_why(desk: Desk) -> None:
    anonymous = desk.session(None)
    out = desk.fails(anonymous, "getAsset", {"asset": {"id": 101}}, "userNotLoggedIn")
    assert out.message == "getAsset needs a logged-in session; send login first"
    desk.emu.add_user("old@acme.example", "old-pass-1", passwordExpired=True)
    desk.run(anonymous, "login", {"username": "old@acme.example", "password": "old-pass-1"})
    out = desk.fails(anonymous, "getAsset", {"asset": {"id": 101}}, "passwordExpired")
    assert out.message == "the password has expired; change it with updateOwnPassword"


def test_a_registered_handler_receives_the_request_in_its_wire_form(desk: Desk, demo: Session) -> None:
    seen: list[dict[str, Any]] = []

    def handler(semantics: Any, request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        return {"asset": {"id": 5, "company": 42}}

    desk.semantics.register("mergeAsset", handler)
    desk.ok(demo, "mergeAsset", {"asset": {"company": 42, "kind": "vehicle", "name": "Handled"}})
    assert type(seen[0]["asset"]["kind"]) is str and seen[0]["asset"]["kind"] == "vehicle"  # not an enum member


# --- what the third mutation run showed unguarded (merge paths)


def test_the_servers_own_merge_names_itself_merge_in_its_refusals(desk: Desk) -> None:
    with pytest.raises(Failure, match=r"^merge: company is required to create a Asset$"):
        desk.semantics.server_merge("Asset", {"name": "No company"})


def test_an_empty_key_creates_with_a_new_number(desk: Desk) -> None:
    view, _ = desk.semantics.server_merge("Asset", {"id": "", "company": 42, "kind": "vehicle", "name": "Blank"})
    assert isinstance(view["id"], int) and view["id"] > 0 and view["name"] == "Blank"


def test_a_client_chosen_key_still_needs_an_owner_in_reach(desk: Desk, demo: Session) -> None:
    out = desk.fails(demo, "mergeUser", {"user": {"login": "lost@acme.example", "nickname": "L"}}, "invalidData")
    assert out.message == "mergeUser: company is required to create a User"
    assert desk.emu.store.get("User", "lost@acme.example") is None
    body = {"login": "spy@globex.example", "company": 77, "nickname": "Spy"}
    desk.fails(demo, "mergeUser", {"user": body}, "permissionDenied")
    assert desk.emu.store.get("User", "spy@globex.example") is None


def test_a_password_merged_through_the_general_part_is_the_new_password(desk: Desk) -> None:
    desk.semantics.server_merge("UserGeneral", {"login": DEMO_LOGIN, "password": "Fresh-pass-77"})
    assert desk.semantics.passwords.check(DEMO_LOGIN, "Fresh-pass-77")
    stored_user = desk.emu.store.get("User", DEMO_LOGIN)
    assert stored_user is not None and "password" not in stored_user.data


def test_a_machine_merge_without_a_secret_is_a_plain_merge(desk: Desk, demo: Session) -> None:
    desk.emu.add_machine("m-key", company=42)
    machine = desk.emu.get_object("Machine", "m-key")
    assert machine is not None
    out = desk.ok(demo, "mergeMachine", {"machine": {"key": "m-key", "nickname": "Plain", "v": machine["v"]}})
    assert all("secret" not in p.payload for p in out.pushes)
    assert desk.emu.get_object("Machine", "m-key")["nickname"] == "Plain"  # type: ignore[index]


def test_a_machine_merge_with_a_secret_creates_checks_versions_and_rights(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "mergeMachine", {"machine": {"key": "fresh", "company": 42, "secret": True}})
    assert desk.emu.get_object("Machine", "fresh") is not None
    assert any(isinstance(p.payload.get("secret"), str) for p in out.pushes)
    body = {"key": "fresh", "secret": True, "nickname": "x", "v": [99]}
    desk.fails(demo, "mergeMachine", {"machine": body}, "wrongVersionKey")
    outside = {"key": "other", "company": 77, "secret": True}
    desk.fails(demo, "mergeMachine", {"machine": outside}, "permissionDenied")
    assert desk.emu.get_object("Machine", "other") is None


# --- state changes of a type without its own error codes (AnalyticRule has no analyticRuleNotFound and the like)


def test_state_refusals_of_a_type_without_own_codes_fall_back_to_the_generic_ones(desk: Desk) -> None:
    view, _ = desk.semantics.server_merge("AnalyticRule", {"company": 42, "name": "Rule"})
    key = view["id"]
    refusals = [("restore", "not deleted"), ("revive", "not suspended")]
    for verb, why in refusals:
        with pytest.raises(Failure, match=why) as raised:
            desk.emu.change_state("AnalyticRule", key, verb)
        assert raised.value.error == "invalidOperation"
    assert desk.emu.change_state("AnalyticRule", key, "suspend")["v"] == [2]
    with pytest.raises(Failure, match="already suspended") as raised:
        desk.emu.change_state("AnalyticRule", key, "suspend")
    assert raised.value.error == "invalidOperation"
    with pytest.raises(Failure, match="no AnalyticRule with key 999") as raised:
        desk.emu.change_state("AnalyticRule", 999, "remove")
    assert raised.value.error == "invalidData"


def test_a_restore_pushes_the_merged_part_and_a_deleted_object_is_not_found(desk: Desk, demo: Session) -> None:
    desk.ok(demo, "removeAsset", {"asset": {"id": 101}})
    desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "name": "Ghost", "v": [2, 1, 1]}}, "assetNotFound")
    desk.fails(demo, "getAsset", {"asset": {"id": 101}}, "assetNotFound")
    out = desk.ok(demo, "restoreAsset", {"asset": {"id": 101}})
    assert [(p.message, p.companies) for p in out.pushes] == [("assetGeneralMerged", (42,))]
    assert "since" not in out.pushes[0].payload and out.pushes[0].payload["v"] == [3]


def test_a_restored_machine_tells_its_own_sessions_too(desk: Desk, demo: Session) -> None:
    desk.emu.add_machine("m-key", company=42)
    desk.ok(demo, "removeMachine", {"machine": {"key": "m-key"}})
    out = desk.ok(demo, "restoreMachine", {"machine": {"key": "m-key"}})
    assert [(p.message, p.machine, p.companies) for p in out.pushes] == [
        ("machineMerged", None, (42,)),
        ("sessionMachineMerged", "m-key", ()),
    ]
    shown = {"key": "m-key", "company": 42, "enabled": True, "nickname": "m-key", "deleted": False, "v": [3]}
    assert out.pushes[0].payload == shown and out.pushes[1].payload == shown


def test_a_restored_user_hears_its_self_form(desk: Desk, demo: Session) -> None:
    desk.emu.add_user("old@acme.example", "old-pass-1")
    desk.ok(demo, "removeUser", {"user": {"login": "old@acme.example"}})
    out = desk.ok(demo, "restoreUser", {"user": {"login": "old@acme.example"}})
    general = {"login": "old@acme.example", "company": 42, "enabled": True, "nickname": "old", "deleted": False}
    assert [(p.message, p.login, p.payload) for p in out.pushes] == [
        ("userGeneralMerged", None, {**general, "v": [3]}),
        ("sessionGeneralMerged", "old@acme.example", {**general, "v": [3, 1, 1, 1]}),
    ]


def test_a_special_get_of_one_object_answers_that_object(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "getTimezone", {"timezone": {"code": "UTC"}})
    assert out.fields == {"timezone": {"code": "UTC", "name": "Coordinated Universal Time", "offset": 0, "dst": False}}


def test_a_remove_answers_the_short_deleted_form(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "removeAsset", {"asset": {"id": 101}})
    assert out.fields == {"asset": {"id": 101, "company": 42, "deleted": True, "v": [2, 1, 1]}}


def test_the_servers_own_merge_updates_whatever_the_key_reads(desk: Desk) -> None:
    desk.emu.add_machine("XXXX", company=42)
    view, _ = desk.semantics.server_merge("Machine", {"key": "XXXX", "nickname": "Odd"})
    assert view["nickname"] == "Odd" and view["v"] == [2]


def test_a_list_reply_echoes_only_its_own_fields(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "getAssetsList", {"company": {"id": 42}, "includeDeleted": True})
    assert set(out.fields) == {"company", "assets"} and out.fields["company"] == {"id": 42}


def test_a_list_without_a_filter_lists_everything(desk: Desk, demo: Session) -> None:
    zones = desk.ok(demo, "getTimezonesList").fields["timezones"]
    assert {"code": "UTC", "name": "Coordinated Universal Time", "offset": 0, "dst": False} in zones


def test_a_batch_machine_merge_treats_the_secret_as_a_flag(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "multiMergeMachine", {"machines": [{"key": "batch", "company": 42, "secret": True}]})
    assert any(isinstance(p.payload.get("secret"), str) for p in out.pushes)
    assert "secret" not in str(desk.emu.get_object("Machine", "batch"))


# --- the controls' merge of types without a key, or outside the schema; textual ids; part merges


def test_the_controls_keep_a_type_outside_the_schema_as_a_plain_object_keyed_by_id(desk: Desk) -> None:
    first, pushes = desk.semantics.server_merge("Gizmo", {"name": "first"})
    assert (first, pushes) == ({"id": 1001, "name": "first"}, [])  # no owner, no message: nobody hears of it
    assert desk.semantics.server_merge("Gizmo", {"name": "second"}) == ({"id": 1002, "name": "second"}, [])
    renamed = desk.semantics.server_merge("Gizmo", {"id": 1001, "name": "renamed"})  # no v to check
    assert renamed == ({"id": 1001, "name": "renamed"}, [])
    assert desk.emu.get_object("Gizmo", 1001) == {"id": 1001, "name": "renamed"}
    assert desk.emu.get_object("Gizmo", 1002) == {"id": 1002, "name": "second"}


def test_the_controls_key_a_schema_type_without_a_key_by_id(desk: Desk) -> None:
    created, pushes = desk.semantics.server_merge("BillableBase", {"name": "Base"})
    assert (created, pushes) == ({"id": 1001, "name": "Base", "v": [1]}, [])
    changed, _ = desk.semantics.server_merge("BillableBase", {"id": 1001, "name": "Base 2"})  # the stored v is taken
    assert changed == {"id": 1001, "name": "Base 2", "v": [2]}
    assert desk.emu.get_object("BillableBase", 1001) == changed


def test_the_servers_own_merge_of_the_object_keyed_1_needs_no_version(desk: Desk) -> None:
    top = desk.emu.merge_object("Company", {"id": 1, "name": "Top 2"})  # key 1 is a key; only 0 means "new"
    assert top["name"] == "Top 2" and top["v"] == [2, 0, 1, 1, 1, 1]
    new = desk.emu.merge_object("Company", {"id": 0, "parent": 42, "name": "Acme West"})
    assert new["id"] == 1001 and new["v"] == [1, 0, 1, 1, 1, 1]


def test_a_provider_is_created_by_its_textual_id_and_keeps_its_password_field(desk: Desk, demo: Session) -> None:
    imei = "356938035643809"
    body = {"id": imei, "company": 42, "name": "Tracker", "kind": "device", "password": "pin-1234"}
    out = desk.ok(demo, "mergeProvider", {"provider": body})
    assert out.fields == {"provider": {"id": imei, "company": 42}}
    # only a user's password is write-only; a provider's is one of its fields, shown like the others
    assert desk.emu.get_object("Provider", imei) == {**body, "v": [1, 1, 1]}
    general = [p.payload for p in out.pushes if p.message == "providerGeneralMerged"]
    assert [g["password"] for g in general] == ["pin-1234"]
    assert not desk.semantics.passwords.check(imei, "pin-1234")
    # an unknown number is no textual id: it names an object that must exist
    desk.fails(demo, "mergeAsset", {"asset": {"id": 5555, "name": "Nobody", "v": [1, 1, 1]}}, "assetNotFound")


def test_a_part_merge_naming_its_unchanged_owner_moves_only_that_parts_version(desk: Desk, demo: Session) -> None:
    body = {"id": 102, "company": 42, "lastDispatched": "2030-01-01T00:00:00Z", "v": [1]}
    out = desk.ok(demo, "mergeAssetDispatch", {"asset": body})
    assert [(p.message, p.companies) for p in out.pushes] == [("assetDispatchMerged", (42,))]
    assert stored(desk, 102)["v"] == [1, 1, 2]


def test_a_seeded_deleted_object_without_a_since_can_be_restored() -> None:
    company = {"id": 42, "parent": 42, "name": "Acme"}
    place = {"id": 9, "company": 42, "name": "Gone", "deleted": True}
    emu = Emulator(seed={"Company": [company], "Place": [place]})
    restored = emu.change_state("Place", 9, "restore")
    assert restored == {"id": 9, "company": 42, "name": "Gone", "deleted": False, "v": [2]}


def test_a_filter_naming_no_stored_type_is_not_checked(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "getProviderGeneralsListByConfig", {"config": {"id": 5}})
    assert out.fields["config"] == {"id": 5}  # a configuration is no type of its own here: nothing to look up
