"""Format generated Python with ruff's formatter (pinned; Black-compatible, the style of our hand-written code).

All files are formatted by one ``ruff format`` run over a temporary copy: ruff works on every core and needs a
few hundredths of a second for the whole package, where black needed many CPU-seconds, so no formatting cache
is kept. The settings are given on the command line (``--isolated``) so no configuration file can change them.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

LINE_LENGTH = 120
TARGET_VERSION = "py311"


class FormatError(Exception):
    """Generated source that ruff cannot parse: a generator or template bug, named by file."""


def _ruff() -> str:
    """The pinned ruff binary installed with the generator (not whichever ruff is first on PATH)."""
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


def format_sources(files: dict[str, str]) -> dict[str, str]:
    """Format every ``.py`` entry of ``files`` (path -> source); other files pass through."""
    python = {path: source for path, source in files.items() if path.endswith(".py")}
    if not python:
        return dict(files)
    with tempfile.TemporaryDirectory(prefix="fleetfreedom-format-") as tmp:
        root = Path(tmp)
        for path, source in python.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
        done = subprocess.run(
            [_ruff(), "format", "--isolated", "--no-cache", f"--line-length={LINE_LENGTH}",
             f"--target-version={TARGET_VERSION}", "."],
            cwd=root, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()
            raise FormatError(f"generated code is not valid Python (a generator bug):\n{detail}")
        formatted = {path: (root / path).read_text(encoding="utf-8") for path in python}
    return {path: formatted.get(path, source) for path, source in files.items()}
