"""``AsyncCache``: a versioned local mirror of subscribed objects, kept current by sync frames (``client.cache()``).

::

    store = client.cache()
    await store.sync(42, [AssetGeneral, AssetAdvanced])      # subscribe, then list: nothing falls in between
    truck = store.get(AssetGeneral, 101)                     # typed, decoded on read
    async for change in store.changes(AssetGeneral):         # ObjectCreated / ObjectUpdated / ObjectDeleted
        ...

The rules (versions, tombstones, lists versus pushes) live in ``_cache_core.CacheCore``; this module drives it. It
sees every frame in the client's reader, in arrival order (a tap, not the shared event buffer: the cache takes no
event from ``client.events()``). After a reconnect it compares ``getSubscriptionsList`` with what it syncs,
subscribes what is missing and re-lists what pushes may have missed; a ``broadcast`` with ``reload`` purges and
reloads. ``desync`` lets a region go after a grace period, so syncing it again soon costs nothing.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from ._cache_core import CacheCore, CacheStats
from ._cache_pieces import ObjectKey, company_id, list_command, list_field, piece, subscription_piece, type_name
from ._changes import Change, fold
from ._client_events import Disconnected, Reconnected, Reconnecting
from ._events import BroadcastMessage, Deleted, Event, Merged, Suspended
from ._exceptions import ApiError, FleetFreedomError
from ._protocol import State
from ._registry import SUBSCRIPTIONS
from ._shapes import root_of

if TYPE_CHECKING:
    from ._async import AsyncClient
    from .models import IdKey, SubscriptionType

    # what sync() and desync() take: model classes (``AssetGeneral``, ``Asset``), schema type names,
    # subscription type names (``"assetGeneral"``) or ``SubscriptionType`` members
    Syncable = type[BaseModel] | str | SubscriptionType

log = logging.getLogger("fleetfreedom.cache")

T = TypeVar("T", bound=BaseModel)
SubRegion = tuple[int, str]  # (company, subscription type)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What ``sync`` achieved for one company: the subscription types now synced, and those the server refused."""

    company: int
    synced: tuple[str, ...]
    denied: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


def subscriptions_for(types: Iterable[Any]) -> list[str]:
    """Subscription types for what the caller names: model classes (``AssetGeneral``, or ``Asset`` for all its
    parts), schema type names, subscription names (``"assetGeneral"``) or ``SubscriptionType`` members."""
    out: dict[str, None] = {}
    for item in types:
        value = item.__name__ if isinstance(item, type) else str(getattr(item, "value", item))
        if value in SUBSCRIPTIONS:
            found = [value]
        else:
            found = [
                name
                for name, spec in SUBSCRIPTIONS.items()
                if not spec.retired and (spec.object == value or root_of(spec.object) == value)
            ]
        if not found:
            raise ValueError(f"no subscription delivers {value!r}: name a model class, type or subscription type")
        for name in found:
            stored = subscription_piece(name)
            if stored is None or list_command(stored) is None:
                raise ValueError(
                    f"{name!r} cannot be cached: the schema has no command listing {stored or name} by company"
                )
            if SUBSCRIPTIONS[name].retired:
                raise ValueError(f"{name!r} is a retired subscription type")
            out[name] = None
    if not out:
        raise ValueError("name at least one type to sync")
    return list(out)


def _enum_value(value: object) -> str:
    return str(getattr(value, "value", value))


def _company(company: IdKey | int) -> int:
    value = company_id(company)
    if value is None:
        raise ValueError(f"not a company id: {company!r}")
    return value


