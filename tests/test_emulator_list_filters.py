"""What the emulator's list commands select: each filter against the field the listed objects really store.

The first test walks the whole catalogue: a list filter or request field that names no stored field made the
emulator answer an empty list for every request (twelve commands whose filter is named after the other object,
`userGroup` against a User's `groups`; and getCompaniesList's `tree` flag, matched as if it were a field). The
others list through ``Semantics.execute`` with one object that matches and one that does not, the field names
checked against the vendor's classes (../shared/reference/objects.json: User.groups, Session.login,
BillingReport.profile, ProviderGeneral.configuration; ReqCompanyList's tree and includeParent).
"""

from __future__ import annotations

from typing import Any

import pytest
from emulator_wire import DEMO_LOGIN
from fleetfreedom._registry import COMMANDS, TYPES
from fleetfreedom._shapes import root_of
from test_guard_emulator import Desk

# request fields that shape a list instead of naming a stored field to match
LIST_FLAGS = {"from", "to", "since", "until", "tree"}


def stored_fields(type_name: str) -> set[str]:
    """Every field stored on the record a ``type_name`` lives in (the root and all its parts)."""
    root = TYPES[root_of(type_name)]
    names = set(root.fields)
    for part in root.parts:
        if part is not None:
            names |= set(TYPES[part].fields)
    return names


def unmatched_list_fields() -> list[tuple[str, str]]:
    """(command, request field) pairs of list commands whose field no listed object stores."""
    found = []
    for name, spec in sorted(COMMANDS.items()):
        if spec.verb != "list" or spec.object not in TYPES:
            continue
        names = stored_fields(spec.object)
        for wire in spec.request_fields:
            if wire == "company" or wire in LIST_FLAGS or wire.startswith("include"):
                continue
            target = spec.filter_field if wire == spec.filter and spec.filter_field else wire
            if target not in names and target + "s" not in names:  # labels / references are stored as maps
                found.append((name, wire))
    return found


def test_every_list_filter_names_a_field_its_objects_store() -> None:
    assert unmatched_list_fields() == []


def test_the_filters_named_after_the_other_object_are_matched_on_the_stored_field() -> None:
    matched = {name: spec.filter_field for name, spec in COMMANDS.items() if spec.filter_field}
    assert matched == {
        "getUsersListByUserGroup": "groups",
        "getUserGeneralsListByUserGroup": "groups",
        "getUserAdvancedsListByUserGroup": "groups",
        "getProviderGeneralsListByConfig": "configuration",
        "getProviderAdvancedsListByConfig": "configuration",
        "getProviderControlsListByConfig": "configuration",
        "getSessionsListByUser": "login",
        "getBehaviourLogsListByScript": "script",
        "getBillingReportsList": "profile",
        "getHostingDiscountsList": "profile",
        "getHostingLicensesList": "profile",
        "getHostingRulesList": "profile",
    }


@pytest.fixture
def desk() -> Desk:
    return Desk()


def created(desk: Desk, type_name: str, fields: dict[str, Any]) -> int:
    """A new object stored through the emulator's controls (key 0 asks for a fresh one); its key."""
    key = desk.emu.merge_object(type_name, {"id": 0, **fields})["id"]
    assert isinstance(key, int)
    return key


@pytest.mark.parametrize("command", ["getUsersListByUserGroup", "getUserAdvancedsListByUserGroup"])
def test_a_user_group_lists_the_users_whose_groups_hold_it(desk: Desk, command: str) -> None:
    demo = desk.session()
    listed_field = "users" if command == "getUsersListByUserGroup" else "userAdvanceds"
    group = created(desk, "UserGroup", {"company": 42, "name": "Drivers"})
    other = created(desk, "UserGroup", {"company": 42, "name": "Office"})
    empty = created(desk, "UserGroup", {"company": 42, "name": "Nobody"})
    desk.emu.merge_object("User", {"login": DEMO_LOGIN, "groups": [other, group]})
    reply = desk.ok(demo, command, {"userGroup": {"id": group}}).fields
    assert [u["login"] for u in reply[listed_field]] == [DEMO_LOGIN]
    assert reply["userGroup"] == {"id": group}
    assert desk.ok(demo, command, {"userGroup": {"id": empty}}).fields[listed_field] == []


