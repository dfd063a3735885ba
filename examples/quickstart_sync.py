"""Quickstart without asyncio: the same steps as quickstart.py with the blocking ``Client``.

    FLEETFREEDOM_URL=ws://127.0.0.1:8765/ FLEETFREEDOM_USERNAME=demo@acme.example \\
        FLEETFREEDOM_PASSWORD=demo-pass-42 python examples/quickstart_sync.py
"""

from __future__ import annotations

import os

from fleetfreedom import Client
from fleetfreedom.errors import AssetNotFound
from fleetfreedom.events import AssetDeleted, AssetGeneralMerged

URL = os.environ.get("FLEETFREEDOM_URL")  # None: the production server
USERNAME = os.environ.get("FLEETFREEDOM_USERNAME", "demo@acme.example")
PASSWORD = os.environ.get("FLEETFREEDOM_PASSWORD", "")
COMPANY = int(os.environ.get("FLEETFREEDOM_COMPANY", "42"))


def step(text: str) -> None:
    print(f"-> {text}", flush=True)


def main() -> None:
    with Client(url=URL, user_agent="quickstart-sync/1.0") as client:
        step(f"connected ({client.state.name})")

        session = client.login(USERNAME, PASSWORD)
        step(f"logged in as {session.user.login} (company {session.user.company}, session {session.ghost_id[:8]}...)")

        company = client.companies.get(COMPANY).company
        step(f"company {company.id}: {company.name}")

        subscribed = client.subscribe(COMPANY, ["assetGeneral"])
        step(f"subscribed to {subscribed.merged} (denied: {subscribed.denied})")

        asset_id = client.assets.merge({"company": COMPANY, "kind": "vehicle", "name": "Truck 13"}).asset.id
        step(f"created asset {asset_id}")

        for event in client.events(idle_timeout=10):
            if isinstance(event, AssetGeneralMerged) and event.data.id == asset_id:
                step(f"event {type(event).__name__}: {event.data.name!r}, version {event.data.v}")
                break

        client.assets.remove(asset_id)
        for event in client.events(idle_timeout=10):
            if isinstance(event, AssetDeleted) and event.data.id == asset_id:
                step(f"event {type(event).__name__}: asset {event.data.id} deleted")
                break

        try:
            client.assets.get(999_999)
        except AssetNotFound as error:
            step(f"getAsset 999999 failed as expected: {type(error).__name__} (errorCode {error.code})")


if __name__ == "__main__":
    main()
