"""The run cache of ``generate``/``check``: a hit gives exactly what a full run gives, any input change misses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA

from generator import pipeline
from generator.pipeline import generate_files, input_key, load_api


@pytest.fixture(scope="module")
def full_run() -> dict[str, str]:
    return generate_files(FIXTURE_SCHEMA, None).files


def test_a_cache_hit_returns_what_a_full_run_returns(tmp_path: Path, full_run: dict[str, str]) -> None:
    first = generate_files(FIXTURE_SCHEMA, tmp_path)
    second = generate_files(FIXTURE_SCHEMA, tmp_path)
    assert not first.cached and second.cached
    assert first.files == second.files == full_run
    assert second.counts == first.counts and second.counts["commands"] > 0


def test_any_schema_change_is_a_different_key(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    keys = {input_key(schema)}
    api_yaml = schema / "api.yaml"
    api_yaml.write_text(api_yaml.read_text().replace("Connection-level", "Connection level"))
    keys.add(input_key(schema))
    (schema / "omitted.yaml").write_text("omitted: []\n")  # a new file
    keys.add(input_key(schema))
    (schema / "omitted.yaml").rename(schema / "omitted2.yaml")  # same bytes, other name
    keys.add(input_key(schema))
    assert len(keys) == 4
    assert input_key(schema) == input_key(schema)  # and the key is stable


def test_template_and_generator_changes_are_different_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for attribute in ("TEMPLATES_DIR", "GENERATOR_DIR"):
        copy = tmp_path / attribute
        shutil.copytree(getattr(pipeline, attribute), copy, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(pipeline, attribute, copy)
        before = input_key(FIXTURE_SCHEMA)
        victim = next(p for p in sorted(copy.rglob("*")) if p.is_file())
        victim.write_bytes(victim.read_bytes() + b"\n")
        assert input_key(FIXTURE_SCHEMA) != before, attribute


def test_a_damaged_entry_is_regenerated(tmp_path: Path, full_run: dict[str, str]) -> None:
    generate_files(FIXTURE_SCHEMA, tmp_path)
    (entry,) = (tmp_path / "generated").iterdir()
    entry.write_bytes(entry.read_bytes()[:-1] + b"x")  # one byte changed: the seal no longer matches
    again = generate_files(FIXTURE_SCHEMA, tmp_path)
    assert not again.cached and again.files == full_run
    assert generate_files(FIXTURE_SCHEMA, tmp_path).cached  # rewritten whole


def test_a_description_edit_reuses_the_models_step_and_gives_what_a_full_run_gives(
    tmp_path: Path, dcg_runs: list[str]
) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    generate_files(schema, tmp_path / "cache")  # warm
    types = schema / "types" / "api.yaml"
    types.write_text(types.read_text().replace("description: Its company.", "description: The company it is in."))

    dcg_runs.clear()  # count from here
    edited = generate_files(schema, tmp_path / "cache")
    assert not edited.cached and dcg_runs == []  # the run cache missed; datamodel-code-generator's cache did not
    assert any("The company it is in." in text for text in edited.files.values())
    assert edited.files == generate_files(schema, None).files  # exactly what a run without any cache gives
    assert len(dcg_runs) == 1


def test_a_document_found_valid_is_not_validated_again_but_a_broken_edit_still_is(tmp_path: Path) -> None:
    from generator.diagnostics import SchemaError
    from generator.load.documents import load_schema

    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    cache = tmp_path / "valid"
    load_schema(schema, cache)
    markers = sorted(p for p in cache.rglob("*") if p.is_file())
    assert markers  # one per valid document
    load_schema(schema, cache)
    assert sorted(p for p in cache.rglob("*") if p.is_file()) == markers
    types = schema / "types" / "api.yaml"
    types.write_text(types.read_text().replace("description: Its company.", "descripton: Its company."))
    with pytest.raises(SchemaError, match="descripton"):
        load_api(schema, cache_dir=cache)
