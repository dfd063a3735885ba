"""The outside witness: frames shaped the way the vendor's own clients read and write them.

Every frame here is built from ``../shared/reference/vendor-wire/ts-dev.json`` (the keys and value kinds of the
vendor's TypeScript client) and the catalogue's enum values, never from our schema, so the client and the emulator
(both generated from the schema) cannot agree with each other by construction:

- every vendor object class decodes strictly as its ``<type>Merged`` message (or, without one, as its model);
- every vendor reply class decodes strictly as ``<command>Response`` into the typed response class;
- every vendor request body is accepted by ``fleetfreedom.build_request`` and encodes without a complaint.

Keys where the schema deliberately differs are left out of the frames: the ones ``python -m generator wire`` finds
explained by an ``x-wire`` note (vendor bugs, generic classes); the ParamContactMerge copies are sent empty.
``test_login_with_vendor_self_user`` plays a hand-written server answering login with the vendor's SelfUser shape.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import fleetfreedom
import pytest
import websockets
from fleetfreedom import _registry
from fleetfreedom._events import UnknownFrame
from fleetfreedom._resource_base import absent_fields
from pydantic import BaseModel, ValidationError

from generator.ir.nodes import Api
from generator.maintainer.wire_compare import (
    ENVELOPE_KEYS,
    MESSAGE_CLASSES,
    Reference,
    WireReport,
    _command_classes,
    _split_top,
    compare,
    load_reference,
)
from generator.pipeline import DEFAULT_CATALOGUE, load_api

WIRE = DEFAULT_CATALOGUE / "vendor-wire" / "ts-dev.json"
pytestmark = pytest.mark.skipif(
    not WIRE.is_file(), reason=f"vendor wire facts not found at {WIRE}: the outside-witness tests need them"
)

# One plausible value per vendor string format (the vendor-wire grammar's `string:<fmt>`).
STRINGS = {
    "url": "https://example.com/a",
    "ipv4": "192.0.2.7",
    "codified": "north-yard",
    "email": "driver@example.com",
    "polyline": "_p~iF~ps|U_ulLnnqC",
    "guid": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "colour": "#336699",
}


class VendorFrames:
    """JSON bodies of vendor classes, each key with a value of the kind the vendor's client reads."""

    _MISSING = object()

    def __init__(self, ref: Reference, enums: dict[str, Any], skip: set[tuple[str, str]]) -> None:
        self.ref, self.enums, self.skip = ref, enums, skip

    def body(self, cls: str, stack: tuple[str, ...] = ()) -> dict[str, Any]:
        if not self.ref.has(cls) or cls in stack or self.ref.copied_by_mistake(cls):
            return {}
        out: dict[str, Any] = {}
        for name, key in self.ref.keys(cls).items():
            if name in ENVELOPE_KEYS or (cls, name) in self.skip:
                continue
            value = self.value(key.kind, (*stack, cls))
            if value is not self._MISSING:
                out[name] = value
        return out

    def value(self, kind: str, stack: tuple[str, ...]) -> Any:
        head, _, rest = kind.partition(":")
        if kind.startswith("array<"):
            item = self.value(kind[6:-1], stack)
            return [] if item is self._MISSING else [item]
        if kind.startswith("map<"):
            key_kind, value_kind = _split_top(kind[4:-1], ",")
            item = self.value(value_kind, stack)
            return {} if item is self._MISSING else {"7" if key_kind.startswith("int") else "north": item}
        if kind.startswith("union("):
            return self.value(_split_top(kind[6:-1], "|")[0], stack)
        if head == "object":
            return self.body(rest, stack) if rest not in stack else self._MISSING
        if head == "enum":
            values = self.enums.get(rest, {}).get("values", {})
            return next(iter(values.values()), self._MISSING)  # an enum the catalogue does not list: no value known
        simple: dict[str, Any] = {
            "int": 7,
            "number": 2.5,
            "boolean": True,
            "datetime": "2024-01-31T13:45:00.000Z",
            "timespan": "1.02:03:04",
            "phone": 15551234567,
            "weekdays": "0111110",
        }
        if head in simple:
            return simple[head]
        if head == "string":
            return STRINGS.get(rest, "text")
        return self._MISSING  # any / unknown(...): the vendor says nothing about the shape


@pytest.fixture(scope="module")
def api() -> Api:
    return load_api()


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference(DEFAULT_CATALOGUE)


