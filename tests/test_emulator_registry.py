"""Every command of the schema gets a well-formed reply from the emulator, whatever the registry holds.

The test walks ``fleetfreedom._registry.COMMANDS`` and sends each command three times (an empty body, the required
fields only, and every field) with bodies made from the request model's JSON Schema, then checks the reply's name,
reqId and errorCode, and that ``fleetfreedom.decode_frame`` types it as the command's response class.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from emulator_wire import TIMEOUT, Wire
from fleetfreedom import decode_frame
from fleetfreedom._registry import COMMANDS, ERROR_CODES
from fleetfreedom.testing import Emulator

# Codes that would mean the emulator itself failed, or does not know a command of its own schema.
BROKEN = {ERROR_CODES["unknown"], ERROR_CODES["service"], ERROR_CODES["unknownCommand"]}
SKIP = {"logout"}  # ends the session; covered by its own test


# Objects the walk can name: seeded ones, then whatever its merges created (request field name -> key).
SEEDED_IDS: dict[str, Any] = {
    "company": 42,
    "parent": 42,
    "asset": 101,
    "place": 301,
    "contact": 500,
    "user": "viewer@acme.example",
}


def sample(
    schema: dict[str, Any],
    defs: dict[str, Any],
    ids: dict[str, Any],
    *,
    every_field: bool,
    name: str = "",
    depth: int = 0,
) -> Any:
    """A small value that fits ``schema``: key references name known objects, other ids are 0 (create)."""
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        return sample(target, defs, ids, every_field=every_field, name=name, depth=depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return sample(options[0], defs, ids, every_field=every_field, name=name, depth=depth) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        properties: dict[str, Any] = schema.get("properties", {})
        if name in ids and len(properties) == 1:  # a key reference such as {"id": ...}
            return {next(iter(properties)): ids[name]}
        wanted = properties if every_field else {k: properties[k] for k in schema.get("required", [])}
        out = {k: sample(v, defs, ids, every_field=every_field, name=k, depth=depth + 1) for k, v in wanted.items()}
        return {k: v for k, v in out.items() if v is not None}
    if kind == "array":
        return []
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2024-05-01T12:00:00Z"
        if fmt == "email" or name in ("login", "username"):
            return "someone@acme.example"
        return "sample"
    if kind == "integer":
        return 42 if name in ("company", "parent") else 0
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return False
    return None


def body_for(command: str, ids: dict[str, Any], *, every_field: bool) -> dict[str, Any]:
    schema = COMMANDS[command].request_class.model_json_schema(by_alias=True)
    value = sample(schema, schema.get("$defs", {}), ids, every_field=every_field)
    assert isinstance(value, dict)
    if command == "login":  # a real login keeps the rest of the walk logged in
        value.update(username="demo@acme.example", password="demo-pass-42")
    if command == "updateOwnPassword":
        value.update(current="wrong", password="whatever-1")
    return value


async def _walk(url: str) -> dict[str, set[int]]:
    wire = await Wire.open(url)
    await wire.expect("connectionResponse")
    await wire.login()
    seen: dict[str, set[int]] = {}
    ids = dict(SEEDED_IDS)
    for _round in range(2):  # the second round sees what the first one created
        for name, spec in COMMANDS.items():
            if name in SKIP:
                continue
            for body in ({}, body_for(name, ids, every_field=False), body_for(name, ids, every_field=True)):
                wire.req_id += 1
                req_id = wire.req_id
                await wire.ws.send(name + " " + json.dumps({"reqId": req_id, **body}))
                frame = await asyncio.wait_for(wire.ws.recv(), TIMEOUT)
                assert isinstance(frame, str)
                while frame.split(" ", 1)[0] != spec.reply_name:  # sync messages of our own changes
                    assert not frame.endswith("Response"), frame[:200]
                    frame = await asyncio.wait_for(wire.ws.recv(), TIMEOUT)
                    assert isinstance(frame, str)
                reply = json.loads(frame.split(" ", 1)[1])
                assert reply.get("reqId") == req_id, (name, frame[:200])
                assert isinstance(reply.get("errorCode"), int) and "message" in reply, (name, frame[:200])
                assert reply["errorCode"] not in BROKEN, (name, body, reply["message"])
                typed = decode_frame(frame)
                assert isinstance(typed, spec.response_class), (name, frame[:300], typed)
                seen.setdefault(name, set()).add(reply["errorCode"])
                field = spec.request_fields[0] if spec.request_fields else ""
                made = reply.get(spec.response_fields[0]) if spec.verb == "merge" and spec.response_fields else None
                if reply["errorCode"] == 0 and isinstance(made, dict) and field not in ("company", "parent"):
                    ids.setdefault(field, next(iter(made.values())))
    await wire.close()
    return seen


def test_every_command_gets_a_well_formed_reply(fleetfreedom_emulator: Emulator) -> None:
    seen = asyncio.run(asyncio.wait_for(_walk(fleetfreedom_emulator.url), 300))
    assert set(seen) == set(COMMANDS) - SKIP
    # the walk reached real work, not only validation errors: most commands succeeded at least once
    succeeded = [name for name, codes in seen.items() if 0 in codes]
    assert len(succeeded) > len(seen) * 0.85, sorted(set(seen) - set(succeeded))
