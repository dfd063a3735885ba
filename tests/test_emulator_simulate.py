"""The simulated fleet: vehicles with devices reporting positions, heard by subscribers as from a real fleet."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from emulator_wire import Wire
from fleetfreedom import decode_frame
from fleetfreedom.testing import Emulator
from test_emulator_cli import emulator_process

SEED: dict[str, Any] = {
    "Company": [{"id": 42, "parent": 42, "name": "Fleet Co"}],
    "User": [{"login": "fleet@example", "password": "fleet-pass-1", "company": 42, "enabled": True}],
    "Place": [{"id": 301, "company": 42, "kind": "radial", "name": "Yard", "anchor": {"lat": 45.0, "lng": -75.0}}],
}
SEED["Place"][0]["radius"] = 20  # small, so a vehicle leaves it within a few reports


async def _advanced(
    url: str, seconds: float, login: str, password: str, then: Callable[[], object] | None = None
) -> list[dict[str, Any]]:
    """The assetAdvancedMerged payloads a subscriber of company 42 hears within ``seconds`` (after ``then()``)."""
    wire = await Wire.open(url)
    await wire.expect("connectionResponse")
    await wire.login(login, password)
    reply = await wire.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetAdvanced"]})
    assert reply["merged"] == ["assetAdvanced"]
    if then is not None:
        then()
    heard: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = await asyncio.wait_for(wire.ws.recv(), max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        assert isinstance(frame, str)
        message = decode_frame(frame)  # every frame is a typed sync message of the schema
        assert type(message).__name__ == "AssetAdvancedMerged", frame[:200]
        heard.append(frame_body(frame))
    await wire.close()
    return heard


def frame_body(frame: str) -> dict[str, Any]:
    body = json.loads(frame.partition(" ")[2])
    assert isinstance(body, dict)
    return body


def test_vehicles_report_moving_positions_and_place_entries_and_exits() -> None:
    async def scenario() -> None:
        async with Emulator(seed=SEED) as emu:
            fleets = []
            heard = await _advanced(
                emu.url, 6.0, "fleet@example", "fleet-pass-1", lambda: fleets.append(emu.simulate(5, interval=0.2))
            )
            fleet = fleets[0]
            assert len(fleet.vehicles) == 5
            ids = {v.asset for v in fleet.vehicles}
            for vehicle in fleet.vehicles:
                device = emu.get_object("Provider", vehicle.device)
                assert device is not None and device["asset"] == vehicle.asset
            assert {m["id"] for m in heard} == ids
            first = next(m for m in heard if m["id"] == fleet.vehicles[1].asset)
            last = [m for m in heard if m["id"] == fleet.vehicles[1].asset][-1]
            assert first["position"] != last["position"] and last["odometer"] > first["odometer"]
            assert first["v"][0] < last["v"][0]  # each report is a new version of the advanced part
            kinds = [m["places"]["301"]["kind"] for m in heard if "301" in (m.get("places") or {})]
            assert "enter" in kinds and "exit" in kinds, kinds  # vehicle 0 starts in the yard and drives out
            stored = emu.get_object("Asset", fleet.vehicles[0].asset)
            assert stored is not None and stored["position"]["lat"] != 0

    asyncio.run(asyncio.wait_for(scenario(), 60))


@pytest.mark.fleetfreedom_simulate(3, interval=0.2)
def test_the_pytest_marker_runs_a_fleet_in_the_fixture(fleetfreedom_emulator: Emulator) -> None:
    heard = asyncio.run(_advanced(fleetfreedom_emulator.url, 2.0, "demo@acme.example", "demo-pass-42"))
    assert len({m["id"] for m in heard}) == 3 and len(heard) >= 9


def test_the_cli_simulates_a_fleet() -> None:
    with emulator_process("--simulate", "4", "--simulate-interval", "0.2") as (url, _):
        heard = asyncio.run(_advanced(url, 2.0, "demo@acme.example", "demo-pass-42"))
    assert len({m["id"] for m in heard}) == 4
