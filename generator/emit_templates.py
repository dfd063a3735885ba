"""Everything that is not a pydantic model: rendered from the Jinja templates in ``templates/package/``.

Templates receive the API model (never raw YAML). Every schema text that lands in Python source goes through
the ``pystr`` or ``docstring`` filter, so quotes, backslashes, newlines or template syntax in a description stay
text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from . import bundle, naming
from .emit_registry import render_registry
from .model import AnyValue, Api, ArrayOf, MapOf, Named, Primitive, TypeExpr

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
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


def md(value: object) -> str:
    """Text safe in a Markdown table cell or paragraph: no pipes breaking tables, no raw HTML."""
    text = " ".join(str(value).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def annotation(expr: TypeExpr) -> str:
    """The Python annotation the generated models use for a type expression."""
    if isinstance(expr, Named):
        return expr.name
    if isinstance(expr, ArrayOf):
        return f"list[{annotation(expr.items)}]"
    if isinstance(expr, MapOf):
        return f"dict[str, {annotation(expr.values)}]"
    if isinstance(expr, AnyValue):
        return "Any"
    assert isinstance(expr, Primitive)
    if expr.format == "datetime":
        return "datetime"
    return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}[expr.json_type]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Python and Markdown, escaped by the filters above
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pystr=pystr,
        docstring=docstring,
        comment=comment,
        md=md,
        annotation=annotation,
        error_base=naming.error_base_class,
    )
    return env


def context(api: Api) -> dict[str, Any]:
    package = api.service.package

    def class_path(type_name: str) -> str:
        return bundle.class_path(api, package, type_name)

    def command_class_path(command_name: str, which: str) -> str:
        c = api.commands_by_name[command_name]
        cls = c.request_class if which == "request" else c.response_class
        return f"{package}.commands.{api.sections_by_id[c.section].module}:{cls}"

    def message_payload_path(message_name: str) -> str:
        m = api.messages_by_name[message_name]
        return f"{package}.{bundle.model_module(api, m.payload)}:{m.payload_class}"

    def fields_of(field_set: Any) -> Any:
        return bundle.fields_of(api, field_set.fields, field_set.from_type)

    return {
        "model_exports": _model_exports(api),
        "command_exports": _command_exports(api),
        "payload_modules": _payload_modules(api),
        "payload_alias": {m.name: _module_alias(bundle.model_module(api, m.payload)) for m in api.messages},
        "lazy_exports": _lazy_exports(api),
        "event_bases": EVENT_BASES,
        "group_descriptions": GROUP_DESCRIPTIONS,
        "api": api,
        "service": api.service,
        "package": package,
        "class_path": class_path,
        "command_class_path": command_class_path,
        "message_payload_path": message_payload_path,
        "model_module": lambda name: bundle.model_module(api, name),
        "fields_of": fields_of,
        "reply_path": class_path("Reply"),
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

# The readable exception bases the error groups of errors.yaml become.
GROUP_DESCRIPTIONS = {
    "notFound": "The object the command names does not exist (or is not visible to you).",
    "notDeleted": "The command needs a deleted object, but this one is not deleted.",
    "inUse": "The object is still used by others and cannot be removed.",
    "sessionEnded": "The session is over (expired, killed, logged out or replaced); log in again.",
    "authentication": "Logging in, or the password, failed or needs attention.",
    "permission": "The account lacks the right to do this.",
    "versionConflict": "The object changed since you read it; re-read it and try again.",
    "throttled": "Too many requests; wait for the time in errorDetails before trying again.",
    "invalidInput": "The request itself was not acceptable (malformed, unknown command, bad values).",
    "conflict": "The change conflicts with existing data (duplicates, suspended objects, ...).",
    "state": "The object or operation is not in a state that allows this.",
    "service": "The service failed or could not complete the operation.",
}


def _grouped(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    out: dict[str, list[str]] = {}
    for module, name in pairs:
        out.setdefault(module, []).append(name)
    return [(module, sorted(names)) for module, names in sorted(out.items())]


def _model_exports(api: Api) -> list[tuple[str, list[str]]]:
    names = [*api.types_by_name, *api.enums_by_name]
    pairs = [(bundle.model_module(api, name).split(".", 1)[1], name) for name in names]
    pairs.append((bundle.model_module(api, "Reply").split(".", 1)[1], "Reply"))
    for m in api.messages:
        if m.envelope:
            pairs.append((bundle.model_module(api, m.payload).split(".", 1)[1], m.payload_class))
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
    modules = sorted({bundle.model_module(api, m.payload) for m in api.messages})
    return [(module, _module_alias(module)) for module in modules]


def _lazy_exports(api: Api) -> list[tuple[str, list[str]]]:
    pairs = [(".models", "ErrorCode"), (".models", "SubscriptionType")]
    pairs += [(".events", m.event_class) for m in api.messages if m.kind in ("broadcast", "sessionEnded")]
    return _grouped(pairs)


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
}


def render_package(api: Api) -> dict[str, str]:
    env = environment()
    ctx = context(api)
    out: dict[str, str] = {}
    for template, target in PACKAGE_FILES.items():
        out[target.format(package=api.service.package)] = env.get_template(f"package/{template}").render(ctx)
    out[f"{api.service.package}/_registry.json"] = render_registry(api)
    return out


def copy_runtime(api: Api) -> dict[str, str]:
    """The hand-written runtime modules, copied verbatim (they are real, linted, type-checked Python files)."""
    root = TEMPLATES / "runtime" / "fleetfreedom"
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".yaml", ".json", ".pem"):
            out[f"{api.service.package}/{path.relative_to(root).as_posix()}"] = path.read_text(encoding="utf-8")
    return out
