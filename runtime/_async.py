"""``AsyncClient``: the protocol core (``_protocol.Protocol``) driven over a WebSocket ``Link`` on asyncio
(``websockets``, or ``picows`` when installed: see ``_transport``).

The link hands every frame to the core (from a reader task, or with picows from its protocol callback), and the
client carries out what the core answers: it resolves the future of the request a reply belongs to, appends events
to a bounded buffer (a slow consumer never stalls command replies: when the buffer is full the oldest event is
dropped and counted), and closes the socket when the core says so. A supervisor task reconnects with the core's
backoff, resumes the session by its ghostId, renews the accepted subscriptions and only then lets waiting requests
go out.
"""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import BaseModel
from websockets.exceptions import ConnectionClosed

from ._client_events import Reconnected, Reconnecting
from ._codec import build_request, parse_body, split_frame
from ._connection import (
    DEFAULT_USER_AGENT,
    GhostIdTransport,
    check_resolution,
    display_url,
    socket_url,
)
from ._event_hub import EventHub
from ._events import Event
from ._exceptions import (
    ApiError,
    ConnectionLost,
    FleetFreedomError,
    NotConnected,
    RequestError,
    RequestTimeout,
    TransportError,
)
from ._machine_auth import ENV_API_KEY, MachineCredentials, MachineTransport
from ._protocol import (
    HEALTHY_AFTER,
    RECONNECT_DELAY,
    RECONNECT_MAX_DELAY,
    Backoff,
    CloseTransport,
    Effect,
    Emit,
    Outgoing,
    Protocol,
    Ready,
    Reply,
    Session,
    State,
    Stats,
    UserSession,
    connection_lost,
)
from ._redact import redacting_logger
from ._registry import COMMANDS
from ._resource_base import ReplyT, reply_as
from ._transport import Link, LinkClosed, TransportName, describe_closed, open_link, resolve
from .resources import AsyncResources

if TYPE_CHECKING:
    from ._cache import AsyncCache
    from .commands import SubscribeResponse, UnsubscribeResponse
    from .models import IdKey, SubscriptionType

log = logging.getLogger("fleetfreedom")

E = TypeVar("E", bound=Event)
Callback = Callable[[Any], Awaitable[None] | None]

_WAITING_STATES = (State.CONNECTING, State.AWAITING_CONNECTION_RESPONSE, State.RECONNECTING)


class RawReply:
    """A reply exactly as it arrived: the frame name, the parsed body and the frame text (``request(raw=True)``)."""

    __slots__ = ("data", "name", "reply", "text")

    def __init__(self, name: str, data: dict[str, Any], text: str, reply: BaseModel | None) -> None:
        self.name = name
        self.data = data
        self.text = text
        self.reply = reply  # the typed reply, when the command is known (odd fields repaired, see ``_receipt``)

    def __repr__(self) -> str:
        return f"RawReply(name={self.name!r}, data={self.data!r})"


