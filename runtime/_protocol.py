"""The client's protocol logic, written once and without I/O (the asyncio and threaded clients drive it).

``Protocol`` is told what happened (a transport opened or closed, a frame arrived, the clock moved) and answers
with what to do (resolve a request, emit an event, close the transport, reconnect after a delay). It owns the one
copy of every piece of client state: the connection state machine, reqId allocation, the pending-request table,
the session snapshot, the accepted subscriptions, throttling and maintenance pauses, keep-alive deadlines and the
reconnect backoff. Time is passed in (``now``, monotonic seconds) and randomness is injected, so every rule here
is a pure, testable computation.
"""

from __future__ import annotations

import enum
import logging
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from ._client_events import MalformedFrame
from ._codec import UNKNOWN_COMMAND_REPLY, build_request, decode_reporting, encode_frame, encode_raw
from ._events import Event, ServerMessage, UnknownFrame
from ._exceptions import ApiError, ConnectionLost, FleetFreedomError, FrameError, NotConnected
from ._receipt import Mismatch, mismatches_of, validate_received_data
from ._registry import COMMANDS, ERROR_CODES, ERRORS, MESSAGES

if TYPE_CHECKING:
    # the session's own account as the session replies carry it (contact and groups embedded whole)
    from .models.companies import PasswordPolicy, SessionPolicy
    from .models.users import SelfMachine, SelfUser

log = logging.getLogger("fleetfreedom")

# Pushes that only become an event (merged, deleted, suspended objects): ``receive`` hands them straight to the
# driver. The other kinds change the core's state (session, pause, the end) and go through ``_dispatch``.
_PLAIN_PUSHES = frozenset(name for name, spec in MESSAGES.items() if spec.kind in ("merged", "deleted", "suspended"))


# Codes the client acts on by name. Their numbers are the schema's (errors.yaml); the generator refuses a schema
# without one of them (RUNTIME_ERROR_NAMES in generator/ir/build.py), so these lookups cannot fail.
SUCCESS = 0
SESSION_EXPIRED = ERROR_CODES["sessionExpired"]
USER_NOT_LOGGED_IN = ERROR_CODES["userNotLoggedIn"]
PASSWORD_EXPIRED = ERROR_CODES["passwordExpired"]
SESSION_THROTTLED = ERROR_CODES["sessionThrottled"]
COMMAND_THROTTLED = ERROR_CODES["commandThrottled"]
LOGGED_OUT = ERROR_CODES["loggedOut"]

# connectionResponse codes that still give a usable connection to a user session (as the vendor's C# client):
# logged in, session expired or not logged in yet (log in again), password expired (change it, then go on).
CONNECTED_CODES = frozenset({SUCCESS, SESSION_EXPIRED, USER_NOT_LOGGED_IN, PASSWORD_EXPIRED})
# a machine (API key) session has no login step to fall back on: only success makes it usable
MACHINE_CONNECTED_CODES = frozenset({SUCCESS})
# replies and pushes that describe the session as a whole
ACCOUNT_REPLIES = frozenset({"connectionResponse", "loginResponse", "getSessionDetailsResponse"})


def error_group(code: int) -> str | None:
    spec = ERRORS.get(code)
    return spec.group if spec else None


def api_error(code: int, message: str | None, **context: Any) -> ApiError:
    """The generated exception for ``code`` (imported on first use: errors.py loads the ErrorCode enum)."""
    from .errors import error_for

    return error_for(code, message or "", **context)


# --- states ------------------------------------------------------------------------------------------------------


class State(enum.Enum):
    IDLE = "idle"  # never connected
    CONNECTING = "connecting"  # opening the WebSocket
    AWAITING_CONNECTION_RESPONSE = "awaitingConnectionResponse"  # open, the server has not spoken yet
    READY = "ready"  # connectionResponse accepted: commands may be sent
    RECONNECTING = "reconnecting"  # lost; waiting before the next attempt
    CLOSING = "closing"  # the caller (or a final server answer) is closing the connection
    CLOSED = "closed"  # for good; ``Protocol.closed_reason`` says why


