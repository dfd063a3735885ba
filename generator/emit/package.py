"""Everything that is not a pydantic model: rendered from the Jinja templates in ``templates/package/``.

Templates receive the API model (never raw YAML). Every schema text that lands in Python source goes through
the ``pystr`` or ``docstring`` filter, so quotes, backslashes, newlines or template syntax in a description stay
text.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .. import memo
from ..ir import naming, queries
from ..ir.nodes import (
    Api,
    ArrayOf,
    Command,
    Field,
    MapOf,
    Named,
    ObjectType,
    Resource,
    Section,
    TypeExpr,
    UnionOf,
)
from ..ir.signatures import (
    Parameter,
    Signature,
    annotation,
    param_annotation,
    param_class,
    signature,
    update_signature,
)
from .registry import render_registry

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PACKAGE_TEMPLATES = TEMPLATES / "package"


def pystr(value: object) -> str:
    """A Python string literal holding ``value`` exactly."""
    return repr(str(value))


def docstring(value: object) -> str:
    """Text safe inside a triple-quoted docstring: backslashes and quotes escaped, no trailing quote clash."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return text.strip() or "(no description)"


def comment(value: object) -> str:
    """Text safe inside a ``#`` comment: one line."""
    return " ".join(str(value).split())


def arg_doc(value: object) -> str:
    """A field's description for an ``Args:`` line: the text as is when it is one line; a text of several lines
    would be re-indented there (no longer the schema's text), so the line points to the reference instead."""
    text = str(value).strip()
    if "\n" in text or "\r" in text:
        return "(described in the API reference)"
    return docstring(text)


