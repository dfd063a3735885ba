"""Shared by the benchmark scripts: timing subprocesses, medians and the verdict line.

The machines are small and shared, so every figure is a median of many runs, measured in the same run as its
baseline and reported as a ratio to it, never as an absolute time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def environment(**extra: str) -> dict[str, str]:
    """The caller's environment with bytecode writing allowed (an installed package has its .pyc files)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(PROJECT)
    env.update(extra)
    return env


def timed(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = PROJECT) -> tuple[float, str]:
    """Wall time of one subprocess and its stdout; a failing command stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(list(argv), env=env or environment(), cwd=cwd, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    return elapsed, done.stdout


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def verdict(label: str, figure: float, baseline: float, target: float, unit: str = "s") -> bool:
    ratio = figure / baseline
    ok = ratio <= target
    print(
        f"{label:<34} {figure:8.3f} {unit}   baseline {baseline:8.3f} {unit}   ratio {ratio:5.2f}x"
        f"   target <= {target:g}x   {'met' if ok else 'MISSED'}"
    )
    return ok


def verdict_at_least(label: str, figure: float, baseline: float, target: float, unit: str) -> bool:
    """Like ``verdict`` for figures where more is better (throughput): the ratio must reach ``target``."""
    ratio = figure / baseline
    ok = ratio >= target
    print(
        f"{label:<34} {figure:8.0f} {unit}   baseline {baseline:8.0f} {unit}   ratio {ratio:5.2f}x"
        f"   target >= {target:g}x   {'met' if ok else 'MISSED'}"
    )
    return ok
