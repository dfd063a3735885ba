"""A simulated fleet: vehicles with tracking devices that drive along routes and report where they are.

``Emulator.simulate(count)`` (``fleetfreedom emulator --simulate N``, the pytest option ``--fleetfreedom-simulate``)
adds ``count`` vehicles to a company, each with a device (a ``Provider`` naming the vehicle), and moves them along
closed routes. Every report changes the vehicle's advanced part the way the real server does when a device
reports: a new ``position`` (with speed, bearing and time), a growing ``odometer`` and, where the company has
places with an anchor and a radius, ``places`` entries that go ``enter`` -> ``inside`` -> ``exit``. Subscribers of
``assetAdvanced`` therefore receive ``assetAdvancedMerged`` messages, exactly as from a real fleet.

Routes are circles whose size, speed and start are drawn from a seeded random generator, so the same count gives
the same fleet every time; every fifth route passes through one of the company's places. Reports are spread
over the interval (a tenth of the fleet every tenth of it), and each batch is stored in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _catalog as catalog
from ._sessions import iso, utcnow
from ._store import StoreError

if TYPE_CHECKING:
    from ._server import Emulator

log = logging.getLogger("fleetfreedom.emulator.simulate")

EARTH_RADIUS_M = 6_371_000.0
DEFAULT_CENTRE = (43.6532, -79.3832)  # where a company without places drives (the demo depot's city)
SLICES = 10  # a report interval is cut into this many batches, so reports arrive evenly rather than in bursts
DEVICE_BASE = 350_000_000_000_000  # device ids look like IMEIs


@dataclass(slots=True)
class Vehicle:
    asset: int
    device: str
    centre: tuple[float, float]
    radius_m: float
    speed_mps: float
    angle: float  # radians around the route's centre
    inside: dict[str, str]  # place id -> when the vehicle entered

    def advance(self, seconds: float) -> tuple[float, float, float]:
        """Move on along the circle; returns ``(lat, lng, bearing in degrees)``."""
        self.angle = (self.angle + self.speed_mps * seconds / self.radius_m) % math.tau
        lat, lng = _offset(self.centre, self.radius_m * math.cos(self.angle), self.radius_m * math.sin(self.angle))
        bearing = (math.degrees(self.angle) + 90.0) % 360.0  # tangent of a counter-clockwise circle (north = 0)
        return lat, lng, bearing


@dataclass(frozen=True, slots=True)
class _Place:
    id: int
    centre: tuple[float, float]
    radius_m: float


def _offset(origin: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat = origin[0] + math.degrees(north_m / EARTH_RADIUS_M)
    lng = origin[1] + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(origin[0]))))
    return round(lat, 6), round(lng, 6)


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = math.radians(b[0] - a[0]) * EARTH_RADIUS_M
    east = math.radians(b[1] - a[1]) * EARTH_RADIUS_M * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


class Fleet:
    """The simulated vehicles of one company and the task that moves them (on the emulator's event loop)."""

    def __init__(self, emulator: Emulator, count: int, interval: float, company: int, seed: int = 17) -> None:
        if count < 0 or interval <= 0:
            raise ValueError("a simulated fleet needs count >= 0 and interval > 0")
        self.emulator = emulator
        self.interval = interval
        self.company = company
        self.vehicles: list[Vehicle] = []
        self.reports = 0  # positions reported so far
        self._rng = random.Random(seed)
        self._task: asyncio.Task[None] | None = None
        self._places = self._company_places()
        self._create(count)

    def _company_places(self) -> list[_Place]:
        places = []
        for record in self.emulator.store.records("Place"):
            anchor = record.data.get("anchor")
            if record.deleted or catalog.key_value(record.data.get("company")) != self.company:
                continue
            if isinstance(anchor, dict) and isinstance(record.key, int):
                radius = float(record.data.get("radius") or 100.0)
                places.append(_Place(record.key, (float(anchor["lat"]), float(anchor["lng"])), radius))
        return sorted(places, key=lambda p: p.id)

    def _create(self, count: int) -> None:
        """Store the vehicles and their devices in one transaction; subscribers hear of them as of any creation."""
        rng = self._rng
        semantics = self.emulator.semantics
        pushes = []
        with self.emulator.store.transaction():
            for index in range(count):
                radius = rng.uniform(800.0, 4_000.0)
                angle = rng.uniform(0.0, math.tau)
                if self._places and index % 5 == 0:  # drive through a place: its anchor lies on the route
                    place = self._places[(index // 5) % len(self._places)]
                    centre = _offset(place.centre, -radius * math.cos(angle), -radius * math.sin(angle))
                else:
                    centre = _offset(DEFAULT_CENTRE, rng.uniform(-8_000, 8_000), rng.uniform(-8_000, 8_000))
                device = str(DEVICE_BASE + index + 1)
                speed = rng.uniform(8.0, 25.0)  # 30-90 km/h
                vehicle = Vehicle(0, device, centre, radius, speed, angle, {})
                lat, lng, _ = vehicle.advance(0.0)
                asset_fields = {"company": self.company, "kind": "vehicle", "name": f"Simulated {index + 1:04d}"}
                asset_fields.update(position={"lat": lat, "lng": lng, "dts": iso(utcnow())}, odometer=0.0)
                view, created = semantics.server_merge("Asset", asset_fields)
                asset = int(view["id"])
                pushes += created
                _, provider_pushes = semantics.server_merge(
                    "Provider",
                    {"id": device, "company": self.company, "name": f"Device {device}", "asset": asset},
                )
                pushes += provider_pushes
                vehicle.asset = asset
                self.vehicles.append(vehicle)
        self.emulator._fan_out(pushes)

    def start(self) -> None:
        if self._task is None and self.vehicles:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="fleetfreedom-simulated-fleet")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        step = self.interval / SLICES
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        tick = 0
        while True:
            batch = self.vehicles[tick % SLICES :: SLICES]
            try:
                self._report(batch)
            except StoreError as exc:  # the database refused this batch: nothing moved; try again next time
                log.warning("simulated positions not stored: %s", exc)
            tick += 1
            next_at += step
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if loop.time() - next_at > self.interval:  # fell far behind (a stalled loop): do not replay the past
                next_at = loop.time()

    def _report(self, vehicles: list[Vehicle]) -> None:
        """One report from each of ``vehicles``: position, odometer and place statuses, in one transaction."""
        store = self.emulator.store
        semantics = self.emulator.semantics
        now = iso(utcnow())
        pushes = []
        with store.transaction():
            for vehicle in vehicles:
                record = store.get("Asset", vehicle.asset)
                if record is None or record.deleted or record.suspended:
                    continue
                lat, lng, bearing = vehicle.advance(self.interval)
                position = {"lat": lat, "lng": lng, "dts": now, "speed": round(vehicle.speed_mps * 3.6, 1)}
                position.update(bearing=round(bearing, 1), accuracy=5.0, origin="gps")
                odometer = float(record.data.get("odometer") or 0.0) + vehicle.speed_mps * self.interval / 1000.0
                change: dict[str, Any] = {"id": vehicle.asset, "position": position, "odometer": round(odometer, 3)}
                places = self._places_of(vehicle, (lat, lng), now)
                if places or record.data.get("places"):
                    change["places"] = places
                _, merged = semantics.server_merge("AssetAdvanced", change)
                pushes += merged
        self.reports += len(vehicles)
        self.emulator._fan_out(pushes)

    def _places_of(self, vehicle: Vehicle, here: tuple[float, float], now: str) -> dict[str, dict[str, str]]:
        """The vehicle's place statuses after this report: enter on arrival, inside while there, exit once."""
        statuses: dict[str, dict[str, str]] = {}
        for place in self._places:
            key = str(place.id)
            entered = vehicle.inside.get(key)
            if _distance_m(here, place.centre) <= place.radius_m:
                if entered is None:
                    vehicle.inside[key] = now
                    statuses[key] = {"kind": "enter", "enter": now, "latest": now}
                else:
                    statuses[key] = {"kind": "inside", "enter": entered, "latest": now}
            elif entered is not None:
                del vehicle.inside[key]
                statuses[key] = {"kind": "exit", "enter": entered, "latest": now}
        return statuses
