"""The emulator: a real WebSocket server (``websockets``, asyncio) speaking the Fleet Freedom protocol.

One ``Emulator`` serves any number of connections. Each connection reads frames in order and writes through a
bounded queue drained by its own writer task, so replies and sync messages keep their order and a slow client
cannot make the server buffer without limit. Command semantics live in ``_semantics``; this module only moves
frames, fans sync messages out, and carries out the controls a test uses (broadcasts, session ends, faults).

Use it with ``async with Emulator() as emu`` in async code, or ``with Emulator() as emu`` (the server then runs on
its own event loop in a background thread) in sync code. Every control method is safe from any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import re
import ssl
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from .._codec import encode_raw
from .._exceptions import FrameError
from .._machine_auth import decode_secret
from .._redact import redacting_logger
from .._registry import COMMANDS, ERROR_CODES, TYPES
from .._specs import CommandSpec
from . import _guards as guards
from ._faults import Faults, ReplyRule, timespan
from ._limits import Limits, LoginThrottle
from ._machines import DEFAULT_TOLERANCE, Refused, new_secret
from ._seed import apply_seed, checked_object, first_company, load_seed, user_objects
from ._semantics import Outcome, Push, Semantics
from ._sessions import Passwords, Session, Sessions, iso, utcnow
from ._simulate import Fleet
from ._store import StoreError, open_store
from ._tls import TlsMaterial, make_tls

log = logging.getLogger("fleetfreedom.emulator")
T = TypeVar("T")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_REQ_ID = re.compile(r'"reqId"\s*:\s*(-?\d{1,18})\b')  # salvages the reqId of a body that is not valid JSON
UNKNOWN_COMMAND_REPLY = "unknownCommandResponse"
CONTROL_TIMEOUT = 30.0  # seconds a control call from another thread waits for the event loop
MAX_DELAYED = 1_000  # delayed replies held per connection; past that they go out at once
STOP_GRACE = 0.2  # seconds stop() waits for clients to answer the closing handshake
CLOSE_TIMEOUT = 2.0  # seconds a closing handshake may take before the connection is cut (a test's peer may be gone)


class _Close:
    """Queued after the frames that must go out before a connection closes (logout, session end)."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class _Peer:
    """One live WebSocket connection and the session it serves."""

    _ids = itertools.count(1)

    def __init__(self, ws: ServerConnection, session: Session, queue_limit: int, max_bytes: int) -> None:
        self.id = next(self._ids)
        self.ws = ws
        self.session = session
        self.queue: asyncio.Queue[str | _Close] = asyncio.Queue(queue_limit)
        self.queued_bytes = 0  # UTF-8 bytes of the frames waiting in ``queue``
        self.max_bytes = max_bytes
        self.closing = False
        self.timers: set[asyncio.TimerHandle] = set()

    def send(self, frame: str) -> None:
        if self.closing:
            return
        size = _utf8_size(frame)
        if self.queued_bytes + size > self.max_bytes:  # a reader this far behind is cut off, not buffered for
            log.warning("connection %d: %d bytes unread, closing it (client too slow)", self.id, self.queued_bytes)
            self.abort(1008, "client too slow: outbound data limit reached")
            return
        self.queued_bytes += size
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("connection %d: outbound queue full, closing it (client too slow)", self.id)
            self.abort(1008, "client too slow: outbound queue full")

    def close(self, code: int, reason: str) -> None:
        """Close after everything already queued has been sent."""
        if self.closing:
            return
        self.closing = True
        try:
            self.queue.put_nowait(_Close(code, reason))
        except asyncio.QueueFull:
            self.abort(code, reason)

    def abort(self, code: int, reason: str) -> None:
        """Close now, dropping what is queued; a peer that does not take the close frame in time is cut off."""
        self.closing = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queued_bytes = 0
        self.queue.put_nowait(_Close(code, reason))
        # the writer may sit in a send that a reader who stopped reading never lets finish
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.ws.transport.abort)

    def drop(self) -> None:
        """Cut the TCP connection without a closing handshake, as a network failure would."""
        self.closing = True
        self.ws.transport.abort()


