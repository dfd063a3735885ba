"""Fault injection: rules a test arms so the emulator misbehaves the way a real network or server can.

Rules act on replies (delay them, withhold them, drop or close the connection when a command arrives), on new
connections (refuse them, throttle them) and on commands (throttle them). Each rule may be limited to one command
and to a number of times; ``clear()`` disarms everything. Safe to call from any thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

Action = Literal["delay", "withhold", "drop", "close"]


@dataclass(slots=True)
class ReplyRule:
    action: Action
    command: str | None = None  # None: every command
    times: int | None = None  # None: until cleared
    seconds: float = 0.0
    code: int = 1011
    reason: str = ""


@dataclass(slots=True)
class Throttle:
    command: str | None
    times: int | None
    timeout: float | None  # seconds of the throttling window; None when the limit has no window


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[ReplyRule] = []
        self._command_throttles: list[Throttle] = []
        self._session_throttles: list[Throttle] = []
        self.refusing = False

    # ------------------------------------------------------------------ arming
    def delay_replies(self, seconds: float, *, command: str | None = None, times: int | None = None) -> None:
        """Send replies ``seconds`` late (later replies may overtake them: correlation is by reqId)."""
        self._add(ReplyRule("delay", command, times, seconds=max(0.0, seconds)))

    def withhold_replies(self, *, command: str | None = None, times: int | None = None) -> None:
        """Never answer (the command still takes effect), so the client's timeout is what ends the wait."""
        self._add(ReplyRule("withhold", command, times))

    def drop_on(self, command: str | None = None, *, times: int | None = 1) -> None:
        """Cut the TCP connection, without a close frame, when the command arrives (before it runs)."""
        self._add(ReplyRule("drop", command, times))

    def close_on(
        self, command: str | None = None, *, code: int = 1011, reason: str = "", times: int | None = 1
    ) -> None:
        """Close the WebSocket with ``code`` when the command arrives (before it runs)."""
        self._add(ReplyRule("close", command, times, code=code, reason=reason))

    def refuse_connections(self, refuse: bool = True) -> None:
        """Answer new WebSocket handshakes with HTTP 503 until called with ``False``."""
        self.refusing = refuse

    def throttle_commands(
        self, *, command: str | None = None, times: int | None = 1, timeout: float | None = 60.0
    ) -> None:
        """Answer the next commands (or only ``command``) with commandThrottled (105) instead of running them."""
        with self._lock:
            self._command_throttles.append(Throttle(command, times, timeout))

    def throttle_sessions(self, *, times: int | None = 1, timeout: float | None = None) -> None:
        """Answer the next connections with a sessionThrottled (73) connectionResponse, then close them."""
        with self._lock:
            self._session_throttles.append(Throttle(None, times, timeout))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._command_throttles.clear()
            self._session_throttles.clear()
        self.refusing = False

    # ------------------------------------------------------------------ consulted by the server
    def reply_rule(self, command: str) -> ReplyRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.command in (None, command):
                    self._spend(self._rules, rule)
                    return rule
        return None

    def command_throttle(self, command: str) -> Throttle | None:
        with self._lock:
            for throttle in self._command_throttles:
                if throttle.command in (None, command):
                    self._spend(self._command_throttles, throttle)
                    return throttle
        return None

    def session_throttle(self) -> Throttle | None:
        with self._lock:
            for throttle in self._session_throttles:
                self._spend(self._session_throttles, throttle)
                return throttle
        return None

    # ------------------------------------------------------------------ helpers
    def _add(self, rule: ReplyRule) -> None:
        with self._lock:
            self._rules.append(rule)

    @staticmethod
    def _spend(rules: list[ReplyRule] | list[Throttle], rule: ReplyRule | Throttle) -> None:
        if rule.times is None:
            return
        rule.times -= 1
        if rule.times <= 0:
            rules.remove(rule)  # type: ignore[arg-type]


def timespan(seconds: float | None) -> str | None:
    """The wire form of a duration (.NET TimeSpan text): ``"00:01:00"``, ``"1.02:00:00"``."""
    if seconds is None:
        return None
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{text}" if days else text
