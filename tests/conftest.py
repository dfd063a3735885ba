"""Shared test helpers: project paths and running the generator the way a maintainer does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SCHEMA = PROJECT / "schema"
GENERATED = PROJECT / "generated"
FIXTURE_SCHEMA = PROJECT / "tests" / "fixtures" / "minimal"
SNAPSHOTS = PROJECT / "tests" / "snapshots"


def run_generator(*args: str, cwd: Path = PROJECT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m generator ARGS`` in a subprocess, as a maintainer would run it."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_python(code: str, *, pythonpath: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports the package found on ``pythonpath``."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def fixture_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture schema generated once per session into a temporary folder."""
    out = tmp_path_factory.mktemp("fixture") / "generated"
    result = run_generator("generate", "--schema", str(FIXTURE_SCHEMA), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out
