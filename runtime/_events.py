"""Base classes of the typed messages the server pushes; ``events.py`` adds one generated class per message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T", covariant=True)  # a ServerMessage[AssetGeneral] is a ServerMessage[BaseModel]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of everything the client's event stream yields."""

    name: ClassVar[str] = ""


@dataclass(frozen=True, slots=True)
class ServerMessage(Event, Generic[T]):
    """A message the server pushed, with its typed body in ``data``."""

    data: T
    kind: ClassVar[str] = ""
    subscriptions: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True, slots=True)
class Merged(ServerMessage[T]):
    """An object (or one part of it) was created or changed; ``data`` is its new state."""

    kind: ClassVar[str] = "merged"


@dataclass(frozen=True, slots=True)
class Deleted(ServerMessage[T]):
    """An object was deleted; ``data`` names it (id and company)."""

    kind: ClassVar[str] = "deleted"


@dataclass(frozen=True, slots=True)
class Suspended(ServerMessage[T]):
    """An object was suspended or revived."""

    kind: ClassVar[str] = "suspended"


@dataclass(frozen=True, slots=True)
class AccountChanged(ServerMessage[T]):
    """The logged-in account itself changed (no subscription needed)."""

    kind: ClassVar[str] = "account"


@dataclass(frozen=True, slots=True)
class BroadcastMessage(ServerMessage[T]):
    """A notice the server sends to every connected client (maintenance, upgrade)."""

    kind: ClassVar[str] = "broadcast"


@dataclass(frozen=True, slots=True)
class SessionEndedMessage(ServerMessage[T]):
    """The server ended this session; reconnecting with its ghostId will not resume it."""

    kind: ClassVar[str] = "sessionEnded"


@dataclass(frozen=True, slots=True)
class ConnectionMessage(ServerMessage[T]):
    """The first frame on every connection, describing the session."""

    kind: ClassVar[str] = "connection"


@dataclass(frozen=True, slots=True)
class UnknownFrame(Event):
    """A well-formed frame this SDK cannot type: a name it does not know. (A known name whose body does not fully
    match the schema is still typed; see ``WireModel.wire_mismatches``.)

    ``reason`` says why it was not typed (``None`` for an unknown name); ``data`` is the parsed JSON body.
    """

    frame_name: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
