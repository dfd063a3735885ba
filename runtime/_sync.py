"""``Client``: the same client without ``async``, for scripts, notebooks and threaded programs.

It runs an ``AsyncClient`` on a private event loop in a background thread and forwards each call there, so the
behaviour (correlation, reconnects, events) is the async client's, written once. Because the caller's thread only
blocks on a future, a ``Client`` also works where an event loop is already running in the calling thread (Jupyter).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl as ssl_module
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import BaseModel

from ._async import AsyncClient, RawReply
from ._connection import DEFAULT_USER_AGENT, GhostIdTransport
from ._events import Event
from ._exceptions import FleetFreedomError, NotConnected
from ._machine_auth import MachineTransport
from ._protocol import HEALTHY_AFTER, RECONNECT_DELAY, RECONNECT_MAX_DELAY, Backoff, Session, State, Stats, UserSession
from ._resource_base import ReplyT
from ._transport import TransportName
from .resources import SyncResources

if TYPE_CHECKING:
    from ._cache import AsyncCache
    from ._cache_sync import Cache
    from .commands import SubscribeResponse, UnsubscribeResponse
    from .models import IdKey, SubscriptionType

T = TypeVar("T")
E = TypeVar("E", bound=Event)


class _LoopThread:
    """An event loop running in a daemon thread; other threads submit coroutines and wait for their results."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fleetfreedom-client", daemon=True)
        self.thread.start()
        self._started.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        self.loop.run_forever()
        # stopped: finish what is left, so no task is destroyed while pending
        pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.get_ident() == self.thread.ident:
            coro.close()
            raise RuntimeError(
                "a fleetfreedom Client was called from its own event-loop thread (from an event callback?): "
                "use AsyncClient there, or hand the work to another thread"
            )
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except (KeyboardInterrupt, concurrent.futures.CancelledError):
            future.cancel()
            raise

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            if threading.get_ident() != self.thread.ident:
                self.thread.join(timeout=10)