_MOVES: dict[State, frozenset[State]] = {
    State.IDLE: frozenset({State.CONNECTING, State.CLOSING, State.CLOSED}),
    State.CONNECTING: frozenset({State.AWAITING_CONNECTION_RESPONSE, State.RECONNECTING, State.CLOSING, State.CLOSED}),
    State.AWAITING_CONNECTION_RESPONSE: frozenset({State.READY, State.RECONNECTING, State.CLOSING, State.CLOSED}),
    State.READY: frozenset({State.RECONNECTING, State.CLOSING, State.CLOSED}),
    State.RECONNECTING: frozenset({State.CONNECTING, State.CLOSING, State.CLOSED}),
    State.CLOSING: frozenset({State.CLOSED}),
    State.CLOSED: frozenset(),
}


# --- session -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    """What the server last said about this session (from connectionResponse, loginResponse, ...).

    ``code`` is the errorCode of that account reply: 0 when logged in, 8 (userNotLoggedIn) before login,
    16 (passwordExpired) when the password must be changed before anything else.
    """

    ghost_id: str | None = None
    expiry: datetime | None = None
    server_time: datetime | None = None
    user: SelfUser | None = None  # the logged-in user (user sessions), else None
    machine: SelfMachine | None = None  # the connected machine account (API key sessions), else None
    session_policy: SessionPolicy | None = None
    password_policy: PasswordPolicy | None = None
    code: int = USER_NOT_LOGGED_IN
    message: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.code in (SUCCESS, PASSWORD_EXPIRED) and (self.user is not None or self.machine is not None)

    @property
    def password_expired(self) -> bool:
        return self.code == PASSWORD_EXPIRED or bool(getattr(self.user, "password_expired", False))

    def __repr__(self) -> str:  # the ghostId is a bearer secret: show only its start
        ghost = f"{self.ghost_id[:6]}..." if self.ghost_id else None
        login = getattr(self.user, "login", None) or getattr(self.machine, "key", None)
        name = type(self).__name__
        return f"{name}(ghost_id={ghost!r}, login={login!r}, code={self.code}, expiry={self.expiry!r})"

    def updated_from(self, reply: Any, code: int) -> Session:
        """A copy updated from a reply carrying session fields (only the fields present replace old ones)."""
        changes: dict[str, Any] = {"code": code, "message": getattr(reply, "message", None)}
        for name in ("ghost_id", "expiry", "server_time", "session_policy", "password_policy"):
            value = getattr(reply, name, None)
            if value is not None:
                changes[name] = value
        user, machine = getattr(reply, "user", None), getattr(reply, "machine", None)
        if user is not None or machine is not None or code not in (SUCCESS, PASSWORD_EXPIRED):
            changes["user"], changes["machine"] = user, machine  # a failed or anonymous reply logs nobody in
        return replace(self, **changes)

    def patched(self, part: BaseModel, machine: bool) -> Session:
        """``session*Merged``: fold one changed part of the own account into ``user`` (or ``machine``)."""
        if machine:
            return self if self.machine is None else replace(self, machine=_folded(self.machine, part))
        return self if self.user is None else replace(self, user=_folded(self.user, part))


@dataclass(frozen=True, slots=True, repr=False)  # Session's repr, which masks the ghostId (a generated one shows it)
class UserSession(Session):
    """The session a successful ``login()`` returns: the user and the ghostId are there, so neither needs a
    ``None`` check (``client.session`` stays a ``Session``: before login it has no user)."""

    ghost_id: str = field(kw_only=True)
    user: SelfUser = field(kw_only=True)

    @classmethod
    def of(cls, session: Session) -> UserSession:
        """``session`` after a login; a login reply without a user or a ghostId is a protocol fault, said so."""
        if session.user is None or not session.ghost_id:
            raise FrameError("the loginResponse carried no user or no ghostId", repr(session))
        values = {name: getattr(session, name) for name in Session.__dataclass_fields__}
        return cls(**values)


_Account = TypeVar("_Account", bound=BaseModel)


def _folded(current: _Account, part: BaseModel) -> _Account:
    """``current`` with the fields ``part`` carries; the values either side did not take (wire_mismatches) go back
    in too, so the merged object keeps them."""
    data = {**current.model_dump(by_alias=True, exclude_unset=True), **mismatches_of(current)}
    changed = {**part.model_dump(by_alias=True, exclude_unset=True), **mismatches_of(part)}
    data.update({k: v for k, v in changed.items() if k != "v"})
    merged, _ = validate_received_data(type(current), data)  # already reported when the frames arrived
    return merged


# --- durations ---------------------------------------------------------------------------------------------------

_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)\Z")  # .NET TimeSpan: [d.]hh:mm:ss[.fff]
_NUMBER = r"(\d+(?:\.\d+)?)"
_ISO_DURATION = re.compile(rf"P(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?\Z")  # PT30S


def parse_duration(value: object) -> float | None:
    """Seconds in a server duration: a number of seconds, a .NET TimeSpan ``"00:00:30"`` or ISO ``"PT30S"``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return max(0.0, float(value))
    text = str(value).strip()
    if m := _TIMESPAN.match(text):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + seconds
    if (m := _ISO_DURATION.match(text)) and text != "P":
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + seconds
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


