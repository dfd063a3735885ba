"""One derivation of every resource method's Python signature (``generator/ir/signatures.py``): the generated
methods and the docs both render it, so the docs show what the code declares.

For every command (and every ``update`` helper), on both ``AsyncClient`` and ``Client`` resources, the test reads
the generated method with ``inspect.signature`` (names, annotations as written, defaults, kinds, return) and
holds it to the derivation; then it finds the derivation's text in the generated docs (api.md and the command's
page), where the reader sees it.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.emit.package import ResourcePlan
from generator.ir.nodes import Api, Resource
from generator.ir.signatures import Signature, signature
from generator.pipeline import load_api

GENERATED = Path(__file__).resolve().parents[1] / "generated"
Declared = tuple[str, object, object, object]


@pytest.fixture(scope="module")
def api() -> Api:
    return load_api()


def _resource_signatures(api: Api) -> list[tuple[Resource, Signature]]:
    """Every method of every resource as the docs render it: the commands, then the update helpers."""
    plan = ResourcePlan(api)
    out = [(r, signature(api, api.commands_by_name[name])) for r in api.resources for name in r.commands]
    out += [(r, u.sig) for r in api.resources for u in plan.updates(r)]
    return out


def _classes(api: Api, r: Resource) -> tuple[type, type]:
    module = importlib.import_module(f"{api.service.package}.resources.{api.sections_by_id[r.section].module}")
    return getattr(module, f"Async{r.class_name}"), getattr(module, r.class_name)


def _declared(method: Callable[..., Any]) -> list[Declared]:
    """(name, annotation text, default, kind) of a generated method's parameters after ``self``; the modules use
    ``from __future__ import annotations``, so each annotation is the text the generator wrote."""
    parameters = list(inspect.signature(method).parameters.values())
    assert parameters[0].name == "self"
    return [(p.name, p.annotation, p.default, p.kind) for p in parameters[1:]]


def _derived(sig: Signature, namespace: dict[str, Any]) -> list[Declared]:
    """The derivation, with each default's source text evaluated where the generated method is defined."""
    out: list[Declared] = []
    for p in sig.parameters:
        # a default is source text the generator wrote (``NOT_GIVEN``, ``None``): its value in the method's module
        default = inspect.Parameter.empty if p.default is None else eval(p.default, namespace)
        kind = inspect.Parameter.KEYWORD_ONLY if p.keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        out.append((p.name, p.annotation, default, kind))
    return out


def test_every_generated_method_declares_the_derived_signature(api: Api) -> None:
    signatures = _resource_signatures(api)
    assert len(signatures) > len(api.commands) // 2  # every command with a resource, and the update helpers
    assert any(s.method.startswith("update") and s.command.verb == "merge" for _, s in signatures)
    for r, sig in signatures:
        for cls in _classes(api, r):
            method = getattr(cls, sig.method)
            where = f"{cls.__name__}.{sig.method} ({sig.command.name})"
            assert inspect.iscoroutinefunction(method) == cls.__name__.startswith("Async"), where
            assert _declared(method) == _derived(sig, method.__globals__), where
            assert inspect.signature(method).return_annotation == sig.returns, where


def _code_texts(markdown: str) -> set[str]:
    """The ``<code>`` spans of a generated page as the reader sees them: links and word breaks dropped, entities
    decoded (docs.py escapes every character Markdown or HTML would act on)."""
    out = set()
    for span in re.findall(r"<code>(.*?)</code>", markdown):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", span.replace("<wbr>", ""))
        out.add(html.unescape(text))
    return out


def _code_call(method: Callable[..., Any], resource: str, *, is_async: bool) -> str:
    """``[await ]client.<resource>.<method>(<parameters>) -> <return>`` written from the generated method's own
    source (its parameters, annotations and defaults as the generator wrote them), not from the derivation."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    args = node.args
    assert not args.posonlyargs and args.vararg is None and args.kwarg is None
    assert args.args[0].arg == "self"

    def text(arg: ast.arg, default: ast.expr | None) -> str:
        assert arg.annotation is not None, arg.arg
        return f"{arg.arg}: {ast.unparse(arg.annotation)}" + (f" = {ast.unparse(default)}" if default else "")

    positional = args.args[1:]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = [text(a, d) for a, d in zip(positional, defaults, strict=True)]
    if args.kwonlyargs:
        parts.append("*")
    parts += [text(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    assert node.returns is not None
    prefix = "await " if is_async else ""
    return f"{prefix}client.{resource}.{node.name}({', '.join(parts)}) -> {ast.unparse(node.returns)}"


def test_the_docs_show_what_the_code_declares(api: Api) -> None:
    """api.md lists every method of both clients, and each command's page its two calls: each as the generated
    method declares it (read from its source), so a docs-only change to the rendering fails here."""
    listing = _code_texts((GENERATED / "api.md").read_text(encoding="utf-8"))
    pages: dict[str, set[str]] = {}
    for r, sig in _resource_signatures(api):
        module = api.sections_by_id[sig.command.section].module
        if sig.method == sig.command.method and module not in pages:
            page = GENERATED / "docs" / "pages" / "sections" / module / "commands.md"
            pages[module] = _code_texts(page.read_text(encoding="utf-8"))
        for cls in _classes(api, r):
            is_async = cls.__name__.startswith("Async")
            call = _code_call(getattr(cls, sig.method), r.name, is_async=is_async)
            assert call == sig.render(is_async=is_async)
            assert call in listing, f"api.md lacks {call}"
            if sig.method == sig.command.method:  # an update helper is listed in api.md only
                assert call in pages[module], f"{module}/commands.md lacks {call}"


def test_the_stub_in_getting_started_is_the_code_s(api: Api) -> None:
    """getting-started shows one method as a stub (``async def get(self, ...)``) under its path
    (``# client.companies.get``): as the async resource declares it."""
    lines = (GENERATED / "docs" / "pages" / "getting-started.md").read_text(encoding="utf-8").splitlines()
    stubs = [(lines[i - 1], line) for i, line in enumerate(lines) if line.startswith("async def ")]
    assert len(stubs) == 1
    path, stub = stubs[0]
    resource_name, method = path.removeprefix("# client.").split(".")
    resource = next(r for r in api.resources if r.name == resource_name)
    call = _code_call(getattr(_classes(api, resource)[0], method), resource_name, is_async=True)
    head = f"await client.{resource_name}.{method}("
    assert stub == f"async def {method}(self, {call[len(head) :]}: ..."
