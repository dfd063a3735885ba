"""What the emulator needs to know about the API, read once from the generated registry.

Nothing here names a particular command or object: roots, parts, version slots, sync messages, subscriptions and
error codes are all derived from ``fleetfreedom._registry``, so a command added to the schema works in the
emulator without new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .._registry import COMMANDS, ERROR_CODES, MESSAGES, SUBSCRIPTIONS, TYPES
from .._shapes import parts_of, root_of, unwrap
from .._specs import CommandSpec, TypeSpec

KEY_FIELDS = ("id", "login", "key", "handle", "code", "guid")
# Flags the emulator owns: they change only through remove/restore/suspend/revive, never through merge.
STATE_FIELDS = frozenset({"deleted", "suspended", "since", "v"})


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def key_value(value: Any) -> Any:
    """The bare key of a key reference: ``{"id": 42}`` -> 42, ``42`` -> 42, ``{"login": "a@b"}`` -> ``"a@b"``."""
    if isinstance(value, dict):
        for name in KEY_FIELDS:
            if name in value:
                return value[name]
        return next(iter(value.values()), None)
    return value


@dataclass(frozen=True, slots=True)
class FieldType:
    """The schema type a model field holds (``None`` for primitives) and whether it is a list of them."""

    type_name: str | None
    is_list: bool


@cache
def _type_names_by_class() -> dict[Any, str]:
    # by the class itself, not its module path: datamodel-code-generator moves models that import each other in a
    # circle into ``models._internal``, and the section modules only re-export them
    return {spec.cls: name for name, spec in TYPES.items()}


@cache
def field_type(model: type[Any], wire_name: str) -> FieldType:
    """What a (request or response) model's field named ``wire_name`` on the wire holds."""
    for name, info in model.model_fields.items():
        if (info.alias or name) == wire_name:
            members, is_list = unwrap(info.annotation)
            inner = members[0] if len(members) == 1 else Any
            return FieldType(_type_names_by_class().get(inner), is_list)
    return FieldType(None, False)


def type_spec(type_name: str) -> TypeSpec | None:
    return TYPES.get(type_name)


def slot_fields(root: str) -> dict[int, frozenset[str]]:
    """For each slot, the fields its part carries (key, owner and state fields left out)."""
    spec = TYPES.get(root)
    shared = {spec.key, spec.owner} if spec is not None else set()
    out: dict[int, frozenset[str]] = {}
    for slot, part in parts_of(root):
        part_spec = TYPES.get(part)
        fields = set(part_spec.fields if part_spec is not None else ())
        out[slot] = frozenset(fields - STATE_FIELDS - shared)
    return out


@cache
def merged_message(part: str) -> str | None:
    """The ``…Merged`` message whose payload is this part (or plain object)."""
    for message in MESSAGES.values():
        if message.kind == "merged" and message.payload == part:
            return message.name
    return None


@cache
def root_message(root: str, kind: str) -> str | None:
    """The ``<root>Deleted`` or ``<root>Suspended`` message: by the subscriptions that deliver it, else by name."""
    for message in MESSAGES.values():
        if message.kind != kind:
            continue
        objects = {SUBSCRIPTIONS[s].object for s in message.subscriptions if s in SUBSCRIPTIONS}
        if any(root_of(obj) == root for obj in objects):
            return message.name
    wanted = lower_first(root) + upper_first(kind)
    return wanted if wanted in MESSAGES else None


@cache
def subscriptions_of(message: str) -> frozenset[str]:
    """The subscription types that deliver a message; for one the schema ties to none, those of its root."""
    spec = MESSAGES[message]
    if spec.subscriptions:
        return frozenset(spec.subscriptions)
    root = root_of(spec.payload)
    return frozenset(s.name for s in SUBSCRIPTIONS.values() if root_of(s.object) == root)


def error_name(root: str, suffix: str, command: CommandSpec | None, fallback: str) -> str:
    """``<root><suffix>`` (``assetNotFound``) when the schema has it, else the command's own error with that
    suffix (``hostingRuleNotFound`` for BillableHostingRule), else ``fallback``."""
    derived = lower_first(root) + suffix
    if derived in ERROR_CODES:
        return derived
    if command is not None:
        for name in command.errors:
            if name.endswith(suffix) and name in ERROR_CODES:
                return name
    return fallback


def code_of(name: str) -> int:
    return ERROR_CODES[name]


def command(name: str) -> CommandSpec | None:
    return COMMANDS.get(name)
