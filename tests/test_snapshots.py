"""Template snapshot tests: the small fixture schema must generate exactly the files in tests/snapshots/minimal.

The snapshot holds what the generator writes, not the runtime the package links to (runtime/ is committed once;
tests/test_runtime_links.py checks the links and the built wheel).

After an intended change to templates/ or generator/, refresh them with
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_snapshots.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import SNAPSHOTS

from generator.write.tree import diff_trees, read_tree

EXPECTED = SNAPSHOTS / "minimal"


def _links(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if (Path(folder) / name).is_symlink()]


def test_fixture_schema_generates_the_snapshot(fixture_output: Path) -> None:
    actual = read_tree(fixture_output)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(fixture_output, EXPECTED, ignore=_links)
    expected = read_tree(EXPECTED)
    assert actual == expected, "snapshot differs (UPDATE_SNAPSHOTS=1 to accept):\n" + diff_trees(expected, actual)


def test_generation_is_deterministic(fixture_output: Path, tmp_path: Path) -> None:
    from conftest import FIXTURE_SCHEMA, run_generator

    again = tmp_path / "again"
    result = run_generator("generate", "--schema", str(FIXTURE_SCHEMA), "--out", str(again), "--no-cache")
    assert result.returncode == 0, result.stderr
    assert read_tree(again) == read_tree(fixture_output)
