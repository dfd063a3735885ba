"""The whole API as one AsyncAPI 3.0 document.

The socket is one channel (``/{ghostId}``); every command is a ``send`` operation whose ``reply`` is its
``<command>Response`` message, correlated by ``$message.payload#/reqId``; every sync and server-initiated message
is a ``receive`` operation. AsyncAPI has no word for our text framing (``name {JSON}``), so it is recorded in
``x-fleetfreedom-framing`` and every message's ``name`` is its frame name.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..ir import naming
from ..ir.build import REPLY_ENVELOPE_TYPE
from ..ir.nodes import Api, Command, Field, Message, is_confirmed
from ..ir.queries import request_fields, response_fields
from .jsonschema import definitions, object_schema

VERSION = "3.0.0"
CHANNEL = "socket"
SCHEMAS = "#/components/schemas/"
REPLY_SUFFIX = "Response"


class ExportError(Exception):
    """Two things the document must keep apart share a name (a generator or schema bug)."""


def _server(url: str, description: str) -> dict[str, Any]:
    parts = urlsplit(url.replace("{ghostId}", "ghostId"))
    return {"host": parts.netloc, "protocol": parts.scheme, "description": description}


def _channel_address(api: Api) -> str:
    path = urlsplit(api.service.default_url.replace("{ghostId}", "ghostId")).path
    return path.replace("ghostId", "{ghostId}")


def _evidence(evidence: tuple[str, ...]) -> dict[str, Any]:
    return {"x-evidence": list(evidence), "x-confirmed": is_confirmed(evidence)}


def _ref(path: str) -> dict[str, str]:
    return {"$ref": path}


class _Document:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.schemas: dict[str, Any] = definitions(api, SCHEMAS)
        self.messages: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}
        self.section_titles = {s.id: s.title for s in api.sections}

    def add_schema(self, name: str, schema: dict[str, Any]) -> None:
        if name in self.schemas:
            raise ExportError(f"schema name {name} is used twice")
        self.schemas[name] = schema

    def add_message(self, key: str, message: dict[str, Any]) -> None:
        if key in self.messages:
            raise ExportError(f"message name {key} is used twice")
        self.messages[key] = message

    def add_operation(self, key: str, operation: dict[str, Any]) -> None:
        if key in self.operations:
            raise ExportError(f"operation name {key} is used twice")
        self.operations[key] = operation

    def envelope(self) -> None:
        reply = object_schema(self.api.service.reply_envelope, SCHEMAS)
        reply["description"] = "The fields every reply carries: reqId, errorCode, message, errorDetails."
        self.add_schema(REPLY_ENVELOPE_TYPE, reply)

    def command(self, c: Command) -> None:
        api = self.api
        request = object_schema((*api.service.request_envelope, *_fields(api, c, "request")), SCHEMAS)
        request["description"] = f"Body of the {c.name} command."
        response = {
            "allOf": [_ref(SCHEMAS + REPLY_ENVELOPE_TYPE), object_schema(_fields(api, c, "response"), SCHEMAS)],
            "description": f"Body of the reply to {c.name}.",
        }
        self.add_schema(c.request_class, request)
        self.add_schema(c.response_class, response)
        common = {"correlationId": _ref("#/components/correlationIds/reqId"), **_deprecation(c.deprecated)}
        title = self.section_titles[c.section]
        self.add_message(
            c.name,
            {
                "name": c.name,
                "title": f"{c.name} request",
                "summary": c.description,
                "payload": _ref(SCHEMAS + c.request_class),
                **common,
                **_evidence(c.evidence),
                "x-python-method": f"client.{c.resource}.{c.method}",
            },
        )
        self.add_message(
            c.reply_name,
            {
                "name": c.reply_name,
                "title": f"{c.name} reply",
                "summary": f"Reply to {c.name}; errorCode says whether it succeeded.",
                "payload": _ref(SCHEMAS + c.response_class),
                **common,
            },
        )
        operation: dict[str, Any] = {
            "action": "send",
            "channel": _ref(f"#/channels/{CHANNEL}"),
            "title": c.name,
            "summary": c.description,
            "tags": [{"name": title}],
            "messages": [_ref(f"#/channels/{CHANNEL}/messages/{c.name}")],
            "reply": {
                "channel": _ref(f"#/channels/{CHANNEL}"),
                "messages": [_ref(f"#/channels/{CHANNEL}/messages/{c.reply_name}")],
            },
            "x-errors": list(c.errors),
            "x-emits": list(c.emits),
        }
        if c.deprecated:
            operation["x-deprecated"] = True
        if c.replaced_by:
            operation["x-replaced-by"] = c.replaced_by
        self.add_operation(c.name, operation)

    def pushed(self, m: Message) -> None:
        if m.envelope:
            payload: dict[str, Any] = {
                "allOf": [_ref(SCHEMAS + REPLY_ENVELOPE_TYPE), _ref(SCHEMAS + m.payload)],
                "description": f"Body of {m.name}.",
            }
            self.add_schema(m.payload_class, payload)
            payload = _ref(SCHEMAS + m.payload_class)
        else:
            payload = _ref(SCHEMAS + m.payload)
        message: dict[str, Any] = {
            "name": m.name,
            "title": m.name,
            "summary": m.description,
            "payload": payload,
            **_deprecation(m.deprecated),
            **_evidence(m.evidence),
            "x-kind": m.kind,
            "x-subscriptions": list(m.subscriptions),
        }
        if m.replaced_by:
            message["x-replaced-by"] = m.replaced_by
        self.add_message(m.name, message)
        self.add_operation(
            "receive" + naming.pascal_case(m.name),
            {
                "action": "receive",
                "channel": _ref(f"#/channels/{CHANNEL}"),
                "title": m.name,
                "summary": m.description,
                "messages": [_ref(f"#/channels/{CHANNEL}/messages/{m.name}")],
            },
        )


def _deprecation(deprecated: bool) -> dict[str, Any]:
    return {"deprecated": True} if deprecated else {}


def _fields(api: Api, c: Command, which: str) -> tuple[Field, ...]:
    return request_fields(api, c) if which == "request" else response_fields(api, c)


def asyncapi(api: Api) -> dict[str, Any]:
    service = api.service
    doc = _Document(api)
    doc.envelope()
    for c in api.commands:
        doc.command(c)
    for m in api.messages:
        doc.pushed(m)
    servers = {
        ("main" if i == 0 else f"alternative{i}"): _server(e.url, e.description)
        for i, e in enumerate(sorted(service.endpoints, key=lambda e: not e.default))
    }
    return {
        "asyncapi": VERSION,
        "id": f"urn:{service.package}:api",
        "info": {
            "title": service.name,
            "version": service.version,
            "description": service.description,
            "tags": [{"name": s.title, "description": s.description} for s in api.sections],
        },
        "defaultContentType": "application/json",
        "servers": servers,
        "channels": {
            CHANNEL: {
                "address": _channel_address(api),
                "title": "The WebSocket connection",
                "description": service.frame_description,
                "servers": [_ref(f"#/servers/{name}") for name in servers],
                "parameters": {
                    "ghostId": {
                        "description": (
                            "The session's ghost id (a guid): a new one starts a fresh session, a saved one resumes it."
                        )
                    }
                },
                "messages": {key: _ref(f"#/components/messages/{key}") for key in doc.messages},
            }
        },
        "operations": doc.operations,
        "components": {
            "schemas": doc.schemas,
            "messages": doc.messages,
            "correlationIds": {
                "reqId": {
                    "description": "The number the client put in the request; its reply carries the same reqId.",
                    "location": "$message.payload#/reqId",
                }
            },
        },
        "x-fleetfreedom-framing": {
            "grammar": service.frame_grammar,
            "separator": service.frame_separator,
            "description": service.frame_description,
            "replyName": f"<command>{REPLY_SUFFIX}",
            "nameSource": "message.name",
        },
    }
