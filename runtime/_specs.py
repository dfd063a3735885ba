"""What the generated registry (``_registry.py``) records about each command, message and type.

Classes are named by import path and resolved on first use, so the registry can describe the whole API without
importing every section's models up front.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any


def resolve(path: str) -> Any:
    """``"fleetfreedom.models.assets:AssetGeneral"`` -> the class."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class _Lazy:
    """A class reference resolved once, on first use."""

    __slots__ = ("_value", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._value: Any = None

    def get(self) -> Any:
        if self._value is None:
            self._value = resolve(self.path)
        return self._value


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    section: str
    verb: str
    object: str | None
    resource: str
    method: str
    request_path: str
    response_path: str
    filter: str | None = None
    filter_field: str | None = None  # the listed objects' field the filter matches, when named otherwise
    errors: tuple[str, ...] = ()
    emits: tuple[str, ...] = ()
    request_fields: tuple[str, ...] = ()  # wire names
    response_fields: tuple[str, ...] = ()
    confirmed: bool = True
    _request: _Lazy = field(init=False, repr=False, compare=False)
    _response: _Lazy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_request", _Lazy(self.request_path))
        object.__setattr__(self, "_response", _Lazy(self.response_path))

    @property
    def reply_name(self) -> str:
        return self.name + "Response"

    @property
    def request_class(self) -> Any:
        return self._request.get()

    @property
    def response_class(self) -> Any:
        return self._response.get()


@dataclass(frozen=True, slots=True)
class MessageSpec:
    name: str
    kind: str  # merged deleted suspended account broadcast sessionEnded connection
    payload: str  # schema type name
    payload_path: str
    event_path: str
    subscriptions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other names the vendor's sources give this message; decoded as this one
    _payload: _Lazy = field(init=False, repr=False, compare=False)
    _event: _Lazy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_payload", _Lazy(self.payload_path))
        object.__setattr__(self, "_event", _Lazy(self.event_path))

    @property
    def payload_class(self) -> Any:
        return self._payload.get()

    @property
    def event_class(self) -> Any:
        return self._event.get()


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    path: str
    key: str | None = None  # wire name of the identity field
    owner: str | None = None  # wire name of the field naming the owning company
    part_of: str | None = None
    version_slot: int | None = None
    parts: tuple[str | None, ...] = ()
    fields: tuple[str, ...] = ()  # wire names
    aliases: tuple[tuple[str, str], ...] = ()  # (alternate spelling, wire name) accepted on receipt
    _class: _Lazy = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_class", _Lazy(self.path))

    @property
    def cls(self) -> Any:
        return self._class.get()


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    name: str
    object: str
    messages: tuple[str, ...]
    retired: bool = False


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    name: str
    code: int
    group: str
    exception: str
