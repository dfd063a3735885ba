"""The API model (IR): a typed, frozen picture of schema/ with every cross-reference checked.

Built once by ``build.py`` and handed read-only to every emitter and template. Python names are computed
by ``naming.py`` while building and stored here, so nothing downstream derives a name on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from ..diagnostics import JsonPath


@dataclass(frozen=True)
class Origin:
    """Where a definition was written: its file and JSON path (for reports and diffs)."""

    file: str
    path: JsonPath


# --- type expressions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Primitive:
    json_type: Literal["string", "integer", "number", "boolean"]
    format: str | None = None


@dataclass(frozen=True)
class ArrayOf:
    items: TypeExpr


@dataclass(frozen=True)
class MapOf:
    values: TypeExpr
    keys: Primitive | Named = Primitive("string")


@dataclass(frozen=True)
class Named:
    """A reference to an object type or an enum, by its schema name."""

    name: str


@dataclass(frozen=True)
class AnyValue:
    pass


@dataclass(frozen=True)
class UnionOf:
    """A value the wire carries in more than one shape (``anyOf``), e.g. a polyline string or a list of points."""

    options: tuple[TypeExpr, ...]


TypeExpr = Primitive | ArrayOf | MapOf | Named | AnyValue | UnionOf


@dataclass(frozen=True)
class Constraints:
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class WireNote:
    """``x-wire`` on a field: why the schema differs from what the vendor's clients read (maintainer/wire_compare)."""

    note: str | None = None  # why; absent when x-wire only lists aliases
    ts: str | None = None  # what the TypeScript client reads, in the vendor-wire kind grammar
    cs: str | None = None  # what the C# client reads
    aliases: tuple[str, ...] = ()  # other spellings of the key accepted on receipt


@dataclass(frozen=True)
class Field:
    wire_name: str
    python_name: str
    type: TypeExpr
    required: bool
    description: str
    deprecated: bool = False
    replaced_by: str | None = None
    default: Any = None
    has_default: bool = False
    constraints: Constraints = Constraints()
    wire: WireNote | None = field(default=None, compare=False)
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FieldSet:
    """The body of a request, response or payload. ``from_type`` when it is exactly one type's fields."""

    fields: tuple[Field, ...]
    from_type: str | None = None
    # x-wire absent: vendor keys this body leaves out on purpose, with the reason (see maintainer/wire_compare.py)
    wire_absent: tuple[tuple[str, str], ...] = field(default=(), compare=False)


# --- definitions ------------------------------------------------------------------------------------

Evidence = tuple[str, ...]
CONFIRMED_EVIDENCE = frozenset(
    {"v4.17.5-ref-list", "code-literal", "source", "getting-started-article", "newer-wss-ref"}
)


def is_confirmed(evidence: Evidence) -> bool:
    return any(word in CONFIRMED_EVIDENCE for word in evidence)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    description: str
    module: str  # python module name of the section (e.g. "assets")
    resource: str  # client attribute for the section's commands that act on no object type


@dataclass(frozen=True)
class Endpoint:
    url: str
    description: str
    default: bool


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    version: str
    description: str
    endpoints: tuple[Endpoint, ...]
    frame_grammar: str
    frame_separator: str
    frame_description: str
    request_envelope: tuple[Field, ...]
    reply_envelope: tuple[Field, ...]

    @property
    def default_url(self) -> str:
        for endpoint in self.endpoints:
            if endpoint.default:
                return endpoint.url
        return self.endpoints[0].url


@dataclass(frozen=True)
class ObjectType:
    name: str
    section: str
    description: str
    fields: tuple[Field, ...]
    key: str | None = None
    owner: str | None = None
    part_of: str | None = None
    version_slot: int | None = None
    key_ref: bool = False
    source: str | None = None
    deprecated: bool = False
    replaced_by: str | None = None
    note: str | None = None
    parts: tuple[str | None, ...] = ()  # for composites: part type per v slot (None = reserved slot)
    wire_absent: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # as FieldSet.wire_absent
    origin: Origin | None = field(default=None, compare=False)

    def field(self, wire_name: str) -> Field | None:
        return next((f for f in self.fields if f.wire_name == wire_name), None)


@dataclass(frozen=True)
class EnumMember:
    name: str
    python_name: str
    value: str | int
    description: str
    deprecated: bool = False
    replaced_by: str | None = None


