"""The emulator's generic answers on a schema the vendor has just extended (issue 19).

A copy of the real schema gets a new type ``Trip``, a ``verb: list`` command ``getAssetTrips`` (asset, from, to)
and a ``verb: special`` command ``getLatestTrips`` (asset, since, until) answering a list of trips. The package
generated from it runs in a fresh interpreter: every command's answer must decode as its response class, the
range filters must behave as ranges, and ``Semantics.register`` must give one command its own behaviour.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import PROJECT, SCHEMA, run_generator, run_python
from maintainer_walk import add_boat, add_color, add_trip

TESTS = PROJECT / "tests"


@pytest.fixture(scope="module")
def trips_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trips")
    schema = root / "schema"
    shutil.copytree(SCHEMA, schema)
    add_trip(schema, special=True)
    add_color(schema)
    add_boat(schema)
    out = root / "generated"
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def run_in(package: Path, code: str, timeout: float = 600) -> str:
    """``code`` in a fresh interpreter importing the generated package first, then the tests' helpers."""
    result = run_python(textwrap.dedent(code), pythonpath=Path(f"{package}:{TESTS}"), timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-2000:]
    return result.stdout


SETUP = """
import asyncio
from fleetfreedom import AsyncClient
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator, Failure

TRIPS = [  # asset 101: a morning trip on 1 May, one on 3 May; asset 102: one on 1 May
    {"company": 42, "asset": 101, "started": "2024-05-01T08:00:00Z", "ended": "2024-05-01T09:00:00Z", "distance": 12.5},
    {"company": 42, "asset": 101, "started": "2024-05-03T08:00:00Z", "ended": "2024-05-03T09:00:00Z", "distance": 3.0},
    {"company": 42, "asset": 102, "started": "2024-05-01T10:00:00Z", "ended": "2024-05-01T11:00:00Z", "distance": 7.0},
]

def seeded():
    emu = Emulator()
    ids = []
    for trip in TRIPS:
        ids.append(emu.merge_object("Trip", trip)["id"])
    return emu, ids
"""


def test_every_command_answer_fits_its_response_with_new_commands(trips_package: Path) -> None:
    """The registry walk (every command, three bodies each) on the extended package: new commands included."""
    out = run_in(
        trips_package,
        """
        import asyncio
        from fleetfreedom._registry import COMMANDS
        from fleetfreedom.testing import Emulator
        from test_emulator_registry import SKIP, _walk

        with Emulator() as emu:
            seen = asyncio.run(asyncio.wait_for(_walk(emu.url), 500))
        assert set(seen) == set(COMMANDS) - SKIP
        for name in ("getAssetTrips", "getLatestTrips"):
            assert 0 in seen[name], (name, seen[name])
        print(len(seen))
        """,
    )
    assert int(out.strip()) > 300


def test_range_filters_are_ranges_and_special_lists_are_lists(trips_package: Path) -> None:
    run_in(
        trips_package,
        SETUP
        + """
async def main():
    emu, ids = seeded()
    with emu:
        async with AsyncClient(url=emu.url) as client:
            await client.login(DEMO_LOGIN, DEMO_PASSWORD)
            # a period that starts inside the first trip and ends before the second: the first overlaps it
            reply = await client.assets.list_trips(101, from_="2024-05-01T08:30:00Z", to="2024-05-02T00:00:00Z")
            assert [t.id for t in reply.trips] == [ids[0]], reply
            reply = await client.assets.list_trips(101, from_="2024-04-01T00:00:00Z", to="2024-06-01T00:00:00Z")
            assert [t.id for t in reply.trips] == ids[:2], reply      # asset 102's trip is not asset 101's
            reply = await client.assets.list_trips(101, from_="2024-05-05T00:00:00Z", to="2024-05-06T00:00:00Z")
            assert reply.trips == [], reply
            # verb: special with a list reply is answered as a list (it used to be one object)
            latest = await client.assets.latest_trips(101, since="2024-05-02T00:00:00Z")
            assert [t.id for t in latest.trips] == [ids[1]], latest
            latest = await client.assets.latest_trips(101, until="2024-05-02T00:00:00Z")
            assert [t.id for t in latest.trips] == [ids[0]], latest
            raw = await client.request("getLatestTrips", {"asset": 101}, raw=True)
            assert isinstance(raw.data["trips"], list) and len(raw.data["trips"]) == 2, raw
    print("ok")

asyncio.run(main())
""",
    )


def test_register_gives_one_command_its_own_behaviour(trips_package: Path) -> None:
    run_in(
        trips_package,
        SETUP
        + """
from fleetfreedom.errors import TripNotFound, ServiceError

def longest(semantics, request):
    # the custom answer: only the asset's longest trip, or tripNotFound when it has none
    asset = request["asset"]["id"]
    trips = [semantics.view(r, "Trip") for r in semantics.store.records("Trip") if r.data.get("asset") == asset]
    if not trips:
        raise Failure("tripNotFound", f"asset {asset} has no trips")
    return {"trips": [max(trips, key=lambda t: t["distance"])]}

async def main():
    emu, ids = seeded()
    with emu:
        emu.semantics.register("getLatestTrips", longest)
        emu.semantics.register("getAssetTrips", lambda semantics, request: {"trips": {"id": 1}})  # a bad answer
        async with AsyncClient(url=emu.url) as client:
            await client.login(DEMO_LOGIN, DEMO_PASSWORD)
            latest = await client.assets.latest_trips(101)
            assert [t.id for t in latest.trips] == [ids[0]], latest
            try:
                await client.assets.latest_trips(103)
            except TripNotFound as error:
                assert "no trips" in error.message
            else:
                raise AssertionError("no tripNotFound")
            try:
                await client.assets.list_trips(101, from_="2024-05-01T00:00:00Z", to="2024-05-02T00:00:00Z")
            except ServiceError as error:  # said plainly, never a frame the client cannot decode
                assert "getAssetTrips answered a bad reply" in error.message, error.message
            else:
                raise AssertionError("a bad custom answer went out")
    try:
        emu.semantics.register("getAssetTrip", longest)
    except ValueError as error:
        assert "unknown command 'getAssetTrip'" in str(error)
    else:
        raise AssertionError("an unknown command was accepted")
    print("ok")

asyncio.run(main())
""",
    )