@pytest.fixture(scope="module")
def report(api: Api, ref: Reference) -> WireReport:
    return compare(api, ref)


@pytest.fixture(scope="module")
def frames(ref: Reference, report: WireReport) -> VendorFrames:
    # a vendor class used for several schema types (the generic ParamId, RespIdCompany) keeps a key that agrees
    # with one of them
    explained = {(d.vendor_class, d.key) for d in report.differences if d.explanation is not None} - report.agreed
    enums = json.loads((DEFAULT_CATALOGUE / "enums.json").read_text(encoding="utf-8"))
    return VendorFrames(ref, enums, explained)


def _strict(cls: type[BaseModel], body: dict[str, Any]) -> str | None:
    try:
        cls.model_validate(body)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)[:3])
    return None


def _merged_message(cls: str) -> str | None:
    name = cls[0].lower() + cls[1:] + "Merged"
    return name if name in _registry.MESSAGES else None


def test_every_vendor_object_decodes_as_its_merged_message(ref: Reference, frames: VendorFrames) -> None:
    failures, decoded_count = [], 0
    for cls in sorted(ref.objects):
        body = frames.body(cls)
        message = _merged_message(cls)
        if message is not None:
            spec = _registry.MESSAGES[message]
            problem = _strict(spec.payload_class, body)
            decoded = fleetfreedom.decode_frame(f"{message} {json.dumps(body)}")
            if problem or not isinstance(decoded, spec.event_class):
                failures.append(f"{message}: {problem or getattr(decoded, 'reason', type(decoded).__name__)}")
            decoded_count += 1
        elif cls in _registry.TYPES:
            problem = _strict(_registry.TYPES[cls].cls, body)
            if problem:
                failures.append(f"{cls}: {problem}")
            decoded_count += 1
    assert not failures, "\n".join(failures)
    assert decoded_count >= 85  # of the 117 vendor object classes; the rest have no schema type (see `wire`)


def test_session_messages_decode_with_the_vendor_self_classes(frames: VendorFrames) -> None:
    for message, cls in MESSAGE_CLASSES.items():
        body = frames.body(cls)
        spec = _registry.MESSAGES[message]
        if message == "connectionResponse":
            body = {**body, "errorCode": 0, "message": "resumed"}
        assert _strict(spec.payload_class, body) is None, message
        decoded = fleetfreedom.decode_frame(f"{message} {json.dumps(body)}")
        assert isinstance(decoded, spec.event_class), (message, decoded)
    user = frames.body("SelfUser")
    assert isinstance(user["contact"], dict) and isinstance(user["groups"][0], dict)  # the witness is the vendor's


# Frames the schema refuses on purpose, each explained by an x-wire note (the test fails when one starts to pass,
# so the list cannot go stale). Keyed by the frame's name.
KNOWN_DEVIATIONS = {
    "mergeProviderResponse": "the TypeScript client reads merge replies with a generic class (numeric id); "
    "provider ids are strings (ProviderIdCompany.id)",
    "multiMergeProviderResponse": "as mergeProviderResponse",
    "subscribe": "the TypeScript request class declares no company; the C# client sends it (subscribe.company)",
    "unsubscribe": "as subscribe",
    "getDashcam": "the TypeScript client names a dashcam with its generic ParamId; dashcams are keyed by guid "
    "(GuidKey)",
    "multiRemoveMachine": "the TypeScript client names machines with its generic ParamLogin; their key is `key` "
    "(MachineKey)",
}


def _unexpected(failures: dict[str, str]) -> list[str]:
    return [f"{name}: {problem}" for name, problem in failures.items() if name not in KNOWN_DEVIATIONS]


def test_every_vendor_reply_decodes_to_its_response_class(ref: Reference, frames: VendorFrames) -> None:
    failures: dict[str, str] = {}
    count = 0
    for name, spec in _registry.COMMANDS.items():
        _, reply_cls = _command_classes(name, ref)
        if reply_cls is None:
            continue
        count += 1
        body = {"reqId": 12, "errorCode": 0, "message": "", **frames.body(reply_cls)}
        problem = _strict(spec.response_class, body)
        decoded = fleetfreedom.decode_frame(f"{spec.reply_name} {json.dumps(body)}")
        if problem or not isinstance(decoded, spec.response_class):
            failures[spec.reply_name] = f"({reply_cls}) {problem or type(decoded).__name__}"
        elif absent := [name for name in absent_fields(decoded) if name in body]:  # sent, so typed without None
            failures[spec.reply_name] = f"({reply_cls}) payload sent, yet absent after decoding: {absent}"
    assert not _unexpected(failures), "\n".join(_unexpected(failures))
    assert set(failures) == {name for name in KNOWN_DEVIATIONS if name.endswith("Response")}
    assert count >= 240


