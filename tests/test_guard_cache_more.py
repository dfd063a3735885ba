"""More guards for the sync cache core, from the survivors of a second mutation run (``make mutation MODULE=cache``).

Each test states a rule a user of the cache observes: a list request's bookkeeping ends with the request, plain
(one-piece) objects are deleted like composites, an object of a type without versions takes what arrives last (a
fix: the cache kept the first copy of a ProviderRegistration for ever), a suspension patches every part carrying a
field it sends, and a composite holds only its own fields. Frames are decoded from wire text, as the client would
receive them. The last test asserts the registry facts that make the mutants listed in
tools/mutation-equivalents/cache.md equivalent.
"""

from __future__ import annotations

import json
from typing import Any

from fleetfreedom import ObjectDeleted, ObjectUpdated
from fleetfreedom._cache_core import CacheCore
from fleetfreedom._cache_pieces import Piece, attr_names, message_roots, piece
from fleetfreedom._registry import MESSAGES, TYPES
from fleetfreedom._shapes import parts_of
from fleetfreedom.models.assets import AssetAdvanced, AssetGeneral
from fleetfreedom.models.places import Place
from fleetfreedom.models.providers import ProviderRegistration
from test_cache_core import COMPANY, advanced, frame, general


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def piece_of(name: str) -> Piece:
    p = piece(name)
    assert p is not None, name
    return p


def make_core(*names: str) -> CacheCore:
    core = CacheCore(tombstone_ttl=60.0, clock=Clock(), track_changes=True)
    for name in names or ("AssetGeneral", "AssetAdvanced", "AssetDispatch"):
        core.watch(COMPANY, name)
    return core


# --- a list request's bookkeeping ends with it -----------------------------------------------------------------


def test_an_abandoned_list_request_stops_collecting_pushes() -> None:
    core = make_core()
    abandoned = [core.begin_list(COMPANY, "AssetGeneral") for _ in range(3)]
    for ticket in abandoned:
        core.abandon_list(ticket)  # the request failed: nothing will ever finish it
    live = core.begin_list(COMPANY, "AssetGeneral")
    for key in range(1, 6):
        core.apply(general(key, 1))
    # an abandoned request is forgotten: later pushes are not remembered against it (else it grows for ever)
    assert [t.touched for t in abandoned] == [set(), set(), set()]
    assert live.touched == {1, 2, 3, 4, 5}


def test_a_finished_list_request_stops_collecting_pushes() -> None:
    core = make_core()
    first = core.begin_list(COMPANY, "AssetGeneral")
    core.apply(general(1, 1))
    core.finish_list(first, [])
    assert first.touched == {1} and core.keys("AssetGeneral") == [1]  # pushed after the request: kept
    core.apply(general(2, 1))
    core.apply(general(1, 2))
    assert first.touched == {1}  # its reply is in: later pushes no longer concern it
    second = core.begin_list(COMPANY, "AssetGeneral")
    core.finish_list(second, [])
    assert second.touched == set() and core.count("AssetGeneral") == 0


# --- plain objects -------------------------------------------------------------------------------------------------


def test_a_plain_object_is_deleted_and_its_deletion_blocks_replays() -> None:
    core = make_core("Place")
    core.apply(frame("placeGeneralMerged", {"id": 7, "company": COMPANY, "name": "depot", "v": [3]}))
    [gone] = core.apply(frame("placeDeleted", {"id": 7, "company": COMPANY}))
    assert type(gone) is ObjectDeleted and gone.type is Place and gone.key == 7 and gone.company == COMPANY
    assert gone.old is not None and gone.old.name == "depot"
    assert core.count("Place") == 0 and core.tombstones == 1
    assert core.apply(frame("placeGeneralMerged", {"id": 7, "company": COMPANY, "v": [3]})) == []
    assert core.stats.blocked_by_tombstone == 1 and not core.refresh  # not newer than the deleted copy


def test_a_type_whose_frames_carry_no_version_is_stored() -> None:
    core = make_core("ProviderRegistration")
    [created] = core.apply(frame("providerRegistrationMerged", {"code": "ab12", "company": COMPANY, "name": "x"}))
    assert created.key == "ab12" and created.company == COMPANY
    entry = core.entry("ProviderRegistration", "ab12")
    assert entry is not None and entry.version == -1 and json.loads(entry.raw)["name"] == "x"


def registration(name: str) -> Any:
    return frame("providerRegistrationMerged", {"code": "ab12", "company": COMPANY, "name": name})


def registration_name(core: CacheCore) -> str:
    raw = core.raw("ProviderRegistration", "ab12")
    assert raw is not None
    return str(json.loads(raw)["name"])


def test_an_object_without_versions_takes_the_push_that_arrives_last() -> None:
    # ProviderRegistration has no ``v`` in the schema: arrival order is the only order there is
    core = make_core("ProviderRegistration")
    core.apply(registration("first"))
    [updated] = core.apply(registration("second"))
    assert type(updated) is ObjectUpdated and updated.fields == {"name"} and registration_name(core) == "second"
    assert core.apply(registration("second")) == []  # the same again: nothing changed
    assert core.stats.applied == 2 and core.stats.stale == 0


