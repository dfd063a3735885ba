"""The API model as JSON Schema (Draft 2020-12): the input of datamodel-code-generator.

Definition names are dotted module paths (``models.assets.AssetGeneral``, ``commands.assets.GetAssetRequest``)
so that datamodel-code-generator writes one module per section, which the package then imports lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ir.build import ERROR_CODE_ENUM, REPLY_ENVELOPE_TYPE
from ..ir.nodes import (
    AnyValue,
    Api,
    ArrayOf,
    EnumType,
    Field,
    FieldSet,
    MapOf,
    Named,
    ObjectType,
    Primitive,
    TypeExpr,
    UnionOf,
)
from ..ir.queries import class_path, fields_of, model_module, wire_aliases

_STRING_FORMATS = {"datetime": "date-time"}


def _ref(api: Api, name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{model_module(api, name)}.{name}"}


def type_schema(api: Api, expr: TypeExpr) -> dict[str, Any]:
    if isinstance(expr, Named):
        return _ref(api, expr.name)
    if isinstance(expr, ArrayOf):
        return {"type": "array", "items": type_schema(api, expr.items)}
    if isinstance(expr, MapOf):
        # JSON object keys are strings on the wire whatever they name (ids, enum members): keep them as str.
        return {"type": "object", "additionalProperties": type_schema(api, expr.values)}
    if isinstance(expr, AnyValue):
        return {}
    if isinstance(expr, UnionOf):
        return {"anyOf": [type_schema(api, option) for option in expr.options]}
    assert isinstance(expr, Primitive)
    out: dict[str, Any] = {"type": expr.json_type}
    if expr.format in _STRING_FORMATS:
        out["format"] = _STRING_FORMATS[expr.format]
    return out


def _field_schema(api: Api, f: Field) -> dict[str, Any]:
    out = type_schema(api, f.type)
    if f.description:
        if "$ref" in out:  # a sibling description would make datamodel-code-generator wrap the reference
            pass
        else:
            out["description"] = f.description
    if f.has_default:
        out["default"] = f.default
    return out


def object_schema(
    api: Api, fields: Iterable[Field], description: str | None = None, present: Iterable[str] = ()
) -> dict[str, Any]:
    """``present``: wire names of optional fields typed without ``None`` (see ``present_fields``)."""
    fields = tuple(fields)
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.wire_name: _field_schema(api, f) for f in fields},
    }
    present = set(present)
    required = [f.wire_name for f in fields if f.required or f.wire_name in present]
    if required:
        out["required"] = required
    if description:
        out["description"] = description
    return out


def _enum_schema(enum: EnumType) -> dict[str, Any]:
    return {
        "type": enum.json_type,
        "enum": [m.value for m in enum.members],
        "x-enum-varnames": [m.python_name for m in enum.members],
        "description": enum.description,
    }


def _type_def(api: Api, t: ObjectType) -> dict[str, Any]:
    out = object_schema(api, t.fields, t.description, present=_key(t))
    if t.key_ref:
        out["customBasePath"] = f"{api.service.package}._base.KeyRefModel"
    elif wire_aliases(t):  # accepts the alternate spellings on receipt (runtime/_aliases.py)
        out["customBasePath"] = f"{api.service.package}._aliases.AliasedModel"
    return out


def bundle(api: Api) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for enum in api.enums:
        defs[f"{model_module(api, enum.name)}.{enum.name}"] = _enum_schema(enum)
    for t in api.types:
        defs[f"{model_module(api, t.name)}.{t.name}"] = _type_def(api, t)
    envelope = f"{model_module(api, REPLY_ENVELOPE_TYPE)}.{REPLY_ENVELOPE_TYPE}"
    defs[envelope] = object_schema(
        api, api.service.reply_envelope, "The fields every reply carries: reqId, errorCode, message, errorDetails."
    )
    for m in api.messages:
        if m.envelope:
            payload = api.types_by_name[m.payload]
            defs[f"{model_module(api, m.payload)}.{m.payload_class}"] = {
                "allOf": [{"$ref": f"#/$defs/{envelope}"}, object_schema(api, payload.fields)],
                "description": f"Body of {m.name}: {m.description}",
            }
    for c in api.commands:
        module = f"commands.{api.sections_by_id[c.section].module}"
        request = object_schema(
            api, fields_of(api, c.request.fields, c.request.from_type), f"Body of the {c.name} command. {c.description}"
        )
        request["customBasePath"] = f"{api.service.package}._base.RequestModel"
        defs[f"{module}.{c.request_class}"] = request
        defs[f"{module}.{c.response_class}"] = {
            "allOf": [
                {"$ref": f"#/$defs/{envelope}"},
                object_schema(
                    api, fields_of(api, c.response.fields, c.response.from_type), present=_payload(api, c.response)
                ),
            ],
            "description": f"Reply to {c.name}.",
        }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": dict(sorted(defs.items()))}


def present_fields(api: Api) -> dict[str, list[str]]:
    """Class name -> Python names of the fields the server always sends on success though the schema has them
    optional (an error reply carries no payload; a pushed part may lack its key): a reply's payload (an object or
    a list of objects) and an object type's key.

    datamodel-code-generator is given them as required, so it types them without ``None`` (``reply.company.name``
    needs no guard); ``emit_models`` then gives them back a ``None`` default, so decoding stays lenient (a frame
    without them still decodes as its class). A success reply without its payload is a FrameError naming the
    field (``_resource_base.reply_as``), so a user never gets ``None`` where the type says otherwise.
    """
    out: dict[str, list[str]] = {}
    for t in api.types:
        out[t.name] = _python_names(t.fields, _key(t))
    for c in api.commands:
        out[c.response_class] = _python_names(
            fields_of(api, c.response.fields, c.response.from_type), _payload(api, c.response)
        )
    return {name: fields for name, fields in sorted(out.items()) if fields}


def _python_names(fields: Iterable[Field], wire_names: list[str]) -> list[str]:
    return [f.python_name for f in fields if f.wire_name in wire_names and not f.required]


def _key(t: ObjectType) -> list[str]:
    return [t.key] if t.key else []


def _payload(api: Api, response: FieldSet) -> list[str]:
    """The wire names of a reply's payload fields: an object, or a list of objects, other than a key reference
    (or, for a reply that is one type's fields, that type's key)."""

    def is_object(expr: TypeExpr) -> bool:
        if isinstance(expr, ArrayOf):
            expr = expr.items
        # a key reference ({"id": 42}) is an echo of the request, not the payload (the vendor's subscribeResponse
        # leaves its company out)
        return isinstance(expr, Named) and expr.name in api.types_by_name and not api.types_by_name[expr.name].key_ref

    if response.from_type is not None:
        key = api.types_by_name[response.from_type].key
        return [key] if key else []
    return [f.wire_name for f in response.fields if is_object(f.type)]


def aliases(api: Api) -> dict[str, str]:
    """Wire name -> Python attribute name, for every field whose names differ (checked unique by build.py)."""
    out: dict[str, str] = {}
    for f in _every_field(api):
        if f.python_name != f.wire_name:
            out[f.wire_name] = f.python_name
    return dict(sorted(out.items()))


def _every_field(api: Api) -> Iterable[Field]:
    yield from api.service.request_envelope
    yield from api.service.reply_envelope
    for t in api.types:
        yield from t.fields
    for c in api.commands:
        yield from c.request.fields
        yield from c.response.fields


__all__ = ["ERROR_CODE_ENUM", "aliases", "bundle", "class_path", "model_module", "present_fields", "type_schema"]
