"""The maintainer's loop after a vendor release, walked on a copy of the real schema (issue 19).

The walk: first release (no tag yet), then the vendor's additions (command getAssetTrips with a new type Trip,
field color, enum member boat, error code tripNotFound), a renamed reply field and a removed command; coverage
against the reference catalogue beside the checkout; diff; the CI gate; release. Then each typical mistake, one
at a time, must give exit 2 with the right location and, for every misspelling, a suggestion.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, SCHEMA, run_generator
from maintainer_walk import (
    COLOR,
    GET_ASSET_TRIPS,
    add_boat,
    add_color,
    add_trip,
    edit,
    insert_after,
    remove_definition,
)

from generator.pipeline import DEFAULT_CATALOGUE

HAVE_CATALOGUE = (DEFAULT_CATALOGUE / "commands.json").is_file()
DATE = "2026-12-01"


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Maintainer",
        "GIT_AUTHOR_EMAIL": "m@example.invalid",
        "GIT_COMMITTER_NAME": "Maintainer",
        "GIT_COMMITTER_EMAIL": "m@example.invalid",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def declared_version(schema: Path) -> str:
    match = re.search(r"^version: (\S+)$", (schema / "api.yaml").read_text(), flags=re.MULTILINE)
    assert match is not None
    return match.group(1)


def test_the_maintainers_walk(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    schema, out = repo / "schema", repo / "generated"
    shutil.copytree(SCHEMA, schema)
    (schema / "CHANGELOG.md").unlink(missing_ok=True)
    git(repo, "init", "-q")
    commit(repo, "schema as the vendor's last release")
    first = declared_version(schema)

    # 1. The first release: no tag yet, nothing to compare with.
    gate = run_generator("release", "--check", "--schema", str(schema))
    assert gate.returncode == 0 and "no release tag" in gate.stdout, gate.stdout + gate.stderr
    released = run_generator("release", "--schema", str(schema), "--out", str(out), "--date", DATE)
    assert released.returncode == 0, released.stderr
    assert f"first release of fleetfreedom {first}" in released.stdout
    changelog = (schema / "CHANGELOG.md").read_text()
    assert f"## {first} ({DATE})" in changelog and "First release of `fleetfreedom`:" in changelog
    commit(repo, f"release {first}")
    git(repo, "tag", f"v{first}")

    # 2. The vendor's release: additions, a renamed reply field, a removed command.
    add_trip(schema)
    add_color(schema)
    add_boat(schema)
    reply_field = "        assetGeneral:\n          $ref: AssetGeneral\n"  # getAssetGeneral's reply field
    edit(schema / "commands" / "assets.yaml", reply_field, reply_field.replace("assetGeneral", "general"))
    remove_definition(schema / "commands" / "assets.yaml", "reviveAsset")
    # the catalogue predates both: say why in omitted.yaml, as coverage asks
    with (schema / "omitted.yaml").open("a") as omitted:
        omitted.write(
            "- {kind: command, name: reviveAsset, reason: Withdrawn by the vendor in release 5.2.}\n"
            "- {kind: field, name: getAssetGeneral.response.assetGeneral, reason: Renamed general in release 5.2.}\n"
            "- {kind: member, name: AssetType.boat, reason: New in release 5.2; not in the catalogue yet.}\n"
        )

    # 3. Coverage: the schema leads the catalogue, additions are listed, never failed.
    if HAVE_CATALOGUE:
        coverage = run_generator("coverage", "--schema", str(schema), "--json")
        assert coverage.returncode == 0, coverage.stdout[-3000:] + coverage.stderr
        report = json.loads(coverage.stdout)
        only = {(e["kind"], e["name"]): e["reason"] for e in report["schema_only"]}
        assert ("fields", "AssetGeneral.color") in only and ("commands", "getAssetTrips") in only
        assert ("types", "Trip") in only and ("error codes", "tripNotFound") in only
        assert only[("enum members", "AssetType.boat")] == "New in release 5.2; not in the catalogue yet."
        assert report["unused_omissions"] == []

    # 4. The diff against the release tag: every change classified, the rename recognised.
    diff = run_generator("diff", f"git:v{first}", "--schema", str(schema), "--json")
    assert diff.returncode == 0, diff.stderr
    changes = {(c["area"], c["subject"], c["action"]): c for c in json.loads(diff.stdout)["changes"]}
    assert changes[("command", "getAssetTrips", "added")]["impact"] == "feature"
    assert changes[("command", "getAssetTrips", "added")]["description"].startswith("Lists the trips")
    assert changes[("type", "Trip", "added")]["impact"] == "feature"
    assert changes[("type field", "AssetGeneral.color", "added")]["impact"] == "feature"
    assert changes[("enum member", "AssetType.boat", "added")]["impact"] == "feature"
    assert changes[("error code", "tripNotFound", "added")]["impact"] == "feature"
    renamed = changes[("response field", "getAssetGeneral.response.assetGeneral", "removed")]
    assert renamed["impact"] == "breaking" and "probably renamed to 'general'" in renamed["summary"]
    assert renamed["migration"] == "`reply.asset_general` is now `reply.general`"
    assert (
        "probably the new name of 'assetGeneral'"
        in changes[("response field", "getAssetGeneral.response.general", "added")]["summary"]
    )
    removed = changes[("command", "reviveAsset", "removed")]
    assert removed["impact"] == "breaking" and "client.assets.revive()" in removed["migration"]

    # 5. CI: breaking changes since the tag without the version bump fail the gate.
    gate = run_generator("release", "--check", "--schema", str(schema))
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "breaking change(s) since" in gate.stdout and "reviveAsset" in gate.stdout

    # 6. Release: the bump the diff computes, a changelog with descriptions and migrations.
    released = run_generator("release", "--schema", str(schema), "--out", str(out), "--date", DATE)
    assert released.returncode == 0, released.stderr
    second = declared_version(schema)
    assert second != first
    section = (schema / "CHANGELOG.md").read_text().split(f"## {first}")[0]
    assert f"## {second} ({DATE})" in section
    assert "new command getAssetTrips: `client.assets.list_trips()`: Lists the trips an asset made" in section
    assert "  Migration: `reply.asset_general` is now `reply.general`." in section
    assert "  Migration: stop calling `client.assets.revive()`" in section
    assert f'version = "{second}"' in (out / "pyproject.toml").read_text()
    gate = run_generator("release", "--check", "--schema", str(schema))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    commit(repo, f"release {second}")
    git(repo, "tag", f"v{second}")
    nothing = run_generator("release", "--schema", str(schema), "--out", str(out), "--dry-run")
    assert nothing.returncode == 0 and "nothing to release" in nothing.stdout


def test_a_release_tag_that_is_not_the_declared_version_is_named(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    schema = repo / "schema"
    shutil.copytree(PROJECT / "tests" / "fixtures" / "minimal", schema)
    git(repo, "init", "-q")
    commit(repo, "fixture")
    git(repo, "tag", "v0.0.0")
    result = run_generator("release", "--schema", str(schema), "--dry-run")
    assert result.returncode == 2
    assert "the newest release tag is v0.0.0" in result.stderr and "--base git:v0.0.0" in result.stderr


# --- the typical mistakes ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real schema after the vendor's additions; each mistake is made on a copy of it."""
    schema = tmp_path_factory.mktemp("extended") / "schema"
    shutil.copytree(SCHEMA, schema)
    add_trip(schema)
    add_color(schema)
    add_boat(schema)
    return schema


