"""The sync cache's rules without sockets: frames are decoded from wire text and fed to ``CacheCore`` directly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleetfreedom import ObjectCreated, ObjectDeleted, ObjectUpdated
from fleetfreedom._cache_core import CacheCore, list_command, version_of
from fleetfreedom._codec import decode
from fleetfreedom.models.assets import Asset, AssetAdvanced, AssetGeneral
from fleetfreedom.models.places import Place

COMPANY = 42


def frame(name: str, body: dict[str, Any]) -> Any:
    decoded_name, message = decode(f"{name} {json.dumps(body)}")
    assert decoded_name == name
    return message


def general(key: int, v: int, **fields: Any) -> Any:
    return frame("assetGeneralMerged", {"id": key, "company": COMPANY, "kind": "vehicle", "v": [v], **fields})


def advanced(key: int, v: int, **fields: Any) -> Any:
    return frame("assetAdvancedMerged", {"id": key, "company": COMPANY, "v": [v], **fields})


def deleted(key: int) -> Any:
    return frame("assetDeleted", {"id": key, "company": COMPANY})


def models(cls: type[Any], *items: dict[str, Any]) -> list[Any]:
    return [cls.model_validate({"company": COMPANY, **item}) for item in items]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def core() -> CacheCore:
    c = CacheCore(tombstone_ttl=60.0, clock=Clock())
    c.watch(COMPANY, "AssetGeneral")
    c.watch(COMPANY, "AssetAdvanced")
    return c


def stored(core: CacheCore, key: int, cls: type[Any] = AssetGeneral) -> Any:
    raw = core.raw(cls.__name__, key)
    return cls.model_validate_json(raw) if raw is not None else None


def test_version_rule_newer_replaces_older_and_equal_do_not(core: CacheCore) -> None:
    [created] = core.apply(general(7, 2, name="Truck"))
    assert isinstance(created, ObjectCreated) and created.new is not None and created.new.name == "Truck"
    assert core.apply(general(7, 1, name="older")) == []
    assert core.apply(general(7, 2, name="same version, other text")) == []
    assert core.stats.same_version_differs == 1
    [updated] = core.apply(general(7, 3, name="Truck 7", labels=["cold"]))
    assert isinstance(updated, ObjectUpdated)
    assert updated.fields == {"name", "labels"}
    assert updated.old is not None and updated.old.name == "Truck"
    assert stored(core, 7).name == "Truck 7" and stored(core, 7).v == [3]


def test_missing_version_lands_only_on_an_empty_slot(core: CacheCore) -> None:
    core.apply(general(8, 4, name="a"))
    assert core.apply(frame("assetGeneralMerged", {"id": 8, "company": COMPANY, "name": "no v"})) == []
    assert stored(core, 8).name == "a"


def test_a_part_frame_updates_only_its_part_and_composes_with_versions_per_slot(core: CacheCore) -> None:
    core.apply(general(9, 5, name="Nine"))
    core.apply(advanced(9, 2, odometer=100.0))
    [change] = core.apply(advanced(9, 3, odometer=150.0))
    assert change.type is AssetAdvanced and isinstance(change, ObjectUpdated) and change.fields == {"odometer"}
    assert stored(core, 9).v == [5]
    whole = Asset.model_validate_json(core.raw("Asset", 9) or b"")
    assert whole.name == "Nine" and whole.odometer == 150.0 and whole.v == [5, 3, 0]
    assert core.keys("Asset", COMPANY) == [9]


def test_full_width_v_is_indexed_by_slot() -> None:
    assert version_of([4, 7, 9], 1, 3) == 7
    assert version_of([4], 2, 3) == 4
    assert version_of([4, 7], 2, 3) is None
    assert version_of(None, 0, 1) is None


def test_a_merged_frame_after_the_deleted_one_does_not_resurrect(core: CacheCore) -> None:
    core.apply(general(10, 3, name="Ten"))
    core.apply(advanced(10, 1))
    changes = core.apply(deleted(10))
    assert {(type(c), c.type) for c in changes} == {(ObjectDeleted, AssetGeneral), (ObjectDeleted, AssetAdvanced)}
    assert core.raw("AssetGeneral", 10) is None and core.raw("Asset", 10) is None
    assert core.apply(general(10, 3, name="replayed")) == []  # the very frame seen before
    assert core.apply(general(10, 2, name="late")) == []
    assert core.raw("AssetGeneral", 10) is None and not core.refresh
    # newer than anything seen: maybe restored, but a lone push is not trusted: a re-list is asked for instead
    assert core.apply(general(10, 5, name="restored?")) == []
    assert core.raw("AssetGeneral", 10) is None
    assert (COMPANY, "AssetGeneral") in core.refresh


def test_tombstones_expire(core: CacheCore) -> None:
    clock = core.clock
    assert isinstance(clock, Clock)
    core.apply(general(11, 1))
    core.apply(deleted(11))
    assert core.tombstones == 1
    clock.now += 61
    assert core.tombstones == 0
    assert len(core.apply(general(11, 1, name="back after the tombstone expired"))) == 1


def test_a_list_reply_is_authoritative_but_not_over_later_pushes(core: CacheCore) -> None:
    core.apply(general(1, 1, name="gone on the server"))
    core.apply(general(2, 1, name="old"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    # while the list request is in flight: a new object, and a newer version of one the list will also carry
    core.apply(general(3, 1, name="created after the list was built"))
    core.apply(general(2, 3, name="newest"))
    changes = core.finish_list(ticket, models(AssetGeneral, {"id": 2, "name": "listed", "v": [2]}))
    assert [(type(c).__name__, c.key) for c in changes] == [("ObjectDeleted", 1)]
    assert sorted(core.keys("AssetGeneral")) == [2, 3]
    assert stored(core, 2).name == "newest"
    assert core.stats.evicted == 1


def test_a_list_built_before_a_deletion_does_not_bring_the_object_back(core: CacheCore) -> None:
    core.apply(general(4, 1))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(deleted(4))
    core.finish_list(ticket, models(AssetGeneral, {"id": 4, "v": [1]}))
    assert core.raw("AssetGeneral", 4) is None


def test_a_list_sent_after_a_deletion_wins_over_the_tombstone(core: CacheCore) -> None:
    core.apply(general(5, 1))
    core.apply(deleted(5))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    [change] = core.finish_list(ticket, models(AssetGeneral, {"id": 5, "name": "restored", "v": [3]}))
    assert isinstance(change, ObjectCreated) and stored(core, 5).name == "restored"
    assert core.tombstones == 0


def test_a_forced_list_replaces_whatever_the_version(core: CacheCore) -> None:
    core.apply(general(6, 9, name="cached"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    [change] = core.finish_list(ticket, models(AssetGeneral, {"id": 6, "name": "server copy", "v": [2]}), force=True)
    assert isinstance(change, ObjectUpdated) and stored(core, 6).name == "server copy"


def test_suspension_patches_the_part_holding_the_flag(core: CacheCore) -> None:
    core.apply(general(12, 1, name="Twelve"))
    core.apply(advanced(12, 1))
    [change] = core.apply(frame("assetSuspended", {"id": 12, "company": COMPANY, "suspended": True, "v": [2, 1, 1]}))
    assert change.type is AssetGeneral and isinstance(change, ObjectUpdated) and change.fields == {"suspended"}
    assert stored(core, 12).suspended is True and stored(core, 12).v == [2] and stored(core, 12).name == "Twelve"
    assert core.apply(frame("assetSuspended", {"id": 12, "company": COMPANY, "suspended": False, "v": [2, 1, 1]})) == []


def test_frames_outside_the_synced_regions_are_ignored(core: CacheCore) -> None:
    other = frame("assetGeneralMerged", {"id": 13, "company": 7, "kind": "vehicle", "v": [1]})
    assert core.apply(other) == []
    assert core.apply(frame("placeGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]})) == []
    assert core.stats.ignored == 2
    core.watch(COMPANY, "Place")
    [change] = core.apply(frame("placeGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]}))
    assert change.type is Place


def test_unwatching_drops_the_region_and_changes_can_be_switched_off(core: CacheCore) -> None:
    core.track_changes = False
    assert core.apply(general(14, 1)) == []
    assert core.count("AssetGeneral") == 1
    assert core.unwatch(COMPANY, "AssetGeneral") == 1
    assert core.count("AssetGeneral") == 0


def test_list_commands_come_from_the_registry() -> None:
    command = list_command("AssetGeneral")
    assert command is not None and command.name == "getAssetGeneralsList"
    dispatch_jobs = list_command("DispatchJob")
    assert dispatch_jobs is not None and dispatch_jobs.name == "getDispatchJobsList"
    assert list_command("BillableHostingRule") is None  # listed by billing profile only: cannot sync by company


def test_changes_compare_by_content() -> None:
    a = ObjectCreated(AssetGeneral, 1, COMPANY, None, b'{"id":1}')
    assert a == ObjectCreated(AssetGeneral, 1, COMPANY, None, b'{"id":1}')
    assert a != ObjectDeleted(AssetGeneral, 1, COMPANY, None, b'{"id":1}')
    assert "AssetGeneral 1" in repr(a)
