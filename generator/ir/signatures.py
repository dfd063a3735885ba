"""The Python signature of every resource method, derived once from the IR: the generated code
(``emit/package.py`` and ``templates/package/resources_section.py.jinja``) and the docs (``emit/docs.py``: api.md,
the commands pages, getting-started) both render this one derivation, so they cannot disagree
(``tests/test_signatures.py`` holds every generated method to it).

The convention: the first required request field is positional (a key-reference field such as
``asset: IdKey`` also accepts its bare key, ``client.assets.get(42)``); every other request field is keyword-only
and snake_case, the required ones first; an optional field defaults to ``NOT_GIVEN`` (left out of the request;
``None`` is a value, JSON null); every method also takes ``extra_body`` and ``timeout``; it returns the command's
response class. An object accepts its model or the TypedDict of ``params.py`` (``AssetParam``), an enum its value.
"""

from __future__ import annotations

from dataclasses import dataclass

from .nodes import (
    AnyValue,
    Api,
    ArrayOf,
    Command,
    Field,
    MapOf,
    Named,
    Primitive,
    TypeExpr,
    UnionOf,
)
from .queries import request_fields

TIMEOUT = "timeout"
TIMEOUT_ANNOTATION = "float | None"
# top-level fields the schema does not know yet, sent as given: the escape hatch beside the typed, strictly
# checked arguments (named as in Stainless SDKs)
EXTRA_BODY = "extra_body"
EXTRA_BODY_ANNOTATION = "Mapping[str, Any] | None"
# an update helper's bound on its read-and-merge rounds (the constant lives in the runtime's _resource_base)
ATTEMPTS = "attempts"
OWN_ARGUMENTS = frozenset({EXTRA_BODY, TIMEOUT})


@dataclass(frozen=True)
class Parameter:
    name: str  # the Python parameter name (snake_case)
    annotation: str  # exactly as the generated method declares it
    default: str | None  # the default's source text; None when the argument is required
    keyword_only: bool
    field: Field | None = None  # the request field it fills; None for the method's own arguments
    bare_key: str | None = None  # the annotation of the bare key a key-reference field also accepts

    @property
    def required(self) -> bool:
        return self.default is None

    def render(self) -> str:
        default = "" if self.default is None else f" = {self.default}"
        return f"{self.name}: {self.annotation}{default}"


@dataclass(frozen=True)
class Signature:
    command: Command  # the command sent (for an update helper: its merge)
    resource: str
    method: str
    parameters: tuple[Parameter, ...]
    returns: str

    @property
    def positional(self) -> Parameter | None:
        return next((p for p in self.parameters if not p.keyword_only), None)

    @property
    def keywords(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.keyword_only)

    @property
    def fields(self) -> tuple[Parameter, ...]:
        """The parameters that are request fields (not ``extra_body``, ``timeout`` or ``attempts``)."""
        return tuple(p for p in self.parameters if p.field is not None)

    def render_parameters(self) -> str:
        """The parameter list as the generated method declares it, without ``self``:
        ``asset: IdKey | int, *, include_deleted: bool | None | NotGiven = NOT_GIVEN, ..., timeout: ...``."""
        parts = [p.render() for p in self.parameters if not p.keyword_only]
        if self.keywords:
            parts.append("*")
        parts += [p.render() for p in self.keywords]
        return ", ".join(parts)

    def render(self, client: str = "client", *, is_async: bool = False) -> str:
        """``await client.assets.get(asset: IdKey | int, *, ...) -> GetAssetResponse``."""
        prefix = "await " if is_async else ""
        return f"{prefix}{client}.{self.resource}.{self.method}({self.render_parameters()}) -> {self.returns}"

    def render_def(self, *, is_async: bool = False) -> str:
        """The method as a stub: ``async def get(self, asset: IdKey | int, *, ...) -> GetAssetResponse: ...``."""
        prefix = "async def" if is_async else "def"
        return f"{prefix} {self.method}(self, {self.render_parameters()}) -> {self.returns}: ..."


