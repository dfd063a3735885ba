"""The schema diff: each classification rule, in both directions, on edited copies of the fixture schema."""

from __future__ import annotations

import copy
import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURE_SCHEMA

from generator.maintainer.diff import Change, Impact, SchemaDiff, diff_apis
from generator.pipeline import load_api

Data = dict[str, Any]
Edit = tuple[str, Callable[[Data], None]]  # (file relative to the schema folder, change to its data)


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's when present: the same YAML, faster


@functools.cache
def fixture_data(file: str) -> Data:
    """A fixture file as parsed once per session (callers edit a deep copy)."""
    path = FIXTURE_SCHEMA / file
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def schema_copy(root: Path, name: str, edits: list[Edit]) -> Path:
    folder = root / name
    shutil.copytree(FIXTURE_SCHEMA, folder)
    edited: dict[str, Data] = {}
    for file, change in edits:
        data = edited.setdefault(file, copy.deepcopy(fixture_data(file)))
        change(data)
    for file, data in edited.items():
        (folder / file).write_text(yaml.dump(data, Dumper=DUMPER, sort_keys=False))
    return folder


@pytest.fixture(scope="module")
def load_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One parse and validation cache for the module's schema copies. Both are keyed by a document's content, so
    the fixture's unchanged files are parsed and validated once, and every edited document still is, afresh."""
    return tmp_path_factory.mktemp("diff-load-cache")


def diff_of(tmp_path: Path, cache: Path, old: list[Edit], new: list[Edit]) -> SchemaDiff:
    old_api = load_api(schema_copy(tmp_path, "old", old), cache_dir=cache)
    return diff_apis(old_api, load_api(schema_copy(tmp_path, "new", new), cache_dir=cache))


def only(diff: SchemaDiff, **expected: object) -> Change:
    """The single change matching ``expected`` attributes (and there must be one)."""
    found = [c for c in diff.changes if all(getattr(c, k) == v for k, v in expected.items())]
    assert len(found) == 1, f"expected one change with {expected}, got:\n" + "\n".join(map(repr, diff.changes))
    return found[0]


# --- edits ------------------------------------------------------------------------------------------------

ASSETS_COMMANDS = "commands/assets.yaml"
ASSETS_TYPES = "types/assets.yaml"
ASSETS_ENUMS = "enums/assets.yaml"


def set_in(file: str, *path: str, value: object) -> Edit:
    def change(data: Data) -> None:
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = copy.deepcopy(value)  # later edits of this copy must not reach the shared value

    return file, change


def delete(file: str, *path: str) -> Edit:
    def change(data: Data) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return file, change


def require(file: str, *path_to_body: str, field: str) -> Edit:
    def change(data: Data) -> None:
        node = data
        for key in path_to_body:
            node = node[key]
        node.setdefault("required", []).append(field)

    return file, change


def unrequire(file: str, *path_to_body: str, field: str) -> Edit:
    def change(data: Data) -> None:
        node = data
        for key in path_to_body:
            node = node[key]
        node["required"].remove(field)

    return file, change


GET_ASSET_REQUEST = ("commands", "getAsset", "request")
LIST_REQUEST = ("commands", "getAssetsList", "request")
LIST_RESPONSE = ("commands", "getAssetsList", "response")

# A sent-only enum and a sent-only type (the fixture's own types are received, or both).
SORT_ORDER = [
    set_in(
        ASSETS_ENUMS,
        "enums",
        "SortOrder",
        value={
            "description": "Sort direction.",
            "members": {"asc": {"description": "Up."}, "desc": {"description": "Down."}},
        },
    ),
    set_in(
        ASSETS_TYPES,
        "types",
        "AssetQuery",
        value={
            "description": "What to look for.",
            "properties": {
                "name": {"type": "string", "description": "Name contains."},
                "order": {"$ref": "SortOrder", "description": "Order."},
            },
        },
    ),
    set_in(ASSETS_COMMANDS, *LIST_REQUEST, "properties", "query", value={"$ref": "AssetQuery", "description": "Q."}),
]


# --- the rules, each in both directions -----------------------------------------------------------------------