def md(value: object) -> str:
    """Text safe in a Markdown table cell or paragraph: no pipes breaking tables, no raw HTML."""
    text = " ".join(str(value).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


# attributes of the hand-written clients; a resource (``client.<name>``) must not take one of these names
CLIENT_ATTRIBUTES = frozenset(
    {
        "accepted_subscriptions", "close", "closed_reason", "connect", "connect_timeout", "events", "login",
        "logout", "next_event", "on", "request", "session", "state", "stats", "subscribe", "timeout",
        "unsubscribe", "url", "user_agent",
    }
)  # fmt: skip


# Commands the clients wrap in their own documented method (the one way to log in and to subscribe); the generated
# resource method stays as the command sent as is, and its docstring points to the client's.
CLIENT_SHORTCUTS = {
    "login": "client.login(username, password)",
    "logout": "client.logout()",
    "subscribe": "client.subscribe(company, types)",
    "unsubscribe": "client.unsubscribe(company, types)",
}


@dataclass(frozen=True)
class Method:
    """A generated resource method: the command and its one signature (``ir/signatures.py``, which the docs
    render too)."""

    command: Command
    sig: Signature
    fields: tuple[Field, ...]  # the request fields in schema order: the order of the body

    @property
    def signature(self) -> str:
        return self.sig.render_parameters()

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The parameters that are request fields (not ``extra_body`` / ``timeout``), as the method lists them."""
        return self.sig.fields

    @property
    def body(self) -> str:
        """The dict literal of the request body, by wire name."""
        return "{" + ", ".join(f"{f.wire_name!r}: {f.python_name}" for f in self.fields) + "}"


@dataclass(frozen=True)
class Update:
    """``update``: a read (``get``) and a ``merge`` of one versioned object type, with optimistic concurrency."""

    name: str  # the method: ``update``, or ``update_<part>`` beside ``merge_<part>``
    get: Method
    merge: Command
    key: Parameter  # the get's key argument, taken over as update's first
    reply_attr: str  # the get reply's attribute holding the object
    key_attr: str  # the object's key attribute and wire name
    key_wire: str
    noun: str  # the object, in words, for the docstring
    fields: tuple[Field, ...]  # what update() takes as keyword arguments: the type's fields but its key and ``v``
    sig: Signature

    @property
    def signature(self) -> str:
        """``asset: IdKey | int, *, name: str | None | NotGiven = NOT_GIVEN, ..., attempts: int = ..., timeout``."""
        return self.sig.render_parameters()

    @property
    def body(self) -> str:
        """The dict literal of the changes, by wire name (``params`` leaves out those not given)."""
        return "{" + ", ".join(f"{f.wire_name!r}: {f.python_name}" for f in self.fields) + "}"


class ResourcePlan:
    """What the resource templates need: methods with typed signatures and the names they import."""

    def __init__(self, api: Api) -> None:
        self.api = api
        for r in api.resources:
            if r.name in CLIENT_ATTRIBUTES:
                raise ValueError(f"resource name {r.name!r} clashes with a client attribute")

    def sections(self) -> list[tuple[Section, list[Resource]]]:
        out: dict[str, list[Resource]] = {}
        for r in self.api.resources:
            out.setdefault(r.section, []).append(r)
        return [(self.api.sections_by_id[s], rs) for s, rs in sorted(out.items())]

    def method(self, command_name: str) -> Method:
        c = self.api.commands_by_name[command_name]
        return Method(c, signature(self.api, c), queries.request_fields(self.api, c))

    def updates(self, resource: Resource) -> list[Update]:
        """An ``update`` for every versioned type the resource both reads one of (``get``) and merges: a type
        whose objects carry ``v`` and a key, a get with one required argument (the key) and one reply field."""
        commands = [self.api.commands_by_name[name] for name in resource.commands]
        taken = {c.method for c in commands}
        gets = {c.object: c for c in commands if c.verb == "get" and c.object}
        out: list[Update] = []
        for merge in commands:
            get = gets.get(merge.object) if merge.verb == "merge" and merge.object else None
            t = self.api.types_by_name.get(merge.object or "")
            if get is None or t is None or t.key is None or t.field("v") is None or len(get.response.fields) != 1:
                continue
            method = self.method(get.name)
            required = [p for p in method.parameters if p.required]
            key_field = t.field(t.key)
            if len(required) != 1 or required[0] is not method.sig.positional or key_field is None:
                continue
            name = merge.method.replace("merge", "update", 1)
            if name in taken or name == merge.method:
                raise ValueError(f"{resource.name}: the update helper {name!r} clashes with a command method")
            fields = tuple(f for f in t.fields if f.wire_name not in (key_field.wire_name, "v"))
            out.append(
                Update(
                    name,
                    method,
                    merge,
                    required[0],
                    get.response.fields[0].python_name,
                    key_field.python_name,
                    key_field.wire_name,
                    " ".join(naming.words(t.name)).lower(),
                    fields,
                    update_signature(self.api, name, required[0], fields, merge),
                )
            )
        return out

    def any_updates(self, resources: list[Resource]) -> bool:
        return any(self.updates(r) for r in resources)

    def reply_imports(self, resources: list[Resource]) -> list[tuple[str, list[str]]]:
        """``(module, names)`` of the response classes: imported at run time, each method passes its own to
        ``_call`` (which returns that type, so no method needs a cast)."""
        pairs: list[tuple[str, str]] = []
        for r in resources:
            for name in r.commands:
                c = self.api.commands_by_name[name]
                pairs.append((f"commands.{self.api.sections_by_id[c.section].module}", c.response_class))
        return _grouped(pairs)

    def imports(self, resources: list[Resource]) -> list[tuple[str, list[str]]]:
        """``(module, names)`` the section's parameter annotations refer to (imported for type checkers only)."""
        pairs: list[tuple[str, str]] = []
        for r in resources:
            for name in r.commands:
                c = self.api.commands_by_name[name]
                for f in queries.fields_of(self.api, c.request.fields, c.request.from_type):
                    pairs += [(queries.model_module(self.api, n), n) for n in _named(f.type)]
                    pairs += [("params", param_class(n)) for n in self.param_types_of(f.type)]
            for u in self.updates(r):
                for f in u.fields:
                    pairs += [(queries.model_module(self.api, n), n) for n in _named(f.type)]
                    pairs += [("params", param_class(n)) for n in self.param_types_of(f.type)]
        return [(module, names) for module, names in _grouped(pairs)]

    def param_types_of(self, expr: TypeExpr) -> list[str]:
        """The object types ``param_annotation`` offers as a TypedDict (``AssetParam``) in ``expr``."""
        out = []
        for name in _named(expr):
            t = self.api.types_by_name.get(name)
            if t is not None and not (t.key_ref and t.fields):
                out.append(name)
        return out

    def param_types(self) -> list[ObjectType]:
        """Every object type a method or a parameter type accepts as a dict, each once, in a stable order: the
        TypedDicts of ``params.py``, so a misspelt key in a request dict fails the type check."""
        seen: dict[str, None] = {}
        todo = [
            n
            for c in self.api.commands
            for f in queries.fields_of(self.api, c.request.fields, c.request.from_type)
            for n in self.param_types_of(f.type)
        ]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen[name] = None
            for f in self.api.types_by_name[name].fields:
                todo += self.param_types_of(f.type)
        for name in seen:
            if param_class(name) in self.api.types_by_name:
                raise ValueError(f"the parameter type {param_class(name)!r} clashes with a schema type")
        return [self.api.types_by_name[name] for name in sorted(seen)]

    def param_fields(self, t: ObjectType) -> list[tuple[str, str]]:
        """``(wire name, annotation)`` of a TypedDict's keys: ``Required[...]`` where the model needs the field;
        an optional one may be None (sent as JSON null)."""
        out = []
        for f in t.fields:
            a = param_annotation(self.api, f.type)
            out.append((f.wire_name, f"Required[{a}]" if f.required else f"{a} | None"))
        return out

    def param_class_syntax(self, t: ObjectType) -> bool:
        """Whether ``t``'s TypedDict can be a class (every key an identifier), else it is written functionally."""
        return all(is_identifier_key(f.wire_name) for f in t.fields)

    def param_imports(self) -> list[tuple[str, list[str]]]:
        pairs: list[tuple[str, str]] = []
        for t in self.param_types():
            for f in t.fields:
                pairs += [(queries.model_module(self.api, n), n) for n in _named(f.type)]
        return _grouped(pairs)

    def param_stdlib_imports(self) -> list[str]:
        text = " ".join(a for t in self.param_types() for _, a in self.param_fields(t))
        return _stdlib_lines(text)

    def stdlib_imports(self, resources: list[Resource]) -> list[str]:
        """The ``from ... import ...`` lines the section's signatures need beyond the API's own names."""
        text = " ".join(self.method(name).signature for r in resources for name in r.commands)
        text += " ".join(u.signature for r in resources for u in self.updates(r))
        return _stdlib_lines(text)


def is_identifier_key(key: str) -> bool:
    """Whether a TypedDict key can be written as a class attribute (else the functional form is used)."""
    return key.isidentifier() and not keyword.iskeyword(key)


def _stdlib_lines(text: str) -> list[str]:
    wanted = {
        "collections.abc": [n for n in ("Mapping", "Sequence") if f"{n}[" in text],
        "datetime": ["datetime"] if re.search(r"\bdatetime\b", text) else [],
        "typing": ["Any"] if re.search(r"\bAny\b", text) else [],
    }
    return [f"from {module} import {', '.join(names)}" for module, names in wanted.items() if names]


def _named(expr: TypeExpr) -> list[str]:
    if isinstance(expr, Named):
        return [expr.name]
    if isinstance(expr, ArrayOf):
        return _named(expr.items)
    if isinstance(expr, MapOf):
        return _named(expr.values)
    if isinstance(expr, UnionOf):
        return [name for option in expr.options for name in _named(option)]
    return []


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Python and Markdown, escaped by the filters above
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # compiled templates are cached across runs; the salt (this module) covers the options above
        bytecode_cache=memo.jinja_bytecode_cache(Path(__file__).read_bytes()),
    )
    env.filters.update(
        pystr=pystr,
        docstring=docstring,
        comment=comment,
        md=md,
        arg_doc=arg_doc,
        annotation=annotation,
        error_base=naming.error_base_class,
    )
    return env


