"""How much of the reference catalogue the schema describes: ``python -m generator coverage [CATALOGUE]``.

The catalogue (``commands.json``, ``objects.json``, ``enums.json``, ``subscriptions.json``) is compared with the
built API model (the IR from ``pipeline.load_api``), never with the YAML text, so the report judges what the
generator will actually emit. Every catalogue entry ends in one of four states:

- ``ok``: the schema has it, with the same wire names, field names and types, key, ``v`` part order, enum members
  and numbers, and the catalogue's evidence words;
- ``omitted``: ``schema/omitted.yaml`` leaves it (or one of its fields or members) out with a reason;
- ``different``: the schema has it but disagrees on something the catalogue states;
- ``missing``: the schema does not have it and no omission explains why.

``ok`` and ``omitted`` count as covered. The schema leads the catalogue (the vendor adds to the API after the
catalogue was written), so whatever the schema has and the catalogue lacks (commands, types, fields, enums and
members, error codes, subscriptions, messages; SDK helper types and derived payloads too) is listed as
``schema only`` for information and never fails the report; an ``omitted.yaml`` entry may give its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..ir.nodes import AnyValue, Api, ArrayOf, Field, MapOf, Named, ObjectType, Primitive, TypeExpr

Status = Literal["ok", "omitted", "different", "missing"]
COLUMNS = ("catalogue", "schema", "omitted", "missing", "different", "schema only")
KINDS = (
    "sections",
    "commands",
    "types",
    "fields",
    "enums",
    "enum members",
    "error codes",
    "subscriptions",
    "messages",
)
SUBSCRIPTION_TYPE = "SubscriptionType"

# Catalogue section names that are spelled differently from a schema section title.
SECTION_ALIASES = {"API Definitions (socket)": "API Definitions", "Contacts": "Users and Groups"}

# Catalogue message kinds -> IR message kinds.
MESSAGE_KINDS = {"Merged": "merged", "Deleted": "deleted", "Suspended": "suspended"}

# The envelope every reply and enveloped message carries (described once in api.yaml, not per payload).
_SHAPE = re.compile(r"^\s*\{(?P<body>[^{}]*)\}")
_V_SLOT = re.compile(r"^v\[(\d+)\]$")


class CatalogueError(Exception):
    """The catalogue folder is absent or a file in it is unreadable."""


# --- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One disagreement inside an entry. ``subject`` names what an omission must name to excuse it."""

    text: str
    subject: tuple[str, str] | None = None  # (omission kind, omission name)
    omitted: str | None = None  # the reason, once an omission excuses it


@dataclass
class Entry:
    kind: str
    section: str
    name: str
    status: Status = "ok"
    issues: list[Issue] = field(default_factory=list)
    reason: str | None = None  # why the whole entry is omitted

    @property
    def covered(self) -> bool:
        return self.status in ("ok", "omitted")


@dataclass
class Report:
    catalogue: str
    entries: list[Entry]
    schema_only: list[tuple[str, str, str]]  # (kind, section, name)
    unused_omissions: list[tuple[str, str]]  # (kind, name) in omitted.yaml that match nothing in the catalogue
    retired: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, name, how the schema marks it)
    schema_only_reasons: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> omitted.yaml

    @property
    def covered(self) -> int:
        return sum(1 for e in self.entries if e.covered)

    @property
    def ok(self) -> bool:
        return self.covered == len(self.entries)

    def table(self) -> dict[str, dict[str, dict[str, int]]]:
        """section -> kind -> {catalogue, schema, omitted, missing, different, schema only}.

        ``schema`` counts catalogue entries the schema has (``ok`` or ``different``); ``schema only`` what the
        schema adds."""
        out: dict[str, dict[str, dict[str, int]]] = {}

        def row(section: str, kind: str) -> dict[str, int]:
            return out.setdefault(section, {}).setdefault(kind, dict.fromkeys(COLUMNS, 0))

        for entry in self.entries:
            counts = row(entry.section, entry.kind)
            counts["catalogue"] += 1
            if entry.status in ("ok", "different"):
                counts["schema"] += 1
            if entry.status != "ok":
                counts[entry.status] += 1
        for kind, section, _ in self.schema_only:
            row(section, kind)["schema only"] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "catalogue": self.catalogue,
            "covered": self.covered,
            "total": len(self.entries),
            "ok": self.ok,
            "table": self.table(),
            "entries": [asdict(e) for e in self.entries if e.status != "ok" or any(i.omitted for i in e.issues)],
            "schema_only": [
                {"kind": k, "section": s, "name": n, "reason": self.schema_only_reasons.get((k, n))}
                for k, s, n in self.schema_only
            ],
            "unused_omissions": [{"kind": k, "name": n} for k, n in self.unused_omissions],
            "retired": [{"kind": k, "name": n, "schema": how} for k, n, how in self.retired],
        }


