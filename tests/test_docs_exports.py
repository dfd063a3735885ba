"""The machine-readable exports: generated/asyncapi.yaml (AsyncAPI 3.0) and generated/schema.json (JSON Schema).

Both must validate against their metaschemas, cover everything in the schema model, and describe the frames
the SDK really writes and reads: example frames of each kind are round-tripped through the SDK's codec and
checked against the AsyncAPI payload schemas on the way.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
from typing import Any

import fleetfreedom as ff
import jsonschema
import pytest
import yaml
from conftest import GENERATED, PROJECT
from fleetfreedom._events import ServerMessage
from fleetfreedom.commands import GetAssetRequest, MergeAssetRequest
from fleetfreedom.models import Asset
from referencing import Registry
from referencing.jsonschema import DRAFT7, DRAFT202012

from generator.ir.nodes import Api
from generator.pipeline import load_api

ASYNCAPI_META = PROJECT / "tests" / "fixtures" / "asyncapi" / "asyncapi-3.0.0.schema.json"
DOC_URI = "urn:test:asyncapi"
BUNDLE_URI = "urn:test:schema-bundle"


@functools.cache
def api() -> Api:
    return load_api()


@functools.cache
def asyncapi() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the document is large; libyaml reads it 10x faster
    document: dict[str, Any] = yaml.load((GENERATED / "asyncapi.yaml").read_text(encoding="utf-8"), Loader=loader)
    return document


@functools.cache
def bundle() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((GENERATED / "schema.json").read_text(encoding="utf-8"))
    return document


def format_checker() -> jsonschema.FormatChecker:
    """The standard checker plus date-time (jsonschema checks it only with an optional package installed)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        if isinstance(value, str):
            parsed = datetime.datetime.fromisoformat(value)
            return "T" in value.upper() and parsed.tzinfo is not None
        return True

    return checker


def asyncapi_errors(document: dict[str, Any]) -> list[jsonschema.ValidationError]:
    meta = json.loads(ASYNCAPI_META.read_text(encoding="utf-8"))
    return list(jsonschema.Draft7Validator(meta).iter_errors(document))


# --- AsyncAPI -----------------------------------------------------------------------------------------


def test_asyncapi_document_is_valid_asyncapi_3() -> None:
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    errors = asyncapi_errors(document)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])


def test_asyncapi_validation_catches_a_broken_document() -> None:
    """The metaschema check has teeth: an operation with an unknown action is rejected."""
    broken = copy.deepcopy(asyncapi())
    next(iter(broken["operations"].values()))["action"] = "publish"  # AsyncAPI 2 wording, invalid in 3.0
    assert asyncapi_errors(broken)


def test_asyncapi_covers_every_command_and_message() -> None:
    model, document = api(), asyncapi()
    channel = document["channels"]["socket"]
    assert channel["address"] == "/{ghostId}" and "ghostId" in channel["parameters"]
    operations = document["operations"]
    messages = document["components"]["messages"]
    assert document["components"]["correlationIds"]["reqId"]["location"] == "$message.payload#/reqId"
    for c in model.commands:
        op = operations[c.name]
        assert op["action"] == "send" and op["channel"] == {"$ref": "#/channels/socket"}
        assert op["messages"] == [{"$ref": f"#/channels/socket/messages/{c.name}"}]
        assert op["reply"]["messages"] == [{"$ref": f"#/channels/socket/messages/{c.reply_name}"}]
        for name in (c.name, c.reply_name):
            assert messages[name]["name"] == name
            assert messages[name]["correlationId"] == {"$ref": "#/components/correlationIds/reqId"}
            assert channel["messages"][name] == {"$ref": f"#/components/messages/{name}"}
        assert messages[c.name]["x-confirmed"] == c.confirmed
    receives = {op["messages"][0]["$ref"].rsplit("/", 1)[1] for op in operations.values() if op["action"] == "receive"}
    assert receives == {m.name for m in model.messages}
    framing = document["x-fleetfreedom-framing"]
    assert framing["grammar"] == model.service.frame_grammar and framing["separator"] == model.service.frame_separator
    schemas = document["components"]["schemas"]
    assert {t.name for t in model.types} | {e.name for e in model.enums} <= set(schemas)


def _payload_validator(message_name: str) -> jsonschema.protocols.Validator:
    """A validator for one AsyncAPI message's payload, resolving its $refs inside the whole document."""
    document = asyncapi()
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT7.create_resource(document))
    payload = document["components"]["messages"][message_name]["payload"]
    schema = {"$ref": f"{DOC_URI}{payload['$ref']}"}
    return jsonschema.Draft7Validator(schema, registry=registry, format_checker=format_checker())


def _check(frame: str) -> dict[str, Any]:
    """Split a frame the SDK wrote or reads, and validate its body against the AsyncAPI message of that name."""
    name, body = ff.split_frame(frame)
    data: dict[str, Any] = json.loads(body)
    errors = list(_payload_validator(name).iter_errors(data))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return data


