"""Change streams against the emulator: they end when the client stops for good (a killed session raises its
typed error), and the blocking ``Cache`` can be used from an event callback and after the client closed."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any

import pytest

from fleetfreedom import AsyncClient, Backoff, Client, Disconnected
from fleetfreedom.errors import SessionEndedError
from fleetfreedom.models.assets import AssetGeneral
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator

COMPANY = 42
WAIT = 10.0


def options() -> dict[str, Any]:
    return {
        "timeout": WAIT,
        "connect_timeout": 5.0,
        "keepalive": None,
        "backoff": Backoff(base=0.05, cap=0.4, floor=0.02, rng=random.Random(6)),
    }


def test_async_change_stream_raises_when_the_session_is_killed(fleetfreedom_emulator: Emulator) -> None:
    async def scenario() -> None:
        client = AsyncClient(fleetfreedom_emulator.url, **options())
        await client.connect()
        await client.login(DEMO_LOGIN, DEMO_PASSWORD)
        try:
            store = client.cache()
            await store.sync(COMPANY, [AssetGeneral])
            stream = store.changes(AssetGeneral)
            fleetfreedom_emulator.end_session(client.session.ghost_id or "", "sessionKilled")
            with pytest.raises(SessionEndedError):
                await asyncio.wait_for(stream.next(), WAIT)  # ends, instead of waiting forever
            assert stream.closed
            late = store.changes(AssetGeneral)  # made after the end: ends at once, the same way
            with pytest.raises(SessionEndedError):
                await asyncio.wait_for(late.next(), WAIT)
            assert store.keys(AssetGeneral, COMPANY)  # what is stored stays readable
        finally:
            await client.close()

    asyncio.run(scenario())


def test_async_change_stream_ends_quietly_after_close(fleetfreedom_emulator: Emulator) -> None:
    async def scenario() -> None:
        client = AsyncClient(fleetfreedom_emulator.url, **options())
        await client.connect()
        await client.login(DEMO_LOGIN, DEMO_PASSWORD)
        store = client.cache()
        await store.sync(COMPANY, [AssetGeneral])
        stream = store.changes(AssetGeneral)
        waiter = asyncio.create_task(stream.next())
        await asyncio.sleep(0)
        await client.close()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiter, WAIT)

    asyncio.run(scenario())


def test_sync_stream_closed_from_a_disconnected_callback(fleetfreedom_emulator: Emulator) -> None:
    client = Client(fleetfreedom_emulator.url, **options())
    client.connect()
    client.login(DEMO_LOGIN, DEMO_PASSWORD)
    try:
        store = client.cache()
        store.sync(COMPANY, [AssetGeneral])
        stream = store.changes(AssetGeneral)
        failures: list[BaseException] = []
        called = threading.Event()

        def on_disconnected(event: Disconnected) -> None:
            try:
                stream.close()  # on the client's own thread: must work, not raise "called from its own thread"
                store.count(AssetGeneral)
            except BaseException as exc:
                failures.append(exc)
            finally:
                called.set()

        client.on(Disconnected, on_disconnected)
        fleetfreedom_emulator.end_session(client.session.ghost_id or "", "sessionKilled")
        with pytest.raises(SessionEndedError):
            for _ in stream:  # ends with the client's typed error instead of blocking
                pass
        assert called.wait(WAIT)
        assert failures == []
        client.close()
        assert store.keys(AssetGeneral, COMPANY)  # readable after the client closed
        assert list(stream) == []
    finally:
        client.close()