def test_a_users_sessions_are_those_logged_in_with_that_login(desk: Desk) -> None:
    desk.emu.add_user("second@acme.example", "second-Pass-1", company=42)
    second = desk.session("second@acme.example", "second-Pass-1")
    demo = desk.session()
    sessions = desk.ok(demo, "getSessionsListByUser", {"user": {"login": DEMO_LOGIN}}).fields["sessions"]
    assert [(s["login"], s["handle"]) for s in sessions] == [(DEMO_LOGIN, demo.handle)]
    theirs = desk.ok(demo, "getSessionsListByUser", {"user": {"login": "second@acme.example"}}).fields
    assert [s["handle"] for s in theirs["sessions"]] == [second.handle]


def test_a_billing_profiles_reports_are_those_naming_it(desk: Desk) -> None:
    demo = desk.session()
    profile = created(desk, "BillingProfile", {"company": 42, "name": "Main"})
    spare = created(desk, "BillingProfile", {"company": 42, "name": "Spare"})
    report = created(desk, "BillingReport", {"company": 42, "name": "May", "profile": profile})
    created(desk, "BillingReport", {"company": 42, "name": "June", "profile": spare})
    listed = desk.ok(demo, "getBillingReportsList", {"billingProfile": {"id": profile}}).fields["billingReports"]
    assert [r["id"] for r in listed] == [report]


def test_a_configurations_providers_are_those_configured_with_it(desk: Desk) -> None:
    demo = desk.session()
    config = created(desk, "ProviderConfiguration", {"company": 42, "name": "Trucks"})
    spare = created(desk, "ProviderConfiguration", {"company": 42, "name": "Vans"})
    desk.emu.merge_object("Provider", {"id": "imei-1", "company": 42, "name": "one", "configuration": config})
    desk.emu.merge_object("Provider", {"id": "imei-2", "company": 42, "name": "two", "configuration": spare})
    listed = desk.ok(demo, "getProviderGeneralsListByConfig", {"config": {"id": config}}).fields
    assert [p["id"] for p in listed["providerGenerals"]] == ["imei-1"]
    controls = desk.ok(demo, "getProviderControlsListByConfig", {"config": {"id": spare}}).fields
    assert [p["id"] for p in controls["providerControls"]] == ["imei-2"]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, ["child"]),
        ({"tree": False, "includeParent": False}, ["child"]),
        ({"tree": True}, ["child", "grandchild"]),
        ({"includeParent": True}, ["parent", "child"]),
        ({"tree": True, "includeParent": True}, ["parent", "child", "grandchild"]),
    ],
)
def test_a_company_list_covers_the_children_the_tree_and_the_parent_as_asked(
    desk: Desk, flags: dict[str, bool], expected: list[str]
) -> None:
    demo = desk.session()
    child = created(desk, "Company", {"parent": 42, "name": "child"})
    grandchild = created(desk, "Company", {"parent": child, "name": "grandchild"})
    names = {42: "parent", child: "child", grandchild: "grandchild"}
    reply = desk.ok(demo, "getCompaniesList", {"company": {"id": 42}, **flags}).fields
    assert [names[c["id"]] for c in reply["companies"]] == expected
    assert reply["company"] == {"id": 42}


def test_a_companys_part_lists_cover_the_company_and_its_children(desk: Desk) -> None:
    demo = desk.session()
    child = created(desk, "Company", {"parent": 42, "name": "child"})
    created(desk, "Company", {"parent": child, "name": "grandchild"})
    listed = desk.ok(demo, "getCompanyGeneralsList", {"company": {"id": 42}}).fields["companyGenerals"]
    assert [c["id"] for c in listed] == [42, child]