# --- catalogue type strings -----------------------------------------------------------------------------------


def split_map(text: str) -> tuple[str, str] | None:
    """``Map<K,V>`` -> (K, V), respecting nested angle brackets."""
    inner = text[len("Map<") : -1]
    depth = 0
    for i, ch in enumerate(inner):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            return inner[:i].strip(), inner[i + 1 :].strip()
    return None


class TypeReader:
    """Reads the catalogue's type strings (``ulong``, ``codified[]``, ``Map<ulong,AssetPlaceStatus>``, ``Asset``).

    Primitive formats come from the catalogue's own ``primitives`` table: an unsigned or signed "integer" is an
    integer format, any other number a number format, strings keep their format name.
    """

    def __init__(self, primitives: Mapping[str, Mapping[str, str]]):
        self.primitives: dict[str, TypeExpr] = {"boolean": Primitive("boolean"), "string": Primitive("string")}
        for name, spec in primitives.items():
            base = spec.get("base", "")
            if name in self.primitives:
                continue
            if name == "any" or "|" in base:
                self.primitives[name] = AnyValue()
            elif base == "number":
                json_type = "integer" if "integer" in spec.get("format", "") else "number"
                self.primitives[name] = Primitive(json_type, name)  # type: ignore[arg-type]
            elif base == "string":
                self.primitives[name] = Primitive("string", name)

    def read(self, text: str) -> TypeExpr | None:
        """The type a catalogue string names, or None when the text is not a type expression."""
        t = text.strip()
        if t.endswith("[]"):
            inner = self.read(t[:-2])
            return ArrayOf(inner) if inner is not None else None
        if t.startswith("Map<") and t.endswith(">"):
            parts = split_map(t)
            if parts is None:
                return None
            keys, values = self.read(parts[0]), self.read(parts[1])
            if values is None or not isinstance(keys, Primitive | Named):
                return None
            return MapOf(values, keys)
        if t in self.primitives:
            return self.primitives[t]
        if re.fullmatch(r"[A-Z][A-Za-z0-9]*", t) and not t.startswith("Param"):
            return Named(t)  # ``Param…`` names are TS request classes, not catalogue types
        return None


def split_top(text: str) -> list[str]:
    """Split on commas outside angle brackets: ``a: Map<string,string>, b`` -> two parts."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"<": 1, ">": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def show(expr: TypeExpr) -> str:
    """An IR type written the catalogue's way, for messages."""
    if isinstance(expr, Primitive):
        return expr.format or expr.json_type
    if isinstance(expr, ArrayOf):
        return f"{show(expr.items)}[]"
    if isinstance(expr, MapOf):
        return f"Map<{show(expr.keys)},{show(expr.values)}>"
    if isinstance(expr, Named):
        return expr.name
    return "any"


def strip_remark(text: str) -> str:
    """``boolean (optional, default true)`` -> ``boolean``."""
    return re.sub(r"\s*\(.*$", "", text).strip()


# --- the comparison -------------------------------------------------------------------------------------------


