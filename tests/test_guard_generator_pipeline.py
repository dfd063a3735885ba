"""Guards on ``generator.pipeline`` beyond tests/test_guard_generator.py (issue 20, mutation testing).

The package ``generate`` writes must be what black makes of the emitted code (not the raw templates), its links
must point at files that exist, and the runtime listing must hold only the runtime's source and data files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA

from generator import pipeline
from generator.diagnostics import SchemaError
from generator.format.formatter import _format_one
from generator.pipeline import Generated, generate_files, load_api


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """A full run with a cache of its own (a shared cache would answer with files an earlier run formatted)."""
    return generate_files(FIXTURE_SCHEMA, tmp_path_factory.mktemp("cache"))


def test_every_python_file_is_formatted_by_black(fresh: Generated) -> None:
    """black leaves formatted code as it is: one file of each batch that carries Python (the templates' package
    and datamodel-code-generator's models) must come out unchanged (the emitters' raw output does not)."""
    for path in ("fleetfreedom/__init__.py", "fleetfreedom/models/assets.py"):
        assert _format_one((path, fresh.files[path])) == fresh.files[path], path


def test_every_link_points_at_a_file(fresh: Generated) -> None:
    assert fresh.links, "the package links to its runtime"
    missing = sorted(path for path, target in fresh.links.items() if not target.is_file())
    assert missing == []
    assert list(fresh.links) == sorted(fresh.links)
    for path, source in pipeline.DOCS_STATIC.items():
        assert fresh.links[path] == pipeline.TEMPLATES_DIR / "docs" / source


def test_runtime_files_are_source_and_data_only(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    for name in ("_a.py", "sub/_b.py", "sub/table.json", "notes.md", "__pycache__/_a.py", "sub/__pycache__/t.json"):
        (runtime / name).parent.mkdir(parents=True, exist_ok=True)
        (runtime / name).write_text("x", encoding="utf-8")
    (runtime / "folder.py").mkdir()  # a folder, even with a source suffix, is not a file
    assert pipeline.runtime_files(runtime) == [Path("_a.py"), Path("sub/_b.py"), Path("sub/table.json")]


def test_load_api_applies_the_current_authoring_rules_unless_reading_history(tmp_path: Path) -> None:
    """An error in a group errors.yaml does not declare: refused for a schema being written, taken as it was for
    an old release read from history (groups were declared only later)."""
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    errors = schema / "errors.yaml"
    text = errors.read_text(encoding="utf-8")
    edited = text.replace("unknown: {code: 1, group: service,", "unknown: {code: 1, group: mystery,")
    assert edited != text
    errors.write_text(edited, encoding="utf-8")
    with pytest.raises(SchemaError, match="unknown error group 'mystery'"):
        load_api(schema)
    assert load_api(schema, history=True).errors_by_name["unknown"].group == "mystery"