ASSETS_COMMANDS, ASSETS_TYPES = Path("commands/assets.yaml"), Path("types/assets.yaml")
TRIPS_RESPONSE = GET_ASSET_TRIPS[GET_ASSET_TRIPS.index("    response:\n") : GET_ASSET_TRIPS.index("    errors:")]


def _replace(file: Path, old: str, new: str) -> Callable[[Path], None]:
    return lambda schema: edit(schema / file, old, new)


def _move_to_users(schema: Path) -> None:
    edit(schema / ASSETS_COMMANDS, GET_ASSET_TRIPS, "")
    insert_after(schema / "commands" / "users.yaml", "commands:\n", GET_ASSET_TRIPS)


# case -> (the mistake, file named, a text on the line it must point at, words the message must hold)
MISTAKES: dict[str, tuple[Callable[[Path], None], Path, str, str]] = {
    "misspelt type": (
        _replace(ASSETS_COMMANDS, "items: {$ref: Trip}", "items: {$ref: Trpi}"),
        ASSETS_COMMANDS,
        "$ref: Trpi",
        "unknown type 'Trpi' (did you mean 'Trip'?)",
    ),
    "misspelt field type": (
        _replace(ASSETS_TYPES, "started: {type: string,", "started: {type: strng,"),
        ASSETS_TYPES,
        "type: strng",
        "'strng' is not one of string, integer, number, boolean, array, object (did you mean 'string'?)",
    ),
    "misspelt format": (
        _replace(ASSETS_TYPES, "format: datetime, description: When the trip began", "format: datetme, description: x"),
        ASSETS_TYPES,
        "format: datetme",
        "(did you mean 'datetime'?)",
    ),
    "misspelt key": (
        _replace(ASSETS_COMMANDS, TRIPS_RESPONSE, TRIPS_RESPONSE.replace("response:", "respone:")),
        ASSETS_COMMANDS,
        "respone:",
        "unknown key 'respone' (did you mean 'response'?)",
    ),
    "misspelt verb": (
        _replace(ASSETS_COMMANDS, "  getAssetTrips:\n    verb: list", "  getAssetTrips:\n    verb: lsit"),
        ASSETS_COMMANDS,
        "verb: lsit",
        "(did you mean 'list'?)",
    ),
    "misspelt error name": (
        _replace(ASSETS_COMMANDS, "errors: [assetNotFound, tripNotFound]", "errors: [assetNotFund, tripNotFound]"),
        ASSETS_COMMANDS,
        "assetNotFund",
        "unknown error code 'assetNotFund' (did you mean 'assetNotFound'",
    ),
    "misspelt message": (
        _replace(ASSETS_COMMANDS, "    errors: [assetNotFound, tripNotFound]\n", "    emits: [assetGeneralMergd]\n"),
        ASSETS_COMMANDS,
        "assetGeneralMergd",
        "unknown message 'assetGeneralMergd' (did you mean 'assetGeneralMerged'",
    ),
    "misspelt subscription type": (
        _replace(Path("subscriptions.yaml"), "x-replaced-by: providerConfig\n", "x-replaced-by: providerConfg\n"),
        Path("subscriptions.yaml"),
        "providerConfg",
        "unknown subscription type 'providerConfg' (did you mean 'providerConfig'",
    ),
    "misspelt enum member": (
        _replace(Path("enums/reports.yaml"), "x-replaced-by: jobs", "x-replaced-by: jbos"),
        Path("enums/reports.yaml"),
        "x-replaced-by: jbos",
        "unknown member of ReportType 'jbos' (did you mean 'jobs'?)",
    ),
    "dedented property": (
        _replace(ASSETS_TYPES, "      distance: {type: number", "    distance: {type: number"),
        ASSETS_TYPES,
        "    distance: {",
        "unknown key 'distance'",
    ),
    "wrong indentation": (
        _replace(ASSETS_COMMANDS, "    x-filter: asset\n    x-resource:", "    x-filter: asset\n   x-resource:"),
        ASSETS_COMMANDS,
        "   x-resource: assets",
        "YAML syntax error",
    ),
    "duplicated command": (
        lambda schema: insert_after(schema / ASSETS_COMMANDS, "commands:\n", GET_ASSET_TRIPS),
        ASSETS_COMMANDS,
        "  getAssetTrips:",
        "duplicate key 'getAssetTrips'",
    ),
    "command without response": (
        _replace(ASSETS_COMMANDS, TRIPS_RESPONSE, ""),
        ASSETS_COMMANDS,
        "  getAssetTrips:",
        "'response' is required here",
    ),
    "error code number used twice": (
        _replace(Path("errors.yaml"), "tripNotFound: {code: 9001", "tripNotFound: {code: 20"),
        Path("errors.yaml"),
        "code: 20",
        "error code number 20 is used twice",
    ),
    "two members with one wire value": (
        _replace(Path("enums/assets.yaml"), "      boat:\n", "      boat:\n        value: vehicle\n"),
        Path("enums/assets.yaml"),
        "vehicle",
        "both travel as 'vehicle'",
    ),
    "command in another section's file": (
        _move_to_users,
        Path("commands/users.yaml"),
        "object: Trip",
        "filed in section 'users'; move it to commands/assets.yaml",
    ),
    "composite out of step": (
        lambda schema: edit(schema / ASSETS_TYPES, COLOR, ""),  # color left on AssetGeneral, taken off Asset
        ASSETS_TYPES,
        "color:",
        "field 'color' of AssetGeneral is missing from its composite Asset",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_each_mistake_is_located_and_named(case: str, extended: Path, tmp_path: Path) -> None:
    mistake, file, marker, words = MISTAKES[case]
    schema = tmp_path / "schema"
    shutil.copytree(extended, schema)
    mistake(schema)
    result = run_generator("generate", "--schema", str(schema), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = (schema / file).read_text().splitlines()
    wanted = {number for number, text in enumerate(lines, 1) if marker in text}
    assert wanted, f"{marker!r} not in {file}"
    located = []
    for line in result.stderr.splitlines():
        match = re.match(r"^schema/(?P<file>\S+):(?P<line>\d+):\d+: \$\S*: (?P<message>.*)$", line)
        if match and match["file"] == file.as_posix() and words in match["message"]:
            located.append(int(match["line"]))
    assert located, result.stderr
    assert set(located) & wanted, (located, wanted, result.stderr)
    assert not (tmp_path / "out").exists()


def test_independent_mistakes_are_reported_together(extended: Path, tmp_path: Path) -> None:
    """A definition the metaschema refuses no longer hides reference errors elsewhere."""
    schema = tmp_path / "schema"
    shutil.copytree(extended, schema)
    edit(schema / ASSETS_TYPES, "started: {type: string,", "started: {type: strng,")  # Trip refused ...
    edit(schema / ASSETS_COMMANDS, "    verb: list\n    object: Trip\n", "    verb: lsit\n    object: Trip\n")
    edit(schema / "commands" / "users.yaml", "$ref: IdKey", "$ref: IdKye")  # ... and an unrelated reference
    edit(schema / ASSETS_TYPES, "  Trip:\n", "  Trip:\n    wheels: 4\n    speed: 3\n")  # two unknown keys, both named
    result = run_generator("check", "--schema", str(schema))
    assert result.returncode == 2
    assert "did you mean 'string'?" in result.stderr and "did you mean 'list'?" in result.stderr
    assert "unknown type 'IdKye' (did you mean 'IdKey'" in result.stderr
    assert "unknown key 'wheels'" in result.stderr and "unknown key 'speed'" in result.stderr
    assert "unknown type 'Trip'" not in result.stderr  # a refused definition still counts as defined
    assert "5 problem(s)" in result.stderr


def test_a_version_bump_does_not_reinstall(tmp_path: Path) -> None:
    """The Makefile's install stamp ignores the version lines of the pyproject files, not their dependencies."""
    (tmp_path / "generated").mkdir()
    shutil.copy(PROJECT / "Makefile", tmp_path / "Makefile")
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    generated = tmp_path / "generated" / "pyproject.toml"
    shutil.copy(PROJECT / "generated" / "pyproject.toml", generated)

    def stamp() -> str:
        done = subprocess.run(
            ["make", "-s", "--no-print-directory", "--eval", "show: ; @echo $(STAMP)", "show"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    before = stamp()
    text = generated.read_text()
    generated.write_text(re.sub(r'^version = ".*"$', 'version = "99.0.0"', text, count=1, flags=re.MULTILINE))
    assert stamp() == before
    generated.write_text(text.replace('"websockets>=14,<18",', '"websockets>=15,<18",'))
    assert stamp() != before
