"""The seed format: a shipped JSON Schema that matches the models seeds are checked with, and errors that name the
file and the JSON path of the bad value."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from fleetfreedom.testing import Emulator, SeedError
from fleetfreedom.testing._seed_schema import SCHEMA_FILE, seed_json_schema_text

CLI = [sys.executable, "-c", "from fleetfreedom._cli import main; raise SystemExit(main())", "emulator"]


def _shipped(name: str) -> str:
    return resources.files("fleetfreedom.testing").joinpath(name).read_text(encoding="utf-8")


def test_the_shipped_seed_schema_is_the_one_the_models_give() -> None:
    assert _shipped(SCHEMA_FILE) == seed_json_schema_text(), (
        "seed.schema.json is stale: fleetfreedom emulator --seed-schema > runtime/testing/seed.schema.json"
    )


def test_the_default_seed_is_valid_under_the_schema_and_typos_are_not() -> None:
    schema = json.loads(_shipped(SCHEMA_FILE))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(json.loads(_shipped("default_seed.json")))
    bad_seeds: tuple[dict[str, list[dict[str, object]]], ...] = (
        {"Asset": [{"id": 1, "nmae": "typo"}]},
        {"Assets": []},
        {"Asset": [{"id": "one"}]},
    )
    for bad in bad_seeds:
        assert not validator.is_valid(bad), bad


@pytest.mark.parametrize(
    ("seed", "path"),
    [
        ({"Asset": [{"id": 1, "company": 42, "name": "ok"}, {"id": 2, "nmae": "typo"}]}, "$.Asset[1].nmae"),
        ({"Asset": [{"id": 1, "year": "nineteen"}]}, "$.Asset[0].year"),
        ({"Place": [{"id": 1, "anchor": {"lat": "north"}}]}, "$.Place[0].anchor.lat"),
        ({"Assets": []}, "$.Assets"),
        ({"Asset": {"id": 1}}, "$.Asset"),
        ({"Asset": [7]}, "$.Asset[0]"),
    ],
)
def test_a_bad_seed_names_its_file_and_the_json_path(tmp_path: Path, seed: dict[str, object], path: str) -> None:
    file = tmp_path / "fleet.json"
    file.write_text(json.dumps(seed))
    with pytest.raises(SeedError) as error:
        Emulator(seed=file)
    assert str(error.value).startswith(f"{file}: {path}"), str(error.value)
    result = subprocess.run([*CLI, "--seed", str(file)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr and path in result.stderr, result.stderr


def test_add_user_into_a_company_that_does_not_exist_is_refused() -> None:
    with Emulator() as emu, pytest.raises(ValueError, match="no company 999"):
        emu.add_user("ghost@example", "ghost-pass-1", company=999)
