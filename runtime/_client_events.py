"""Events the client itself adds to the stream of server messages: connection changes and unreadable frames.

They share the ``Event`` base with the generated server messages, so one ``async for event in client.events()``
loop (or one ``client.on(...)`` callback) sees everything in the order it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ._events import Event


@dataclass(frozen=True, slots=True)
class ClientEvent(Event):
    """Base of the events the client makes up itself (not sent by the server)."""


@dataclass(frozen=True, slots=True)
class Reconnecting(ClientEvent):
    """The connection was lost; the client waits ``delay`` seconds and then tries again (attempt ``attempt``).

    ``reason`` says what went wrong last (the lost connection, or the failed previous attempt).
    """

    name: ClassVar[str] = "reconnecting"
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class Reconnected(ClientEvent):
    """The session was resumed by its ghostId on a new connection and the accepted subscriptions renewed.

    Sync messages may have been missed while disconnected: re-list what you cache. ``subscriptions`` maps each
    company id to the subscription types the server accepted again; ``denied`` to those it refused this time.
    """

    name: ClassVar[str] = "reconnected"
    attempts: int
    ghost_id: str | None
    subscriptions: dict[int, tuple[str, ...]] = field(default_factory=dict)
    denied: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Disconnected(ClientEvent):
    """The client stopped for good: closed by the caller, or the session ended and cannot be resumed.

    ``error`` is the typed reason (for example ``SessionExpired`` or ``LoggedOut``); ``None`` after ``close()``.
    """

    name: ClassVar[str] = "disconnected"
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class MalformedFrame(ClientEvent):
    """A frame that is not ``name {JSON object}`` (or a binary frame). It was logged and skipped."""

    name: ClassVar[str] = "malformedFrame"
    problem: str
    frame: str = ""


__all__ = ["ClientEvent", "Disconnected", "MalformedFrame", "Reconnected", "Reconnecting"]