def key_annotation(api: Api, expr: TypeExpr) -> str | None:
    """For a key-reference type (``IdKey``): the annotation of its bare key (``int``); else None."""
    if not isinstance(expr, Named) or expr.name not in api.types_by_name:
        return None
    t = api.types_by_name[expr.name]
    if not t.key_ref or t.key is None:
        return None
    key = t.field(t.key)
    return annotation(key.type) if key else None


def param_class(type_name: str) -> str:
    """The TypedDict that stands for a model as a plain dict: ``Asset`` -> ``AssetParam``."""
    return f"{type_name}Param"


def param_annotation(api: Api, expr: TypeExpr) -> str:
    """What a method accepts: the model, or what validates into it (a bare key, a dict, an enum value)."""
    if isinstance(expr, Named):
        if expr.name in api.enums_by_name:
            enum = api.enums_by_name[expr.name]
            return f"{expr.name} | {'int' if enum.json_type == 'integer' else 'str'}"
        t = api.types_by_name[expr.name]
        if t.key_ref and t.fields:
            return f"{expr.name} | {annotation(t.fields[0].type)}"
        return f"{expr.name} | {param_class(expr.name)}"
    if isinstance(expr, ArrayOf):
        return f"Sequence[{param_annotation(api, expr.items)}]"
    if isinstance(expr, MapOf):
        return f"Mapping[str, {param_annotation(api, expr.values)}]"
    if isinstance(expr, UnionOf):
        return " | ".join(param_annotation(api, option) for option in expr.options)
    if isinstance(expr, Primitive) and expr.format == "datetime":
        return "datetime | str"
    return annotation(expr)


def field_parameter(api: Api, f: Field, *, required: bool, keyword_only: bool = True) -> Parameter:
    """A request field as an argument; an optional one defaults to NOT_GIVEN (the field is left out), as None is
    a value (JSON null) for a field the server lets you clear."""
    text = param_annotation(api, f.type)
    bare = key_annotation(api, f.type)
    if required:
        return Parameter(f.python_name, text, None, keyword_only, f, bare)
    return Parameter(f.python_name, f"{text} | None | NotGiven", "NOT_GIVEN", keyword_only, f, bare)


def signature(api: Api, command: Command) -> Signature:
    """The resource method of ``command``: ``client.<resource>.<method>(...)``."""
    fields = request_fields(api, command)
    names = [f.python_name for f in fields]
    if OWN_ARGUMENTS & set(names) or len(set(names)) != len(names):
        raise ValueError(f"{command.name}: request field names clash with the method's own arguments")
    first = next((f for f in fields if f.required), None)
    params = [field_parameter(api, first, required=True, keyword_only=False)] if first else []
    keywords = [field_parameter(api, f, required=f.required) for f in fields if f is not first]
    # required keywords first, as a reader scans for what must be given (a stable sort: schema order within)
    keywords.sort(key=lambda p: not p.required)
    params += keywords
    params.append(Parameter(EXTRA_BODY, EXTRA_BODY_ANNOTATION, "None", True))
    params.append(Parameter(TIMEOUT, TIMEOUT_ANNOTATION, "None", True))
    return Signature(command, command.resource, command.method, tuple(params), command.response_class)


def update_signature(api: Api, name: str, key: Parameter, fields: tuple[Field, ...], merge: Command) -> Signature:
    """An update helper (``client.assets.update(asset, *, name=..., attempts=..., timeout=...)``): the get's key
    argument, then each field of the object, every one optional, then the bound on rounds and the timeout."""
    own = {key.name, ATTEMPTS, TIMEOUT}
    if own & {f.python_name for f in fields}:
        raise ValueError(f"{merge.resource}.{name}: {merge.object} has a field named like an argument of {name}()")
    params = [key, *(field_parameter(api, f, required=False) for f in fields)]
    params.append(Parameter(ATTEMPTS, "int", "DEFAULT_ATTEMPTS", True))
    params.append(Parameter(TIMEOUT, TIMEOUT_ANNOTATION, "None", True))
    return Signature(merge, merge.resource, name, tuple(params), merge.response_class)


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
    if isinstance(expr, UnionOf):
        return " | ".join(annotation(option) for option in expr.options)
    assert isinstance(expr, Primitive)
    if expr.format == "datetime":
        return "datetime"
    return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}[expr.json_type]
