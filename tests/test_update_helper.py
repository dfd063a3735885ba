"""``client.<resource>.update(key, field=value, ...)``: read the versions, merge only the given fields, retry a
bounded number of times on a version conflict. Against the emulator, with a second client changing the object in
between."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fleetfreedom import AsyncClient, Backoff, Client
from fleetfreedom.commands.assets import GetAssetResponse
from fleetfreedom.errors import WrongVersionKey
from fleetfreedom.resources.assets import AsyncAssetsResource
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator

COMPANY = 42
WAIT = 10.0


def options() -> dict[str, Any]:
    return {"timeout": WAIT, "connect_timeout": 5.0, "keepalive": None, "backoff": Backoff(rng=random.Random(3))}


async def logged_in(emulator: Emulator) -> AsyncClient:
    client = AsyncClient(emulator.url, **options())
    await client.connect()
    await client.login(DEMO_LOGIN, DEMO_PASSWORD)
    return client


def new_asset(emulator: Emulator, name: str) -> int:
    key = emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": name, "labels": ["keep"]})[
        "id"
    ]
    assert isinstance(key, int)
    return key


def racing_get(monkeypatch: pytest.MonkeyPatch, editor: AsyncClient, key: int, races: int) -> Callable[[], int]:
    """``assets.get`` that lets ``editor`` rename the asset after each of the first ``races`` reads: the versions
    the update read are stale by the time its merge arrives."""
    original = AsyncAssetsResource.get
    reads = 0

    async def get(self: AsyncAssetsResource, asset: Any, **kwargs: Any) -> GetAssetResponse:
        nonlocal reads
        reply = await original(self, asset, **kwargs)
        reads += 1
        if self._client is not editor and reads <= races:
            current = (await original(editor.assets, key)).asset
            assert current is not None
            await editor.assets.merge({"id": key, "name": f"editor {reads}", "v": current.v})
        return reply

    monkeypatch.setattr(AsyncAssetsResource, "get", get)
    return lambda: reads


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))


def test_update_merges_only_the_given_fields(fleetfreedom_emulator: Emulator) -> None:
    key = new_asset(fleetfreedom_emulator, "Truck 1")

    async def scenario() -> None:
        client = await logged_in(fleetfreedom_emulator)
        try:
            await client.assets.update(key, name="Truck 1b", notes="spare")
            asset = (await client.assets.get(key)).asset
            assert asset is not None and asset.name == "Truck 1b" and asset.labels == ["keep"]
            assert asset.notes == "spare"
            await client.assets.update(key, notes=None)  # None is sent: JSON null clears the notes
            asset = (await client.assets.get(key)).asset
            assert asset is not None and asset.notes is None and asset.name == "Truck 1b"
        finally:
            await client.close()

    run(scenario())


def test_update_retries_on_a_version_conflict(fleetfreedom_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_asset(fleetfreedom_emulator, "Truck 2")

    async def scenario() -> None:
        client, editor = await logged_in(fleetfreedom_emulator), await logged_in(fleetfreedom_emulator)
        try:
            reads = racing_get(monkeypatch, editor, key, races=2)
            await client.assets.update(key, name="mine")  # two conflicts, the third round wins
            assert reads() == 3
            asset = (await client.assets.get(key)).asset
            assert asset is not None and asset.name == "mine"
        finally:
            await client.close()
            await editor.close()

    run(scenario())


def test_update_gives_up_after_its_attempts(fleetfreedom_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_asset(fleetfreedom_emulator, "Truck 3")

    async def scenario() -> None:
        client, editor = await logged_in(fleetfreedom_emulator), await logged_in(fleetfreedom_emulator)
        try:
            reads = racing_get(monkeypatch, editor, key, races=10)
            with pytest.raises(WrongVersionKey) as caught:
                await client.assets.update(key, name="mine", attempts=2)
            assert reads() == 2
            assert str(caught.value).count("mergeAsset:") == 1  # the command is named once, not twice
            asset = (await client.assets.get(key)).asset
            assert asset is not None and asset.name == "editor 2"
        finally:
            await client.close()
            await editor.close()

    run(scenario())


def test_sync_client_update(fleetfreedom_emulator: Emulator) -> None:
    key = new_asset(fleetfreedom_emulator, "Truck 4")
    with Client(fleetfreedom_emulator.url, **options()) as client:
        client.login(DEMO_LOGIN, DEMO_PASSWORD)
        client.assets.update(key, name="Truck 4b")
        asset = client.assets.get(key).asset
        assert asset is not None and asset.name == "Truck 4b" and asset.labels == ["keep"]
