"""``fleetfreedom/_registry.json``: the facts the runtime needs about every command, message, type, subscription
and error code (read by the hand-written ``_registry.py``). Data, one entry per line, so diffs stay readable."""

from __future__ import annotations

import json
from typing import Any

from ..ir import queries
from ..ir.nodes import Api


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def registry_data(api: Api) -> dict[str, Any]:
    package = api.service.package

    def command_path(section: str, cls: str) -> str:
        return f"{package}.commands.{api.sections_by_id[section].module}:{cls}"

    commands = [
        {
            "name": c.name,
            "section": c.section,
            "verb": c.verb,
            "object": c.object,
            "resource": c.resource,
            "method": c.method,
            "request_path": command_path(c.section, c.request_class),
            "response_path": command_path(c.section, c.response_class),
            "filter": c.filter,
            **({"filter_field": c.filter_field} if c.filter_field else {}),
            "errors": list(c.errors),
            "emits": list(c.emits),
            "request_fields": [f.wire_name for f in queries.fields_of(api, c.request.fields, c.request.from_type)],
            "response_fields": [f.wire_name for f in queries.fields_of(api, c.response.fields, c.response.from_type)],
            "confirmed": c.confirmed,
        }
        for c in api.commands
    ]
    messages = [
        {
            "name": m.name,
            "kind": m.kind,
            "payload": m.payload,
            "payload_path": f"{package}.{queries.model_module(api, m.payload)}:{m.payload_class}",
            "event_path": f"{package}.events:{m.event_class}",
            "subscriptions": list(m.subscriptions),
            **({"aliases": list(m.aliases)} if m.aliases else {}),
        }
        for m in api.messages
    ]
    types = [
        {
            "name": t.name,
            "path": queries.class_path(api, package, t.name),
            "key": t.key,
            "owner": t.owner,
            "part_of": t.part_of,
            "version_slot": t.version_slot,
            "parts": list(t.parts),
            "fields": [f.wire_name for f in t.fields],
            **({"aliases": aliases} if (aliases := queries.wire_aliases(t)) else {}),
        }
        for t in api.types
    ]
    subscriptions = [
        {"name": s.name, "object": s.object, "messages": list(s.messages), "retired": s.retired}
        for s in api.subscriptions
    ]
    errors = [{"name": e.name, "code": e.code, "group": e.group, "exception": e.exception_name} for e in api.errors]
    return {
        "package": package,
        "version": api.service.version,
        "default_url": api.service.default_url,
        "reply_path": queries.class_path(api, package, "Reply"),
        "commands": commands,
        "messages": messages,
        "types": types,
        "subscriptions": subscriptions,
        "errors": errors,
    }


def render_registry(api: Api) -> str:
    """The registry as JSON with one entry per line (valid JSON, stable order, diff-friendly)."""
    out = ["{"]
    items = list(registry_data(api).items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list):
            entries = [f"  {_line(entry)}" + ("," if i < len(value) - 1 else "") for i, entry in enumerate(value)]
            out.append(f"{_line(key)}: [")
            out.extend(entries)
            out.append(f"]{comma}")
        else:
            out.append(f"{_line(key)}: {_line(value)}{comma}")
    out.append("}")
    return "\n".join(out) + "\n"