class ChangeStream(Generic[T]):
    """The changes to some stored types, from the moment the stream was made (``store.changes(...)``).

    Iterate it (``async for change in stream``) or call ``await stream.next(timeout)``. Each stream has its own
    bounded queue: when a reader falls ``max_queue`` changes behind, the oldest are dropped and counted in
    ``dropped`` (re-read the store then). Close it (or use ``async with``) to stop collecting.

    The stream also ends when its client stops for good (``Disconnected``): after the changes still queued, the
    iteration ends after a ``close()``, and raises the client's ``closed_reason`` (a ``FleetFreedomError`` such
    as ``SessionKilled``) when the client stopped because of an error, so a watcher never waits on a table that
    can no longer change.
    """

    def __init__(
        self, owner: AsyncCache, names: frozenset[str] | None, max_queue: int, roots: frozenset[str] = frozenset()
    ) -> None:
        self._owner = owner
        self._names = names
        self.roots = roots  # composites this stream yields whole (one change per object), not part by part
        self._max = max_queue
        self._queue: collections.deque[Change[Any] | _Pending] = collections.deque()
        self._pending: dict[tuple[str, Any], _Pending] = {}  # unread composite changes, by object
        self._added = asyncio.Event()
        self._closed = False
        self._error: BaseException | None = None
        self.dropped = 0

    def accepts(self, change: Change[Any]) -> bool:
        return self._names is None or change.type.__name__ in self._names

    def put(self, change: Change[Any]) -> None:
        name = change.type.__name__
        if name in self.roots:
            pending = self._pending.get((name, change.key))
            if pending is not None:  # a change to this object is still unread: the reader gets one, from old to new
                pending.change = fold(pending.change, change) if pending.change is not None else change
                return
            pending = self._pending[(name, change.key)] = _Pending(change)
            self._append(pending)
        else:
            self._append(change)

    def _append(self, item: Change[Any] | _Pending) -> None:
        if len(self._queue) >= self._max:
            self._forget(self._queue.popleft())
            self.dropped += 1
            if self.dropped in (1, 100) or self.dropped % 10_000 == 0:
                log.warning("fleetfreedom cache: a change stream fell behind; %d changes dropped", self.dropped)
        self._queue.append(item)
        self._added.set()

    def _forget(self, item: Change[Any] | _Pending) -> Change[Any] | None:
        if not isinstance(item, _Pending):
            return item
        change = item.change
        if change is not None:
            self._pending.pop((change.type.__name__, change.key), None)
        return change

    def _take(self) -> Change[T] | None:
        """The next queued change, None while open and empty; once closed and empty: why it ended."""
        while self._queue:
            change = self._forget(self._queue.popleft())
            if change is not None:  # None: created and deleted again before it was read
                return change
        if self._closed:
            error, self._error = self._error, None
            if error is not None:  # raised once, like an exception out of a generator; it ends quietly after
                raise error
            raise StopAsyncIteration
        return None

    async def next(self, timeout: float | None = None) -> Change[T]:
        """The next change; ``TimeoutError`` after ``timeout`` seconds, ``StopAsyncIteration`` once closed (or the
        client's error when it stopped for one)."""
        async with asyncio.timeout(timeout):
            while (change := self._take()) is None:
                self._added.clear()
                await self._added.wait()
        return change

    def __aiter__(self) -> AsyncIterator[Change[T]]:
        return self

    async def __anext__(self) -> Change[T]:
        return await self.next()

    def close(self) -> None:
        self._closed = True
        self._added.set()
        self._owner._forget_stream(self)

    def _end(self, error: BaseException | None) -> None:
        """The client stopped for good: end after what is queued, with its error if it had one."""
        self._error = error
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> int:
        """Changes queued and not read yet (a composite created and deleted again before it was read is none)."""
        return sum(1 for item in self._queue if not isinstance(item, _Pending) or item.change is not None)

    async def __aenter__(self) -> ChangeStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class _Pending:
    """A queued composite change that later changes to the same object fold into until it is read."""

    __slots__ = ("change",)

    def __init__(self, change: Change[Any]) -> None:
        self.change: Change[Any] | None = change