@dataclass(frozen=True)
class EnumType:
    name: str
    section: str
    json_type: Literal["string", "integer"]
    description: str
    members: tuple[EnumMember, ...]
    deprecated: bool = False
    replaced_by: str | None = None
    source: str | None = None
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ErrorGroup:
    """A family of error codes (errors.yaml ``groups``): one readable exception base in the package."""

    name: str
    description: str
    any_command: bool = False  # any command can end with a code of this group (said once in the docs)


@dataclass(frozen=True)
class ErrorCodeDef:
    name: str
    code: int
    group: str
    description: str
    exception_name: str
    python_name: str  # the ErrorCode enum member
    deprecated: bool = False
    replaced_by: str | None = None
    origin: Origin | None = field(default=None, compare=False)


Verb = Literal[
    "get", "list", "merge", "remove", "restore", "suspend", "revive", "multiMerge", "multiRemove", "clear", "special"
]


@dataclass(frozen=True)
class Command:
    name: str
    section: str
    verb: Verb
    object: str | None
    description: str
    evidence: Evidence
    request: FieldSet
    response: FieldSet
    errors: tuple[str, ...]
    emits: tuple[str, ...]
    resource: str
    method: str
    request_class: str
    response_class: str
    filter: str | None = None
    # the listed objects' field the filter is matched against, when its name differs from the filter's
    # (x-filter-field; getUsersListByUserGroup's userGroup matches a User's groups). Read by the emulator only.
    filter_field: str | None = None
    deprecated: bool = False
    replaced_by: str | None = None
    note: str | None = None
    origin: Origin | None = field(default=None, compare=False)

    @property
    def reply_name(self) -> str:
        return f"{self.name}Response"

    @property
    def confirmed(self) -> bool:
        return is_confirmed(self.evidence)


MessageKind = Literal["merged", "deleted", "suspended", "account", "broadcast", "sessionEnded", "connection"]


@dataclass(frozen=True)
class Message:
    name: str
    kind: MessageKind
    payload: str
    envelope: bool
    description: str
    evidence: Evidence
    event_class: str
    payload_class: str  # the pydantic class the body validates into (payload, or payload + envelope)
    subscriptions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # x-wire aliases: other names the vendor's sources give this message
    deprecated: bool = False
    replaced_by: str | None = None
    origin: Origin | None = field(default=None, compare=False)

    @property
    def confirmed(self) -> bool:
        return is_confirmed(self.evidence)


@dataclass(frozen=True)
class Subscription:
    name: str
    description: str
    object: str
    messages: tuple[str, ...]
    python_name: str  # SubscriptionType member
    retired: bool = False
    deprecated: bool = False
    replaced_by: str | None = None
    origin: Origin | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Omission:
    kind: str
    name: str
    reason: str


@dataclass(frozen=True)
class Resource:
    """A group of commands on the client: ``client.<name>.<method>()``."""

    name: str
    class_name: str
    section: str
    commands: tuple[str, ...]


@dataclass(frozen=True)
class Api:
    service: Service
    sections: tuple[Section, ...]
    types: tuple[ObjectType, ...]
    enums: tuple[EnumType, ...]
    errors: tuple[ErrorCodeDef, ...]
    commands: tuple[Command, ...]
    subscriptions: tuple[Subscription, ...]
    messages: tuple[Message, ...]
    resources: tuple[Resource, ...]
    omitted: tuple[Omission, ...] = ()
    error_groups: tuple[ErrorGroup, ...] = ()  # in the order errors.yaml declares them

    @cached_property
    def types_by_name(self) -> dict[str, ObjectType]:
        return {t.name: t for t in self.types}

    @cached_property
    def enums_by_name(self) -> dict[str, EnumType]:
        return {e.name: e for e in self.enums}

    @cached_property
    def commands_by_name(self) -> dict[str, Command]:
        return {c.name: c for c in self.commands}

    @cached_property
    def messages_by_name(self) -> dict[str, Message]:
        return {m.name: m for m in self.messages}

    @cached_property
    def errors_by_name(self) -> dict[str, ErrorCodeDef]:
        return {e.name: e for e in self.errors}

    @cached_property
    def sections_by_id(self) -> dict[str, Section]:
        return {s.id: s for s in self.sections}

    def section_of(self, type_name: str) -> str:
        if type_name in self.types_by_name:
            return self.types_by_name[type_name].section
        return self.enums_by_name[type_name].section

    def counts(self) -> dict[str, int]:
        return {
            "sections": len(self.sections),
            "commands": len(self.commands),
            "types": len(self.types),
            "enums": len(self.enums),
            "error codes": len(self.errors),
            "subscription types": len(self.subscriptions),
            "messages": len(self.messages),
            "resources": len(self.resources),
        }
