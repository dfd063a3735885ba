"""Every Python name the generator emits is derived here, from the wire (schema) names. Nowhere else.

Wire names are camelCase (``reqId``, ``assetGeneralMerged``); the generated package uses snake_case attributes
and methods, PascalCase classes and UPPER_SNAKE enum members. A schema may override a derived name with
``x-python-name`` / ``x-method`` / ``x-resource``; those overrides are applied by ``build.py``.
"""

from __future__ import annotations

import keyword
import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Attribute names that would shadow pydantic.BaseModel members; such fields get a trailing underscore.
_RESERVED_ATTRIBUTES = frozenset(
    {
        "copy",
        "dict",
        "json",
        "schema",
        "schema_json",
        "construct",
        "validate",
        "fields",
        "parse_obj",
        "parse_raw",
        "parse_file",
        "from_orm",
        "update_forward_refs",
    }
)


# Class names the generated modules cannot use: keywords, and names those modules import
# (datamodel-code-generator would silently rename such a class, e.g. ``Field`` -> ``FieldModel``, and every
# reference the templates make to it would break).
RESERVED_CLASS_NAMES = frozenset(
    {
        *(k for k in (*keyword.kwlist, *keyword.softkwlist) if k[:1].isupper()),
        "AliasedModel",
        "Annotated",
        "Any",
        "BaseModel",
        "Enum",
        "Field",
        "IntEnum",
        "KeyRefModel",
        "RequestModel",
        "RootModel",
        "StrEnum",
        "TYPE_CHECKING",
        "WireModel",
    }
)


def words(wire_name: str) -> list[str]:
    """``getAssetGeneralsList`` -> ``["get", "Asset", "Generals", "List"]``; underscores also split."""
    return [w for part in wire_name.split("_") for w in _WORD_BOUNDARY.split(part) if w]


def snake_case(wire_name: str) -> str:
    return "_".join(w.lower() for w in words(wire_name))


def pascal_case(wire_name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words(wire_name))


def upper_snake_case(wire_name: str) -> str:
    return "_".join(w.upper() for w in words(wire_name))


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _safe(name: str) -> str:
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED_ATTRIBUTES:
        return name + "_"
    if name.startswith("model_"):
        return "field_" + name
    if name[:1].isdigit():
        return "_" + name
    return name


def field_name(wire_name: str) -> str:
    """Attribute name of a field: ``messagingAddress`` -> ``messaging_address``; ``class`` -> ``class_``."""
    return _safe(snake_case(wire_name))


def enum_member_name(member: str) -> str:
    """``assetGeneral`` -> ``ASSET_GENERAL``; ``ANALOG_INPUT_0`` stays; ``break_24`` -> ``BREAK_24``."""
    name = upper_snake_case(member)
    if name in ("I", "O", "L"):  # single letters that read as digits (E741)
        return name + "_"
    return "_" + name if name[:1].isdigit() else name


def request_class(command: str) -> str:
    return pascal_case(command) + "Request"


def response_class(command: str) -> str:
    return pascal_case(command) + "Response"


def event_class(message: str) -> str:
    return pascal_case(message)


def envelope_payload_class(message: str) -> str:
    return pascal_case(message) + "Payload"


def exception_class(error: str) -> str:
    """``assetNotFound`` -> ``AssetNotFound``; a one-word code gets a suffix: ``service`` -> ``ServiceError``."""
    name = pascal_case(error)
    return name if len(words(error)) > 1 else name + "Error"


# Exception base per error group (errors.yaml `group`); chosen so none shadows a builtin or a per-code class.
_ERROR_BASES = {"permission": "PermissionDeniedError", "state": "InvalidStateError", "service": "ServerError"}


def error_base_class(group: str) -> str:
    """Exception base per error group: ``notFound`` -> ``NotFoundError``, ``service`` -> ``ServerError``."""
    return _ERROR_BASES.get(group) or pascal_case(group) + "Error"


def section_module(section_id: str) -> str:
    return _safe(section_id)


def plural(noun: str) -> str:
    """The vendor's plural rule (y -> ies, ch/sh/s/x -> es, else s), applied to the last word."""
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(ch|sh|s|x)$", noun):
        return noun + "es"
    return noun + "s"


def resource_name(root_object: str) -> str:
    """The client attribute for an object's commands: ``Asset`` -> ``assets``, ``DispatchJob`` -> ``dispatch_jobs``."""
    return _safe(snake_case(plural(root_object)))


def resource_class(resource: str) -> str:
    return pascal_case(resource) + "Resource"


_SIMPLE_VERBS = {
    "get": "get",
    "merge": "merge",
    "remove": "remove",
    "restore": "restore",
    "suspend": "suspend",
    "revive": "revive",
    "multiMerge": "multi_merge",
    "multiRemove": "multi_remove",
}


def method_name(command: str, verb: str, obj: str | None, root: str | None) -> str:
    """The resource method for a command.

    ``getAsset`` -> ``get``; ``getAssetGeneral`` -> ``get_general``; ``getAssetsListByCompanyAndLabels`` ->
    ``list_by_company_and_labels``; ``multiMergeAsset`` -> ``multi_merge``; ``cancelDispatchJob`` -> ``cancel``;
    anything else -> the snake_case command name.
    """
    part = ""
    if obj and root and obj != root and obj.startswith(root):
        part = "_" + snake_case(obj[len(root) :])
    elif obj and root and obj != root:
        part = "_" + snake_case(obj)
    if verb in _SIMPLE_VERBS and obj:
        return _safe(_SIMPLE_VERBS[verb] + part)
    # Lists (also older special-verb names that follow the list pattern, e.g. getAssetsListByReference).
    if obj and (verb == "list" or command.startswith(f"get{plural(obj)}List")):
        _, _, by = command.partition("List")
        return _safe("list" + part + ("_" + snake_case(by) if by else ""))
    if obj and command == f"get{obj}":
        return _safe("get" + part)
    if verb == "clear" and obj and "By" in command:
        return _safe("clear" + part + "_by_" + snake_case(command.partition("By")[2]))
    if obj and root and command.endswith(obj) and command != obj:
        head = command[: -len(obj)]
        if head and head[0].islower():
            return _safe(snake_case(head) + ("" if obj == root else part))
    return _safe(snake_case(command))
