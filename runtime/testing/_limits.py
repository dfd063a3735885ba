"""What one client may cost the emulator: outbound bytes, time to log in, idle connections, password guesses.

A test bed that anyone on the machine can reach must not be made to buffer without limit, to hold connections
that never log in, or to answer password guesses as fast as they come. The limits here are generous for tests
(a test that needs more passes its own ``Limits``) and tight enough that a misbehaving peer is cut off quickly.
Throttled logins are answered the way the real API answers a flood: ``commandThrottled`` with ``errorDetails``
naming the window, which the client honours by holding its next login back.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limits:
    """The emulator's resource limits (pass one to ``Emulator(limits=...)``)."""

    max_outbound_bytes: int = 16 * 1024 * 1024  # replies and sync messages queued per connection; past it: closed
    login_deadline: float = 30.0  # seconds a connection may stay without a logged-in session
    max_unauthenticated_per_address: int = 64  # connections not logged in, per client address
    login_failures: int = 5  # failed logins per login name within ``login_window``, then throttled
    login_failures_per_address: int = 30  # failed logins per client address within ``login_window``
    login_window: float = 60.0  # seconds


@dataclass(slots=True)
class _Window:
    """Times of recent failures, oldest first, forgotten once older than the window."""

    times: deque[float] = field(default_factory=deque)

    def count(self, now: float, window: float) -> int:
        while self.times and self.times[0] <= now - window:
            self.times.popleft()
        return len(self.times)


class LoginThrottle:
    """Failed logins per login name and per client address in a sliding window.

    ``wait`` says how long a new attempt must wait (0 when it may go ahead); only failures count, so a user who
    types the password right is never slowed, and a success clears that login's count.
    """

    MAX_TRACKED = 10_000  # keys kept; past that the quietest are forgotten so the table stays bounded

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._by_login: dict[str, _Window] = {}
        self._by_address: dict[str, _Window] = {}

    def wait(self, login: str, address: str | None, now: float | None = None) -> tuple[float, int]:
        """``(seconds to wait, failures counted)`` for an attempt at ``login`` from ``address``."""
        now = time.monotonic() if now is None else now
        limits = self._limits
        waits: list[tuple[float, int]] = []
        for table, key, allowed in (
            (self._by_login, login, limits.login_failures),
            (self._by_address, address, limits.login_failures_per_address),
        ):
            window = table.get(key) if key is not None else None
            if window is not None and window.count(now, limits.login_window) >= allowed:
                waits.append((window.times[0] + limits.login_window - now, len(window.times)))
        return max(waits) if waits else (0.0, 0)

    def failed(self, login: str, address: str | None, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for table, key in ((self._by_login, login), (self._by_address, address)):
            if key is None:
                continue
            if len(table) >= self.MAX_TRACKED and key not in table:
                self._prune(table, now)
            table.setdefault(key, _Window()).times.append(now)

    def succeeded(self, login: str) -> None:
        self._by_login.pop(login, None)

    def _prune(self, table: dict[str, _Window], now: float) -> None:
        for key in [k for k, w in table.items() if not w.count(now, self._limits.login_window)]:
            del table[key]
        while len(table) >= self.MAX_TRACKED:
            table.pop(next(iter(table)))
