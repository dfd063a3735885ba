"""Example calls for the docs: plausible Python argument values for a command's required request fields.

Values are built from the field types alone (a key reference becomes its bare key, an enum its first current
member, an object type a constructor call with its required fields), so every example follows the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.nodes import AnyValue, Api, ArrayOf, Command, Field, MapOf, Named, Primitive, TypeExpr, UnionOf
from ..ir.queries import request_fields, response_fields
from ..ir.signatures import Signature, key_annotation, signature

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


# --- wire examples: JSON bodies of frames and objects ------------------------------------------------------

_WIRE_STRINGS: dict[str, str] = {
    "datetime": "2024-01-31T13:45:00Z",
    **{name: text.strip('"') for name, text in _STRINGS.items() if text},
}
_EXAMPLE_REQ_ID = 7


class _WireBuilder:
    """Plausible wire values from field types, the JSON twin of ``_Builder``: a top-level object shows every
    field, a nested one only what identifies it (required fields, else key, owner and name), so an example stays
    readable and still validates against the models."""

    def __init__(self, api: Api, *, creating: bool = False) -> None:
        self.api = api
        self.creating = creating  # a request object leaves its key out (a create), as the Python example does

    def value(self, expr: TypeExpr, depth: int) -> object:
        if isinstance(expr, Named):
            return self.named(expr.name, depth)
        if isinstance(expr, ArrayOf):
            return [self.value(expr.items, depth + 1)]
        if isinstance(expr, MapOf | AnyValue):
            return {}
        if isinstance(expr, UnionOf):  # the first shape the schema accepts
            return self.value(expr.options[0], depth)
        return self.primitive(expr)

    def primitive(self, expr: Primitive) -> object:
        if expr.json_type == "integer":
            return 42
        if expr.json_type == "number":
            return 1.5
        if expr.json_type == "boolean":
            return False  # "deleted": true would make every example object look deleted
        return _WIRE_STRINGS.get(expr.format or "", "example")

    def named(self, name: str, depth: int) -> object:
        api = self.api
        if name in api.enums_by_name:
            enum = api.enums_by_name[name]
            return next((m for m in enum.members if not m.deprecated), enum.members[0]).value
        t = api.types_by_name[name]
        if depth >= _MAX_DEPTH:
            return {}
        identity = (t.owner, "name") if self.creating else (t.key, t.owner, "name")
        return self.fields(t.fields, depth, whole=depth == 0, identity=identity)

    def fields(
        self, fields: tuple[Field, ...], depth: int, *, whole: bool, identity: tuple[str | None, ...] = ()
    ) -> dict[str, object]:
        shown = list(fields) if whole else [f for f in fields if f.required]
        if not shown:
            shown = [f for f in fields if f.wire_name in identity]
        return {f.wire_name: self.value(f.type, depth + 1) for f in shown if not f.deprecated}


def example_object(api: Api, type_name: str) -> dict[str, object]:
    """A whole object of the type as it travels, every field filled in."""
    value = _WireBuilder(api).named(type_name, 0)
    assert isinstance(value, dict)
    return value


def request_frame(api: Api, command: Command) -> tuple[str, dict[str, object]]:
    """(frame name, body) of a request: the envelope's reqId and the command's required fields (a merge also
    names the object's owner and name, as the Python example does)."""
    builder = _WireBuilder(api, creating=True)
    body: dict[str, object] = {"reqId": _EXAMPLE_REQ_ID}
    for f in request_fields(api, command):
        if f.required:
            body[f.wire_name] = builder.value(f.type, 1)
    return command.name, body


def reply_frame(api: Api, command: Command) -> tuple[str, dict[str, object]]:
    """(frame name, body) of a successful reply: the envelope (same reqId, errorCode 0) and every response field."""
    builder = _WireBuilder(api)
    body: dict[str, object] = {"reqId": _EXAMPLE_REQ_ID, "errorCode": 0, "message": ""}
    body.update(builder.fields(response_fields(api, command), 0, whole=True))
    return command.reply_name, body
