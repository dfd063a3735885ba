"""Validated documents -> the API model (IR), with every cross-reference checked.

All problems are collected and raised together (``SchemaError``), each pointing at the file, line and JSON
path where it was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from ..diagnostics import Diagnostic, JsonPath, SchemaError, did_you_mean
from ..load.documents import SchemaDocuments
from ..load.source import SourceDocument
from . import naming
from .nodes import (
    AnyValue,
    Api,
    ArrayOf,
    Command,
    Constraints,
    Endpoint,
    EnumMember,
    EnumType,
    ErrorCodeDef,
    ErrorGroup,
    Field,
    FieldSet,
    MapOf,
    Message,
    Named,
    ObjectType,
    Omission,
    Origin,
    Primitive,
    Resource,
    Section,
    Service,
    Subscription,
    TypeExpr,
    UnionOf,
    WireNote,
)
from .primitives import FORMAT_JSON_TYPE

# The group of code 0; it raises nothing, so it needs no declaration (and no exception base).
SUCCESS_GROUP = "success"
# Codes the hand-written runtime acts on by name (session over, log in again, throttling, logged out): their
# numbers come from errors.yaml like every other, so a schema without one of them cannot build.
RUNTIME_ERROR_NAMES = (
    "sessionExpired",
    "userNotLoggedIn",
    "passwordExpired",
    "sessionThrottled",
    "commandThrottled",
    "loggedOut",
)

ERROR_CODE_ENUM = "ErrorCode"
SUBSCRIPTION_TYPE_ENUM = "SubscriptionType"
REPLY_ENVELOPE_TYPE = "Reply"


class _Builder:
    def __init__(self, documents: SchemaDocuments, *, history: bool = False) -> None:
        self.docs = documents
        # A schema read from history (an old release, for a diff) is taken as it was: the authoring rules added
        # since (misfiled commands, composites in step, unique enum wire values, ...) must not make it unreadable.
        self.history = history
        # Metaschema problems of single definitions come first; the build reports its own beside them.
        self.problems: list[Diagnostic] = list(documents.problems)
        # name -> (document, json path) of every named definition, to report duplicates where they stand
        self.defined: dict[str, tuple[SourceDocument, JsonPath]] = {}

    # --- helpers ------------------------------------------------------------------------------------

    def problem(self, doc: SourceDocument, path: JsonPath, message: str) -> None:
        self.problems.append(doc.diagnostic(path, message))

    def define(self, name: str, doc: SourceDocument, path: JsonPath, what: str) -> bool:
        previous = self.defined.get(name)
        if previous is not None:
            other_doc, other_path = previous
            line, _ = other_doc.locate(other_path)
            self.problem(doc, path, f"duplicate {what} {name!r} (already defined at {other_doc.display_name}:{line})")
            return False
        self.defined[name] = (doc, path)
        return True

    @staticmethod
    def origin(doc: SourceDocument, path: JsonPath) -> Origin:
        return Origin(doc.display_name, path)

    # --- fields -------------------------------------------------------------------------------------

    def type_expr(self, raw: Mapping[str, Any], doc: SourceDocument, path: JsonPath) -> TypeExpr:
        if "anyOf" in raw:
            return UnionOf(
                tuple(self.type_expr(option, doc, (*path, "anyOf", i)) for i, option in enumerate(raw["anyOf"]))
            )
        if "$ref" in raw:
            return Named(str(raw["$ref"]))
        json_type = raw.get("type")
        if json_type is None:
            return AnyValue()
        if json_type == "array":
            return ArrayOf(self.type_expr(raw["items"], doc, (*path, "items")))
        if json_type == "object":
            names = raw.get("propertyNames", {})
            keys: Primitive | Named = Primitive("string")
            if "$ref" in names:
                keys = Named(str(names["$ref"]))
            elif "format" in names:
                key_format = str(names["format"])
                keys = Primitive(cast(Any, FORMAT_JSON_TYPE[key_format]), key_format)
            return MapOf(self.type_expr(raw["additionalProperties"], doc, (*path, "additionalProperties")), keys)
        fmt = raw.get("format")
        if (
            fmt is not None
            and FORMAT_JSON_TYPE[fmt] != json_type
            and not (json_type == "number" and FORMAT_JSON_TYPE[fmt] == "integer")
        ):
            self.problem(
                doc,
                (*path, "format"),
                f"format {fmt!r} travels as {FORMAT_JSON_TYPE[fmt]}, but the field says type {json_type!r}",
            )
        return Primitive(json_type, fmt)

    def fields(
        self, properties: Mapping[str, Any], required: Iterable[str], doc: SourceDocument, path: JsonPath
    ) -> tuple[Field, ...]:
        required_set = set(required)
        for name in sorted(required_set - set(properties)):
            hint = did_you_mean(name, properties)
            self.problem(doc, (*path, "required"), f"required field {name!r} is not among the properties{hint}")
        result = []
        seen_python: dict[str, str] = {}
        for wire_name, raw in properties.items():
            field_path = (*path, "properties", wire_name)
            python_name = raw.get("x-python-name") or naming.field_name(wire_name)
            if python_name in seen_python:
                self.problem(
                    doc,
                    field_path,
                    f"fields {seen_python[python_name]!r} and {wire_name!r} both become {python_name!r} in Python; "
                    "set x-python-name on one of them",
                )
            seen_python[python_name] = wire_name
            result.append(
                Field(
                    wire_name=wire_name,
                    python_name=python_name,
                    type=self.type_expr(raw, doc, field_path),
                    required=wire_name in required_set,
                    description=str(raw.get("description", "")),
                    deprecated=bool(raw.get("deprecated", False)),
                    replaced_by=raw.get("x-replaced-by"),
                    default=raw.get("default"),
                    has_default="default" in raw,
                    constraints=Constraints(raw.get("minimum"), raw.get("maximum"), raw.get("maxLength")),
                    wire=_wire_note(raw.get("x-wire")),
                    origin=self.origin(doc, field_path),
                )
            )
        names = {f.wire_name for f in result}
        for f in result:
            for alias in f.wire.aliases if f.wire else ():
                if alias in names:
                    self.problem(
                        doc, (*path, "properties", f.wire_name, "x-wire", "aliases"), f"alias {alias!r} is a field"
                    )
        return tuple(result)

    def field_set(self, raw: Mapping[str, Any], doc: SourceDocument, path: JsonPath) -> FieldSet:
        absent = _wire_absent(raw)
        for name, field_raw in raw.get("properties", {}).items():
            if field_raw.get("x-wire", {}).get("aliases"):  # received bodies are types; see runtime/_aliases.py
                self.problem(doc, (*path, "properties", name, "x-wire"), "x-wire aliases are supported on type fields")
        if "$ref" in raw:
            return FieldSet(fields=(), from_type=str(raw["$ref"]), wire_absent=absent)
        return FieldSet(self.fields(raw.get("properties", {}), raw.get("required", []), doc, path), wire_absent=absent)

    # --- definitions --------------------------------------------------------------------------------

    def service_and_sections(self) -> tuple[Service, tuple[Section, ...]]:
        doc = self.docs.api
        data = doc.data
        sections = tuple(
            Section(
                id=sid,
                title=str(s["title"]),
                description=str(s["description"]),
                module=naming.section_module(sid),
                resource=str(s.get("resource") or naming.section_module(sid)),
            )
            for sid, s in data["sections"].items()
        )
        envelope = data["envelope"]
        service = Service(
            name=str(data["name"]),
            package=str(data["package"]),
            version=str(data["version"]),
            description=str(data["description"]),
            endpoints=tuple(
                Endpoint(str(e["url"]), str(e["description"]), bool(e.get("default", False))) for e in data["endpoints"]
            ),
            frame_grammar=str(data["frame"]["grammar"]),
            frame_separator=str(data["frame"]["separator"]),
            frame_description=str(data["frame"]["description"]),
            request_envelope=self.fields(
                envelope["request"].get("properties", {}),
                envelope["request"].get("required", []),
                doc,
                ("envelope", "request"),
            ),
            reply_envelope=self.fields(
                envelope["reply"].get("properties", {}),
                envelope["reply"].get("required", []),
                doc,
                ("envelope", "reply"),
            ),
        )
        return service, sections

    def check_section(self, doc: SourceDocument, sections: Mapping[str, Section]) -> str:
        section = str(doc.data["section"])
        if section not in sections:
            hint = did_you_mean(section, sections) or " (sections are listed in api.yaml)"
            self.problem(doc, ("section",), f"unknown section {section!r}{hint}")
        return section

    def error_groups(self) -> tuple[ErrorGroup, ...]:
        raw_groups = self.docs.errors.data.get("groups", {})
        return tuple(
            ErrorGroup(name, str(raw["description"]), bool(raw.get("anyCommand", False)))
            for name, raw in raw_groups.items()
        )

    def errors(self, groups: tuple[ErrorGroup, ...]) -> tuple[ErrorCodeDef, ...]:
        doc = self.docs.errors
        declared = {g.name for g in groups} | {SUCCESS_GROUP}
        by_number: dict[int, str] = {}
        result = []
        for name, raw in doc.data["errors"].items():
            path = ("errors", name)
            group = str(raw["group"])
            if group not in declared and not self.history:  # groups were declared in errors.yaml only later
                hint = did_you_mean(group, declared) or " (groups are declared under `groups:` in errors.yaml)"
                self.problem(doc, (*path, "group"), f"unknown error group {group!r}{hint}")
            code = int(raw["code"])
            if code in by_number:
                self.problem(
                    doc, (*path, "code"), f"error code number {code} is used twice ({by_number[code]!r} and {name!r})"
                )
            by_number[code] = name
            self.define(name, doc, path, "error code")
            result.append(
                ErrorCodeDef(
                    name=name,
                    code=code,
                    group=group,
                    description=str(raw["description"]),
                    exception_name=naming.exception_class(name),
                    python_name=naming.enum_member_name(name),
                    deprecated=bool(raw.get("deprecated", False)),
                    replaced_by=raw.get("x-replaced-by"),
                    origin=self.origin(doc, path),
                )
            )
        for required in RUNTIME_ERROR_NAMES:
            if required not in doc.data["errors"] and not self.history:
                self.problem(
                    doc, ("errors",), f"error code {required!r} is missing: the client runtime acts on it by name"
                )
        return tuple(sorted(result, key=lambda e: e.code))

    def enums(self, sections: Mapping[str, Section]) -> list[EnumType]:
        result = []
        for doc in self.docs.enums:
            section = self.check_section(doc, sections)
            for name, raw in doc.data["enums"].items():
                path = ("enums", name)
                if not self.define(name, doc, path, "type or enum"):
                    continue
                json_type = raw.get("type", "string")
                members = []
                seen: dict[str, str] = {}
                wire_values: dict[Any, str] = {}
                for member, mraw in raw["members"].items():
                    value = mraw.get("value", member)
                    # two names for one wire value would decode as one, silently
                    if value in wire_values and not self.history:
                        at = (*path, "members", member) + (("value",) if "value" in mraw else ())
                        self.problem(
                            doc,
                            at,
                            f"members {wire_values[value]!r} and {member!r} both travel as {value!r}; "
                            "each member needs its own wire value",
                        )
                    wire_values.setdefault(value, member)
                    if json_type == "integer" and not isinstance(value, int):
                        self.problem(doc, (*path, "members", member), "integer enum members need an integer `value`")
                    if json_type == "string" and not isinstance(value, str):
                        self.problem(doc, (*path, "members", member, "value"), "string enum values must be strings")
                    python_name = mraw.get("x-python-name") or naming.enum_member_name(member)
                    if python_name in seen:
                        self.problem(
                            doc,
                            (*path, "members", member),
                            f"members {seen[python_name]!r} and {member!r} both become {python_name!r} in Python",
                        )
                    seen[python_name] = member
                    members.append(
                        EnumMember(
                            name=member,
                            python_name=python_name,
                            value=value,
                            description=str(mraw["description"]),
                            deprecated=bool(mraw.get("deprecated", False)),
                            replaced_by=mraw.get("x-replaced-by"),
                        )
                    )
                result.append(
                    EnumType(
                        name=name,
                        section=section,
                        json_type=json_type,
                        description=str(raw["description"]),
                        members=tuple(members),
                        deprecated=bool(raw.get("deprecated", False)),
                        replaced_by=raw.get("x-replaced-by"),
                        source=raw.get("x-source"),
                        origin=self.origin(doc, path),
                    )
                )
        return result

    def types(self, sections: Mapping[str, Section]) -> list[ObjectType]:
        result = []
        for doc in self.docs.types:
            section = self.check_section(doc, sections)
            for name, raw in doc.data["types"].items():
                path = ("types", name)
                if not self.define(name, doc, path, "type or enum"):
                    continue
                fields = self.fields(raw["properties"], raw.get("required", []), doc, path)
                wire_names = {f.wire_name for f in fields}
                for key in ("x-key", "x-owner"):
                    if key in raw and raw[key] not in wire_names:
                        hint = did_you_mean(str(raw[key]), wire_names)
                        self.problem(
                            doc, (*path, key), f"{key} names {raw[key]!r}, which is not a field of {name}{hint}"
                        )
                result.append(
                    ObjectType(
                        name=name,
                        section=section,
                        description=str(raw["description"]),
                        fields=fields,
                        key=raw.get("x-key"),
                        owner=raw.get("x-owner"),
                        part_of=raw.get("x-part-of"),
                        version_slot=raw.get("x-version-slot"),
                        key_ref=bool(raw.get("x-key-ref", False)),
                        source=raw.get("x-source"),
                        deprecated=bool(raw.get("deprecated", False)),
                        replaced_by=raw.get("x-replaced-by"),
                        note=raw.get("x-note"),
                        wire_absent=_wire_absent(raw),
                        origin=self.origin(doc, path),
                    )
                )
        return result

    def with_parts(self, types: list[ObjectType]) -> list[ObjectType]:
        """Give each composite its parts in ``v`` slot order, checking that slots are unique."""
        by_name = {t.name: t for t in types}
        slots: dict[str, dict[int, str]] = {}
        for t in types:
            if t.part_of is None or t.version_slot is None:
                continue
            doc, path = self.defined[t.name]
            if t.part_of not in by_name:
                if t.part_of not in self.docs.unbuilt:
                    hint = did_you_mean(t.part_of, by_name)
                    self.problem(doc, (*path, "x-part-of"), f"x-part-of names unknown type {t.part_of!r}{hint}")
                continue
            taken = slots.setdefault(t.part_of, {})
            if t.version_slot in taken:
                self.problem(
                    doc,
                    (*path, "x-version-slot"),
                    f"version slot {t.version_slot} of {t.part_of} is already owned by {taken[t.version_slot]}",
                )
            taken[t.version_slot] = t.name
        result = []
        for t in types:
            owned = slots.get(t.name)
            if owned:
                parts = tuple(owned.get(i) for i in range(max(owned) + 1))
                t = _replace(t, parts=parts)
            result.append(t)
        return result

    def subscriptions(self) -> tuple[list[Subscription], list[Message]]:
        doc = self.docs.subscriptions
        data = doc.data
        delivered_by: dict[str, list[str]] = {}
        subscriptions = []
        for name, raw in data["subscriptions"].items():
            path = ("subscriptions", name)
            if not raw["messages"]:
                self.problem(doc, (*path, "messages"), f"subscription type {name!r} delivers no messages")
            for index, message in enumerate(raw["messages"]):
                delivered_by.setdefault(message, []).append(name)
                if message not in data["messages"] and message not in self.docs.unbuilt:
                    hint = did_you_mean(message, data["messages"])
                    self.problem(doc, (*path, "messages", index), f"unknown message {message!r}{hint}")
            subscriptions.append(
                Subscription(
                    name=name,
                    description=str(raw["description"]),
                    object=str(raw["object"]),
                    messages=tuple(raw["messages"]),
                    python_name=naming.enum_member_name(name),
                    retired=bool(raw.get("retired", False)),
                    deprecated=bool(raw.get("deprecated", False)),
                    replaced_by=raw.get("x-replaced-by"),
                    origin=self.origin(doc, path),
                )
            )
        messages = []
        for name, raw in data["messages"].items():
            path = ("messages", name)
            envelope = bool(raw.get("envelope", False))
            messages.append(
                Message(
                    name=name,
                    kind=raw["kind"],
                    payload=str(raw["payload"]),
                    envelope=envelope,
                    description=str(raw["description"]),
                    evidence=tuple(raw["evidence"]),
                    event_class=naming.event_class(name),
                    payload_class=naming.envelope_payload_class(name) if envelope else str(raw["payload"]),
                    subscriptions=tuple(delivered_by.get(name, ())),
                    aliases=tuple(raw.get("x-wire", {}).get("aliases", ())),
                    deprecated=bool(raw.get("deprecated", False)),
                    replaced_by=raw.get("x-replaced-by"),
                    origin=self.origin(doc, path),
                )
            )
        return subscriptions, messages

    def commands(self, sections: Mapping[str, Section], types: Mapping[str, ObjectType]) -> list[Command]:
        result = []
        for doc in self.docs.commands:
            section = self.check_section(doc, sections)
            for name, raw in doc.data["commands"].items():
                path = ("commands", name)
                if not self.define(name, doc, path, "command"):
                    continue
                obj = raw.get("object")
                root = obj
                if obj in types and types[obj].part_of:
                    root = types[obj].part_of
                if not self.history:
                    self.check_filed(doc, path, section, obj, raw, types)
                if raw.get("x-resource"):
                    resource = str(raw["x-resource"])
                elif root is not None and root in types:
                    resource = naming.resource_name(root)
                else:
                    resource = sections[section].resource if section in sections else section
                request = self.field_set(raw["request"], doc, (*path, "request"))
                # With x-resource the command lives away from its object's resource: keep its full name.
                method_root = root if root in types and not raw.get("x-resource") else None
                method = raw.get("x-method") or naming.method_name(name, raw["verb"], obj, method_root)
                filter_field = raw.get("x-filter")
                request_names = {f.wire_name for f in request.fields}
                if filter_field and not request.from_type and filter_field not in request_names:
                    hint = did_you_mean(filter_field, request_names)
                    self.problem(
                        doc, (*path, "x-filter"), f"x-filter names {filter_field!r}, which is not a request field{hint}"
                    )
                matched = raw.get("x-filter-field")
                if matched is not None:
                    self.check_filter_field(doc, path, matched, filter_field, root, types)
                result.append(
                    Command(
                        name=name,
                        section=section,
                        verb=raw["verb"],
                        object=obj,
                        description=str(raw["description"]),
                        evidence=tuple(raw["evidence"]),
                        request=request,
                        response=self.field_set(raw["response"], doc, (*path, "response")),
                        errors=tuple(raw.get("errors", ())),
                        emits=tuple(raw.get("emits", ())),
                        resource=resource,
                        method=method,
                        request_class=naming.request_class(name),
                        response_class=naming.response_class(name),
                        filter=filter_field,
                        filter_field=matched,
                        deprecated=bool(raw.get("deprecated", False)),
                        replaced_by=raw.get("x-replaced-by"),
                        note=raw.get("x-note"),
                        origin=self.origin(doc, path),
                    )
                )
        return result

    def check_filter_field(
        self,
        doc: SourceDocument,
        path: JsonPath,
        matched: str,
        filter_field: str | None,
        root: str | None,
        types: Mapping[str, ObjectType],
    ) -> None:
        """x-filter-field names a field of the listed objects (the stored root or one of its parts), and only
        makes sense beside an x-filter."""
        where = (*path, "x-filter-field")
        if not filter_field:
            self.problem(doc, where, "x-filter-field needs an x-filter (the request field it matches)")
            return
        if root is None or root not in types:
            return  # the object itself is reported elsewhere
        names = {f.wire_name for f in types[root].fields}
        for part in types[root].parts:
            if part is not None and part in types:
                names |= {f.wire_name for f in types[part].fields}
        if matched not in names:
            hint = did_you_mean(matched, names)
            self.problem(doc, where, f"x-filter-field names {matched!r}, which is not a field of {root}{hint}")

    def check_filed(
        self,
        doc: SourceDocument,
        path: JsonPath,
        section: str,
        obj: str | None,
        raw: Mapping[str, Any],
        types: Mapping[str, ObjectType],
    ) -> None:
        """A command lives in the file of its object's section: filed elsewhere by mistake it would land in the
        wrong module and documentation page. Filing it away on purpose is said with ``x-section-reason``."""
        if obj is None or obj not in types or raw.get("x-section-reason"):
            return
        home = types[obj].section
        if home == section:
            return
        self.problem(
            doc,
            (*path, "object"),
            f"{path[-1]} acts on {obj} of section {home!r} but is filed in section {section!r}; "
            f"move it to commands/{home}.yaml (or say why it belongs here in x-section-reason)",
        )

    # --- cross-references ---------------------------------------------------------------------------

    def check_references(self, api: Api) -> None:
        """Every name a definition uses names a definition; each unknown one is reported at its own token with
        the closest known names. Definitions the metaschema refused (``unbuilt``) still count as known."""
        unbuilt = self.docs.unbuilt
        named = set(api.types_by_name) | set(api.enums_by_name)
        known_types = named | unbuilt

        def unknown(doc: SourceDocument, path: JsonPath, what: str, name: str, candidates: Iterable[str]) -> None:
            self.problem(doc, path, f"unknown {what} {name!r}{did_you_mean(name, candidates)}")

        def check_expr(expr: TypeExpr, doc: SourceDocument, path: JsonPath) -> None:
            if isinstance(expr, Named) and expr.name not in known_types:
                unknown(doc, (*path, "$ref"), "type", expr.name, named)
            elif isinstance(expr, ArrayOf):
                check_expr(expr.items, doc, (*path, "items"))
            elif isinstance(expr, MapOf):
                check_expr(expr.values, doc, (*path, "additionalProperties"))
                check_expr(expr.keys, doc, (*path, "propertyNames"))
            elif isinstance(expr, UnionOf):
                for index, option in enumerate(expr.options):
                    check_expr(option, doc, (*path, "anyOf", index))

        def check_fields(fields: Iterable[Field], doc: SourceDocument) -> None:
            for f in fields:
                assert f.origin is not None
                check_expr(f.type, doc, f.origin.path)

        check_fields(api.service.request_envelope, self.docs.api)
        check_fields(api.service.reply_envelope, self.docs.api)
        for t in api.types:
            check_fields(t.fields, self.defined[t.name][0])
        errors = set(api.errors_by_name) | unbuilt
        messages = set(api.messages_by_name) | unbuilt
        for c in api.commands:
            doc, path = self.defined[c.name]
            for part, fs in (("request", c.request), ("response", c.response)):
                check_fields(fs.fields, doc)
                if fs.from_type and fs.from_type not in api.types_by_name and fs.from_type not in unbuilt:
                    unknown(doc, (*path, part, "$ref"), "type", fs.from_type, api.types_by_name)
            if c.object and c.object not in known_types and c.object not in _SESSION_OBJECTS:
                unknown(doc, (*path, "object"), "type", c.object, named | _SESSION_OBJECTS)
            for index, error in enumerate(c.errors):
                if error not in errors:
                    unknown(doc, (*path, "errors", index), "error code", error, api.errors_by_name)
            for index, message in enumerate(c.emits):
                if message not in messages:
                    unknown(doc, (*path, "emits", index), "message", message, api.messages_by_name)
        sdoc = self.docs.subscriptions
        for m in api.messages:
            if m.payload not in api.types_by_name and m.payload not in unbuilt:
                unknown(sdoc, ("messages", m.name, "payload"), "type", m.payload, api.types_by_name)
        subscriptions = {s.name for s in api.subscriptions}
        for s in api.subscriptions:
            if s.object not in known_types:
                unknown(sdoc, ("subscriptions", s.name, "object"), "type", s.object, named)
            if s.replaced_by and s.replaced_by not in subscriptions | unbuilt and not self.history:
                at: JsonPath = ("subscriptions", s.name, "x-replaced-by")
                unknown(sdoc, at, "subscription type", s.replaced_by, subscriptions)
        if not self.history:
            self.check_authoring(api)
        self.check_python_names(api)

    def check_authoring(self, api: Api) -> None:
        """Rules for a schema being written (skipped for one read from history): replacement names, enum
        defaults and composites in step with their parts."""
        for e in api.enums:
            if e.origin is None:
                continue  # ErrorCode and SubscriptionType are built from errors.yaml and subscriptions.yaml
            doc = self._doc_by_name(e.origin.file)
            members = {m.name for m in e.members}
            for member in e.members:
                if member.replaced_by and member.replaced_by not in members:
                    at = (*e.origin.path, "members", member.name, "x-replaced-by")
                    self.problem(
                        doc,
                        at,
                        f"unknown member of {e.name} {member.replaced_by!r}{did_you_mean(member.replaced_by, members)}",
                    )
        self.check_defaults(api)
        self.check_composites(api)

    def check_defaults(self, api: Api) -> None:
        """A default of an enum field must be one of its members' wire values."""
        for owner, fields in _all_field_sets(api):
            for f in fields:
                enum = api.enums_by_name.get(f.type.name) if isinstance(f.type, Named) else None
                if enum is None or not f.has_default or f.default is None or f.origin is None:
                    continue
                values = [m.value for m in enum.members]
                if f.default not in values:
                    shown = [str(v) for v in values]
                    hint = did_you_mean(str(f.default), shown)
                    self.problem(
                        self._doc_by_name(f.origin.file),
                        (*f.origin.path, "default"),
                        f"default {f.default!r} of {owner} is not a member of {enum.name}{hint}",
                    )

    def check_composites(self, api: Api) -> None:
        """A composite carries its parts' fields (a part it nests as one field, like ``dispatch``, excepted):
        a field added to a part and forgotten on the composite is reported where the part defines it."""
        for composite in api.types:
            if not composite.parts:
                continue
            have = {f.wire_name: f for f in composite.fields}
            nested = {f.type.name for f in composite.fields if isinstance(f.type, Named)}
            doc, path = self.defined[composite.name]
            raw = doc.data["types"].get(composite.name, {})
            left_out = set(raw.get("x-leaves-out", ()))
            part_fields: set[str] = set()
            for part_name in composite.parts:
                part = api.types_by_name.get(part_name or "")
                if part is None or part.name in nested:
                    continue
                for f in part.fields:
                    part_fields.add(f.wire_name)
                    if f.wire_name in left_out or f.origin is None:
                        continue
                    there = have.get(f.wire_name)
                    part_doc = self._doc_by_name(f.origin.file)
                    if there is None:
                        self.problem(
                            part_doc,
                            f.origin.path,
                            f"field {f.wire_name!r} of {part.name} is missing from its composite {composite.name}; "
                            f"add it there too (or list it in {composite.name}'s x-leaves-out)",
                        )
                    elif not _same_shape(there.type, f.type):
                        self.problem(
                            part_doc,
                            f.origin.path,
                            f"field {f.wire_name!r} of {part.name} is {_shown(f.type)} but {_shown(there.type)} on "
                            f"its composite {composite.name}; give both the same type",
                        )
            for name in sorted(left_out - part_fields):
                self.problem(
                    doc,
                    (*path, "x-leaves-out"),
                    f"x-leaves-out names {name!r}, which no part of {composite.name} has"
                    + did_you_mean(name, part_fields - set(have)),
                )

    def check_python_names(self, api: Api) -> None:
        """Names that would collide in the generated package."""
        classes: dict[str, str] = {}
        for name in (*api.types_by_name, *api.enums_by_name):
            classes[name] = f"type {name}"
            if name in naming.RESERVED_CLASS_NAMES and name in self.defined:
                doc, path = self.defined[name]
                self.problem(
                    doc, path, f"{name!r} cannot be a class name in Python code (keyword or import); rename it"
                )
        for c in api.commands:
            doc, path = self.defined[c.name]
            for cls in (c.request_class, c.response_class):
                if cls in classes:
                    self.problem(doc, path, f"class {cls} of command {c.name!r} collides with {classes[cls]}")
                classes[cls] = f"command {c.name}"
        raising = [e for e in api.errors if e.group != "success"]
        exceptions = {naming.error_base_class(e.group): f"error group {e.group}" for e in raising}
        for e in raising:
            if e.exception_name in exceptions:
                doc = self.docs.errors
                self.problem(
                    doc,
                    ("errors", e.name),
                    f"exception {e.exception_name} collides with {exceptions[e.exception_name]}",
                )
            exceptions[e.exception_name] = f"error code {e.name}"
        for m in api.messages:
            if m.envelope and m.payload_class in classes:
                self.problem(
                    self.docs.subscriptions,
                    ("messages", m.name),
                    f"class {m.payload_class} collides with {classes[m.payload_class]}",
                )
        for r in api.resources:
            seen: dict[str, str] = {}
            for name in r.commands:
                c = api.commands_by_name[name]
                if c.method in seen:
                    doc, path = self.defined[name]
                    self.problem(
                        doc,
                        path,
                        f"commands {seen[c.method]!r} and {name!r} both become client.{r.name}.{c.method}(); "
                        "set x-method on one of them",
                    )
                seen[c.method] = name
        # datamodel-code-generator takes one global wire -> python alias map, so a wire name must map to one name.
        aliases: dict[str, tuple[str, str]] = {}
        for owner, fields in _all_field_sets(api):
            for f in fields:
                previous = aliases.setdefault(f.wire_name, (f.python_name, owner))
                if previous[0] != f.python_name and f.origin is not None:
                    doc = self._doc_by_name(f.origin.file)
                    self.problem(
                        doc,
                        f.origin.path,
                        f"field {f.wire_name!r} is {f.python_name!r} here but {previous[0]!r} in {previous[1]}; "
                        "a wire name must have one Python name",
                    )

    def _doc_by_name(self, display_name: str) -> SourceDocument:
        docs = [
            self.docs.api,
            self.docs.errors,
            self.docs.subscriptions,
            *self.docs.enums,
            *self.docs.types,
            *self.docs.commands,
        ]
        return next(d for d in docs if d.display_name == display_name)

    # --- the whole model ----------------------------------------------------------------------------

    def build(self) -> Api:
        service, sections = self.service_and_sections()
        sections_by_id = {s.id: s for s in sections}
        error_groups = self.error_groups()
        errors = self.errors(error_groups)
        enums = self.enums(sections_by_id)
        types = self.with_parts(self.types(sections_by_id))
        subscriptions, messages = self.subscriptions()
        enums = self.with_derived_enums(enums, errors, subscriptions)
        commands = self.commands(sections_by_id, {t.name: t for t in types})
        resources = _resources(commands)
        omitted: tuple[Omission, ...] = ()
        if self.docs.omitted is not None:
            omitted = tuple(
                Omission(str(o["kind"]), str(o["name"]), str(o["reason"])) for o in self.docs.omitted.data["omitted"]
            )
        api = Api(
            service=service,
            sections=sections,
            types=tuple(types),
            enums=tuple(enums),
            errors=errors,
            commands=tuple(commands),
            subscriptions=tuple(subscriptions),
            messages=tuple(messages),
            resources=resources,
            omitted=omitted,
            error_groups=error_groups,
        )
        self.check_references(api)
        if self.problems:
            raise SchemaError(self.problems)
        return api

    def with_derived_enums(
        self, enums: list[EnumType], errors: tuple[ErrorCodeDef, ...], subscriptions: list[Subscription]
    ) -> list[EnumType]:
        """ErrorCode comes from errors.yaml and SubscriptionType from subscriptions.yaml: one source each."""
        derived = [
            EnumType(
                name=ERROR_CODE_ENUM,
                section="api",
                json_type="integer",
                description="Result of a command: 0 for success, otherwise the reason it failed.",
                members=tuple(
                    EnumMember(e.name, e.python_name, e.code, e.description, e.deprecated, e.replaced_by)
                    for e in errors
                ),
            ),
            EnumType(
                name=SUBSCRIPTION_TYPE_ENUM,
                section="api",
                json_type="string",
                description="A kind of change a session can subscribe to for a company.",
                members=tuple(
                    EnumMember(s.name, s.python_name, s.name, s.description, s.deprecated or s.retired, s.replaced_by)
                    for s in subscriptions
                ),
            ),
        ]
        for enum in derived:
            if enum.name in self.defined:
                doc, path = self.defined[enum.name]
                source = "errors.yaml" if enum.name == ERROR_CODE_ENUM else "subscriptions.yaml"
                self.problem(doc, path, f"{enum.name} is built from {source}; do not define it in enums/")
        return [*derived, *enums]