# (rule id, edits to base, the change, (forward: old=base new=edited), (reverse: old=edited new=base))
# where each expectation is (area, subject, action, impact).
Expectation = tuple[str, str, str, Impact]
RULES: list[tuple[str, list[Edit], list[Edit], Expectation, Expectation]] = [
    (
        "command removed / added",
        [],
        [delete(ASSETS_COMMANDS, "commands", "removeAsset")],
        ("command", "removeAsset", "removed", Impact.BREAKING),
        ("command", "removeAsset", "added", Impact.FEATURE),
    ),
    (
        "required request field added / removed",
        [],
        [
            set_in(
                ASSETS_COMMANDS,
                *GET_ASSET_REQUEST,
                "properties",
                "at",
                value={"type": "string", "description": "When."},
            ),
            require(ASSETS_COMMANDS, *GET_ASSET_REQUEST, field="at"),
        ],
        ("request field", "getAsset.request.at", "added", Impact.BREAKING),
        ("request field", "getAsset.request.at", "removed", Impact.BREAKING),
    ),
    (
        "optional request field added / removed",
        [],
        [
            set_in(
                ASSETS_COMMANDS, *GET_ASSET_REQUEST, "properties", "at", value={"type": "string", "description": "W."}
            )
        ],
        ("request field", "getAsset.request.at", "added", Impact.FEATURE),
        ("request field", "getAsset.request.at", "removed", Impact.BREAKING),
    ),
    (
        "request field made required / optional",
        [],
        [require(ASSETS_COMMANDS, *GET_ASSET_REQUEST, field="includeDeleted")],
        ("request field", "getAsset.request.includeDeleted", "changed", Impact.BREAKING),
        ("request field", "getAsset.request.includeDeleted", "changed", Impact.FEATURE),
    ),
    (
        "request field type widened / narrowed",
        [
            set_in(
                ASSETS_COMMANDS, *GET_ASSET_REQUEST, "properties", "limit", value={"type": "integer", "format": "int"}
            )
        ],
        [
            set_in(
                ASSETS_COMMANDS, *GET_ASSET_REQUEST, "properties", "limit", value={"type": "integer", "format": "long"}
            )
        ],
        ("request field", "getAsset.request.limit", "changed", Impact.FEATURE),
        ("request field", "getAsset.request.limit", "changed", Impact.BREAKING),
    ),
    (
        "request field string narrowed to an enum / widened back",
        [set_in(ASSETS_COMMANDS, *GET_ASSET_REQUEST, "properties", "kind", value={"type": "string"})],
        [set_in(ASSETS_COMMANDS, *GET_ASSET_REQUEST, "properties", "kind", value={"$ref": "AssetType"})],
        ("request field", "getAsset.request.kind", "changed", Impact.BREAKING),
        ("request field", "getAsset.request.kind", "changed", Impact.FEATURE),
    ),
    (
        "response field type widened / narrowed",
        [set_in(ASSETS_COMMANDS, *LIST_RESPONSE, "properties", "total", value={"type": "integer", "format": "int"})],
        [set_in(ASSETS_COMMANDS, *LIST_RESPONSE, "properties", "total", value={"type": "number", "format": "double"})],
        ("response field", "getAssetsList.response.total", "changed", Impact.BREAKING),
        ("response field", "getAssetsList.response.total", "changed", Impact.PATCH),
    ),
    (
        "response field removed / added",
        [],
        [delete(ASSETS_COMMANDS, *LIST_RESPONSE, "properties", "company")],
        ("response field", "getAssetsList.response.company", "removed", Impact.BREAKING),
        ("response field", "getAssetsList.response.company", "added", Impact.FEATURE),
    ),
    (
        "received type field made optional / required",
        [],
        [unrequire("types/api.yaml", "types", "IdCompany", field="id")],
        ("type field", "IdCompany.id", "changed", Impact.BREAKING),
        ("type field", "IdCompany.id", "changed", Impact.PATCH),
    ),
    (
        "received type gains a required field / loses it",
        [],
        [
            set_in(ASSETS_TYPES, "types", "AssetGeneral", "properties", "colour", value={"type": "string"}),
            require(ASSETS_TYPES, "types", "AssetGeneral", field="colour"),
            set_in(ASSETS_TYPES, "types", "Asset", "properties", "colour", value={"type": "string"}),  # its composite
        ],
        ("type field", "AssetGeneral.colour", "added", Impact.FEATURE),
        ("type field", "AssetGeneral.colour", "removed", Impact.BREAKING),
    ),
    (
        "sent type field made required / optional",
        SORT_ORDER,
        [*SORT_ORDER, require(ASSETS_TYPES, "types", "AssetQuery", field="name")],
        ("type field", "AssetQuery.name", "changed", Impact.BREAKING),
        ("type field", "AssetQuery.name", "changed", Impact.FEATURE),
    ),
    (
        "received type field narrowed / widened",
        [],
        [
            set_in(ASSETS_TYPES, "types", "AssetAdvanced", "properties", "odometer", value={"type": "integer"}),
            set_in(ASSETS_TYPES, "types", "Asset", "properties", "odometer", value={"type": "integer"}),
        ],
        ("type field", "AssetAdvanced.odometer", "changed", Impact.PATCH),
        ("type field", "AssetAdvanced.odometer", "changed", Impact.BREAKING),
    ),
    (
        "a type both sent and received breaks on narrowing (sent side)",
        [],
        [
            set_in(ASSETS_TYPES, "types", part, "properties", "odometer", value={"type": "number", "format": "float"})
            for part in ("Asset", "AssetAdvanced")  # the composite and its part stay in step
        ],
        ("type field", "Asset.odometer", "changed", Impact.BREAKING),
        ("type field", "Asset.odometer", "changed", Impact.BREAKING),  # widening breaks the received side
    ),
    (
        "sent constraint tightened / loosened",
        [],
        [set_in(ASSETS_TYPES, "types", "Asset", "properties", "name", "maxLength", value=50)],
        ("type field", "Asset.name", "changed", Impact.BREAKING),
        ("type field", "Asset.name", "changed", Impact.PATCH),
    ),
    (
        "member removed from a sent enum / added",
        SORT_ORDER,
        [*SORT_ORDER, delete(ASSETS_ENUMS, "enums", "SortOrder", "members", "desc")],
        ("enum member", "SortOrder.desc", "removed", Impact.BREAKING),
        ("enum member", "SortOrder.desc", "added", Impact.FEATURE),
    ),
    (
        "member added to a received enum / removed",
        [],
        [set_in("enums/api.yaml", "enums", "BroadcastType", "members", "outage", value={"description": "Down."})],
        ("enum member", "BroadcastType.outage", "added", Impact.FEATURE),
        ("enum member", "BroadcastType.outage", "removed", Impact.BREAKING),
    ),
    (
        "enum member Python name changed",
        [],
        [set_in(ASSETS_ENUMS, "enums", "AssetType", "members", "person", "x-python-name", value="HUMAN")],
        ("enum member", "AssetType.person", "renamed", Impact.BREAKING),
        ("enum member", "AssetType.person", "renamed", Impact.BREAKING),
    ),
    (
        "field Python name changed",
        [],
        [
            set_in(
                ASSETS_COMMANDS,
                *GET_ASSET_REQUEST,
                "properties",
                "includeDeleted",
                "x-python-name",
                value="deleted_too",
            )
        ],
        ("request field", "getAsset.request.includeDeleted", "renamed", Impact.BREAKING),
        ("request field", "getAsset.request.includeDeleted", "renamed", Impact.BREAKING),
    ),
    (
        "resource method renamed",
        [],
        [set_in(ASSETS_COMMANDS, "commands", "getAsset", "x-method", value="fetch")],
        ("command", "getAsset", "renamed", Impact.BREAKING),
        ("command", "getAsset", "renamed", Impact.BREAKING),
    ),
    (
        "error code added / removed",
        [],
        [
            set_in(
                "errors.yaml",
                "errors",
                "companyNotFound",
                value={"code": 21, "group": "notFound", "description": "No."},
            )
        ],
        ("error code", "companyNotFound", "added", Impact.FEATURE),
        ("error code", "companyNotFound", "removed", Impact.BREAKING),
    ),
    (
        "error group changed (exception base)",
        [],
        [set_in("errors.yaml", "errors", "assetNotFound", "group", value="invalidInput")],
        ("error code", "assetNotFound", "changed", Impact.BREAKING),
        ("error code", "assetNotFound", "changed", Impact.BREAKING),
    ),
    (
        "command may raise a new error / no longer lists it",
        [],
        [set_in(ASSETS_COMMANDS, "commands", "getAssetsList", "errors", value=["assetNotFound"])],
        ("command", "getAssetsList", "changed", Impact.FEATURE),
        ("command", "getAssetsList", "changed", Impact.PATCH),
    ),
    (
        "subscription type removed / added",
        [],
        [delete("subscriptions.yaml", "subscriptions", "assetAdvanced")],
        ("subscription type", "assetAdvanced", "removed", Impact.BREAKING),
        ("subscription type", "assetAdvanced", "added", Impact.FEATURE),
    ),
    (
        "subscription stops delivering a message / starts",
        [],
        [set_in("subscriptions.yaml", "subscriptions", "assetGeneral", "messages", value=["assetGeneralMerged"])],
        ("subscription type", "assetGeneral", "changed", Impact.BREAKING),
        ("subscription type", "assetGeneral", "changed", Impact.FEATURE),
    ),
    (
        "message removed / added",
        [],
        [delete("subscriptions.yaml", "messages", "broadcast")],
        ("message", "broadcast", "removed", Impact.BREAKING),
        ("message", "broadcast", "added", Impact.FEATURE),
    ),
    (
        "unreferenced type removed / added",
        [],
        [delete("types/api.yaml", "types", "SubscriptionEntry")],
        ("type", "SubscriptionEntry", "removed", Impact.BREAKING),
        ("type", "SubscriptionEntry", "added", Impact.FEATURE),
    ),
    (
        "unreferenced type counts as both: a required field breaks",
        [],
        [
            set_in("types/api.yaml", "types", "SubscriptionEntry", "properties", "extra", value={"type": "string"}),
            require("types/api.yaml", "types", "SubscriptionEntry", field="extra"),
        ],
        ("type field", "SubscriptionEntry.extra", "added", Impact.BREAKING),
        ("type field", "SubscriptionEntry.extra", "removed", Impact.BREAKING),
    ),
    (
        "deprecated / no longer deprecated",
        [],
        [set_in(ASSETS_COMMANDS, "commands", "getAssetGeneral", "deprecated", value=True)],
        ("command", "getAssetGeneral", "deprecated", Impact.FEATURE),
        ("command", "getAssetGeneral", "undeprecated", Impact.PATCH),
    ),
    (
        "description revised",
        [],
        [set_in(ASSETS_TYPES, "types", "Asset", "description", value="Something else.")],
        ("type", "Asset", "documented", Impact.PATCH),
        ("type", "Asset", "documented", Impact.PATCH),
    ),
]


