"""Property-based tests of the schema loader: a corrupted schema gives located problems, never a traceback.

Each example copies the fixture schema, corrupts one file (its text, or its data re-written as YAML) and loads
it in-process (``load_api``: read, metaschema, cross-references). The result is either a valid API (some
corruptions are harmless, e.g. a changed description) or one ``SchemaError`` whose every diagnostic names a file
of that schema, a line and column inside it, and a message. One subprocess run checks the same thing end to
end: exit code 2, located messages on stderr, no traceback, the output folder untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from conftest import FIXTURE_SCHEMA, run_generator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.diagnostics import SchemaError
from generator.pipeline import load_api

SCHEMA_FILES = tuple(sorted(p.relative_to(FIXTURE_SCHEMA).as_posix() for p in FIXTURE_SCHEMA.rglob("*.yaml")))
EXAMPLES = settings(
    max_examples=int(os.environ.get("RELIABILITY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LOCATED = re.compile(r"^(?P<file>\S+):(?P<line>\d+):(?P<column>\d+): \$.*: .+")

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12) | st.sampled_from(["$ref", "Nope"])
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(data: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data``."""
    out = [at] if at else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _paths(value, (*at, index))
    return out


@st.composite
def data_corruptions(draw: st.DrawFn, text: str) -> str:
    """Parse, change one value or key somewhere, write back as YAML."""
    data = yaml.safe_load(text)
    path = draw(st.sampled_from(_paths(data)))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    how = draw(st.sampled_from(["replace", "delete", "rename", "duplicate-into-list"]))
    if how == "delete":
        del parent[last]
    elif how == "rename" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=10) | st.sampled_from(["class", "None", "a b", "$ref", "x-y"]))] = (
            parent.pop(last)
        )
    elif how == "duplicate-into-list":
        parent[last] = [parent[last], parent[last]]
    else:
        parent[last] = draw(values)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def text_corruptions(draw: st.DrawFn, text: str) -> str:
    """Damage the YAML text itself: cut it, insert characters, drop, repeat or re-indent a line."""
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["truncate", "insert", "drop-line", "repeat-line", "indent", "tab"]))
    at = draw(st.integers(0, len(lines) - 1))
    if how == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if how == "insert":
        where = draw(st.integers(0, len(text)))
        junk = draw(
            st.text(min_size=1, max_size=4) | st.sampled_from([":", "- ", "{", "]", "&a", "*a", "!!python/object"])
        )
        return text[:where] + junk + text[where:]
    if how == "drop-line":
        del lines[at]
    elif how == "repeat-line":
        lines.insert(at, lines[at])
    elif how == "indent":
        lines[at] = "   " + lines[at]
    else:
        lines[at] = "\t" + lines[at]
    return "".join(lines)


@st.composite
def corrupted_schemas(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(SCHEMA_FILES))
    text = (FIXTURE_SCHEMA / name).read_text()
    corrupt = draw(st.sampled_from([data_corruptions, text_corruptions]))
    return name, draw(corrupt(text))


def assert_loads_or_located(schema: Path) -> None:
    try:
        load_api(schema)
    except SchemaError as exc:
        assert exc.diagnostics, "a SchemaError without a problem"
        for diagnostic in exc.diagnostics:
            assert LOCATED.match(str(diagnostic)) and "\n" not in str(diagnostic), str(diagnostic)
            assert diagnostic.message.strip()
            path = schema.parent / diagnostic.file
            assert path.is_file() and path.is_relative_to(schema), f"{diagnostic.file} is not a schema file"
            lines = path.read_text(encoding="utf-8", errors="replace").count("\n") + 1
            assert 1 <= diagnostic.line <= lines + 1 and diagnostic.column >= 1, str(diagnostic)


@given(corrupted_schemas())
@EXAMPLES
def test_a_corrupted_schema_loads_or_gives_located_problems(corruption: tuple[str, str]) -> None:
    name, text = corruption
    with tempfile.TemporaryDirectory(prefix="corrupt-") as tmp:
        schema = Path(tmp) / "schema"
        shutil.copytree(FIXTURE_SCHEMA, schema)
        (schema / name).write_text(text, encoding="utf-8")
        assert_loads_or_located(schema)


@given(st.sampled_from(SCHEMA_FILES), st.binary(min_size=1, max_size=40))
@settings(max_examples=40, deadline=None)
def test_a_file_of_random_bytes_gives_located_problems(name: str, junk: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="corrupt-") as tmp:
        schema = Path(tmp) / "schema"
        shutil.copytree(FIXTURE_SCHEMA, schema)
        (schema / name).write_bytes(junk)
        assert_loads_or_located(schema)


def test_the_command_line_exits_2_with_located_problems_and_writes_nothing(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    types = schema / "types" / "assets.yaml"
    types.write_text(types.read_text().replace("$ref: AssetType", "$ref: NoSuchType").replace("x-key: id", "x-key: 7"))
    (schema / "enums" / "api.yaml").write_text("section: api\nenums:\n  Bad Name: {description: x}\n  - oops\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous output")
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if LOCATED.match(line)]
    assert any(line.startswith("schema/enums/api.yaml:") for line in problems), result.stderr
    assert result.stderr.rstrip().endswith("nothing was written.")
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and (out / "keep.txt").read_text() == "previous output"
