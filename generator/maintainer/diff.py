"""Compare two API models (IR) and classify every difference by what it means for users of the generated package.

The comparison works on ``model.Api`` (never on YAML text), so reformatting or moving definitions between files
changes nothing, and every change record carries the schema location (``Origin``) of what changed.

Impact of a change (the highest impact decides the version bump, see ``changelog.py``):

- ``breaking``: code or requests that worked against the old package may fail against the new one.
- ``feature``: something new to use (commands, fields, members, error codes, wider accepted input) or a
  deprecation; existing code keeps working.
- ``patch``: nothing a user's code can observe except documentation and metadata (descriptions, evidence,
  narrower received data such as a response field that is now always present).

Direction. What the client sends and what it receives break in opposite ways, so each object type and enum gets
a *use*, computed by reachability over field types in the **old** model (existing users only use what existed):

- *sent*: reachable from a command's request fields (or its ``request: {$ref}`` type) or the request envelope;
- *received*: reachable from a command's response fields (or ``response: {$ref}``), the reply envelope or a
  message payload;
- a type reachable from both counts as both, and every rule below applies from both sides. A type that nothing
  reaches in the old model is judged by the new model's use, and if still unreached, as both (its class is
  public, so someone may build or read it).

Rules for fields (request fields are *sent*, response fields *received*, type fields take their type's use):

================================  ==========================================  ==========================================
change                            sent (client builds it)                     received (client reads it)
================================  ==========================================  ==========================================
field added, optional             feature                                     feature
field added, required             breaking (old calls omit it)                feature
field removed                     breaking (extra fields are rejected)        breaking (reading it fails)
optional -> required              breaking                                    patch (the type loses ``| None``)
required -> optional              feature                                     breaking (may now be ``None``)
type widened (accepts more)       feature                                     breaking (new values reach old code)
type narrowed (accepts less)      breaking                                    patch
other type change                 breaking                                    breaking
default changed                   patch (defaults are never sent)             breaking (absent values read differently)
constraint tightened              breaking (the server rejects more)          patch
Python name changed               breaking                                    breaking
================================  ==========================================  ==========================================

Types are compared as Python sees them: ``integer`` formats by range (``int`` < ``long``), ``integer`` is
narrower than ``number``, a string enum is narrower than ``string``, ``string`` without a format is wider than
any string format except ``datetime`` (a different Python type), arrays and maps compare their items, and an
untyped field is wider than anything.

Enum members: adding one is a feature either way (received enums are open: unknown values decode as
pseudo-members); removing one is breaking either way (requests using it are rejected, and code naming the member
fails), as is changing its wire value or Python name.

Everything the generated package exposes by name counts as its Python API: removing or renaming a command's
resource method (``client.assets.get``), its request/response class, the positional parameter of its method (the
first required request field), an exception class or its group base, an event class, an enum member, or moving a
class to another module (``fleetfreedom.models.<section>``) is breaking. New commands, types, error codes,
messages and subscription types are features; deprecating anything is a feature (semver: deprecations are
minor), un-deprecating is a patch. Removing an error code from a command is a patch; adding one is a feature.
A command's ``verb`` is the schema's classification, seen neither on the wire nor in Python: changing it is a patch
(a changed method name, if any, is reported on its own).

A removed field and an added field of the same type in the same place (and the only ones of that type there) are
reported as a likely rename. Every breaking change carries a one-line migration for the changelog.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from ..diagnostics import JsonPath, format_json_path
from ..ir.build import ERROR_CODE_ENUM, SUBSCRIPTION_TYPE_ENUM
from ..ir.nodes import (
    AnyValue,
    Api,
    ArrayOf,
    Command,
    Constraints,
    EnumMember,
    EnumType,
    ErrorCodeDef,
    Field,
    FieldSet,
    MapOf,
    Message,
    Named,
    ObjectType,
    Origin,
    Primitive,
    Subscription,
    TypeExpr,
    UnionOf,
)
from ..ir.primitives import INTEGER_RANGES, NUMBER_RANK


class Impact(enum.IntEnum):
    """How a change affects users; ordered so that ``max()`` gives the impact of a whole diff."""

    NONE = 0
    PATCH = 1
    FEATURE = 2
    BREAKING = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Use(enum.Flag):
    """Which way values of a type travel."""

    UNUSED = 0
    SENT = enum.auto()
    RECEIVED = enum.auto()
    BOTH = SENT | RECEIVED

    @property
    def label(self) -> str:
        return {Use.SENT: "sent", Use.RECEIVED: "received", Use.BOTH: "sent and received"}.get(self, "unused")


Action = Literal["added", "removed", "changed", "renamed", "deprecated", "undeprecated", "documented"]
Side = Literal["old", "new"]

# Areas, in report order.
AREAS = (
    "service",
    "command",
    "request field",
    "response field",
    "type",
    "type field",
    "enum",
    "enum member",
    "error code",
    "subscription type",
    "message",
)
Area = Literal[
    "service",
    "command",
    "request field",
    "response field",
    "type",
    "type field",
    "enum",
    "enum member",
    "error code",
    "subscription type",
    "message",
]


@dataclass(frozen=True)
class Location:
    """Where the changed definition is written: file and JSON path, in the old or the new schema."""

    file: str
    path: JsonPath
    side: Side

    def __str__(self) -> str:
        where = f"{self.file} {format_json_path(self.path)}"
        return where if self.side == "new" else f"{where} (old schema)"


@dataclass(frozen=True)
class Change:
    """One difference between two API models, classified."""

    impact: Impact
    action: Action
    area: Area
    subject: str  # wire-level dotted name: getAsset, getAsset.request.asset, Asset.name, AssetType.vehicle
    summary: str  # what changed, for users (Python names where they matter)
    reason: str = ""  # why it has this impact (always given for breaking changes)
    location: Location | None = None
    old: str | None = None
    new: str | None = None
    description: str = ""  # the schema's description of what was added, for the changelog
    migration: str = ""  # for breaking changes: what a user changes in their code, one line

    @property
    def breaking(self) -> bool:
        return self.impact is Impact.BREAKING


@dataclass(frozen=True)
class SchemaDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...] = field(default=())

    @property
    def impact(self) -> Impact:
        return max((c.impact for c in self.changes), default=Impact.NONE)

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    def count(self, impact: Impact) -> int:
        return sum(1 for c in self.changes if c.impact is impact)


# --- direction ------------------------------------------------------------------------------------------


def named_in(expr: TypeExpr) -> Iterator[str]:
    """Every type name a type expression refers to."""
    if isinstance(expr, Named):
        yield expr.name
    elif isinstance(expr, ArrayOf):
        yield from named_in(expr.items)
    elif isinstance(expr, MapOf):
        yield from named_in(expr.keys)
        yield from named_in(expr.values)


def effective_fields(api: Api, fields: FieldSet) -> tuple[Field, ...]:
    """The fields of a request or response body, whether inline or ``{$ref: Type}``."""
    if fields.from_type is not None:
        referenced = api.types_by_name.get(fields.from_type)
        return referenced.fields if referenced else ()
    return fields.fields


def usage(api: Api) -> dict[str, Use]:
    """Type or enum name -> which way its values travel (reachability from requests, replies and messages)."""
    uses: dict[str, Use] = {}

    def reach(roots: Iterable[str], use: Use) -> None:
        stack = list(roots)
        while stack:
            name = stack.pop()
            if use in uses.get(name, Use.UNUSED):
                continue
            uses[name] = uses.get(name, Use.UNUSED) | use
            t = api.types_by_name.get(name)
            if t is not None:
                for f in t.fields:
                    stack.extend(named_in(f.type))

    def field_roots(fields: Iterable[Field]) -> list[str]:
        return [name for f in fields for name in named_in(f.type)]

    sent = field_roots(api.service.request_envelope)
    received = field_roots(api.service.reply_envelope)
    for c in api.commands:
        sent += field_roots(c.request.fields) + ([c.request.from_type] if c.request.from_type else [])
        received += field_roots(c.response.fields) + ([c.response.from_type] if c.response.from_type else [])
    received += [m.payload for m in api.messages]
    reach(sent, Use.SENT)
    reach(received, Use.RECEIVED)
    return uses


# --- type compatibility -----------------------------------------------------------------------------------


def describe(expr: TypeExpr) -> str:
    """A type expression as the schema writes it, compactly: ``integer(ulong)``, ``array<Asset>``."""
    if isinstance(expr, Named):
        return expr.name
    if isinstance(expr, ArrayOf):
        return f"array<{describe(expr.items)}>"
    if isinstance(expr, MapOf):
        return f"map<{describe(expr.keys)}, {describe(expr.values)}>"
    if isinstance(expr, AnyValue):
        return "any"
    if isinstance(expr, UnionOf):
        return " | ".join(describe(option) for option in expr.options)
    return f"{expr.json_type}({expr.format})" if expr.format else expr.json_type


class _Types:
    """``accepts(wide, narrow)``: every value of ``narrow`` is a valid value of ``wide`` (as Python sees it)."""

    def __init__(self, old: Api, new: Api) -> None:
        self.enums = {**old.enums_by_name, **new.enums_by_name}

    def _as_primitive(self, expr: TypeExpr) -> Primitive | None:
        if isinstance(expr, Named) and expr.name in self.enums:
            return Primitive(self.enums[expr.name].json_type)
        return None

    def accepts(self, wide: TypeExpr, narrow: TypeExpr) -> bool:
        if wide == narrow or isinstance(wide, AnyValue):
            return True
        if isinstance(narrow, UnionOf):
            return all(self.accepts(wide, option) for option in narrow.options)
        if isinstance(wide, UnionOf):
            return any(self.accepts(option, narrow) for option in wide.options)
        if isinstance(wide, ArrayOf) and isinstance(narrow, ArrayOf):
            return self.accepts(wide.items, narrow.items)
        if isinstance(wide, MapOf) and isinstance(narrow, MapOf):
            return self.accepts(wide.keys, narrow.keys) and self.accepts(wide.values, narrow.values)
        if isinstance(wide, Primitive):
            enum_as = self._as_primitive(narrow)  # an enum's values are a subset of its json type
            if enum_as is not None:
                return self.accepts(wide, enum_as)
            if isinstance(narrow, Primitive):
                return _primitive_accepts(wide, narrow)
        return False


def _primitive_accepts(wide: Primitive, narrow: Primitive) -> bool:
    if wide.json_type == "number":
        if narrow.json_type == "integer":
            return True
        return narrow.json_type == "number" and NUMBER_RANK[wide.format] >= NUMBER_RANK[narrow.format]
    if wide.json_type != narrow.json_type:
        return False
    if wide.json_type == "integer":
        if wide.format is None:
            return True
        if narrow.format is None:
            return False
        (wide_low, wide_high), (low, high) = INTEGER_RANGES[wide.format], INTEGER_RANGES[narrow.format]
        return wide_low <= low and high <= wide_high
    if wide.json_type == "string":
        if wide.format == narrow.format:
            return True
        # datetime fields are datetime objects in Python, every other string stays str
        return wide.format is None and narrow.format != "datetime"
    return wide.format == narrow.format


def _constraints_tighter(old: Constraints, new: Constraints) -> bool:
    """True when ``new`` rejects some value ``old`` allowed."""

    def lower_max(before: float | None, after: float | None) -> bool:
        return after is not None and (before is None or after < before)

    def higher_min(before: float | None, after: float | None) -> bool:
        return after is not None and (before is None or after > before)

    return (
        lower_max(old.maximum, new.maximum)
        or higher_min(old.minimum, new.minimum)
        or lower_max(old.max_length, new.max_length)
    )


def _describe_constraints(c: Constraints) -> str:
    parts = [
        f"{label} {value:g}" if isinstance(value, float) else f"{label} {value}"
        for label, value in (("minimum", c.minimum), ("maximum", c.maximum), ("maxLength", c.max_length))
        if value is not None
    ]
    return ", ".join(parts) or "none"


_T = TypeVar("_T")


# --- the comparison ---------------------------------------------------------------------------------------


class _HasOrigin(Protocol):
    @property
    def origin(self) -> Origin | None: ...


def _location(origin: Origin | None, side: Side, *extra: str | int) -> Location | None:
    if origin is None:
        return None
    return Location(origin.file, (*origin.path, *extra), side)


def _paired(old: Iterable[_T], new: Iterable[_T], key: str = "name") -> Iterator[tuple[str, _T | None, _T | None]]:
    """(name, old, new) for every name in either, in the new order followed by the removed ones."""
    old_by = {getattr(x, key): x for x in old}
    new_by = {getattr(x, key): x for x in new}
    for name, item in new_by.items():
        yield name, old_by.get(name), item
    for name, item in old_by.items():
        if name not in new_by:
            yield name, item, None


class _Differ:
    def __init__(self, old: Api, new: Api) -> None:
        self.old = old
        self.new = new
        self.types = _Types(old, new)
        old_use, new_use = usage(old), usage(new)
        self.use = {name: old_use.get(name) or new_use.get(name) or Use.BOTH for name in {*old_use, *new_use}}
        self.changes: list[Change] = []

    def use_of(self, name: str) -> Use:
        return self.use.get(name, Use.BOTH)

    def added(self, area: Area, name: str, after: _HasOrigin, summary: str, new: object = None) -> None:
        """A definition that only the new schema has: a feature."""
        where = _location(after.origin, "new")
        description = str(getattr(after, "description", "") or "")
        self.add(Impact.FEATURE, "added", area, name, summary, location=where, new=new, description=description)

    def removed(
        self,
        area: Area,
        name: str,
        before: _HasOrigin,
        summary: str,
        reason: str,
        old: object = None,
        migration: str = "",
    ) -> None:
        """A definition that only the old schema has: breaking for whoever used it."""
        replaced_by = getattr(before, "replaced_by", None)
        if not migration:
            migration = f"use {replaced_by} instead" if replaced_by else f"stop using {name}; nothing replaces it"
        where = _location(before.origin, "old")
        self.add(Impact.BREAKING, "removed", area, name, summary, reason, where, old=old, migration=migration)

    def add(
        self,
        impact: Impact,
        action: Action,
        area: Area,
        subject: str,
        summary: str,
        reason: str = "",
        location: Location | None = None,
        old: object = None,
        new: object = None,
        *,
        description: str = "",
        migration: str = "",
    ) -> None:
        self.changes.append(
            Change(
                impact,
                action,
                area,
                subject,
                summary,
                reason,
                location,
                None if old is None else str(old),
                None if new is None else str(new),
                " ".join(description.split()),
                migration,
            )
        )

    def flags(
        self,
        area: Area,
        subject: str,
        what: str,
        old: _Flagged,
        new: _Flagged,
        location: Location | None,
    ) -> None:
        """Deprecation and description changes, common to every kind of definition."""
        if not old.deprecated and new.deprecated:
            instead = f"; use {new.replaced_by} instead" if new.replaced_by else ""
            self.add(Impact.FEATURE, "deprecated", area, subject, f"{what} is deprecated{instead}", location=location)
        elif old.deprecated and not new.deprecated:
            self.add(Impact.PATCH, "undeprecated", area, subject, f"{what} is no longer deprecated", location=location)
        elif new.deprecated and old.replaced_by != new.replaced_by:
            self.add(
                Impact.PATCH,
                "documented",
                area,
                subject,
                f"{what}: the suggested replacement is now {new.replaced_by or 'not named'}",
                location=location,
                old=old.replaced_by,
                new=new.replaced_by,
            )
        if old.description != new.description:
            self.add(Impact.PATCH, "documented", area, subject, f"{what}: description revised", location=location)

    # --- fields ---------------------------------------------------------------------------------------

    def fields(
        self,
        old_fields: Iterable[Field],
        new_fields: Iterable[Field],
        use: Use,
        area: Area,
        owner: str,
        owner_location: tuple[Origin | None, Origin | None],
    ) -> None:
        pairs = list(_paired(old_fields, new_fields, "wire_name"))
        renames = _likely_renames(
            [b for _, b, a in pairs if b is not None and a is None], [a for _, b, a in pairs if b is None and a]
        )
        for wire, before, after in pairs:
            subject = f"{owner}.{wire}"
            what = f"{area} {wire!r} of {owner.split('.')[0]}"
            if before is None:
                assert after is not None
                self.added_field(after, use, area, subject, what, owner_location[1], renames.get(wire))
            elif after is None:
                self.removed_field(before, use, area, subject, what, owner_location[0], renames.get(wire))
            else:
                self.changed_field(before, after, use, area, subject, what)

    def added_field(
        self,
        f: Field,
        use: Use,
        area: Area,
        subject: str,
        what: str,
        fallback: Origin | None,
        renamed_from: Field | None = None,
    ) -> None:
        where = _location(f.origin or fallback, "new")
        python = f" (`{f.python_name}`)" if f.python_name != f.wire_name else ""
        hint = f" (probably the new name of {renamed_from.wire_name!r})" if renamed_from is not None else ""
        if Use.SENT in use and f.required:
            self.add(
                Impact.BREAKING,
                "added",
                area,
                subject,
                f"new required {what}{python}{hint}",
                "it is sent by the client: existing calls and objects that omit it are rejected",
                where,
                new=describe(f.type),
                description=f.description,
                migration=f"pass `{f.python_name}` in every call",
            )
        else:
            kind = "required" if f.required else "optional"
            self.add(
                Impact.FEATURE,
                "added",
                area,
                subject,
                f"new {kind} {what}{python}{hint}",
                location=where,
                new=describe(f.type),
                description=f.description,
            )

    def removed_field(
        self,
        f: Field,
        use: Use,
        area: Area,
        subject: str,
        what: str,
        fallback: Origin | None,
        renamed_to: Field | None = None,
    ) -> None:
        reasons = []
        if Use.SENT in use:
            reasons.append(f"callers that pass `{f.python_name}` get an unknown-field error")
        if Use.RECEIVED in use:
            reasons.append(f"code that reads `{f.python_name}` fails")
        holder = _holder(area, subject)
        if renamed_to is not None:
            summary = f"{what} removed: probably renamed to {renamed_to.wire_name!r} (same type, same place)"
            migration = f"`{holder}.{f.python_name}` is now `{holder}.{renamed_to.python_name}`"
        else:
            summary = f"{what} removed"
            instead = f"; use {f.replaced_by}" if f.replaced_by else ""
            migration = f"stop using `{holder}.{f.python_name}`{instead}"
        self.add(
            Impact.BREAKING,
            "removed",
            area,
            subject,
            summary,
            "; ".join(reasons),
            _location(f.origin or fallback, "old"),
            old=describe(f.type),
            migration=migration,
        )

    def changed_field(self, before: Field, after: Field, use: Use, area: Area, subject: str, what: str) -> None:
        where = _location(after.origin, "new")
        sent, received = Use.SENT in use, Use.RECEIVED in use
        if before.python_name != after.python_name:
            self.add(
                Impact.BREAKING,
                "renamed",
                area,
                subject,
                f"{what}: Python name `{before.python_name}` is now `{after.python_name}`",
                "code using the old attribute or keyword fails",
                where,
                before.python_name,
                after.python_name,
            )
        if before.type != after.type:
            self.changed_type(before.type, after.type, sent, received, area, subject, what, where)
        if before.required != after.required:
            if after.required:  # now required
                impact, reason = (
                    (Impact.BREAKING, "it is sent by the client: calls that omit it are rejected")
                    if sent
                    else (Impact.PATCH, "always present now (the attribute is no longer Optional)")
                )
                summary = f"{what} is now required"
            else:
                impact, reason = (
                    (Impact.BREAKING, "it is received: it may now be missing (None), which old code does not expect")
                    if received
                    else (Impact.FEATURE, "callers may now leave it out")
                )
                summary = f"{what} is now optional"
            self.add(
                impact,
                "changed",
                area,
                subject,
                summary,
                reason,
                where,
                "required" if before.required else "optional",
                "required" if after.required else "optional",
            )
        if (before.has_default, before.default) != (after.has_default, after.default):
            old_default = repr(before.default) if before.has_default else "none"
            new_default = repr(after.default) if after.has_default else "none"
            if received:
                impact, reason = Impact.BREAKING, "an absent value now reads differently"
            else:
                impact, reason = Impact.PATCH, "defaults of sent fields are not sent"
            self.add(
                impact,
                "changed",
                area,
                subject,
                f"{what}: default {old_default} -> {new_default}",
                reason,
                where,
                old_default,
                new_default,
            )
        if before.constraints != after.constraints:
            tighter = _constraints_tighter(before.constraints, after.constraints)
            old_c, new_c = _describe_constraints(before.constraints), _describe_constraints(after.constraints)
            if sent and tighter:
                impact, reason = Impact.BREAKING, "the server now rejects values it accepted before"
            else:
                impact, reason = Impact.PATCH, ""
            self.add(
                impact, "changed", area, subject, f"{what}: constraints {old_c} -> {new_c}", reason, where, old_c, new_c
            )
        self.flags(area, subject, what, before, after, where)

    def changed_type(
        self,
        before: TypeExpr,
        after: TypeExpr,
        sent: bool,
        received: bool,
        area: Area,
        subject: str,
        what: str,
        where: Location | None,
    ) -> None:
        widened = self.types.accepts(after, before)
        narrowed = self.types.accepts(before, after)
        reasons = []
        if sent and not widened:
            reasons.append("it is sent: values that were valid before are now rejected")
        if received and not narrowed:
            reasons.append("it is received: code reading it gets values of a type it did not expect")
        if reasons:
            impact = Impact.BREAKING
        elif sent and widened and not narrowed:
            impact = Impact.FEATURE
            reasons.append("accepts more values than before")
        else:
            impact = Impact.PATCH
        old_t, new_t = describe(before), describe(after)
        self.add(
            impact,
            "changed",
            area,
            subject,
            f"{what}: type {old_t} -> {new_t}",
            "; ".join(reasons),
            where,
            old_t,
            new_t,
        )

    # --- commands -------------------------------------------------------------------------------------

    def commands(self) -> None:
        for name, before, after in _paired(self.old.commands, self.new.commands):
            if before is None:
                assert after is not None
                self.added("command", name, after, f"new command {name}: `client.{after.resource}.{after.method}()`")
            elif after is None:
                call = f"client.{before.resource}.{before.method}()"
                self.removed(
                    "command",
                    name,
                    before,
                    f"command {name} removed",
                    f"`{call}`, {before.request_class} and {before.response_class} no longer exist",
                    migration=f"use {before.replaced_by} instead of `{call}`"
                    if before.replaced_by
                    else f"stop calling `{call}`; the server no longer offers {name}",
                )
            else:
                self.command(before, after)

    def command(self, before: Command, after: Command) -> None:
        name = after.name
        where = _location(after.origin, "new")
        what = f"command {name}"
        old_call, new_call = f"client.{before.resource}.{before.method}()", f"client.{after.resource}.{after.method}()"
        if old_call != new_call:
            self.add(
                Impact.BREAKING,
                "renamed",
                "command",
                name,
                f"{what}: `{old_call}` is now `{new_call}`",
                "code calling the old method fails",
                where,
                old_call,
                new_call,
            )
        for label, old_cls, new_cls in (
            ("request class", before.request_class, after.request_class),
            ("response class", before.response_class, after.response_class),
        ):
            if old_cls != new_cls:
                self.add(
                    Impact.BREAKING,
                    "renamed",
                    "command",
                    name,
                    f"{what}: {label} {old_cls} is now {new_cls}",
                    "imports of the old class fail",
                    where,
                    old_cls,
                    new_cls,
                )
        old_module, new_module = (
            self.module("commands", self.old, before.section),
            self.module("commands", self.new, after.section),
        )
        if old_module != new_module:
            self.add(
                Impact.BREAKING,
                "changed",
                "command",
                name,
                f"{what}: its classes moved from {old_module} to {new_module}",
                f"imports from {old_module} fail ({self.new.service.package}.commands still exports them)",
                where,
                old_module,
                new_module,
            )
        if before.verb != after.verb:
            # The verb is the schema's classification: the wire name, the request and reply, and (checked
            # above) the method and classes are what users see; a change of method shows there on its own.
            self.add(
                Impact.PATCH,
                "changed",
                "command",
                name,
                f"{what}: verb {before.verb} -> {after.verb} (classification only: the wire and the Python API "
                "are unchanged; the emulator answers it by the new verb)",
                location=where,
                old=before.verb,
                new=after.verb,
            )
        if before.object != after.object:
            self.add(
                Impact.PATCH,
                "changed",
                "command",
                name,
                f"{what}: acts on {after.object or 'no object type'}",
                location=where,
                old=before.object,
                new=after.object,
            )
        if before.filter != after.filter:
            self.add(
                Impact.PATCH,
                "changed",
                "command",
                name,
                f"{what}: filter field {before.filter or 'none'} -> {after.filter or 'none'}",
                location=where,
                old=before.filter,
                new=after.filter,
            )
        old_request, new_request = effective_fields(self.old, before.request), effective_fields(self.new, after.request)
        old_arg, new_arg = _positional(old_request), _positional(new_request)
        if old_arg is not None and new_arg is not None and old_arg != new_arg:
            self.add(
                Impact.BREAKING,
                "changed",
                "command",
                name,
                f"{what}: `{new_call}` now takes `{new_arg}` positionally instead of `{old_arg}`",
                "positional calls pass the value as the wrong parameter",
                where,
                old_arg,
                new_arg,
            )
        self.field_sets(
            name, "request", before.request, after.request, Use.SENT, "request field", (before.origin, after.origin)
        )
        self.field_sets(
            name,
            "response",
            before.response,
            after.response,
            Use.RECEIVED,
            "response field",
            (before.origin, after.origin),
        )
        for error in after.errors:
            if error not in before.errors:
                exc = self.exception_of(self.new, error)
                self.add(
                    Impact.FEATURE,
                    "changed",
                    "command",
                    name,
                    f"{what} may now fail with {error} ({exc})",
                    location=where,
                    new=error,
                )
        for error in before.errors:
            if error not in after.errors:
                self.add(
                    Impact.PATCH,
                    "changed",
                    "command",
                    name,
                    f"{what} no longer lists error {error}",
                    location=where,
                    old=error,
                )
        for message in after.emits:
            if message not in before.emits:
                self.add(
                    Impact.FEATURE,
                    "changed",
                    "command",
                    name,
                    f"{what} now causes {message}",
                    location=where,
                    new=message,
                )
        for message in before.emits:
            if message not in after.emits:
                self.add(
                    Impact.BREAKING,
                    "changed",
                    "command",
                    name,
                    f"{what} no longer causes {message}",
                    f"code waiting for {message} after {name} waits in vain",
                    where,
                    old=message,
                )
        if before.confirmed != after.confirmed:
            state = "confirmed by a server document" if after.confirmed else "no longer confirmed by a server document"
            self.add(
                Impact.PATCH,
                "documented",
                "command",
                name,
                f"{what}: wire name {state}",
                location=where,
                old=",".join(before.evidence),
                new=",".join(after.evidence),
            )
        self.flags("command", name, what, before, after, where)

    def field_sets(
        self,
        command: str,
        part: Literal["request", "response"],
        before: FieldSet,
        after: FieldSet,
        use: Use,
        area: Area,
        origins: tuple[Origin | None, Origin | None],
    ) -> None:
        if before.from_type is not None and before.from_type == after.from_type:
            return  # the same type on both sides: its changes are reported once, under the type
        old_fields = effective_fields(self.old, before)
        new_fields = effective_fields(self.new, after)
        locations = (
            _sub_origin(origins[0], part, None if before.from_type else "properties"),
            _sub_origin(origins[1], part, None if after.from_type else "properties"),
        )
        self.fields(old_fields, new_fields, use, area, f"{command}.{part}", locations)

    # --- types and enums ------------------------------------------------------------------------------

    def module(self, kind: str, api: Api, section: str) -> str:
        found = api.sections_by_id.get(section)
        return f"{api.service.package}.{kind}.{found.module if found else section}"

    def object_types(self) -> None:
        for name, before, after in _paired(self.old.types, self.new.types):
            if before is None:
                assert after is not None
                self.added("type", name, after, f"new type {name}")
            elif after is None:
                self.removed("type", name, before, f"type {name} removed", f"code importing or building {name} fails")
            else:
                self.object_type(before, after)

    def moved(self, area: Area, name: str, old_section: str, new_section: str, where: Location | None) -> None:
        """A model class that moved to another section's module breaks imports from the old module."""
        old_module = self.module("models", self.old, old_section)
        new_module = self.module("models", self.new, new_section)
        if old_module != new_module:
            self.add(
                Impact.BREAKING,
                "changed",
                area,
                name,
                f"{area} {name} moved from {old_module} to {new_module}",
                f"imports from {old_module} fail ({self.new.service.package}.models still exports it)",
                where,
                old_module,
                new_module,
            )

    def object_type(self, before: ObjectType, after: ObjectType) -> None:
        name = after.name
        use = self.use_of(name)
        where = _location(after.origin, "new")
        what = f"type {name}"
        self.moved("type", name, before.section, after.section, where)
        if before.key_ref and not after.key_ref:
            self.add(
                Impact.BREAKING,
                "changed",
                "type",
                name,
                f"{what} no longer accepts a bare key",
                f"calls passing a key value where a {name} is expected are rejected",
                where,
            )
        elif after.key_ref and not before.key_ref:
            self.add(Impact.FEATURE, "changed", "type", name, f"{what} now also accepts its bare key", location=where)
        for label, old_value, new_value in (
            ("key field", before.key, after.key),
            ("owner field", before.owner, after.owner),
            ("composite", before.part_of, after.part_of),
            ("version slot", before.version_slot, after.version_slot),
        ):
            if old_value != new_value:
                self.add(
                    Impact.BREAKING,
                    "changed",
                    "type",
                    name,
                    f"{what}: {label} {old_value} -> {new_value}",
                    "objects are identified, owned or versioned differently (caches and sync code rely on it)",
                    where,
                    old_value,
                    new_value,
                )
        self.fields(
            before.fields,
            after.fields,
            use,
            "type field",
            name,
            (_sub_origin(before.origin, "properties"), _sub_origin(after.origin, "properties")),
        )
        self.flags("type", name, what, before, after, where)

    def enums(self) -> None:
        derived = {ERROR_CODE_ENUM, SUBSCRIPTION_TYPE_ENUM}  # diffed as error codes and subscription types
        old = [e for e in self.old.enums if e.name not in derived]
        new = [e for e in self.new.enums if e.name not in derived]
        for name, before, after in _paired(old, new):
            if before is None:
                assert after is not None
                self.added("enum", name, after, f"new enum {name}")
            elif after is None:
                self.removed("enum", name, before, f"enum {name} removed", f"code importing {name} fails")
            else:
                self.enum(before, after)

    def enum(self, before: EnumType, after: EnumType) -> None:
        name = after.name
        use = self.use_of(name)
        where = _location(after.origin, "new")
        what = f"enum {name}"
        self.moved("enum", name, before.section, after.section, where)
        if before.json_type != after.json_type:
            self.add(
                Impact.BREAKING,
                "changed",
                "enum",
                name,
                f"{what}: values are now {after.json_type}s",
                "every value changes on the wire",
                where,
                before.json_type,
                after.json_type,
            )
        self.members(name, before.members, after.members, use, before.origin, after.origin)
        self.flags("enum", name, what, before, after, where)

    def members(
        self,
        enum_name: str,
        old: Iterable[EnumMember],
        new: Iterable[EnumMember],
        use: Use,
        old_origin: Origin | None,
        new_origin: Origin | None,
    ) -> None:
        for member, before, after in _paired(old, new):
            subject = f"{enum_name}.{member}"
            if before is None:
                assert after is not None
                reason = (
                    "received values are open: older packages decode it as an unknown member"
                    if Use.RECEIVED in use
                    else ""
                )
                self.add(
                    Impact.FEATURE,
                    "added",
                    "enum member",
                    subject,
                    f"new member {enum_name}.{after.python_name} ({after.value!r})",
                    reason,
                    _location(new_origin, "new", "members", member),
                    new=after.value,
                )
            elif after is None:
                reasons = [f"code naming {enum_name}.{before.python_name} fails"]
                if Use.SENT in use:
                    reasons.insert(0, "requests that send it are rejected")
                self.add(
                    Impact.BREAKING,
                    "removed",
                    "enum member",
                    subject,
                    f"member {enum_name}.{before.python_name} ({before.value!r}) removed",
                    "; ".join(reasons),
                    _location(old_origin, "old", "members", member),
                    old=before.value,
                )
            else:
                where = _location(new_origin, "new", "members", member)
                what = f"member {enum_name}.{after.python_name}"
                if before.python_name != after.python_name:
                    self.add(
                        Impact.BREAKING,
                        "renamed",
                        "enum member",
                        subject,
                        f"member {enum_name}.{before.python_name} is now {enum_name}.{after.python_name}",
                        "code naming the old member fails",
                        where,
                        before.python_name,
                        after.python_name,
                    )
                if before.value != after.value:
                    self.add(
                        Impact.BREAKING,
                        "changed",
                        "enum member",
                        subject,
                        f"{what}: wire value {before.value!r} -> {after.value!r}",
                        "stored or compared raw values no longer match",
                        where,
                        before.value,
                        after.value,
                    )
                self.flags("enum member", subject, what, before, after, where)

    # --- errors, subscriptions, messages --------------------------------------------------------------

    @staticmethod
    def exception_of(api: Api, error: str) -> str:
        found = api.errors_by_name.get(error)
        return found.exception_name if found else error

    def errors(self) -> None:
        package = self.new.service.package
        for name, before, after in _paired(self.old.errors, self.new.errors):
            if before is None:
                assert after is not None
                summary = f"new error code {name} = {after.code} ({package}.errors.{after.exception_name})"
                self.added("error code", name, after, summary, new=after.code)
            elif after is None:
                self.removed(
                    "error code",
                    name,
                    before,
                    f"error code {name} ({before.code}) removed",
                    f"ErrorCode.{before.python_name} and {before.exception_name} no longer exist",
                    old=before.code,
                )
            else:
                self.error(before, after)

    def error(self, before: ErrorCodeDef, after: ErrorCodeDef) -> None:
        name, where, what = after.name, _location(after.origin, "new"), f"error code {after.name}"
        if before.code != after.code:
            self.add(
                Impact.BREAKING,
                "changed",
                "error code",
                name,
                f"{what}: number {before.code} -> {after.code}",
                "replies are decoded to a different error",
                where,
                before.code,
                after.code,
            )
        if before.group != after.group:
            from ..ir.naming import error_base_class

            old_base, new_base = error_base_class(before.group), error_base_class(after.group)
            self.add(
                Impact.BREAKING,
                "changed",
                "error code",
                name,
                f"{what}: {after.exception_name} now derives from {new_base}, not {old_base}",
                f"`except {old_base}` no longer catches it",
                where,
                before.group,
                after.group,
            )
        if before.exception_name != after.exception_name:
            self.add(
                Impact.BREAKING,
                "renamed",
                "error code",
                name,
                f"{what}: exception {before.exception_name} is now {after.exception_name}",
                "code catching the old class fails",
                where,
                before.exception_name,
                after.exception_name,
            )
        if before.python_name != after.python_name:
            self.add(
                Impact.BREAKING,
                "renamed",
                "error code",
                name,
                f"{what}: ErrorCode.{before.python_name} is now ErrorCode.{after.python_name}",
                "code naming the old member fails",
                where,
                before.python_name,
                after.python_name,
            )
        self.flags("error code", name, what, before, after, where)

    def subscriptions(self) -> None:
        for name, before, after in _paired(self.old.subscriptions, self.new.subscriptions):
            if before is None:
                assert after is not None
                summary = f"new subscription type {name} (SubscriptionType.{after.python_name})"
                self.added("subscription type", name, after, summary)
            elif after is None:
                self.removed(
                    "subscription type",
                    name,
                    before,
                    f"subscription type {name} removed",
                    f"SubscriptionType.{before.python_name} no longer exists and subscribing to it is refused",
                )
            else:
                self.subscription(before, after)

    def subscription(self, before: Subscription, after: Subscription) -> None:
        name, where, what = after.name, _location(after.origin, "new"), f"subscription type {after.name}"
        if before.python_name != after.python_name:
            self.add(
                Impact.BREAKING,
                "renamed",
                "subscription type",
                name,
                f"{what}: SubscriptionType.{before.python_name} is now SubscriptionType.{after.python_name}",
                "code naming the old member fails",
                where,
                before.python_name,
                after.python_name,
            )
        if before.object != after.object:
            self.add(
                Impact.BREAKING,
                "changed",
                "subscription type",
                name,
                f"{what} now delivers {after.object}, not {before.object}",
                "handlers receive a different type",
                where,
                before.object,
                after.object,
            )
        for message in after.messages:
            if message not in before.messages:
                self.add(
                    Impact.FEATURE,
                    "changed",
                    "subscription type",
                    name,
                    f"{what} now also delivers {message}",
                    location=where,
                    new=message,
                )
        for message in before.messages:
            if message not in after.messages:
                self.add(
                    Impact.BREAKING,
                    "changed",
                    "subscription type",
                    name,
                    f"{what} no longer delivers {message}",
                    f"handlers of {message} stop receiving it through {name}",
                    where,
                    old=message,
                )
        if not before.retired and after.retired:
            instead = f"; use {after.replaced_by} instead" if after.replaced_by else ""
            self.add(
                Impact.FEATURE,
                "deprecated",
                "subscription type",
                name,
                f"{what} is retired by the server{instead}",
                location=where,
            )
        elif before.retired and not after.retired:
            self.add(
                Impact.PATCH, "undeprecated", "subscription type", name, f"{what} is offered again", location=where
            )
        self.flags("subscription type", name, what, before, after, where)

    def messages(self) -> None:
        for name, before, after in _paired(self.old.messages, self.new.messages):
            if before is None:
                assert after is not None
                self.added(
                    "message", name, after, f"new message {name} (event {after.event_class}, payload {after.payload})"
                )
            elif after is None:
                self.removed(
                    "message",
                    name,
                    before,
                    f"message {name} removed",
                    f"event class {before.event_class} no longer exists",
                )
            else:
                self.message(before, after)

    def message(self, before: Message, after: Message) -> None:
        name, where, what = after.name, _location(after.origin, "new"), f"message {after.name}"
        for label, old_value, new_value, reason in (
            ("event class", before.event_class, after.event_class, "code matching the old class fails"),
            ("kind", before.kind, after.kind, "its event has a different base class"),
            ("payload", before.payload, after.payload, "handlers receive a different type"),
            ("payload class", before.payload_class, after.payload_class, "code using the old class fails"),
        ):
            if old_value != new_value:
                self.add(
                    Impact.BREAKING,
                    "renamed" if "class" in label else "changed",
                    "message",
                    name,
                    f"{what}: {label} {old_value} -> {new_value}",
                    reason,
                    where,
                    old_value,
                    new_value,
                )
        if before.envelope != after.envelope:
            has = "now carries" if after.envelope else "no longer carries"
            self.add(
                Impact.BREAKING,
                "changed",
                "message",
                name,
                f"{what} {has} errorCode/message",
                "its payload has different fields",
                where,
            )
        if before.confirmed != after.confirmed:
            state = "confirmed by a server document" if after.confirmed else "no longer confirmed by a server document"
            self.add(Impact.PATCH, "documented", "message", name, f"{what}: wire name {state}", location=where)
        self.flags("message", name, what, before, after, where)

    # --- the service ----------------------------------------------------------------------------------

    def service(self) -> None:
        before, after = self.old.service, self.new.service
        here = Location("schema/api.yaml", (), "new")
        for f in (*after.request_envelope, *after.reply_envelope, *before.request_envelope, *before.reply_envelope):
            if f.origin is not None:
                here = Location(f.origin.file, (), "new")
                break
        if before.package != after.package:
            self.add(
                Impact.BREAKING,
                "renamed",
                "service",
                "package",
                f"the package is now {after.package}, not {before.package}",
                "every import changes",
                Location(here.file, ("package",), "new"),
                before.package,
                after.package,
            )
        for label, old_value, new_value in (
            ("frame grammar", before.frame_grammar, after.frame_grammar),
            ("frame separator", before.frame_separator, after.frame_separator),
        ):
            if old_value != new_value:
                self.add(
                    Impact.BREAKING,
                    "changed",
                    "service",
                    "frame",
                    f"{label} {old_value!r} -> {new_value!r}",
                    "frames are written differently on the wire",
                    Location(here.file, ("frame",), "new"),
                    old_value,
                    new_value,
                )
        old_urls = {e.url for e in before.endpoints}
        new_urls = {e.url for e in after.endpoints}
        for url in sorted(new_urls - old_urls):
            self.add(
                Impact.FEATURE,
                "added",
                "service",
                "endpoints",
                f"new endpoint {url}",
                location=Location(here.file, ("endpoints",), "new"),
                new=url,
            )
        for url in sorted(old_urls - new_urls):
            self.add(
                Impact.BREAKING,
                "removed",
                "service",
                "endpoints",
                f"endpoint {url} removed",
                "clients configured with it can no longer connect",
                Location(here.file, ("endpoints",), "old"),
                old=url,
            )
        if before.default_url != after.default_url:
            self.add(
                Impact.FEATURE,
                "changed",
                "service",
                "endpoints",
                f"the default endpoint is now {after.default_url}",
                "clients that name no URL connect there",
                Location(here.file, ("endpoints",), "new"),
                before.default_url,
                after.default_url,
            )
        if before.description != after.description:
            self.add(
                Impact.PATCH,
                "documented",
                "service",
                "description",
                "package description revised",
                location=Location(here.file, ("description",), "new"),
            )
        envelope = (Origin(here.file, ("envelope", "request", "properties")),) * 2
        self.fields(
            before.request_envelope, after.request_envelope, Use.SENT, "request field", "envelope.request", envelope
        )
        reply = (Origin(here.file, ("envelope", "reply", "properties")),) * 2
        self.fields(
            before.reply_envelope, after.reply_envelope, Use.RECEIVED, "response field", "envelope.reply", reply
        )

    def run(self) -> SchemaDiff:
        self.service()
        self.commands()
        self.object_types()
        self.enums()
        self.errors()
        self.subscriptions()
        self.messages()
        order = {area: index for index, area in enumerate(AREAS)}
        changes = sorted(self.changes, key=lambda c: (-c.impact, order[c.area], c.subject))
        return SchemaDiff(self.old.service.version, self.new.service.version, tuple(changes))


