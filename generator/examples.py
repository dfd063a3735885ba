"""Example calls for the docs: plausible Python argument values for a command's required request fields.

Values are built from the field types alone (a key reference becomes its bare key, an enum its first current
member, an object type a constructor call with its required fields), so every example follows the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import AnyValue, Api, ArrayOf, Command, MapOf, Named, Primitive, TypeExpr, UnionOf
from .signatures import Signature, key_annotation, response_fields, signature

_MAX_DEPTH = 3

_STRINGS = {
    "datetime": None,  # a datetime object, see _primitive
    "email": '"user@example.com"',
    "guid": '"3f2b6c1e-8d4a-4b7e-9c2f-5a1d0e7b9c34"',
    "colour": '"#336699"',
    "codified": '"truck-13"',
    "url": '"https://example.com/"',
    "timespan": '"1:30:00"',
    "ipv4": '"192.0.2.10"',
    "ipendpoint": '"192.0.2.10:4000"',
    "expression": '"*"',
}


@dataclass(frozen=True)
class Example:
    signature: Signature
    arguments: str  # "42, company=42"
    imports: tuple[str, ...]  # import lines the example needs
    result: str | None  # the response attribute worth printing, if any

    def code(self, client: str, *, is_async: bool) -> str:
        lines = [*self.imports]
        if lines:
            lines.append("")
        call = f"{client}.{self.signature.resource}.{self.signature.method}({self.arguments})"
        if is_async:
            call = "await " + call
        if self.result:
            lines += [f"response = {call}", f"print(response.{self.result})"]
        else:
            lines.append(call)
        return "\n".join(lines)


class _Builder:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.models: set[str] = set()
        self.datetime = False

    def value(self, expr: TypeExpr, depth: int = 0) -> str:
        if isinstance(expr, Named):
            return self.named(expr, depth)
        if isinstance(expr, ArrayOf):
            return f"[{self.value(expr.items, depth + 1)}]"
        if isinstance(expr, MapOf | AnyValue):
            return "{}"
        if isinstance(expr, UnionOf):
            return self.value(expr.options[0], depth)
        return self.primitive(expr)

    def primitive(self, expr: Primitive) -> str:
        if expr.json_type == "integer":
            return "42"
        if expr.json_type == "number":
            return "1.5"
        if expr.json_type == "boolean":
            return "True"
        if expr.format == "datetime":
            self.datetime = True
            return "datetime(2024, 1, 31, 13, 45, tzinfo=timezone.utc)"
        return _STRINGS.get(expr.format or "") or '"example"'

    def named(self, expr: Named, depth: int) -> str:
        api = self.api
        if key_annotation(api, expr):
            t = api.types_by_name[expr.name]
            key = t.field(t.key or "")
            assert key is not None  # key_annotation found it
            return self.value(key.type, depth + 1)
        if expr.name in api.enums_by_name:
            enum = api.enums_by_name[expr.name]
            member = next((m for m in enum.members if not m.deprecated), enum.members[0])
            self.models.add(enum.name)
            return f"{enum.name}.{member.python_name}"
        t = api.types_by_name[expr.name]
        self.models.add(t.name)
        if depth >= _MAX_DEPTH:
            return f"{t.name}()"
        # required fields, and for a type with none the owner and name, so a merge example shows a real object
        shown = [f for f in t.fields if f.required] or [f for f in t.fields if f.wire_name in (t.owner, "name")]
        args = ", ".join(f"{f.python_name}={self.value(f.type, depth + 1)}" for f in shown)
        return f"{t.name}({args})"

    def imports(self, package: str) -> tuple[str, ...]:
        lines = []
        if self.datetime:
            lines.append("from datetime import datetime, timezone")
        if self.models:
            lines.append(f"from {package}.models import {', '.join(sorted(self.models))}")
        return tuple(lines)


def example(api: Api, command: Command) -> Example:
    sig = signature(api, command)
    builder = _Builder(api)
    args = []
    if sig.positional and sig.positional.field:
        args.append(builder.value(sig.positional.field.type))
    for p in sig.keywords:
        if p.required and p.field:
            args.append(f"{p.name}={builder.value(p.field.type)}")
    fields = response_fields(api, command)
    result = fields[0].python_name if fields else None
    return Example(sig, ", ".join(args), builder.imports(api.service.package), result)
