"""Atomic generation: a generator killed during the write phase leaves the previous output intact.

The generator runs in a subprocess on the fixture schema with ``GENERATOR_TEST_PAUSE`` naming a step of
``write_tree``: it announces the step on stderr and waits there, and the test kills it with SIGKILL. Afterwards
the output folder is byte-for-byte the previous tree (killed before the swap) or the complete new one (killed
after it), never a mix and never missing; the next run finishes the job and removes the staging folder left
behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA, PROJECT, run_generator

from generator.write.tree import read_tree


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.fixture(scope="module")
def two_schemas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The fixture schema (old) and a changed copy (new: a changed description and a whole new section, so
    files change, appear and would have to vanish), plus the new schema's complete output."""
    tmp = tmp_path_factory.mktemp("atomic")
    old, new = tmp / "old", tmp / "new"
    shutil.copytree(FIXTURE_SCHEMA, old)
    shutil.copytree(FIXTURE_SCHEMA, new)
    types = new / "types" / "assets.yaml"
    types.write_text(types.read_text().replace("A tracked thing with all its parts.", "A tracked thing (changed)."))
    api = new / "api.yaml"
    api.write_text(api.read_text() + "  places: {title: Places, description: Areas on a map.}\n")
    (new / "types" / "places.yaml").write_text(
        "section: places\ntypes:\n  Place:\n    description: An area.\n    x-source: current\n"
        "    properties:\n      id: {type: integer, format: ulong, description: Identifier.}\n"
    )
    reference = tmp / "reference"
    result = run_generator("generate", "--schema", str(new), "--out", str(reference))
    assert result.returncode == 0, result.stderr
    return old, new, read_tree(reference)


def _generate_and_kill(schema: Path, out: Path, point: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "GENERATOR_TEST_PAUSE": point}
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "generate", "--schema", str(schema), "--out", str(out)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # the generator writes nothing else to stderr on a good run
        assert line.strip() == f"paused at {point}", line
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


@pytest.mark.parametrize(
    ("point", "expect"),
    [
        ("staging:0", "old"),  # staging folder just created
        ("staging:1", "old"),  # one file staged
        ("staging:20", "old"),  # about half staged
        ("swap", "old"),  # every file staged, not swapped yet
        ("swapped", "new"),  # swapped, the old tree not yet removed
    ],
)
def test_a_killed_generation_leaves_old_or_new_never_a_mix(
    tmp_path: Path, two_schemas: tuple[Path, Path, dict[str, str]], point: str, expect: str
) -> None:
    old_schema, new_schema, new_files = two_schemas
    out = tmp_path / "generated"
    assert run_generator("generate", "--schema", str(old_schema), "--out", str(out)).returncode == 0
    (out / "fleetfreedom" / "__pycache__").mkdir()
    (out / "fleetfreedom" / "__pycache__" / "kept.pyc").write_bytes(b"build output survives regeneration")
    before = _tree_bytes(out)
    assert read_tree(out) != new_files

    _generate_and_kill(new_schema, out, point)

    assert out.is_dir(), "the output folder is missing"
    if expect == "old":
        assert _tree_bytes(out) == before
    else:
        assert read_tree(out) == new_files
        assert (out / "fleetfreedom" / "__pycache__" / "kept.pyc").exists()
    assert _leftovers(out), "the kill was too late to leave a staging folder: the test proves nothing"

    again = run_generator("generate", "--schema", str(new_schema), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert read_tree(out) == new_files
    assert _leftovers(out) == []


def test_a_running_generation_keeps_its_staging_folder(tmp_path: Path) -> None:
    """Only folders of processes that are gone are removed: a concurrent run's staging folder is left alone."""
    from generator.write.tree import remove_leftovers

    out = tmp_path / "generated"
    out.mkdir()
    # a process of the test's own, not the test runner's parent (a liveness probe gone wrong would signal it)
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    assert running.stdin is not None
    live = tmp_path / f".generated.new-{running.pid}"
    live.mkdir()
    dead_pid = _dead_pid()
    dead = tmp_path / f".generated.old-{dead_pid}"
    dead.mkdir()
    try:
        assert remove_leftovers(out) == [dead]
        assert live.is_dir() and not dead.exists()
    finally:
        running.stdin.close()
        assert running.wait(timeout=30) == 0, "the running generation was signalled"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid
