"""The seed format as models: what ``_seed`` validates a seed with, and the JSON Schema shipped beside it.

A seed is a JSON (or YAML) object whose keys are stored object types (``Company``, ``User``, ``Asset``, ...) and
whose values are lists of objects in wire form; keys starting with ``_`` are comments. Each object is its type's
generated model with unknown fields refused (a typo is an error, not silently stored); a ``User`` may also carry
``password`` (stored only as a salted hash) and ``emulatorSubscriptionTypes`` (the subscription types it may
hold; all when absent). ``seed.schema.json`` in this folder is ``seed_json_schema_text()`` written out, for
editors (``fleetfreedom emulator --seed-schema > seed.schema.json`` refreshes it after a schema change).
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from .. import _shapes as shapes
from .._registry import COMMANDS, TYPES

SCHEMA_FILE = "seed.schema.json"
SCHEMA_ID = "https://fleetfreedom.invalid/emulator/seed.schema.json"
USER_EXTRAS: dict[str, Any] = {
    "password": (str | None, Field(None, description="The user's password; the emulator stores a salted hash.")),
    "emulatorSubscriptionTypes": (
        list[str] | None,
        Field(None, description="Subscription types the user may hold (all when absent); emulator only."),
    ),
}


def seed_types() -> list[str]:
    """The object types a seed may hold: every stored object some command acts on, by name."""
    roots = {shapes.root_of(spec.object) for spec in COMMANDS.values() if spec.object}
    return sorted(r for r in roots if r in TYPES and TYPES[r].key and not TYPES[r].part_of)


@functools.cache
def item_model(type_name: str) -> type[BaseModel]:
    """``type_name``'s model for a seed entry: unknown fields refused, a user's seed-only fields declared."""
    base: type[BaseModel] = TYPES[type_name].cls
    extras = USER_EXTRAS if type_name == "User" else {}
    config = ConfigDict(**{**base.model_config, "extra": "forbid"})
    namespace = {"model_config": config, "__module__": base.__module__}  # its annotations name that module's types
    model: type[BaseModel] = type(f"Seed{type_name}", (base,), namespace)
    if extras:
        model = create_model(f"Seed{type_name}", __base__=model, __module__=base.__module__, **extras)
    return model


@functools.cache
def change_model(type_name: str) -> type[BaseModel]:
    """``item_model`` with no field required: what ``Emulator.merge_object`` takes, a change to an object or a new
    one whose key the emulator picks (a type of the schema may require its key)."""
    base = item_model(type_name)
    relaxed: dict[str, Any] = {}
    for name, info in base.model_fields.items():
        if info.is_required():
            optional = copy.copy(info)
            optional.default = None
            relaxed[name] = (info.annotation, optional)
    if not relaxed:
        return base
    return create_model(f"Change{type_name}", __base__=base, __module__=base.__module__, **relaxed)


def seed_json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a seed file."""
    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for name in seed_types():
        schema = item_model(name).model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
        defs.update(schema.pop("$defs", {}))
        defs[f"Seed{name}"] = schema
        properties[name] = {"type": "array", "items": {"$ref": f"#/$defs/Seed{name}"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Fleet Freedom emulator seed",
        "description": "Objects the emulator starts with, by type; keys starting with '_' are comments.",
        "type": "object",
        "properties": properties,
        "patternProperties": {"^_": {}},
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def seed_json_schema_text() -> str:
    """``seed_json_schema()`` as the shipped file holds it (sorted keys, two-space indent, final newline)."""
    return json.dumps(seed_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
