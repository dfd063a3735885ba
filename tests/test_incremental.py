"""The maintainer's edit-regenerate loop: after a one-line edit, a run with warm caches writes byte for byte what a
run without any cache writes, whatever the caches hold (damaged entries included), and a broken edit is still
reported by file, line and path with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA, SCHEMA, run_generator

from generator import memo
from generator.pipeline import generate_files, load_api
from generator.write.tree import read_tree

TYPES = Path("types") / "api.yaml"
# (name, text before, text after): the two edits a maintainer makes most, one line each
EDITS = [
    ("description", "description: Its company.", "description: The company it is in."),
    ("field", "reload: {type: boolean, description: Reload cached data.}", "reload: {type: string, description: R.}"),
]


def _edited_copy(tmp_path: Path) -> Path:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    return schema


def _edit(schema: Path, before: str, after: str) -> None:
    path = schema / TYPES
    text = path.read_text(encoding="utf-8")
    assert before in text, f"fixture moved: {before!r}"
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


@pytest.mark.parametrize(("name", "before", "after"), EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_regenerated_with_warm_caches_is_byte_identical_to_a_run_without_cache(
    tmp_path: Path, dcg_runs: list[str], name: str, before: str, after: str
) -> None:
    schema = _edited_copy(tmp_path)
    cache = tmp_path / "cache"
    generate_files(schema, cache)  # warm every cache
    _edit(schema, before, after)
    dcg_runs.clear()  # count from here
    incremental = generate_files(schema, cache)
    assert not incremental.cached
    # a description is put into cached models; a field changes the models, so datamodel-code-generator runs
    assert len(dcg_runs) == (0 if name == "description" else 1)
    cold = generate_files(schema, None)
    assert incremental.files.keys() == cold.files.keys()
    for path, text in cold.files.items():
        assert incremental.files[path].encode() == text.encode(), path
    assert incremental.counts == cold.counts


def test_damaged_cache_entries_are_made_again_not_believed(tmp_path: Path) -> None:
    schema = _edited_copy(tmp_path)
    cache = tmp_path / "cache"
    generate_files(schema, cache)
    entries = [p for p in cache.rglob("*") if p.is_file() and p.stat().st_size > 40]
    kinds = {p.relative_to(cache).parts[0] for p in entries}
    assert {"black", "generated", "jinja", "models", "valid", "yaml"} <= kinds, kinds
    for path in entries:  # one byte changed in the middle of every entry: each still looks like what it was
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        path.write_bytes(bytes(raw))
    _edit(schema, *EDITS[0][1:])
    assert generate_files(schema, cache).files == generate_files(schema, None).files


def test_the_chunked_yaml_export_is_the_plain_dump_of_the_real_schema(tmp_path: Path) -> None:
    from generator.emit.asyncapi import asyncapi
    from generator.emit.exports import _dump, to_yaml

    document = asyncapi(load_api(SCHEMA))
    with memo.active(tmp_path):
        first = to_yaml(document)  # every chunk written
        second = to_yaml(document)  # every chunk read back
    assert first == second == _dump(document)


def test_a_broken_edit_after_a_warm_run_names_file_line_and_path_and_writes_nothing(tmp_path: Path) -> None:
    schema = _edited_copy(tmp_path)
    out = tmp_path / "generated"
    assert run_generator("generate", "--schema", str(schema), "--out", str(out)).returncode == 0
    before = read_tree(out)
    _edit(schema, "reload: {type: boolean,", "reload: {type: bolean,")
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 2
    line = next(n for n, text in enumerate((schema / TYPES).read_text().splitlines(), 1) if "bolean" in text)
    assert f"schema/types/api.yaml:{line}:" in result.stderr
    assert "types.Broadcast.properties.reload" in result.stderr, result.stderr
    assert read_tree(out) == before
