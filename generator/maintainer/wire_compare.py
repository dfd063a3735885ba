"""The schema against the vendor's own clients, key by key: ``python -m generator wire [REFERENCE]``.

``coverage`` compares names with the catalogue; this compares the *wire*: for every class the vendor's TypeScript
client reads or writes (``vendor-wire/ts-dev.json``, with the C# library's view of the same class as a second
witness), the keys it uses and the kind of value under each, against the built API model (the IR, so it judges
what the generator emits). Kinds are compared as integer / number / string / boolean / datetime / timespan /
enum / embedded object (recursively, class against type) / list / map / any; an ``idref`` integer matches an
integer. A key counts as *shared* when both sides have it; a shared key *agrees* when the kinds match, the
schema does not require a key the vendor's reader can do without, and the C# witness does not read it as
another kind that the schema does not also accept.

Every difference is either fixed in the schema or explained there, next to the field, with ``x-wire`` (see
schema/README.md): on a field ``x-wire: {note, ts, cs}``; on a type, request or response ``x-wire: {absent:
{key: note}}`` for a vendor key the schema leaves out on purpose. Keys only the schema has are listed for
information (``-v``); they fail nothing. The report exits 1 while any difference is unexplained.

Which vendor class stands for which command or message is decided here, from the catalogue's ``ts_payloads``
(the v5 ``Pay*`` class of each command; the dev branch spells it ``Req*``) and a short table for the session
classes, whose names follow no rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ir import queries
from ..ir.nodes import AnyValue, Api, ArrayOf, Field, MapOf, Named, Primitive, TypeExpr, UnionOf

# Keys every request or reply carries (api.yaml's envelope), and the TypeScript-only bookkeeping of Param classes.
ENVELOPE_KEYS = frozenset({"reqId", "errorCode", "message", "errorDetails"})
CLIENT_ONLY_KEYS = frozenset({"givenKeys"})

# Vendor classes named outside the Req<Object><Verb> rule: (request class, reply class) per command.
SESSION_COMMANDS: dict[str, tuple[str, str]] = {
    "login": ("ReqSelfLogin", "RespSelfGet"),
    "getSessionDetails": ("ReqSelfGet", "RespSelfGet"),
    "logout": ("ReqSelfLogout", "RespSelfLogout"),
    "updateOwnContact": ("ReqSelfContact", "RespSelfContactMerge"),
    "updateOwnPassword": ("ReqSelfPassword", "RespSelfPasswordMerge"),
    "updateOwnPreferences": ("ReqSelfPreferences", "RespSelfPreferencesMerge"),
    "getSession": ("ReqSessionGet", "RespSessionGet"),
    "getSessionsList": ("ReqSessionListByCompany", "RespSessionListByCompany"),
    "getSessionsListByUser": ("ReqSessionListByUser", "RespSessionListByUser"),
    "killSession": ("ReqSessionDelete", "RespSessionDelete"),
    "getSubscriptionsList": ("ReqSubscriptionList", "RespSubscriptionList"),
    "subscribe": ("ReqSubscriptionMerge", "RespSubscriptionMerge"),
    "unsubscribe": ("ReqSubscriptionRemove", "RespSubscriptionRemove"),
}
# Messages whose body is a vendor class of another name than the schema's payload type. The vendor's sync client
# hands connectionResponse to the same reader as the session-details reply, and the session...Merged messages to
# the Self* readers.
MESSAGE_CLASSES: dict[str, str] = {
    "connectionResponse": "RespSelfGet",
    "sessionGeneralMerged": "SelfUserGeneral",
    "sessionAdvancedMerged": "SelfUserAdvanced",
    "sessionMachineMerged": "SelfMachine",
}
# The v5 catalogue and the dev branch spell a few classes differently.
_CLASS_SPELLINGS = {"CompanyPolicy": "CompanyPolicies", "CompanyStyle": "CompanyStyles"}
# ParamContactMerge's keys, which 19 other Param*Merge classes of the TypeScript client repeat by mistake.
_COPIED_FROM = "ParamContactMerge"


class WireReferenceError(Exception):
    """The vendor-wire folder is absent or unreadable."""


# --- kinds ------------------------------------------------------------------------------------------------------

Kind = tuple[Any, ...]  # ("integer",), ("enum", name), ("object", class), ("list", kind), ("map", kind), ("union", ...)


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def vendor_kind(text: str | None) -> Kind:
    """A kind of the ts-dev.json / dotnet-dev.json grammar, normalised."""
    if not text or text == "any" or text.startswith("unknown("):
        return ("any",)
    head, _, rest = text.partition(":")
    if text.startswith("array<"):
        return ("list", vendor_kind(text[6:-1]))
    if text.startswith("map<"):
        return ("map", vendor_kind(_split_top(text[4:-1], ",")[-1]))
    if text.startswith("union("):
        return ("union", *sorted({vendor_kind(part) for part in _split_top(text[6:-1], "|")}))
    if head == "int":
        return ("integer",)
    if head == "number":
        return ("number",)
    if text == "object:Uri":  # the C# library's address class; it travels as a string
        return ("string",)
    if head in ("enum", "object"):
        return (head, rest)
    if text == "weekdays":  # the "0101010" string form
        return ("string",)
    if text == "phone":
        return ("integer",)
    if head in ("string", "boolean", "datetime", "timespan"):
        return (head,)
    return ("any",)


def schema_kind(api: Api, expr: TypeExpr) -> Kind:
    if isinstance(expr, Primitive):
        if expr.json_type == "string" and expr.format in ("datetime", "timespan"):
            return (expr.format,)
        return (expr.json_type,)
    if isinstance(expr, ArrayOf):
        return ("list", schema_kind(api, expr.items))
    if isinstance(expr, MapOf):
        return ("map", schema_kind(api, expr.values))
    if isinstance(expr, Named):
        return ("enum" if expr.name in api.enums_by_name else "object", expr.name)
    if isinstance(expr, UnionOf):
        return ("union", *sorted({schema_kind(api, option) for option in expr.options}))
    assert isinstance(expr, AnyValue)
    return ("any",)


def show(kind: Kind) -> str:
    head = kind[0]
    if head in ("enum", "object"):
        return f"{head} {kind[1]}"
    if head == "list":
        return f"list of {show(kind[1])}"
    if head == "map":
        return f"map of {show(kind[1])}"
    if head == "union":
        return " or ".join(show(option) for option in kind[1:])
    return str(head)


def _matches(vendor: Kind, ours: Kind, nested: list[tuple[str, str]]) -> bool:
    """Whether a value the vendor writes as ``vendor`` is one the schema's ``ours`` accepts and types right.

    Embedded objects match at this level and are compared key by key on their own (``nested`` collects the pairs).
    """
    if vendor[0] == "any" or ours[0] == "any":
        return True
    if vendor[0] == "union":
        return all(_matches(option, ours, nested) for option in vendor[1:])
    if ours[0] == "union":
        return any(_matches(vendor, option, nested) for option in ours[1:])
    if vendor[0] == "integer" and ours[0] == "number":  # a number field takes an integer as it is
        return True
    if vendor[0] != ours[0]:
        return False
    if vendor[0] in ("list", "map"):
        return _matches(vendor[1], ours[1], nested)
    if vendor[0] == "object":
        nested.append((vendor[1], ours[1]))
    return True


def _renamed(vendor: Kind, ours: Kind) -> list[str]:
    """Enums and embedded objects of matching kinds whose names differ (the "of which type" of a kind).

    The vendor's request parameter and generic reply classes (Param*, Resp*) have no schema twin by name; they are
    compared key by key instead.
    """
    if vendor[0] == "union" or ours[0] == "union" or vendor[0] != ours[0]:
        return []
    if vendor[0] in ("list", "map"):
        return _renamed(vendor[1], ours[1])
    if vendor[0] == "enum" and vendor[1] != ours[1]:
        return [f"enum: vendor {vendor[1]}, schema {ours[1]}"]
    if vendor[0] == "object" and vendor[1] != ours[1] and not vendor[1].startswith(("Param", "Resp")):
        return [f"embedded object: vendor {vendor[1]}, schema {ours[1]}"]
    return []


# --- the vendor side -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorKey:
    name: str
    kind: str
    optional: bool
    cs_kind: str | None  # the C# library's kind for the same key, where it has the class


@dataclass(frozen=True)
class Reference:
    objects: Mapping[str, Any]
    commands: Mapping[str, Any]
    cs: Mapping[str, Any]
    payloads: Mapping[str, str]  # command name -> v5 Pay class (from the catalogue)

    def has(self, cls: str) -> bool:
        return cls in self.objects or cls in self.commands

    def keys(self, cls: str) -> dict[str, VendorKey]:
        """The keys of one vendor class, as the TypeScript client reads them (writes, if it never reads the key)."""
        cs_keys = self.cs.get(cls, {}).get("keys", {})
        out: dict[str, VendorKey] = {}
        if cls in self.objects:
            for name, fact in self.objects[cls]["keys"].items():
                kind = str((fact.get("kind_read") if fact.get("read") else fact.get("kind_write")) or fact.get("kind"))
                if fact.get("alt_kinds"):  # a reader that accepts more than one shape
                    kind = f"union({'|'.join([kind, *fact['alt_kinds']])})"
                out[name] = VendorKey(name, kind, bool(fact.get("optional", True)), _cs(cs_keys, name))
        else:
            for name, fact in self.commands[cls]["keys"].items():
                out[name] = VendorKey(name, fact["kind"], bool(fact["optional"]), _cs(cs_keys, name))
        return {name: key for name, key in out.items() if name not in CLIENT_ONLY_KEYS}

    def copied_by_mistake(self, cls: str) -> bool:
        """A Param*Merge class that repeats ParamContactMerge's keys (a TypeScript translation bug)."""
        if cls == _COPIED_FROM or not cls.startswith("Param") or _COPIED_FROM not in self.commands:
            return False
        return set(self.commands[cls]["keys"]) == set(self.commands[_COPIED_FROM]["keys"])


