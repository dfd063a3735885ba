"""Guards for the sync cache core: the behaviour a silent bug in ``CacheCore`` / ``_changes`` would break.

Written against the mutation figures of ``make mutation MODULE=cache``: each test asserts something a user of the
cache observes (the typed changes returned, what reads return, the counters, tombstones, the list-versus-push
rules, composite change events and the folding of unread changes). Frames are decoded from wire text, as the
client would receive them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fleetfreedom import ObjectCreated, ObjectDeleted, ObjectUpdated
from fleetfreedom._cache_core import CacheCore
from fleetfreedom._cache_pieces import (
    company_id,
    list_field,
    message_roots,
    nested_parts,
    owns_itself,
    subscription_piece,
    type_name,
    version_of,
)
from fleetfreedom._changes import Change, change_between, fold
from fleetfreedom._codec import decode
from fleetfreedom.models import Timezone
from fleetfreedom.models.assets import Asset, AssetAdvanced, AssetDispatch, AssetGeneral
from fleetfreedom.models.places import Place

COMPANY = 42
OTHER = 7


def frame(name: str, body: dict[str, Any]) -> Any:
    decoded_name, message = decode(f"{name} {json.dumps(body)}")
    assert decoded_name == name
    return message


def general(key: int, v: int, company: int = COMPANY, **fields: Any) -> Any:
    return frame("assetGeneralMerged", {"id": key, "company": company, "kind": "vehicle", "v": [v], **fields})


def advanced(key: int, v: int, company: int = COMPANY, **fields: Any) -> Any:
    return frame("assetAdvancedMerged", {"id": key, "company": company, "v": [v], **fields})


def dispatch(key: int, v: int, **fields: Any) -> Any:
    return frame("assetDispatchMerged", {"id": key, "company": COMPANY, "v": [v], **fields})


def deleted(key: int, company: int = COMPANY, **fields: Any) -> Any:
    return frame("assetDeleted", {"id": key, "company": company, **fields})


def listed(*items: dict[str, Any], company: int = COMPANY) -> list[AssetGeneral]:
    return [AssetGeneral.model_validate({"company": company, "kind": "vehicle", **item}) for item in items]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_core(*, track: bool = True, ttl: float = 60.0) -> tuple[CacheCore, Clock]:
    clock = Clock()
    core = CacheCore(tombstone_ttl=ttl, clock=clock, track_changes=track)
    for name in ("AssetGeneral", "AssetAdvanced", "AssetDispatch"):
        core.watch(COMPANY, name)
    return core, clock


def name_of(core: CacheCore, key: int) -> str | None:
    raw = core.raw("AssetGeneral", key)
    return None if raw is None else AssetGeneral.model_validate_json(raw).name


def asset(core: CacheCore, key: int) -> Asset:
    raw = core.raw("Asset", key)
    assert raw is not None
    return Asset.model_validate_json(raw)


ROOTS = frozenset({"Asset"})


# --- change objects ----------------------------------------------------------------------------------------------


def test_change_between_names_the_one_change() -> None:
    parts = frozenset({"AssetGeneral"})
    assert change_between(AssetGeneral, 1, COMPANY, None, None, parts) is None
    created = change_between(AssetGeneral, 1, COMPANY, None, b'{"id":1,"name":"a"}', parts)
    assert type(created) is ObjectCreated and created.kind == "created"
    assert created.old is None and created.new is not None and created.new.name == "a"
    gone = change_between(AssetGeneral, 1, COMPANY, b'{"id":1,"name":"a"}', None, parts)
    assert type(gone) is ObjectDeleted and gone.kind == "deleted" and gone.key == 1
    assert gone.new is None and gone.old is not None and gone.old.name == "a"
    updated = change_between(AssetGeneral, 2, OTHER, b'{"id":2,"name":"a"}', b'{"id":2,"name":"b"}', parts)
    assert type(updated) is ObjectUpdated and updated.kind == "updated"
    assert updated.key == 2 and updated.company == OTHER and updated.type is AssetGeneral
    assert updated.parts == parts and updated.fields == {"name"}


def test_a_change_defaults_its_parts_to_its_own_type_and_keeps_given_ones() -> None:
    assert ObjectCreated(AssetGeneral, 1, None, None, b"{}").parts == {"AssetGeneral"}
    given = frozenset({"AssetAdvanced", "AssetGeneral"})
    assert ObjectDeleted(Asset, 1, None, b"{}", None, given).parts == given
    assert ObjectUpdated(Asset, 1, None, b"{}", b"{}", given).parts == given


def test_changes_decode_once_and_compare_by_content() -> None:
    a = ObjectUpdated(AssetGeneral, 1, COMPANY, b'{"id":1,"name":"a"}', b'{"id":1,"name":"b"}')
    assert a.new is a.new and a.old is a.old  # decoded once: the same copy on every access
    same = ObjectUpdated(AssetGeneral, 1, COMPANY, b'{"id":1,"name":"a"}', b'{"id":1,"name":"b"}')
    assert a == same
    assert a != ObjectUpdated(AssetGeneral, 2, COMPANY, b'{"id":1,"name":"a"}', b'{"id":1,"name":"b"}')
    assert a != ObjectUpdated(AssetGeneral, 1, OTHER, b'{"id":1,"name":"a"}', b'{"id":1,"name":"b"}')
    assert a != ObjectUpdated(AssetGeneral, 1, COMPANY, b'{"id":1,"name":"x"}', b'{"id":1,"name":"b"}')
    assert a != ObjectUpdated(AssetGeneral, 1, COMPANY, b'{"id":1,"name":"a"}', b'{"id":1,"name":"x"}')
    assert a != ObjectUpdated(AssetAdvanced, 1, COMPANY, b'{"id":1,"name":"a"}', b'{"id":1,"name":"b"}')
    assert a != ObjectCreated(AssetGeneral, 1, COMPANY, b'{"id":1,"name":"a"}', b'{"id":1,"name":"b"}')
    assert a != "not a change"
    with pytest.raises(TypeError):
        hash(a)  # compared by content, and mutable caches of decoded copies: not hashable


def test_change_reprs_name_type_key_company_and_changed_fields() -> None:
    assert repr(ObjectCreated(AssetGeneral, 5, COMPANY, None, b"{}")) == "ObjectCreated(AssetGeneral 5, company=42)"
    assert repr(ObjectDeleted(Place, "k", None, b"{}", None)) == "ObjectDeleted(Place 'k', company=None)"
    updated = ObjectUpdated(AssetGeneral, 5, COMPANY, b'{"name":"a","notes":"x"}', b'{"name":"b","notes":"y"}')
    assert repr(updated) == "ObjectUpdated(AssetGeneral 5, fields=['name', 'notes'])"


def test_updated_fields_are_attribute_names_and_ignore_the_version() -> None:
    change = ObjectUpdated(
        AssetDispatch,
        3,
        COMPANY,
        b'{"id":3,"v":[1],"lastDispatched":"2024-01-01T00:00:00Z","directions":"a"}',
        b'{"id":3,"v":[2],"lastDispatched":"2024-01-02T00:00:00Z","directions":"a","jobs":[]}',
    )
    assert change.fields == {"last_dispatched", "jobs"}  # a field that appeared counts; ``v`` never does
    removed = ObjectUpdated(AssetGeneral, 3, COMPANY, b'{"id":3,"name":"a"}', b'{"id":3}')
    assert removed.fields == {"name"}
    assert ObjectUpdated(AssetGeneral, 3, COMPANY, b'{"v":[1]}', b'{"v":[2]}').fields == frozenset()


def test_folding_unread_changes_keeps_the_first_old_and_the_last_new() -> None:
    one, two, three = b'{"id":1,"name":"1"}', b'{"id":1,"name":"2"}', b'{"id":1,"name":"3"}'
    g, a = frozenset({"AssetGeneral"}), frozenset({"AssetAdvanced"})
    created = ObjectCreated(Asset, 1, COMPANY, None, one, g)
    updated = ObjectUpdated(Asset, 1, COMPANY, one, two, a)
    both = fold(created, updated)
    assert type(both) is ObjectCreated and both == ObjectCreated(Asset, 1, COMPANY, None, two)
    assert both.parts == g | a
    later = ObjectUpdated(Asset, 1, COMPANY, two, three, g)
    merged = fold(updated, later)
    assert type(merged) is ObjectUpdated and merged.old is not None and merged.old.name == "1"
    assert merged.new is not None and merged.new.name == "3" and merged.parts == g | a
    gone = ObjectDeleted(Asset, 1, None, three, None)
    folded = fold(updated, gone)
    assert type(folded) is ObjectDeleted and folded.company == COMPANY  # the later one knew no company
    assert folded.old is not None and folded.old.name == "1"
    assert fold(created, gone) is None  # created and deleted before anybody read: nothing happened
    assert fold(gone, ObjectCreated(Asset, 1, OTHER, None, one)) == ObjectUpdated(Asset, 1, OTHER, three, one)


# --- pushes --------------------------------------------------------------------------------------------------------


def test_a_new_core_refuses_a_negative_ttl_and_starts_quiet() -> None:
    with pytest.raises(ValueError, match=r"^tombstone_ttl must not be negative$"):
        CacheCore(tombstone_ttl=-1.0)
    assert CacheCore().tombstone_ttl == 600.0  # ten minutes unless told
    core = CacheCore(tombstone_ttl=0.0)
    assert core.track_changes is False and core.regions == frozenset() and core.tombstones == 0
    assert core.apply(general(1, 1)) == [] and core.stats.ignored == 1


def test_watch_only_stored_types_and_regions_are_reported() -> None:
    core = CacheCore()
    with pytest.raises(ValueError, match="Asset"):
        core.watch(COMPANY, "Asset")  # a composite is stored as its parts
    core.watch(COMPANY, "AssetGeneral")
    core.watch(OTHER, "AssetGeneral")
    assert core.regions == {(COMPANY, "AssetGeneral"), (OTHER, "AssetGeneral")}


def test_a_message_that_is_no_sync_frame_changes_nothing() -> None:
    core, _ = make_core()
    assert core.apply(object()) == []
    assert core.apply(frame("assetGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]}).data) == []
    assert core.count("AssetGeneral") == 0 and core.stats == type(core.stats)()


def test_pushes_report_created_then_updated_with_old_and_new() -> None:
    core, _ = make_core()
    [created] = core.apply(general(1, 1, name="a"))
    assert created == ObjectCreated(AssetGeneral, 1, COMPANY, None, core.raw("AssetGeneral", 1))
    assert created.new is not None and created.new.name == "a" and created.company == COMPANY
    [updated] = core.apply(general(1, 2, name="b"))
    assert type(updated) is ObjectUpdated and updated.key == 1 and updated.company == COMPANY
    assert updated.old is not None and updated.old.name == "a" and updated.new is not None
    assert updated.new.name == "b" and updated.fields == {"name"}
    assert core.entry("AssetGeneral", 1) is not None
    entry = core.entry("AssetGeneral", 1)
    assert entry is not None and entry.version == 2 and entry.company == COMPANY
    assert core.stats.applied == 2 and core.stats.stale == 0


def test_the_version_rule_counts_stale_and_differing_frames() -> None:
    core, _ = make_core()
    core.apply(general(1, 5, name="a"))
    assert core.apply(general(1, 4, name="older")) == []
    assert core.apply(general(1, 5, name="a")) == []
    assert (core.stats.stale, core.stats.same_version_differs) == (2, 0)
    assert core.apply(general(1, 5, name="other text")) == []
    assert (core.stats.stale, core.stats.same_version_differs) == (2, 1)
    no_v = frame("assetGeneralMerged", {"id": 1, "company": COMPANY, "name": "no version"})
    assert core.apply(no_v) == [] and core.stats.stale == 3
    assert name_of(core, 1) == "a" and core.stats.applied == 1


def test_an_object_first_seen_without_a_version_is_replaced_by_any_versioned_one() -> None:
    core, _ = make_core()
    core.apply(frame("assetGeneralMerged", {"id": 1, "company": COMPANY, "name": "no v"}))
    entry = core.entry("AssetGeneral", 1)
    assert entry is not None and entry.version == -1
    [change] = core.apply(general(1, 0, name="v0"))
    assert type(change) is ObjectUpdated and name_of(core, 1) == "v0"


def test_pushes_for_other_companies_or_without_a_key_are_ignored() -> None:
    core, _ = make_core()
    assert core.apply(general(1, 1, company=OTHER)) == []
    assert core.apply(frame("assetGeneralMerged", {"company": COMPANY, "v": [1]})) == []
    assert core.stats.ignored == 2 and core.count("AssetGeneral") == 0 and core.stats.applied == 0


def test_a_company_is_synced_with_its_own_pieces() -> None:
    core = CacheCore(track_changes=True)
    core.watch(COMPANY, "CompanyGeneral")
    own = frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "v": [1], "name": "us"})
    child = frame("companyGeneralMerged", {"id": 99, "parent": COMPANY, "v": [1], "name": "child"})
    stranger = frame("companyGeneralMerged", {"id": 98, "parent": 1, "v": [1], "name": "stranger"})
    assert len(core.apply(own)) == 1 and len(core.apply(child)) == 1 and core.apply(stranger) == []
    assert sorted(core.keys("CompanyGeneral", COMPANY)) == [COMPANY, 99]
    assert core.keys("CompanyGeneral", 1) == [COMPANY]  # its parent's region also holds it
    assert core.unwatch(COMPANY, "CompanyGeneral") == 2


def test_unwatch_drops_only_what_no_other_region_holds() -> None:
    core, _ = make_core()
    core.watch(OTHER, "AssetGeneral")
    core.apply(general(1, 1))
    core.apply(general(2, 1, company=OTHER))
    assert core.count("AssetGeneral") == 2 and core.count("AssetGeneral", OTHER) == 1
    assert core.unwatch(COMPANY, "AssetGeneral") == 1
    assert core.keys("AssetGeneral") == [2]
    assert core.apply(general(3, 1)) == [] and core.stats.ignored == 1
    assert core.unwatch(COMPANY, "Place") == 0  # never watched: nothing to drop


# --- deletions and tombstones --------------------------------------------------------------------------------------


def test_a_deletion_reports_every_stored_part_and_blocks_replays() -> None:
    core, _ = make_core()
    core.apply(general(1, 3, name="a"))
    core.apply(advanced(1, 2))
    changes = core.apply(deleted(1))
    assert {(type(c), c.type, c.key, c.company) for c in changes} == {
        (ObjectDeleted, AssetGeneral, 1, COMPANY),
        (ObjectDeleted, AssetAdvanced, 1, COMPANY),
    }
    assert core.count("Asset") == 0 and core.tombstones == 1 and core.stats.applied == 3
    assert core.apply(general(1, 3)) == [] and core.apply(advanced(1, 2)) == []
    assert core.stats.blocked_by_tombstone == 2 and not core.refresh


def test_a_deletion_keeps_the_versions_it_announces() -> None:
    core, _ = make_core()
    core.watch(OTHER, "AssetGeneral")
    core.apply(general(1, 1))
    core.apply(deleted(1, v=[4, 6, 0]))
    assert core.apply(general(1, 4)) == [] and not core.refresh  # not newer than the deletion knew
    assert core.apply(advanced(1, 6)) == [] and not core.refresh
    core.apply(advanced(1, 7))  # newer than the deletion: maybe restored; only a fresh list can say
    assert core.refresh == {(COMPANY, "AssetGeneral"), (COMPANY, "AssetAdvanced"), (COMPANY, "AssetDispatch")}
    assert core.count("AssetAdvanced") == 0 and core.stats.blocked_by_tombstone == 3


def test_a_deletion_of_an_unknown_object_still_blocks_it_and_any_push_asks_for_a_list() -> None:
    core, _ = make_core()
    assert core.apply(deleted(5)) == []
    assert core.tombstones == 1
    core.apply(dispatch(5, 1))
    assert core.count("AssetDispatch") == 0 and (COMPANY, "AssetDispatch") in core.refresh


def test_deletions_outside_the_synced_regions_are_ignored() -> None:
    core, _ = make_core()
    assert core.apply(deleted(1, company=OTHER)) == []
    assert core.stats.ignored == 1 and core.tombstones == 0 and core.stats.applied == 0


def test_tombstones_last_exactly_their_ttl() -> None:
    core, clock = make_core()
    core.apply(general(1, 1))
    core.apply(deleted(1))
    clock.now += 60
    assert core.tombstones == 1 and core.apply(general(1, 1)) == []
    clock.now += 0.5
    assert core.apply(general(1, 1, name="back")) != [] and name_of(core, 1) == "back"


def test_a_repeated_deletion_renews_the_tombstone_and_expiry_goes_by_age() -> None:
    core, clock = make_core()
    core.apply(deleted(1))
    clock.now += 30
    core.apply(deleted(2))
    clock.now += 10
    core.apply(deleted(1))  # laid again at t+40: now younger than 2's
    clock.now += 55  # t+95: 2 (laid at t+30) expired, 1 (t+40) not
    assert core.tombstones == 1
    assert core.apply(general(2, 1)) != [] and core.apply(general(1, 1)) == []


def test_purge_and_clear_forget_tombstones_and_objects() -> None:
    core, _ = make_core()
    core.apply(deleted(1))
    core.purge_tombstones()
    assert core.tombstones == 0 and core.apply(general(1, 1)) != []
    core.apply(deleted(2))
    core.clear()
    assert core.tombstones == 0 and core.count("AssetGeneral") == 0 and core.regions
    assert core.apply(general(2, 1)) != []


# --- suspension ------------------------------------------------------------------------------------------------


def test_a_suspension_patches_only_a_stored_part_when_its_version_moved_on() -> None:
    core, _ = make_core()
    suspended = frame("assetSuspended", {"id": 1, "company": COMPANY, "suspended": True, "v": [2, 5, 0]})
    assert core.apply(suspended) == []  # nothing stored to patch
    core.apply(general(1, 2, name="a"))
    assert core.apply(suspended) == [] and core.stats.stale == 1
    later = frame("assetSuspended", {"id": 1, "company": COMPANY, "suspended": True, "v": [3, 5, 0]})
    [change] = core.apply(later)
    assert type(change) is ObjectUpdated and change.fields == {"suspended"} and change.company == COMPANY
    entry = core.entry("AssetGeneral", 1)
    assert entry is not None and entry.version == 3 and name_of(core, 1) == "a"
    assert core.stats.applied == 2


# --- list replies --------------------------------------------------------------------------------------------------


def test_a_list_reply_reports_what_it_created_updated_and_evicted() -> None:
    core, _ = make_core()
    core.apply(general(1, 1, name="kept"))
    core.apply(general(2, 1, name="old"))
    core.apply(general(3, 1, name="gone"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    changes = core.finish_list(
        ticket, listed({"id": 1, "name": "kept", "v": [1]}, {"id": 2, "name": "new", "v": [2]}, {"id": 4, "v": [1]})
    )
    assert [(type(c), c.key) for c in changes] == [(ObjectUpdated, 2), (ObjectCreated, 4), (ObjectDeleted, 3)]
    evicted = changes[-1]
    assert evicted.company == COMPANY and evicted.old is not None and evicted.old.name == "gone"
    assert sorted(core.keys("AssetGeneral")) == [1, 2, 4] and name_of(core, 2) == "new"
    assert (core.stats.lists, core.stats.evicted, core.stats.stale) == (1, 1, 1)


def test_a_list_reply_evicts_only_in_its_own_company() -> None:
    core, _ = make_core()
    core.watch(OTHER, "AssetGeneral")
    core.apply(general(1, 1))
    core.apply(general(2, 1, company=OTHER))
    core.finish_list(core.begin_list(COMPANY, "AssetGeneral"), [])
    assert core.keys("AssetGeneral") == [2] and core.stats.evicted == 1


def test_list_items_without_a_company_belong_to_the_listed_one_and_keyless_ones_are_skipped() -> None:
    core, _ = make_core()
    items = [AssetGeneral.model_validate({"v": [1]}), AssetGeneral.model_validate({"id": 1, "v": [1]})]
    [created] = core.finish_list(core.begin_list(COMPANY, "AssetGeneral"), items)
    assert created.key == 1 and created.company == COMPANY
    entry = core.entry("AssetGeneral", 1)
    assert entry is not None and entry.company == COMPANY and core.count("AssetGeneral") == 1


def test_a_list_for_a_region_no_longer_synced_is_dropped() -> None:
    core, _ = make_core()
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.unwatch(COMPANY, "AssetGeneral")
    assert core.finish_list(ticket, listed({"id": 1, "v": [1]})) == []
    assert core.count("AssetGeneral") == 0 and core.stats.lists == 0


def test_an_abandoned_list_no_longer_shields_pushes() -> None:
    core, _ = make_core()
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.abandon_list(ticket)
    core.abandon_list(ticket)  # twice is harmless
    core.apply(general(1, 1))
    later = core.begin_list(COMPANY, "AssetGeneral")
    core.finish_list(later, [])
    assert core.count("AssetGeneral") == 0


def test_a_push_shields_only_lists_of_its_own_type() -> None:
    core, _ = make_core()
    core.apply(advanced(1, 1))
    ticket = core.begin_list(COMPANY, "AssetAdvanced")
    core.apply(general(2, 1))  # another type: says nothing about the AssetAdvanced list
    core.apply(advanced(3, 1))
    core.finish_list(ticket, [])
    assert core.keys("AssetAdvanced") == [3] and core.keys("AssetGeneral") == [2]


def test_a_list_built_before_a_deletion_but_newer_than_it_knew_is_stored() -> None:
    core, _ = make_core()
    core.apply(general(1, 1))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(deleted(1, v=[1, 0, 0]))
    core.apply(deleted(2))  # no version known: the list cannot outrank it
    core.finish_list(ticket, listed({"id": 1, "name": "restored", "v": [2]}, {"id": 2, "v": [9]}))
    assert name_of(core, 1) == "restored" and core.keys("AssetGeneral") == [1]
    assert core.tombstones == 1


def test_a_list_item_without_a_version_does_not_outrank_a_later_deletion() -> None:
    core, _ = make_core()
    core.apply(general(1, 1))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(deleted(1, v=[1, 0, 0]))
    core.finish_list(ticket, listed({"id": 1, "name": "no v"}))
    assert core.count("AssetGeneral") == 0 and core.tombstones == 1


def test_a_forced_list_reports_replacements_but_not_identical_objects() -> None:
    core, _ = make_core()
    core.apply(general(1, 9, name="cached"))
    core.apply(general(2, 9, name="same"))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    changes = core.finish_list(
        ticket, listed({"id": 1, "name": "server", "v": [2]}, {"id": 2, "name": "same", "v": [9]}), force=True
    )
    assert [(type(c), c.key) for c in changes] == [(ObjectUpdated, 1)]
    entry = core.entry("AssetGeneral", 1)
    assert entry is not None and entry.version == 2 and name_of(core, 1) == "server"


def test_a_forced_list_item_without_a_version_keeps_the_stored_version() -> None:
    core, _ = make_core()
    core.apply(general(1, 9, name="cached"))
    core.finish_list(core.begin_list(COMPANY, "AssetGeneral"), listed({"id": 1, "name": "server"}), force=True)
    entry = core.entry("AssetGeneral", 1)
    assert entry is not None and entry.version == 9 and name_of(core, 1) == "server"


# --- composites ------------------------------------------------------------------------------------------------


def test_a_composite_is_assembled_from_its_parts_with_a_version_per_slot() -> None:
    core, _ = make_core()
    assert core.raw("Asset", 1) is None and core.compose("AssetGeneral", 1) is None
    core.apply(advanced(1, 4, odometer=10.0))
    whole = asset(core, 1)
    assert whole.v == [0, 4, 0] and whole.odometer == 10.0 and whole.dispatch is None
    core.apply(general(1, 2, name="a"))
    core.apply(dispatch(1, 3, jobs=[5]))
    whole = asset(core, 1)
    assert whole.v == [2, 4, 3] and whole.name == "a" and whole.id == 1
    assert whole.dispatch is not None and whole.dispatch.jobs == [5]  # a part held whole, nested
    assert core.count("Asset") == 1 and core.count("Asset", COMPANY) == 1 and core.count("Asset", OTHER) == 0
    assert [key for key, _ in core.items("Asset", COMPANY)] == [1]
    assert [json.loads(raw)["name"] for _, raw in core.items("AssetGeneral")] == ["a"]


def test_a_composite_built_from_a_part_first_seen_without_a_version_has_version_zero() -> None:
    core, _ = make_core()
    core.apply(frame("assetGeneralMerged", {"id": 1, "company": COMPANY, "name": "no v"}))
    assert asset(core, 1).v == [0, 0, 0]


def test_composite_changes_report_one_change_per_object_and_which_parts_changed() -> None:
    core, _ = make_core()
    batch = core.apply(general(1, 1, name="a")) + core.apply(advanced(1, 1, odometer=5.0))
    [created] = core.composite_changes(batch, ROOTS)
    assert type(created) is ObjectCreated and created.type is Asset and created.key == 1
    assert created.company == COMPANY and created.parts == {"AssetGeneral", "AssetAdvanced"}
    assert created.new is not None and created.new.name == "a" and created.new.v == [1, 1, 0]

    batch = core.apply(advanced(1, 2, odometer=6.0)) + core.apply(advanced(1, 3, odometer=7.0))
    [updated] = core.composite_changes(batch, ROOTS)
    assert type(updated) is ObjectUpdated and updated.parts == {"AssetAdvanced"}
    assert updated.old is not None and updated.old.odometer == 5.0 and updated.old.v == [1, 1, 0]
    assert updated.new is not None and updated.new.odometer == 7.0 and updated.new.v == [1, 3, 0]
    assert updated.fields == {"odometer"}

    batch = core.apply(dispatch(1, 1, jobs=[6]))
    [nested] = core.composite_changes(batch, ROOTS)
    assert type(nested) is ObjectUpdated and nested.parts == {"AssetDispatch"} and nested.fields == {"dispatch"}
    assert nested.old is not None and nested.old.dispatch is None

    [gone] = core.composite_changes(core.apply(deleted(1)), ROOTS)
    assert type(gone) is ObjectDeleted and gone.new is None
    assert gone.parts == {"AssetGeneral", "AssetAdvanced", "AssetDispatch"}
    assert gone.old is not None and gone.old.name == "a" and gone.old.dispatch is not None


def test_composite_changes_skip_other_roots_and_objects_that_came_and_went() -> None:
    core, _ = make_core()
    core.watch(COMPANY, "Place")
    place = core.apply(frame("placeGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]}))
    assert len(place) == 1 and core.composite_changes(place, ROOTS) == []
    batch = core.apply(general(2, 1)) + core.apply(deleted(2))
    assert len(batch) == 2 and core.composite_changes(batch, ROOTS) == []
    many = core.apply(general(3, 1)) + core.apply(general(4, 1))
    assert [c.key for c in core.composite_changes(many, ROOTS)] == [3, 4]


def test_composite_changes_take_the_company_any_part_change_knew() -> None:
    core, _ = make_core()
    core.apply(general(1, 1))
    old = core.raw("AssetGeneral", 1)
    core.apply(general(1, 2, name="b"))
    new = core.raw("AssetGeneral", 1)
    anonymous: list[Change[Any]] = [ObjectUpdated(AssetGeneral, 1, None, old, new)]
    [change] = core.composite_changes([ObjectUpdated(AssetGeneral, 1, COMPANY, old, new), *anonymous], ROOTS)
    assert change.company == COMPANY
    [change] = core.composite_changes(anonymous, ROOTS)
    assert change.company is None


# --- facts read from the registry ------------------------------------------------------------------------------


def test_versions_are_read_per_slot_and_only_as_integers() -> None:
    assert version_of([5, 6, 7], 2, 3) == 7 and version_of([5, 6, 7], 0, 3) == 5
    assert version_of((8,), 1, 3) == 8
    assert version_of([5, 6], 1, 3) is None and version_of([5, 6, 7], 3, 3) is None
    assert version_of([], 0, 1) is None and version_of(3, 0, 1) is None
    assert version_of([True], 0, 1) is None and version_of(["1"], 0, 1) is None


def test_company_ids_are_read_from_numbers_objects_and_mappings() -> None:
    assert company_id(5) == 5 and company_id({"id": 6}) == 6
    assert company_id(AssetGeneral.model_validate({"id": 8})) == 8
    assert company_id(True) is None and company_id({"id": True}) is None and company_id("5") is None
    assert company_id(None) is None


def test_type_names_are_checked() -> None:
    assert type_name("AssetGeneral") == "AssetGeneral" and type_name(Asset) == "Asset" and type_name(Place) == "Place"
    with pytest.raises(ValueError, match="Nope is not a type the cache stores"):
        type_name("Nope")

    class AssetGeneral(Place):  # a look-alike: the name is right, the class is not the generated one
        pass

    with pytest.raises(ValueError, match="is not the generated AssetGeneral model"):
        type_name(AssetGeneral)


def test_registry_facts_the_cache_relies_on() -> None:
    assert list_field("getAssetGeneralsList") == "asset_generals"
    assert subscription_piece("assetGeneral") == "AssetGeneral" and subscription_piece("nope") is None
    assert message_roots("assetDeleted") == ("Asset",) and message_roots("placeDeleted") == ("Place",)
    assert message_roots("companyResellerDeleted") == () and message_roots("nope") == ()
    assert owns_itself("Company") and not owns_itself("Asset")
    assert nested_parts("Asset") == {"AssetDispatch": "dispatch"} and nested_parts("Place") == {}
    assert nested_parts("Nope") == {}


# --- further guards (from the survivors of a first mutation run) ----------------------------------------------------


def test_foreign_messages_and_payloads_change_nothing() -> None:
    core, _ = make_core()

    class Unregistered:
        name = "noSuchMessage"
        data = AssetGeneral.model_validate({"id": 1, "company": COMPANY, "v": [1]})

    class NoPayload:
        name = "assetGeneralMerged"
        data = None

    assert core.apply(Unregistered()) == [] and core.apply(NoPayload()) == []
    assert core.count("AssetGeneral") == 0


def test_counters_add_up_over_many_events(caplog: pytest.LogCaptureFixture) -> None:
    core, _ = make_core()
    core.apply(general(1, 5, name="a"))
    with caplog.at_level("DEBUG", logger="fleetfreedom.cache"):
        core.apply(general(1, 5, name="b"))
        core.apply(general(1, 5, name="c"))
    assert core.stats.same_version_differs == 2
    assert [r.getMessage() for r in caplog.records] == [
        "fleetfreedom cache: AssetGeneral 1: same version 5, different content; kept"
    ] * 2
    core.apply(deleted(9, company=OTHER))
    core.apply(deleted(8, company=OTHER))
    assert core.stats.ignored == 2
    core.apply(general(2, 1))
    core.apply(general(3, 1))
    core.finish_list(core.begin_list(COMPANY, "AssetGeneral"), [])
    core.finish_list(core.begin_list(COMPANY, "AssetGeneral"), [])
    assert core.stats.lists == 2 and core.stats.evicted == 3


def test_stored_json_is_the_wire_form_of_what_was_sent() -> None:
    core, _ = make_core()
    core.apply(general(1, 1, messagingAddress="x@y"))
    raw = core.raw("AssetGeneral", 1)
    assert raw is not None and json.loads(raw) == {
        "id": 1,
        "company": COMPANY,
        "kind": "vehicle",
        "messagingAddress": "x@y",
        "v": [1],
    }
    whole = core.raw("Asset", 1)
    assert whole is not None and b": " not in whole and b", " not in whole  # compact
    assert core.raw("Place", 1) is None and core.raw("Nope", 1) is None


def test_full_width_versions_in_pushes_and_list_items_are_read_by_slot() -> None:
    core, _ = make_core()
    core.apply(frame("assetAdvancedMerged", {"id": 1, "company": COMPANY, "v": [4, 6, 0]}))
    entry = core.entry("AssetAdvanced", 1)
    assert entry is not None and entry.version == 6
    batch = core.apply(advanced(1, 8, odometer=1.0))
    [change] = core.composite_changes(batch, ROOTS)
    assert change.old is not None and change.old.v == [0, 6, 0]  # the stored JSON kept the full-width v
    items = [AssetAdvanced.model_validate({"id": 2, "company": COMPANY, "v": [4, 7, 0]})]
    core.finish_list(core.begin_list(COMPANY, "AssetAdvanced"), items)
    entry = core.entry("AssetAdvanced", 2)
    assert entry is not None and entry.version == 7


def test_a_single_version_in_a_deletion_is_no_version_per_part() -> None:
    core, _ = make_core()
    core.apply(general(1, 1))
    core.apply(deleted(1, v=[5]))  # one number cannot say which part it belongs to
    core.apply(general(1, 3))
    assert (COMPANY, "AssetGeneral") in core.refresh and core.count("AssetGeneral") == 0


def test_a_list_sent_right_after_a_deletion_restores_even_the_same_version() -> None:
    core, _ = make_core()
    core.apply(general(1, 1))
    core.apply(deleted(1, v=[1, 0, 0]))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.finish_list(ticket, listed({"id": 1, "name": "still there", "v": [1]}))
    assert name_of(core, 1) == "still there" and core.tombstones == 0


def test_a_skipped_list_item_does_not_hide_the_items_after_it() -> None:
    core, _ = make_core()
    core.apply(general(1, 1))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(deleted(1, v=[1, 0, 0]))
    core.finish_list(ticket, listed({"id": 1, "v": [1]}, {"id": 2, "v": [1]}))
    assert core.keys("AssetGeneral") == [2]


@pytest.mark.parametrize("event", ["merge", "suspension"])
def test_a_list_sent_after_every_deletion_and_a_later_push_restores_the_deleted(event: str) -> None:
    core, _ = make_core()
    core.apply(general(9, 1))
    core.apply(deleted(1))
    core.apply(deleted(2))
    if event == "merge":
        core.apply(general(3, 1))
    else:
        core.apply(frame("assetSuspended", {"id": 9, "company": COMPANY, "suspended": True, "v": [2, 0, 0]}))
    ticket = core.begin_list(COMPANY, "AssetGeneral")
    core.finish_list(ticket, listed({"id": 1, "v": [1]}, {"id": 2, "v": [1]}, {"id": 3, "v": [1]}, {"id": 9, "v": [2]}))
    assert sorted(core.keys("AssetGeneral")) == [1, 2, 3, 9]


def test_a_suspension_touches_no_part_without_the_flag_and_still_moves_the_version() -> None:
    core, _ = make_core()
    core.apply(general(1, 1, suspended=True))
    core.apply(advanced(1, 1))
    suspension = frame("assetSuspended", {"id": 1, "company": COMPANY, "suspended": True, "v": [3, 5, 0]})
    [change] = core.apply(suspension)
    assert change.type is AssetGeneral and type(change) is ObjectUpdated and change.fields == frozenset()
    general_entry, advanced_entry = core.entry("AssetGeneral", 1), core.entry("AssetAdvanced", 1)
    assert general_entry is not None and general_entry.version == 3
    assert advanced_entry is not None and advanced_entry.version == 1
    core.apply(suspension)
    core.apply(suspension)
    assert core.stats.stale == 2


def test_composite_changes_see_parts_before_a_part_created_in_the_batch() -> None:
    core, _ = make_core()
    core.apply(advanced(1, 1, odometer=5.0))
    core.watch(COMPANY, "Place")
    batch = (
        core.apply(frame("placeGeneralMerged", {"id": 1, "company": COMPANY, "v": [1]}))
        + core.apply(general(1, 1, name="a"))
        + core.apply(advanced(1, 2, odometer=6.0))
    )
    [change] = core.composite_changes(batch, ROOTS)
    assert type(change) is ObjectUpdated and change.old is not None and change.old.odometer == 5.0
    assert change.old.v == [0, 1, 0] and change.parts == {"AssetGeneral", "AssetAdvanced"}
    core.apply(frame("assetDispatchMerged", {"id": 1, "company": COMPANY}))
    [change] = core.composite_changes(core.apply(dispatch(1, 0, jobs=[1])), ROOTS)
    assert change.old is not None and change.old.v == [1, 2, 0] and change.new is not None
    assert change.new.v == [1, 2, 0]


def test_reads_of_one_company_leave_out_the_others() -> None:
    core, _ = make_core()
    core.watch(OTHER, "AssetGeneral")
    core.apply(general(1, 1))
    core.apply(general(2, 1, company=OTHER))
    assert [key for key, _ in core.items("Asset", OTHER)] == [2]
    assert [key for key, _ in core.items("AssetGeneral", COMPANY)] == [1]


def test_a_company_s_own_record_is_deleted_restored_and_evicted_through_its_own_region() -> None:
    core = CacheCore(track_changes=True, clock=Clock())
    core.watch(COMPANY, "CompanyGeneral")
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "v": [1], "name": "us"}))
    entry = core.entry("CompanyGeneral", COMPANY)
    assert entry is not None and entry.company is None  # a top company has no parent
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "v": [2], "name": "us"}))
    [gone] = core.apply(frame("companyDeleted", {"id": COMPANY, "parent": 1}))
    assert type(gone) is ObjectDeleted and core.count("CompanyGeneral") == 0 and core.tombstones == 1
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "v": [3], "name": "back?"}))
    assert core.refresh == {(COMPANY, "CompanyGeneral")}
    core.purge_tombstones()
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "v": [3], "name": "back"}))
    [evicted] = core.finish_list(core.begin_list(COMPANY, "CompanyGeneral"), [])
    assert type(evicted) is ObjectDeleted and evicted.key == COMPANY and core.count("CompanyGeneral") == 0
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "v": [4], "name": "again"}))
    assert core.unwatch(COMPANY, "CompanyGeneral") == 1


def test_a_type_without_an_owner_is_listed_into_the_listed_company() -> None:
    core = CacheCore(track_changes=True)
    core.watch(COMPANY, "Timezone")
    # no owner field: a list reply speaks for the company it was asked for
    [created] = core.finish_list(core.begin_list(COMPANY, "Timezone"), [Timezone.model_validate({"code": "UTC"})])
    assert created.key == "UTC" and created.company == COMPANY and core.keys("Timezone", COMPANY) == ["UTC"]


def test_unwatching_a_parent_keeps_a_company_whose_own_region_is_synced() -> None:
    core = CacheCore()
    core.watch(1, "CompanyGeneral")
    core.watch(COMPANY, "CompanyGeneral")
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "v": [1]}))
    core.apply(frame("companyGeneralMerged", {"id": 99, "parent": 1, "v": [1]}))
    assert core.unwatch(1, "CompanyGeneral") == 1 and core.keys("CompanyGeneral") == [COMPANY]
