"""``python -m generator coverage``: the schema against the reference catalogue.

On the fixture catalogue (which describes tests/fixtures/minimal exactly) every kind of gap is introduced in a copy
and must be reported; on the real catalogue the real schema must be fully covered, every gap explained.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE_SCHEMA, PROJECT, SCHEMA, run_generator
from maintainer_walk import add_boat, add_color, add_trip

from generator.maintainer.coverage import CatalogueError, Entry, Report, coverage, render
from generator.pipeline import DEFAULT_CATALOGUE, load_api

FIXTURE_CATALOGUE = PROJECT / "tests" / "fixtures" / "catalogue"

Edit = Callable[[dict[str, Any]], None]


def broken_catalogue(tmp_path: Path, file: str, edit: Edit) -> Path:
    """A copy of the fixture catalogue with ``edit`` applied to the JSON of ``file``."""
    folder = tmp_path / "catalogue"
    shutil.copytree(FIXTURE_CATALOGUE, folder)
    data = json.loads((folder / file).read_text())
    edit(data)
    (folder / file).write_text(json.dumps(data))
    return folder


def uncovered(report: Report) -> dict[str, Entry]:
    return {entry.name: entry for entry in report.entries if not entry.covered}


def issue_texts(entry: Entry) -> list[str]:
    return [issue.text.strip() for issue in entry.issues if issue.omitted is None]


@pytest.fixture(scope="module")
def fixture_api() -> Any:
    return load_api(FIXTURE_SCHEMA)


def test_fixture_catalogue_is_fully_covered(fixture_api: Any) -> None:
    report = coverage(fixture_api, FIXTURE_CATALOGUE)
    assert report.ok, render(report)
    assert report.covered == len(report.entries) > 40
    kinds = {entry.kind for entry in report.entries}
    assert kinds == {
        "sections",
        "commands",
        "types",
        "enums",
        "enum members",
        "error codes",
        "subscriptions",
        "messages",
    }
    assert ("types", "api", "IdKey") in report.schema_only  # what the SDK adds is listed, not failed


def test_missing_command_is_reported(tmp_path: Path, fixture_api: Any) -> None:
    def add_command(data: dict[str, Any]) -> None:
        data["commands"].append(
            {"name": "getAssetAdvanced", "section": "Assets", "verb": "get", "object": "AssetAdvanced",
             "request": {"asset": "{id: ulong} (required)"}, "response": {"assetAdvanced": "AssetAdvanced"},
             "evidence": ["derived"]}
        )  # fmt: skip

    report = coverage(fixture_api, broken_catalogue(tmp_path, "commands.json", add_command))
    gaps = uncovered(report)
    assert list(gaps) == ["getAssetAdvanced"]
    assert gaps["getAssetAdvanced"].status == "missing"
    assert gaps["getAssetAdvanced"].section == "assets"
    text = render(report)
    assert "[assets] commands getAssetAdvanced: missing from the schema and from omitted.yaml" in text
    assert "covered: 47 of 48" in text


def test_wrong_enum_numbers_and_values_are_reported(tmp_path: Path, fixture_api: Any) -> None:
    def renumber(data: dict[str, Any]) -> None:
        data["ErrorCode"]["values"]["assetNotFound"] = 21
        data["AssetType"]["values"]["oldKind"] = "oldkind"
        data["AssetType"]["values"]["trailer"] = "trailer"

    gaps = uncovered(coverage(fixture_api, broken_catalogue(tmp_path, "enums.json", renumber)))
    assert set(gaps) == {"assetNotFound", "AssetType.oldKind", "AssetType.trailer"}
    assert issue_texts(gaps["assetNotFound"]) == ["number 20, catalogue 21"]
    assert issue_texts(gaps["AssetType.oldKind"]) == ["value 'old-kind', catalogue 'oldkind'"]
    assert gaps["AssetType.trailer"].status == "missing"


def test_missing_field_and_wrong_field_type_are_reported(tmp_path: Path, fixture_api: Any) -> None:
    def change_fields(data: dict[str, Any]) -> None:
        data["objects"]["AssetGeneral"]["fields"]["vin"] = {"type": "string"}
        data["objects"]["Asset"]["fields"]["odometer"] = {"type": "ulong"}
        data["objects"]["AssetAdvanced"]["fields"]["places"] = {"type": "Map<ulong,AssetType>"}

    gaps = uncovered(coverage(fixture_api, broken_catalogue(tmp_path, "objects.json", change_fields)))
    assert set(gaps) == {"AssetGeneral", "Asset", "AssetAdvanced"}
    assert issue_texts(gaps["AssetGeneral"]) == ["field `vin` missing"]
    assert issue_texts(gaps["Asset"]) == ["field `odometer`: catalogue type ulong, schema type double"]
    assert issue_texts(gaps["AssetAdvanced"]) == [
        "field `places`: catalogue type Map<ulong,AssetType>, schema type Map<ulong,string>"
    ]
    assert all(entry.status == "different" for entry in gaps.values())


def test_command_fields_key_shapes_and_part_order_are_compared(tmp_path: Path, fixture_api: Any) -> None:
    def change_commands(data: dict[str, Any]) -> None:
        by_name = {c["name"]: c for c in data["commands"]}
        by_name["getAsset"]["request"]["includeSuspended"] = "boolean (optional)"
        by_name["getAsset"]["evidence"].append("code-literal")
        by_name["removeAsset"]["response"]["asset"] = "{id: ulong, company: ulong, deleted: boolean} (ContentId)"
        by_name["login"]["request"]["username"] = "guid (required)"

    gaps = uncovered(coverage(fixture_api, broken_catalogue(tmp_path, "commands.json", change_commands)))
    assert set(gaps) == {"getAsset", "removeAsset", "login"}
    assert sorted(issue_texts(gaps["getAsset"])) == [
        "evidence code-literal not recorded (schema: v4.17.5-ref-list)",
        "request field `includeSuspended` missing",
    ]
    assert issue_texts(gaps["removeAsset"]) == [
        "response field `asset`: IdCompanyDeleted has keys the catalogue's "
        "{id: ulong, company: ulong, deleted: boolean} lacks: v"
    ]
    assert issue_texts(gaps["login"]) == ["request field `username`: catalogue type guid, schema type email"]

    def swap_parts(data: dict[str, Any]) -> None:
        data["objects"]["Asset"]["parts"] = ["AssetAdvanced", "AssetGeneral"]
        data["objects"]["AssetAdvanced"]["version_index"] = "v[0]"

    gaps = uncovered(coverage(fixture_api, broken_catalogue(tmp_path / "parts", "objects.json", swap_parts)))
    assert issue_texts(gaps["Asset"]) == [
        "`v` part order [AssetGeneral, AssetAdvanced], catalogue [AssetAdvanced, AssetGeneral]"
    ]
    assert issue_texts(gaps["AssetAdvanced"]) == ["version slot 1, catalogue v[0]"]


def test_retired_parts_must_be_deprecated(tmp_path: Path, fixture_api: Any) -> None:
    def retire(data: dict[str, Any]) -> None:
        data["ErrorCode"]["obsolete"] = ["unknownCommand"]

    report = coverage(fixture_api, broken_catalogue(tmp_path, "enums.json", retire))
    assert issue_texts(uncovered(report)["unknownCommand"]) == ["obsolete in the catalogue but not deprecated"]
    assert ("error code", "unknownCommand", "NOT deprecated; no replacement") in report.retired
    assert ("enum member", "AssetType.oldKind", "deprecated; use asset") in report.retired


def test_omissions_cover_gaps_with_their_reason(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    (schema / "omitted.yaml").write_text(
        "omitted:\n"
        "- {kind: command, name: getAssetAdvanced, reason: Not offered by the fixture server.}\n"
        "- {kind: field, name: Asset.odometer, reason: Kept as a double on purpose.}\n"
        "- {kind: type, name: NoSuchType, reason: Matches nothing.}\n"
    )

    def add_command(data: dict[str, Any]) -> None:
        data["commands"].append(
            {"name": "getAssetAdvanced", "section": "Assets", "verb": "get", "object": "AssetAdvanced",
             "request": {}, "response": {}, "evidence": ["derived"]}
        )  # fmt: skip

    catalogue = broken_catalogue(tmp_path, "commands.json", add_command)
    objects = json.loads((catalogue / "objects.json").read_text())
    objects["objects"]["Asset"]["fields"]["odometer"] = {"type": "ulong"}
    (catalogue / "objects.json").write_text(json.dumps(objects))

    report = coverage(load_api(schema), catalogue)
    assert report.ok, render(report)
    by_name = {entry.name: entry for entry in report.entries}
    assert by_name["getAssetAdvanced"].status == "omitted"
    assert by_name["Asset"].status == "ok" and by_name["Asset"].issues[0].omitted == "Kept as a double on purpose."
    assert report.unused_omissions == [("type", "NoSuchType")]
    text = render(report)
    assert "command getAssetAdvanced: omitted (Not offered by the fixture server.)" in text
    assert "omitted (Kept as a double on purpose.)" in text


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    ok = run_generator("coverage", str(FIXTURE_CATALOGUE), "--schema", str(FIXTURE_SCHEMA), "--json")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["ok"] is True and data["covered"] == data["total"] == 47
    assert data["table"]["assets"]["commands"] == {
        "catalogue": 5, "schema": 5, "omitted": 0, "missing": 0, "different": 0, "schema only": 0
    }  # fmt: skip

    def drop_member(data: dict[str, Any]) -> None:
        data["BroadcastType"]["values"]["outage"] = "outage"

    broken = broken_catalogue(tmp_path, "enums.json", drop_member)
    failed = run_generator("coverage", str(broken), "--schema", str(FIXTURE_SCHEMA))
    assert failed.returncode == 1
    assert "enum members BroadcastType.outage: missing" in failed.stdout

    absent = run_generator("coverage", str(tmp_path / "nowhere"), "--schema", str(FIXTURE_SCHEMA))
    assert absent.returncode == 2 and "does not exist" in absent.stderr


def test_unreadable_catalogue_is_a_clear_error(tmp_path: Path, fixture_api: Any) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(FIXTURE_CATALOGUE, folder)
    (folder / "enums.json").write_text("{not json")
    with pytest.raises(CatalogueError, match=r"enums\.json"):
        coverage(fixture_api, folder)


@pytest.mark.skipif(
    not (DEFAULT_CATALOGUE / "commands.json").is_file(),
    reason=f"reference catalogue not found at {DEFAULT_CATALOGUE}: the real-schema coverage check needs it",
)
def test_real_schema_covers_the_whole_catalogue() -> None:
    report = coverage(load_api(SCHEMA), DEFAULT_CATALOGUE)
    assert report.ok, render(report)
    assert len(report.entries) > 1500
    # Every gap is explained: omissions carry a reason, and omitted.yaml names nothing that does not exist.
    for entry in report.entries:
        if entry.status == "omitted":
            assert entry.reason
    assert report.unused_omissions == []
    # Retired parts are deprecated (the report fails otherwise); what replaces them is named where known.
    assert report.retired and all("NOT deprecated" not in how for _, _, how in report.retired)
    assert ("subscription", "providerConfiguration", "deprecated; use providerConfig") in report.retired
    assert ("error code", "invalidPermission", "deprecated; use permissionDenied") in report.retired


def test_what_only_the_schema_has_is_listed_never_failed(tmp_path: Path) -> None:
    """The schema leads the catalogue (issue 19): a new field, enum member, command, type or error code is
    "schema only", and an omitted.yaml entry may say why (it then counts as used)."""
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    add_trip(schema)
    add_color(schema)
    add_boat(schema)
    (schema / "omitted.yaml").write_text(
        "omitted:\n- {kind: member, name: AssetType.boat, reason: New in the vendor's 5.2 release.}\n"
    )
    report = coverage(load_api(schema), FIXTURE_CATALOGUE)
    assert report.ok, render(report)
    assert report.unused_omissions == []
    for entry in (
        ("fields", "assets", "AssetGeneral.color"),
        ("fields", "assets", "Asset.color"),
        ("enum members", "assets", "AssetType.boat"),
        ("commands", "assets", "getAssetTrips"),
        ("types", "assets", "Trip"),
        ("error codes", "api", "tripNotFound"),
    ):
        assert entry in report.schema_only, entry
    assert report.schema_only_reasons == {("enum members", "AssetType.boat"): "New in the vendor's 5.2 release."}
    assert "[assets] enum members AssetType.boat (New in the vendor's 5.2 release.)" in render(report, verbose=True)