class Emulator:
    """A local Fleet Freedom server for tests and demos.

    ``seed`` is a seed file path, a dict, or ``None`` for the shipped demo data (company 42 "Acme Logistics", login
    ``demo@acme.example``). ``db`` keeps data and sessions in a SQLite file across restarts (the seed is applied only
    when the file is new). ``users`` adds ``(login, password)`` accounts with full rights in the seed's first company.
    ``machines`` adds ``(key, secret)`` machine accounts the same way (see ``add_machine``); a machine's signature
    is accepted when made within ``machine_tolerance`` of the emulator's clock.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        seed: str | Path | dict[str, Any] | None = None,
        db: str | Path | None = None,
        users: Iterable[tuple[str, str]] = (),
        machines: Iterable[tuple[str, str | None]] = (),
        machine_tolerance: timedelta = DEFAULT_TOLERANCE,
        session_ttl: timedelta = timedelta(hours=24),
        queue_limit: int = 10_000,
        max_connections: int = 1_000,
        max_frame_bytes: int = 4 * 1024 * 1024,
        ping_interval: float | None = 20.0,
        limits: Limits | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.port = port
        self.tls: TlsMaterial | None = make_tls(_cert_hosts(host)) if tls else None
        self.faults = Faults()
        self.store = open_store(db)
        self.sessions = Sessions(self.store, session_ttl)
        self.passwords = Passwords(self.store)
        self.semantics = Semantics(self.store, self.sessions, self.passwords)
        seed_data = load_seed(seed)
        with self.store.transaction():  # one commit for the whole seed
            if self.store.is_empty:
                apply_seed(self.store, self.passwords, seed_data, where=str(seed) if seed else "default seed")
            accounts = list(users)
            if accounts:
                company = first_company(seed_data)
                if company is None:
                    raise ValueError("--user needs a seed with at least one company")
                apply_seed(self.store, self.passwords, {"User": user_objects(accounts, company)}, where="--user")
        self.machines = self.semantics.machines
        self.machines.tolerance = machine_tolerance
        self._queue_limit = queue_limit
        self.limits = limits or Limits()
        self._login_throttle = LoginThrottle(self.limits)
        self._max_connections = max_connections
        self._max_frame_bytes = max_frame_bytes
        self._ping_interval = ping_interval
        self._peers: dict[int, _Peer] = {}
        self._fleets: list[Fleet] = []
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._silent = False
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None
        self._thread_error: BaseException | None = None
        for key, secret in machines:
            self.add_machine(key, secret)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The address clients connect to (append a ghost id to resume a session)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.tls else 'ws'}://{host}:{self.port}/"

    def client_ssl_context(self) -> ssl.SSLContext | None:
        """For ``wss://``: a client SSL context trusting this emulator's throw-away CA (None without TLS)."""
        return self.tls.client_context() if self.tls else None

    @property
    def ca_pem(self) -> bytes | None:
        return self.tls.ca_pem if self.tls else None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await serve(
            self._serve,
            self.host,
            self._requested_port,
            ssl=self.tls.server_context if self.tls else None,
            process_request=self._process_request,
            max_size=self._max_frame_bytes,
            max_queue=64,
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_interval,
            close_timeout=CLOSE_TIMEOUT,
            logger=redacting_logger("fleetfreedom.emulator.websockets"),  # frames hold passwords
        )
        self.port = self._server.sockets[0].getsockname()[1]
        for fleet in self._fleets:
            fleet.start()
        log.info("emulator serving %s", self.url)

    async def stop(self) -> None:
        for fleet in self._fleets:
            await fleet.stop()
        if self._server is not None:
            self._server.close(close_connections=False)  # no new connections from here on
            for peer in list(self._peers.values()):
                for timer in peer.timers:
                    timer.cancel()
                peer.abort(1001, "emulator stopping")
            # a short grace for the closing handshakes, then cut whoever has not answered: stopping stays fast
            for _ in range(int(STOP_GRACE / 0.01)):
                if not self._peers:
                    break
                await asyncio.sleep(0.01)
            for peer in list(self._peers.values()):
                peer.ws.transport.abort()
            await asyncio.wait_for(self._server.wait_closed(), CONTROL_TIMEOUT)
            self._server = None
        self.store.close()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def __enter__(self) -> Emulator:
        """Run the server on its own event loop in a background thread (for sync code and sync tests)."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._thread_main, args=(ready,), name="fleetfreedom-emulator", daemon=True
        )
        self._thread.start()
        if not ready.wait(CONTROL_TIMEOUT):
            raise TimeoutError("the emulator did not start in time")
        if self._thread_error is not None:
            raise self._thread_error
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._thread_stop is not None:
            self._loop.call_soon_threadsafe(self._thread_stop.set)
        if self._thread is not None:
            self._thread.join(CONTROL_TIMEOUT)
            self._thread = None

    def _thread_main(self, ready: threading.Event) -> None:
        async def main() -> None:
            self._thread_stop = asyncio.Event()
            try:
                await self.start()
            except BaseException as exc:  # handed to the thread that called __enter__
                self._thread_error = exc
                ready.set()
                return
            ready.set()
            await self._thread_stop.wait()
            await self.stop()

        asyncio.run(main())

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the emulator's event loop (at once when already on it) and return its result."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return fn()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return fn()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(CONTROL_TIMEOUT)

    # ------------------------------------------------------------------ connections

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.faults.refusing:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "the emulator is refusing connections\n")
        if len(self._peers) >= self._max_connections:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "too many connections\n")
        return None

    async def _serve(self, ws: ServerConnection) -> None:
        ghost_id = _ghost_id_of(ws.request.path if ws.request is not None else "/")
        throttle = self.faults.session_throttle()
        if throttle is not None:
            details = {
                "kind": "throttled",
                "ghostId": ghost_id or None,
                "count": 1,
                "timeout": timespan(throttle.timeout),
            }
            body = _envelope(None, "sessionThrottled", "too many sessions; try again later", {}, details)
            await ws.send(encode_raw("connectionResponse", body))
            await ws.close(1013, "session throttled")
            return
        known = self.sessions.get(ghost_id) if ghost_id else None
        if known is None or not known.logged_in:
            address = _address_of(ws)
            waiting = sum(1 for p in self._peers.values() if not p.session.logged_in and _peer_ip(p) == address)
            if waiting >= self.limits.max_unauthenticated_per_address:
                log.warning("connection from %s refused: %d connections not logged in", address, waiting)
                details = {"kind": "throttled", "ip": address, "count": waiting, "timeout": None}
                body = _envelope(None, "sessionThrottled", "too many connections not logged in", {}, details)
                await ws.send(encode_raw("connectionResponse", body))
                await ws.close(1013, "too many connections not logged in")
                return
        try:
            opened = await self._open_session(ws, ghost_id)
        except StoreError as exc:  # the session could not be stored: say so and let the client retry later
            log.error("connection refused: %s", exc)
            body = _envelope(None, "service", "the emulator could not store the session; try again", {}, None)
            await ws.send(encode_raw("connectionResponse", body))
            await ws.close(1013, "database unavailable")
            return
        if opened is None:
            return
        session, resumed = opened
        peer = _Peer(ws, session, self._queue_limit, self.limits.max_outbound_bytes)
        self._peers[peer.id] = peer
        if not session.logged_in:
            self._start_login_deadline(peer)
        writer = asyncio.create_task(self._write(peer))
        error = self.semantics.connection_error(session, resumed)
        fields = self.semantics.session_details(session)
        peer.send(encode_raw("connectionResponse", _envelope(None, error, _connection_message(error), fields, None)))
        log.debug("connection %d: session %s (%s)", peer.id, _short(session.ghost_id), error)
        try:
            async for message in ws:
                self._on_frame(peer, message)
                if peer.closing:
                    break
                await asyncio.sleep(0)  # a turn for the other connections: a flood on one must not stall them
        except ConnectionClosed:
            pass
        finally:
            self._peers.pop(peer.id, None)
            for timer in peer.timers:
                timer.cancel()
            if peer.closing and ws.state is State.OPEN:  # let the writer send what is queued, then close
                try:
                    await asyncio.wait_for(writer, CLOSE_TIMEOUT)
                except (TimeoutError, ConnectionClosed):
                    writer.cancel()
            else:
                writer.cancel()
            log.debug("connection %d closed", peer.id)

    def _start_login_deadline(self, peer: _Peer) -> None:
        """Close the connection if its session is still not logged in after ``limits.login_deadline`` seconds."""
        assert self._loop is not None
        timer: asyncio.TimerHandle

        def overdue() -> None:
            peer.timers.discard(timer)
            if not peer.session.logged_in and not peer.closing:
                log.info("connection %d: no login within %.0f s, closing it", peer.id, self.limits.login_deadline)
                peer.close(1008, f"no login within {self.limits.login_deadline:g} s")

        timer = self._loop.call_later(self.limits.login_deadline, overdue)
        peer.timers.add(timer)

    def _login_throttled(self, peer: _Peer, body: dict[str, Any]) -> Outcome | None:
        """The commandThrottled answer to a login attempt past the failure limits, or None to let it run."""
        login = str(body.get("username", ""))
        wait, count = self._login_throttle.wait(login, _peer_ip(peer))
        if wait <= 0:
            return None
        details = {
            "kind": "throttled",
            "ghostId": peer.session.ghost_id,
            "login": login,
            "ip": _peer_ip(peer),
            "command": "login",
            "count": count,
            "timeout": timespan(max(1, round(wait))),
        }
        message = "too many failed logins; wait before retrying"
        return Outcome(error="commandThrottled", message=message, details=details)

    async def _open_session(self, ws: ServerConnection, ghost_id: str) -> tuple[Session, str] | None:
        """The session of a new connection: a machine's (checked signature), else the ghost id's. None when a
        machine login was refused: connectionResponse said why and the connection is closed."""
        request = ws.request
        if request is None or not self.machines.offered(request):
            return self.sessions.resume(ghost_id)
        try:
            login = self.machines.authenticate(request, "wss" if self.tls else "ws")
        except Refused as refused:
            log.info("machine login refused: %s", refused.message)
            await ws.send(encode_raw("connectionResponse", _envelope(None, refused.error, refused.message, {}, None)))
            await ws.close(1008, "machine login refused")
            return None
        session = self.sessions.new()  # every machine connection is a session of its own, as the vendor's
        session.machine, session.company = login.key, login.company
        self.sessions.save(session)
        return session, "success"

    async def _write(self, peer: _Peer) -> None:
        try:
            while True:
                item = await peer.queue.get()
                if isinstance(item, _Close):
                    await peer.ws.close(item.code, item.reason)
                    return
                peer.queued_bytes -= _utf8_size(item)
                if not self._silent:
                    await peer.ws.send(item)
        except ConnectionClosed:
            return

    # ------------------------------------------------------------------ frames

    def _on_frame(self, peer: _Peer, message: str | bytes) -> None:
        if isinstance(message, bytes):
            self._reply(
                peer,
                UNKNOWN_COMMAND_REPLY,
                None,
                Outcome(error="invalidData", message="binary frames are not supported; send text frames"),
            )
            return
        name, body, req_id, problem = _read_frame(message)
        known = name is not None and name in COMMANDS
        if problem is not None:
            reply_name = f"{name}Response" if known else UNKNOWN_COMMAND_REPLY
            self._reply(peer, reply_name, req_id, Outcome(error="invalidData", message=problem))
            return
        assert name is not None and body is not None
        if not known:
            self._reply(
                peer,
                UNKNOWN_COMMAND_REPLY,
                req_id,
                Outcome(error="unknownCommand", message=f"unknown command {name!r}"),
            )
            return
        spec = COMMANDS[name]
        rule = self.faults.reply_rule(name)
        if rule is not None and rule.action in ("drop", "close"):
            log.info("fault: %s connection %d on %s", rule.action, peer.id, name)
            if rule.action == "drop":
                peer.drop()
            else:
                peer.abort(rule.code, rule.reason)
            return
        throttle = self.faults.command_throttle(name)
        if throttle is not None:
            details = {
                "kind": "throttled",
                "ghostId": peer.session.ghost_id,
                "login": peer.session.login,
                "ip": _peer_ip(peer),
                "command": name,
                "count": 1,
                "timeout": timespan(throttle.timeout),
            }
            outcome = Outcome(
                error="commandThrottled", message=f"{name} throttled; wait before retrying", details=details
            )
            self._reply(peer, spec.reply_name, req_id, outcome)
            return
        if name == "login":
            refused = self._login_throttled(peer, body)
            if refused is not None:
                self._reply(peer, spec.reply_name, req_id, refused)
                return
        outcome = self._execute(peer, spec, body)
        if name == "login":
            if outcome.error == "invalidCredentials":
                self._login_throttle.failed(str(body.get("username", "")), _peer_ip(peer))
            elif peer.session.logged_in:
                self._login_throttle.succeeded(str(body.get("username", "")))
        self._reply(peer, spec.reply_name, req_id, outcome, rule)
        self._fan_out(outcome.pushes)
        for ended, reason in outcome.ended:
            self._end_session(ended, reason)
        if outcome.close_after:
            for other in list(self._peers.values()):
                if other.session is peer.session:
                    other.close(1000, "logged out")

    def _execute(self, peer: _Peer, spec: CommandSpec, body: dict[str, Any]) -> Outcome:
        """Run one command as one transaction: its changes (data and session) reach memory only once they are
        stored; a refused write or an emulator bug answers with an error and changes nothing."""
        session = peer.session
        before = session.to_json()
        # a login runs on a copy under a new ghost id, which the client takes from loginResponse
        acting = self.sessions.fork(session) if spec.name == "login" else session
        try:
            with self.store.transaction():
                refused = guards.check(self.semantics, spec, acting, body)
                if refused is not None:
                    return refused
                passwords = guards.take_passwords(spec, body)
                outcome = self.semantics.execute(spec, acting, body)
                for login, password in passwords:  # stored as salted hashes, with the user's write or not at all
                    if outcome.error == "success" and self.store.get("User", login) is not None:
                        self.passwords.set(login, password)
                if acting is not session and acting.logged_in and not session.logged_in:
                    self.sessions.drop(session)  # the pre-login ghost id dies with the login
        except StoreError as exc:
            log.error("connection %d: %s not applied: %s", peer.id, spec.name, exc)
            self.sessions.restore(session, before, forget=acting)
            return Outcome(error="service", message=f"{spec.name} was not applied: the emulator could not store it")
        except Exception as exc:  # an emulator bug must not cost the client its connection
            log.exception("connection %d: %s failed inside the emulator", peer.id, spec.name)
            self.sessions.restore(session, before, forget=acting)
            return Outcome(error="service", message=f"emulator error in {spec.name}: {type(exc).__name__}")
        if acting is not session and acting.logged_in:
            peer.session = acting
        if acting.logged_in and not outcome.close_after:
            try:  # sliding the expiry is housekeeping: a read must not fail because it could not be stored
                self.sessions.touch(acting)
            except StoreError as exc:
                log.warning("connection %d: session expiry not stored: %s", peer.id, exc)
        return outcome

    def _reply(
        self, peer: _Peer, name: str, req_id: int | None, outcome: Outcome, rule: ReplyRule | None = None
    ) -> None:
        log.debug("connection %d: %s reqId=%s errorCode=%s", peer.id, name, req_id, outcome.error)
        frame = encode_raw(name, _envelope(req_id, outcome.error, outcome.message, outcome.fields, outcome.details))
        if rule is not None and rule.action == "withhold":
            log.info("fault: withholding %s reqId=%s", name, req_id)
            return
        if rule is not None and rule.action == "delay" and self._loop is not None and len(peer.timers) < MAX_DELAYED:
            timer: asyncio.TimerHandle

            def later() -> None:
                peer.timers.discard(timer)
                peer.send(frame)

            timer = self._loop.call_later(rule.seconds, later)
            peer.timers.add(timer)
            return
        peer.send(frame)

    def _fan_out(self, pushes: Iterable[Push]) -> None:
        from ._catalog import subscriptions_of

        for push in pushes:
            frame = encode_raw(push.message, push.payload)
            wanted = subscriptions_of(push.message)
            for peer in list(self._peers.values()):
                session = peer.session
                if push.login is not None:
                    hit = session.login == push.login
                elif push.machine is not None:
                    hit = session.machine == push.machine
                else:
                    hit = any(wanted & session.subscriptions.get(company, set()) for company in push.companies)
                if hit and session.ended is None:
                    peer.send(frame)

    def _end_session(self, session: Session, reason: str) -> None:
        try:
            self.sessions.end(session, reason)
        except StoreError as exc:  # ended in memory all the same: its connections close below
            log.error("session %s: end not stored: %s", _short(session.ghost_id), exc)
        # the catalogue gives sessionEnded an errorCode and a message (the envelope): the code says why it ended
        body = {"errorCode": ERROR_CODES.get(reason, 0), "message": f"session ended: {reason}"}
        frame = encode_raw("sessionEnded", {**body, "ghostId": session.ghost_id, "expiry": iso(utcnow())})
        for peer in list(self._peers.values()):
            if peer.session is session:
                peer.send(frame)
                peer.close(1000, "session ended")

    # ------------------------------------------------------------------ controls (safe from any thread)

    def broadcast(self, kind: str, message: str = "", **fields: Any) -> None:
        """Send ``broadcast`` to every connected client, logged in or not (``kind`` maintenance or upgrade)."""
        body = {"kind": kind, "serverTime": iso(utcnow()), "message": message}
        body.update({k: iso(v) if isinstance(v, datetime) else v for k, v in fields.items() if v is not None})
        frame = encode_raw("broadcast", body)

        def run() -> None:
            for peer in list(self._peers.values()):
                peer.send(frame)

        self._call(run)

    def broadcast_maintenance(self, starting: datetime, ending: datetime, message: str = "") -> None:
        self.broadcast("maintenance", message or "planned maintenance", starting=starting, ending=ending)

    def broadcast_upgrade(self, eta: datetime, *, reload: bool = False, message: str = "") -> None:
        self.broadcast("upgrade", message or "service upgrade", eta=eta, reload=reload)

    def end_session(self, ghost_id: str, reason: str = "sessionExpired") -> None:
        """End a session (``sessionExpired`` or ``sessionKilled``): push ``sessionEnded`` and close its connections.

        Reconnecting with its ghost id then gets that error code in connectionResponse.
        """
        if reason not in ERROR_CODES:
            raise ValueError(f"{reason!r} is not an error code name")

        def run() -> None:
            session = self.sessions.get(ghost_id)
            if session is None:
                raise KeyError(f"no session {ghost_id}")
            self._end_session(session, reason)

        self._call(run)

    def drop_connections(self) -> None:
        """Cut every connection without a closing handshake (a network failure)."""

        def run() -> None:
            for peer in list(self._peers.values()):
                peer.drop()

        self._call(run)

    def close_connections(self, code: int = 1001, reason: str = "going away") -> None:
        """Close every connection with ``code`` (after what is already queued)."""

        def run() -> None:
            for peer in list(self._peers.values()):
                peer.abort(code, reason)

        self._call(run)

    def go_silent(self) -> None:
        """Stop sending anything and stop reading (so pings go unanswered); connections stay open."""

        def run() -> None:
            self._silent = True
            for peer in self._peers.values():
                peer.ws.transport.pause_reading()

        self._call(run)

    def speak_again(self) -> None:
        """Undo ``go_silent``: commands that arrived meanwhile are read and answered now; what the emulator would
        have sent while silent (sync messages, broadcasts) stays lost."""

        def run() -> None:
            self._silent = False
            for peer in self._peers.values():
                peer.ws.transport.resume_reading()

        self._call(run)

    def merge_object(self, type_name: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or change an object as the server itself (another user, a device) would; subscribers hear of it.
        An object of a schema type is checked first: an unknown field or a wrong value raises ``ValueError``
        naming it (nothing stored), so the emulator never holds what a client could not decode."""
        if type_name in TYPES:
            obj = checked_object(type_name, obj, f"merge_object: $.{type_name}", change=True)

        def run() -> dict[str, Any]:
            with self.store.transaction():
                view, pushes = self.semantics.server_merge(type_name, obj)
            self._fan_out(pushes)
            return view

        return self._call(run)

    def change_state(self, type_name: str, key: Any, verb: str) -> dict[str, Any]:
        """``remove`` / ``restore`` / ``suspend`` / ``revive`` an object server-side; subscribers hear of it."""

        def run() -> dict[str, Any]:
            with self.store.transaction():
                view, pushes = self.semantics.server_state_change(type_name, key, verb)
            self._fan_out(pushes)
            return view

        return self._call(run)

    def get_object(self, type_name: str, key: Any) -> dict[str, Any] | None:
        """The stored object (as ``type_name``, a part or the whole), or None."""
        from .._shapes import root_of

        def run() -> dict[str, Any] | None:
            record = self.store.get(root_of(type_name), key)
            return self.semantics.view(record, type_name) if record is not None else None

        return self._call(run)

    def add_user(self, login: str, password: str, company: int | None = None, **fields: Any) -> None:
        """Add (or replace) a user with full rights in ``company`` (default: the first seeded company)."""

        def run() -> None:
            target = company if company is not None else self._first_company()
            if target is None:
                raise ValueError("no company to add the user to")
            existing = self.store.get("Company", target)
            if existing is None or existing.deleted:
                raise ValueError(f"no company {target!r} to add the user to")
            entry = {**user_objects([(login, password)], target)[0], **fields}
            with self.store.transaction():
                apply_seed(self.store, self.passwords, {"User": [entry]}, where="add_user")

        self._call(run)

    def simulate(self, count: int, interval: float = 1.0, company: int | None = None) -> Fleet:
        """Add ``count`` simulated vehicles with devices to ``company`` (default: the first seeded company) that
        report a position every ``interval`` seconds while the emulator runs (see ``_simulate``)."""

        def run() -> Fleet:
            target = company if company is not None else self._first_company()
            if target is None or self.store.get("Company", target) is None:
                raise ValueError(f"no company {target!r} to simulate a fleet in")
            fleet = Fleet(self, count, interval, target)
            self._fleets.append(fleet)
            if self._server is not None:
                fleet.start()
            return fleet

        return self._call(run)

    def _first_company(self) -> int | None:
        """The company tests and tools act in by default: the lowest id below the top, else the top itself."""
        records = [r for r in self.store.records("Company") if not r.deleted and isinstance(r.key, int)]
        below = sorted(r.key for r in records if r.data.get("parent") != r.key)
        tops = sorted(r.key for r in records)
        return below[0] if below else (tops[0] if tops else None)

    def add_machine(self, key: str, secret: str | None = None, company: int | None = None, **fields: Any) -> str:
        """Add (or replace) a machine account with full rights in ``company`` (default: the first seeded company)
        and return its secret: ``secret`` as given (base64 text), else a new one. ``insecure=True`` (with
        ``secret=None``) makes a machine that connects with its key only."""

        if secret is not None:
            decode_secret(secret)  # refused before anything is stored (the message does not repeat it)

        def run() -> str:
            target = company if company is not None else self._first_company()
            if target is None:
                raise ValueError("no company to add the machine to")
            entry = {"key": key, "company": target, "enabled": True, "nickname": key, **fields}
            apply_seed(self.store, self.passwords, {"Machine": [entry]}, where="add_machine")
            record = self.store.get("Machine", key)
            assert record is not None
            chosen = None if fields.get("insecure") is True and secret is None else secret or new_secret()
            self.machines.set_secret(record, chosen)
            return chosen or ""

        return self._call(run)

    def connected_sessions(self) -> list[str]:
        """Ghost ids of the sessions that have at least one open connection."""
        return self._call(lambda: sorted({p.session.ghost_id for p in self._peers.values()}))

    def session_info(self, ghost_id: str) -> dict[str, Any] | None:
        """What the emulator knows of a session (login, expiry, subscriptions), or None."""

        def run() -> dict[str, Any] | None:
            session = self.sessions.get(ghost_id)
            return session.to_json() if session is not None else None

        return self._call(run)