_SESSION_OBJECTS = frozenset({"Self", "Session", "Subscription"})


def _wire_note(raw: Mapping[str, Any] | None) -> WireNote | None:
    """A field's ``x-wire``; only its note explains a difference (aliases alone are not an explanation)."""
    if not raw:
        return None
    note = raw.get("note")
    return WireNote(None if note is None else str(note), raw.get("ts"), raw.get("cs"), tuple(raw.get("aliases", ())))


def _wire_absent(raw: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in raw.get("x-wire", {}).get("absent", {}).items()))


def _same_shape(a: TypeExpr, b: TypeExpr) -> bool:
    """Equal types; maps compare by their values (a key format is the same ``str`` in Python and on the wire)."""
    if isinstance(a, MapOf) and isinstance(b, MapOf):
        return _same_shape(a.values, b.values)
    return a == b


def _shown(expr: TypeExpr) -> str:
    if isinstance(expr, Primitive):
        return expr.format or expr.json_type
    if isinstance(expr, Named):
        return expr.name
    if isinstance(expr, ArrayOf):
        return f"a list of {_shown(expr.items)}"
    if isinstance(expr, MapOf):
        return f"a map of {_shown(expr.values)}"
    if isinstance(expr, UnionOf):
        return " or ".join(_shown(option) for option in expr.options)
    return "any value"