def test_every_vendor_request_body_is_accepted(ref: Reference, frames: VendorFrames) -> None:
    failures: dict[str, str] = {}
    count = 0
    for name in _registry.COMMANDS:
        request_cls, _ = _command_classes(name, ref)
        if request_cls is None:
            continue
        count += 1
        body = frames.body(request_cls)
        try:
            fleetfreedom.encode_frame(fleetfreedom.build_request(name, body), 1)
        except fleetfreedom.RequestError as exc:
            failures[name] = f"({request_cls}) {exc}"
    assert not _unexpected(failures), "\n".join(_unexpected(failures))
    assert set(failures) == {name for name in KNOWN_DEVIATIONS if not name.endswith("Response")}
    assert count >= 240


def test_alternate_message_spelling_decodes_as_the_same_event(frames: VendorFrames) -> None:
    body = json.dumps(frames.body("BillableHostingRule"))
    first = fleetfreedom.decode_frame(f"hostingRuleMerged {body}")
    second = fleetfreedom.decode_frame(f"billingHostingMerged {body}")
    assert not isinstance(second, UnknownFrame)
    assert type(first) is type(second)
    assert "billingHostingMerged" in _registry.MESSAGES
    assert list(_registry.MESSAGES).count("hostingRuleMerged") == 1  # iteration sees each message once


def test_login_with_vendor_self_user(frames: VendorFrames) -> None:
    """A hand-written server answering as the real one does in the vendor's clients' eyes: the session user is a
    SelfUser (contact and groups embedded whole) in connectionResponse and in loginResponse."""
    ghost = "0f8fad5b-d9cb-469f-a165-70867728950e"
    details = {**frames.body("RespSelfGet"), "ghostId": ghost, "errorCode": 0, "message": ""}

    async def handler(socket: Any) -> None:
        await socket.send("connectionResponse " + json.dumps({**details, "errorCode": 0, "message": "resumed"}))
        async for frame in socket:
            name, _, raw = str(frame).partition(" ")
            req_id = json.loads(raw or "{}").get("reqId")
            reply = dict(details) if name == "login" else {"errorCode": 0, "message": ""}
            await socket.send(f"{name}Response " + json.dumps({**reply, "reqId": req_id}))

    async def scenario() -> None:
        async with websockets.serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            async with fleetfreedom.AsyncClient(url=f"ws://127.0.0.1:{port}", reconnect=False) as client:
                assert client.session is not None and client.session.ghost_id == ghost  # connectionResponse kept
                session = await asyncio.wait_for(client.login("driver@example.com", "secret"), 10)
                assert client.session.ghost_id == ghost
                user = session.user
                assert user is not None and user.contact is not None and user.groups
                assert user.contact.name == "text" and user.groups[0].id == 7

    asyncio.run(scenario())


def test_alternate_key_spellings_land_on_the_typed_field() -> None:
    session = _registry.TYPES["Session"].cls.model_validate({"handle": "h1", "expiry": "2024-01-31T13:45:00Z"})
    assert session.expires is not None and session.expires.year == 2024 and not session.model_extra
    company = _registry.TYPES["Company"].cls.model_validate({"id": 7, "employees": {"drivers": [1, 2]}})
    assert company.directory == {"drivers": [1, 2]}
    both = _registry.TYPES["Company"].cls.model_validate({"id": 7, "directory": {"a": [1]}, "employees": {"b": [2]}})
    assert both.directory == {"a": [1]}  # the wire name wins
    assert company.to_wire() == {"id": 7, "directory": {"drivers": [1, 2]}}  # sent under the wire name only


def test_the_write_only_user_password_is_masked() -> None:
    request = fleetfreedom.build_request("mergeUser", {"user": {"login": "a@example.com", "password": "hunter2"}})
    assert "hunter2" not in repr(request) and "hunter2" not in str(request)
    assert "hunter2" in fleetfreedom.encode_frame(request, 1)  # sent, never shown