def context(api: Api) -> dict[str, Any]:
    package = api.service.package

    def class_path(type_name: str) -> str:
        return queries.class_path(api, package, type_name)

    return {
        "model_exports": _model_exports(api),
        "command_exports": _command_exports(api),
        "payload_modules": _payload_modules(api),
        "payload_alias": {m.name: _module_alias(queries.model_module(api, m.payload)) for m in api.messages},
        "lazy_exports": _lazy_exports(api),
        "event_bases": EVENT_BASES,
        "group_descriptions": group_descriptions(api),
        "api": api,
        "service": api.service,
        "package": package,
        "class_path": class_path,
        "model_module": lambda name: queries.model_module(api, name),
        "resources": ResourcePlan(api),
        "param_class": param_class,
        "client_shortcuts": CLIENT_SHORTCUTS,
    }


EVENT_BASES = {
    "merged": "Merged",
    "deleted": "Deleted",
    "suspended": "Suspended",
    "account": "AccountChanged",
    "broadcast": "BroadcastMessage",
    "sessionEnded": "SessionEndedMessage",
    "connection": "ConnectionMessage",
}


def group_descriptions(api: Api) -> dict[str, str]:
    """The error groups (errors.yaml ``groups``) that become exception bases: name -> description."""
    return {g.name: g.description for g in api.error_groups}