def _dump(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return data


def test_round_trip_command_request() -> None:
    frame = ff.encode_frame(GetAssetRequest(asset=42, include_deleted=True), req_id=7)
    body = _check(frame)
    assert body == {"reqId": 7, "asset": {"id": 42}, "includeDeleted": True}
    again = ff.encode_frame(ff.build_request("getAsset", {k: v for k, v in body.items() if k != "reqId"}), 7)
    assert again == frame
    merge = ff.encode_frame(MergeAssetRequest(asset=Asset(company=42, name="Truck 13", kind="vehicle")), 8)
    _check(merge)


def test_round_trip_command_reply() -> None:
    body = {
        "reqId": 7,
        "errorCode": 0,
        "message": "",
        "asset": {"id": 42, "company": 3, "name": "Truck 13", "kind": "vehicle", "v": [1, 4, 2]},
    }
    frame = "getAssetResponse " + json.dumps(body)
    _check(frame)
    reply = ff.decode_frame(frame)
    assert type(reply).__name__ == "GetAssetResponse"
    assert _dump(reply) == body
    _check("getAssetResponse " + json.dumps(_dump(reply)))


@pytest.mark.parametrize(
    ("frame", "event_class"),
    [
        (
            'assetGeneralMerged {"id":7,"company":42,"name":"Truck 13","kind":"vehicle",'
            '"since":"2024-01-31T13:45:00Z","v":[3]}',
            "AssetGeneralMerged",
        ),
        ('assetDeleted {"id":7,"company":42}', "AssetDeleted"),
        (
            'broadcast {"kind":"maintenance","message":"Upgrade at noon","starting":"2024-01-31T12:00:00Z",'
            '"reload":false}',
            "Broadcast",
        ),
        (
            'connectionResponse {"errorCode":0,"message":"","serverTime":"2024-01-31T13:45:00Z",'
            '"ghostId":"3f2b6c1e-8d4a-4b7e-9c2f-5a1d0e7b9c34"}',
            "ConnectionResponse",
        ),
    ],
)
def test_round_trip_pushed_message(frame: str, event_class: str) -> None:
    """Merged, Deleted, broadcast and connectionResponse: validate, decode with the SDK, encode back, validate."""
    name, _ = ff.split_frame(frame)
    body = _check(frame)
    event = ff.decode_frame(frame)
    assert type(event).__name__ == event_class, event
    assert isinstance(event, ServerMessage), event
    data = _dump(event.data)
    assert data == body
    _check(f"{name} {json.dumps(data)}")


def test_payload_schemas_reject_wrong_bodies() -> None:
    """The payload schemas are not empty shells: wrong types and missing required fields fail."""
    assert list(_payload_validator("assetGeneralMerged").iter_errors({"id": "seven", "v": [3]}))
    assert list(_payload_validator("getAsset").iter_errors({"reqId": 1}))  # asset is required
    assert list(_payload_validator("getAssetResponse").iter_errors({"reqId": 1, "errorCode": "zero"}))
    assert list(_payload_validator("assetGeneralMerged").iter_errors({"since": "yesterday"}))  # date-time


# --- JSON Schema bundle --------------------------------------------------------------------------------


def test_schema_bundle_is_valid_draft_2020_12() -> None:
    document = bundle()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


def test_schema_bundle_covers_every_type_and_enum() -> None:
    model, defs = api(), bundle()["$defs"]
    assert set(defs) == {t.name for t in model.types} | {e.name for e in model.enums}
    for t in model.types:
        d = defs[t.name]
        assert d.get("description") == (t.description or None)
        assert set(d["properties"]) == {f.wire_name for f in t.fields}
        assert d.get("deprecated", False) == t.deprecated
        if t.parts:
            assert d["x-parts"] == list(t.parts)
        if t.key:
            assert d["x-key"] == t.key
    for e in model.enums:
        assert defs[e.name]["enum"] == [m.value for m in e.members]


def test_schema_bundle_uses_standard_formats() -> None:
    general = bundle()["$defs"]["AssetGeneral"]["properties"]
    assert general["since"]["format"] == "date-time"
    assert general["id"]["minimum"] == 0 and general["id"]["maximum"] == 2**64 - 1
    assert general["id"]["x-format"] == "ulong"


def test_schema_bundle_validates_objects() -> None:
    document = bundle()
    registry: Registry[Any] = Registry().with_resource(BUNDLE_URI, DRAFT202012.create_resource(document))

    def errors(type_name: str, instance: Any) -> list[jsonschema.ValidationError]:
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"{BUNDLE_URI}#/$defs/{type_name}"}, registry=registry, format_checker=format_checker()
        )
        return list(validator.iter_errors(instance))

    good = {"id": 42, "company": 3, "kind": "vehicle", "name": "Truck 13", "v": [1, 2, 3]}
    assert not errors("Asset", good)
    assert errors("Asset", {**good, "kind": "hovercraft"})
    assert errors("Asset", {**good, "id": -1})
    assert errors("AssetGeneral", {"since": "not a date"})
