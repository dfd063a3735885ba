"""The object types and enums as published JSON Schema: standard formats where exact, descriptions, deprecation,
and our ``x-`` keys (key, owner, parts and ``v`` order, Python class).

Unlike ``emit/model_schema.py`` (the input of the model generator, keyed by module path), this is for people and other
tools: definitions are keyed by type name and a ``ref_prefix`` lets the AsyncAPI export place them under
``#/components/schemas/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ir import queries
from ..ir.nodes import AnyValue, Api, ArrayOf, EnumType, Field, MapOf, Named, ObjectType, Primitive, TypeExpr, UnionOf
from ..ir.primitives import INTEGER_RANGES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BUNDLE_PREFIX = "#/$defs/"

# Catalogue formats that a JSON Schema format names exactly.
STANDARD_FORMATS = {"datetime": "date-time", "guid": "uuid", "email": "email", "url": "uri"}


def _primitive(expr: Primitive) -> dict[str, Any]:
    out: dict[str, Any] = {"type": expr.json_type}
    if expr.format in STANDARD_FORMATS:
        out["format"] = STANDARD_FORMATS[expr.format]
    if expr.format is not None and expr.format in INTEGER_RANGES and expr.json_type == "integer":
        out["minimum"], out["maximum"] = INTEGER_RANGES[expr.format]
    if expr.format:
        out["x-format"] = expr.format  # the catalogue's name, for tools that know the finer formats
    return out


def type_schema(expr: TypeExpr, ref_prefix: str = BUNDLE_PREFIX) -> dict[str, Any]:
    if isinstance(expr, Named):
        return {"$ref": f"{ref_prefix}{expr.name}"}
    if isinstance(expr, ArrayOf):
        return {"type": "array", "items": type_schema(expr.items, ref_prefix)}
    if isinstance(expr, MapOf):
        # JSON object keys are strings on the wire whatever they name (ids, enum members)
        out: dict[str, Any] = {"type": "object", "additionalProperties": type_schema(expr.values, ref_prefix)}
        if not (isinstance(expr.keys, Primitive) and expr.keys.format is None):
            key = expr.keys.name if isinstance(expr.keys, Named) else expr.keys.format
            out["x-key-type"] = key
        return out
    if isinstance(expr, AnyValue):
        return {}
    if isinstance(expr, UnionOf):
        return {"anyOf": [type_schema(option, ref_prefix) for option in expr.options]}
    return _primitive(expr)


def field_schema(f: Field, ref_prefix: str = BUNDLE_PREFIX) -> dict[str, Any]:
    out = type_schema(f.type, ref_prefix)
    if f.description:
        out["description"] = f.description
    c = f.constraints
    if c.minimum is not None:
        out["minimum"] = c.minimum
    if c.maximum is not None:
        out["maximum"] = c.maximum
    if c.max_length is not None:
        out["maxLength"] = c.max_length
    if f.has_default:
        out["default"] = f.default
    if f.deprecated:
        out["deprecated"] = True
    if f.replaced_by:
        out["x-replaced-by"] = f.replaced_by
    if f.python_name != f.wire_name:
        out["x-python-name"] = f.python_name
    return out


def object_schema(fields: Iterable[Field], ref_prefix: str = BUNDLE_PREFIX) -> dict[str, Any]:
    fields = tuple(fields)
    out: dict[str, Any] = {"type": "object", "properties": {f.wire_name: field_schema(f, ref_prefix) for f in fields}}
    required = [f.wire_name for f in fields if f.required]
    if required:
        out["required"] = required
    return out


def object_type_schema(api: Api, t: ObjectType, ref_prefix: str = BUNDLE_PREFIX) -> dict[str, Any]:
    out: dict[str, Any] = {"title": t.name}
    if t.description:
        out["description"] = t.description
    out.update(object_schema(t.fields, ref_prefix))
    if t.deprecated:
        out["deprecated"] = True
    extras: dict[str, Any] = {
        "x-section": t.section,
        "x-key": t.key,
        "x-owner": t.owner,
        "x-part-of": t.part_of,
        "x-version-slot": t.version_slot,
        "x-parts": list(t.parts) if t.parts else None,
        "x-key-ref": True if t.key_ref else None,
        "x-replaced-by": t.replaced_by,
        "x-python-class": queries.class_path(api, api.service.package, t.name),
    }
    out.update({k: v for k, v in extras.items() if v is not None})
    return out


def enum_schema(api: Api, enum: EnumType) -> dict[str, Any]:
    out: dict[str, Any] = {"title": enum.name, "type": enum.json_type}
    if enum.description:
        out["description"] = enum.description
    out["enum"] = [m.value for m in enum.members]
    out["x-enum-varnames"] = [m.python_name for m in enum.members]
    out["x-enum-descriptions"] = [m.description for m in enum.members]
    deprecated = {str(m.value): m.replaced_by for m in enum.members if m.deprecated}
    if deprecated:
        out["x-enum-deprecated"] = deprecated  # member -> what replaces it (null: nothing)
    if enum.deprecated:
        out["deprecated"] = True
    if enum.replaced_by:
        out["x-replaced-by"] = enum.replaced_by
    out["x-section"] = enum.section
    out["x-python-class"] = queries.class_path(api, api.service.package, enum.name)
    return out


def definitions(api: Api, ref_prefix: str = BUNDLE_PREFIX) -> dict[str, dict[str, Any]]:
    """Every object type and enum by name, sorted."""
    defs: dict[str, dict[str, Any]] = {}
    for enum in api.enums:
        defs[enum.name] = enum_schema(api, enum)
    for t in api.types:
        defs[t.name] = object_type_schema(api, t, ref_prefix)
    return dict(sorted(defs.items()))


def schema_bundle(api: Api) -> dict[str, Any]:
    service = api.service
    return {
        "$schema": DRAFT,
        "$id": f"urn:{service.package}:schema:{service.version}",
        "title": f"{service.name} object types",
        "description": (
            f"Every object type and enumeration of the {service.name} API, version {service.version}. "
            "Generated from schema/ by `python -m generator`; x- keys carry what JSON Schema has no word for."
        ),
        "$defs": definitions(api),
    }
