"""Guards on the emulator's semantics: what each command does to the data, who hears of it, who may change what.

Two layers. The wire tests (first) run the emulator over a real socket with a bare ``websockets`` client and pin
issue 20's behaviour 7: a merge without ``v`` is refused as stale, a push reaches only subscribers of the owning
company, an object of another company cannot be merged. The desk tests (after) hand commands straight to
``Emulator.semantics.execute`` -- the function the server calls for every frame, which does no I/O -- so that each
decision (errors, versions, views, pushes, filters) is asserted one by one, fast enough to run under mutation
testing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine
from typing import Any

import pytest
from emulator_wire import DEMO_LOGIN, DEMO_PASSWORD, Wire
from fleetfreedom._registry import COMMANDS
from fleetfreedom.testing import Emulator, Failure
from fleetfreedom.testing._semantics import MAX_BATCH, Outcome, Push, _moment, _overlaps
from fleetfreedom.testing._sessions import Session
from pydantic import Field

GLOBEX_LOGIN, GLOBEX_PASSWORD = "ops@globex.example", "globex-pass-77"
VIEWER_LOGIN, VIEWER_PASSWORD = "viewer@acme.example", "viewer-pass-42"


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))


# ---------------------------------------------------------------------------------------------- over the wire


def test_a_merge_without_v_is_refused_and_changes_nothing() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            wire = await Wire.open(emu.url)
            await wire.expect("connectionResponse")
            await wire.login()
            reply = await wire.call("mergeAsset", {"asset": {"id": 101, "name": "No version"}})
            assert reply["errorCode"] == 6, reply  # wrongVersionKey
            assert reply["v"] == [1, 1, 1]  # the stored versions, so the client can retry
            asset = await wire.call("getAsset", {"asset": {"id": 101}})
            assert asset["asset"]["name"] == "Truck 1" and asset["asset"]["v"] == [1, 1, 1]
            await wire.close()

    run(scenario())


def test_a_push_reaches_subscribers_of_the_owning_company_only() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            acme, globex = await Wire.open(emu.url), await Wire.open(emu.url)
            for wire, (login, password) in (
                (acme, (DEMO_LOGIN, DEMO_PASSWORD)),
                (globex, (GLOBEX_LOGIN, GLOBEX_PASSWORD)),
            ):
                await wire.expect("connectionResponse")
                await wire.login(login, password)
            assert (await acme.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]}))[
                "merged"
            ] == ["assetGeneral"]
            assert (await globex.call("subscribe", {"company": {"id": 77}, "subscriptionTypes": ["assetGeneral"]}))[
                "merged"
            ] == ["assetGeneral"]
            # a Globex change first, then an Acme one: frames arrive in order, so if the Globex push had been sent
            # to the Acme session it would be the first frame Acme reads
            changed = await globex.call("mergeAsset", {"asset": {"id": 701, "name": "Globex Van 2", "v": [1, 1, 1]}})
            assert changed["errorCode"] == 0
            assert (await globex.expect("assetGeneralMerged"))["name"] == "Globex Van 2"
            emu.merge_object("Asset", {"id": 102, "name": "Trailer 8"})
            name, body = await acme.recv()
            assert (name, body["id"], body["name"]) == ("assetGeneralMerged", 102, "Trailer 8")
            # and the other way round: Globex hears nothing of Acme's trailer (its next frame is its own van)
            emu.merge_object("Asset", {"id": 701, "name": "Globex Van 3"})
            name, body = await globex.recv()
            assert (name, body["id"]) == ("assetGeneralMerged", 701)
            await acme.close()
            await globex.close()

    run(scenario())


def test_an_object_of_another_company_cannot_be_merged_or_seen() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            wire = await Wire.open(emu.url)
            await wire.expect("connectionResponse")
            await wire.login()
            by_key = await wire.call("mergeAsset", {"asset": {"id": 701, "name": "Taken", "v": [1, 1, 1]}})
            assert by_key["errorCode"] != 0 and "701" in by_key["message"], by_key
            moved = await wire.call("mergeAsset", {"asset": {"company": 77, "kind": "vehicle", "name": "Planted"}})
            assert moved["errorCode"] != 0, moved
            assert (await wire.call("getAsset", {"asset": {"id": 701}}))["errorCode"] != 0
            await wire.close()
            assert emu.get_object("Asset", 701)["name"] == "Globex Van"  # type: ignore[index]
            names = {a["name"] for a in (emu.semantics.view(r, "Asset") for r in emu.store.records("Asset"))}
            assert "Planted" not in names

    run(scenario())


# ---------------------------------------------------------------------------------------------- at the desk


class Desk:
    """An emulator that is never started: commands go straight to its semantics, as the server hands them over."""

    def __init__(self) -> None:
        self.emu = Emulator()
        self.semantics = self.emu.semantics

    def session(self, login: str | None = DEMO_LOGIN, password: str = DEMO_PASSWORD) -> Session:
        session = self.emu.sessions.new()
        if login is not None:
            out = self.run(session, "login", {"username": login, "password": password})
            assert out.error == "success", out.message
        return session

    def run(self, session: Session, command: str, body: dict[str, Any] | None = None) -> Outcome:
        return self.semantics.execute(COMMANDS[command], session, dict(body or {}))

    def ok(self, session: Session, command: str, body: dict[str, Any] | None = None) -> Outcome:
        out = self.run(session, command, body)
        assert out.error == "success", (command, out.error, out.message)
        return out

    def fails(self, session: Session, command: str, body: dict[str, Any] | None, error: str) -> Outcome:
        out = self.run(session, command, body)
        assert out.error == error, (command, out.error, out.message)
        assert out.message
        return out


def stored(desk: Desk, asset: int) -> dict[str, Any]:
    view = desk.emu.get_object("Asset", asset)
    assert view is not None
    return view


def pushes_of(out: Outcome) -> list[tuple[str, tuple[int, ...], str | None]]:
    return [(p.message, p.companies, p.login) for p in out.pushes]


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def demo(desk: Desk) -> Session:
    return desk.session()


# --- entry point: who may send what


def test_commands_before_login(desk: Desk) -> None:
    anonymous = desk.session(None)
    desk.fails(anonymous, "getAsset", {"asset": {"id": 101}}, "userNotLoggedIn")
    assert desk.ok(anonymous, "noop").fields == {}
    details = desk.fails(anonymous, "getSessionDetails", {}, "userNotLoggedIn").fields
    assert details["ghostId"] == anonymous.ghost_id and "user" not in details


def test_an_expired_password_allows_only_the_password_change(desk: Desk) -> None:
    desk.emu.add_user("old@acme.example", "old-pass-1", passwordExpired=True)
    anonymous = desk.session(None)
    out = desk.fails(anonymous, "login", {"username": "old@acme.example", "password": "old-pass-1"}, "passwordExpired")
    assert out.fields["user"]["login"] == "old@acme.example"  # logged in, told to change the password
    assert anonymous.logged_in
    desk.fails(anonymous, "getAsset", {"asset": {"id": 101}}, "passwordExpired")
    assert desk.semantics.connection_error(anonymous, "success") == "passwordExpired"
    changed = desk.ok(anonymous, "updateOwnPassword", {"current": "old-pass-1", "password": "new-pass-2"})
    assert "userAuthenticationMerged" in [p.message for p in changed.pushes if p.login is None]
    assert desk.ok(anonymous, "getAsset", {"asset": {"id": 101}}).fields["asset"]["id"] == 101
    assert desk.semantics.connection_error(anonymous, "success") == "success"
    assert desk.semantics.connection_error(anonymous, "sessionExpired") == "sessionExpired"


def test_a_request_that_does_not_fit_its_model_is_invalid_data(desk: Desk, demo: Session) -> None:
    out = desk.fails(demo, "getAsset", {"asset": {"id": "not a number"}}, "invalidData")
    assert out.message.startswith("getAsset: asset.id")


def test_get_needs_its_key_field(desk: Desk, demo: Session) -> None:
    desk.fails(demo, "getAsset", {}, "invalidData")


# --- views and lookups


def test_get_answers_the_whole_object_with_its_versions(desk: Desk, demo: Session) -> None:
    asset = desk.ok(demo, "getAsset", {"asset": {"id": 101}}).fields["asset"]
    assert asset["name"] == "Truck 1" and asset["company"] == 42 and asset["v"] == [1, 1, 1]
    assert desk.fails(demo, "getAsset", {"asset": {"id": 999}}, "assetNotFound").message == "no Asset with key 999"
    desk.fails(demo, "getAsset", {"asset": {"id": 701}}, "assetNotFound")  # another company's


def test_a_part_view_carries_its_own_version_only(desk: Desk) -> None:
    record = desk.emu.store.get("Asset", 101)
    assert record is not None
    record.versions[:] = [3, 5, 7]
    assert desk.semantics.view(record, "AssetAdvanced")["v"] == [5]
    assert desk.semantics.view(record, "AssetDispatch")["v"] == [7]
    whole = desk.semantics.view(record, "Asset")
    assert whole["v"] == [3, 5, 7] and whole["name"] == "Truck 1"
    assert "name" not in desk.semantics.view(record, "AssetAdvanced")
    untyped = desk.semantics.view(record, "NoSuchType")
    assert untyped == record.data and untyped is not record.data


def test_company_tree_and_visibility(desk: Desk, demo: Session) -> None:
    assert desk.semantics.company_tree(1) == {1, 42, 77}
    assert desk.semantics.company_tree(42) == {42}
    assert desk.semantics.company_tree(None) == set()
    east = desk.emu.merge_object("Company", {"parent": 42, "name": "Acme East"})["id"]
    depot = desk.emu.merge_object("Company", {"parent": east, "name": "Acme East Depot"})["id"]
    assert desk.semantics.company_tree(42) == {42, east, depot}
    assert desk.semantics.company_tree(east) == {east, depot}
    assert desk.ok(demo, "getCompany", {"company": {"id": depot}}).fields["company"]["name"] == "Acme East Depot"
    desk.fails(demo, "getCompany", {"company": {"id": 77}}, "companyNotFound")
    desk.fails(demo, "getCompany", {"company": {"id": 1}}, "companyNotFound")  # the parent is not below


def test_a_service_provider_session_sees_every_company(desk: Desk) -> None:
    desk.emu.add_user("root@provider.example", "root-pass-1", company=1)
    root = desk.session("root@provider.example", "root-pass-1")
    listed = desk.ok(root, "getAssetsList", {"company": {"id": 77}}).fields["assets"]
    assert [a["id"] for a in listed] == [701]
    assert desk.ok(root, "getAsset", {"asset": {"id": 701}}).fields["asset"]["name"] == "Globex Van"


def test_the_login_reply_embeds_contact_and_groups(desk: Desk) -> None:
    out = desk.ok(desk.session(None), "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD})
    user = out.fields["user"]
    assert user["contact"]["name"] == "Dana Demo" and user["contact"]["id"] == 500
    assert out.fields["sessionPolicy"]["multiUser"] == "allow"
    assert out.fields["passwordPolicy"]["minimumLength"] == 8
    globex = desk.ok(desk.session(None), "login", {"username": GLOBEX_LOGIN, "password": GLOBEX_PASSWORD}).fields
    assert "contact" not in globex["user"]
    assert globex["sessionPolicy"] and globex["passwordPolicy"]  # the defaults: Globex has no policy of its own


def test_self_view_drops_a_missing_contact_and_keeps_known_groups(desk: Desk) -> None:
    desk.emu.merge_object("UserGroup", {"company": 42, "name": "Dispatch"})
    group = next(iter(desk.emu.store.records("UserGroup")))
    record = desk.emu.store.get("User", DEMO_LOGIN)
    assert record is not None
    record.data["groups"] = [group.key, 99999]
    record.data["contact"] = 4242
    view = desk.semantics.self_view(record, "SelfUser")
    assert "contact" not in view
    assert [g["name"] for g in view["groups"]] == ["Dispatch"]


# --- list


def test_list_filters_by_company_and_state(desk: Desk, demo: Session) -> None:
    def ids(**extra: Any) -> list[int]:
        fields = desk.ok(demo, "getAssetsList", {"company": {"id": 42}, **extra}).fields
        assert fields["company"] == {"id": 42}  # the filter is echoed
        return sorted(a["id"] for a in fields["assets"])

    assert ids() == [101, 102, 103]
    desk.ok(demo, "removeAsset", {"asset": {"id": 102}})
    desk.ok(demo, "suspendAsset", {"asset": {"id": 103}})
    assert ids() == [101, 103]
    assert ids(includeDeleted=True) == [101, 102, 103]
    assert ids(includeSuspended=False) == [101]
    assert ids(includeDeleted=True, includeSuspended=False) == [101, 102]
    desk.fails(demo, "getAssetsList", {"company": {"id": 77}}, "companyNotFound")
    desk.fails(demo, "getAssetsList", {"company": {"id": 555}}, "companyNotFound")


def test_list_by_reference_and_by_references(desk: Desk, demo: Session) -> None:
    def ids(command: str, body: dict[str, Any]) -> list[int]:
        return sorted(a["id"] for a in desk.ok(demo, command, {"company": {"id": 42}, **body}).fields["assets"])

    assert ids("getAssetsListByReference", {"reference": "T-001"}) == [101]
    assert ids("getAssetsListByReference", {"reference": "nope"}) == []
    assert ids("getAssetsListByReferences", {"references": {"fleet": "TR-007"}}) == [102]
    assert ids("getAssetsListByReferences", {"references": {"fleet": "T-001", "crm": "x"}}) == []


def test_list_by_a_labelled_filter_needs_every_label(desk: Desk, demo: Session) -> None:
    def job(name: str, labels: list[str]) -> int:
        out = desk.ok(
            demo, "mergeDispatchJob", {"dispatchJob": {"company": 42, "asset": 101, "name": name, "labels": labels}}
        )
        return int(out.fields["dispatchJob"]["id"])

    both, one = job("both", ["a", "b"]), job("one", ["a"])
    desk.ok(
        demo, "mergeDispatchJob", {"dispatchJob": {"company": 42, "asset": 102, "name": "elsewhere", "labels": ["a"]}}
    )

    def ids(labels: list[str]) -> list[int]:
        body = {"asset": {"id": 101}, "labels": labels}
        out = desk.ok(demo, "getDispatchJobsListByAssetAndLabels", body).fields
        assert out["asset"] == {"id": 101} and out["labels"] == labels
        return sorted(j["id"] for j in out["dispatchJobs"])

    assert ids(["a"]) == sorted([both, one])
    assert ids(["a", "b"]) == [both]
    assert ids(["c"]) == []
    desk.fails(demo, "getDispatchJobsListByAsset", {"asset": {"id": 999}}, "assetNotFound")


def test_list_filter_on_a_list_field_and_owners(desk: Desk, demo: Session) -> None:
    semantics = desk.semantics
    record = desk.emu.store.get("Asset", 101)
    assert record is not None
    record.data["places"] = [{"id": 301}, {"id": 302}]
    assert semantics._matches_filter(record, "places", 302)
    assert not semantics._matches_filter(record, "places", 303)
    assert semantics._matches_filter(record, "company", 42)
    assert not semantics._matches_filter(record, "company", 77)
    company = desk.emu.store.get("Company", 42)
    # a company is filed under its parent (company lists themselves: test_emulator_list_filters.py)
    assert company is not None and semantics._matches_filter(company, "company", 1)
    assert not semantics._matches_filter(company, "company", 42)
    timezone = next(iter(desk.emu.store.records("Timezone")))
    assert semantics._matches_filter(timezone, "company", 77)  # a catalogue without owners is everyone's


def test_extra_filters_match_by_shape(desk: Desk) -> None:
    record = desk.emu.store.get("Asset", 101)
    assert record is not None
    match = desk.semantics._matches_extra
    assert match(record, "reference", "T-001")  # a single reference looks among the references
    assert not match(record, "reference", "TR-007")
    assert match(record, "references", {"fleet": "T-001"})
    assert not match(record, "references", {"fleet": "T-001", "crm": "T-001"})
    assert match(record, "labels", ["refrigerated"]) and not match(record, "labels", ["refrigerated", "x"])
    assert not match(record, "name", ["Truck 1"])  # a list never matches a non-list
    assert not match(record, "name", {"x": 1}) and match(record, "name", "Truck 1")
    assert match(record, "contact", None) and not match(record, "name", "Truck 2")
    record.data["contact"] = 500
    assert match(record, "contact", {"id": 500})  # a key reference against a stored key
    record.data["owner"] = {"id": 500, "kind": "x"}
    assert match(record, "owner", {"id": 500}) and not match(record, "owner", {"id": 501})


def test_time_ranges() -> None:
    assert _moment("2024-05-01T08:00:00Z") == _moment("2024-05-01T08:00:00+00:00")
    assert _moment("2024-05-01T08:00:00") == _moment("2024-05-01T08:00:00Z")  # the wire's zone is UTC
    assert _moment("2024-05-01T10:00:00+02:00") == _moment("2024-05-01T08:00:00Z")
    for bad in (None, 5, "May 1st", "2024-05-01", "2024-13-45T99:99"):
        assert _moment(bad) is None
    trip = {"name": "x", "started": "2024-05-01T08:00:00Z", "ended": "2024-05-01T09:00:00Z", "n": 3}
    at = _moment
    assert _overlaps(trip, at("2024-05-01T08:30:00Z"), at("2024-05-01T08:40:00Z"))
    assert _overlaps(trip, at("2024-05-01T09:00:00Z"), None)  # bounds are inclusive
    assert _overlaps(trip, None, at("2024-05-01T08:00:00Z"))
    assert not _overlaps(trip, at("2024-05-01T09:00:01Z"), None)
    assert not _overlaps(trip, None, at("2024-05-01T07:59:59Z"))
    assert _overlaps(trip, None, None)
    assert not _overlaps({"name": "no times"}, None, None)


# --- merge


def test_create_fills_every_part_and_pushes_to_the_owner(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "mergeAsset", {"asset": {"company": 42, "kind": "vehicle", "name": "Truck 9"}})
    assert out.fields["asset"]["company"] == 42 and out.fields["asset"]["id"] > 103
    asset = desk.emu.get_object("Asset", out.fields["asset"]["id"])
    assert asset is not None and asset["v"] == [1, 1, 1] and asset["name"] == "Truck 9"
    assert pushes_of(out) == [
        ("assetGeneralMerged", (42,), None),
        ("assetAdvancedMerged", (42,), None),
        ("assetDispatchMerged", (42,), None),
    ]
    general = out.pushes[0].payload
    assert general["id"] == asset["id"] and general["v"] == [1] and general["name"] == "Truck 9"
    second = desk.ok(demo, "mergeAsset", {"asset": {"company": 42, "kind": "vehicle", "name": "Truck 10"}})
    assert second.fields["asset"]["id"] == asset["id"] + 1


def test_create_needs_an_owner_the_session_may_write(desk: Desk, demo: Session) -> None:
    desk.fails(demo, "mergeAsset", {"asset": {"kind": "vehicle", "name": "x"}}, "invalidData")
    desk.fails(demo, "mergeAsset", {"asset": {"company": 0, "kind": "vehicle", "name": "x"}}, "invalidData")
    desk.fails(demo, "mergeAsset", {"asset": {"company": 555, "kind": "vehicle", "name": "x"}}, "companyNotFound")
    desk.fails(demo, "mergeAsset", {"asset": {"company": 77, "kind": "vehicle", "name": "x"}}, "permissionDenied")
    desk.emu.change_state("Company", 77, "remove")
    desk.fails(demo, "mergeAsset", {"asset": {"company": 77, "kind": "vehicle", "name": "x"}}, "companyNotFound")
    assert sorted(r.key for r in desk.emu.store.records("Asset")) == [101, 102, 103, 701]


def test_update_needs_the_stored_version_of_each_changed_part(desk: Desk, demo: Session) -> None:
    for v in (None, [], [2], [0, 1, 1], [2, 1, 1]):
        body: dict[str, Any] = {"id": 101, "name": "Stale"}
        if v is not None:
            body["v"] = v
        out = desk.run(demo, "mergeAsset", {"asset": body})
        assert out.error == "wrongVersionKey", v
        assert out.fields == {"v": [1, 1, 1]} and out.pushes == []
    # only the parts changed are checked: a stale advanced version does not matter to a name change
    out = desk.ok(demo, "mergeAsset", {"asset": {"id": 101, "name": "Fresh", "v": [1, 0, 0]}})
    assert out.fields["asset"] == {"id": 101, "company": 42}
    assert stored(desk, 101)["v"] == [2, 1, 1] and stored(desk, 101)["name"] == "Fresh"
    assert pushes_of(out) == [("assetGeneralMerged", (42,), None)]
    out = desk.ok(demo, "mergeAsset", {"asset": {"id": 101, "odometer": 5.0, "name": "Both", "v": [2, 1, 9]}})
    assert stored(desk, 101)["v"] == [3, 2, 1]
    assert [p.message for p in out.pushes] == ["assetGeneralMerged", "assetAdvancedMerged"]
    out = desk.ok(demo, "mergeAsset", {"asset": {"id": 101, "name": "One v", "v": [3]}})  # one v: the first part
    assert stored(desk, 101)["v"] == [4, 2, 1] and stored(desk, 101)["name"] == "One v"
    desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "odometer": 6.0, "v": [4, 1, 1]}}, "wrongVersionKey")
    desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "odometer": 6.0, "v": [4]}}, "wrongVersionKey")


def test_a_part_merge_uses_the_part_version(desk: Desk, demo: Session) -> None:
    body = {"id": 102, "lastDispatched": "2030-01-01T00:00:00Z"}
    desk.fails(demo, "mergeAssetDispatch", {"asset": body}, "wrongVersionKey")
    desk.fails(demo, "mergeAssetDispatch", {"asset": {**body, "v": [2]}}, "wrongVersionKey")
    out = desk.ok(demo, "mergeAssetDispatch", {"asset": {**body, "v": [1]}})
    assert out.pushes[0].payload["v"] == [2] and out.pushes[0].payload["lastDispatched"] == body["lastDispatched"]
    assert pushes_of(out) == [("assetDispatchMerged", (42,), None)]
    assert desk.emu.get_object("Asset", 102)["v"] == [1, 1, 2]  # type: ignore[index]


def test_a_single_part_object_takes_a_one_element_v(desk: Desk, demo: Session) -> None:
    desk.ok(demo, "mergePlace", {"place": {"id": 301, "name": "Depot", "v": [1]}})
    place = desk.emu.get_object("Place", 301)
    assert place is not None and place["v"] == [2] and place["name"] == "Depot"
    desk.fails(demo, "mergePlace", {"place": {"id": 301, "name": "Depot 2", "v": [1]}}, "wrongVersionKey")


def test_a_merge_that_changes_nothing_pushes_nothing(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "mergeAsset", {"asset": {"id": 101}})
    assert out.pushes == [] and out.fields["asset"] == {"id": 101, "company": 42}
    assert stored(desk, 101)["v"] == [1, 1, 1]


def test_the_owner_of_an_object_cannot_change(desk: Desk, demo: Session) -> None:
    east = desk.emu.merge_object("Company", {"parent": 42, "name": "Acme East"})["id"]
    out = desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "company": east, "v": [1, 1, 1]}}, "invalidData")
    assert "company cannot change" in out.message
    desk.ok(demo, "mergeAsset", {"asset": {"id": 101, "company": 42, "name": "Same owner", "v": [1, 1, 1]}})


def test_merging_an_object_of_another_company_is_not_found(desk: Desk, demo: Session) -> None:
    out = desk.fails(demo, "mergeAsset", {"asset": {"id": 701, "name": "Taken", "v": [1, 1, 1]}}, "assetNotFound")
    assert out.pushes == []
    assert desk.emu.get_object("Asset", 701)["name"] == "Globex Van"  # type: ignore[index]
    desk.fails(demo, "mergeAsset", {"asset": {"id": 999, "name": "x", "v": [1, 1, 1]}}, "assetNotFound")


def test_a_client_chosen_key_creates_on_merge(desk: Desk, demo: Session) -> None:
    body = {"login": "new@acme.example", "company": 42, "nickname": "New", "password": "Secret-123"}
    out = desk.ok(demo, "mergeUser", {"user": body})
    assert out.fields["user"] == {"company": 42}  # the vendor's reply for a user: {id, company}, followed as given
    assert all("password" not in p.payload for p in out.pushes)
    assert desk.semantics.passwords.check("new@acme.example", "Secret-123")
    stored = desk.emu.store.get("User", "new@acme.example")
    assert stored is not None and "password" not in stored.data
    desk.session("new@acme.example", "Secret-123")


def test_a_user_merge_reaches_the_users_own_sessions(desk: Desk, demo: Session) -> None:
    user = desk.emu.get_object("User", DEMO_LOGIN)
    assert user is not None
    out = desk.ok(demo, "mergeUser", {"user": {"login": DEMO_LOGIN, "nickname": "Renamed", "v": user["v"]}})
    own = [p for p in out.pushes if p.login == DEMO_LOGIN]
    assert [p.message for p in own] == ["sessionGeneralMerged"]
    assert own[0].payload["nickname"] == "Renamed" and own[0].payload["contact"]["id"] == 500
    assert [(p.message, p.companies) for p in out.pushes if p.login is None] == [("userGeneralMerged", (42,))]


def test_a_company_merge_reaches_its_own_and_its_parents_subscribers(desk: Desk) -> None:
    view, pushes = desk.semantics.server_merge("Company", {"id": 42, "name": "Acme 2"})
    assert view["name"] == "Acme 2"
    assert [(p.message, p.companies) for p in pushes] == [("companyGeneralMerged", (1, 42))]


def test_server_merge_updates_without_a_version_and_creates_without_a_key(desk: Desk) -> None:
    view, pushes = desk.semantics.server_merge("Asset", {"id": 101, "name": "By the server"})
    assert view["name"] == "By the server" and view["v"] == [2, 1, 1] and len(pushes) == 1
    view, pushes = desk.semantics.server_merge("Asset", {"id": 0, "company": 42, "kind": "vehicle", "name": "New"})
    assert view["v"] == [1, 1, 1] and len(pushes) == 3
    view, _ = desk.semantics.server_merge("AssetAdvanced", {"id": 101, "odometer": 9.0})
    assert view["v"] == [2, 2, 1] and view["odometer"] == 9.0


def test_change_a_dispatch_job(desk: Desk, demo: Session) -> None:
    created = desk.ok(demo, "mergeDispatchJob", {"dispatchJob": {"company": 42, "asset": 101, "name": "Job"}})
    job = desk.emu.get_object("DispatchJob", created.fields["dispatchJob"]["id"])
    assert job is not None
    desk.fails(demo, "changeDispatchJob", {"dispatchJob": {"name": "no key"}}, "invalidData")
    out = desk.ok(demo, "changeDispatchJob", {"dispatchJob": {"id": job["id"], "name": "Changed", "v": job["v"]}})
    assert out.pushes and out.pushes[0].payload["name"] == "Changed"
    desk.fails(demo, "changeDispatchJob", {"dispatchJob": {"id": job["id"], "name": "Stale", "v": job["v"]}},
               "wrongVersionKey")  # fmt: skip


# --- state changes


def test_remove_restore_suspend_revive(desk: Desk, demo: Session) -> None:
    asset = {"asset": {"id": 102}}
    out = desk.ok(demo, "removeAsset", asset)
    assert out.fields["asset"]["deleted"] is True and stored(desk, 102)["since"]
    assert out.fields["asset"]["v"] == [2, 1, 1]
    assert [(p.message, p.payload, p.companies) for p in out.pushes] == [
        ("assetDeleted", {"id": 102, "company": 42}, (42,))
    ]
    again = desk.ok(demo, "removeAsset", asset)  # already deleted: nothing changes, nothing is pushed
    assert again.pushes == [] and again.fields["asset"]["v"] == [2, 1, 1]
    desk.fails(demo, "getAsset", asset, "assetNotFound")
    assert desk.ok(demo, "getAsset", {**asset, "includeDeleted": True}).fields["asset"]["deleted"] is True
    desk.fails(demo, "suspendAsset", asset, "assetNotFound")  # a deleted object cannot be suspended
    out = desk.ok(demo, "restoreAsset", asset)
    assert out.fields["asset"]["deleted"] is False and "since" not in stored(desk, 102)
    assert [p.message for p in out.pushes] == ["assetGeneralMerged"] and out.fields["asset"]["v"] == [3, 1, 1]
    desk.fails(demo, "restoreAsset", asset, "assetNotDeleted")
    desk.fails(demo, "reviveAsset", asset, "assetNotSuspended")
    out = desk.ok(demo, "suspendAsset", asset)
    assert stored(desk, 102)["suspended"] is True and [p.message for p in out.pushes] == ["assetSuspended"]
    desk.fails(demo, "suspendAsset", asset, "assetSuspended")
    out = desk.ok(demo, "reviveAsset", asset)
    assert stored(desk, 102)["suspended"] is False
    assert [p.message for p in out.pushes] == ["assetSuspended", "assetGeneralMerged"]
    assert out.fields["asset"]["v"] == [5, 1, 1]


def test_a_state_change_on_another_companys_object_is_not_found(desk: Desk, demo: Session) -> None:
    desk.fails(demo, "removeAsset", {"asset": {"id": 701}}, "assetNotFound")
    record = desk.emu.store.get("Asset", 701)
    assert record is not None and not record.deleted


def test_a_user_cannot_delete_itself(desk: Desk, demo: Session) -> None:
    desk.fails(demo, "removeUser", {"user": {"login": DEMO_LOGIN}}, "suicide")
    out = desk.ok(demo, "removeUser", {"user": {"login": VIEWER_LOGIN}})
    assert out.fields["user"]["deleted"] is True
    view, pushes = desk.semantics.server_state_change("User", VIEWER_LOGIN, "restore")
    assert view["deleted"] is False and pushes


# --- multi


def test_multi_merge_answers_each_item_and_the_first_failure(desk: Desk, demo: Session) -> None:
    items = [
        {"company": 42, "kind": "vehicle", "name": "M1"},
        {"id": 999, "name": "missing", "v": [1, 1, 1]},
        {"id": 101, "name": "stale", "v": [0, 0, 0]},
        {"id": 102, "name": "Renamed", "v": [1, 1, 1]},
    ]
    out = desk.run(demo, "multiMergeAsset", {"assets": items})
    assert out.error == "assetNotFound" and out.message.startswith("2 of 4 items failed; first: no Asset")
    first, missing, stale, renamed = out.fields["assets"]
    assert first["company"] == 42 and stored(desk, first["id"])["name"] == "M1"
    assert missing["id"] == 999 and missing["errorCode"] != 0 and missing["message"] == "no Asset with key 999"
    assert stale["id"] == 101 and stale["message"].startswith("multiMergeAsset: stale version")
    assert renamed == {"id": 102, "company": 42} and stored(desk, 102)["name"] == "Renamed"
    assert [p.message for p in out.pushes] == ["assetGeneralMerged"] * 2 + [
        "assetAdvancedMerged",
        "assetDispatchMerged",
    ] or sorted(p.message for p in out.pushes) == sorted(
        ["assetGeneralMerged", "assetAdvancedMerged", "assetDispatchMerged", "assetGeneralMerged"]
    )
    assert len(out.pushes) == 4
    all_ok = desk.ok(demo, "multiMergeAsset", {"assets": [{"id": 103, "name": "D", "v": [1, 1, 1]}]})
    assert all_ok.message == "" and stored(desk, 103)["name"] == "D"


def test_multi_remove_and_the_batch_limit(desk: Desk, demo: Session) -> None:
    out = desk.run(demo, "multiRemoveAsset", {"assets": [{"id": 102}, {"id": 701}]})
    removed, other = out.fields["assets"]
    assert removed["deleted"] is True and other["id"] == 701 and other["errorCode"] != 0
    assert out.error == "assetNotFound" and [p.message for p in out.pushes] == ["assetDeleted"]
    too_many = [{"id": 102}] * (MAX_BATCH + 1)
    desk.fails(demo, "multiRemoveAsset", {"assets": too_many}, "invalidData")
    desk.ok(demo, "multiRemoveAsset", {"assets": [{"id": 102}] * MAX_BATCH})


# --- clear


def test_clear_deletes_for_good_the_logs_of_one_asset(desk: Desk, demo: Session) -> None:
    for asset in (101, 101, 102):
        desk.emu.merge_object("BehaviourLog", {"company": 42, "asset": asset, "kind": "info", "message": "m"})
    desk.emu.merge_object("BehaviourLog", {"company": 77, "asset": 101, "kind": "info", "message": "not ours"})
    out = desk.ok(demo, "clearBehaviourLogsByAsset", {"asset": {"id": 101}})
    assert out.fields == {"asset": {"id": 101}}
    assert [(p.message, p.companies) for p in out.pushes] == [("behaviourLogDeleted", (42,))] * 2 or all(
        p.companies == (42,) for p in out.pushes
    )
    assert len(out.pushes) == 2
    left = sorted((r.data["company"], r.data["asset"]) for r in desk.emu.store.records("BehaviourLog"))
    assert left == [(42, 102), (77, 101)]
    desk.fails(demo, "clearBehaviourLogsByAsset", {"asset": {"id": 701}}, "assetNotFound")


# --- registered handlers


def test_a_registered_handler_answers_its_command(desk: Desk, demo: Session) -> None:
    seen: list[dict[str, Any]] = []

    def handler(semantics: Any, request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        if request["asset"]["id"] == 1:
            raise Failure("assetNotFound", "handled")
        return {"asset": {"id": request["asset"]["id"], "company": 42, "name": "From handler", "v": [1, 1, 1]}}

    desk.semantics.register("getAsset", handler)
    out = desk.ok(demo, "getAsset", {"asset": {"id": 5}})
    assert out.fields["asset"]["name"] == "From handler"
    assert seen[0]["includeDeleted"] is not None or "includeDeleted" in seen[0]  # defaults filled in
    assert desk.fails(demo, "getAsset", {"asset": {"id": 1}}, "assetNotFound").message == "handled"
    desk.semantics.register("getAsset", lambda s, r: {"asset": "not an asset"})
    out = desk.fails(demo, "getAsset", {"asset": {"id": 5}}, "service")
    assert "answered a bad reply" in out.message
    with pytest.raises(ValueError, match="unknown command 'noSuchCommand'"):
        desk.semantics.register("noSuchCommand", handler)


# --- the session's own commands


def test_login_refusals(desk: Desk) -> None:
    anonymous = desk.session(None)
    desk.fails(anonymous, "login", {"username": DEMO_LOGIN, "password": "wrong"}, "invalidCredentials")
    desk.fails(anonymous, "login", {"username": "nobody@x", "password": "x"}, "invalidCredentials")
    desk.emu.add_user("off@acme.example", "off-pass-1", enabled=False)
    desk.fails(anonymous, "login", {"username": "off@acme.example", "password": "off-pass-1"}, "userDisabled")
    desk.emu.change_state("User", VIEWER_LOGIN, "remove")
    desk.fails(anonymous, "login", {"username": VIEWER_LOGIN, "password": VIEWER_PASSWORD}, "invalidCredentials")
    assert not anonymous.logged_in
    desk.emu.add_machine("m-key", company=42)
    machine = desk.session(None)
    machine.machine = "m-key"
    desk.fails(machine, "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD}, "machineNotAllowed")


def test_login_sets_the_session_and_mirrors_it(desk: Desk, demo: Session) -> None:
    assert demo.login == DEMO_LOGIN and demo.company == 42
    mirrored = desk.ok(demo, "getSessionsList", {"company": {"id": 42}}).fields["sessions"]
    assert [(s["handle"], s["login"], s["company"]) for s in mirrored] == [(demo.handle, DEMO_LOGIN, 42)]
    desk.ok(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
    desk.ok(demo, "login", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD})
    assert demo.subscriptions == {42: {"assetGeneral"}}  # the same user logging in again keeps them
    desk.ok(demo, "login", {"username": VIEWER_LOGIN, "password": VIEWER_PASSWORD})
    assert demo.subscriptions == {} and demo.login == VIEWER_LOGIN  # another user does not


def test_session_details_and_logout(desk: Desk, demo: Session) -> None:
    details = desk.ok(demo, "getSessionDetails").fields
    assert details["ghostId"] == demo.ghost_id and details["user"]["login"] == DEMO_LOGIN
    assert details["expiry"] == demo.expiry and details["serverTime"]
    out = desk.ok(demo, "logout")
    assert out.close_after and out.fields["ghostId"] == demo.ghost_id
    assert desk.emu.store.get("Session", demo.handle) is None
    assert desk.emu.sessions.get(demo.ghost_id) is None


def test_update_own_password(desk: Desk, demo: Session) -> None:
    body = {"current": DEMO_PASSWORD, "password": "Better-pass-43"}
    desk.fails(demo, "updateOwnPassword", {**body, "current": "wrong"}, "invalidCredentials")
    desk.fails(demo, "updateOwnPassword", {**body, "password": DEMO_PASSWORD}, "samePassword")
    out = desk.fails(demo, "updateOwnPassword", {**body, "password": "short1"}, "noncompliantPassword")
    assert out.message.startswith("the new password needs ")
    out = desk.ok(demo, "updateOwnPassword", body)
    assert out.fields["passwordPolicy"]["minimumLength"] == 8 and "expires" not in out.fields
    assert out.pushes == []  # the password was not expired: the user object does not change
    assert desk.semantics.passwords.check(DEMO_LOGIN, "Better-pass-43")
    assert not desk.semantics.passwords.check(DEMO_LOGIN, DEMO_PASSWORD)


def test_a_password_policy_that_expires_gives_the_new_expiry(desk: Desk, demo: Session) -> None:
    desk.emu.merge_object("Company", {"id": 42, "passwordPolicy": {"minimumLength": 4, "expireMode": "days",
                                                                    "expireThreshold": 30}})  # fmt: skip
    out = desk.ok(demo, "updateOwnPassword", {"current": DEMO_PASSWORD, "password": "abcd1234"})
    assert out.fields["expires"] > desk.semantics.session_details(demo)["serverTime"]


def test_update_own_preferences(desk: Desk, demo: Session) -> None:
    assert desk.ok(demo, "updateOwnPreferences", {}).pushes == []
    out = desk.ok(demo, "updateOwnPreferences", {"language": "fr-CA"})
    assert out.fields == {}
    assert [p.message for p in out.pushes if p.login is None] == ["userGeneralMerged"]
    user = desk.emu.get_object("User", DEMO_LOGIN)
    assert user is not None and user["language"] == "fr-CA" and user["v"][0] == 2


def test_update_own_contact(desk: Desk, demo: Session) -> None:
    assert desk.ok(demo, "updateOwnContact", {"contact": {"id": 500}}).pushes == []
    out = desk.ok(demo, "updateOwnContact", {"contact": {"id": 123, "name": "Dana D.", "v": [0]}})
    assert [(p.message, p.companies) for p in out.pushes] == [("contactMerged", (42,))]
    contact = desk.emu.get_object("Contact", 500)
    assert contact is not None and contact["name"] == "Dana D." and contact["id"] == 500 and contact["v"] == [2]
    desk.fails(demo, "updateOwnContact", {"contact": {"company": 77}}, "permissionDenied")
    desk.ok(demo, "updateOwnContact", {"contact": {"company": 42, "name": "Same"}})
    viewer = desk.session(VIEWER_LOGIN, VIEWER_PASSWORD)
    desk.fails(viewer, "updateOwnContact", {"contact": {"name": "x"}}, "contactNotFound")
    desk.emu.change_state("Contact", 500, "remove")
    desk.fails(demo, "updateOwnContact", {"contact": {"name": "x"}}, "contactNotFound")


def test_subscribe_unsubscribe_and_list(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "bogus"]})
    assert out.fields == {"company": {"id": 42}, "merged": ["assetGeneral"], "denied": [], "invalid": ["bogus"]}
    out = desk.fails(demo, "subscribe", {"company": {"id": 77}, "subscriptionTypes": ["assetGeneral"]},
                     "permissionDenied")  # fmt: skip
    assert out.fields["denied"] == ["assetGeneral"] and out.fields["merged"] == []
    desk.fails(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["bogus"]}, "invalidData")
    desk.fails(demo, "subscribe", {"company": {"id": 555}, "subscriptionTypes": ["assetGeneral"]}, "companyNotFound")
    assert desk.ok(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": []}).fields["merged"] == []
    desk.ok(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["placeGeneral"]})
    listed = desk.ok(demo, "getSubscriptionsList").fields["subscriptions"]
    assert listed == [{"company": 42, "subscriptionTypes": ["assetGeneral", "placeGeneral"]}]
    assert 77 not in demo.subscriptions
    out = desk.ok(demo, "unsubscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "bogus", "x"]})
    assert out.fields == {"company": {"id": 42}, "removed": ["assetGeneral"], "invalid": ["bogus", "x"]}
    desk.ok(demo, "unsubscribe", {"company": {"id": 42}, "subscriptionTypes": ["placeGeneral", "assetGeneral"]})
    assert demo.subscriptions == {}
    assert desk.ok(demo, "getSubscriptionsList").fields == {"subscriptions": []}
    desk.ok(demo, "unsubscribe", {"company": {"id": 77}, "subscriptionTypes": ["placeGeneral"]})


def test_subscriptions_a_user_is_allowed(desk: Desk) -> None:
    viewer = desk.session(VIEWER_LOGIN, VIEWER_PASSWORD)
    body = {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "assetAdvanced"]}
    out = desk.ok(viewer, "subscribe", body)
    assert out.fields["merged"] == ["assetGeneral"] and out.fields["denied"] == ["assetAdvanced"]


def test_kill_session(desk: Desk, demo: Session) -> None:
    other = desk.session()
    globex = desk.session(GLOBEX_LOGIN, GLOBEX_PASSWORD)
    desk.fails(demo, "killSession", {"session": {"handle": demo.handle}}, "suicide")
    desk.fails(demo, "killSession", {"session": {"handle": globex.handle}}, "killSessionFailed")
    desk.fails(demo, "killSession", {"session": {"handle": "nope"}}, "killSessionFailed")
    out = desk.ok(demo, "killSession", {"session": {"handle": other.handle}})
    assert out.ended == [(other, "sessionKilled")]
    assert out.fields["session"]["handle"] == other.handle and out.fields["session"]["login"] == DEMO_LOGIN
    assert desk.emu.store.get("Session", other.handle) is None
    assert desk.emu.store.get("Session", globex.handle) is not None
    other.ended = "sessionKilled"
    desk.fails(demo, "killSession", {"session": {"handle": other.handle}}, "killSessionFailed")


def test_push_is_a_plain_record() -> None:
    push = Push("m", {"a": 1})
    assert (push.companies, push.login, push.machine) == ((), None, None)
    assert Outcome().error == "success" and Outcome().fields == {} and not Outcome().close_after


# --- what the first mutation run showed unguarded


def machine_session(desk: Desk) -> Session:
    """A session authenticated as an API key (no user behind it), as the server makes one when a machine connects."""
    desk.emu.add_machine("m-key", company=42)
    session = desk.emu.sessions.new()
    session.machine, session.company = "m-key", 42
    return session


def test_a_machine_session_has_no_own_user(desk: Desk) -> None:
    machine = machine_session(desk)
    out = desk.fails(machine, "updateOwnPreferences", {"language": "fr"}, "userNotFound")
    assert out.message == "the session's user no longer exists"
    out = desk.fails(machine, "updateOwnContact", {"contact": {"name": "x"}}, "contactNotFound")
    assert out.message == "the user has no contact card"
    sub = desk.ok(machine, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
    assert sub.fields["merged"] == ["assetGeneral"]  # no user: no per-user restriction


def test_preferences_are_the_general_part_only(desk: Desk, demo: Session) -> None:
    out = desk.ok(demo, "updateOwnPreferences", {"options": {"theme": "dark"}})
    assert [p.message for p in out.pushes if p.login is None] == ["userGeneralMerged"]
    assert desk.emu.get_object("User", DEMO_LOGIN)["v"] == [2, 1, 1, 1]  # type: ignore[index]


def test_exact_messages_of_session_refusals(desk: Desk, demo: Session) -> None:
    assert desk.fails(demo, "killSession", {"session": {"handle": demo.handle}}, "suicide").message == (
        "a session cannot kill itself; use logout"
    )
    assert desk.fails(demo, "removeUser", {"user": {"login": DEMO_LOGIN}}, "suicide").message == (
        "a user cannot delete itself"
    )
    out = desk.fails(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["bogus"]}, "invalidData")
    assert out.message == "no subscription type was added"
    out = desk.fails(demo, "updateOwnContact", {"contact": {"company": 77}}, "permissionDenied")
    assert out.message == "a contact card cannot move to another company"
    anonymous = desk.session(None)
    assert desk.fails(anonymous, "getSessionDetails", {}, "userNotLoggedIn").message == "not logged in"


def test_exact_fields_of_kill_and_logout(desk: Desk, demo: Session) -> None:
    other = desk.session()
    answer = desk.ok(demo, "killSession", {"session": {"handle": other.handle}}).fields["session"]
    assert set(answer) == {"handle", "company", "login", "expiry"} and answer["company"] == 42
    out = desk.ok(demo, "logout")
    assert set(out.fields) == {"ghostId", "expiry"}


def test_unsubscribing_one_type_keeps_the_others(desk: Desk, demo: Session) -> None:
    desk.ok(demo, "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "placeGeneral"]})
    desk.ok(demo, "unsubscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
    assert demo.subscriptions == {42: {"placeGeneral"}}


def test_change_a_dispatch_job_exactly(desk: Desk, demo: Session) -> None:
    created = desk.ok(demo, "mergeDispatchJob", {"dispatchJob": {"company": 42, "asset": 101, "name": "Job"}})
    key = created.fields["dispatchJob"]["id"]
    job = desk.emu.get_object("DispatchJob", key)
    assert job is not None
    out = desk.ok(demo, "changeDispatchJob", {"dispatchJob": {"id": key, "name": "Changed", "v": job["v"]}})
    assert out.fields == {"dispatchJob": {"id": key, "company": 42}}
    new = {"id": 0, "company": 42, "asset": 101, "name": "New", "v": [1]}
    out = desk.fails(demo, "changeDispatchJob", {"dispatchJob": new}, "invalidData")
    assert out.message == "changeDispatchJob: id is required"  # a change never creates
    assert len(list(desk.emu.store.records("DispatchJob"))) == 1
    theirs = desk.emu.merge_object("DispatchJob", {"company": 77, "asset": 701, "name": "Globex job"})
    stored_job = desk.emu.get_object("DispatchJob", theirs["id"])
    assert stored_job is not None
    body = {"dispatchJob": {"id": theirs["id"], "name": "Taken", "v": stored_job["v"]}}
    desk.fails(demo, "changeDispatchJob", body, "dispatchJobNotFound")


def test_a_new_company_has_versions_for_its_parts_only(desk: Desk) -> None:
    created = desk.emu.merge_object("Company", {"parent": 42, "name": "Acme West"})
    assert created["v"] == [1, 0, 1, 1, 1, 1]  # the second slot has no part


def test_ids_count_per_type_and_textual_keys_are_made_up(desk: Desk) -> None:
    asset = desk.emu.merge_object("Asset", {"company": 42, "kind": "vehicle", "name": "A"})
    place = desk.emu.merge_object("Place", {"company": 42, "kind": "radial", "name": "P"})
    assert (asset["id"], place["id"]) == (1001, 1001)
    user = desk.emu.merge_object("User", {"company": 42, "nickname": "No login"})
    assert isinstance(user["login"], str) and len(user["login"]) == 36


def test_server_merge_of_a_user_by_login_and_state_views(desk: Desk) -> None:
    view = desk.emu.merge_object("User", {"login": DEMO_LOGIN, "nickname": "By the server"})
    assert view["nickname"] == "By the server" and view["v"][0] == 2
    removed = desk.emu.change_state("Asset", 102, "remove")
    assert removed["v"] == [2, 1, 1] and removed["name"] == "Trailer 7"


def test_lists_skip_what_the_session_may_not_see_without_stopping(desk: Desk, demo: Session) -> None:
    desk.emu.merge_object("BehaviourLog", {"company": 77, "asset": 101, "kind": "info", "message": "theirs"})
    for text in ("one", "two"):
        desk.emu.merge_object("BehaviourLog", {"company": 42, "asset": 101, "kind": "info", "message": text})
    logs = desk.ok(demo, "getBehaviourLogsListByAsset", {"asset": {"id": 101}}).fields["behaviourLogs"]
    assert sorted(log["message"] for log in logs) == ["one", "two"]
    assert all(log["v"] == [1] for log in logs)  # shaped as the reply's type


def test_a_list_without_an_include_suspended_flag_lists_suspended_objects(desk: Desk, demo: Session) -> None:
    job = desk.emu.merge_object("DispatchJob", {"company": 42, "asset": 101, "name": "Held"})
    desk.emu.change_state("DispatchJob", job["id"], "suspend")
    jobs = desk.ok(demo, "getDispatchJobsListByAsset", {"asset": {"id": 101}}).fields["dispatchJobs"]
    assert [j["id"] for j in jobs] == [job["id"]]


def test_companies_listed_by_company_are_its_children_and_itself_when_asked(desk: Desk) -> None:
    desk.emu.add_user("root@provider.example", "root-pass-1", company=1)
    root = desk.session("root@provider.example", "root-pass-1")

    def ids(company: int, **flags: bool) -> list[int]:
        body = {"company": {"id": company}, **flags}
        return sorted(c["id"] for c in desk.ok(root, "getCompaniesList", body).fields["companies"])

    assert ids(42) == []
    assert ids(42, includeParent=True) == [42]
    assert ids(1) == [42, 77]
    assert ids(1, includeParent=True) == [1, 42, 77]


def test_multi_merge_cannot_reach_another_company(desk: Desk, demo: Session) -> None:
    out = desk.run(demo, "multiMergeAsset", {"assets": [{"id": 701, "name": "Taken", "v": [1, 1, 1]}]})
    assert out.error == "assetNotFound" and out.fields["assets"][0]["id"] == 701
    assert desk.emu.get_object("Asset", 701)["name"] == "Globex Van"  # type: ignore[index]


def test_a_registered_handler_gets_the_semantics(desk: Desk, demo: Session) -> None:
    def handler(semantics: Any, request: dict[str, Any]) -> dict[str, Any]:
        return {"asset": semantics.view(semantics.store.get("Asset", 102), "Asset")}

    desk.semantics.register("getAsset", handler)
    assert desk.ok(demo, "getAsset", {"asset": {"id": 101}}).fields["asset"]["name"] == "Trailer 7"


class BetweenRequest(COMMANDS["getBehaviourLogsListByAsset"].request_class):  # type: ignore[misc]
    """A range-filtered list the shipped schema does not have (a vendor may add one: the emulator serves it)."""

    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


def test_a_range_filter_keeps_what_overlaps(desk: Desk, demo: Session) -> None:
    spec = dataclasses.replace(
        COMMANDS["getBehaviourLogsListByAsset"],
        name="getBehaviourLogsListByAssetBetween",
        request_path=f"{__name__}:BetweenRequest",
        request_fields=("asset", "includeDeleted", "from", "to"),
    )
    for day in ("01", "03", "05"):
        desk.emu.merge_object("BehaviourLog", {"company": 42, "asset": 101, "kind": "info", "message": day,
                                                "dts": f"2024-05-{day}T08:00:00Z"})  # fmt: skip
    desk.emu.merge_object("BehaviourLog", {"company": 42, "asset": 101, "kind": "info", "message": "untimed"})

    def days(**bounds: str) -> list[str]:
        out = desk.semantics.execute(spec, demo, {"asset": {"id": 101}, **bounds})
        assert out.error == "success", out.message
        return sorted(log["message"] for log in out.fields["behaviourLogs"])

    assert days() == ["01", "03", "05", "untimed"]
    assert days(**{"from": "2024-05-02T00:00:00Z"}) == ["03", "05"]
    # a lower-case zone letter is no wire datetime (Python refuses it too): such a bound limits nothing
    assert days(**{"from": "2024-05-02T00:00:00z"}) == ["01", "03", "05", "untimed"]
    assert days(to="2024-05-04T00:00:00Z") == ["01", "03"]
    assert days(**{"from": "2024-05-02T00:00:00Z", "to": "2024-05-04T00:00:00Z"}) == ["03"]
    assert days(**{"from": "2024-05-06T00:00:00Z"}) == []


def test_merge_machine_secret_is_a_flag_shown_once(desk: Desk, demo: Session) -> None:
    desk.emu.add_machine("m-key", company=42)
    machine = desk.emu.get_object("Machine", "m-key")
    assert machine is not None
    out = desk.ok(demo, "mergeMachine", {"machine": {"key": "m-key", "secret": True, "v": machine["v"]}})
    general = [p for p in out.pushes if p.machine is None]
    own = [p for p in out.pushes if p.machine == "m-key"]
    assert [p.message for p in own] == ["sessionMachineMerged"] and "secret" not in own[0].payload
    assert general and isinstance(general[0].payload["secret"], str) and len(general[0].payload["secret"]) > 16
    assert general[0].companies == (42,)
    after = desk.emu.get_object("Machine", "m-key")
    assert after is not None and after["v"][0] == machine["v"][0] + 1 and "secret" not in str(after)
    out = desk.ok(
        demo, "mergeMachine", {"machine": {"key": "m-key", "secret": False, "nickname": "n", "v": after["v"]}}
    )
    assert all("secret" not in p.payload for p in out.pushes)
    assert [p.message for p in out.pushes if p.machine == "m-key"] == ["sessionMachineMerged"]


def test_clearing_an_expired_password_moves_the_user_versions(desk: Desk) -> None:
    desk.emu.add_user("old@acme.example", "old-pass-1", passwordExpired=True)
    before = desk.emu.get_object("User", "old@acme.example")
    assert before is not None
    session = desk.session(None)
    desk.run(session, "login", {"username": "old@acme.example", "password": "old-pass-1"})
    out = desk.ok(session, "updateOwnPassword", {"current": "old-pass-1", "password": "new-pass-2"})
    after = desk.emu.get_object("User", "old@acme.example")
    assert after is not None and after["passwordExpired"] is False
    assert after["v"] == [before["v"][0] + 1, before["v"][1], before["v"][2] + 1, before["v"][3]]
    assert sorted(p.message for p in out.pushes if p.login is None) == ["userAuthenticationMerged", "userGeneralMerged"]


def test_password_rules_and_expiry_mode(desk: Desk, demo: Session) -> None:
    out = desk.fails(
        demo, "updateOwnPassword", {"current": DEMO_PASSWORD, "password": "short1"}, "noncompliantPassword"
    )
    assert out.message == "the new password needs at least 8 characters"
    desk.emu.merge_object("Company", {"id": 42, "passwordPolicy": {"minimumLength": 4, "expireMode": "never",
                                                                    "expireThreshold": 30}})  # fmt: skip
    assert (
        "expires" not in desk.ok(demo, "updateOwnPassword", {"current": DEMO_PASSWORD, "password": "abcd1234"}).fields
    )


def test_one_v_for_a_many_part_object_names_the_first_part_only(desk: Desk, demo: Session) -> None:
    desk.ok(demo, "mergeAsset", {"asset": {"id": 101, "odometer": 1.0, "v": [1, 1, 1]}})  # advanced now at 2
    desk.ok(demo, "mergeAsset", {"asset": {"id": 101, "name": "x", "v": [1, 0, 0]}})  # general now at 2
    desk.fails(demo, "mergeAsset", {"asset": {"id": 101, "odometer": 2.0, "v": [2]}}, "wrongVersionKey")


def test_a_field_no_part_claims_is_a_change_of_the_first_part(desk: Desk) -> None:
    view, pushes = desk.semantics.server_merge("Asset", {"id": 101, "emulatorNote": "x"})
    assert view["v"] == [2, 1, 1] and [p.message for p in pushes] == ["assetGeneralMerged"]