class Coverage:
    def __init__(self, api: Api, catalogue: Path):
        self.api = api
        self.catalogue = catalogue
        self.commands_json = _read(catalogue / "commands.json")
        self.objects_json = _read(catalogue / "objects.json")
        self.enums_json = _read(catalogue / "enums.json")
        self.subscriptions_json: list[dict[str, Any]] = _read(catalogue / "subscriptions.json")
        self.types = TypeReader(self.objects_json.get("primitives", {}))
        self.omissions = {(o.kind, o.name): o.reason for o in api.omitted}
        self.used_omissions: set[tuple[str, str]] = set()
        self.sections_by_title = {s.title: s.id for s in api.sections}
        self.entries: list[Entry] = []
        self.retired: list[tuple[str, str, str]] = []
        self.schema_only: list[tuple[str, str, str]] = []
        self.schema_only_reasons: dict[tuple[str, str], str] = {}

    # -- helpers ------------------------------------------------------------------------------------------------

    def section_id(self, catalogue_section: str | None) -> str:
        if catalogue_section is None:
            return "-"
        title = SECTION_ALIASES.get(catalogue_section, catalogue_section)
        return self.sections_by_title.get(title, f"? {catalogue_section}")

    def section_of(self, type_name: str | None) -> str:
        if type_name and type_name in self.api.types_by_name:
            return self.api.types_by_name[type_name].section
        if type_name and type_name in self.api.enums_by_name:
            return self.api.enums_by_name[type_name].section
        return "-"

    def omission(self, kind: str, name: str) -> str | None:
        reason = self.omissions.get((kind, name))
        if reason is not None:
            self.used_omissions.add((kind, name))
        return reason

    def finish(self, entry: Entry, present: bool) -> Entry:
        """Settle an entry's status from presence, its issues and the omissions that excuse them."""
        reason = self.omission(_OMISSION_KIND[entry.kind], entry.name)
        if not present:
            entry.status = "omitted" if reason is not None else "missing"
            entry.reason = reason
        else:
            settled = []
            for issue in entry.issues:
                why = self.omission(*issue.subject) if issue.subject else None
                settled.append(Issue(issue.text, issue.subject, why) if why is not None else issue)
            entry.issues = settled
            if any(i.omitted is None for i in entry.issues):
                entry.status = "different"
        self.entries.append(entry)
        return entry

    def type_text(self, expected: TypeExpr, actual: TypeExpr) -> str | None:
        if expected == actual:
            return None
        return f"catalogue type {show(expected)}, schema type {show(actual)}"

    def compare_fields(
        self,
        where: str,
        catalogue: Mapping[str, str],
        schema: Iterable[Field],
        *,
        subject: str,
        section: str = "-",
        exact: bool = True,
    ) -> Iterator[Issue]:
        """Catalogue fields the schema lacks and, where the catalogue text is a type, field types; with ``exact``,
        the fields only the schema has are listed as schema only.

        ``catalogue`` maps wire names to catalogue type text. Each issue names ``<subject>.<field>`` so that a
        ``field`` omission can excuse exactly that field.
        """
        fields = {f.wire_name: f for f in schema}
        for name, text in catalogue.items():
            fid = ("field", f"{subject}.{name}")
            got = fields.get(name)
            if got is None:
                yield Issue(f"{where} field `{name}` missing", fid)
                continue
            for problem in self.compare_value(text, got.type):
                yield Issue(f"{where} field `{name}`: {problem}", fid)
        if exact:
            # The schema leads the catalogue: a field the vendor added since is listed, never a failure.
            for name in sorted(fields.keys() - catalogue.keys()):
                self.add_schema_only("fields", section, f"{subject}.{name}")

    def compare_value(self, text: str, actual: TypeExpr) -> Iterator[str]:
        """Compare a catalogue value text with an IR type. Free text the catalogue uses for shapes is read too:
        ``{id: ulong}`` (an object with those keys), ``[{...}]`` (a list of them), ``ParamXMerge`` (type X)."""
        text = text.strip()
        listed = text.startswith("[{") or bool(re.match(r"^\{[^{}]*\}\[\]", text))
        shape = _SHAPE.match(text[1:] if text.startswith("[{") else text)
        if shape:
            if listed:
                if not isinstance(actual, ArrayOf):
                    yield f"catalogue gives a list of objects, schema type {show(actual)}"
                    return
                actual = actual.items
            yield from self.compare_shape(shape.group("body"), actual)
            return
        merge = re.match(r"^(?:Param(\w+)Merge|(\w+) merge fields)(\[\])?", text)
        if merge:
            target: TypeExpr = Named(merge.group(1) or merge.group(2))
            expected = ArrayOf(target) if merge.group(3) else target
            if (problem := self.type_text(expected, actual)) is not None:
                yield problem
            return
        expected_type = self.types.read(strip_remark(text))
        if expected_type is None:
            head = strip_remark(text).split(" ", 1)[0]
            head_type = self.types.read(head)
            expected_type = head_type if isinstance(head_type, Primitive) else None
        if expected_type is None:
            return  # free text the catalogue does not state as a type: names are all we can compare
        remark = text[len(strip_remark(text)) :]
        if (
            expected_type == Primitive("string")
            and isinstance(actual, Primitive)
            and actual.json_type == "string"
            and actual.format is not None
            and re.search(rf"\b{re.escape(actual.format)}\b", remark)
        ):
            return  # ``string (required; email)``: the remark names the format the schema uses
        if (problem := self.type_text(expected_type, actual)) is not None:
            yield problem

    def compare_shape(self, body: str, actual: TypeExpr) -> Iterator[str]:
        """``id: ulong, company: ulong`` against the named object type the schema uses for it."""
        if not isinstance(actual, Named) or actual.name not in self.api.types_by_name:
            yield f"catalogue gives an object {{{body.strip()}}}, schema type {show(actual)}"
            return
        fields = {f.wire_name: f for f in self.api.types_by_name[actual.name].fields}
        keys: dict[str, str | None] = {}
        for part in split_top(body):
            key, _, key_type = part.partition(":")
            key = key.strip().rstrip("?")
            if key:
                keys[key] = key_type.strip() or None
        for name, wire_type in keys.items():
            if name not in fields:
                yield f"{actual.name} lacks key `{name}` of the catalogue's {{{body.strip()}}}"
            elif wire_type is not None:
                expected = self.types.read(strip_remark(wire_type))
                if expected is not None and expected != fields[name].type:
                    yield f"{actual.name}.{name}: catalogue type {show(expected)}, schema {show(fields[name].type)}"
        extra = sorted(fields.keys() - keys.keys())
        if extra:
            yield f"{actual.name} has keys the catalogue's {{{body.strip()}}} lacks: {', '.join(extra)}"

    def compare_evidence(self, entry: Entry, catalogue: Iterable[str], schema: Iterable[str]) -> None:
        lost = [word for word in catalogue if word not in set(schema)]
        if lost:
            entry.issues.append(Issue(f"evidence {', '.join(lost)} not recorded (schema: {', '.join(schema)})"))

    # -- sections -----------------------------------------------------------------------------------------------

    def check_sections(self) -> None:
        names: list[str] = []
        for group in (self.commands_json.get("commands", []), self.objects_json.get("objects", {}).values()):
            for item in group:
                if item.get("section") and item["section"] not in names:
                    names.append(item["section"])
        for name in names:
            sid = self.section_id(name)
            self.finish(Entry("sections", sid if not sid.startswith("?") else "-", name), not sid.startswith("?"))

    # -- commands -----------------------------------------------------------------------------------------------

    def check_commands(self) -> None:
        for spec in self.commands_json.get("commands", []):
            name = spec["name"]
            entry = Entry("commands", self.section_id(spec.get("section")), name)
            command = self.api.commands_by_name.get(name)
            if command is None:
                self.finish(entry, False)
                continue
            if command.section != entry.section:
                entry.issues.append(Issue(f"section {command.section}, catalogue {entry.section}"))
            if command.verb != spec["verb"]:
                entry.issues.append(Issue(f"verb {command.verb}, catalogue {spec['verb']}"))
            wanted_object = spec.get("object")
            if wanted_object in self.api.types_by_name and command.object != wanted_object and name != "noop":
                entry.issues.append(Issue(f"object {command.object}, catalogue {wanted_object}"))
            self.compare_evidence(entry, spec.get("evidence", []), command.evidence)
            entry.issues += self.compare_fields(
                "request",
                spec.get("request", {}),
                command.request.fields,
                subject=f"{name}.request",
                section=command.section,
            )
            response = command.response.fields
            if command.response.from_type:
                response = self.api.types_by_name[command.response.from_type].fields
            entry.issues += self.compare_fields(
                "response", spec.get("response", {}), response, subject=f"{name}.response", section=command.section
            )
            self.finish(entry, True)
        for spec in self.commands_json.get("unresolved_payloads", []):
            self.finish(Entry("commands", self.section_of(spec.get("object")), spec["ts_payload"]), False)

    # -- object types -------------------------------------------------------------------------------------------

    def check_types(self) -> None:
        objects: dict[str, dict[str, Any]] = self.objects_json.get("objects", {})
        part_lists = {name: spec["parts"] for name, spec in objects.items() if spec.get("parts")}
        for name, spec in objects.items():
            entry = Entry("types", self.section_id(spec.get("section")), name)
            found = self.api.types_by_name.get(name)
            if found is None:
                self.finish(entry, False)
                continue
            if found.section != entry.section:
                entry.issues.append(Issue(f"section {found.section}, catalogue {entry.section}"))
            fields = {fname: f["type"] for fname, f in spec.get("fields", {}).items()}
            entry.issues += self.compare_fields("", fields, found.fields, subject=name, section=found.section)
            if spec.get("key") and found.key != spec["key"]:
                entry.issues.append(Issue(f"key {found.key}, catalogue {spec['key']}", ("field", f"{name}.key")))
            entry.issues += self.compare_parts(found, part_lists.get(name), spec.get("version_index"), part_lists)
            self.finish(entry, True)
        for name, spec in self.objects_json.get("legacy_objects", {}).items():
            entry = Entry("types", self.section_id(spec.get("section")), f"legacy_objects.{name}")
            successor = spec.get("superseded_by")
            self.retired.append(("legacy shape", name, f"merged into {successor}" if successor else "left out"))
            if successor and successor not in self.api.types_by_name:
                self.finish(entry, True).status = "missing"  # nothing to merge into: the shape is lost
                continue
            self.finish(entry, False)

    def compare_parts(
        self, found: ObjectType, parts: list[str] | None, version_index: str | None, part_lists: Mapping[str, Any]
    ) -> Iterator[Issue]:
        """A composite's ``v`` order, and each part's slot in it."""
        if parts is not None:
            expected = tuple(p if p in self.api.types_by_name else None for p in parts)
            if found.parts != expected:
                shown = ", ".join(p or "(reserved)" for p in found.parts) or "none"
                yield Issue(f"`v` part order [{shown}], catalogue [{', '.join(parts)}]")
        owner = next((c for c, ps in part_lists.items() if found.name in ps), None)
        if owner is None:
            return
        if found.part_of != owner:
            yield Issue(f"part of {found.part_of}, catalogue lists it among the parts of {owner}")
        slot = _V_SLOT.match((version_index or "").rstrip("?"))
        if slot and found.version_slot != int(slot.group(1)):
            yield Issue(f"version slot {found.version_slot}, catalogue {version_index}")

    # -- enums, error codes ---------------------------------------------------------------------------------------

    def check_enums(self) -> None:
        for name, spec in self.enums_json.items():
            if name == "ErrorCode":
                self.check_errors(spec)
                continue
            found = self.api.enums_by_name.get(name)
            section = found.section if found else "-"
            entry = Entry("enums", section, name)
            if found is None:
                self.finish(entry, False)
                continue
            wanted_type = "integer" if spec.get("kind") == "number" else "string"
            if found.json_type != wanted_type:
                entry.issues.append(Issue(f"travels as {found.json_type}, catalogue {wanted_type}"))
            if spec.get("superseded_by"):
                self.note_retired("enum", name, found.deprecated, found.replaced_by)
                if not found.deprecated or found.replaced_by != spec["superseded_by"]:
                    entry.issues.append(
                        Issue(
                            f"superseded by {spec['superseded_by']} in the catalogue; schema: "
                            f"deprecated={found.deprecated}, replaced by {found.replaced_by}"
                        )
                    )
            members = {m.name: m for m in found.members}
            obsolete = set(spec.get("obsolete", []))
            for member, value in spec.get("values", {}).items():
                m_entry = Entry("enum members", section, f"{name}.{member}")
                got = members.get(member)
                if got is None:
                    self.finish(m_entry, False)
                    continue
                if got.value != value:
                    m_entry.issues.append(Issue(f"value {got.value!r}, catalogue {value!r}"))
                if member in obsolete:
                    self.note_retired("enum member", f"{name}.{member}", got.deprecated, got.replaced_by)
                    if not got.deprecated:
                        m_entry.issues.append(Issue("obsolete in the catalogue but not deprecated"))
                self.finish(m_entry, True)
            if name != SUBSCRIPTION_TYPE:  # its members are the subscriptions, compared on their own
                for member in sorted(members.keys() - spec.get("values", {}).keys()):
                    self.add_schema_only("enum members", section, f"{name}.{member}")
            self.finish(entry, True)

    def check_errors(self, spec: Mapping[str, Any]) -> None:
        obsolete = set(spec.get("obsolete", []))
        for name, code in spec.get("values", {}).items():
            entry = Entry("error codes", "api", name)
            found = self.api.errors_by_name.get(name)
            if found is None:
                self.finish(entry, False)
                continue
            if found.code != code:
                entry.issues.append(Issue(f"number {found.code}, catalogue {code}"))
            if name in obsolete:
                self.note_retired("error code", name, found.deprecated, found.replaced_by)
                if not found.deprecated:
                    entry.issues.append(Issue("obsolete in the catalogue but not deprecated"))
            self.finish(entry, True)
        known = set(spec.get("values", {}))
        for error in self.api.errors:
            if error.name not in known:
                self.add_schema_only("error codes", "api", error.name)

    # -- subscriptions and messages ------------------------------------------------------------------------------

    def check_subscriptions(self) -> None:
        for spec in self.subscriptions_json:
            name = spec["type"]
            found = next((s for s in self.api.subscriptions if s.name == name), None)
            entry = Entry("subscriptions", self.section_of(spec.get("object")), name)
            if found is None:
                self.finish(entry, False)
                continue
            if found.object != spec.get("object"):
                entry.issues.append(Issue(f"object {found.object}, catalogue {spec.get('object')}"))
            if list(found.messages) != list(spec.get("messages", [])):
                entry.issues.append(
                    Issue(f"messages [{', '.join(found.messages)}], catalogue [{', '.join(spec.get('messages', []))}]")
                )
            if spec.get("retired") and not found.retired:
                entry.issues.append(Issue("retired in the catalogue, not in the schema"))
            if spec.get("retired") or spec.get("obsolete"):
                self.note_retired("subscription", name, found.deprecated, found.replaced_by)
            if (spec.get("retired") or spec.get("obsolete")) and not found.deprecated:
                entry.issues.append(Issue("retired in the catalogue but not deprecated in the schema"))
            self.finish(entry, True)

    def check_messages(self) -> None:
        for spec in self.commands_json.get("sync_messages", []):
            name = spec["name"]
            entry = Entry("messages", self.section_of(spec.get("object")), name)
            found = self.api.messages_by_name.get(name)
            if found is None:
                self.finish(entry, False)
                continue
            wanted_kind = MESSAGE_KINDS.get(spec.get("kind", ""), spec.get("kind"))
            if found.kind != wanted_kind and found.kind != "account":
                entry.issues.append(Issue(f"kind {found.kind}, catalogue {wanted_kind}"))
            self.compare_evidence(entry, spec.get("evidence", []), found.evidence)
            for problem in self.compare_value(spec.get("payload", ""), Named(found.payload)):
                entry.issues.append(Issue(f"payload: {problem}", ("field", f"{name}.payload")))
            self.finish(entry, True)
        listed = {m["name"] for m in self.commands_json.get("sync_messages", [])}
        for sub in self.subscriptions_json:
            for name in sub.get("messages", []):
                if name in listed:
                    continue
                listed.add(name)
                entry = Entry("messages", self.section_of(sub.get("object")), name)
                found = self.api.messages_by_name.get(name)
                if found is not None:
                    suffix = next((k for k in MESSAGE_KINDS if name.endswith(k)), None)
                    if suffix and found.kind != MESSAGE_KINDS[suffix]:
                        entry.issues.append(Issue(f"kind {found.kind}, the name says {MESSAGE_KINDS[suffix]}"))
                    word = sub.get("message_evidence", {}).get(name)
                    if word:
                        self.compare_evidence(entry, [word], found.evidence)
                    if sub.get("retired") and not found.deprecated:
                        entry.issues.append(Issue("delivered by a retired subscription type but not deprecated"))
                self.finish(entry, found is not None)
        envelope = self.api.service.reply_envelope
        for spec in self.commands_json.get("special_messages", []):
            name = spec["name"]
            entry = Entry("messages", "api", name)
            found = self.api.messages_by_name.get(name)
            if found is None:
                self.finish(entry, False)
                continue
            fields = list(self.api.types_by_name[found.payload].fields)
            if found.envelope:
                fields += [f for f in envelope if f.wire_name != "reqId"]
            keys = {k: strip_remark(v) for k, v in spec.get("keys", {}).items()}
            entry.issues += self.compare_fields("payload", keys, fields, subject=name, exact=False)
            self.finish(entry, True)

    # -- what the schema adds ---------------------------------------------------------------------------------------

    def add_schema_only(self, kind: str, section: str, name: str) -> None:
        """Something the schema has and the catalogue lacks: listed, never failed. An omitted.yaml entry may
        say why (``{kind: member, name: AssetType.boat, reason: ...}``); it then counts as used."""
        self.schema_only.append((kind, section, name))
        reason = self.omission(_OMISSION_KIND[kind], name)
        if reason is not None:
            self.schema_only_reasons[(kind, name)] = reason

    def schema_additions(self) -> None:
        catalogue_types = set(self.objects_json.get("objects", {}))
        catalogue_enums = set(self.enums_json)
        catalogue_commands = {c["name"] for c in self.commands_json.get("commands", [])}
        catalogue_subscriptions = {s["type"] for s in self.subscriptions_json}
        catalogue_messages = {e.name for e in self.entries if e.kind == "messages"}
        for t in self.api.types:
            if t.name not in catalogue_types:
                self.add_schema_only("types", t.section, t.name)
        for e in self.api.enums:
            if e.name not in catalogue_enums:
                self.add_schema_only("enums", e.section, e.name)
        for c in self.api.commands:
            if c.name not in catalogue_commands:
                self.add_schema_only("commands", c.section, c.name)
        for s in self.api.subscriptions:
            if s.name not in catalogue_subscriptions:
                self.add_schema_only("subscriptions", self.section_of(s.object), s.name)
        for m in self.api.messages:
            if m.name not in catalogue_messages:
                self.add_schema_only("messages", self.section_of(m.payload), m.name)

    def note_retired(self, kind: str, name: str, deprecated: bool, replaced_by: str | None) -> None:
        how = "deprecated" if deprecated else "NOT deprecated"
        self.retired.append((kind, name, f"{how}; " + (f"use {replaced_by}" if replaced_by else "no replacement")))

    def run(self) -> Report:
        self.check_sections()
        self.check_commands()
        self.check_types()
        self.check_enums()
        self.check_subscriptions()
        self.check_messages()
        self.schema_additions()
        unused = sorted(set(self.omissions) - self.used_omissions)
        return Report(
            str(self.catalogue), self.entries, self.schema_only, unused, self.retired, self.schema_only_reasons
        )


