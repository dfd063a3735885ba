"""Code injection: schema text lands in generated code as text, and names that are not identifiers never get in.

Every description, title and summary of the fixture schema is replaced by a hostile text (quotes, triple quotes,
backslashes, a newline followed by code that would leave a marker file, Jinja syntax, HTML) tagged with a
number. The generated package must import in full with no marker written, and each tagged text must be found
intact in a string literal of the generated code (docstrings, field descriptions) or, escaped, in the README.
"""

from __future__ import annotations

import ast
import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURE_SCHEMA, run_generator, run_python

from generator.diagnostics import SchemaError
from generator.pipeline import load_api

TEXT_KEYS = ("description", "title", "summary")


def hostile(tag: int, marker: Path) -> str:
    run = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return (
        f'T{tag}: ends with a quote" and \\ a backslash \\n, """ triple {run} """ \'\'\' {run} \'\'\'\n'
        f"{run}\n    {run}  # indented\n{{{{ 7 * 7 }}}} {{% raw %}} {{# c #}} <b>bold</b> <script>x()</script> | pipe "
        f"\\\\ \\x00 \\\ntail{tag}" + ('"' if tag % 3 == 0 else "\\" if tag % 3 == 1 else "")
    )


def _inject(data: Any, texts: dict[int, tuple[str, str]], marker: Path, where: str) -> Any:
    """Replace every text value under ``data``; ``texts`` gets tag -> (place, text). A third of the texts end
    with a quote and a third with a backslash, the two ends that can run into a closing docstring quote."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in TEXT_KEYS and isinstance(value, str):
                tag = len(texts)
                texts[tag] = (f"{where}.{key}", hostile(tag, marker))
                out[key] = texts[tag][1]
            else:
                out[key] = _inject(value, texts, marker, f"{where}.{key}")
        return out
    if isinstance(data, list):
        return [_inject(item, texts, marker, f"{where}[{i}]") for i, item in enumerate(data)]
    return data


def _string_literals(root: Path) -> str:
    """Every string constant of every generated module, docstrings cleaned as ``inspect.getdoc`` would."""
    parts = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                parts.append(node.value)
                parts.append(inspect.cleandoc(node.value))
    return "\n\x00\n".join(parts)


@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[int, tuple[str, str]]]:
    tmp = tmp_path_factory.mktemp("injection")
    schema, marker = tmp / "schema", tmp / "code-ran"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    texts: dict[int, tuple[str, str]] = {}
    for path in sorted(schema.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        where = path.relative_to(schema).as_posix()
        path.write_text(yaml.safe_dump(_inject(data, texts, marker, where), sort_keys=False, allow_unicode=True))
    out = tmp / "out"
    result = run_generator("generate", "--schema", str(schema), "--out", str(out), "--no-cache")
    assert result.returncode == 0, result.stderr
    return out, marker, texts


def test_hostile_texts_import_and_run_nothing(hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]]) -> None:
    out, marker, _ = hostile_package
    check = run_python(
        "import importlib, pkgutil, fleetfreedom\n"
        "names = [m.name for m in pkgutil.walk_packages(fleetfreedom.__path__, 'fleetfreedom.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "import fleetfreedom._registry as r\n"
        "for spec in r.TYPES.values(): spec.cls\n"
        "for spec in r.COMMANDS.values(): spec.request_class, spec.response_class\n"
        "for spec in r.MESSAGES.values(): spec.payload_class, spec.event_class\n"
        "print(len(names))",
        pythonpath=out,
    )
    assert check.returncode == 0, check.stderr
    assert int(check.stdout) > 20
    assert not marker.exists(), "text from the schema ran as code"


@pytest.mark.parametrize(
    "place",
    [
        "types/assets.yaml.types.AssetGeneral.description",  # a type (class docstring)
        "types/assets.yaml.types.AssetGeneral.properties.name.description",  # a field
        "enums/assets.yaml.enums.AssetType.description",  # an enum
        "commands/assets.yaml.commands.getAsset.description",  # a command (request class docstring)
        "commands/assets.yaml.commands.getAsset.request.properties.includeDeleted.description",  # a request field
        "subscriptions.yaml.messages.assetDeleted.description",  # a message (event class docstring)
        "errors.yaml.errors.assetNotFound.description",  # an error (exception class docstring)
    ],
)
def test_each_kind_of_text_lands_as_text(
    hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]], place: str
) -> None:
    out, _, texts = hostile_package
    literals = _string_literals(out / "fleetfreedom")
    (text,) = [text for where, text in texts.values() if where == place]
    assert text in literals or inspect.cleandoc(text) in literals, f"{place} is not a literal of the generated code"


def test_every_text_that_lands_in_code_is_intact(
    hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]],
) -> None:
    """No text is cut, unescaped or half in a literal: where its tag appears, the whole text does."""
    out, _, texts = hostile_package
    literals = _string_literals(out / "fleetfreedom")
    landed = 0
    for tag, (place, text) in texts.items():
        if f"T{tag}: " in literals:
            landed += 1
            assert text in literals or inspect.cleandoc(text) in literals, place
    assert landed >= 15, f"only {landed} of {len(texts)} texts reach the code"


def test_an_enum_docstring_reads_back_intact_at_runtime(
    hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]],
) -> None:
    out, _, texts = hostile_package
    check = run_python(
        "import inspect, fleetfreedom.models.assets as m; print(inspect.getdoc(m.AssetType))", pythonpath=out
    )
    assert check.returncode == 0, check.stderr
    (enum_text,) = [t for w, t in texts.values() if w == "enums/assets.yaml.enums.AssetType.description"]
    assert inspect.cleandoc(enum_text) in check.stdout


def test_markdown_output_escapes_html_and_keeps_jinja_as_text(
    hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]],
) -> None:
    out, _, texts = hostile_package
    readme = (out / "README.md").read_text()
    shown = [tag for tag in texts if f"T{tag}: " in readme]
    assert shown, "no schema text in the README"
    assert "<b>" not in readme and "<script>" not in readme and "&lt;script&gt;" in readme
    assert "{{ 7 * 7 }}" in readme and "49" not in readme.replace("0.0.1", "")
    for line in readme.splitlines():
        if line.startswith("|"):
            assert line.count("|") - line.count("\\|") == line.rstrip().count("|") - line.count("\\|")
    registry = json.loads((out / "fleetfreedom" / "_registry.json").read_text())
    assert isinstance(registry, dict)


def test_docs_pages_escape_html(hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]]) -> None:
    out, _, texts = hostile_package
    pages = sorted(out.rglob("*.md"))
    assert len(pages) > 3, [p.name for p in pages]
    shown = 0
    for page in pages:
        text = page.read_text()
        assert "<script>" not in text and "<b>bold</b>" not in text, page
        shown += sum(1 for tag in texts if f"T{tag}: " in text)
    assert shown >= len(texts), "schema texts missing from the docs"


def test_exports_carry_the_texts_intact(hostile_package: tuple[Path, Path, dict[int, tuple[str, str]]]) -> None:
    """The JSON Schema and AsyncAPI exports hold each text as a value, exactly as written."""
    out, _, texts = hostile_package
    values: set[str] = set()
    for data in (json.loads((out / "schema.json").read_text()), yaml.safe_load((out / "asyncapi.yaml").read_text())):
        values |= set(_strings(data))
    (type_text,) = [t for w, t in texts.values() if w == "types/assets.yaml.types.AssetGeneral.description"]
    assert type_text in values
    assert sum(1 for _, text in texts.values() if text in values) >= 15


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return []


# -- names -------------------------------------------------------------------------------------------------------

BAD_NAMES = [
    # (file, text to replace, replacement, kind of name)
    ("types/assets.yaml", "  AssetGeneral:\n", "  Asset-General:\n", "type"),
    ("types/assets.yaml", "  AssetGeneral:\n", '  "AssetGeneral\\nimport os":\n', "type with a newline"),
    ("enums/assets.yaml", "  AssetType:\n", "  Asset Type:\n", "enum"),
    ("types/assets.yaml", "      messagingAddress:", "      messaging-address:", "field"),
    ("commands/assets.yaml", "        includeDeleted:", "        include deleted:", "request field"),
    ("enums/assets.yaml", "      person:", "      per.son:", "enum member"),
    ("commands/assets.yaml", "  getAssetsList:\n", "  getAssets.List:\n", "command"),
    ("errors.yaml", "  assetNotFound:", "  asset-not-found:", "error"),
    ("subscriptions.yaml", "  assetDeleted: {kind", '  "asset;Deleted": {kind', "message"),
    ("subscriptions.yaml", "  assetAdvanced:\n", "  asset Advanced:\n", "subscription"),
    ("api.yaml", "  self: {title", "  self-x: {title", "section"),
    ("api.yaml", "resource: account}", "resource: my account}", "section resource"),
    ("api.yaml", "package: fleetfreedom", "package: fleet-freedom", "package"),
    (
        "types/assets.yaml",
        "      name: {type: string, description: Display name.}",
        '      name: {type: string, x-python-name: "a; b", description: Display name.}',
        "field x-python-name",
    ),
    (
        "enums/assets.yaml",
        "      person: {description: A person.}",
        '      person: {description: A person., x-python-name: "A.B"}',
        "enum member x-python-name",
    ),
    (
        "commands/assets.yaml",
        "    verb: list\n",
        '    verb: list\n    x-method: "list()"\n',
        "x-method",
    ),
    (
        "commands/assets.yaml",
        "    verb: list\n",
        '    verb: list\n    x-resource: "assets.x"\n',
        "x-resource",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "kind"), BAD_NAMES, ids=[b[3] for b in BAD_NAMES])
def test_a_name_that_is_not_an_identifier_is_rejected(tmp_path: Path, file: str, old: str, new: str, kind: str) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    path = schema / file
    text = path.read_text()
    assert old in text, f"fixture changed: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SchemaError) as caught:
        load_api(schema)
    mine = [d for d in caught.value.diagnostics if d.file == f"schema/{file}"]
    assert any("is not a valid name here" in d.message for d in mine), "\n".join(map(str, caught.value.diagnostics))


@pytest.mark.parametrize("name", ["None", "True", "Field", "WireModel", "StrEnum"])
def test_a_type_name_python_cannot_use_is_rejected(tmp_path: Path, name: str) -> None:
    """Identifiers, but not usable as a class name in the generated modules (keyword, or shadows an import)."""
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    types = schema / "types" / "assets.yaml"
    types.write_text(
        types.read_text() + f"  {name}:\n    description: x.\n    properties:\n      id: {{type: integer}}\n"
    )
    with pytest.raises(SchemaError) as caught:
        load_api(schema)
    (problem,) = caught.value.diagnostics
    assert problem.file == "schema/types/assets.yaml" and problem.path == ("types", name), str(problem)
    assert "cannot be a class name" in problem.message
