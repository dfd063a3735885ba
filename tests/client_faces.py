"""Write a client behaviour test once, run it against every face of the client.

A scenario is a coroutine that takes a ``Face``. ``await face.companies.get(42)`` runs the call on:
- ``async``: ``AsyncClient``, awaited;
- ``sync``: ``Client``, called from a worker thread (``asyncio.to_thread``): a plain threaded program;
- ``sync-in-loop``: ``Client``, called directly from the coroutine, i.e. from a thread whose event loop is running
  (what a Jupyter cell does). The emulator fixture serves from its own thread, so blocking this loop is fine.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fleetfreedom import AsyncClient, Client
from fleetfreedom._resource_base import AsyncResource, SyncResource

FACES = ("async", "sync", "sync-in-loop")
SCENARIO_TIMEOUT = 60.0


class Face:
    """A client of any face behind one awaitable interface."""

    def __init__(self, mode: str, target: Any) -> None:
        self._mode = mode
        self._target = target

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def client(self) -> Any:
        return self._target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, (AsyncResource, SyncResource)):
            return Face(self._mode, value)
        if callable(value) and not inspect.isclass(value):
            return lambda *args, **kwargs: self._invoke(value, args, kwargs)
        return value

    async def _invoke(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._mode == "async":
            return await fn(*args, **kwargs)
        if self._mode == "sync":
            return await asyncio.to_thread(fn, *args, **kwargs)
        assert asyncio.get_running_loop() is not None  # really called with a loop running in this thread
        return fn(*args, **kwargs)


async def open_face(mode: str, url: str, **options: Any) -> Face:
    if mode == "async":
        client: Any = AsyncClient(url, **options)
        await client.connect()
    else:
        client = await asyncio.to_thread(Client, url, **options)
        await asyncio.to_thread(client.connect)
    return Face(mode, client)


async def close_face(face: Face) -> None:
    if face.mode == "async":
        await face.client.close()
    else:
        await asyncio.to_thread(face.client.close)


def run(coro: Coroutine[Any, Any, None], timeout: float = SCENARIO_TIMEOUT) -> None:
    """Run one scenario on a fresh event loop, bounded."""
    asyncio.run(asyncio.wait_for(coro, timeout))