def _all_field_sets(api: Api) -> Iterable[tuple[str, tuple[Field, ...]]]:
    yield "the request envelope", api.service.request_envelope
    yield "the reply envelope", api.service.reply_envelope
    for t in api.types:
        yield f"type {t.name}", t.fields
    for c in api.commands:
        yield f"{c.name} request", c.request.fields
        yield f"{c.name} response", c.response.fields


def _resources(commands: list[Command]) -> tuple[Resource, ...]:
    grouped: dict[str, list[Command]] = {}
    for c in commands:
        grouped.setdefault(c.resource, []).append(c)
    return tuple(
        Resource(
            name=name,
            class_name=naming.resource_class(name),
            section=cmds[0].section,
            commands=tuple(c.name for c in cmds),
        )
        for name, cmds in sorted(grouped.items())
    )


def _replace(obj: ObjectType, **changes: Any) -> ObjectType:
    from dataclasses import replace

    return replace(obj, **changes)


def build_api(documents: SchemaDocuments, *, history: bool = False) -> Api:
    builder = _Builder(documents, history=history)
    try:
        return builder.build()
    except (KeyError, TypeError, ValueError, AttributeError, AssertionError):
        # Built around definitions the metaschema refused, something the build relies on may be absent: the
        # problems found so far (those refusals first) are the report; without them this is a generator bug.
        if not documents.problems:
            raise
        raise SchemaError(builder.problems) from None
