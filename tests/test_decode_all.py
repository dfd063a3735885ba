"""Every reply and every pushed message in the registry decodes into its typed class.

One example frame per command reply and per server message is built from the schema's IR: each field gets a
small valid value of its type (formats included, nested object types filled in, enums take a real member), so a
wrong alias, a wrong format validator or a broken lazy import shows up as an ``UnknownFrame`` or an extra key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import fleetfreedom
import pytest
from fleetfreedom import _registry
from fleetfreedom._events import ServerMessage, UnknownFrame
from fleetfreedom.events import AssetGeneralMerged
from pydantic import BaseModel

from generator.ir.nodes import AnyValue, Api, ArrayOf, Field, MapOf, Named, Primitive, TypeExpr, UnionOf
from generator.pipeline import load_api

# One valid example per wire format (the catalogue's primitives).
STRING_EXAMPLES = {
    None: "text",
    "datetime": "2024-01-31T13:45:00.000Z",
    "timespan": "1.02:03:04",
    "codified": "truck-19",
    "colour": "#336699",
    "email": "driver@example.com",
    "guid": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "expression": "label:north",
    "ipv4": "192.0.2.7",
    "ipendpoint": "192.0.2.7:8080",
    "polyline": "_p~iF~ps|U_ulLnnqC",
    "url": "https://example.com/logo.png",
}


class Examples:
    """Builds a JSON value for any IR type; object types are filled with every field, cycles cut."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def value(self, expr: TypeExpr, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(expr, Primitive):
            if expr.json_type == "boolean":
                return True
            if expr.json_type == "integer":
                return 7
            if expr.json_type == "number":
                return 2.5
            return STRING_EXAMPLES.get(expr.format, "text")
        if isinstance(expr, ArrayOf):
            return [self.value(expr.items, stack)]
        if isinstance(expr, MapOf):
            key = self.value(expr.keys, stack)
            return {str(key): self.value(expr.values, stack)}
        if isinstance(expr, Named):
            return self.named(expr.name, stack)
        if isinstance(expr, UnionOf):  # any one shape will do; the last is the least like the others' defaults
            return self.value(expr.options[-1], stack)
        assert isinstance(expr, AnyValue)
        return {"anything": [1, "two"]}

    def named(self, name: str, stack: tuple[str, ...]) -> Any:
        if name in self.api.enums_by_name:
            return self.api.enums_by_name[name].members[0].value
        if name == "ErrorCode":
            return 0
        return self.fields(self.api.types_by_name[name].fields, (*stack, name))

    def fields(self, fields: Iterable[Field], stack: tuple[str, ...] = ()) -> dict[str, Any]:
        out = {}
        for f in fields:
            if _refers_to(f.type, stack) and not f.required:
                continue  # a type that contains itself: leave the optional field out
            out[f.wire_name] = self.value(f.type, stack)
        return out


def _refers_to(expr: TypeExpr, names: tuple[str, ...]) -> bool:
    if isinstance(expr, Named):
        return expr.name in names
    if isinstance(expr, ArrayOf):
        return _refers_to(expr.items, names)
    if isinstance(expr, MapOf):
        return _refers_to(expr.values, names)
    return False


def assert_fully_typed(model: BaseModel, body: dict[str, Any], where: str) -> None:
    """Every key of ``body`` landed on a declared field: nothing in ``model_extra`` and no value left out for not
    matching the schema (``wire_mismatches``) at any depth, and the model writes back exactly the keys it was given."""
    for path, extra in _extras(model, where):
        assert not extra, f"{path}: keys not understood: {sorted(extra)}"
    assert set(model.model_dump(by_alias=True, exclude_unset=True)) == set(body), where


def _extras(value: Any, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    if isinstance(value, BaseModel):
        yield where, value.model_extra or {}
        yield where, getattr(value, "wire_mismatches", {})
        for name in type(value).model_fields:
            yield from _extras(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _extras(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _extras(item, f"{where}[{key!r}]")


@pytest.fixture(scope="module")
def api() -> Api:
    return load_api()


@pytest.fixture(scope="module")
def examples(api: Api) -> Examples:
    return Examples(api)


def test_registry_lists_every_command_and_message(api: Api) -> None:
    assert set(_registry.COMMANDS) == set(api.commands_by_name)
    assert set(_registry.MESSAGES) == set(api.messages_by_name)


def test_every_reply_decodes_to_its_response_class(api: Api, examples: Examples) -> None:
    failures = []
    for name, spec in _registry.COMMANDS.items():
        command = api.commands_by_name[name]
        fields = command.response.fields
        if command.response.from_type:
            fields = api.types_by_name[command.response.from_type].fields
        body = {"reqId": 12, "errorCode": 0, "message": "ok", **examples.fields(fields)}
        decoded = fleetfreedom.decode_frame(f"{spec.reply_name} {json.dumps(body)}")
        if not isinstance(decoded, spec.response_class):
            failures.append(f"{spec.reply_name}: {getattr(decoded, 'reason', type(decoded).__name__)}")
            continue
        assert decoded.req_id == 12
        assert_fully_typed(decoded, body, spec.reply_name)
    assert not failures, "\n".join(failures)
    assert len(_registry.COMMANDS) > 300


def test_every_server_message_decodes_to_its_event_class(api: Api, examples: Examples) -> None:
    failures = []
    for name, spec in _registry.MESSAGES.items():
        message = api.messages_by_name[name]
        body = examples.fields(api.types_by_name[message.payload].fields)
        if message.envelope:
            body |= {"errorCode": 0, "message": "welcome"}
        decoded = fleetfreedom.decode_frame(f"{name} {json.dumps(body)}")
        if isinstance(decoded, UnknownFrame) or not isinstance(decoded, spec.event_class):
            failures.append(f"{name}: {getattr(decoded, 'reason', type(decoded).__name__)}")
            continue
        assert isinstance(decoded, ServerMessage) and isinstance(decoded.data, spec.payload_class)
        assert_fully_typed(decoded.data, body, name)
    assert not failures, "\n".join(failures)
    assert len(_registry.MESSAGES) > 80


def test_a_wrong_value_is_reported_not_raised(api: Api, examples: Examples) -> None:
    """The examples are strict enough to matter: a bad value is noticed, left out and kept aside, while the frame
    is still delivered typed with every other field (forgiving receipt)."""
    body = examples.fields(api.types_by_name["AssetGeneral"].fields) | {"id": "not a number"}
    decoded = fleetfreedom.decode_frame(f"assetGeneralMerged {json.dumps(body)}")
    assert isinstance(decoded, AssetGeneralMerged) and decoded.data.id is None
    assert decoded.data.wire_mismatches == {"id": "not a number"}
    assert decoded.data.name == body["name"] and "id" not in decoded.data.model_fields_set