def _cs(cs_keys: Mapping[str, Any], name: str) -> str | None:
    fact = cs_keys.get(name)
    return None if fact is None else str(fact["kind"])


def load_reference(folder: Path) -> Reference:
    wire = folder / "vendor-wire" / "ts-dev.json"
    catalogue = folder / "commands.json"
    try:
        ts = json.loads(wire.read_text(encoding="utf-8"))
        commands = json.loads(catalogue.read_text(encoding="utf-8"))["commands"]
    except (OSError, ValueError, KeyError) as exc:
        raise WireReferenceError(f"cannot read the vendor wire facts under {folder}: {exc}") from exc
    payloads = {c["name"]: c["ts_payloads"][0] for c in commands if c.get("ts_payloads")}
    return Reference(ts["objects"], ts["commands"], ts.get("cs_witness", {}), payloads)


# --- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    where: str  # "type Asset", "getAsset request (ReqAssetGet)", "type Machine as SelfMachine"
    key: str
    problem: str
    explanation: str | None = None
    vendor_class: str = ""  # the vendor class the key belongs to

    def render(self) -> str:
        tail = f"  [explained: {self.explanation}]" if self.explanation else ""
        return f"{self.where}.{self.key}: {self.problem}{tail}"


@dataclass
class WireReport:
    shared: int = 0
    agreeing: int = 0
    differences: list[Difference] = field(default_factory=list)
    schema_only: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)  # vendor classes with no schema counterpart
    skipped: list[str] = field(default_factory=list)  # vendor classes known to be wrong
    agreed: set[tuple[str, str]] = field(default_factory=set)  # (vendor class, key) agreeing in some comparison

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if d.explanation is None]

    @property
    def ok(self) -> bool:
        return not self.unexplained

    @property
    def agreement(self) -> float:
        return 100.0 * self.agreeing / self.shared if self.shared else 100.0