# Report kinds -> the ``kind`` an omitted.yaml entry uses for them.
_OMISSION_KIND = {
    "sections": "section",
    "commands": "command",
    "types": "type",
    "enums": "enum",
    "fields": "field",
    "enum members": "member",
    "error codes": "error",
    "subscriptions": "subscription",
    "messages": "message",
}


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path} not found: is {path.parent} the reference catalogue folder?") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None


def coverage(api: Api, catalogue: Path) -> Report:
    """Compare ``api`` with the catalogue in folder ``catalogue``; raises CatalogueError if it cannot be read."""
    if not catalogue.is_dir():
        raise CatalogueError(f"catalogue folder {catalogue} does not exist")
    return Coverage(api, catalogue).run()


# --- text rendering -------------------------------------------------------------------------------------------


def render(report: Report, *, verbose: bool = False) -> str:
    lines = [f"Coverage of the schema against the catalogue in {report.catalogue}", ""]
    header = f"{'section':<17} {'kind':<14} " + " ".join(f"{c:>{len(c) + 1}}" for c in COLUMNS)
    lines += [header, "-" * len(header)]
    totals: dict[str, dict[str, int]] = {}
    table = report.table()
    for section in sorted(table, key=lambda s: (s in ("-",), s)):
        for kind in KINDS:
            row = table[section].get(kind)
            if row is None:
                continue
            total = totals.setdefault(kind, dict.fromkeys(row, 0))
            for k, v in row.items():
                total[k] += v
            lines.append(_row(section, kind, row))
    lines.append("-" * len(header))
    for kind in KINDS:
        if kind in totals:
            lines.append(_row("all", kind, totals[kind]))
    problems = [e for e in report.entries if not e.covered]
    excused = [e for e in report.entries if e.status == "omitted" or any(i.omitted for i in e.issues)]
    if excused:
        lines += ["", f"Omitted, with their reasons ({len(excused)}):"]
        for e in excused:
            if e.status == "omitted":
                lines.append(f"  {e.kind[:-1] if e.kind.endswith('s') else e.kind} {e.name}: omitted ({e.reason})")
            for issue in e.issues:
                if issue.omitted:
                    lines.append(f"  {e.name}: {issue.text.strip()}: omitted ({issue.omitted})")
    if problems:
        lines += ["", f"Not covered ({len(problems)}):"]
        for e in problems:
            if e.status == "missing":
                lines.append(f"  [{e.section}] {e.kind} {e.name}: missing from the schema and from omitted.yaml")
            for issue in e.issues:
                if not issue.omitted:
                    lines.append(f"  [{e.section}] {e.kind} {e.name}: {issue.text.strip()}")
    if report.unused_omissions:
        lines += ["", "omitted.yaml entries that match nothing in the catalogue:"]
        lines += [f"  {kind} {name}" for kind, name in report.unused_omissions]
    if verbose and report.retired:
        lines += ["", f"Retired in the catalogue ({len(report.retired)}):"]
        lines += [f"  {kind} {name}: {how}" for kind, name, how in report.retired]
    if verbose and report.schema_only:
        lines += ["", f"In the schema only ({len(report.schema_only)}; SDK helpers and derived shapes):"]
        for kind, section, name in report.schema_only:
            reason = report.schema_only_reasons.get((kind, name))
            lines.append(f"  [{section}] {kind} {name}" + (f" ({reason})" if reason else ""))
    percent = 100.0 * report.covered / len(report.entries) if report.entries else 100.0
    lines += [
        "",
        f"covered: {report.covered} of {len(report.entries)} ({percent:.1f} %)"
        + (f"; {len(report.schema_only)} schema-only entries (--verbose lists them)" if not verbose else ""),
    ]
    return "\n".join(lines) + "\n"


def _row(section: str, kind: str, row: Mapping[str, int]) -> str:
    return f"{section:<17} {kind:<14} " + " ".join(f"{row[c]:>{len(c) + 1}}" for c in COLUMNS)