def test_a_list_reply_replaces_objects_without_versions_except_those_pushed_meanwhile() -> None:
    core = make_core("ProviderRegistration")
    core.apply(registration("cached"))
    core.apply(frame("providerRegistrationMerged", {"code": "cd34", "company": COMPANY, "name": "cached"}))
    ticket = core.begin_list(COMPANY, "ProviderRegistration")
    core.apply(frame("providerRegistrationMerged", {"code": "cd34", "company": COMPANY, "name": "pushed"}))
    listed = [
        ProviderRegistration.model_validate({"code": code, "company": COMPANY, "name": "listed"})
        for code in ("ab12", "cd34")
    ]
    [updated] = core.finish_list(ticket, listed)
    assert updated.key == "ab12" and registration_name(core) == "listed"
    raw = core.raw("ProviderRegistration", "cd34")
    assert raw is not None and json.loads(raw)["name"] == "pushed"  # newer than the list: kept


# --- suspension --------------------------------------------------------------------------------------------------


def suspension(v: list[int], **fields: Any) -> Any:
    return frame("assetSuspended", {"id": 1, "company": COMPANY, "suspended": True, "v": v, **fields})


def test_a_suspension_patches_a_later_part_when_the_flag_part_is_not_stored() -> None:
    core = make_core()
    core.apply(advanced(1, 1, odometer=5.0))
    # a suspension frame that also carries a field of another part (the payload accepts fields it does not know)
    [change] = core.apply(suspension([2, 3, 0], odometer=9.0))
    assert change.type is AssetAdvanced and change.key == 1
    assert change.new is not None and change.new.odometer == 9.0
    entry = core.entry("AssetAdvanced", 1)
    assert entry is not None and entry.version == 3 and core.count("AssetGeneral") == 0


def test_a_suspension_stale_for_one_part_still_patches_a_newer_one() -> None:
    core = make_core()
    core.apply(general(1, 5, name="a"))
    core.apply(advanced(1, 1, odometer=5.0))
    [change] = core.apply(suspension([5, 3, 0], odometer=9.0))  # general already at 5: stale for it only
    assert change.type is AssetAdvanced and change.new is not None and change.new.odometer == 9.0
    stored = core.raw("AssetGeneral", 1)
    assert stored is not None and AssetGeneral.model_validate_json(stored).suspended is None
    assert core.stats.stale == 1


# --- composites ----------------------------------------------------------------------------------------------------


def test_a_composite_holds_only_its_own_fields() -> None:
    core = make_core("CompanyGeneral", "CompanyPolicy")
    core.apply(frame("companyGeneralMerged", {"id": COMPANY, "parent": 1, "name": "us", "v": [2]}))
    # CompanyPolicy carries ssoPolicy, which the Company object does not have
    policy = {"id": COMPANY, "parent": 1, "ssoPolicy": {"enabled": True}, "sessionPolicy": {"x": 1}, "v": [4]}
    core.apply(frame("companyPoliciesMerged", policy))
    raw = core.raw("Company", COMPANY)
    assert raw is not None
    whole = json.loads(raw)
    assert set(whole) == {"id", "parent", "name", "sessionPolicy", "v"}
    assert whole["v"] == [2, 0, 0, 0, 4, 0] and whole["sessionPolicy"] == {"x": 1}


# --- the registry facts tools/mutation-equivalents/cache.md relies on ------------------------------------------------


def test_the_registry_facts_behind_the_cache_equivalents() -> None:
    """Schema facts that make some mutants of the core equivalent; if one fails, re-check those entries."""
    # (payload type, piece whose key and owner are read from it): each piece's own model (pushes, list items) ...
    payloads = [(name, piece_of(name)) for name in TYPES if piece(name) is not None]
    for message, spec in MESSAGES.items():  # ... and the deletion and suspension payloads
        if spec.kind in ("deleted", "suspended"):
            roots = message_roots(message)
            assert len(roots) <= 1, message  # no message speaks about two roots
            for root in roots:
                parts = [name for _, name in parts_of(root)]
                assert parts and all(piece(name) is not None for name in parts), root
                payloads += [(spec.payload, piece_of(name)) for name in parts]
                if spec.kind == "suspended":
                    assert "v" in TYPES[spec.payload].cls.model_fields, message
    for payload, p in payloads:
        names = attr_names(TYPES[payload].cls)
        assert names.get(p.key) == p.key, (payload, p.key)  # declared, under its own name
        assert p.owner is None or names.get(p.owner) == p.owner, (payload, p.owner)
    widths = {piece_of(name).width for name in TYPES if piece(name) is not None}
    assert 2 not in widths
    for name, type_spec in TYPES.items():
        assert type_spec.key is not None or not (type_spec.parts or type_spec.part_of), name
        assert type_spec.cls.model_config.get("serialize_by_alias") is True, name
