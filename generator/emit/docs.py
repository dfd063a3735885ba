"""The published docs (Markdown pages and ``mkdocs.yml`` under ``docs/``) and ``api.md``, rendered from the IR.

Every text that comes from the schema passes the ``mdtext`` filter (or ``code`` for literal names), which turns
each character Markdown or HTML would act on into a numeric character reference: a description holding ``|``,
``<script>``, backticks, ``{#id}`` or Jinja syntax renders as that text, and breaks no table. Balanced backtick
spans in a description are kept as code, escaped the same way.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jinja2

from ..ir import naming, queries
from ..ir.confidence import LEVELS, level_of
from ..ir.nodes import (
    AnyValue,
    Api,
    ArrayOf,
    Command,
    ErrorCodeDef,
    Field,
    MapOf,
    Named,
    Primitive,
    TypeExpr,
    UnionOf,
    is_confirmed,
)
from ..ir.queries import (
    TypeUses,
    commands_returning,
    delivered_by,
    emitted_by,
    parts_of,
    request_fields,
    response_fields,
    type_uses,
)
from ..ir.signatures import Signature, signature
from .examples import example, example_object, reply_frame, request_frame
from .package import ResourcePlan, environment, group_descriptions

DOCS = "docs"  # folder under generated/ holding mkdocs.yml
PAGES = "pages"  # mkdocs docs_dir, relative to DOCS
API_MD = "api.md"  # the package's one-file API listing

# Characters Markdown (with the extensions mkdocs.yml turns on) or HTML would interpret anywhere in a line.
_ACTIVE = frozenset("\\`*_{}[]<>&|#")
# What opens a block (ordered or bulleted list item, setext underline) when a line starts with it; the other
# block openers (#, >, *) are in _ACTIVE already.
_BLOCK_START = re.compile(r"^(?:\d+[.)]|[-+=]+)(?:\s|$)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_BACKTICK_SPAN = re.compile(r"`([^`]+)`")


_ENTITY_TABLE = {ord(ch): f"&#{ord(ch)};" for ch in _ACTIVE}


def _entities(text: str, *, at_line_start: bool) -> str:
    out = text.translate(_ENTITY_TABLE)
    if at_line_start and text and _BLOCK_START.match(text):
        # a block opener starts with a digit, -, + or =, none of which translate() changed
        out = f"&#{ord(text[0])};{out[1:]}"
    return out


def mdtext(value: object) -> str:
    """Schema text as inert Markdown on one line; `code spans` stay code."""
    text = " ".join(str(value).split())
    out: list[str] = []
    pos = 0
    for match in _BACKTICK_SPAN.finditer(text):
        out.append(_entities(text[pos : match.start()], at_line_start=pos == 0))
        out.append(code(match.group(1)))
        pos = match.end()
    out.append(_entities(text[pos:], at_line_start=pos == 0))
    return "".join(out) or "&#8203;"


def code(value: object) -> str:
    """Literal text (a name, a signature) as inline code that nothing inside can break out of."""
    return f"<code>{_entities(str(value), at_line_start=False)}</code>"


# Where a long name may wrap on a narrow screen: after a dot or an underscore, before a capital that follows a
# lower-case letter or digit; that is, between the words of the name, never inside one.
_WORD_BOUNDARY = re.compile(r"(?<=[._])(?=\w)|(?<=[a-z0-9])(?=[A-Z])")


def _breakable(text: str) -> str:
    return "<wbr>".join(_entities(part, at_line_start=False) for part in _WORD_BOUNDARY.split(text))


def code_path(value: object) -> str:
    """A long name, path or signature as inline code that a narrow column may wrap between words only."""
    return f"<code>{_breakable(str(value))}</code>"


def anchor(value: object) -> str:
    """A heading id: schema names are identifiers (the metaschema says so); anything else is a generator bug."""
    text = str(value)
    if not _NAME.match(text):
        raise ValueError(f"{text!r} cannot be an anchor: names in the schema must be identifiers")
    return text


def attr_id(value: object) -> str:
    """The attr_list suffix that gives a heading its id: ``{#mergeAsset}``."""
    return "{#" + anchor(value) + "}"


def yaml_str(value: object) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


# --- pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    path: str  # relative to docs/pages
    title: str
    template: str
    extra: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # its name in the navigation under its section


def section_pages(api: Api) -> list[tuple[str, list[Page]]]:
    """Per section (title, pages): its commands, object types and enums, where it has any."""
    out = []
    for s in api.sections:
        base = f"sections/{s.module}"
        commands = [c for c in api.commands if c.section == s.id]
        types = [t for t in api.types if t.section == s.id]
        enums = [e for e in api.enums if e.section == s.id]
        pages = []
        extra = {"section": s, "commands": commands, "types": types, "enums": enums}
        if commands:
            pages.append(Page(f"{base}/commands.md", f"{s.title}: commands", "commands.md.jinja", extra, "Commands"))
        if types:
            pages.append(Page(f"{base}/types.md", f"{s.title}: object types", "types.md.jinja", extra, "Object types"))
        if enums:
            pages.append(Page(f"{base}/enums.md", f"{s.title}: enums", "enums.md.jinja", extra, "Enums"))
        if pages:
            out.append((s.title, pages))
    return out


TOP_PAGES = [
    Page("index.md", "Overview", "index.md.jinja"),
    Page("getting-started.md", "Getting started", "getting-started.md.jinja"),
    Page("client.md", "The client", "client.md.jinja"),
    Page("cache.md", "The sync cache", "cache.md.jinja"),
    Page("service-auth.md", "Authenticating a service", "service-auth.md.jinja"),
    Page("emulator.md", "The emulator", "emulator.md.jinja"),
    Page("errors-and-logging.md", "Errors and logging", "errors-and-logging.md.jinja"),
    Page("protocol.md", "Wire protocol", "protocol.md.jinja"),
    Page("python-api.md", "Python API", "api.md.jinja"),
    Page("errors.md", "Error codes", "errors.md.jinja"),
    Page("subscriptions.md", "Subscription types", "subscriptions.md.jinja"),
    Page("messages.md", "Pushed messages", "messages.md.jinja"),
    Page("confidence.md", "How sure a name is", "confidence.md.jinja"),
]

# The navigation above the per-section pages: (group title, or "" for top-level entries; page paths). A new
# guide is one Page in TOP_PAGES and its path in the "Guides" group.
NAV_GROUPS: list[tuple[str, list[str]]] = [
    ("", ["index.md", "getting-started.md"]),
    ("Guides", ["client.md", "cache.md", "service-auth.md", "emulator.md", "errors-and-logging.md"]),
    ("", ["protocol.md", "python-api.md"]),
    ("Reference", ["errors.md", "subscriptions.md", "messages.md", "confidence.md"]),
]

# Files of the site copied as they are from templates/docs/ (paths relative to docs/).


# --- links -------------------------------------------------------------------------------------------


# The same few thousand (target, page folder) pairs come up on every page; relpath is pure string work.
_relpath = functools.cache(posixpath.relpath)


class Links:
    """Where everything lives in the site, and Markdown links to it relative to the page being rendered."""

    def __init__(self, api: Api, page: str) -> None:
        self.api = api
        self.page = page

    def href(self, target: str, fragment: str | None = None) -> str:
        rel = _relpath(target, posixpath.dirname(self.page) or ".")
        if target == self.page:
            rel = ""
        return f"{rel}#{anchor(fragment)}" if fragment else rel

    def _section(self, section_id: str, kind: str) -> str:
        return f"sections/{self.api.sections_by_id[section_id].module}/{kind}.md"

    def type_href(self, name: str) -> str:
        api = self.api
        if name in api.enums_by_name:
            return self.href(self._section(api.enums_by_name[name].section, "enums"), name)
        return self.href(self._section(api.types_by_name[name].section, "types"), name)

    def command_href(self, name: str) -> str:
        return self.href(self._section(self.api.commands_by_name[name].section, "commands"), name)

    def type(self, name: str) -> str:
        if name not in self.api.types_by_name and name not in self.api.enums_by_name:
            return code(name)
        return f"[{code(name)}]({self.type_href(name)})"

    def command(self, name: str) -> str:
        return f"[{code_path(name)}]({self.command_href(name)})"

    def message(self, name: str) -> str:
        return f"[{code(name)}]({self.href('messages.md', name)})"

    def subscription(self, name: str) -> str:
        return f"[{code(name)}]({self.href('subscriptions.md', name)})"

    def error(self, name: str) -> str:
        return f"[{code(name)}]({self.href('errors.md', name)})"

    def replacement(self, name: str) -> str:
        """A link to whatever replaces a deprecated item, by the kind of thing the name is."""
        api = self.api
        if name in api.commands_by_name:
            return self.command(name)
        if name in api.types_by_name or name in api.enums_by_name:
            return self.type(name)
        if name in api.errors_by_name:
            return self.error(name)
        if name in {s.name for s in api.subscriptions}:
            return self.subscription(name)
        if name in api.messages_by_name:
            return self.message(name)
        return code(name)

    def type_expr(self, expr: TypeExpr) -> str:
        """A field type for a reader: ``integer (ulong)``, a linked type name, ``array of ...``."""
        if isinstance(expr, Named):
            return self.type(expr.name)
        if isinstance(expr, ArrayOf):
            return f"array of {self.type_expr(expr.items)}"
        if isinstance(expr, MapOf):
            keys = self.type_expr(expr.keys)
            return f"map of {keys} to {self.type_expr(expr.values)}"
        if isinstance(expr, AnyValue):
            return "any JSON value"
        if isinstance(expr, UnionOf):
            return " or ".join(self.type_expr(option) for option in expr.options)
        assert isinstance(expr, Primitive)
        text = code(expr.json_type)
        return f"{text} ({code(expr.format)})" if expr.format else text


# --- facts the templates show ------------------------------------------------------------------------


def frame_text(frame: tuple[str, dict[str, object]]) -> str:
    """A frame as shown in the docs: its name, a space, the body (indented for reading; one line on the wire)."""
    name, body = frame
    return f"{name} {_json_text(body)}"


def _json_text(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def exception_base(api: Api, e: ErrorCodeDef) -> str:
    return naming.error_base_class(e.group) if e.group != "success" else ""


def unconfirmed(evidence: tuple[str, ...]) -> bool:
    return not is_confirmed(evidence)


def choose(names: Iterable[str], available: Iterable[str]) -> str | None:
    """The first preferred name the schema has, else the first it has: examples that exist in any schema."""
    have = list(available)
    return next((n for n in names if n in have), have[0] if have else None)


def level_counts(api: Api) -> dict[str, int]:
    """How many command and message names reach each confidence level."""
    counts = {lv.id: 0 for lv in LEVELS}
    for evidence in [*(c.evidence for c in api.commands), *(m.evidence for m in api.messages)]:
        counts[level_of(evidence).id] += 1
    return counts


def getting_started_facts(api: Api) -> dict[str, Any]:
    get = choose(["getCompany", "getAsset"], [c.name for c in api.commands if c.verb == "get"])
    sub = choose(["assetGeneral"], [s.name for s in api.subscriptions if not s.retired])
    not_found = choose(["assetNotFound"], [e.name for e in api.errors if e.group == "notFound"])
    subscription = next((s for s in api.subscriptions if s.name == sub), None)
    merged = None
    if subscription:
        merged = next((api.messages_by_name[m] for m in subscription.messages if m in api.messages_by_name), None)
    return {
        "command": api.commands_by_name[get] if get else None,
        "subscription": subscription,
        "merged": merged,
        "not_found": api.errors_by_name[not_found] if not_found else None,
        "login": api.commands_by_name.get("login"),
    }


# Fields of a stored object that the server owns: remove/restore/suspend/revive set them, a merge ignores them
# (the emulator's STATE_FIELDS; tests/test_docs_examples.py checks the two agree). ``v`` is the exception a
# reader must know: the server sets it, and an update sends it back unchanged to say which version it changes.
READ_ONLY_FIELDS = {
    "deleted": "read-only",
    "suspended": "read-only",
    "since": "read-only",
    "v": "set by the server; send it back to update",
}


def _fields_table_rows(links: Links, fields: tuple[Field, ...], *, stored: bool = False) -> list[dict[str, str]]:
    """Table rows of fields; ``stored``: the fields of an object the server keeps (read-only marks apply)."""
    rows = []
    for f in fields:
        name = code(f.wire_name)
        if f.python_name != f.wire_name:
            name += f"<br>{code(f.python_name)}"
        description = mdtext(f.description) if f.description else ""
        if f.deprecated:
            note = "**Deprecated.**"
            if f.replaced_by:
                note += f" Use {code(f.replaced_by)} instead."
            description = f"{note} {description}".strip()
        limits = []
        c = f.constraints
        if c.minimum is not None:
            limits.append(f"min {c.minimum:g}")
        if c.maximum is not None:
            limits.append(f"max {c.maximum:g}")
        if c.max_length is not None:
            limits.append(f"at most {c.max_length} characters")
        if f.has_default:
            limits.append(f"default {code(_json(f.default))}")
        if limits:
            description = f"{description} ({'; '.join(limits)})".strip()
        if f.wire is not None and f.wire.note:  # x-wire: why the schema differs from the vendor's clients here
            description = f"{description} *Vendor clients:* {mdtext(f.wire.note)}".strip()
        marks = []
        if f.required:
            marks.append('<span class="ff-badge ff-required">required</span>')
        if stored and f.wire_name in READ_ONLY_FIELDS:
            marks.append(f'<span class="ff-badge ff-readonly">{READ_ONLY_FIELDS[f.wire_name]}</span>')
        rows.append(
            {
                "name": name,
                "type": links.type_expr(f.type),
                "marks": " ".join(marks),
                "description": description,
            }
        )
    return rows


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def docs_environment() -> jinja2.Environment:
    env = environment()
    env.filters.update(mdtext=mdtext, code=code, code_path=code_path, anchor=anchor, attr_id=attr_id, yaml_str=yaml_str)
    return env


def _context(
    api: Api,
    page: Page,
    nav: list[tuple[str, list[Page]]],
    uses: dict[str, TypeUses],
    links: Links | None = None,
) -> dict[str, Any]:
    links = links or Links(api, page.path)

    def fields_rows(fields: tuple[Field, ...], stored: bool = False) -> list[dict[str, str]]:
        return _fields_table_rows(links, fields, stored=stored)

    plan = ResourcePlan(api)

    def sig(c: Command) -> Signature:
        return signature(api, c)

    def signature_line(s: Signature, is_async: bool) -> str:
        """``client.assets.[get](link)(asset: IdKey | int, *, ..., timeout: float | None = None) -> GetAssetResponse``:
        the one derivation the generated method declares (``ir/signatures.py``), its name linked to the command."""
        call = s.render(is_async=is_async)
        head = f"{'await ' if is_async else ''}client.{s.resource}."
        rest = call[len(head) + len(s.method) :]
        method = f"[{_breakable(s.method)}]({links.command_href(s.command.name)})"
        return f"<code>{_breakable(head)}{method}{_breakable(rest)}</code>"

    def method_line(c: Command, is_async: bool) -> str:
        return signature_line(signature(api, c), is_async)

    def exceptions_module() -> str:
        return f"{api.service.package}.errors"

    ctx: dict[str, Any] = {
        "api": api,
        "service": api.service,
        "package": api.service.package,
        "page": page,
        "links": links,
        "nav": nav,
        "signature": sig,
        "method_line": method_line,
        "signature_line": signature_line,
        "update_helpers": lambda r: [u.sig for u in plan.updates(r)],
        "resource_commands": lambda r: [api.commands_by_name[name] for name in r.commands],
        "example": lambda c: example(api, c),
        "request_fields": lambda c: request_fields(api, c),
        "response_fields": lambda c: response_fields(api, c),
        "fields_rows": fields_rows,
        "delivered_by": lambda name: delivered_by(api, name),
        "parts_of": lambda t: parts_of(api, t),
        "emitted_by": lambda name: emitted_by(api, name),
        "commands_returning": lambda name: commands_returning(api, name),
        "exception_base": lambda e: exception_base(api, e),
        "unconfirmed": unconfirmed,
        "level": level_of,
        "frame": frame_text,
        "json_text": _json_text,
        "request_frame": lambda c: request_frame(api, c),
        "reply_frame": lambda c: reply_frame(api, c),
        "example_object": lambda name: example_object(api, name),
        "type_uses": lambda name: uses.get(name, TypeUses()),
        "class_path": lambda name: queries.class_path(api, api.service.package, name),
        "command_module": lambda c: f"{api.service.package}.commands.{api.sections_by_id[c.section].module}",
        "exceptions_module": exceptions_module(),
        "group_descriptions": group_descriptions(api),
        "any_command_groups": [g.name for g in api.error_groups if g.any_command],
        "error_base": naming.error_base_class,
        "start": getting_started_facts(api),
        "levels": LEVELS,
        "level_counts": level_counts(api),
        "section_pages": {title: pages for title, pages in nav},
    }
    ctx.update(page.extra)
    return ctx


def _render(env: jinja2.Environment, template: str, ctx: dict[str, Any]) -> str:
    text = env.get_template(f"docs/{template}").render(ctx)
    return text.rstrip("\n") + "\n"


def emit_docs(api: Api) -> dict[str, str]:
    """docs/mkdocs.yml, docs/pages/**.md and api.md (paths relative to generated/)."""
    env = docs_environment()
    nav = section_pages(api)
    pages = [*TOP_PAGES, *(p for _, group in nav for p in group)]
    out: dict[str, str] = {}
    uses = type_uses(api)
    for page in pages:
        out[f"{DOCS}/{PAGES}/{page.path}"] = _render(env, page.template, _context(api, page, nav, uses))
    top = {p.path: p for p in TOP_PAGES}
    mkdocs_ctx = {"api": api, "top": top, "nav": nav, "nav_groups": NAV_GROUPS, "pages": PAGES}
    out[f"{DOCS}/mkdocs.yml"] = _render(env, "mkdocs.yml.jinja", mkdocs_ctx)
    # api.md beside the package links into the Markdown sources, so it reads well on a code host too
    api_page = Page(API_MD, "API", "api.md.jinja")
    ctx = _context(api, api_page, nav, uses, _PrefixedLinks(api, f"{DOCS}/{PAGES}"))
    out[API_MD] = _render(env, "api.md.jinja", ctx)
    return out


class _PrefixedLinks(Links):
    """Links from generated/api.md into docs/pages/."""

    def __init__(self, api: Api, prefix: str) -> None:
        super().__init__(api, "api.md")
        self.prefix = prefix

    def href(self, target: str, fragment: str | None = None) -> str:
        rel = f"{self.prefix}/{target}"
        return f"{rel}#{anchor(fragment)}" if fragment else rel


__all__ = ["API_MD", "DOCS", "PAGES", "Links", "code", "emit_docs", "mdtext"]
