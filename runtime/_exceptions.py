"""The exception hierarchy's hand-written roots; ``errors.py`` adds one generated class per ErrorCode."""

from __future__ import annotations

from typing import Any


class FleetFreedomError(Exception):
    """Root of every exception this package raises."""


class FrameError(FleetFreedomError):
    """A frame could not be read: no space after the name, a bad name, or a body that is not a JSON object."""

    def __init__(self, problem: str, frame: str) -> None:
        shown = frame if len(frame) <= 120 else frame[:117] + "..."
        super().__init__(f"{problem}: {shown!r}")
        self.problem = problem
        self.frame = frame


class RequestError(FleetFreedomError):
    """A request was refused before anything was sent (unknown fields or values, wrong types)."""

    def __init__(self, command: str, problems: list[str]) -> None:
        super().__init__(f"{command}: " + "; ".join(problems))
        self.command = command
        self.problems = problems


class TransportError(FleetFreedomError):
    """The connection, not the server's answer, is the problem."""


class ConnectionLost(TransportError):
    """The connection dropped while a request was waiting for its reply."""


class NotConnected(TransportError):
    """The client is not connected (never connected, closed, or gave up reconnecting)."""


class RequestTimeout(TransportError):
    """No reply arrived within the request's timeout."""

    def __init__(self, command: str, timeout: float, req_id: int | None = None) -> None:
        super().__init__(f"{command}: no reply within {timeout:g} s (reqId {req_id})")
        self.command = command
        self.timeout = timeout
        self.req_id = req_id


class ApiError(FleetFreedomError):
    """The server answered a command with a non-zero errorCode. ``errors.py`` has one subclass per code."""

    code: int = -1

    def __init__(
        self,
        code: int,
        message: str,
        *,
        command: str | None = None,
        req_id: int | None = None,
        details: Any = None,
        reply: Any = None,
    ) -> None:
        # a server message that already names the command (``mergeAsset: stale version``) is not prefixed twice
        where = f"{command}: " if command and not (message or "").startswith(f"{command}:") else ""
        super().__init__(f"{where}{message or 'error'} (errorCode {code})")
        self.code = code
        self.message = message
        self.command = command
        self.req_id = req_id
        self.details = details
        self.reply = reply