# --- reconnect backoff -------------------------------------------------------------------------------------------

# The defaults of the reconnect policy (README, "Reconnect policy", says how they were chosen).
RECONNECT_DELAY = 1.0  # ceiling of the first wait after a connection that served
RECONNECT_MAX_DELAY = 300.0  # the ceiling repeated failures grow to
HEALTHY_AFTER = 1.0  # a connection dropped sooner than this after being accepted counts as a failure (flapping)


@dataclass(slots=True)
class Backoff:
    """When to try again after the connection was lost: full-jitter exponential backoff with a floor.

    The wait before attempt ``n`` (counted from 0) is uniformly random in ``[floor, min(cap, base * 2**n)]``:
    spread out, so that thousands of clients bounced by one upgrade do not come back in the same second, and never
    zero, so a server that refuses or drops us at once is not hammered in a tight loop. ``floor`` defaults to half
    of ``base``.

    ``n`` counts what went wrong in a row: attempts that failed (refused, TLS or WebSocket handshake failure, no
    acceptable ``connectionResponse``) and connections dropped less than ``healthy_after`` seconds after the server
    accepted them (a flapping server). A connection that served at least that long starts the count afresh: after
    an ordinary drop the client is back within ``base`` seconds, however often drops happen, while a server that
    keeps refusing sees the waits grow to ``cap``.
    """

    base: float = RECONNECT_DELAY
    cap: float = RECONNECT_MAX_DELAY
    floor: float | None = None
    healthy_after: float = HEALTHY_AFTER
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0
    _up_since: float | None = None
    _floor: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        self._floor = self.base / 2 if self.floor is None else self.floor
        if not 0 < self._floor <= self.base <= self.cap:
            raise ValueError("backoff needs 0 < floor <= base <= cap")
        if self.healthy_after < 0:
            raise ValueError("healthy_after must not be negative")

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(self.attempt, 62))
        self.attempt += 1
        return self._floor + self.rng.random() * (ceiling - self._floor)

    def connected(self, now: float) -> None:
        """The server accepted a connection (an acceptable ``connectionResponse``)."""
        self._up_since = now

    def lost(self, now: float) -> None:
        """An accepted connection ended: one that served starts the count afresh, one that flapped adds to it."""
        if self._up_since is not None and now - self._up_since >= self.healthy_after:
            self.attempt = 0
        self._up_since = None


# --- what the core asks its driver to do -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A frame ready to send; its reply (if any) resolves the pending entry ``req_id``."""

    req_id: int
    command: str
    frame: str


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a request: the typed reply, or the exception to raise in the caller (never both)."""

    req_id: int
    command: str
    frame_name: str
    text: str
    data: dict[str, Any] | None = None
    reply: BaseModel | None = None
    error: FleetFreedomError | None = None


@dataclass(frozen=True, slots=True)
class Emit:
    event: Event


@dataclass(frozen=True, slots=True)
class Ready:
    """connectionResponse accepted; ``resumed`` when this was a reconnect (resubscribe, then announce it)."""

    resumed: bool


@dataclass(frozen=True, slots=True)
class CloseTransport:
    """Close the WebSocket. ``final``: do not reconnect (``Protocol.closed_reason`` says why)."""

    reason: str
    final: bool


Effect = Reply | Emit | Ready | CloseTransport


@dataclass(slots=True)
class Pending:
    req_id: int
    command: str
    internal: bool  # a keep-alive noop: nobody waits for the reply


@dataclass(slots=True)
class Stats:
    """Counters of what the client has seen; cheap to read at any time."""

    frames_received: int = 0
    frames_sent: int = 0
    malformed_frames: int = 0
    unknown_frames: int = 0
    shape_mismatches: int = 0  # received fields whose value did not match the schema (delivered without them)
    late_replies: int = 0
    dropped_events: int = 0
    reconnects: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do after the connection was lost: wait ``delay`` seconds, then try again."""

    delay: float
    attempt: int
    reason: str