# --- the comparison --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """One schema body compared with one vendor class: a type's fields, or a command's request or response."""

    label: str
    fields: tuple[Field, ...]
    absent: Mapping[str, str]  # x-wire absent: vendor keys left out on purpose, with why


def _type_body(api: Api, name: str) -> Body:
    t = api.types_by_name[name]
    return Body(f"type {name}", t.fields, dict(t.wire_absent))


def _pairs(api: Api, ref: Reference) -> Iterator[tuple[str, Body]]:
    """The top-level (vendor class, schema body) pairs: types, then command requests and replies, then messages."""
    for cls in sorted(ref.objects):
        if cls in api.types_by_name:
            yield cls, _type_body(api, cls)
    for command in api.commands:
        request_cls, reply_cls = _command_classes(command.name, ref)
        for command_cls, side, body in (
            (request_cls, "request", command.request),
            (reply_cls, "response", command.response),
        ):
            if command_cls and command_cls in ref.commands:
                fields = queries.fields_of(api, body.fields, body.from_type)
                absent = dict(body.wire_absent)
                if body.from_type:
                    absent.update(api.types_by_name[body.from_type].wire_absent)
                yield command_cls, Body(f"{command.name} {side}", fields, absent)
    for message in api.messages:
        message_cls = MESSAGE_CLASSES.get(message.name) or (message.payload if message.kind == "merged" else None)
        if message_cls and ref.has(message_cls) and message_cls != message.payload:
            yield message_cls, Body(f"{message.name} payload", *_payload(api, message.payload))