# ---------------------------------------------------------------------- helpers


def _utf8_size(frame: str) -> int:
    """Bytes ``frame`` takes on the wire; ``isascii`` is a flag lookup, so ASCII frames cost no encoding."""
    return len(frame) if frame.isascii() else len(frame.encode())


def _cert_hosts(host: str) -> tuple[str, ...]:
    hosts = ["localhost", "127.0.0.1", "::1"]
    if host not in hosts and host not in ("0.0.0.0", "::"):
        hosts.append(host)
    return tuple(hosts)


def _ghost_id_of(path: str) -> str:
    """The ghost id of ``/<ghostId>`` (the documented form) or ``/?ghostId=<id>`` (older clients); '' for none."""
    parts = urlsplit(path)
    ghost = parts.path.strip("/")
    if not ghost:
        ghost = (parse_qs(parts.query).get("ghostId") or [""])[0]
    return ghost[:100]  # an absurd path is simply an unknown session


def _short(ghost_id: str) -> str:
    """A ghost id is a secret that resumes a session: logs show only its start."""
    return ghost_id[:8] + "…"


def _peer_ip(peer: _Peer) -> str | None:
    return _address_of(peer.ws)


def _address_of(ws: ServerConnection) -> str | None:
    address = ws.remote_address
    return str(address[0]) if address else None


