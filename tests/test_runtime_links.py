"""Hand-written code is committed once: the package links to runtime/ and templates/docs, it does not copy them.

``generator check`` compares the links with what the generator makes; these tests say the same from the outside
(every runtime file appears in the package as a link to itself), prove that no hand-written file has a committed
copy anywhere, and that a wheel built from generated/ carries the runtime byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import GENERATED, PROJECT

RUNTIME = PROJECT / "runtime"
# Folders whose files the generator writes: a file there that equals another committed file is output, not a copy
# of hand-written code (the same page can come out of two schemas).
OUTPUT_FOLDERS = ("generated/", "tests/snapshots/")
SYMLINK_MODE = "120000"


def _runtime_files() -> list[Path]:
    return sorted(
        p.relative_to(RUNTIME)
        for p in RUNTIME.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".json")
    )


def test_every_runtime_file_is_a_link_in_the_package() -> None:
    package = GENERATED / "fleetfreedom"
    for rel in _runtime_files():
        shipped = package / rel
        assert shipped.is_symlink(), f"{shipped} should be a link to runtime/{rel} (python -m generator generate)"
        assert shipped.resolve() == (RUNTIME / rel).resolve()


def _committed() -> list[tuple[str, str, str]]:
    """(mode, blob id, path) of every committed file."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-s"], cwd=PROJECT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    out = []
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        mode, blob, _stage = meta.split()
        out.append((mode, blob, path))
    return out


def test_no_hand_written_file_has_a_committed_copy() -> None:
    committed = _committed()
    paths_by_blob: dict[str, list[str]] = defaultdict(list)
    for mode, blob, path in committed:
        if mode != SYMLINK_MODE:
            paths_by_blob[blob].append(path)
    copies = []
    for mode, blob, path in committed:
        if mode == SYMLINK_MODE or path.startswith(OUTPUT_FOLDERS) or (PROJECT / path).stat().st_size == 0:
            continue
        others = [p for p in paths_by_blob[blob] if p != path]
        if others:
            copies.append(f"{path} is committed again as {', '.join(others)}")
    assert not copies, "hand-written files must be committed once (link to them instead):\n" + "\n".join(copies)


@pytest.mark.slow
def test_a_wheel_built_from_generated_carries_the_runtime_unchanged(tmp_path: Path) -> None:
    """What pip installs from generated/ (a clean clone: links, not files) holds every runtime file's bytes."""
    build = ["wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(GENERATED)]
    result = subprocess.run(
        [sys.executable, "-m", "pip", *build],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("fleetfreedom-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for rel in _runtime_files():
            assert archive.read(f"fleetfreedom/{rel.as_posix()}") == (RUNTIME / rel).read_bytes(), rel