def _payload(api: Api, name: str) -> tuple[tuple[Field, ...], dict[str, str]]:
    t = api.types_by_name[name]
    return t.fields, dict(t.wire_absent)


def _command_classes(name: str, ref: Reference) -> tuple[str | None, str | None]:
    if name in SESSION_COMMANDS:
        return SESSION_COMMANDS[name]
    payload = ref.payloads.get(name)
    if payload is None:
        return None, None
    stem = payload[3:]
    for wrong, right in _CLASS_SPELLINGS.items():
        stem = stem.replace(wrong, right) if f"Req{stem}" not in ref.commands else stem
    request = f"Req{stem}"
    # A restore answers like a delete in the vendor's client (one reply class for both).
    reply = next((f"Resp{s}" for s in (stem, stem.replace("Restore", "Delete")) if f"Resp{s}" in ref.commands), None)
    return (request if request in ref.commands else None), reply


def _explained(f: Field | None, absent: Mapping[str, str], key: str) -> str | None:
    if f is not None and f.wire is not None and f.wire.note:
        return f.wire.note
    return absent.get(key)


def compare(api: Api, ref: Reference) -> WireReport:
    report = WireReport()
    done: set[tuple[str, str]] = set()
    queue = list(_pairs(api, ref))
    while queue:
        cls, body = queue.pop(0)
        if (cls, body.label) in done:
            continue
        done.add((cls, body.label))
        if ref.copied_by_mistake(cls):
            report.skipped.append(f"{cls} (repeats {_COPIED_FROM}'s keys; compared as {body.label})")
            continue
        ours = {f.wire_name: f for f in body.fields}
        spelt = {alias: f for f in body.fields if f.wire is not None for alias in f.wire.aliases}
        vendor = ref.keys(cls)
        where = body.label if body.label.endswith(cls) or body.label == f"type {cls}" else f"{body.label} ({cls})"
        for key in sorted(vendor):
            v = vendor[key]
            if key in ENVELOPE_KEYS and not body.label.startswith("type "):
                continue
            f = ours.get(key) or spelt.get(key)  # an x-wire alias is the same field under another spelling
            if f is None:
                report.differences.append(
                    Difference(
                        where,
                        key,
                        f"the vendor uses it ({v.kind}); the schema has no such key",
                        _explained(None, body.absent, key),
                        cls,
                    )
                )
                continue
            report.shared += 1
            problems, nested = _key_problems(api, v, f)
            for vendor_cls, schema_type in nested:
                if ref.has(vendor_cls) and schema_type in api.types_by_name:
                    body_of = _type_body(api, schema_type)
                    queue.append(
                        (vendor_cls, body_of if vendor_cls == schema_type else _with_label(body_of, vendor_cls))
                    )
            if problems:
                explanation = _explained(f, {}, key)
                stale = _stale(f, v)
                if stale:  # a note that no longer describes what the vendor does explains nothing
                    problems.append(stale)
                    explanation = None
                report.differences.append(Difference(where, key, "; ".join(problems), explanation, cls))
            else:
                report.agreeing += 1
                report.agreed.add((cls, key))
        for key in sorted(set(ours) - set(vendor)):
            f = ours[key]
            if f.required and body.label.endswith(" request"):  # the SDK would refuse what the vendor sends
                problem = "the schema requires it; the vendor's request class does not send it"
                report.differences.append(Difference(where, key, problem, _explained(f, {}, key), cls))
            else:
                report.schema_only.append(f"{where}.{key}")
    compared = {cls for cls, _ in done}
    for cls in sorted(ref.objects):
        if cls not in compared:
            report.not_compared.append(cls)
    return report


