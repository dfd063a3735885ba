"""The list-versus-push race through the public API, against a small hand-written server.

A list reply is authoritative for its company and type, except for what a push changed after the list request went
out (README, "Sync cache"). The server here makes that race happen on purpose, every time: when a list request
arrives it first pushes one ``assetGeneralMerged`` and only then answers with a list built before that change. The
cache must keep what the push brought:

- during ``store.sync()``: a new asset pushed before the list reply is not evicted by the reply that lacks it;
- during a forced reload (a ``broadcast`` with ``reload``): a newer version pushed before the reply is not
  overwritten by the older copy in the reply.

Both are checked with no change stream open (the default: the cache then makes no change objects at all) and with
one open, because whether anybody listens must not change what the cache holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fleetfreedom import AsyncCache, AsyncClient, ObjectCreated, ObjectDeleted
from fleetfreedom.events import Broadcast
from fleetfreedom.models.assets import AssetGeneral
from websockets.asyncio.server import ServerConnection, serve

COMPANY = 42
WAIT = 10.0


def frame(name: str, body: dict[str, Any]) -> str:
    return f"{name} {json.dumps(body, separators=(',', ':'))}"


def asset(key: int, v: int, name: str) -> dict[str, Any]:
    return {"id": key, "company": COMPANY, "kind": "vehicle", "name": name, "v": [v]}


class RacingServer:
    """Answers ``subscribe`` and ``getAssetGeneralsList``; before the n-th list reply it sends ``pushes[n]``, then
    the reply holding ``lists[n]`` (a list built before those pushes)."""

    def __init__(self, lists: list[list[dict[str, Any]]], pushes: list[list[dict[str, Any]]]) -> None:
        self.lists = lists
        self.pushes = pushes
        self.list_requests = 0
        self.peer: ServerConnection | None = None

    async def handle(self, ws: ServerConnection) -> None:
        self.peer = ws
        await ws.send(frame("connectionResponse", {"errorCode": 8, "message": "not logged in", "ghostId": "race-1"}))
        async for message in ws:
            assert isinstance(message, str)
            name, _, text = message.partition(" ")
            body = json.loads(text)
            req_id = body["reqId"]
            if name == "subscribe":
                types = body["subscriptionTypes"]
                reply = {"company": body["company"], "merged": types, "denied": [], "invalid": []}
                await ws.send(frame("subscribeResponse", {"reqId": req_id, "errorCode": 0, **reply}))
            elif name == "getAssetGeneralsList":
                n = self.list_requests
                self.list_requests += 1
                for pushed in self.pushes[n]:  # the change happens after the list was built...
                    await ws.send(frame("assetGeneralMerged", pushed))
                listed = {"company": body["company"], "assetGenerals": self.lists[n]}  # ...and the reply lacks it
                await ws.send(frame("getAssetGeneralsListResponse", {"reqId": req_id, "errorCode": 0, **listed}))
            else:
                await ws.send(frame(f"{name}Response", {"reqId": req_id, "errorCode": 0}))

    async def broadcast_reload(self) -> None:
        assert self.peer is not None
        await self.peer.send(frame("broadcast", {"kind": "upgrade", "message": "reload", "reload": True}))


@asynccontextmanager
async def connected(server: RacingServer) -> AsyncIterator[AsyncClient]:
    async with serve(server.handle, "127.0.0.1", 0) as listener:
        port = listener.sockets[0].getsockname()[1]
        async with AsyncClient(f"ws://127.0.0.1:{port}", timeout=WAIT, connect_timeout=WAIT, keepalive=None) as client:
            yield client


def names(store: AsyncCache) -> dict[int | str, str | None]:  # keys as the cache gives them (an id here)
    return {key: item.name for key in sorted(store.keys(AssetGeneral)) if (item := store.get(AssetGeneral, key))}


def run(scenario: Any) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(30):
            await scenario

    asyncio.run(bounded())


@pytest.mark.parametrize("listening", [False, True], ids=["no-change-stream", "change-stream-open"])
def test_an_object_pushed_during_sync_survives_the_older_list_reply(listening: bool) -> None:
    server = RacingServer(
        lists=[[asset(1, 1, "listed")]],
        pushes=[[asset(2, 1, "created while the list was on its way")]],
    )

    async def scenario() -> None:
        async with connected(server) as client:
            store = client.cache()
            changes = store.changes(AssetGeneral) if listening else None
            result = await store.sync(COMPANY, [AssetGeneral])
            assert result.synced == ("assetGeneral",) and server.list_requests == 1
            assert names(store) == {1: "listed", 2: "created while the list was on its way"}
            assert store.stats.evicted == 0 and store.stats.applied == 1
            if changes is not None:
                seen = [await changes.next(WAIT) for _ in range(2)]
                assert [(type(c), c.key) for c in seen] == [(ObjectCreated, 2), (ObjectCreated, 1)]
                assert changes.pending() == 0  # no ObjectDeleted for 2

    run(scenario())


@pytest.mark.parametrize("listening", [False, True], ids=["no-change-stream", "change-stream-open"])
def test_a_forced_reload_does_not_overwrite_a_newer_push(listening: bool) -> None:
    server = RacingServer(
        lists=[[asset(1, 1, "listed")], [asset(1, 1, "listed")]],
        pushes=[[], [asset(1, 3, "renamed after the reload list was built")]],
    )

    async def scenario() -> None:
        async with connected(server) as client:
            store = client.cache()
            await store.sync(COMPANY, [AssetGeneral])
            changes = store.changes(AssetGeneral) if listening else None
            await server.broadcast_reload()
            async with asyncio.timeout(WAIT):
                while not isinstance(await client.next_event(), Broadcast):
                    pass
            await store.wait_synced(WAIT)  # the reload the broadcast started has finished
            assert server.list_requests == 2
            assert names(store) == {1: "renamed after the reload list was built"}
            assert store.get(AssetGeneral, 1) == AssetGeneral.model_validate(
                asset(1, 3, "renamed after the reload list was built")
            )
            if changes is not None:
                update = await changes.next(WAIT)
                assert update.key == 1 and not isinstance(update, ObjectDeleted)
                assert update.new is not None and update.new.name == "renamed after the reload list was built"
                assert changes.pending() == 0  # the older list copy did not replace it afterwards

    run(scenario())