# --- the protocol ------------------------------------------------------------------------------------------------


class Protocol:
    """One client's protocol state. Not thread-safe: one driver calls it from one thread (its event loop)."""

    def __init__(
        self,
        *,
        ghost_id: str | None = None,
        keepalive: float | None = 300.0,
        silence_limit: float | None = 60.0,
        reconnect: bool = True,
        backoff: Backoff | None = None,
        max_pause: float = 6 * 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        machine: bool = False,
    ) -> None:
        if keepalive is not None and keepalive <= 0:
            raise ValueError("keepalive must be positive seconds, or None to disable it")
        self.state = State.IDLE
        self.session = Session(ghost_id=ghost_id or None)
        self.stats = Stats()
        self.keepalive = keepalive
        # after a keep-alive goes out, a server silent this much longer is taken for dead
        self.silence_limit = silence_limit
        self.reconnect_enabled = reconnect
        self.machine = machine  # authenticated by API key: no login, only errorCode 0 is a usable connection
        self.backoff = backoff or Backoff()
        self.max_pause = max_pause
        self.closed_reason: FleetFreedomError | None = None
        self.subscriptions: dict[int, set[str]] = {}  # company id -> types the server accepted (``merged``)
        self._clock = clock
        self._next_req_id = 0
        self._pending: dict[int, Pending] = {}
        self._was_ready = False  # a connectionResponse was accepted once: later connections resume
        self._last_received = 0.0
        self._last_sent = 0.0
        self._throttled_until: dict[str | None, float] = {}  # command (None: every command) -> monotonic time
        self._paused_until = 0.0  # maintenance broadcast: no reconnect attempt before this
        self._last_error = ""
        self._mismatches_reported: set[tuple[str, str]] = set()  # (class, field) already logged once

    # --- state machine -------------------------------------------------------------------------------------

    def _move(self, to: State) -> None:
        if to is not self.state and to not in _MOVES[self.state]:
            raise RuntimeError(f"fleetfreedom client: cannot go from {self.state.value} to {to.value}")
        log.debug("state %s -> %s", self.state.value, to.value)
        self.state = to

    @property
    def ready(self) -> bool:
        return self.state is State.READY

    @property
    def resumable(self) -> bool:
        return self._was_ready

    def transport_opening(self) -> None:
        self._move(State.CONNECTING)

    def transport_opened(self, now: float) -> None:
        self._move(State.AWAITING_CONNECTION_RESPONSE)
        self._last_received = self._last_sent = now

    def transport_closed(self, now: float, reason: str) -> list[int]:
        """The WebSocket is gone. Returns the reqIds of user requests that were waiting (they fail now)."""
        failed = [p.req_id for p in self._pending.values() if not p.internal]
        self._pending.clear()
        if self.state is State.READY:
            self.backoff.lost(now)
        self._last_error = reason
        if self.state in (State.CLOSING, State.CLOSED) or self.closed_reason is not None:
            self._move(State.CLOSED)
        elif self.reconnect_enabled and self._was_ready:
            self._move(State.RECONNECTING)
        else:
            if self.closed_reason is None:
                self.closed_reason = NotConnected(f"connection lost: {reason}")
            self._move(State.CLOSED)
        return failed

    def closing(self) -> None:
        """The caller closes the client: no more reconnects."""
        if self.state is not State.CLOSED:
            self._move(State.CLOSING)

    def closed(self) -> None:
        if self.state is not State.CLOSED:
            self._move(State.CLOSED)

    def give_up(self, error: FleetFreedomError) -> None:
        """Stop for good (the session ended, or connecting failed in a way retrying cannot fix)."""
        if self.closed_reason is None:
            self.closed_reason = error
        if self.state not in (State.CLOSING, State.CLOSED):
            self._move(State.CLOSING)

    # --- reconnecting --------------------------------------------------------------------------------------

    def plan_reconnect(self, now: float) -> Plan | None:
        """How long to wait before the next attempt, or None when the client must not reconnect."""
        if self.state is not State.RECONNECTING:
            return None
        delay = self.backoff.next_delay()
        attempt = self.backoff.attempt
        wait_for = max(self._throttled_until.get(None, 0.0), self._paused_until) - now
        if wait_for > 0:  # throttled or maintenance: wait it out, plus the jittered delay to spread the herd
            delay += min(wait_for, self.max_pause)
        self.stats.reconnects += 1
        return Plan(delay=delay, attempt=attempt, reason=self._last_error or "connection lost")

    def attempt_failed(self, now: float, reason: str) -> None:
        """A reconnect attempt failed before the session was resumed."""
        self._pending.clear()
        self._last_error = reason
        if self.state not in (State.CLOSING, State.CLOSED):
            self._move(State.RECONNECTING)

    # --- sending -------------------------------------------------------------------------------------------

    def _new_req_id(self) -> int:
        self._next_req_id = self._next_req_id % 2_147_483_647 + 1  # positive 32-bit ints, never 0
        while self._next_req_id in self._pending:
            self._next_req_id = self._next_req_id % 2_147_483_647 + 1
        return self._next_req_id

    def _check_can_send(self, internal: bool = False) -> None:
        if self.state is not State.READY and not (internal and self.state is State.AWAITING_CONNECTION_RESPONSE):
            if self.state is State.CLOSED and self.closed_reason is not None:
                raise NotConnected(f"the client is closed: {self.closed_reason}")
            raise NotConnected(f"the client is not ready to send (state: {self.state.value})")

    def prepare(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None,
        now: float,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Outgoing:
        """Validate and encode a command, and register the reply it waits for. Raises RequestError or NotConnected.

        ``extra_body``: top-level fields sent as given beside the validated ones (see ``encode_frame``)."""
        request = build_request(command, dict(params) if isinstance(params, Mapping) else params)
        self._check_can_send()
        req_id = self._new_req_id()
        frame = encode_frame(request, req_id, extra_body)
        self._pending[req_id] = Pending(req_id, command, internal=False)
        self._sent(now)
        return Outgoing(req_id, command, frame)

    def prepare_raw(self, command: str, body: Mapping[str, Any], now: float) -> Outgoing:
        """A command the schema may not know, sent as given (the escape hatch); the reply comes back untyped."""
        self._check_can_send()
        req_id = self._new_req_id()
        frame = encode_raw(command, {**body, "reqId": req_id})
        self._pending[req_id] = Pending(req_id, command, internal=False)
        self._sent(now)
        return Outgoing(req_id, command, frame)

    def _sent(self, now: float) -> None:
        self._last_sent = now
        self.stats.frames_sent += 1

    def abandon(self, req_id: int) -> None:
        """The caller stopped waiting (timeout, cancellation): a reply arriving later is dropped."""
        self._pending.pop(req_id, None)

    def pending_count(self) -> int:
        return sum(1 for p in self._pending.values() if not p.internal)

    def send_delay(self, command: str, now: float) -> float:
        """Seconds to hold a command back because the server throttled it (or the whole session)."""
        if not self._throttled_until:  # the usual case: nothing throttled, no lookups per request
            return 0.0
        until = max(self._throttled_until.get(command, 0.0), self._throttled_until.get(None, 0.0))
        return max(0.0, until - now)

    # --- keep-alive ----------------------------------------------------------------------------------------

    def next_check(self, now: float) -> float | None:
        """Seconds until ``tick`` has something to do, or None when keep-alive is off or not connected."""
        if self.keepalive is None or self.state is not State.READY:
            return None
        due = max(self._last_sent, self._last_received) + self.keepalive
        if self.silence_limit is not None:
            due = min(due, self._last_received + self.keepalive + self.silence_limit)
        return max(0.0, due - now)

    def tick(self, now: float) -> Outgoing | CloseTransport | None:
        """A ``noop`` to keep an idle connection open, or a close when the server has been silent too long."""
        if self.keepalive is None or self.state is not State.READY:
            return None
        if self.silence_limit is not None and now - self._last_received >= self.keepalive + self.silence_limit:
            silent = now - self._last_received
            return CloseTransport(f"the server sent nothing for {silent:.1f} s (keep-alive unanswered)", final=False)
        if now - max(self._last_sent, self._last_received) >= self.keepalive:
            req_id = self._new_req_id()
            self._pending[req_id] = Pending(req_id, "noop", internal=True)
            self._sent(now)
            return Outgoing(req_id, "noop", encode_raw("noop", {"reqId": req_id}))
        return None

    # --- receiving -----------------------------------------------------------------------------------------

    def receive(self, text: str, now: float) -> list[Effect]:
        """Everything that follows from one text frame. Never raises: bad input becomes an event."""
        self._last_received = now
        self.stats.frames_received += 1
        try:
            name, message, mismatches = decode_reporting(text)
        except FrameError as exc:
            return [self._malformed(exc.problem, text)]
        except Exception as exc:  # a bug or a pathological frame must not stop the reader
            log.exception("fleetfreedom: could not decode a frame")
            return [self._malformed(f"could not decode the frame ({type(exc).__name__}: {exc})", text)]
        if mismatches:
            self._mismatched(name, mismatches)
        if name in _PLAIN_PUSHES and isinstance(message, ServerMessage):
            return [Emit(message)]  # the bulk of a sync stream: an event that changes nothing in the core
        try:
            return self._dispatch(name, message, text, now)
        except Exception as exc:
            log.exception("fleetfreedom: could not handle a %s frame", name)
            return [self._malformed(f"could not handle {name} ({type(exc).__name__}: {exc})", text)]

    def receive_binary(self, size: int, now: float) -> list[Effect]:
        self._last_received = now
        self.stats.frames_received += 1
        return [self._malformed(f"binary frame of {size} bytes (the API sends text frames only)", "")]

    def _mismatched(self, name: str, mismatches: Iterable[Mismatch]) -> None:
        """Count every field delivered without its value; say so once per (class, field), not once per frame."""
        for m in mismatches:
            self.stats.shape_mismatches += 1
            if (m.owner, m.field) not in self._mismatches_reported:
                self._mismatches_reported.add((m.owner, m.field))
                log.warning(
                    "fleetfreedom: %s.%s does not match the schema (%s; %s sent, first seen in %s at %s): delivered "
                    "without it, the value as sent is in .wire_mismatches", m.owner, m.field, m.problem,
                    m.sent_kind, name, m.path,
                )  # fmt: skip

    def _malformed(self, problem: str, text: str) -> Emit:
        self.stats.malformed_frames += 1
        shown = text if len(text) <= 200 else text[:197] + "..."
        log.warning("fleetfreedom: skipped a malformed frame: %s: %r", problem, shown)
        return Emit(MalformedFrame(problem=problem, frame=text))

    def _dispatch(self, name: str, message: Any, text: str, now: float) -> list[Effect]:
        if name == "connectionResponse":
            return self._connection_response(message, text, now)
        if isinstance(message, ServerMessage):  # a push (the bulk of a sync stream): it answers no request
            return self._pushed(name, message, now)
        pending = self._match(name, message)
        if pending is not None:
            return self._reply(pending, name, message, text, now)
        if isinstance(message, UnknownFrame):
            if name.endswith("Response") and "reqId" in message.data:
                self.stats.late_replies += 1
                log.debug("fleetfreedom: dropped a reply nobody waits for: %s reqId %r", name, message.data["reqId"])
                return []
            self.stats.unknown_frames += 1
            log.info("fleetfreedom: frame not typed: %s (%s)", name, message.reason or "unknown name")
            return [Emit(message)]
        # a typed reply nobody waits for: timed out earlier, or a keep-alive answer
        self.stats.late_replies += 1
        log.debug("fleetfreedom: dropped a reply nobody waits for: %s reqId %r", name, getattr(message, "req_id", None))
        return []

    def _match(self, name: str, message: Any) -> Pending | None:
        """The pending request this frame answers: same reqId AND the reply name of that command."""
        if isinstance(message, UnknownFrame):
            req_id = message.data.get("reqId")
        elif isinstance(message, BaseModel):
            req_id = getattr(message, "req_id", None)
        else:
            return None
        if not isinstance(req_id, int) or isinstance(req_id, bool):
            return None
        pending = self._pending.get(req_id)
        if pending is None or name not in (pending.command + "Response", UNKNOWN_COMMAND_REPLY):
            return None
        del self._pending[req_id]
        return pending

    def _reply(self, pending: Pending, name: str, message: Any, text: str, now: float) -> list[Effect]:
        if pending.internal:
            return []
        command = pending.command
        if isinstance(message, UnknownFrame):
            data = message.data
            code = _int(data.get("errorCode"))
            if code:
                error = api_error(code, _str(data.get("message")), command=command, req_id=pending.req_id,
                                  details=data.get("errorDetails"), reply=data)  # fmt: skip
                self._throttle(command, code, data.get("errorDetails"), now)
                return [Reply(pending.req_id, command, name, text, data=data, error=error)]
            if command in COMMANDS and name != UNKNOWN_COMMAND_REPLY:
                problem = f"the {name} reply does not match the schema ({message.reason})"
                log.warning("fleetfreedom: %s", problem)
                return [Reply(pending.req_id, command, name, text, data=data, error=FrameError(problem, text))]
            return [Reply(pending.req_id, command, name, text, data=data)]
        code = int(getattr(message, "error_code", None) or 0)
        effects: list[Effect] = []
        if name in ACCOUNT_REPLIES or name == "logoutResponse":
            effects += self._account_reply(name, message, code)
        if code:
            details = getattr(message, "error_details", None)
            self._throttle(command, code, details, now)
            error = api_error(code, getattr(message, "message", None), command=command, req_id=pending.req_id,
                              details=details, reply=message)  # fmt: skip
            return [Reply(pending.req_id, command, name, text, reply=message, error=error), *effects]
        if command == "subscribe":
            self._subscribed(message)
        elif command == "unsubscribe":
            self._unsubscribed(message)
        elif command == "updateOwnPassword" and self.session.code == PASSWORD_EXPIRED:
            self.session = replace(self.session, code=SUCCESS)
        return [Reply(pending.req_id, command, name, text, reply=message), *effects]

    def _account_reply(self, name: str, message: Any, code: int) -> list[Effect]:
        if name == "logoutResponse":
            if code:
                return []
            self.give_up(api_error(LOGGED_OUT, "logged out"))
            self.session = replace(self.session, user=None, machine=None, code=USER_NOT_LOGGED_IN)
            return [CloseTransport("logged out", final=True)]
        if code in (SUCCESS, PASSWORD_EXPIRED) or getattr(message, "ghost_id", None):
            self.session = self.session.updated_from(message, code)
        return []

    # --- connectionResponse --------------------------------------------------------------------------------

    def _connection_response(self, message: Any, text: str, now: float) -> list[Effect]:
        if self.state is not State.AWAITING_CONNECTION_RESPONSE:
            log.warning("fleetfreedom: ignored a connectionResponse in state %s", self.state.value)
            return []
        payload = message.data if isinstance(message, ServerMessage) else None
        if payload is None:  # did not validate: read the code from the raw body
            data = message.data if isinstance(message, UnknownFrame) else {}
            code, msg, details = _int(data.get("errorCode")), _str(data.get("message")), data.get("errorDetails")
        else:
            code, msg = int(payload.error_code or 0), payload.message
            details = payload.error_details
        was_logged_in = self.session.logged_in
        if code not in (MACHINE_CONNECTED_CODES if self.machine else CONNECTED_CODES):
            error = api_error(code, msg, command="connectionResponse", details=details)
            self._throttle(None, code, details, now)
            # a machine refused for its credentials (wrong signature, disabled, no longer allowed) stays refused:
            # retrying with the same key and secret would only hammer the server
            refused = self.machine and error_group(code) in ("authentication", "permission")
            if refused or error_group(code) == "sessionEnded" or not self._was_ready:
                self.give_up(error)  # the first connection is the caller's to retry; a dead session is final
                return [CloseTransport(str(error), final=True)]
            return [CloseTransport(str(error), final=False)]  # throttled, service trouble: retry later
        if self._was_ready and was_logged_in and code not in (SUCCESS, PASSWORD_EXPIRED):
            # the session we had is gone (expired, or the server forgot it): resuming is impossible
            error = api_error(code, msg, command="connectionResponse", details=details)
            self.give_up(error)
            return [CloseTransport(str(error), final=True)]
        if payload is not None:
            self.session = self.session.updated_from(payload, code)
        resumed = self._was_ready
        self._was_ready = True
        self._move(State.READY)
        self.backoff.connected(now)
        return [Ready(resumed=resumed)]

    # --- pushed messages -----------------------------------------------------------------------------------

    def _pushed(self, name: str, message: ServerMessage[Any], now: float) -> list[Effect]:
        spec = MESSAGES.get(name)
        kind = spec.kind if spec is not None else ""
        effects: list[Effect] = [Emit(message)]
        if kind == "account":
            try:
                self.session = self.session.patched(message.data, machine=name == "sessionMachineMerged")
            except Exception:  # an odd part must not lose the event itself
                log.warning("fleetfreedom: could not apply %s to the session", name, exc_info=True)
        elif kind == "sessionEnded":
            data = message.data
            code = int(getattr(data, "error_code", None) or 0)
            text = getattr(data, "message", None) or "the server ended this session"
            error = api_error(code, text, command="sessionEnded") if code else _session_ended(text)
            self.give_up(error)
            effects.append(CloseTransport(str(error), final=True))
        elif kind == "broadcast":
            self._broadcast(message.data, now)
        return effects

    def _broadcast(self, data: Any, now: float) -> None:
        kind = str(getattr(getattr(data, "kind", None), "value", getattr(data, "kind", "")))
        ending = getattr(data, "ending", None)
        if kind == "maintenance" and isinstance(ending, datetime):
            ending = ending if ending.tzinfo else ending.replace(tzinfo=UTC)
            seconds = (ending - self._clock()).total_seconds()
            if seconds > 0:
                self._paused_until = max(self._paused_until, now + min(seconds, self.max_pause))
                log.info("fleetfreedom: maintenance until %s: reconnect attempts pause until then", ending)

    # --- subscriptions -------------------------------------------------------------------------------------

    def _subscribed(self, reply: Any) -> None:
        company = _company_id(getattr(reply, "company", None))
        merged = [_enum_value(t) for t in getattr(reply, "merged", None) or ()]
        if company is not None and merged:
            self.subscriptions.setdefault(company, set()).update(merged)

    def _unsubscribed(self, reply: Any) -> None:
        company = _company_id(getattr(reply, "company", None))
        if company is None or company not in self.subscriptions:
            return
        self.subscriptions[company].difference_update(_enum_value(t) for t in getattr(reply, "removed", None) or ())
        if not self.subscriptions[company]:
            del self.subscriptions[company]

    def subscriptions_to_renew(self) -> list[tuple[int, list[str]]]:
        return [(company, sorted(types)) for company, types in sorted(self.subscriptions.items())]

    def forget_subscriptions(self, company: int, types: Iterable[str]) -> None:
        """Types the server refused when renewing: they are no longer held."""
        held = self.subscriptions.get(company)
        if held is not None:
            held.difference_update(types)
            if not held:
                del self.subscriptions[company]

    # --- throttling ----------------------------------------------------------------------------------------

    def _throttle(self, command: str | None, code: int, details: Any, now: float) -> None:
        if code not in (SESSION_THROTTLED, COMMAND_THROTTLED):
            return
        if isinstance(details, dict):
            timeout = details.get("timeout")
        else:
            timeout = getattr(details, "timeout", None)
            if timeout is None:  # ErrorDetail types it as a TimeSpan text: a server that sends a number of seconds
                timeout = getattr(details, "wire_mismatches", {}).get("timeout")  # lands here, and still counts
        seconds = parse_duration(timeout)
        if seconds is None:
            seconds = 1.0  # no window given (e.g. too many sessions): still do not hammer the server
        key = None if code == SESSION_THROTTLED else command
        self._throttled_until[key] = max(self._throttled_until.get(key, 0.0), now + min(seconds, self.max_pause))
        log.warning("fleetfreedom: throttled (%s): holding %s back for %.1f s", code, key or "every command", seconds)


def _session_ended(message: str) -> ApiError:
    from . import errors

    cls: type[ApiError] = getattr(errors, "SessionEndedError", ApiError)
    return cls(-1, message, command="sessionEnded")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _enum_value(value: object) -> str:
    return str(getattr(value, "value", value))


def _company_id(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    key = getattr(value, "id", None)
    if key is None and isinstance(value, dict):
        key = value.get("id")
    return key if isinstance(key, int) else None


def connection_lost(reason: str) -> ConnectionLost:
    return ConnectionLost(f"the connection was lost before the reply arrived ({reason})")
