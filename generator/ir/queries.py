"""Queries on the IR that more than one step asks (one home; see issue 15)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .build import REPLY_ENVELOPE_TYPE
from .nodes import (
    Api,
    ArrayOf,
    Command,
    Field,
    MapOf,
    Message,
    Named,
    ObjectType,
    Subscription,
    TypeExpr,
)

ENVELOPE_SECTION = "api"


def model_module(api: Api, type_name: str) -> str:
    """The generated module (relative to the package) that holds an object type or enum."""
    if type_name == REPLY_ENVELOPE_TYPE:
        return f"models.{_envelope_module(api)}"
    return f"models.{api.sections_by_id[api.section_of(type_name)].module}"


def _envelope_module(api: Api) -> str:
    section = api.sections_by_id.get(ENVELOPE_SECTION) or api.sections[0]
    return section.module


def class_path(api: Api, package: str, type_name: str) -> str:
    """``fleetfreedom.models.assets:AssetGeneral``."""
    return f"{package}.{model_module(api, type_name)}:{type_name}"


def wire_aliases(t: ObjectType) -> list[list[str]]:
    """[alternate spelling, wire name] for every ``x-wire`` alias of the type's fields."""
    return [[alias, f.wire_name] for f in t.fields if f.wire is not None for alias in f.wire.aliases]


def fields_of(api: Api, fields: tuple[Field, ...], from_type: str | None) -> tuple[Field, ...]:
    return api.types_by_name[from_type].fields if from_type else fields


def delivered_by(api: Api, type_name: str) -> list[tuple[Subscription, Message]]:
    """(subscription, message) pairs that push objects of a type."""
    subs = {s.name: s for s in api.subscriptions}
    out = []
    for m in api.messages:
        if m.payload == type_name:
            out += [(subs[name], m) for name in m.subscriptions if name in subs]
    return out


def parts_of(api: Api, t: ObjectType) -> list[ObjectType]:
    return [p for p in api.types if p.part_of == t.name]


def emitted_by(api: Api, message: str) -> list[Command]:
    return [c for c in api.commands if message in c.emits]


def commands_returning(api: Api, error: str) -> list[Command]:
    return [c for c in api.commands if error in c.errors]


@dataclass(frozen=True)
class TypeUses:
    """The commands a type appears in: in the reply ("returned by") or in the request ("accepted by")."""

    returned: list[Command] = field(default_factory=list)
    accepted: list[Command] = field(default_factory=list)


def _named_in(expr: TypeExpr) -> Iterable[str]:
    if isinstance(expr, Named):
        yield expr.name
    elif isinstance(expr, ArrayOf):
        yield from _named_in(expr.items)
    elif isinstance(expr, MapOf):
        yield from _named_in(expr.keys)
        yield from _named_in(expr.values)


def type_uses(api: Api) -> dict[str, TypeUses]:
    """Per type and enum name, the commands whose request or response fields name it directly."""
    uses: dict[str, TypeUses] = {}
    for c in api.commands:
        for fields, kind in ((response_fields(api, c), "returned"), (request_fields(api, c), "accepted")):
            for name in sorted({n for f in fields for n in _named_in(f.type)}):
                found = getattr(uses.setdefault(name, TypeUses()), kind)
                if c not in found:
                    found.append(c)
    return uses


def request_fields(api: Api, command: Command) -> tuple[Field, ...]:
    return fields_of(api, command.request.fields, command.request.from_type)


def response_fields(api: Api, command: Command) -> tuple[Field, ...]:
    return fields_of(api, command.response.fields, command.response.from_type)