def _stale(f: Field, v: VendorKey) -> str | None:
    """The field's x-wire note states what a vendor client reads (ts / cs); say so when that is no longer true."""
    if f.wire is None:
        return None
    if f.wire.ts and vendor_kind(f.wire.ts) != vendor_kind(v.kind):
        return f"x-wire says the TypeScript client reads {f.wire.ts}, but it reads {v.kind}"
    if f.wire.cs and v.cs_kind and vendor_kind(f.wire.cs) != vendor_kind(v.cs_kind):
        return f"x-wire says the C# client reads {f.wire.cs}, but it reads {v.cs_kind}"
    return None


def _with_label(body: Body, cls: str) -> Body:
    return Body(f"{body.label} as {cls}", body.fields, body.absent)


def _key_problems(api: Api, v: VendorKey, f: Field) -> tuple[list[str], list[tuple[str, str]]]:
    problems: list[str] = []
    nested: list[tuple[str, str]] = []
    ours = schema_kind(api, f.type)
    ts = vendor_kind(v.kind)
    if not _matches(ts, ours, nested):
        problems.append(f"kind: vendor {show(ts)}, schema {show(ours)}")
    else:
        problems.extend(_renamed(ts, ours))
    if v.cs_kind is not None:
        cs = vendor_kind(v.cs_kind)
        if not _matches(cs, ts, []) and not _matches(cs, ours, []):
            problems.append(f"the C# library reads {show(cs)} (TypeScript {show(ts)}); the schema accepts only one")
    if f.required and v.optional:
        problems.append("the schema requires it; the vendor's reader does without it")
    return problems, nested


# --- output ----------------------------------------------------------------------------------------------------


def render(report: WireReport, verbose: bool = False) -> str:
    lines = [
        "Wire comparison: schema/ against the vendor's TypeScript client (C# as witness)",
        f"  shared keys       {report.shared:>5}",
        f"  agreeing          {report.agreeing:>5}  ({report.agreement:.1f} %)",
        f"  differences       {len(report.differences):>5}  "
        f"({len(report.differences) - len(report.unexplained)} explained, {len(report.unexplained)} unexplained)",
        f"  schema-only keys  {len(report.schema_only):>5}",
        "",
    ]
    unexplained = report.unexplained
    if unexplained:
        lines.append("Unexplained differences:")
        lines.extend(f"  {d.render()}" for d in unexplained)
        lines.append("")
    explained = [d for d in report.differences if d.explanation is not None]
    if explained:
        lines.append("Explained differences:")
        lines.extend(f"  {d.render()}" for d in explained)
        lines.append("")
    if report.skipped:
        lines.append("Vendor classes skipped as known vendor bugs:")
        lines.extend(f"  {s}" for s in report.skipped)
        lines.append("")
    if report.not_compared:
        lines.append("Vendor object classes with no schema counterpart: " + ", ".join(report.not_compared))
        lines.append("")
    if verbose and report.schema_only:
        lines.append("Keys only the schema has:")
        lines.extend(f"  {s}" for s in report.schema_only)
        lines.append("")
    lines.append("OK: every difference is explained" if report.ok else f"{len(unexplained)} unexplained differences")
    return "\n".join(lines) + "\n"


def to_json(report: WireReport) -> dict[str, Any]:
    return {
        "shared": report.shared,
        "agreeing": report.agreeing,
        "agreement": round(report.agreement, 2),
        "differences": [
            {"where": d.where, "key": d.key, "problem": d.problem, "explanation": d.explanation}
            for d in report.differences
        ],
        "schema_only": report.schema_only,
        "not_compared": report.not_compared,
        "skipped": report.skipped,
        "ok": report.ok,
    }
