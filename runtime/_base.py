"""Base classes of every generated model.

Received data is lenient: unknown fields are kept (``model_extra``), unknown enum values become pseudo-members
(``open_enum_schema``; an enum called in code, ``AssetType("spaceship")``, still raises ValueError), and a field
whose value does not match the schema is left at its default with the value as sent kept in ``wire_mismatches``
(see ``_receipt``), so a newer or differently shaped server never breaks decoding. Data we send is strict:
``outgoing_problems`` lists every unknown field, unknown enum value or non-finite number before a request is
encoded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import core_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

from ._receipt import mismatches_of

# Fields holding a password (login, updateOwnPassword) or a machine's secret: repr() and str() show "***".
SECRET_FIELDS = frozenset({"password", "current", "secret"})


class WireModel(BaseModel):
    """An object as it travels on the wire: snake_case attributes, camelCase aliases."""

    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,  # build validators on first use: importing the package stays cheap
    )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, ("***" if name in SECRET_FIELDS and isinstance(value, str) else value)

    @property
    def wire_mismatches(self) -> dict[str, Any]:
        """Fields of this object whose value as received did not match the schema: wire name -> the value as sent.

        Such a field holds its default (usually ``None``) and is not in ``model_fields_set``; nested objects
        keep their own (``reply.user.wire_mismatches``). Empty when everything matched.
        """
        return mismatches_of(self)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict this object is sent as (camelCase keys, unset fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class KeyRefModel(WireModel):
    """A small reference such as ``{"id": 42}``, which callers may also give as the bare key ``42``."""

    @model_validator(mode="before")
    @classmethod
    def _from_bare_key(cls, data: Any) -> Any:
        if isinstance(data, (int, str)) and not isinstance(data, bool):
            name, info = next(iter(cls.model_fields.items()))
            return {info.alias or name: data}
        return data


class RequestModel(WireModel):
    """The body of a command the client sends. Unknown top-level fields are rejected at once."""

    model_config = ConfigDict(extra="forbid")


def open_enum_schema(cls: type[Enum], source: object, handler: object) -> core_schema.CoreSchema:
    """How pydantic validates a generated enum: its own members first (in pydantic-core, the fast path), then any
    other value of the enum's JSON type as a pseudo-member that keeps the value. Only validation takes this way,
    so ``AssetType("spaceship")`` in code raises ValueError (a typo is caught), while a reply from a newer server
    still decodes."""
    known = cast("GetCoreSchemaHandler", handler)(source)
    plain: type[int] | type[str] = int if issubclass(cls, int) else str

    def pseudo_member(value: object) -> Enum:
        if not isinstance(value, plain) or isinstance(value, bool):
            raise ValueError(f"not a {cls.__name__} value")
        member: Enum = plain.__new__(cls, value)  # type: ignore[type-var]  # cls is a str or int Enum
        member._name_ = str(value)
        member._value_ = value
        return member

    unknown = core_schema.no_info_plain_validator_function(pseudo_member)
    return core_schema.union_schema([known, unknown], mode="left_to_right", serialization=known.get("serialization"))


def is_known_member(value: Enum) -> bool:
    """False for a pseudo-member made from a value the SDK did not know."""
    return value._name_ in type(value).__members__


def outgoing_problems(model: BaseModel, path: str = "") -> list[str]:
    """Every unknown field, unknown enum value and non-finite number in ``model`` and below it, as readable paths."""
    if _model_clean(model):  # the usual case: one walk that builds no path strings
        return []
    problems: list[str] = []
    for key in model.model_extra or {}:
        problems.append(f"{path}{key}: unknown field")
    fields_set = model.__pydantic_fields_set__  # an unset field holds its default, which is always valid
    for name in type(model).model_fields:
        if name in fields_set:
            problems.extend(_value_problems(getattr(model, name), f"{path}{name}"))
    return problems


# Exact types, never a problem: isinstance would also take a str or int Enum, whose member must be checked.
_PLAIN = frozenset({str, int, bool, type(None)})


def _model_clean(model: BaseModel) -> bool:
    if model.model_extra:
        return False
    # only the fields that were set (an unset one holds its valid default); with no extras these are all declared
    # fields. Not type(model).model_fields: on pydantic 2.11+ that is a property building its answer on every access.
    return all(_value_clean(getattr(model, name)) for name in model.__pydantic_fields_set__)


def _value_clean(value: Any) -> bool:
    """``_value_problems(value, ...)`` is empty; the same rules, without the readable paths."""
    if type(value) in _PLAIN:
        return True
    if isinstance(value, BaseModel):
        return _model_clean(value)
    if isinstance(value, Enum):
        return is_known_member(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_value_clean(item) for item in value)
    if isinstance(value, dict):
        return all(_value_clean(item) for item in value.values())
    return True


def _value_problems(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return outgoing_problems(value, path + ".")
    if isinstance(value, Enum):
        return [] if is_known_member(value) else [f"{path}: unknown {type(value).__name__} value {value.value!r}"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path}: {value} is not a JSON number"]
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in _value_problems(item, f"{path}[{index}]")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _value_problems(item, f"{path}[{key!r}]")]
    return []
