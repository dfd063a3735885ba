"""What the schema says about every command, message, type, subscription and error code.

The facts are generated into ``_registry.json`` (data, not code: it needs no formatting and loads in about a
millisecond); this module turns them into typed specs. Classes are named by import path and resolved lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from ._specs import CommandSpec, ErrorSpec, MessageSpec, SubscriptionSpec, TypeSpec

_S = TypeVar("_S")


def _spec(cls: type[_S], entry: dict[str, Any]) -> _S:
    return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in entry.items()})


_DATA: dict[str, Any] = json.loads(Path(__file__).with_name("_registry.json").read_text(encoding="utf-8"))

PACKAGE: str = _DATA["package"]
VERSION: str = _DATA["version"]
DEFAULT_URL: str = _DATA["default_url"]
REPLY_PATH: str = _DATA["reply_path"]


class _Messages(dict[str, MessageSpec]):
    """Message specs by name; ``get`` and ``[]`` also answer to a message's other spellings (``x-wire`` aliases),
    so a frame named either way decodes to the same typed event, while iteration sees each message once."""

    def __init__(self, specs: dict[str, MessageSpec]) -> None:
        super().__init__(specs)
        self.aliases = {alias: spec for spec in specs.values() for alias in spec.aliases}

    def __missing__(self, name: str) -> MessageSpec:
        return self.aliases[name]

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name) or self.aliases.get(name, default)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self.aliases


COMMANDS: dict[str, CommandSpec] = {e["name"]: _spec(CommandSpec, e) for e in _DATA["commands"]}
MESSAGES: dict[str, MessageSpec] = _Messages({e["name"]: _spec(MessageSpec, e) for e in _DATA["messages"]})
TYPES: dict[str, TypeSpec] = {e["name"]: _spec(TypeSpec, e) for e in _DATA["types"]}
SUBSCRIPTIONS: dict[str, SubscriptionSpec] = {e["name"]: _spec(SubscriptionSpec, e) for e in _DATA["subscriptions"]}
ERRORS: dict[int, ErrorSpec] = {e["code"]: _spec(ErrorSpec, e) for e in _DATA["errors"]}
ERROR_CODES: dict[str, int] = {spec.name: code for code, spec in ERRORS.items()}

# request class path -> command name, so encoding a request needs no import of other sections
REQUEST_NAMES: dict[str, str] = {spec.request_path: name for name, spec in COMMANDS.items()}

del _DATA
