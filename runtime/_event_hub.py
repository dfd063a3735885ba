"""Where a client's events go: the bounded buffer ``events()`` reads, the taps the sync cache hangs on, and the
callbacks registered with ``on()``.

The client (``_async.AsyncClient``) only says *that* an event happened (``emit``) and *that* the stream is over
(``finish``); how events are buffered, dropped when nobody reads, handed out and dispatched to callbacks is here,
so the client's own code is about the connection.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ._client_events import Disconnected
from ._events import Event
from ._exceptions import FleetFreedomError, NotConnected
from ._protocol import Stats

log = logging.getLogger("fleetfreedom")

E = TypeVar("E", bound=Event)
Callback = Callable[[Any], Awaitable[None] | None]
# How the hub starts a task the client owns (and cancels when it closes).
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class EventHub:
    """The events of one client: buffered up to ``max_events`` (the oldest dropped, and counted in ``stats()``),
    tapped in arrival order, and dispatched to callbacks on a task of their own."""

    def __init__(self, max_events: int, stats: Callable[[], Stats], spawn: Spawn) -> None:
        self._max_events = max_events
        self._stats = stats  # the client's current counters (its protocol core is replaced after a close)
        self._spawn = spawn
        self._events: collections.deque[Event] = collections.deque()
        self._event_added = asyncio.Event()
        self._callbacks: list[tuple[type[Event], Callback]] = []
        self._callback_queue: asyncio.Queue[Event] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._taps: list[Callable[[Event], None]] = []
        self._finished = False

    def emit(self, event: Event) -> None:
        for tap in self._taps:
            try:
                tap(event)
            except Exception:  # a tap's bug must not stop the reader
                log.exception("fleetfreedom: event tap %r failed", tap)
        if len(self._events) >= self._max_events:
            self._events.popleft()  # drop the oldest: newer sync messages carry newer state
            stats = self._stats()
            stats.dropped_events += 1
            if stats.dropped_events in (1, 10) or stats.dropped_events % 1000 == 0:
                log.warning(
                    "fleetfreedom: event buffer full (%d): %d oldest events dropped so far; read events() faster",
                    self._max_events,
                    stats.dropped_events,
                )
        self._events.append(event)
        self._event_added.set()
        if self._callback_queue is not None and any(isinstance(event, t) for t, _ in self._callbacks):
            if self._callback_queue.qsize() >= self._max_events:
                self._stats().dropped_events += 1
            else:
                self._callback_queue.put_nowait(event)

    def add_tap(self, tap: Callable[[Event], None]) -> Callable[[], None]:
        """Hand every event to ``tap`` in the reader, in arrival order, before it is buffered (the sync cache).
        A tap must not block; it takes nothing away from ``events()``. Returns a function that removes it."""
        self._taps.append(tap)
        return lambda: self._taps.remove(tap) if tap in self._taps else None

    def reopen(self) -> None:
        """The client connects again after a close: the stream goes on (buffered events stay)."""
        self._finished = False

    def finish(self, error: FleetFreedomError | None) -> None:
        """The client has stopped for good: ``Disconnected`` is the last event; readers end once it is read."""
        if self._finished:
            return
        self._finished = True
        self.emit(Disconnected(error=error))

    async def next_event(self, timeout: float | None = None) -> Event:
        if self._events:  # the usual case in a busy stream: no need to wait, nor to arm a timeout
            return self._events.popleft()
        async with asyncio.timeout(timeout):
            while not self._events:
                if self._finished:
                    raise NotConnected("the client is closed and every event was read")
                self._event_added.clear()
                await self._event_added.wait()
        return self._events.popleft()

    async def events(self, idle_timeout: float | None = None) -> AsyncIterator[Event]:
        events = self._events
        while True:
            if events:  # a busy stream: hand the buffered event over without a coroutine per event
                yield events.popleft()
                continue
            try:
                yield await self.next_event(idle_timeout)
            except (NotConnected, TimeoutError):
                return

    def on(self, event_type: type[E], callback: Callable[[E], Awaitable[None] | None]) -> Callable[[], None]:
        entry: tuple[type[Event], Callback] = (event_type, callback)
        self._callbacks.append(entry)
        if self._callback_queue is None:
            self._callback_queue = asyncio.Queue()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = self._spawn(self._dispatch_callbacks(self._callback_queue))

        def remove() -> None:
            if entry in self._callbacks:
                self._callbacks.remove(entry)

        return remove

    async def _dispatch_callbacks(self, queue: asyncio.Queue[Event]) -> None:
        while True:
            event = await queue.get()
            try:
                for event_type, callback in list(self._callbacks):
                    if isinstance(event, event_type):
                        try:
                            result = callback(event)
                            if inspect.isawaitable(result):
                                await result
                        except Exception:
                            log.exception("fleetfreedom: event callback %r failed", callback)
            finally:
                queue.task_done()

    async def drain_callbacks(self) -> None:
        """At close: let the callbacks finish what is queued (up to 5 s), then stop their task."""
        if self._callback_queue is not None and self._dispatcher is not None and not self._dispatcher.done():
            try:
                async with asyncio.timeout(5):
                    await self._callback_queue.join()
            except TimeoutError:
                log.warning("fleetfreedom: event callbacks still busy at close; not waiting for them")
            self._dispatcher.cancel()
