"""Quickstart (asyncio): connect, log in, read a company, subscribe, and watch an asset appear and disappear.

    make run                                   # starts the local emulator and runs this against it
    FLEETFREEDOM_URL=ws://127.0.0.1:8765/ FLEETFREEDOM_USERNAME=demo@acme.example \\
        FLEETFREEDOM_PASSWORD=demo-pass-42 python examples/quickstart.py

Without FLEETFREEDOM_URL it connects to the production server (wss://socket.fleetfreedom.com).
"""

from __future__ import annotations

import asyncio
import os

from fleetfreedom import AsyncClient
from fleetfreedom.errors import AssetNotFound
from fleetfreedom.events import AssetDeleted, AssetGeneralMerged

URL = os.environ.get("FLEETFREEDOM_URL")  # None: the production server
USERNAME = os.environ.get("FLEETFREEDOM_USERNAME", "demo@acme.example")
PASSWORD = os.environ.get("FLEETFREEDOM_PASSWORD", "")
COMPANY = int(os.environ.get("FLEETFREEDOM_COMPANY", "42"))


def step(text: str) -> None:
    print(f"-> {text}", flush=True)


async def main() -> None:
    async with AsyncClient(url=URL, user_agent="quickstart/1.0") as client:
        step(f"connected ({client.state.name})")

        session = await client.login(USERNAME, PASSWORD)
        step(f"logged in as {session.user.login} (company {session.user.company}, session {session.ghost_id[:8]}...)")

        company = (await client.companies.get(COMPANY)).company
        step(f"company {company.id}: {company.name}")

        subscribed = await client.subscribe(COMPANY, ["assetGeneral"])
        step(f"subscribed to {subscribed.merged} (denied: {subscribed.denied})")

        created = await client.assets.merge({"company": COMPANY, "kind": "vehicle", "name": "Truck 13"})
        asset_id = created.asset.id
        step(f"created asset {asset_id}")

        async for event in client.events(idle_timeout=10):  # events are typed; stop waiting after 10 idle seconds
            if isinstance(event, AssetGeneralMerged) and event.data.id == asset_id:
                step(f"event {type(event).__name__}: {event.data.name!r}, version {event.data.v}")
                break

        await client.assets.remove(asset_id)
        async for event in client.events(idle_timeout=10):
            if isinstance(event, AssetDeleted) and event.data.id == asset_id:
                step(f"event {type(event).__name__}: asset {event.data.id} deleted")
                break

        try:
            await client.assets.get(999_999)
        except AssetNotFound as error:  # one exception class per error code, grouped (NotFoundError, ...)
            step(f"getAsset 999999 failed as expected: {type(error).__name__} (errorCode {error.code})")


if __name__ == "__main__":
    asyncio.run(main())
