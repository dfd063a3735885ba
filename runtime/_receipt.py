"""Forgiving receipt: a reply or push whose body does not quite match the schema is still delivered typed.

The schema is reconstructed from documentation and will always be a little wrong somewhere, so one odd field must
not cost the caller the whole frame (a login reply, its ghostId, a sync update). The contract:

- the frame is delivered as its typed class;
- a field whose value does not match its declared type is left at its default (usually ``None``) and out of
  ``model_fields_set``, so the annotations never lie (a field typed ``int`` never holds a dict);
- the value as sent stays on the object that declares the field: ``obj.wire_mismatches`` maps the field's wire
  name to that value (see ``WireModel.wire_mismatches``);
- the caller learns what was repaired as ``Mismatch`` records (the client logs and counts them).

The unit of repair is the innermost declared field around the problem: a bad value inside one element of a list
of objects costs that element's field, not the list; a list item or map value of the wrong kind costs the list
or map field that holds it (a list with a hole would mean something else). When the field left out is required,
the object holding it is left out in turn, one level up.

This only runs after ``validate_json`` has failed, so frames that match the schema pay nothing for it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, Union

import pydantic_core
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

Step = str | int
Path = tuple[Step, ...]

# where an object keeps the values it did not take: a key in pydantic's per-instance private dict, which exists on
# every model and costs nothing until used (a declared PrivateAttr would run Python code for every object decoded)
MISMATCHES_KEY = "fleetfreedom_wire_mismatches"
_MAX_ROUNDS = 16  # each round leaves out at least one more field; real bodies need one or two


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One received field whose value did not match the schema; the typed object holds its default instead.

    ``owner`` is the class declaring the field, ``field`` its wire name, ``steps`` where it sits in the frame body
    (wire names and list indices; ``path`` spells them ``user.contact``, ``assets[3].name``), ``value`` the value
    as sent and ``problem`` what did not match.
    """

    owner: str
    field: str
    steps: Path
    value: Any
    problem: str

    @property
    def path(self) -> str:
        return format_path(self.steps)

    @property
    def sent_kind(self) -> str:
        """The JSON kind of the value as sent (object, list, string, number, boolean, null): safe to log."""
        return json_kind(self.value)