def _grouped(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    out: dict[str, list[str]] = {}
    for module, name in dict.fromkeys(pairs):
        out.setdefault(module, []).append(name)
    return [(module, sorted(names)) for module, names in sorted(out.items())]


def _model_exports(api: Api) -> list[tuple[str, list[str]]]:
    names = [*api.types_by_name, *api.enums_by_name]
    pairs = [(queries.model_module(api, name).split(".", 1)[1], name) for name in names]
    pairs.append((queries.model_module(api, "Reply").split(".", 1)[1], "Reply"))
    for m in api.messages:
        if m.envelope:
            pairs.append((queries.model_module(api, m.payload).split(".", 1)[1], m.payload_class))
    return _grouped(pairs)


def _command_exports(api: Api) -> list[tuple[str, list[str]]]:
    pairs = []
    for c in api.commands:
        module = api.sections_by_id[c.section].module
        pairs += [(module, c.request_class), (module, c.response_class)]
    return _grouped(pairs)


def _module_alias(module: str) -> str:
    """``models.assets`` -> ``_assets``: how events.py names a payload module."""
    return "_" + module.rsplit(".", 1)[-1]


def _payload_modules(api: Api) -> list[tuple[str, str]]:
    modules = sorted({queries.model_module(api, m.payload) for m in api.messages})
    return [(module, _module_alias(module)) for module in modules]


def _lazy_exports(api: Api) -> list[tuple[str, list[str]]]:
    pairs = [(".models", "ErrorCode"), (".models", "SubscriptionType")]
    pairs += [(".events", m.event_class) for m in api.messages if m.kind in ("broadcast", "sessionEnded")]
    pairs += [("._codec", name) for name in ("build_request", "decode_frame", "encode_frame", "split_frame")]
    pairs += [("._async", "AsyncClient"), ("._async", "RawReply"), ("._sync", "Client"), ("._protocol", "Backoff")]
    pairs += [("._protocol", "Session"), ("._protocol", "State"), ("._protocol", "UserSession")]
    pairs += [("._receipt", "Mismatch")]
    pairs += [("._client_events", name) for name in CLIENT_EVENTS]
    pairs += [("._cache", name) for name in ("AsyncCache", "ChangeStream", "SyncResult")]
    pairs += [("._cache_core", "CacheStats")]
    pairs += [("._changes", name) for name in CACHE_CHANGES]
    pairs += [("._cache_sync", name) for name in ("Cache", "SyncChangeStream")]
    pairs += [("._resource_base", name) for name in ("NOT_GIVEN", "NotGiven")]
    return _grouped(pairs)


CACHE_CHANGES = ("Change", "ObjectCreated", "ObjectDeleted", "ObjectUpdated")
CLIENT_EVENTS = ("ClientEvent", "Disconnected", "MalformedFrame", "Reconnected", "Reconnecting")


# template (relative to templates/package) -> output path (relative to generated/)
PACKAGE_FILES: dict[str, str] = {
    "pyproject.toml.jinja": "pyproject.toml",
    "README.md.jinja": "README.md",
    "__init__.py.jinja": "{package}/__init__.py",
    "py.typed.jinja": "{package}/py.typed",
    "errors.py.jinja": "{package}/errors.py",
    "events.py.jinja": "{package}/events.py",
    "models__init__.py.jinja": "{package}/models/__init__.py",
    "commands__init__.py.jinja": "{package}/commands/__init__.py",
    "resources__init__.py.jinja": "{package}/resources/__init__.py",
    "params.py.jinja": "{package}/params.py",
    "resources_section.py.jinja": "{package}/resources/{section}.py",  # one per section that has resources
}


def render_package(api: Api) -> dict[str, str]:
    env = environment()
    ctx = context(api)
    out: dict[str, str] = {}
    for template, target in PACKAGE_FILES.items():
        tmpl = env.get_template(f"package/{template}")
        if "{section}" not in target:
            out[target.format(package=api.service.package)] = tmpl.render(ctx)
            continue
        for section, resources in ctx["resources"].sections():
            path = target.format(package=api.service.package, section=section.module)
            out[path] = tmpl.render({**ctx, "section": section, "section_resources": resources})
    out[f"{api.service.package}/_registry.json"] = render_registry(api)
    return out