class Client(SyncResources):
    """A blocking client for the Fleet Freedom WebSocket API; same arguments and behaviour as ``AsyncClient``.

    ::

        with Client(url="wss://socket.fleetfreedom.com") as client:
            client.login("dispatch@example.com", password)
            company = client.companies.get(42)
            for event in client.events():
                print(event)

    Event callbacks (``on``) run on the client's background thread. A service passes ``api_key=`` and
    ``api_secret=`` (or sets FLEETFREEDOM_API_KEY / FLEETFREEDOM_API_SECRET) instead of logging in.
    """

    # The parameters are AsyncClient's, spelt out (not ``**options``) so a misspelt one is a type error; the
    # parity test in tests/test_client_surface.py keeps names and defaults equal.
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
        self.url = url
        self.user_agent = user_agent
        self.timeout = timeout
        self.connect_timeout = connect_timeout

        def make(ghost: str | None) -> AsyncClient:  # called on the client's own loop: its primitives belong there
            return AsyncClient(
                url,
                ghost_id=ghost,
                user_agent=user_agent,
                ssl=ssl,
                timeout=timeout,
                connect_timeout=connect_timeout,
                keepalive=keepalive,
                silence_limit=silence_limit,
                reconnect=reconnect,
                reconnect_delay=reconnect_delay,
                reconnect_max_delay=reconnect_max_delay,
                healthy_after=healthy_after,
                backoff=backoff,
                max_events=max_events,
                max_waiting=max_waiting,
                max_frame_size=max_frame_size,
                ping_interval=ping_interval,
                close_timeout=close_timeout,
                ghost_id_transport=ghost_id_transport,
                headers=headers,
                api_key=api_key,
                api_secret=api_secret,
                machine_transport=machine_transport,
                transport=transport,
            )

        self._make = make
        self._first_ghost = ghost_id
        self._portal: _LoopThread | None = None
        self._client: AsyncClient | None = None
        self._lock = threading.Lock()
        self._start(ghost_id)

    def _start(self, ghost_id: str | None) -> AsyncClient:
        portal = _LoopThread()

        async def make() -> AsyncClient:  # created on its own loop: its asyncio primitives belong there
            return self._make(ghost_id)

        try:
            client = portal.call(make())
        except BaseException:
            portal.stop()
            raise
        self._portal, self._client = portal, client
        return client

    def _run(self, coro: Callable[[AsyncClient], Awaitable[T]]) -> T:
        client, portal = self._client, self._portal
        if client is None or portal is None:
            raise NotConnected("the client is closed: call connect() to open it again")

        async def run() -> T:
            return await coro(client)

        return portal.call(run())

    @property
    def _async(self) -> AsyncClient:
        if self._client is None:
            raise NotConnected("the client is closed: call connect() to open it again")
        return self._client

    # --- state ----------------------------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        return self._async.session

    @property
    def transport(self) -> str:
        """The WebSocket library carrying the connection: ``"websockets"`` or ``"picows"``."""
        return self._async.transport

    @property
    def state(self) -> State:
        return self._client.state if self._client is not None else State.CLOSED

    @property
    def stats(self) -> Stats:
        return self._async.stats

    @property
    def closed_reason(self) -> FleetFreedomError | None:
        """Why the client stopped for good (for example ``SessionExpired``), or None."""
        return self._client.closed_reason if self._client is not None else None

    @property
    def accepted_subscriptions(self) -> dict[int, frozenset[str]]:
        return self._async.accepted_subscriptions

    @property
    def api_key(self) -> str | None:
        """The machine's API key when this client authenticates as a machine, else None."""
        return self._async.api_key

    def __repr__(self) -> str:
        return f"<Client {self.state.value} {self._client.session if self._client else ''}>"

    # --- connecting ------------------------------------------------------------------------------------------

    def __enter__(self) -> Client:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connect(self) -> Session:
        """Open the connection and wait for ``connectionResponse`` (see ``AsyncClient.connect``)."""
        with self._lock:
            if self._client is None:
                self._start(self._first_ghost if self._last_ghost is None else self._last_ghost)
        return self._run(lambda c: c.connect())

    _last_ghost: str | None = None

    def close(self) -> None:
        """Close the connection, stop reconnecting and stop the background thread."""
        with self._lock:
            client, portal = self._client, self._portal
            if client is None or portal is None:
                return
            try:
                portal.call(client.close())
            finally:
                # a user session resumes by its ghostId after connect(); a machine signs a new connection instead
                self._last_ghost = client.session.ghost_id if client.api_key is None else None
                self._client = self._portal = None
                portal.stop()

    def __del__(self) -> None:
        portal = getattr(self, "_portal", None)
        if portal is not None:
            portal.stop()

    # --- commands --------------------------------------------------------------------------------------------

    def _call(
        self,
        command: str,
        reply: type[ReplyT],
        params: Mapping[str, object],
        timeout: float | None,
        extra_body: Mapping[str, object] | None = None,
    ) -> ReplyT:
        return self._run(lambda c: c._call(command, reply, params, timeout, extra_body))

    @overload
    def request(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raw: Literal[False] = False,
        validate: bool = True,
    ) -> BaseModel | RawReply: ...

    @overload
    def request(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raw: Literal[True],
        validate: bool = True,
    ) -> RawReply: ...

    def request(
        self,
        command: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raw: bool = False,
        validate: bool = True,
    ) -> BaseModel | RawReply:
        """Send any command by its wire name; ``validate=False`` sends the body unchecked (``AsyncClient.request``)."""
        if raw:
            return self._run(lambda c: c.request(command, params, timeout=timeout, raw=True, validate=validate))
        return self._run(lambda c: c.request(command, params, timeout=timeout, validate=validate))

    def login(self, username: str, password: str, *, timeout: float | None = None) -> UserSession:
        """Log in; returns the session (its ``user`` and ``ghost_id`` always there), also in ``client.session``."""
        return self._run(lambda c: c.login(username, password, timeout=timeout))

    def logout(self, *, timeout: float | None = None) -> None:
        """End the session on the server and close the connection."""
        self._run(lambda c: c.logout(timeout=timeout))
        self.close()

    def subscribe(
        self, company: IdKey | int, types: Sequence[SubscriptionType | str], *, timeout: float | None = None
    ) -> SubscribeResponse:
        """Receive sync messages of ``types`` for ``company``; returns what was merged, denied and invalid."""
        return self._run(lambda c: c.subscribe(company, types, timeout=timeout))

    def unsubscribe(
        self, company: IdKey | int, types: Sequence[SubscriptionType | str], *, timeout: float | None = None
    ) -> UnsubscribeResponse:
        """Stop the sync messages of ``types`` for ``company``; they are no longer renewed after a reconnect."""
        return self._run(lambda c: c.unsubscribe(company, types, timeout=timeout))

    # --- events ----------------------------------------------------------------------------------------------

    def next_event(self, timeout: float | None = None) -> Event:
        """The next event; ``TimeoutError`` after ``timeout`` seconds, ``NotConnected`` once closed and drained."""
        return self._run(lambda c: c.next_event(timeout))

    def events(self, idle_timeout: float | None = None) -> Iterator[Event]:
        """Every event as it arrives (see ``AsyncClient.events``); ends when the client has stopped, or after
        ``idle_timeout`` seconds without an event."""
        while True:
            try:
                yield self.next_event(idle_timeout)
            except (NotConnected, TimeoutError):
                return

    def cache(self, *, grace: float = 300.0, tombstone_ttl: float = 600.0, max_changes: int = 10_000) -> Cache:
        """A local mirror of the objects you ``sync``, kept current by sync frames (see ``Cache`` and
        ``AsyncClient.cache`` for the options)."""
        from ._cache_sync import Cache

        async def make(client: AsyncClient) -> AsyncCache:
            return client.cache(grace=grace, tombstone_ttl=tombstone_ttl, max_changes=max_changes)

        return Cache(self, self._run(make))

    def on(self, event_type: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Call ``callback(event)`` (on the client's background thread) for every event of ``event_type``."""

        async def register(client: AsyncClient) -> Callable[[], None]:
            return client.on(event_type, callback)

        return self._run(register)