@pytest.mark.parametrize(("base", "edited", "forward", "reverse"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule_in_both_directions(
    tmp_path: Path,
    load_cache: Path,
    base: list[Edit],
    edited: list[Edit],
    forward: Expectation,
    reverse: Expectation,
) -> None:
    for old, new, (area, subject, action, impact) in ((base, edited, forward), (edited, base, reverse)):
        for leftover in ("old", "new"):
            shutil.rmtree(tmp_path / leftover, ignore_errors=True)
        diff = diff_of(tmp_path, load_cache, old, new)
        change = only(diff, area=area, subject=subject, action=action)
        assert change.impact is impact, change
        if impact is Impact.BREAKING:
            assert change.reason, "a breaking change must say why"
        assert change.location is not None and change.location.file.endswith(".yaml"), change


def test_identical_schemas_have_no_changes(tmp_path: Path, load_cache: Path) -> None:
    diff = diff_of(tmp_path, load_cache, [], [])
    assert diff.changes == () and diff.impact is Impact.NONE


def test_moving_a_definition_to_another_file_changes_nothing(tmp_path: Path, load_cache: Path) -> None:
    """The diff compares the model, not the YAML: layout and file boundaries are invisible."""

    def move_id_key(data: Data) -> None:
        data["section"] = "api"
        data["types"] = {"IdKey": FIXTURE_ID_KEY}

    moved = [delete("types/api.yaml", "types", "IdKey"), ("types/api_more.yaml", move_id_key)]
    diff = diff_of(tmp_path, load_cache, [], moved)
    assert diff.changes == ()


FIXTURE_ID_KEY = yaml.safe_load((FIXTURE_SCHEMA / "types" / "api.yaml").read_text())["types"]["IdKey"]


def test_positional_parameter_change_is_breaking(tmp_path: Path, load_cache: Path) -> None:
    def swap(data: Data) -> None:
        props = data["commands"]["login"]["request"]["properties"]
        data["commands"]["login"]["request"]["properties"] = dict(reversed(list(props.items())))

    diff = diff_of(tmp_path, load_cache, [], [("commands/self.yaml", swap)])
    change = only(diff, area="command", subject="login")
    assert change.breaking and "`password` positionally instead of `username`" in change.summary


def test_section_move_changes_the_import_path(tmp_path: Path, load_cache: Path) -> None:
    def move(data: Data) -> None:
        data["types"]["SessionEnded"] = data_api_types()["SessionEnded"]

    def drop(data: Data) -> None:
        del data["types"]["SessionEnded"]

    diff = diff_of(tmp_path, load_cache, [], [("types/api.yaml", drop), (ASSETS_TYPES, move)])
    change = only(diff, area="type", subject="SessionEnded")
    assert change.breaking and "fleetfreedom.models.api to fleetfreedom.models.assets" in change.summary


def data_api_types() -> Data:
    types: Data = yaml.safe_load((FIXTURE_SCHEMA / "types" / "api.yaml").read_text())["types"]
    return types


def test_changes_are_ordered_most_severe_first(tmp_path: Path, load_cache: Path) -> None:
    diff = diff_of(
        tmp_path,
        load_cache,
        [],
        [
            set_in(ASSETS_TYPES, "types", "Asset", "description", value="New words."),
            delete(ASSETS_COMMANDS, "commands", "removeAsset"),
            set_in(
                "errors.yaml", "errors", "companyNotFound", value={"code": 21, "group": "notFound", "description": "x"}
            ),
        ],
    )
    assert [c.impact for c in diff.changes] == [Impact.BREAKING, Impact.FEATURE, Impact.PATCH]
    assert diff.impact is Impact.BREAKING
    removed = diff.changes[0]
    assert removed.location is not None and removed.location.side == "old"
    assert removed.location.file == "old/commands/assets.yaml"
    assert "client.assets.remove()" in removed.reason


def test_a_verb_change_is_not_breaking(tmp_path: Path, load_cache: Path) -> None:
    """``verb`` classifies a command; the wire and the Python API stay as they were (issue 19)."""
    diff = diff_of(
        tmp_path, load_cache, [], [set_in(ASSETS_COMMANDS, "commands", "getAssetsList", "verb", value="special")]
    )
    change = only(diff, area="command", subject="getAssetsList", action="changed")
    assert change.impact is Impact.PATCH and "classification only" in change.summary
    assert diff.breaking == ()


def test_a_removed_and_an_added_field_of_one_type_read_as_a_rename(tmp_path: Path, load_cache: Path) -> None:
    general = {"$ref": "AssetGeneral", "description": "The part."}
    diff = diff_of(
        tmp_path,
        load_cache,
        [],
        [
            delete(ASSETS_COMMANDS, "commands", "getAssetGeneral", "response", "properties", "assetGeneral"),
            set_in(ASSETS_COMMANDS, "commands", "getAssetGeneral", "response", "properties", "general", value=general),
        ],
    )
    removed = only(diff, subject="getAssetGeneral.response.assetGeneral", action="removed")
    assert removed.breaking and "probably renamed to 'general'" in removed.summary
    assert removed.migration == "`reply.asset_general` is now `reply.general`"
    added = only(diff, subject="getAssetGeneral.response.general", action="added")
    assert "probably the new name of 'assetGeneral'" in added.summary and added.description == "The part."
    # two candidates of the same type: no guess
    other = {"$ref": "AssetGeneral", "description": "Another."}
    diff = diff_of(
        tmp_path / "two",
        load_cache,
        [],
        [
            delete(ASSETS_COMMANDS, "commands", "getAssetGeneral", "response", "properties", "assetGeneral"),
            set_in(ASSETS_COMMANDS, "commands", "getAssetGeneral", "response", "properties", "general", value=general),
            set_in(ASSETS_COMMANDS, "commands", "getAssetGeneral", "response", "properties", "other", value=other),
        ],
    )
    removed = only(diff, subject="getAssetGeneral.response.assetGeneral", action="removed")
    assert "renamed" not in removed.summary and removed.migration == "stop using `reply.asset_general`"
