"""The sync cache's rules without sockets: frames are decoded from wire text and fed to ``CacheCore`` directly.

The ``core`` fixture runs every rule twice: with production defaults (no change stream open, so the core makes no
change objects; that is how ``AsyncCache`` runs until somebody calls ``changes()``) and with changes tracked. What
is stored, evicted and counted must be the same either way; tests about the change objects themselves use
``listening``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fleetfreedom import ObjectCreated, ObjectDeleted, ObjectUpdated
from fleetfreedom._cache_core import CacheCore
from fleetfreedom._cache_pieces import list_command, version_of
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


def synced_core(**options: Any) -> CacheCore:
    c = CacheCore(tombstone_ttl=60.0, clock=Clock(), **options)
    c.watch(COMPANY, "AssetGeneral")
    c.watch(COMPANY, "AssetAdvanced")
    return c


@pytest.fixture(params=["no-change-stream", "change-stream-open"])
def core(request: pytest.FixtureRequest) -> CacheCore:
    """Production defaults first (what ``AsyncCache`` makes), then with changes tracked (a stream is open)."""
    c = synced_core()
    assert c.track_changes is False  # the default IS the production setting: nothing listens yet
    c.track_changes = request.param == "change-stream-open"
    return c


@pytest.fixture
def listening() -> CacheCore:
    """A core whose driver has a change stream open: pushes and lists answer with the changes they made."""
    return synced_core(track_changes=True)


def stored(core: CacheCore, key: int, cls: type[Any] = AssetGeneral) -> Any:
    raw = core.raw(cls.__name__, key)
    return cls.model_validate_json(raw) if raw is not None else None


def test_version_rule_newer_replaces_older_and_equal_do_not(core: CacheCore) -> None:
    core.apply(general(7, 2, name="Truck"))
    assert stored(core, 7).name == "Truck"
    core.apply(general(7, 1, name="older"))
    core.apply(general(7, 2, name="same version, other text"))
    assert stored(core, 7).name == "Truck"
    assert core.stats.same_version_differs == 1 and core.stats.stale == 1
    core.apply(general(7, 3, name="Truck 7", labels=["cold"]))
    assert stored(core, 7).name == "Truck 7" and stored(core, 7).v == [3]
    assert core.stats.applied == 2


def test_changes_say_what_happened_while_a_stream_is_open(listening: CacheCore) -> None:
    core = listening
    [created] = core.apply(general(7, 2, name="Truck"))
    assert isinstance(created, ObjectCreated) and created.new is not None and created.new.name == "Truck"
    assert core.apply(general(7, 1, name="older")) == []
    assert core.apply(general(7, 2, name="same version, other text")) == []
    [updated] = core.apply(general(7, 3, name="Truck 7", labels=["cold"]))
    assert isinstance(updated, ObjectUpdated)
    assert updated.fields == {"name", "labels"}
    assert updated.old is not None and updated.old.name == "Truck"


def test_no_change_objects_are_made_while_nobody_listens() -> None:
    core = synced_core()
    assert core.apply(general(14, 1)) == [] and core.apply(general(14, 2)) == []
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    assert core.finish_list(ticket, models(AssetGeneral, {"id": 15, "v": [1]})) == []  # 15 created, 14 evicted
    assert core.keys("AssetGeneral") == [15] and core.stats.applied == 2 and core.stats.evicted == 1


def test_missing_version_lands_only_on_an_empty_slot(core: CacheCore) -> None:
    core.apply(general(8, 4, name="a"))
    core.apply(frame("assetGeneralMerged", {"id": 8, "company": COMPANY, "name": "no v"}))
    assert stored(core, 8).name == "a"
    core.apply(frame("assetGeneralMerged", {"id": 80, "company": COMPANY, "name": "no v, nothing stored"}))
    assert stored(core, 80).name == "no v, nothing stored"


def test_a_part_frame_updates_only_its_part_and_composes_with_versions_per_slot(core: CacheCore) -> None:
    core.apply(general(9, 5, name="Nine"))
    core.apply(advanced(9, 2, odometer=100.0))
    changes = core.apply(advanced(9, 3, odometer=150.0))
    if core.track_changes:
        [change] = changes
        assert change.type is AssetAdvanced and isinstance(change, ObjectUpdated) and change.fields == {"odometer"}
    assert stored(core, 9).v == [5] and stored(core, 9, AssetAdvanced).v == [3]
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
    if core.track_changes:
        assert {(type(c), c.type) for c in changes} == {(ObjectDeleted, AssetGeneral), (ObjectDeleted, AssetAdvanced)}
    assert core.raw("AssetGeneral", 10) is None and core.raw("Asset", 10) is None
    core.apply(general(10, 3, name="replayed"))  # the very frame seen before
    core.apply(general(10, 2, name="late"))
    assert core.raw("AssetGeneral", 10) is None and not core.refresh
    assert core.stats.blocked_by_tombstone == 2
    # newer than anything seen: maybe restored, but a lone push is not trusted: a re-list is asked for instead
    core.apply(general(10, 5, name="restored?"))
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
    core.apply(general(11, 1, name="back after the tombstone expired"))
    assert stored(core, 11).name == "back after the tombstone expired"


def test_a_list_reply_is_authoritative_but_not_over_later_pushes(core: CacheCore) -> None:
    core.apply(general(1, 1, name="gone on the server"))
    core.apply(general(2, 1, name="old"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    # while the list request is in flight: a new object, and a newer version of one the list will also carry
    core.apply(general(3, 1, name="created after the list was built"))
    core.apply(general(2, 3, name="newest"))
    changes = core.finish_list(ticket, models(AssetGeneral, {"id": 2, "name": "listed", "v": [2]}))
    if core.track_changes:
        assert [(type(c).__name__, c.key) for c in changes] == [("ObjectDeleted", 1)]
    assert sorted(core.keys("AssetGeneral")) == [2, 3]
    assert stored(core, 2).name == "newest"
    assert core.stats.evicted == 1 and core.stats.applied == 4


def test_a_push_during_a_list_counts_for_that_list_only(core: CacheCore) -> None:
    first = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(general(3, 1, name="pushed while the first list was out"))
    core.finish_list(first, [])
    assert core.keys("AssetGeneral") == [3]
    second = core.begin_list(COMPANY, "AssetGeneral")  # built after the push: its word is final
    core.finish_list(second, [])
    assert core.keys("AssetGeneral") == []


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
    core.finish_list(ticket, models(AssetGeneral, {"id": 5, "name": "restored", "v": [3]}))
    assert stored(core, 5).name == "restored"
    assert core.tombstones == 0


def test_a_forced_list_replaces_whatever_the_version(core: CacheCore) -> None:
    core.apply(general(6, 9, name="cached"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.finish_list(ticket, models(AssetGeneral, {"id": 6, "name": "server copy", "v": [2]}), force=True)
    assert stored(core, 6).name == "server copy" and stored(core, 6).v == [2]


def test_a_forced_list_does_not_replace_what_a_push_changed_after_it_went_out(core: CacheCore) -> None:
    core.apply(general(6, 1, name="cached"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(general(6, 3, name="pushed after the reload list was built"))
    core.finish_list(ticket, models(AssetGeneral, {"id": 6, "name": "server copy", "v": [1]}), force=True)
    assert stored(core, 6).name == "pushed after the reload list was built" and stored(core, 6).v == [3]


def test_suspension_patches_the_part_holding_the_flag(core: CacheCore) -> None:
    core.apply(general(12, 1, name="Twelve"))
    core.apply(advanced(12, 1))
    changes = core.apply(frame("assetSuspended", {"id": 12, "company": COMPANY, "suspended": True, "v": [2, 1, 1]}))
    if core.track_changes:
        [change] = changes
        assert change.type is AssetGeneral and isinstance(change, ObjectUpdated) and change.fields == {"suspended"}
    assert stored(core, 12).suspended is True and stored(core, 12).v == [2] and stored(core, 12).name == "Twelve"
    core.apply(frame("assetSuspended", {"id": 12, "company": COMPANY, "suspended": False, "v": [2, 1, 1]}))
    assert stored(core, 12).suspended is True


def test_a_suspension_during_a_list_is_not_undone_by_its_reply(core: CacheCore) -> None:
    core.apply(general(12, 1, name="Twelve"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(frame("assetSuspended", {"id": 12, "company": COMPANY, "suspended": True, "v": [2, 1, 1]}))
    core.finish_list(ticket, models(AssetGeneral, {"id": 12, "name": "Twelve", "v": [1]}), force=True)
    assert stored(core, 12).suspended is True and stored(core, 12).v == [2]


def test_frames_outside_the_synced_regions_are_ignored(core: CacheCore) -> None:
    other = frame("assetGeneralMerged", {"id": 13, "company": 7, "kind": "vehicle", "v": [1]})
    assert core.apply(other) == []
    assert core.apply(frame("placeGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]})) == []
    assert core.stats.ignored == 2 and core.count("AssetGeneral") == 0 and core.stats.applied == 0
    core.watch(COMPANY, "Place")
    core.apply(frame("placeGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]}))
    assert stored(core, 1, Place) is not None


def test_unwatching_drops_the_region(core: CacheCore) -> None:
    core.apply(general(14, 1))
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