def json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def format_path(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "body"


def mismatches_of(model: BaseModel) -> dict[str, Any]:
    """The values ``model`` did not take (wire name -> value as sent); empty for an object that matched."""
    private = model.__pydantic_private__
    found = private.get(MISMATCHES_KEY) if private else None
    return dict(found) if found else {}


def validate_received(cls: type[M], body: str | bytes) -> tuple[M, tuple[Mismatch, ...]]:
    """``body`` (a JSON object) as ``cls``: strict where it can be, forgiving where it must be.

    Raises ValueError only when ``body`` is not a JSON object at all, or when even leaving out every field
    that fails cannot build ``cls`` (a class with a required field the body lacks).
    """
    try:
        return cls.model_validate_json(body), ()
    except ValidationError as exc:
        error = exc
    original = pydantic_core.from_json(body)
    if not isinstance(original, dict):
        raise ValueError("the body is not a JSON object")
    return repair(cls, original, error)


def validate_received_data(cls: type[M], data: Mapping[str, Any]) -> tuple[M, tuple[Mismatch, ...]]:
    """As ``validate_received``, for a body already parsed (or built) as plain JSON values."""
    return validate_received(cls, pydantic_core.to_json(data))


def repair(cls: type[M], original: dict[str, Any], error: ValidationError) -> tuple[M, tuple[Mismatch, ...]]:
    """Validate ``original`` as ``cls``, leaving out each field that fails (``error`` is the first failure)."""
    data = pydantic_core.from_json(pydantic_core.to_json(original))  # a copy to cut; ``original`` keeps the values
    cuts: dict[Path, tuple[type[BaseModel], str]] = {}  # path of a left-out field -> (declaring class, problem)
    for _ in range(_MAX_ROUNDS):
        found = _cuts_for(cls, data, error)
        if not found:
            break
        for path, (owner, problem) in found.items():
            _remove(data, path)
            for inner in [p for p in cuts if p[: len(path)] == path]:
                del cuts[inner]  # the field holding them is left out whole: one record says so
            cuts[path] = (owner, problem)
        try:
            model = cls.model_validate_json(pydantic_core.to_json(data))
        except ValidationError as exc:
            error = exc
            continue
        return model, tuple(_keep(model, original, path, owner, problem) for path, (owner, problem) in cuts.items())
    raise ValueError(f"cannot build {cls.__name__} from this body: {_first_problem(error)}")


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    return f"{format_path(tuple(first['loc']))}: {first['msg']}"


def _cuts_for(cls: type[BaseModel], data: Any, error: ValidationError) -> dict[Path, tuple[type[BaseModel], str]]:
    """The fields to leave out for this round's errors: for each error, the innermost declared field around it."""
    found: dict[Path, tuple[type[BaseModel], str]] = {}
    for problem in error.errors(include_url=False):
        cut = _innermost_field(cls, _data_path(data, problem["loc"]))
        if cut is not None:
            found.setdefault(cut[0], (cut[1], problem["msg"]))
    # a union reports a failure per member; when one cut lies inside another, try the finer one first (the
    # coarser one comes back next round if it is still needed)
    return {p: v for p, v in found.items() if not any(q != p and q[: len(p)] == p for q in found)}


def _data_path(data: Any, loc: Sequence[Step]) -> Path:
    """The steps of ``loc`` that lead into ``data``: union member tags, ``[key]`` markers and the name of a
    missing field are not steps into the body and are skipped."""
    path: list[Step] = []
    node = data
    for step in loc:
        into_object = isinstance(node, dict) and isinstance(step, str) and step in node
        into_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if into_object or into_list:
            node = node[step]
            path.append(step)
    return tuple(path)


def _innermost_field(cls: type[BaseModel], path: Path) -> tuple[Path, type[BaseModel]] | None:
    """The longest prefix of ``path`` that ends on a declared model field, and the class declaring it."""
    found: tuple[Path, type[BaseModel]] | None = None
    tp: Any = cls
    for index, step in enumerate(path):
        tp, owner = _below(tp, step)
        if owner is not None:
            found = (path[: index + 1], owner)
        if tp is None:
            break
    return found


def _below(tp: Any, step: Step) -> tuple[Any, type[BaseModel] | None]:
    """The declared type one ``step`` below a value of type ``tp``, and the model class when the step is a field."""
    for member in _members(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            if isinstance(step, str) and (field := _fields(member).get(step)) is not None:
                return field[1], member
            continue
        origin, args = typing.get_origin(member), typing.get_args(member)
        if isinstance(step, int) and origin in (list, tuple, set, frozenset, Sequence) and args:
            return args[0], None
        if isinstance(step, str) and origin in (dict, Mapping) and len(args) == 2:
            return args[1], None
    return None, None


def _members(tp: Any) -> tuple[Any, ...]:
    """``tp`` without Annotated and None, its union members listed one by one."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (Union, types.UnionType):
        return tuple(m for arg in typing.get_args(tp) for m in _members(arg) if m is not type(None))
    return (tp,)


@cache
def _fields(cls: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Wire name (and attribute name) -> (attribute name, declared type) of every field of ``cls``."""
    try:  # a model whose validator is built lazily may still hold its annotations as forward references
        hints = typing.get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        hints = {}
    table: dict[str, tuple[str, Any]] = {}
    for name, info in cls.model_fields.items():
        declared = hints.get(name, info.annotation)
        table[name] = (name, declared)
        if info.alias:
            table[info.alias] = (name, declared)
    return table


def _remove(data: Any, path: Path) -> None:
    node = data
    for step in path[:-1]:
        node = node[step]
    node.pop(path[-1], None)


def _keep(model: BaseModel, original: Any, path: Path, owner: type[BaseModel], problem: str) -> Mismatch:
    """Record the left-out value on the object that declares the field, and as a Mismatch for the caller."""
    value = original
    for step in path:
        value = value[step]
    holder: Any = model
    try:
        for step in path[:-1]:
            if isinstance(holder, BaseModel):
                holder = getattr(holder, _fields(type(holder))[str(step)][0])
            else:
                holder = holder[step]
    except (LookupError, AttributeError, TypeError):  # validation reshaped the data on the way (a bare key)
        holder = None
    if isinstance(holder, BaseModel):
        private = holder.__pydantic_private__
        if private is None:
            private = {}
            object.__setattr__(holder, "__pydantic_private__", private)
        private.setdefault(MISMATCHES_KEY, {})[path[-1]] = value
    return Mismatch(owner.__name__, str(path[-1]), path, value, problem)
