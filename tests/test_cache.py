"""The sync cache against the emulator over real sockets: two clients, drops and reconnects, reloads."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from client_faces import run
from fleetfreedom import (
    AsyncCache,
    AsyncClient,
    Backoff,
    Client,
    ObjectCreated,
    ObjectDeleted,
    ObjectUpdated,
    Reconnected,
)
from fleetfreedom._codec import decode
from fleetfreedom._events import Event, ServerMessage
from fleetfreedom.models.assets import Asset, AssetAdvanced, AssetDispatch, AssetGeneral
from fleetfreedom.models.places import Place
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator
from pydantic import BaseModel

COMPANY = 42
WAIT = 10.0
PARTS: tuple[type[Any], ...] = (AssetGeneral, AssetAdvanced, AssetDispatch)


def options() -> dict[str, Any]:
    return {
        "timeout": WAIT,
        "connect_timeout": 5.0,
        "keepalive": None,
        "backoff": Backoff(base=0.05, cap=0.4, floor=0.02, rng=random.Random(6)),
    }


async def client(emulator: Emulator) -> AsyncClient:
    c = AsyncClient(emulator.url, **options())
    await c.connect()
    await c.login(DEMO_LOGIN, DEMO_PASSWORD)
    return c


async def settle(c: AsyncClient) -> None:
    """One round trip: every frame the server queued for ``c`` before it is read (and cached) by now."""
    await c.request("getSubscriptionsList")


def assert_matches_server(store: AsyncCache, emulator: Emulator, types: tuple[type[Any], ...] = PARTS) -> None:
    """The store holds exactly the company's live objects, each equal to the server's copy (no ghost, none missing)."""
    for cls in types:
        root = cls.__name__ if cls is Place else "Asset"
        live = sorted(
            record.key
            for record in emulator.store.records(root)
            if record.data.get("company") == COMPANY and not record.deleted
        )
        assert sorted(store.keys(cls, COMPANY)) == live, cls.__name__
        for key in live:
            server = emulator.get_object(cls.__name__, key)
            assert server is not None
            assert store.get(cls, key) == cls.model_validate(server), f"{cls.__name__} {key} differs"


def pushed(text: str) -> Event:
    """A pushed frame decoded as the reader would hand it to the client."""
    event = decode(text)[1]
    assert isinstance(event, ServerMessage), event
    return event


async def listed(c: AsyncClient, cls: type[BaseModel]) -> dict[int, Any]:
    """A fresh list from the server (by another client): the truth to compare with."""
    readers: dict[type[BaseModel], Callable[[int], Awaitable[BaseModel]]] = {
        AssetGeneral: c.assets.list_general,
        AssetAdvanced: c.assets.list_advanced,
        AssetDispatch: c.assets.list_dispatch,
        Place: c.places.list,
    }
    response = await readers[cls](COMPANY)
    items = next(v for k, v in response if isinstance(v, list))
    return {item.id: item for item in items}


async def assert_equal_to_list(store: AsyncCache, other: AsyncClient, types: tuple[type[Any], ...] = PARTS) -> None:
    for cls in types:
        truth = await listed(other, cls)
        assert sorted(store.keys(cls, COMPANY)) == sorted(truth), cls.__name__
        for key, item in truth.items():
            assert store.get(cls, key) == item, f"{cls.__name__} {key}"


async def drain(stream: Any, expected: int) -> list[Any]:
    out = [await stream.next(WAIT) for _ in range(expected)]
    assert stream.pending() == 0, f"more changes than expected: {stream.pending()} left"
    return out


def test_two_clients_store_matches_server_after_every_step(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        watcher, editor = await client(emulator), await client(emulator)
        try:
            store = watcher.cache()
            changes = store.changes(Asset)
            result = await store.sync(COMPANY, [Asset])
            assert result.synced == ("assetAdvanced", "assetDispatch", "assetGeneral")
            # a stream of composites: one change per asset (its three part lists folded into it), typed Asset
            initial = await drain(changes, len(await listed(editor, AssetGeneral)))
            assert all(isinstance(c, ObjectCreated) and c.type is Asset for c in initial)
            assert all(c.parts == {cls.__name__ for cls in PARTS} for c in initial)
            await assert_equal_to_list(store, editor)

            # create: one Merged frame per part, one change for the asset
            reply = await editor.assets.merge({"company": COMPANY, "kind": "vehicle", "name": "Truck 9"})
            new_id = reply.asset.id
            await settle(watcher)
            [created] = await drain(changes, 1)
            assert (type(created), created.type, created.key) == (ObjectCreated, Asset, new_id)
            assert created.parts == {cls.__name__ for cls in PARTS}
            assert created.old is None and created.new == store.get(Asset, new_id)
            await assert_equal_to_list(store, editor)
            assert_matches_server(store, emulator)

            # update the general part only: one change naming the changed fields
            current = store.get(AssetGeneral, new_id)
            assert current is not None and current.v is not None
            await editor.assets.merge({"id": new_id, "name": "Truck 9b", "labels": ["cold"], "v": [current.v[0], 1, 1]})
            await settle(watcher)
            [updated] = await drain(changes, 1)
            assert isinstance(updated, ObjectUpdated) and updated.type is Asset
            assert updated.fields == {"name", "labels"} and updated.parts == {"AssetGeneral"}
            assert updated.old is not None and updated.old.name == "Truck 9"
            assert updated.new is not None and updated.new.name == "Truck 9b"
            await assert_equal_to_list(store, editor)
            whole = store.get(Asset, new_id)
            assert whole is not None and whole.name == "Truck 9b"
            server_whole = emulator.get_object("Asset", new_id)
            assert server_whole is not None and whole.v == server_whole["v"]

            # delete: every part leaves the store
            await editor.assets.remove(new_id)
            await settle(watcher)
            [removed] = await drain(changes, 1)
            assert (type(removed), removed.type, removed.key) == (ObjectDeleted, Asset, new_id)
            assert removed.parts == {cls.__name__ for cls in PARTS} and removed.new is None
            assert store.get(Asset, new_id) is None
            await assert_equal_to_list(store, editor)
            assert_matches_server(store, emulator)
        finally:
            await watcher.close()
            await editor.close()

    run(scenario())


def test_stale_and_late_frames_on_a_live_store_change_nothing(fleetfreedom_emulator: Emulator) -> None:
    """Frames injected into the running store (as the reader hands them over) obey versions and tombstones."""
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        watcher, editor = await client(emulator), await client(emulator)
        try:
            store = watcher.cache()
            await store.sync(COMPANY, [AssetGeneral])
            before = store.get(AssetGeneral, 101)
            assert before is not None and before.v is not None
            await editor.assets.merge({"id": 101, "name": "renamed", "v": [before.v[0], 1, 1]})
            await settle(watcher)
            newer = store.get(AssetGeneral, 101)
            assert newer is not None and newer.v is not None
            assert newer.name == "renamed" and newer.v[0] == before.v[0] + 1
            stale = before.model_dump_json(by_alias=True, exclude_unset=True)
            watcher._hub.emit(pushed(f"assetGeneralMerged {stale}"))  # the older frame, replayed
            assert store.get(AssetGeneral, 101) == newer

            await editor.assets.remove(101)
            await settle(watcher)
            assert store.get(AssetGeneral, 101) is None
            late = newer.model_dump_json(by_alias=True, exclude_unset=True)
            watcher._hub.emit(pushed(f"assetGeneralMerged {late}"))  # a Merged frame after the Deleted one
            assert store.get(AssetGeneral, 101) is None
            assert store.stats.blocked_by_tombstone == 1 and store.stats.stale >= 1
            await assert_equal_to_list(store, editor, (AssetGeneral,))

            # a restore is newer than the deletion: the push alone is not trusted, a re-list confirms it
            await editor.assets.restore(101)
            await settle(watcher)
            await store.wait_synced(WAIT)
            assert store.get(AssetGeneral, 101) is not None
            await assert_equal_to_list(store, editor, (AssetGeneral,))
        finally:
            await watcher.close()
            await editor.close()

    run(scenario())


def test_reconnect_converges_after_changes_made_while_down(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        watcher = await client(emulator)
        try:
            store = watcher.cache()
            await store.sync(COMPANY, [Asset, Place])
            # behind the store's back: the server forgets one subscription (the store must notice and renew it)
            await watcher.unsubscribe(COMPANY, ["assetAdvanced"])
            emulator.faults.refuse_connections(True)
            emulator.drop_connections()
            created = emulator.merge_object("Asset", {"company": COMPANY, "kind": "trailer", "name": "While down"})
            emulator.merge_object("AssetGeneral", {"id": 102, "name": "Renamed while down"})
            emulator.merge_object("AssetAdvanced", {"id": 101, "odometer": 4242.0})
            emulator.change_state("Asset", 103, "remove")
            emulator.change_state("Place", 301, "remove")
            emulator.faults.refuse_connections(False)
            await next_reconnected(watcher)
            await store.wait_synced(WAIT)
            assert store.resyncs == 1 and not store.stale

            ghost = watcher.session.ghost_id
            assert ghost is not None
            info = emulator.session_info(ghost)
            assert info is not None and "assetAdvanced" in info["subscriptions"][str(COMPANY)]
            observer = await client(emulator)
            try:
                await assert_equal_to_list(store, observer, (*PARTS, Place))
                assert_matches_server(store, emulator, (*PARTS, Place))
                assert store.get(AssetGeneral, created["id"]) is not None
                assert store.get(AssetGeneral, 103) is None and store.get(Place, 301) is None
                advanced = store.get(AssetAdvanced, 101)
                assert advanced is not None and advanced.v is not None and advanced.odometer == 4242.0
                # the renewed subscription delivers again
                await observer.assets.merge({"id": 101, "odometer": 5000.0, "v": [1, advanced.v[0], 1]})
                await settle(watcher)
                again = store.get(AssetAdvanced, 101)
                assert again is not None and again.odometer == 5000.0
            finally:
                await observer.close()
        finally:
            await watcher.close()

    run(scenario())


async def next_reconnected(c: AsyncClient) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        event = await c.next_event(max(0.01, deadline - time.monotonic()))
        if isinstance(event, Reconnected):
            return


def test_reload_broadcast_purges_and_reloads(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        watcher = await client(emulator)
        try:
            store = watcher.cache()
            await store.sync(COMPANY, [AssetGeneral])
            # a cached copy the version rule alone would keep forever (newer than the server's, and wrong)
            bogus = {"id": 101, "company": COMPANY, "kind": "vehicle", "name": "Corrupt", "v": [100]}
            watcher._hub.emit(pushed("assetGeneralMerged " + json.dumps(bogus)))
            assert store.get(AssetGeneral, 101) == AssetGeneral.model_validate(bogus)
            from datetime import UTC, datetime

            emulator.broadcast_upgrade(datetime.now(UTC), reload=True)
            await settle(watcher)
            await store.wait_synced(WAIT)
            cached = store.get(AssetGeneral, 101)
            assert cached is not None and cached.name == "Truck 1"
            assert_matches_server(store, emulator, (AssetGeneral,))
        finally:
            await watcher.close()

    run(scenario())


def test_desync_is_lazy_and_resync_within_grace_is_free(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator

    async def scenario() -> None:
        watcher = await client(emulator)
        try:
            store = watcher.cache(grace=3600)
            await store.sync(COMPANY, [AssetGeneral])
            lists = store.stats.lists
            await store.desync(COMPANY)
            assert store.synced == {}
            assert COMPANY in watcher.accepted_subscriptions  # still subscribed during the grace period
            await store.sync(COMPANY, [AssetGeneral])
            assert store.stats.lists == lists  # taken back: no subscribe, no list

            quick = watcher.cache(grace=0)
            await quick.sync(COMPANY, [Place])
            assert quick.count(Place, COMPANY) == 1
            await quick.desync(COMPANY, [Place])
            assert quick.count(Place) == 0
            assert "placeGeneral" not in watcher.accepted_subscriptions.get(COMPANY, frozenset())
            await quick.close()
            await store.close()
            assert COMPANY not in watcher.accepted_subscriptions
        finally:
            await watcher.close()

    run(scenario())


def test_sync_client_cache(fleetfreedom_emulator: Emulator) -> None:
    emulator = fleetfreedom_emulator
    with Client(emulator.url, **options()) as c, Client(emulator.url, **options()) as editor:
        c.login(DEMO_LOGIN, DEMO_PASSWORD)
        editor.login(DEMO_LOGIN, DEMO_PASSWORD)
        store = c.cache()
        with store.changes(AssetGeneral, idle_timeout=WAIT) as changes:
            store.sync(COMPANY, ["assetGeneral"])
            assert sorted(store.keys(AssetGeneral)) == [101, 102, 103]
            truck = store.get(AssetGeneral, 101)
            assert truck is not None and truck.v is not None and truck.name == "Truck 1"
            assert [c.key for c in (changes.next(WAIT) for _ in range(3))] == [101, 102, 103]
            editor.assets.merge({"id": 101, "name": "Truck one", "v": [truck.v[0], 1, 1]})
            change = changes.next(WAIT)
            assert isinstance(change, ObjectUpdated) and change.fields == {"name"}
            assert store.all(AssetGeneral, COMPANY)[0].name == "Truck one"
            assert (AssetGeneral, 101) in store
        store.close()
