"""The generated package and the generator are typed end to end and lint clean."""

from __future__ import annotations

import subprocess
import sys

from conftest import GENERATED, PROJECT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=PROJECT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_generated_package() -> None:
    result = _run("mypy", "--strict", str(GENERATED / "fleetfreedom"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_generator() -> None:
    result = _run("mypy", "--strict", "generator")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_code_that_uses_the_package() -> None:
    """Tests, benchmarks, tools and examples call the SDK as a user would: a typing hole there is one users hit."""
    result = _run("mypy", "--strict", "tests", "benchmarks", "tools", "examples")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_clean() -> None:
    paths = ["generator", "tests", "benchmarks", "tools", "runtime", str(GENERATED / "fleetfreedom")]
    result = _run("ruff", "check", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hand_written_code_is_formatted() -> None:
    """Hand-written code is linked into the package as written, so it must already be in the house style (black's)."""
    paths = ["generator", "tests", "benchmarks", "examples", "tools", "runtime"]
    result = _run("ruff", "format", "--check", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