class AsyncClient(AsyncResources):
    """An asyncio client for the Fleet Freedom WebSocket API.

    ::

        async with AsyncClient(url="wss://socket.fleetfreedom.com") as client:
            await client.login("dispatch@example.com", password)
            company = await client.companies.get(42)

    ``url`` may hold ``{ghostId}`` where the session id goes (by default it is appended as the last path segment).
    Only ``wss://`` is accepted, except for loopback hosts. TLS certificates are verified unless a custom ``ssl``
    context says otherwise. ``timeout`` is the default for every command (seconds). ``keepalive`` sends a ``noop``
    after that many idle seconds (``None``: off); a server silent for ``keepalive + silence_limit`` seconds counts as
    lost. ``max_events`` bounds the event buffer (the oldest event is dropped when it is full; see ``stats``).

    ``reconnect``: resume the session by its ghostId when the connection drops. The wait before each attempt is
    random (full jitter) up to a ceiling: ``reconnect_delay`` after a connection that served, doubled by every
    failed attempt (refused, TLS or handshake failure, no ``connectionResponse``) and by every connection that drops
    within ``healthy_after`` seconds of being accepted, up to ``reconnect_max_delay``. ``backoff`` replaces these
    three with a ready-made ``Backoff`` (for example one with its own random generator).

    A service authenticates as a *machine*: ``api_key`` and ``api_secret`` (by default from the environment
    variables FLEETFREEDOM_API_KEY and FLEETFREEDOM_API_SECRET; ``api_key=""`` ignores them). Every connection
    attempt, reconnects included, is signed afresh; ``connect()`` then gives a session whose ``machine`` is set and
    no ``login()`` is needed. ``machine_transport`` chooses how the signature travels: the ``Authorization`` header
    (default) or the ``shadowKey``/``shadowSig`` query parameters.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        ghost_id: str | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        ssl: ssl_module.SSLContext | None = None,
        timeout: float = 120.0,
        connect_timeout: float = 30.0,
        keepalive: float | None = 300.0,
        silence_limit: float | None = 60.0,
        reconnect: bool = True,
        reconnect_delay: float = RECONNECT_DELAY,
        reconnect_max_delay: float = RECONNECT_MAX_DELAY,
        healthy_after: float = HEALTHY_AFTER,
        backoff: Backoff | None = None,
        max_events: int = 10_000,
        max_waiting: int = 10_000,
        max_frame_size: int | None = 64 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        close_timeout: float = 2.0,
        ghost_id_transport: GhostIdTransport = "path",
        headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        machine_transport: MachineTransport = "header",
        transport: TransportName = "auto",
    ) -> None:
        socket_url(url, ghost_id, ghost_id_transport)  # fails now, not at connect(), on an unacceptable address
        if api_key is None and ghost_id:
            api_key = ""  # resuming a user session: a machine key in the environment is not meant for it
        machine = MachineCredentials.create(api_key, api_secret)
        if machine is not None and ghost_id:
            raise ValueError(
                "give either machine credentials (api_key/api_secret) or a user session's ghost_id, not both: "
                "a machine signs every connection and needs no session id"
            )
        if machine_transport not in ("header", "query"):
            raise ValueError("machine_transport must be 'header' or 'query'")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive seconds")
        if max_events < 1 or max_waiting < 0:
            raise ValueError("max_events must be at least 1 and max_waiting not negative")
        policy = (reconnect_delay, reconnect_max_delay, healthy_after)
        if backoff is not None and policy != (RECONNECT_DELAY, RECONNECT_MAX_DELAY, HEALTHY_AFTER):
            raise ValueError("pass either backoff= or reconnect_delay / reconnect_max_delay / healthy_after")
        if backoff is None:
            backoff = Backoff(base=reconnect_delay, cap=reconnect_max_delay, healthy_after=healthy_after)
        self._transport_name = resolve(transport)
        self.url = url
        self.user_agent = user_agent
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._ssl = ssl
        self._ghost_id_transport: GhostIdTransport = ghost_id_transport
        self._headers = dict(headers or {})
        self._machine = machine
        self._machine_transport: MachineTransport = machine_transport
        self._max_frame_size = max_frame_size
        self._ping_interval = ping_interval
        self._close_timeout = close_timeout
        self._max_waiting = max_waiting
        self._core_options: dict[str, Any] = {
            "keepalive": keepalive,
            "silence_limit": silence_limit,
            "reconnect": reconnect,
            "backoff": backoff,
        }
        self._core_options["machine"] = machine is not None
        self._core = Protocol(ghost_id=ghost_id, **self._core_options)
        self._ws: Link | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._first_ready: asyncio.Future[None] | None = None
        self._futures: dict[int, asyncio.Future[Reply]] = {}
        self._waiting = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._hub = EventHub(max_events, lambda: self._core.stats, self._spawn)  # buffer, taps, callbacks
        self._reconnect_attempts = 0
        self._abort_reason: str | None = None

    # --- public state ----------------------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        """What the server last said about this session: ghost_id, expiry, user (or machine), session_policy,
        password_policy."""
        return self._core.session

    @property
    def api_key(self) -> str | None:
        """The machine's API key when this client authenticates as a machine, else None (never the secret)."""
        return self._machine.key if self._machine is not None else None

    @property
    def transport(self) -> str:
        """The WebSocket library carrying the connection: ``"websockets"`` or ``"picows"``."""
        return self._transport_name

    @property
    def state(self) -> State:
        return self._core.state

    @property
    def stats(self) -> Stats:
        return self._core.stats

    @property
    def closed_reason(self) -> FleetFreedomError | None:
        """Why the client stopped for good (for example ``SessionExpired``), or None."""
        return self._core.closed_reason

    @property
    def accepted_subscriptions(self) -> dict[int, frozenset[str]]:
        """Company id -> the subscription types the server accepted (what a reconnect renews)."""
        return {company: frozenset(types) for company, types in self._core.subscriptions.items()}

    def __repr__(self) -> str:
        return f"<AsyncClient {self.state.value} {self.session!r}>"

    # --- connecting and closing ------------------------------------------------------------------------------

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> Session:
        """Open the connection and wait for ``connectionResponse``; returns the session it describes.

        Raises ``TransportError`` when the server cannot be reached, or the typed error of a connectionResponse
        that refuses the connection (for example ``SessionThrottled``).
        """
        if self._core.state is State.READY or (self._supervisor is not None and not self._supervisor.done()):
            if self._first_ready is not None:
                await asyncio.shield(self._first_ready)
            return self.session
        if self._core.state is State.CLOSED:  # connecting again after a close: keep the ghostId, start afresh
            self._core = Protocol(ghost_id=self._core.session.ghost_id, **self._core_options)
            self._hub.reopen()
        loop = asyncio.get_running_loop()
        self._first_ready = loop.create_future()
        self._core.transport_opening()
        try:
            async with asyncio.timeout(self.connect_timeout):
                ws = await self._open()
        except BaseException as exc:
            self._core.transport_closed(time.monotonic(), _describe(exc))
            self._first_ready = None
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise TransportError(f"could not connect to {display_url(self._url())}: {_describe(exc)}") from exc
        self._core.transport_opened(time.monotonic())
        self._supervisor = self._spawn(self._supervise(ws))
        try:
            async with asyncio.timeout(self.connect_timeout):
                await asyncio.shield(self._first_ready)
        except TimeoutError:
            await self.close()
            raise TransportError(
                f"no connectionResponse from {display_url(self._url())} within {self.connect_timeout:g} s"
            ) from None
        return self.session

    async def close(self) -> None:
        """Close the connection and stop reconnecting. Requests still waiting fail with ``ConnectionLost``."""
        if self._core.state is not State.CLOSED:
            self._core.closing()
        self._ready.set()  # wake waiting requests: they see the closed state and fail
        ws = self._ws
        if ws is not None:
            await ws.close(1000, "bye")
        supervisor = self._supervisor
        if supervisor is not None and not supervisor.done():
            if ws is None:
                supervisor.cancel()  # sleeping between reconnect attempts
            await asyncio.gather(supervisor, return_exceptions=True)
        self._core.closed()
        self._finish(None)
        await self._hub.drain_callbacks()

    def _url(self) -> str:
        # a machine opens every connection without a session id, as the vendor's C# client does: the signature
        # authenticates it, and the subscriptions are renewed on the new session
        ghost_id = None if self._machine is not None else self._core.session.ghost_id
        return socket_url(self.url, ghost_id, self._ghost_id_transport)

    async def _open(self) -> Link:
        url = self._url()
        headers = dict(self._headers)
        if self._machine is not None:  # signed now, for this attempt: the signing time is part of the signature
            url, signed = self._machine.sign(url, self._machine_transport)
            headers.update(signed)
        log.info("fleetfreedom: connecting to %s", display_url(url))
        await check_resolution(url)  # ws:// names must resolve to loopback
        return await open_link(
            self._transport_name,
            url,
            ssl=self._ssl,
            headers=headers,
            user_agent=self.user_agent,
            open_timeout=self.connect_timeout,
            ping_interval=self._ping_interval,
            close_timeout=self._close_timeout,
            max_size=self._max_frame_size,
            logger=redacting_logger("fleetfreedom.websockets"),  # its DEBUG frame logs would show passwords
        )

    # --- the supervisor: one connection after another --------------------------------------------------------

    async def _supervise(self, ws: Link) -> None:
        try:
            while ws is not None:
                await self._serve(ws)
                next_ws = await self._reconnect()
                if next_ws is None:
                    break
                ws = next_ws
        except asyncio.CancelledError:
            pass
        except Exception:  # a bug must not leave requests hanging: close everything and say why
            log.exception("fleetfreedom: the connection supervisor failed")
            self._core.give_up(TransportError("internal error in the connection supervisor"))
        finally:
            self._ws = None
            if self._core.state is not State.CLOSED:
                self._core.transport_closed(time.monotonic(), "stopped")
            self._fail_all(NotConnected(f"the client is closed: {self._core.closed_reason or 'closed'}"))
            self._finish(self._core.closed_reason)

    async def _serve(self, ws: Link) -> None:
        """Read one connection until it ends; then fail the requests it still owed."""
        self._ws = ws
        self._abort_reason = None
        keepalive = self._spawn(self._keepalive(ws))
        watchdog = self._spawn(self._handshake_watchdog(ws))
        core = self._core
        receive = core.receive
        monotonic = time.monotonic

        closing: list[str] = []  # the core's reason, when it decides to close

        def on_message(message: str | int) -> tuple[int, str] | None:
            if isinstance(message, str):
                effects = receive(message, monotonic())
            else:
                effects = core.receive_binary(message, monotonic())
            close = self._apply(effects, ws)
            if close is None:
                return None
            closing.append(close.reason)
            return (1000 if close.final else 1001, _squeeze(close.reason))

        try:
            reason = await ws.serve(on_message)
            if closing:
                reason = closing[0]
        finally:
            keepalive.cancel()
            watchdog.cancel()
            self._ws = None
        if self._abort_reason is not None:
            reason = self._abort_reason
        elif ws.close_code is not None and reason == "connection closed":
            reason = f"connection closed ({ws.close_code}{' ' + ws.close_reason if ws.close_reason else ''})"
        self._ready.clear()
        failed = self._core.transport_closed(time.monotonic(), reason)
        log.info("fleetfreedom: connection ended: %s (%d requests failed)", reason, len(failed))
        for req_id in failed:
            future = self._futures.get(req_id)
            if future is not None and not future.done():
                future.set_exception(connection_lost(reason))
        if self._first_ready is not None and not self._first_ready.done():
            error = self._core.closed_reason or TransportError(f"connection closed before it was ready: {reason}")
            self._first_ready.set_exception(error)
            self._first_ready.exception()  # retrieved here: connect() re-raises it from the future

    async def _reconnect(self) -> Link | None:
        """Wait, open, repeat until a connection is accepted; None when the client must stop."""
        attempts = 0
        while True:
            plan = self._core.plan_reconnect(time.monotonic())
            if plan is None:
                return None
            attempts += 1
            log.info("fleetfreedom: reconnecting in %.2f s (attempt %d): %s", plan.delay, plan.attempt, plan.reason)
            self._hub.emit(Reconnecting(attempt=plan.attempt, delay=plan.delay, reason=plan.reason))
            await asyncio.sleep(plan.delay)
            if self._core.state is not State.RECONNECTING:
                return None
            self._core.transport_opening()
            try:
                async with asyncio.timeout(self.connect_timeout):
                    ws = await self._open()
            except (OSError, TimeoutError, ConnectionClosed, Exception) as exc:
                self._core.attempt_failed(time.monotonic(), _describe(exc))
                continue
            self._core.transport_opened(time.monotonic())
            self._reconnect_attempts = attempts
            return ws

    # --- applying what the core decided ----------------------------------------------------------------------

    def _apply(self, effects: list[Effect], ws: Link) -> CloseTransport | None:
        close: CloseTransport | None = None
        for effect in effects:
            if isinstance(effect, Emit):  # the common case first: a sync stream is all events
                self._hub.emit(effect.event)
            elif isinstance(effect, Reply):
                future = self._futures.get(effect.req_id)
                if future is not None and not future.done():
                    future.set_result(effect)
            elif isinstance(effect, Ready):
                self._on_ready(effect.resumed, ws)
            elif isinstance(effect, CloseTransport):
                close = effect
        return close

    def _on_ready(self, resumed: bool, ws: Link) -> None:
        log.info("fleetfreedom: connected (%s)", "session resumed" if resumed else self.session)
        if not resumed:
            self._ready.set()
            if self._first_ready is not None and not self._first_ready.done():
                self._first_ready.set_result(None)
            return
        self._spawn(self._resume(ws, self._reconnect_attempts))

    async def _resume(self, ws: Link, attempts: int) -> None:
        """After a reconnect: renew the accepted subscriptions, then release waiting requests and say so."""
        renewed: dict[int, tuple[str, ...]] = {}
        denied: dict[int, tuple[str, ...]] = {}
        for company, types in self._core.subscriptions_to_renew():
            body = {"company": {"id": company}, "subscriptionTypes": types}
            try:
                reply: Any = (await self._send("subscribe", body, self.timeout, gated=False)).reply
            except ApiError as exc:  # refused outright (the company is gone, permissions changed): stop renewing it
                log.warning("fleetfreedom: could not renew subscriptions of company %s: %s", company, exc)
                denied[company] = tuple(types)
                self._core.forget_subscriptions(company, types)
                continue
            except FleetFreedomError as exc:  # the new connection failed too: the reader reconnects again
                log.warning("fleetfreedom: renewing subscriptions after reconnect failed: %s", exc)
                return
            renewed[company] = tuple(str(getattr(t, "value", t)) for t in reply.merged or ())
            lost = [str(getattr(t, "value", t)) for t in (reply.denied or ())] + list(reply.invalid or ())
            if lost:
                denied[company] = tuple(lost)
                self._core.forget_subscriptions(company, lost)
        if self._ws is not ws or not self._core.ready:
            return
        self._ready.set()
        self._hub.emit(
            Reconnected(attempts=attempts, ghost_id=self.session.ghost_id, subscriptions=renewed, denied=denied)
        )

    async def _handshake_watchdog(self, ws: Link) -> None:
        """A server that accepts the socket but never sends connectionResponse counts as a failed attempt."""
        await asyncio.sleep(self.connect_timeout)
        if self._ws is ws and self._core.state is State.AWAITING_CONNECTION_RESPONSE:
            log.warning("fleetfreedom: no connectionResponse within %g s; dropping it", self.connect_timeout)
            self._abort_reason = f"no connectionResponse within {self.connect_timeout:g} s"
            ws.abort()

    async def _keepalive(self, ws: Link) -> None:
        if self._core.keepalive is None:
            return
        while True:
            wait = self._core.next_check(time.monotonic())
            await asyncio.sleep(1.0 if wait is None else max(wait, 0.01))
            action = self._core.tick(time.monotonic())
            if isinstance(action, Outgoing):
                try:
                    await ws.send(action.frame)
                except LinkClosed:
                    return
            elif isinstance(action, CloseTransport):
                log.warning("fleetfreedom: %s; reconnecting", action.reason)
                self._abort_reason = action.reason
                ws.abort()  # no close handshake with a server that does not answer
                return

    # --- commands --------------------------------------------------------------------------------------------

    async def _call(
        self,
        command: str,
        reply: type[ReplyT],
        params: Mapping[str, object],
        timeout: float | None,
        extra_body: Mapping[str, object] | None = None,
    ) -> ReplyT:
        """Send a command and return its reply as ``reply`` (the generated ``client.<resource>`` methods pass their
        command's response class, so each returns its own reply type without a cast)."""
        outcome = await self._send(command, params, timeout, extra_body=extra_body)
        return reply_as(command, reply, outcome.reply, outcome.text)

    @overload
    async def request(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raw: Literal[False] = False,
        validate: bool = True,
    ) -> BaseModel | RawReply: ...

    @overload
    async def request(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raw: Literal[True],
        validate: bool = True,
    ) -> RawReply: ...

    async def request(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raw: bool = False,
        validate: bool = True,
    ) -> BaseModel | RawReply:
        """Send any command by its wire name: ``await client.request("getAsset", {"asset": {"id": 42}})``.

        The body is checked against the schema first (a misspelt field raises ``RequestError``); with
        ``validate=False`` it is sent exactly as given, for any command, known or not (the escape hatch for what
        the schema does not describe yet). Returns the typed reply (``GetAssetResponse``, typed ``BaseModel``
        here, since a command named by a string cannot choose the type: narrow it with ``isinstance``, or call
        the typed method, ``client.assets.get``; for a command this SDK does not know, a ``RawReply``), or with
        ``raw=True`` always a ``RawReply`` holding the frame exactly as it
        arrived. A non-zero errorCode raises its typed exception either way.
        """
        known = command in COMMANDS
        if not known and validate and not raw:
            raise RequestError(command, ["unknown command (use validate=False or raw=True to send it anyway)"])
        outcome = await self._send(command, params, timeout, raw=not known or not validate)
        if raw or not known or outcome.reply is None:  # None: a reply the schema could not type
            return RawReply(outcome.frame_name, outcome.data or _body(outcome.text), outcome.text, outcome.reply)
        return outcome.reply

    async def _send(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None,
        timeout: float | None,
        *,
        gated: bool = True,
        raw: bool = False,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Reply:
        timeout = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        request: Any = params
        if not raw:
            request = build_request(command, dict(params) if isinstance(params, Mapping) else params)
        elif isinstance(params, BaseModel):
            request = params.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if gated:
            await self._wait_ready(command, timeout, deadline)
        hold = self._core.send_delay(command, time.monotonic())
        if hold > 0:  # the server throttled this command or the session: wait that out first (within the timeout)
            if hold >= deadline - loop.time():
                raise RequestTimeout(command, timeout)
            await asyncio.sleep(hold)
            if gated:
                await self._wait_ready(command, timeout, deadline)
        ws = self._ws
        if ws is None:
            raise ConnectionLost("the connection dropped before the request could be sent")
        now = time.monotonic()
        if raw:
            out = self._core.prepare_raw(command, request or {}, now)
        else:
            out = self._core.prepare(command, request, now, extra_body)
        future: asyncio.Future[Reply] = loop.create_future()
        self._futures[out.req_id] = future
        # the deadline as a timer on the future itself: cheaper per request than an asyncio.timeout scope (no
        # Timeout object, no task cancel/uncancel), and it ends the same wait
        timer = loop.call_at(deadline, _expire, future)
        try:
            try:
                await ws.send(out.frame)
            except LinkClosed as exc:
                if not future.done():
                    raise connection_lost(str(exc)) from None
            outcome = await future
        except _Expired:
            raise RequestTimeout(command, timeout, out.req_id) from None
        finally:
            timer.cancel()
            self._futures.pop(out.req_id, None)
            self._core.abandon(out.req_id)
        if outcome.error is not None:
            raise outcome.error
        return outcome

    async def _wait_ready(self, command: str, timeout: float, deadline: float) -> None:
        """Hold a request until the connection is ready (connecting, reconnecting, renewing subscriptions)."""
        while True:
            state = self._core.state
            if state is State.READY and self._ready.is_set():
                return
            if state is State.IDLE:
                raise NotConnected("not connected: call connect() first (or use `async with`)")
            if state in (State.CLOSING, State.CLOSED):
                reason = self._core.closed_reason
                raise NotConnected(f"the client is closed{': ' + str(reason) if reason else ''}") from reason
            if self._waiting >= self._max_waiting:
                raise NotConnected(f"{self._waiting} requests already wait for the connection; not queueing more")
            if self._ready.is_set():
                self._ready.clear()  # a stale flag from the previous connection
            self._waiting += 1
            try:
                async with asyncio.timeout_at(deadline):
                    await self._ready.wait()
            except TimeoutError:
                raise RequestTimeout(command, timeout) from None
            finally:
                self._waiting -= 1

    def _fail_all(self, error: FleetFreedomError) -> None:
        for future in self._futures.values():
            if not future.done():
                future.set_exception(error)

    # --- session helpers -------------------------------------------------------------------------------------

    async def login(self, username: str, password: str, *, timeout: float | None = None) -> UserSession:
        """Log in; returns the session (its ``user`` and ``ghost_id`` always there), also in ``client.session``.

        A ``PasswordExpired`` error leaves the connection usable: call ``account.update_own_password`` and go on.
        A machine client (``api_key``) cannot log in: its connection is already authenticated.
        """
        if self._machine is not None:
            raise ValueError(
                f"this client authenticates as the machine {self._machine.key!r} (api_key or ${ENV_API_KEY}); "
                'it needs no login. Pass api_key="" to log in as a user instead'
            )
        await self._send("login", {"username": username, "password": password, "userAgent": self.user_agent}, timeout)
        return UserSession.of(self.session)

    async def logout(self, *, timeout: float | None = None) -> None:
        """End the session on the server (its ghostId stops working) and close the connection."""
        await self._send("logout", {}, timeout)
        await self.close()

    async def subscribe(
        self, company: IdKey | int, types: Sequence[SubscriptionType | str], *, timeout: float | None = None
    ) -> SubscribeResponse:
        """Receive sync messages of ``types`` for ``company``. Returns the ``SubscribeResponse``: what was
        accepted (``merged``), refused for lack of permission (``denied``) and not recognised (``invalid``).
        Only accepted types are renewed after a reconnect."""
        from .commands import SubscribeResponse  # the generated commands load with the first request anyway

        return await self._call(
            "subscribe", SubscribeResponse, {"company": company, "subscriptionTypes": list(types)}, timeout
        )

    async def unsubscribe(
        self, company: IdKey | int, types: Sequence[SubscriptionType | str], *, timeout: float | None = None
    ) -> UnsubscribeResponse:
        """Stop the sync messages of ``types`` for ``company``; they are no longer renewed after a reconnect."""
        from .commands import UnsubscribeResponse

        return await self._call(
            "unsubscribe", UnsubscribeResponse, {"company": company, "subscriptionTypes": list(types)}, timeout
        )

    # --- events ----------------------------------------------------------------------------------------------

    def cache(self, *, grace: float = 300.0, tombstone_ttl: float = 600.0, max_changes: int = 10_000) -> AsyncCache:
        """A local mirror of the objects you ``sync``, kept current by sync frames (see ``AsyncCache``).

        Args:
            grace: seconds a ``desync``-ed region stays subscribed before it is unsubscribed and dropped.
            tombstone_ttl: seconds a deleted object's key blocks late pushes about it.
            max_changes: the queue bound of each change stream.
        """
        from ._cache import AsyncCache

        return AsyncCache(self, grace=grace, tombstone_ttl=tombstone_ttl, max_changes=max_changes)

    def _finish(self, error: FleetFreedomError | None) -> None:
        self._hub.finish(error)
        self._ready.set()

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next event (oldest first). Raises ``TimeoutError`` after ``timeout`` seconds without one, and
        ``NotConnected`` once the client has stopped and every event was read."""
        return await self._hub.next_event(timeout)

    def events(self, idle_timeout: float | None = None) -> AsyncIterator[Event]:
        """Every event as it arrives: sync messages (``AssetGeneralMerged``, ...), ``Broadcast``, ``SessionEnded``,
        ``Reconnecting``/``Reconnected``, ``UnknownFrame``, ``MalformedFrame``. Ends after ``Disconnected``.

        Events are buffered from the moment the client connects, so none is missed between a command and the loop
        that waits for its effect. Several loops share one buffer (each event goes to one of them). With
        ``idle_timeout`` the iteration also ends after that many seconds without an event.
        """
        return self._hub.events(idle_timeout)

    def on(self, event_type: type[E], callback: Callable[[E], Awaitable[None] | None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event of ``event_type`` (a coroutine function is awaited).

        Callbacks run one at a time on a task of their own, never in the reader, so a slow one delays only other
        callbacks. Returns a function that removes the callback.
        """
        return self._hub.on(event_type, callback)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionClosed):
        return describe_closed(exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Expired(Exception):
    """A request's deadline passed before its reply arrived (raised into its wait by ``_expire``)."""


def _expire(future: asyncio.Future[Reply]) -> None:
    if not future.done():
        future.set_exception(_Expired())


def _squeeze(reason: str) -> str:
    """A close reason fits in 123 UTF-8 bytes."""
    data = reason.encode("utf-8")[:123]
    return data.decode("utf-8", errors="ignore")


def _body(text: str) -> dict[str, Any]:
    _, body = split_frame(text)
    return parse_body(body, text)
