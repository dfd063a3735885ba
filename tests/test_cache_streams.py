"""Change streams against the emulator: they end when the client stops for good (a killed session raises its
typed error), and the blocking ``Cache`` can be used from an event callback and after the client closed."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any

import pytest
from fleetfreedom import AsyncClient, Backoff, Client, Disconnected, ObjectCreated, ObjectUpdated
from fleetfreedom.errors import SessionKilled
from fleetfreedom.models.assets import Asset, AssetGeneral
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
            with pytest.raises(SessionKilled):
                await asyncio.wait_for(stream.next(), WAIT)  # ends, instead of waiting forever
            assert stream.closed
            late = store.changes(AssetGeneral)  # made after the end: ends at once, the same way
            with pytest.raises(SessionKilled):
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
        with pytest.raises(SessionKilled):
            for _ in stream:  # ends with the client's typed error instead of blocking
                pass
        assert called.wait(WAIT)
        assert failures == []
        client.close()
        assert store.keys(AssetGeneral, COMPANY)  # readable after the client closed
        assert list(stream) == []
    finally:
        client.close()


async def create(editor: AsyncClient, name: str) -> int:
    asset = (await editor.assets.merge({"company": COMPANY, "kind": "vehicle", "name": name})).asset
    assert asset is not None and isinstance(asset.id, int)
    return asset.id


def test_composite_changes_fold_until_read(fleetfreedom_emulator: Emulator) -> None:
    async def scenario() -> None:
        watcher = AsyncClient(fleetfreedom_emulator.url, **options())
        editor = AsyncClient(fleetfreedom_emulator.url, **options())
        for c in (watcher, editor):
            await c.connect()
            await c.login(DEMO_LOGIN, DEMO_PASSWORD)
        try:
            store = watcher.cache()
            await store.sync(COMPANY, [Asset])
            stream = store.changes(Asset)

            # created and deleted again before the reader looked: nothing to report
            gone = await create(editor, "Brief")
            await editor.assets.remove(gone)
            await watcher.request("getSubscriptionsList")  # every push before this reply is applied by now
            with pytest.raises(TimeoutError):
                await stream.next(0.3)

            # created, then renamed, before it was read: one ObjectCreated holding the latest state
            made = await create(editor, "First")
            await watcher.request("getSubscriptionsList")
            before = store.get(Asset, made)
            assert before is not None
            await editor.assets.merge({"id": made, "name": "Second", "v": before.v})
            await watcher.request("getSubscriptionsList")
            change = await stream.next(WAIT)
            assert isinstance(change, ObjectCreated) and change.type is Asset
            assert change.new is not None and change.new.name == "Second"
            assert change.parts == {"AssetGeneral", "AssetAdvanced", "AssetDispatch"}

            # read between the changes: each its own update, the old state with its versions
            await editor.assets.merge({"id": made, "name": "Third", "v": change.new.v})
            await watcher.request("getSubscriptionsList")
            update = await stream.next(WAIT)
            assert isinstance(update, ObjectUpdated) and update.parts == {"AssetGeneral"}
            assert update.old == change.new and update.new is not None and update.new.name == "Third"
            assert update.new.v is not None and change.new.v is not None
            assert update.new.v[0] == change.new.v[0] + 1
        finally:
            await watcher.close()
            await editor.close()

    asyncio.run(scenario())