class _Flagged(Protocol):
    """What ``_Differ.flags`` reads; every kind of definition has these attributes."""

    @property
    def deprecated(self) -> bool: ...

    @property
    def replaced_by(self) -> str | None: ...

    @property
    def description(self) -> str: ...


def _likely_renames(removed: list[Field], added: list[Field]) -> dict[str, Field]:
    """Removed and added fields of one place that are probably one field renamed: each is the only one of its
    type on its side. Maps each wire name to its counterpart (both ways)."""
    out: dict[str, Field] = {}
    for before in removed:
        same = [a for a in added if a.type == before.type]
        if len(same) == 1 and sum(1 for b in removed if b.type == before.type) == 1:
            out[before.wire_name] = same[0]
            out[same[0].wire_name] = before
    return out


def _holder(area: str, subject: str) -> str:
    """How user code names what holds a field: ``reply``, ``request`` or the type's class."""
    if area == "response field":
        return "reply"
    if area == "request field":
        return "request"
    return subject.split(".")[0]


def _positional(fields: Iterable[Field]) -> str | None:
    """The parameter a resource method takes positionally: the first required request field."""
    return next((f.python_name for f in fields if f.required), None)


def _sub_origin(origin: Origin | None, *parts: str | None) -> Origin | None:
    if origin is None:
        return None
    return Origin(origin.file, (*origin.path, *(p for p in parts if p is not None)))


def diff_apis(old: Api, new: Api) -> SchemaDiff:
    """Every difference between two API models, most severe first."""
    return _Differ(old, new).run()