class AsyncCache:
    """A local mirror of the objects of the companies and types you ``sync``; made by ``client.cache()``.

    ``grace``: seconds a ``desync``-ed region stays subscribed (and current) before it is unsubscribed and dropped.
    ``tombstone_ttl``: seconds a deleted object's key blocks late pushes about it. ``max_changes``: the queue
    bound of each change stream.
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        grace: float = 300.0,
        tombstone_ttl: float = 600.0,
        max_changes: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if grace < 0 or max_changes < 1:
            raise ValueError("grace must not be negative and max_changes must be at least 1")
        self._client = client
        self._core = CacheCore(tombstone_ttl=tombstone_ttl, clock=clock)  # no change objects until a stream opens
        self._clock = clock
        self.grace = grace
        self._max_changes = max_changes
        self._wanted: dict[int, set[str]] = {}  # company -> subscription types synced
        self._expiring: dict[SubRegion, float] = {}  # desynced, still subscribed, until this time
        self._unsubscribe_later: set[SubRegion] = set()  # expired, but the unsubscribe did not get through
        self._stale: set[SubRegion] = set()  # synced regions pushes may have missed (disconnected, failed list)
        self._streams: list[ChangeStream[Any]] = []
        self._lock = asyncio.Lock()  # one sync / desync / resync at a time
        self._jobs: set[asyncio.Task[None]] = set()
        self._expiry_task: asyncio.Task[None] | None = None
        self._expiry_wake = asyncio.Event()
        self._closed = False
        self.resyncs = 0  # how many reconnects were caught up with
        self._remove_tap = client._hub.add_tap(self._on_event)

    # --- state ------------------------------------------------------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        return self._core.stats

    @property
    def synced(self) -> dict[int, frozenset[str]]:
        """Company -> the subscription types this cache syncs (desynced ones in their grace period excluded)."""
        return {company: frozenset(types) for company, types in self._wanted.items() if types}

    @property
    def stale(self) -> frozenset[SubRegion]:
        """Synced ``(company, subscription type)`` regions that may miss changes until the next re-list."""
        return frozenset(self._stale)

    def __repr__(self) -> str:
        sizes = {name: self._core.count(name) for name in sorted({n for _, n in self._core.regions})}
        return f"<AsyncCache synced={dict(self.synced)} objects={sizes}>"

    # --- sync and desync --------------------------------------------------------------------------------------

    async def sync(
        self, company: IdKey | int, types: Sequence[Syncable], *, timeout: float | None = None
    ) -> SyncResult:
        """Subscribe ``company`` to ``types`` and load what exists: subscribe first, then list each type, so a
        change made in between is not missed. Types already synced cost nothing; a desynced type still in its
        grace period is taken back without a command. Types the server refuses are left out (see the result);
        when it refuses them all, its error is raised."""
        self._check_open()
        company = _company(company)
        subs = subscriptions_for(types)
        async with self._lock:
            wanted = self._wanted.setdefault(company, set())
            revived = [s for s in subs if (company, s) in self._expiring]
            for s in revived:
                del self._expiring[(company, s)]
                wanted.add(s)
            new = [s for s in subs if s not in wanted]
            for s in new:
                self._unsubscribe_later.discard((company, s))
                self._core.watch(company, self._piece(s))  # pushes count from before the subscribe goes out
            accepted: list[str] = []
            denied: list[str] = []
            invalid: list[str] = []
            if new:
                try:
                    reply = await self._client.subscribe(company, new, timeout=timeout)
                except BaseException:
                    for s in new:
                        self._core.unwatch(company, self._piece(s))
                    raise
                accepted = [_enum_value(t) for t in reply.merged or () if _enum_value(t) in new]
                denied = [_enum_value(t) for t in reply.denied or ()]
                invalid = [_enum_value(t) for t in reply.invalid or ()]
                for s in new:
                    if s not in accepted:
                        self._core.unwatch(company, self._piece(s))
                wanted.update(accepted)
                self._stale.update((company, s) for s in accepted)
            if not wanted:
                del self._wanted[company]
            todo = [s for s in subs if (company, s) in self._stale]
            await self._relist([(company, s) for s in todo], timeout=timeout)
            return SyncResult(company, tuple(sorted(self._wanted.get(company, ()))), tuple(denied), tuple(invalid))

    async def desync(self, company: IdKey | int, types: Sequence[Syncable] | None = None) -> None:
        """Stop syncing ``types`` (default: every type) of ``company``. The subscription is kept for ``grace``
        seconds, so a ``sync`` of the same types soon after is free; then it is unsubscribed and its objects
        dropped from the cache (without change events: they were not deleted on the server)."""
        company = _company(company)
        subs = subscriptions_for(types) if types is not None else sorted(self._wanted.get(company, ()))
        async with self._lock:
            wanted = self._wanted.get(company, set())
            deadline = self._clock() + self.grace
            for s in subs:
                if s in wanted:
                    wanted.discard(s)
                    self._expiring[(company, s)] = deadline
            if not wanted:
                self._wanted.pop(company, None)
        if self.grace == 0:
            await self._expire_due()
        elif self._expiring:
            self._ensure_expiry_loop()

    def _ensure_expiry_loop(self) -> None:
        if self._expiry_task is None or self._expiry_task.done():
            self._expiry_task = asyncio.get_running_loop().create_task(self._expiry_loop())
        self._expiry_wake.set()

    async def _expiry_loop(self) -> None:
        while self._expiring and not self._closed:
            self._expiry_wake.clear()
            delay = min(self._expiring.values()) - self._clock()
            if delay > 0:
                try:
                    async with asyncio.timeout(delay):
                        await self._expiry_wake.wait()
                    continue  # woken: something changed, look again
                except TimeoutError:
                    pass
            await self._expire_due()

    async def _expire_due(self) -> None:
        async with self._lock:
            now = self._clock()
            due = [region for region, deadline in self._expiring.items() if deadline <= now]
            for region in due:
                del self._expiring[region]
                self._drop_region(region)
            self._unsubscribe_later.update(due)
            await self._unsubscribe_pending()

    async def _unsubscribe_pending(self) -> None:
        by_company: dict[int, list[str]] = {}
        for company, s in sorted(self._unsubscribe_later):
            by_company.setdefault(company, []).append(s)
        for company, subs in by_company.items():
            try:
                await self._client.unsubscribe(company, subs)
            except FleetFreedomError as exc:  # retried after the next reconnect
                log.info("fleetfreedom cache: unsubscribing %s of company %s failed (%s); later", subs, company, exc)
                continue
            self._unsubscribe_later.difference_update((company, s) for s in subs)

    def _drop_region(self, region: SubRegion) -> None:
        company, s = region
        self._stale.discard(region)
        self._core.unwatch(company, self._piece(s))

    @staticmethod
    def _piece(subscription: str) -> str:
        name = subscription_piece(subscription)
        assert name is not None  # checked by subscriptions_for
        return name

    # --- listing ----------------------------------------------------------------------------------------------

    async def _relist(self, regions: Iterable[SubRegion], *, force: bool = False, timeout: float | None = None) -> None:
        """List each region (concurrently); the first failure is raised after all have finished."""
        results = await asyncio.gather(
            *(self._list(company, s, force=force, timeout=timeout) for company, s in regions), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _list(self, company: int, subscription: str, *, force: bool, timeout: float | None) -> None:
        name = self._piece(subscription)
        command = list_command(name)
        assert command is not None
        self._stale.add((company, subscription))
        ticket = self._core.begin_list(company, name)  # before the request goes out: later pushes win
        try:
            reply = await self._client.request(command.name, {"company": company}, timeout=timeout)
        except BaseException:
            self._core.abandon_list(ticket)
            raise
        items = getattr(reply, list_field(command.name), None) or []
        self._publish(self._core.finish_list(ticket, items, force=force))
        if subscription in self._wanted.get(company, ()) or (company, subscription) in self._expiring:
            self._stale.discard((company, subscription))

    # --- what the client's reader hands over ------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """Called in the client's reader for every event, in arrival order; never blocks."""
        if isinstance(event, (Merged, Deleted, Suspended)):
            self._publish(self._core.apply(event))
            if self._core.refresh:
                self._schedule(self._refresh())
        elif isinstance(event, Reconnecting | Disconnected):
            self._stale.update((c, s) for c, subs in self._wanted.items() for s in subs)
            if isinstance(event, Disconnected):  # stopped for good: no change can come any more
                for stream in list(self._streams):
                    stream._end(event.error)
        elif isinstance(event, Reconnected):
            self._schedule(self._resync())
        elif isinstance(event, BroadcastMessage) and getattr(event.data, "reload", None) is True:
            self._schedule(self._reload())

    def _publish(self, changes: list[Change[Any]]) -> None:
        if not changes or not self._streams:
            return
        roots = frozenset().union(*(stream.roots for stream in self._streams))
        if roots:  # streams of composites get one change per object, built from the batch of part changes
            changes = changes + self._core.composite_changes(changes, roots)
        for change in changes:
            for stream in self._streams:
                if stream.accepts(change):
                    stream.put(change)

    def _schedule(self, coro: Awaitable[None]) -> None:
        if self._closed:
            if asyncio.iscoroutine(coro):
                coro.close()
            return

        async def run() -> None:
            try:
                await coro
            except FleetFreedomError as exc:
                log.warning("fleetfreedom cache: catching up failed: %s", exc)
            except Exception:
                log.exception("fleetfreedom cache: catching up failed")

        task = asyncio.get_running_loop().create_task(run())
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _resync(self) -> None:
        """After a reconnect: compare what the server holds with what we sync, subscribe what is missing,
        and re-list what pushes may have missed meanwhile."""
        async with self._lock:
            reply = await self._client.request("getSubscriptionsList")
            held: dict[int, set[str]] = {}
            for entry in getattr(reply, "subscriptions", None) or ():
                company = company_id(entry.company)
                if company is not None:
                    held.setdefault(company, set()).update(_enum_value(t) for t in entry.subscription_types or ())
            for region in list(self._expiring):  # letting it go anyway: if the server forgot it, drop it now
                if region[1] not in held.get(region[0], ()):
                    del self._expiring[region]
                    self._drop_region(region)
            self._unsubscribe_later = {r for r in self._unsubscribe_later if r[1] in held.get(r[0], ())}
            await self._unsubscribe_pending()
            for company, wanted in list(self._wanted.items()):
                missing = sorted(wanted - held.get(company, set()))
                if not missing:
                    continue
                log.info("fleetfreedom cache: company %s lost %s on the server; subscribing again", company, missing)
                try:
                    sub = await self._client.subscribe(company, missing)
                    accepted = {_enum_value(t) for t in sub.merged or ()}
                except ApiError as exc:
                    log.warning("fleetfreedom cache: company %s refused %s again: %s", company, missing, exc)
                    accepted = set()
                for s in set(missing) - accepted:  # refused now: no longer synced
                    wanted.discard(s)
                    self._drop_region((company, s))
            regions = [(company, s) for company, subs in self._wanted.items() for s in sorted(subs)]
            await self._relist(regions)
            self.resyncs += 1

    async def _reload(self) -> None:
        """A ``broadcast`` asking clients to reload: forget tombstones and versions, take the server's copy."""
        async with self._lock:
            log.info("fleetfreedom cache: the server asked for a reload; re-listing everything")
            self._core.purge_tombstones()
            regions = [(company, s) for company, subs in self._wanted.items() for s in sorted(subs)]
            await self._relist(regions, force=True)

    async def _refresh(self) -> None:
        """Re-list regions where a push could not be trusted alone (about an object deleted moments ago)."""
        async with self._lock:
            todo = set(self._core.refresh)
            self._core.refresh.clear()
            subs = {
                (company, s) for company, name in todo for s in self._wanted.get(company, ()) if self._piece(s) == name
            }
            await self._relist(sorted(subs))

    async def wait_synced(self, timeout: float | None = None) -> None:
        """Wait until the catching-up this cache has started (after a reconnect, a reload, a doubtful push) is
        done. ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                if self._jobs:
                    await asyncio.wait(set(self._jobs))
                    continue
                if self._lock.locked():
                    async with self._lock:
                        pass
                    continue
                return

    # --- reads ------------------------------------------------------------------------------------------------

    def get(self, cls: type[T], key: ObjectKey) -> T | None:
        """The stored object (decoded now: your own copy), or None. A composite (``Asset``) is assembled from the
        parts that are stored; its ``v`` holds each part's version."""
        raw = self._core.raw(type_name(cls), key)
        return None if raw is None else cls.model_validate_json(raw)

    def all(self, cls: type[T], company: IdKey | int | None = None) -> list[T]:
        """Every stored object of a type (of one company), decoded."""
        name = type_name(cls)
        wanted = None if company is None else _company(company)
        return [cls.model_validate_json(raw) for _, raw in self._core.items(name, wanted)]

    def keys(self, cls: type[BaseModel] | str, company: IdKey | int | None = None) -> list[ObjectKey]:
        """Keys of the stored objects of a type (of one company); cheap (nothing is decoded)."""
        return self._core.keys(type_name(cls), None if company is None else _company(company))

    def count(self, cls: type[BaseModel] | str, company: IdKey | int | None = None) -> int:
        return self._core.count(type_name(cls), None if company is None else _company(company))

    def __contains__(self, item: tuple[type[BaseModel] | str, ObjectKey]) -> bool:
        cls, key = item
        return self._core.raw(type_name(cls), key) is not None

    # --- change events ----------------------------------------------------------------------------------------

    def changes(self, *types: type[T] | str, max_queue: int | None = None) -> ChangeStream[T]:
        """A stream of the changes to ``types`` (default: every stored type) from now on: ``ObjectCreated``,
        ``ObjectUpdated`` (``.fields`` names what changed) and ``ObjectDeleted``, one per change, in order.
        A composite (``Asset``) gives one change per object, typed as the composite: its ``parts`` say which of its
        parts changed, and changes not read yet fold into one (a create whose parts arrive one by one is one
        ``ObjectCreated``; created and deleted again before it was read: nothing). Its parts
        (``AssetGeneral``) give their own changes. The stream ends when the client stops for good (see
        ``ChangeStream``)."""
        names: frozenset[str] | None = None
        roots: set[str] = set()
        if types:
            found: set[str] = set()
            for t in types:
                name = type_name(t)
                found.add(name)  # a composite's own changes are made for it, from its parts'
                if piece(name) is None:
                    roots.add(name)
            names = frozenset(found)
        stream: ChangeStream[T] = ChangeStream(self, names, max_queue or self._max_changes, frozenset(roots))
        if self._client.state is State.CLOSED:  # made after the client stopped: it ends at once, the same way
            stream._end(self._client.closed_reason)
            return stream
        self._streams.append(stream)
        self._core.track_changes = True
        return stream

    def _forget_stream(self, stream: ChangeStream[Any]) -> None:
        if stream in self._streams:
            self._streams.remove(stream)
        self._core.track_changes = bool(self._streams)

    # --- closing ----------------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this cache is closed; make a new one with client.cache()")

    async def close(self, *, unsubscribe: bool = True) -> None:
        """Stop following the client; with ``unsubscribe`` (when connected) also end the subscriptions it made.
        What is stored stays readable."""
        if self._closed:
            return
        self._remove_tap()
        if unsubscribe and self._client.state.value == "ready":
            async with self._lock:
                self._unsubscribe_later.update((c, s) for c, subs in self._wanted.items() for s in subs)
                self._unsubscribe_later.update(self._expiring)
                await self._unsubscribe_pending()
        self._closed = True
        for task in [*self._jobs, *([self._expiry_task] if self._expiry_task else [])]:
            task.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        for stream in list(self._streams):
            stream.close()

    async def __aenter__(self) -> AsyncCache:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


__all__ = ["AsyncCache", "ChangeStream", "SyncResult", "subscriptions_for"]
