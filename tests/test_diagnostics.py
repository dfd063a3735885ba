"""A broken schema gives exit 2, every problem as file:line:column: JSON-path: message, and writes nothing."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA, run_generator


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def yaml_syntax_error(schema: Path) -> None:
    _edit(
        schema / "commands" / "assets.yaml", "    verb: get\n    object: Asset\n", "    verb: get\n    object: [Asset\n"
    )


def unknown_type_reference(schema: Path) -> None:
    _edit(
        schema / "commands" / "assets.yaml",
        "asset: {$ref: Asset, description: The asset.}",
        "asset: {$ref: Assett, description: The asset.}",
    )


def duplicated_command(schema: Path) -> None:
    (schema / "commands" / "more.yaml").write_text(
        "section: assets\ncommands:\n  getAsset:\n    verb: get\n    object: Asset\n    description: Again.\n"
        "    evidence: [derived]\n    request: {}\n    response: {}\n"
    )


def field_of_wrong_kind(schema: Path) -> None:
    _edit(
        schema / "types" / "assets.yaml",
        "odometer: {type: number, format: double, description: Distance travelled.}\n      v:",
        "odometer: {type: string, format: double, description: Distance travelled.}\n      v:",
    )


def metaschema_violation(schema: Path) -> None:
    _edit(schema / "commands" / "assets.yaml", "    verb: remove\n", "    verb: destroy\n")


def error_number_twice(schema: Path) -> None:
    _edit(schema / "errors.yaml", "assetNotFound: {code: 20,", "assetNotFound: {code: 11,")


def unknown_error_group(schema: Path) -> None:
    _edit(
        schema / "errors.yaml",
        "assetNotFound: {code: 20, group: notFound,",
        "assetNotFound: {code: 20, group: notFund,",
    )


def runtime_error_code_missing(schema: Path) -> None:
    _edit(schema / "errors.yaml", "  commandThrottled: {code: 105,", "  commandThrottling: {code: 105,")


def command_without_response(schema: Path) -> None:
    _edit(schema / "commands" / "api.yaml", "    request: {}\n    response: {}\n", "    request: {}\n")


def subscription_without_messages(schema: Path) -> None:
    _edit(schema / "subscriptions.yaml", "messages: [assetAdvancedMerged]", "messages: []")


def name_not_an_identifier(schema: Path) -> None:
    _edit(schema / "commands" / "assets.yaml", "  getAssetsList:\n", "  'getAssets; import os':\n")


def filter_field_not_stored(schema: Path) -> None:
    _edit(
        schema / "commands" / "assets.yaml",
        "    x-filter: company\n",
        "    x-filter: company\n    x-filter-field: ownr\n",
    )


def filter_field_without_filter(schema: Path) -> None:
    _edit(schema / "commands" / "assets.yaml", "    x-filter: company\n", "    x-filter-field: company\n")


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # case: (corruption, file that must be named, words the message must contain)
    "yaml syntax": (yaml_syntax_error, "commands/assets.yaml", "YAML syntax error"),
    "unknown type": (unknown_type_reference, "commands/assets.yaml", "unknown type 'Assett'"),
    "duplicate command": (duplicated_command, "commands/more.yaml", "duplicate command 'getAsset'"),
    "wrong kind": (field_of_wrong_kind, "types/assets.yaml", "format 'double' travels as number"),
    "metaschema": (metaschema_violation, "commands/assets.yaml", "'destroy' is not one of"),
    "error number twice": (error_number_twice, "errors.yaml", "error code number 11 is used twice"),
    "unknown error group": (unknown_error_group, "errors.yaml", "unknown error group 'notFund' (did you mean"),
    "runtime code missing": (runtime_error_code_missing, "errors.yaml", "'commandThrottled' is missing"),
    "no response": (command_without_response, "commands/api.yaml", "'response' is required"),
    "no messages": (subscription_without_messages, "subscriptions.yaml", "delivers no messages"),
    "bad name": (name_not_an_identifier, "commands/assets.yaml", "is not a valid name"),
    "filter field not stored": (filter_field_not_stored, "commands/assets.yaml", "x-filter-field names 'ownr', which"),
    "filter field alone": (filter_field_without_filter, "commands/assets.yaml", "x-filter-field needs an x-filter"),
}


@pytest.fixture
def broken_setup(tmp_path: Path) -> tuple[Path, Path]:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    out = tmp_path / "generated"
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return schema, out


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_schema_is_located_and_writes_nothing(case: str, broken_setup: tuple[Path, Path]) -> None:
    schema, out = broken_setup
    corrupt, file, words = CASES[case]
    corrupt(schema)
    before = _snapshot(out)
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    located = [line for line in result.stderr.splitlines() if re.match(r"^\S+:\d+:\d+: \$\S*: ", line)]
    assert located, result.stderr
    assert any(line.startswith(f"schema/{file}:") and words in line for line in located), result.stderr
    assert _snapshot(out) == before, "generated/ changed although the schema is broken"


def test_all_problems_are_reported_in_one_run(broken_setup: tuple[Path, Path]) -> None:
    schema, out = broken_setup
    unknown_type_reference(schema)
    duplicated_command(schema)
    error_number_twice(schema)
    result = run_generator("check", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 2
    assert "unknown type 'Assett'" in result.stderr
    assert "duplicate command 'getAsset'" in result.stderr
    assert "used twice" in result.stderr
    assert "3 problem(s)" in result.stderr
