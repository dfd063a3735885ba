"""The generated Markdown: api.md lists every method of both clients, the examples are Python that names real
classes, and schema text with Markdown, HTML or template syntax renders as plain text in the built site."""

from __future__ import annotations

import ast
import functools
import html
import html.parser
import importlib
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA, GENERATED, run_generator
from test_docs_site import build_site

from generator.ir.nodes import Api, Named, TypeExpr
from generator.pipeline import load_api

PAGES = GENERATED / "docs" / "pages"
API_MD = GENERATED / "api.md"
_FENCE = re.compile(r"^(?P<indent>[ ]*)```python\n(?P<code>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@functools.cache
def api() -> Api:
    return load_api()


def plain(markdown: str) -> str:
    """A Markdown line as a reader sees it: links reduced to their text, tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", _LINK.sub(r"\1", markdown)))


def markdown_files() -> list[Path]:
    return [API_MD, *sorted(PAGES.rglob("*.md"))]


def python_blocks(path: Path) -> list[str]:
    return [textwrap.dedent(m.group("code")) for m in _FENCE.finditer(path.read_text(encoding="utf-8"))]


# --- api.md --------------------------------------------------------------------------------------------


def _key_ref(model: Api, expr: TypeExpr) -> str | None:
    """The type's name when it is a key reference (``IdKey``), whose bare key a method also accepts."""
    if isinstance(expr, Named) and expr.name in model.types_by_name and model.types_by_name[expr.name].key_ref:
        return expr.name
    return None


def test_api_md_lists_every_method_of_both_clients() -> None:
    model = api()
    lines = [plain(line) for line in API_MD.read_text(encoding="utf-8").splitlines()]
    sync = {line for line in lines if line.startswith("- client.")}
    async_ = {line for line in lines if line.startswith("- await client.")}
    problems = []
    for c in model.commands:
        call = f"client.{c.resource}.{c.method}("
        for client_lines, prefix in ((sync, "- "), (async_, "- await ")):
            found = [line for line in client_lines if line.startswith(prefix + call)]
            if len(found) != 1:
                problems.append(f"{c.name}: {len(found)} lines for {prefix}{call}")
                continue
            line = found[0]
            fields = model.types_by_name[c.request.from_type].fields if c.request.from_type else c.request.fields
            params = [f.python_name for f in fields]
            if not line.split(" -> ")[-1].startswith(c.response_class):
                problems.append(f"{c.name}: does not return {c.response_class}: {line}")
            for name in [*params, "timeout"]:
                if not re.search(rf"[(, ]{name}: ", line):
                    problems.append(f"{c.name}: parameter {name} missing: {line}")
            required = [f for f in fields if f.required]
            if required:
                first = required[0]
                head = line.split("(", 1)[1]
                if not head.startswith(f"{first.python_name}: ") or "*, " not in head:
                    problems.append(f"{c.name}: {first.python_name} should be the one positional parameter: {line}")
                key_ref = _key_ref(model, first.type)
                if key_ref and not re.search(rf"{first.python_name}: {key_ref} \| \w+", head):
                    problems.append(f"{c.name}: {first.python_name} should also take the bare key: {line}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_api_md_names_every_type_enum_error_subscription_and_event() -> None:
    model = api()
    text = plain(API_MD.read_text(encoding="utf-8"))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", text))
    expected = {
        *(t.name for t in model.types),
        *(e.name for e in model.enums),
        *(e.exception_name for e in model.errors if e.group != "success"),
        *(e.name for e in model.errors),
        *(f"SubscriptionType.{s.python_name}" for s in model.subscriptions),
        *(m.event_class for m in model.messages),
    }
    missing = sorted(expected - words)
    assert not missing, f"{len(missing)} names missing from api.md: {missing[:30]}"


def test_api_md_links_resolve() -> None:
    """api.md links into the Markdown sources (readable on a code host): every file and heading id exists."""
    text = API_MD.read_text(encoding="utf-8")
    targets = set(re.findall(r"\]\(([^)#]+)(?:#([^)]+))?\)", text))
    assert targets
    ids: dict[Path, set[str]] = {}
    broken = []
    for target, fragment in sorted(targets):
        path = (GENERATED / target).resolve()
        if not path.is_file():
            broken.append(target)
            continue
        if path not in ids:
            source = path.read_text(encoding="utf-8")
            ids[path] = set(re.findall(r"\{#([A-Za-z0-9_-]+)\}", source)) | set(re.findall(r'id="([^"]+)"', source))
        if fragment and fragment not in ids[path]:
            broken.append(f"{target}#{fragment}")
    assert not broken, broken[:20]


# --- examples ------------------------------------------------------------------------------------------


def test_every_python_example_parses() -> None:
    problems = []
    count = 0
    for path in markdown_files():
        for code in python_blocks(path):
            count += 1
            try:
                compile(code, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
            except SyntaxError as exc:
                problems.append(f"{path.relative_to(GENERATED)}: {exc}\n{code}")
    assert count > 2 * len(api().commands), "expected a sync and an async example per command"
    assert not problems, "\n\n".join(problems[:5])


def test_example_imports_name_real_classes() -> None:
    """Names the examples import from the generated modules exist there (the client classes come with the client)."""
    imported: dict[str, set[str]] = {}
    for path in markdown_files():
        for code in python_blocks(path):
            for node in ast.walk(ast.parse(code.replace("await ", ""))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fleetfreedom."):
                    imported.setdefault(node.module, set()).update(alias.name for alias in node.names)
    assert {"fleetfreedom.models", "fleetfreedom.events", "fleetfreedom.errors"} <= set(imported)
    missing = []
    for module_name, names in imported.items():
        module = importlib.import_module(module_name)
        missing += [f"{module_name}.{name}" for name in sorted(names) if not hasattr(module, name)]
    assert not missing, missing


# --- escaping ------------------------------------------------------------------------------------------

EVIL = "Pipe | <script>alert(1)</script> `code` {{ 7 * 7 }} {% raw %} *em* _u_ [a](http://x) {#id} &amp; a lone ` tick"


class _Text(html.parser.HTMLParser):
    """Visible text and every <script> element's body."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


@pytest.mark.slow
def test_schema_text_renders_as_text(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    for name, old in [
        ("errors.yaml", "description: No asset has that id."),
        ("commands/assets.yaml", "description: Creates or updates an asset."),
    ]:
        path = schema / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, f"description: {json.dumps(EVIL)}"))
    out = tmp_path / "generated"
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    built = build_site(out / "docs" / "mkdocs.yml", site)
    assert built.returncode == 0, built.stdout + built.stderr
    for page in ("errors/index.html", "sections/assets/commands/index.html"):
        parser = _Text()
        parser.feed((site / page).read_text(encoding="utf-8"))
        visible = " ".join(" ".join(parser.text).split())
        assert "alert(1)" not in " ".join(parser.scripts), f"{page}: schema text became a script"
        # the balanced `code` span renders as code (its backticks gone); everything else is literal text
        expected = " ".join(EVIL.replace("`code`", "code").split())
        assert expected in visible, f"{page}: {expected!r} not shown as text"
    api_md = (out / "api.md").read_text(encoding="utf-8")
    assert "<script>" not in api_md


@pytest.mark.parametrize(
    "text",
    [
        EVIL,
        "1. not a list",
        "- not a bullet",
        "+ nor this",
        "# not a heading",
        "> not a quote",
        "=== not a tab",
        "    not code",
        "trailing {: .attr }",
        "x\n\n- a list after a blank line\n---",
        "a <b>bold</b> & &lt; entity",
        "![img](x.png) and <https://example.com>",
    ],
)
def test_mdtext_is_inert_markdown(text: str) -> None:
    """Rendered with the site's Markdown extensions, schema text is one paragraph holding exactly that text."""
    import markdown

    from generator.emit.docs import mdtext

    rendered = markdown.markdown(mdtext(text), extensions=["attr_list", "tables", "admonition", "pymdownx.superfences"])
    inner = rendered.removeprefix("<p>").removesuffix("</p>")
    assert rendered.startswith("<p>") and rendered.endswith("</p>") and "<p>" not in inner, rendered
    parser = _Text()
    parser.feed(inner)
    expected = " ".join(text.split())
    if "`code`" in text:
        expected = expected.replace("`code`", "code")
    assert "".join(parser.text) == expected
    assert not parser.scripts
