"""The golden record: generated/ is exactly what the generator makes from schema/ and templates/."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import GENERATED, SCHEMA, run_generator


def test_generated_is_up_to_date() -> None:
    result = run_generator("check")
    assert result.returncode == 0, "generated/ is stale; run `python -m generator generate`\n" + result.stdout


def test_check_shows_a_changed_description(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    errors = schema / "errors.yaml"
    text = errors.read_text()
    marker = "description: "
    at = text.index(marker, text.index("assetNotFound"))
    errors.write_text(text[: at + len(marker)] + "'A changed description.' #" + text[at + len(marker) :])
    result = run_generator("check", "--schema", str(schema), "--out", str(GENERATED))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "+    A changed description." in result.stdout or "A changed description." in result.stdout
    assert result.stdout.count("\n") < 260, "the diff should be short"


def test_check_fails_on_a_stale_extra_file(tmp_path: Path) -> None:
    """A file the schema no longer generates (a removed resource's module) makes generated/ stale too."""
    out = tmp_path / "generated"
    # links kept as links; their relative targets (../runtime, ../templates, ../schema) resolve beside the copy too
    shutil.copytree(GENERATED, out, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for folder in ("runtime", "templates", "schema"):
        (tmp_path / folder).symlink_to(GENERATED.parent / folder)
    (out / "fleetfreedom" / "resources" / "gone.py").write_text('"""A module of a resource the schema dropped."""\n')
    result = run_generator("check", "--out", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fleetfreedom/resources/gone.py" in result.stdout