def _connection_message(error: str) -> str:
    return {
        "success": "session resumed",
        "userNotLoggedIn": "connected; log in to start the session",
        "sessionNotFound": "that session does not exist; a new one was started, log in",
        "sessionExpired": "that session expired; a new one was started, log in",
        "sessionKilled": "that session was ended; a new one was started, log in",
        "passwordExpired": "session resumed, but the password has expired",
    }.get(error, error)


def _envelope(
    req_id: int | None, error: str, message: str, fields: dict[str, Any], details: dict[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {} if req_id is None else {"reqId": req_id}
    body["errorCode"] = ERROR_CODES[error]
    body["message"] = message or ("success" if error == "success" else error)
    if details:
        body["errorDetails"] = {k: v for k, v in details.items() if v is not None}
    for key, value in fields.items():
        body.setdefault(key, value)
    return body


def _read_frame(text: str) -> tuple[str | None, dict[str, Any] | None, int | None, str | None]:
    """``(name, body, reqId, problem)`` of a frame; ``problem`` says what makes it unreadable (None when fine)."""
    name, space, raw = text.partition(" ")
    name = name.strip()
    readable_name = name if _NAME.match(name) else None
    if not space:
        return (
            readable_name,
            None,
            None,
            FrameError("frame has no space between its name and its JSON body", text).problem,
        )
    if readable_name is None:
        return (
            None,
            None,
            _salvage_req_id(raw),
            "frame name is not a command name (letters and digits, starting with a letter)",
        )
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        return (
            readable_name,
            None,
            _salvage_req_id(raw),
            f"frame body is not valid JSON ({exc.msg} at character {exc.pos})",
        )
    except RecursionError:
        return readable_name, None, _salvage_req_id(raw), "frame body nests too deeply"
    except ValueError as exc:  # e.g. an integer past Python's 4,300-digit conversion limit
        return readable_name, None, _salvage_req_id(raw), f"frame body is not readable JSON ({str(exc)[:120]})"
    if not isinstance(body, dict):
        return readable_name, None, None, "frame body is not a JSON object"
    req_id = body.pop("reqId", None)
    if req_id is not None and (not isinstance(req_id, int) or isinstance(req_id, bool)):
        return readable_name, None, None, "reqId must be an integer"
    return readable_name, body, req_id, None


def _salvage_req_id(raw: str) -> int | None:
    match = _REQ_ID.search(raw[:10_000])
    return int(match.group(1)) if match else None
