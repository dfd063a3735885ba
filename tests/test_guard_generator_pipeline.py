"""Guards on ``generator.pipeline`` beyond tests/test_guard_generator.py (issue 20, mutation testing).

The package ``generate`` writes must be what black makes of the emitted code (not the raw templates), its links
must point at files that exist, and the runtime listing must hold only the runtime's source and data files.
"""

from __future__ import annotations

import os
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
    assert {path.split("/")[0] for path in fresh.links} == {"fleetfreedom", "docs"}  # the runtime inside the package
    assert fresh.links["fleetfreedom/_async.py"] == pipeline.RUNTIME_DIR / "_async.py"
    missing = sorted(path for path, target in fresh.links.items() if not target.is_file())
    assert missing == []
    assert list(fresh.links) == sorted(fresh.links)
    for path, source in pipeline.DOCS_STATIC.items():
        assert fresh.links[path] == pipeline.TEMPLATES_DIR / "docs" / source


def test_verbatim_links_point_at_the_docs_static_files() -> None:
    """Called directly (the ``fresh`` run lists its links while its fixture is set up, which mutation testing
    credits to another test): each of the docs site's hand-written files is linked to a file that exists."""
    links = pipeline.verbatim_links("fleetfreedom", FIXTURE_SCHEMA)
    docs = {path: target for path, target in links.items() if path.startswith("docs/")}
    assert sorted(docs) == sorted(pipeline.DOCS_STATIC)
    assert [path for path, target in docs.items() if not target.is_file()] == []


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


def test_a_missing_tool_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A library that writes or formats code but is not installed still gives a key (its absence is an input)."""
    import importlib.metadata

    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "api.yaml").write_text("x: 1\n", encoding="utf-8")
    installed = pipeline.input_key(schema)
    real = importlib.metadata.version

    def without_black(name: str) -> str:
        if name == "black":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", without_black)
    absent = pipeline.input_key(schema)
    assert len(absent) == 64 and absent != installed
    assert pipeline.input_key(schema) == absent


def test_the_run_cache_keeps_the_most_recently_written_entries(tmp_path: Path) -> None:
    """Kept by modification time, not by name: here the names sort the other way round."""
    folder = tmp_path / "generated"
    names = [f"{n:02x}" for n in range(10, 0, -1)]  # 0a, 09, ..., 01: written oldest first
    for age, name in enumerate(names):
        pipeline._write_entry(folder, name, Generated({"f": name}, {"n": age}))
        os.utime(folder / name, (1_000_000 + age, 1_000_000 + age))
    pipeline._write_entry(folder, "ff", Generated({"f": "ff"}, {"n": 99}))
    assert sorted(p.name for p in folder.iterdir()) == sorted([*names[3:], "ff"])


def test_pruning_the_run_cache_tolerates_a_concurrent_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs at once may both prune the same old entry: the one that finds it gone already goes on."""
    folder = tmp_path / "generated"
    for number in range(8):
        pipeline._write_entry(folder, f"{number:02x}", Generated({}, {}))
        os.utime(folder / f"{number:02x}", (1_000_000 + number, 1_000_000 + number))
    real_unlink = Path.unlink

    def raced(self: Path, missing_ok: bool = False) -> None:
        if self.parent == folder and self.exists():
            os.remove(self)  # the other run was first
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", raced)
    pipeline._write_entry(folder, "aa", Generated({"f": "new"}, {}))
    assert len(list(folder.iterdir())) == 8 and (folder / "aa").exists() and not (folder / "00").exists()


def test_nothing_under_pycache_is_an_input(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    (schema / "__pycache__").mkdir(parents=True)
    (schema / "api.yaml").write_text("x: 1\n", encoding="utf-8")
    before = pipeline.input_key(schema)
    (schema / "__pycache__" / "notes.txt").write_text("left by a tool", encoding="utf-8")  # not even a .pyc
    assert pipeline.input_key(schema) == before
