"""The Python signature of every resource method, derived from the IR once for the docs and api.md.

The convention (see HELPERS.md): the first required request field is positional (a key-reference field such as
``asset: IdKey`` also accepts its bare key, ``client.assets.get(42)``); every other request field is keyword-only
and snake_case; every method also takes ``timeout``; it returns the command's response class.
"""

from __future__ import annotations

from dataclasses import dataclass

from .nodes import (
    AnyValue,
    Api,
    ArrayOf,
    Command,
    Field,
    MapOf,
    Named,
    Primitive,
    TypeExpr,
    UnionOf,
)
from .queries import request_fields

TIMEOUT_ANNOTATION = "float | None"


@dataclass(frozen=True)
class Parameter:
    name: str  # the Python parameter name (snake_case)
    annotation: str
    required: bool
    field: Field | None  # None for ``timeout``
    bare_key: str | None = None  # the annotation of the bare key a key-reference field also accepts

    def render(self) -> str:
        default = "" if self.required else " = None"
        return f"{self.name}: {self.annotation}{default}"


@dataclass(frozen=True)
class Signature:
    command: Command
    resource: str
    method: str
    positional: Parameter | None
    keywords: tuple[Parameter, ...]
    returns: str

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return ((self.positional,) if self.positional else ()) + self.keywords

    def render(self, client: str = "client", *, is_async: bool = False) -> str:
        """``async client.assets.get(asset: IdKey | int, *, include_deleted: bool | None = None, ...)``."""
        parts = [self.positional.render()] if self.positional else []
        parts.append("*")
        parts += [p.render() for p in self.keywords]
        prefix = "await " if is_async else ""
        return f"{prefix}{client}.{self.resource}.{self.method}({', '.join(parts)}) -> {self.returns}"

    def render_def(self, *, is_async: bool = False) -> str:
        """The method as a stub: ``async def get(self, asset: IdKey | int, *, ...) -> GetAssetResponse: ...``."""
        parts = ["self"] + ([self.positional.render()] if self.positional else [])
        parts.append("*")
        parts += [p.render() for p in self.keywords]
        prefix = "async def" if is_async else "def"
        return f"{prefix} {self.method}({', '.join(parts)}) -> {self.returns}: ..."


def key_annotation(api: Api, expr: TypeExpr) -> str | None:
    """For a key-reference type (``IdKey``): the annotation of its bare key (``int``); else None."""
    if not isinstance(expr, Named) or expr.name not in api.types_by_name:
        return None
    t = api.types_by_name[expr.name]
    if not t.key_ref or t.key is None:
        return None
    key = t.field(t.key)
    return annotation(key.type) if key else None


def _parameter(api: Api, f: Field, *, required: bool) -> Parameter:
    text = annotation(f.type)
    bare = key_annotation(api, f.type)
    if bare:
        text = f"{text} | {bare}"
    if not required:
        text = f"{text} | None"
    return Parameter(f.python_name, text, required, f, bare)


def signature(api: Api, command: Command) -> Signature:
    fields = request_fields(api, command)
    first = next((f for f in fields if f.required), None)
    positional = _parameter(api, first, required=True) if first else None
    keywords = [_parameter(api, f, required=f.required) for f in fields if f is not first]
    # required keywords first, as a reader scans for what must be given
    keywords.sort(key=lambda p: not p.required)
    keywords.append(Parameter("timeout", TIMEOUT_ANNOTATION, False, None))
    return Signature(command, command.resource, command.method, positional, tuple(keywords), command.response_class)


def annotation(expr: TypeExpr) -> str:
    """The Python annotation the generated models use for a type expression."""
    if isinstance(expr, Named):
        return expr.name
    if isinstance(expr, ArrayOf):
        return f"list[{annotation(expr.items)}]"
    if isinstance(expr, MapOf):
        return f"dict[str, {annotation(expr.values)}]"
    if isinstance(expr, AnyValue):
        return "Any"
    if isinstance(expr, UnionOf):
        return " | ".join(annotation(option) for option in expr.options)
    assert isinstance(expr, Primitive)
    if expr.format == "datetime":
        return "datetime"
    return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}[expr.json_type]
