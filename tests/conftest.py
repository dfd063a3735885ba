"""Shared test helpers: project paths and running the generator the way a maintainer does."""

from __future__ import annotations

import importlib.abc
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


# --- which WebSocket transport the clients use ----------------------------------------------------------------
# `--transport` sets FLEETFREEDOM_TRANSPORT, which AsyncClient(transport="auto") obeys, so every client in the suite
# (and in the subprocesses it starts) runs over that transport; `make test` runs the client tests once per transport.
# `--without-picows` makes `import picows` fail in this process and its subprocesses, proving the fallback.
ENV_TRANSPORT = "FLEETFREEDOM_TRANSPORT"
ENV_BLOCK = "FLEETFREEDOM_TEST_BLOCK_PICOWS"
BLOCKER = PROJECT / "tests" / "fixtures" / "block_picows"


class _BlockPicows(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "picows" or name.startswith("picows."):
            raise ImportError(f"{name} blocked by --without-picows")
        return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--transport",
        choices=("auto", "websockets", "picows"),
        default=None,
        help="the WebSocket transport every client uses (default: FLEETFREEDOM_TRANSPORT, else auto)",
    )
    parser.addoption("--without-picows", action="store_true", help="block `import picows` (the fallback run)")


def pytest_configure(config: pytest.Config) -> None:
    transport = config.getoption("--transport")
    if transport:
        os.environ[ENV_TRANSPORT] = transport
    if config.getoption("--without-picows"):
        sys.meta_path.insert(0, _BlockPicows())
        for name in [m for m in sys.modules if m == "picows" or m.startswith("picows.")]:
            del sys.modules[name]
        os.environ[ENV_BLOCK] = "1"
        # subprocesses: a sitecustomize on PYTHONPATH installs the same blocker there
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(BLOCKER), os.environ.get("PYTHONPATH")) if p)


def pytest_report_header(config: pytest.Config) -> str:
    from fleetfreedom._transport import resolve

    return f"fleetfreedom transport: {resolve('auto')} (FLEETFREEDOM_TRANSPORT={os.environ.get(ENV_TRANSPORT, '')!r})"


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


@pytest.fixture
def dcg_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The inputs datamodel-code-generator is run on from now on in this test (the models cache tests count them)."""
    from generator.emit import models as emit_models

    runs: list[str] = []
    real = emit_models._run_dcg

    def counted(text: str, *rest: object) -> dict[str, str]:
        runs.append(text)
        return real(text, *rest)  # type: ignore[arg-type]  # passed through unchanged

    monkeypatch.setattr(emit_models, "_run_dcg", counted)
    return runs
