"""``Cache``: the sync cache without ``async``, for a ``Client`` (``client.cache()``).

Every call runs on the client's event-loop thread, where the ``AsyncCache`` it wraps lives, so reads never race
with the frames that update the store; the behaviour is the async cache's, written once.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel

from ._cache import AsyncCache, ChangeStream, SyncResult
from ._cache_core import CacheStats
from ._cache_pieces import ObjectKey
from ._changes import Change

if TYPE_CHECKING:
    from ._async import AsyncClient
    from ._cache import Syncable
    from ._sync import Client
    from .models import IdKey

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


class SyncChangeStream(Generic[T]):
    """A ``ChangeStream`` read from a plain thread: ``for change in stream`` or ``stream.next(timeout)``."""

    def __init__(self, cache: Cache, stream: ChangeStream[T], idle_timeout: float | None) -> None:
        self._cache = cache
        self._stream = stream
        self._idle_timeout = idle_timeout

    @property
    def dropped(self) -> int:
        return self._stream.dropped

    def next(self, timeout: float | None = None) -> Change[T]:
        """The next change; ``TimeoutError`` after ``timeout`` seconds, ``StopIteration`` once closed (or the
        client's error when it stopped for one, see ``ChangeStream``)."""
        try:
            if self._cache._inline():  # the loop is gone (client closed) or this is its thread: nothing to wait for
                change = self._stream._take()
                if change is None:
                    raise TimeoutError("no change queued, and none can be waited for on the client's own thread")
                return change
            return self._cache._call(lambda: self._stream.next(timeout))
        except StopAsyncIteration:
            raise StopIteration from None

    def __iter__(self) -> Iterator[Change[T]]:
        """Every change until the stream is closed, or ``idle_timeout`` seconds pass without one."""
        while True:
            try:
                yield self.next(self._idle_timeout)
            except (StopIteration, TimeoutError):
                return

    def close(self) -> None:
        self._cache._plain(self._stream.close)

    def __enter__(self) -> SyncChangeStream[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Cache:
    """A local mirror of the objects of the companies and types you ``sync``; made by ``client.cache()``.

    The blocking twin of ``AsyncCache`` (same options, same rules)::

        store = client.cache()
        store.sync(42, [AssetGeneral])
        truck = store.get(AssetGeneral, 101)
        for change in store.changes(AssetGeneral, idle_timeout=60):
            print(change)
    """

    def __init__(self, client: Client, inner: AsyncCache) -> None:
        self._client = client
        self._inner = inner

    def _call(self, make: Callable[[], Awaitable[R]]) -> R:
        async def run(_: AsyncClient) -> R:
            return await make()

        return self._client._run(run)

    def _inline(self) -> bool:
        """True when a plain call must run right here: on the client's event-loop thread (an event callback),
        or after the client stopped its loop. Either way nothing else touches the store meanwhile."""
        portal = self._client._portal
        return portal is None or threading.get_ident() == portal.thread.ident

    def _plain(self, fn: Callable[[], R]) -> R:
        if self._inline():
            return fn()

        async def run(_: AsyncClient) -> R:
            return fn()

        return self._client._run(run)

    @property
    def stats(self) -> CacheStats:
        return self._inner.stats

    @property
    def synced(self) -> dict[int, frozenset[str]]:
        return self._plain(lambda: self._inner.synced)

    @property
    def stale(self) -> frozenset[tuple[int, str]]:
        return self._plain(lambda: self._inner.stale)

    @property
    def resyncs(self) -> int:
        return self._inner.resyncs

    @property
    def grace(self) -> float:
        """Seconds a ``desync``-ed region stays subscribed before it is dropped (see ``AsyncCache``)."""
        return self._inner.grace

    @grace.setter
    def grace(self, value: float) -> None:
        self._inner.grace = value

    def __repr__(self) -> str:
        return self._plain(lambda: repr(self._inner)).replace("<AsyncCache", "<Cache", 1)

    def sync(self, company: IdKey | int, types: Sequence[Syncable], *, timeout: float | None = None) -> SyncResult:
        """Subscribe, then list each type (see ``AsyncCache.sync``)."""
        return self._call(lambda: self._inner.sync(company, types, timeout=timeout))

    def desync(self, company: IdKey | int, types: Sequence[Syncable] | None = None) -> None:
        """Stop syncing after the grace period (see ``AsyncCache.desync``)."""
        self._call(lambda: self._inner.desync(company, types))

    def wait_synced(self, timeout: float | None = None) -> None:
        self._call(lambda: self._inner.wait_synced(timeout))

    def get(self, cls: type[T], key: ObjectKey) -> T | None:
        return self._plain(lambda: self._inner.get(cls, key))

    def all(self, cls: type[T], company: IdKey | int | None = None) -> list[T]:
        return self._plain(lambda: self._inner.all(cls, company))

    def keys(self, cls: type[BaseModel] | str, company: IdKey | int | None = None) -> list[ObjectKey]:
        return self._plain(lambda: self._inner.keys(cls, company))

    def count(self, cls: type[BaseModel] | str, company: IdKey | int | None = None) -> int:
        return self._plain(lambda: self._inner.count(cls, company))

    def __contains__(self, item: tuple[type[BaseModel] | str, ObjectKey]) -> bool:
        return self._plain(lambda: item in self._inner)

    def changes(
        self, *types: type[T] | str, max_queue: int | None = None, idle_timeout: float | None = None
    ) -> SyncChangeStream[T]:
        """Changes to ``types`` from now on (see ``AsyncCache.changes``); iteration also ends after
        ``idle_timeout`` seconds without a change."""
        stream: ChangeStream[T] = self._plain(lambda: self._inner.changes(*types, max_queue=max_queue))
        return SyncChangeStream(self, stream, idle_timeout)

    def close(self, *, unsubscribe: bool = True) -> None:
        self._call(lambda: self._inner.close(unsubscribe=unsubscribe))

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["Cache", "SyncChangeStream"]
