"""Soak: do the caches stay current, and does every acknowledged write survive, on a flaky network?

    python tests/soak.py --duration 180 --faults-every 6-8        # what `make soak` runs
    python tests/soak.py --duration 60 --faults-every 2-4         # the short run in `make test` (tests/test_soak.py)

The emulator runs in a process of its own. Every client that writes or caches talks to it through a fault proxy of
its own (tests/faultproxy.py) that, every few seconds (uniformly random in ``--faults-every``), cuts the TCP
connection (RST), stalls it (no bytes either way, no FIN) or half-closes it (FIN to the client), at random:

- writers create, rename and remove assets of company 42 at ``--rate`` writes a second in all, each writer its
  own assets, and remember every write the server acknowledged (and every one whose outcome the fault hid);
- two caches (``client.cache().sync(42, [Asset])``): one with a change stream open, one without (the default);
- a witness, connected straight to the emulator and subscribed to the same parts, timestamps every server change.

The emulator sends its list replies ``--list-delay`` seconds after building them, so pushes of changes made in
between overtake them, as they can from a busy server: the list-versus-push race the caches must get right.

Then the faults stop, the clients settle, and a checker connected straight to the emulator compares:

- every cache with the server (every part of every asset, field by field);
- every acknowledged write with what the server holds (nothing lost, nothing overwritten by an older state);

and prints the staleness of the caches (for every change the witness saw: the time until a cache held that version
or a newer state; polled every ``POLL`` seconds), and the longest offline gap of a cache client (from the fault that
broke its connection to its ``Reconnected``). The clients use the default reconnect policy unless told otherwise;
they notice a stall by their keep-alive (``--keepalive`` seconds of idleness, then ``--silence-limit`` more).
Exit status 0 when every check holds and the figures are within ``--max-gap`` and ``--max-p99``, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy
from fleetfreedom import ApiError, AsyncCache, AsyncClient, Event, FleetFreedomError, Reconnected, Reconnecting
from fleetfreedom._cache_pieces import ObjectKey
from fleetfreedom.errors import AssetNotFound
from fleetfreedom.events import AssetAdvancedMerged, AssetDeleted, AssetDispatchMerged, AssetGeneralMerged
from fleetfreedom.models.assets import Asset, AssetAdvanced, AssetDispatch, AssetGeneral
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD

COMPANY = 42
PARTS: tuple[type[Any], ...] = (AssetGeneral, AssetAdvanced, AssetDispatch)
LISTS: dict[type[Any], str] = {
    AssetGeneral: "list_general",
    AssetAdvanced: "list_advanced",
    AssetDispatch: "list_dispatch",
}
LIST_COMMANDS = ("getAssetGeneralsList", "getAssetAdvancedsList", "getAssetDispatchesList")  # what the caches send
POLL = 0.1  # seconds between two looks at what the caches hold
SETTLE = 60.0  # seconds the clients get to come back and catch up once the faults stop
FAULTS: tuple[tuple[str, float], ...] = (("cut", 0.6), ("stall", 0.2), ("half-close", 0.2))
DELETED = -1  # the "version" of a deletion in the staleness bookkeeping

log = logging.getLogger("soak")


@dataclass(frozen=True)
class Config:
    duration: float = 180.0
    faults_every: tuple[float, float] = (6.0, 8.0)
    writers: int = 3
    rate: float = 45.0
    keepalive: float = 2.0
    silence_limit: float = 3.0
    reconnect_delay: float | None = None  # None: the client's default policy
    healthy_after: float | None = None
    list_delay: float = 0.25
    max_gap: float = 15.0
    max_p99: float = 15.0
    seed: int = 1


@dataclass
class Result:
    config: Config
    faults: dict[str, int] = field(default_factory=dict)
    acknowledged: int = 0
    unknown: int = 0
    refused: int = 0
    assets: int = 0
    caches_equal: bool = False
    differences: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    changes: int = 0
    never_reflected: int = 0
    staleness_p50: float = 0.0
    staleness_p99: float = 0.0
    staleness_max: float = 0.0
    longest_gap: float = 0.0
    gaps: int = 0
    resume_p50: float = 0.0
    resume_max: float = 0.0
    reconnects: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.caches_equal
            and not self.lost
            and not self.dropped
            and self.never_reflected == 0
            and self.longest_gap <= self.config.max_gap
            and self.staleness_p99 <= self.config.max_p99
        )

    def report(self) -> str:
        c = self.config
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items()))
        lines = [
            f"soak: {c.duration:g} s, a fault every {c.faults_every[0]:g}-{c.faults_every[1]:g} s on each of "
            f"{c.writers + 2} links ({faults}); {c.writers} writers at {c.rate:g} writes/s; list replies "
            f"{c.list_delay:g} s late",
            f"writes: {self.acknowledged} acknowledged, {self.unknown} outcome unknown (cut off), "
            f"{self.refused} refused by the server (stale version after an unknown one)",
            f"caches equal the server: {'yes' if self.caches_equal else 'NO'} (2 caches, {self.assets} assets, "
            f"3 parts each)",
            *(f"  {d}" for d in self.differences[:20]),
            f"acknowledged writes on the server: {'all' if not self.lost else 'NOT ALL'} ({len(self.lost)} lost)",
            *(f"  {d}" for d in self.lost[:20]),
            f"objects a cache dropped while the server still had them: {len(self.dropped)}",
            *(f"  {d}" for d in self.dropped[:20]),
            f"staleness (server change -> cache holds it), {self.changes} changes x 2 caches: "
            f"p50 {self.staleness_p50:.2f} s, p99 {self.staleness_p99:.2f} s, max {self.staleness_max:.2f} s; "
            f"never reflected: {self.never_reflected}",
            f"longest offline gap (fault -> Reconnected): {self.longest_gap:.2f} s over {self.gaps} gaps; "
            f"reconnects per cache client: {self.reconnects}; a resume (the wait over, to Reconnected) took "
            f"p50 {self.resume_p50 * 1000:.0f} ms, max {self.resume_max * 1000:.0f} ms",
            f"verdict: {'PASS' if self.ok else 'FAIL'} (max gap {c.max_gap:g} s, max p99 {c.max_p99:g} s)",
        ]
        return "\n".join(lines)


# --- the server --------------------------------------------------------------------------------------------------


# Run in the emulator's process: a list reply leaves ``delay`` seconds after the server built it, while the pushes
# of changes made meanwhile go out at once (a real server building a big list, or a slow link, does the same).
_EMULATOR = """
import asyncio, sys
from fleetfreedom.testing import Emulator

async def main() -> None:
    async with Emulator() as emulator:
        for command in sys.argv[2:]:
            emulator.faults.delay_replies(float(sys.argv[1]), command=command)
        print("url:", emulator.url, flush=True)
        await asyncio.Event().wait()  # until terminated

asyncio.run(main())
"""


@contextlib.contextmanager
def emulator_process(list_delay: float) -> Iterator[tuple[str, int]]:
    """The emulator in a process of its own, its list replies ``list_delay`` late; yields its host and port."""
    args = [str(list_delay), *LIST_COMMANDS] if list_delay > 0 else []
    process = subprocess.Popen(
        [sys.executable, "-c", _EMULATOR, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("url: "):
            raise RuntimeError(f"the emulator did not start: {line!r}")
        url = line.removeprefix("url: ").strip().rstrip("/")
        host, _, port = url.removeprefix("ws://").rpartition(":")
        yield host, int(port)
    finally:
        process.terminate()
        process.wait(10)


def client_options(config: Config) -> dict[str, Any]:
    options: dict[str, Any] = {
        "timeout": 30.0,
        "connect_timeout": 10.0,
        "keepalive": config.keepalive,
        "silence_limit": config.silence_limit,
    }
    if config.reconnect_delay is not None:
        options["reconnect_delay"] = config.reconnect_delay
    if config.healthy_after is not None:
        options["healthy_after"] = config.healthy_after
    return options


@asynccontextmanager
async def logged_in(url: str, **options: Any) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(url, **options)
    await client.connect()
    try:
        await client.login(DEMO_LOGIN, DEMO_PASSWORD)
        yield client
    finally:
        await client.close()


# --- faults ------------------------------------------------------------------------------------------------------


async def inject_faults(proxy: FaultProxy, rng: random.Random, config: Config, until: float) -> list[tuple[float, str]]:
    """Break the proxy's connections at random until ``until``; returns (time, kind) of each fault that hit one."""
    hits: list[tuple[float, str]] = []
    kinds = [kind for kind, _ in FAULTS]
    weights = [weight for _, weight in FAULTS]
    while True:
        wait = rng.uniform(*config.faults_every)
        if time.monotonic() + wait >= until:
            return hits
        await asyncio.sleep(wait)
        clear_stalls(proxy)
        if not proxy.links:
            continue  # nothing connected (the client is between attempts): nothing to break
        kind = rng.choices(kinds, weights)[0]
        hits.append((time.monotonic(), kind))
        if kind == "cut":
            proxy.drop_all()
        elif kind == "stall":
            proxy.stall()
        else:
            proxy.half_close()


def clear_stalls(proxy: FaultProxy) -> None:
    """Reset links left stalled by an earlier fault (their client has moved on, or is about to)."""
    for link in proxy.stalled:
        proxy.links.remove(link)
        link.abort()


# --- writers -----------------------------------------------------------------------------------------------------


@dataclass
class Owned:
    """One asset a writer made: the states the server may hold for it (one, unless a fault hid an outcome)."""

    name: str
    v: list[int]
    possible: set[str]  # names, or "" for removed
    removed: bool = False
    doubtful: bool = False  # the last write's outcome is unknown: read the asset before writing again


class Writer:
    def __init__(self, index: int, client: AsyncClient, rng: random.Random) -> None:
        self.index = index
        self.client = client
        self.rng = rng
        self.owned: dict[int, Owned] = {}
        self.unknown_creates: set[str] = set()
        self.acknowledged = self.unknown = self.refused = 0
        self._n = 0

    def _name(self) -> str:
        self._n += 1
        return f"soak-w{self.index}-{self._n}"

    async def run(self, until: float, interval: float) -> None:
        next_at = time.monotonic()
        while time.monotonic() < until:
            live = [key for key, o in self.owned.items() if not o.removed]
            roll = self.rng.random()
            try:
                if not live or roll < 0.35:
                    await self.create()
                else:
                    key = self.rng.choice(live)
                    if self.owned[key].doubtful:
                        await self.refresh(key)
                    elif roll < 0.8:
                        await self.rename(key)
                    else:
                        await self.remove(key)
            except FleetFreedomError as exc:
                log.debug("writer %d: %s", self.index, exc)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def create(self) -> None:
        name = self._name()
        try:
            reply = await self.client.assets.merge({"company": COMPANY, "kind": "vehicle", "name": name})
        except FleetFreedomError as exc:
            if _unknown(exc):
                self.unknown += 1
                self.unknown_creates.add(name)
            raise
        self.acknowledged += 1
        self.owned[reply.asset.id] = Owned(name, [1, 1, 1], {name})

    async def rename(self, key: int) -> None:
        owned = self.owned[key]
        name = self._name()
        try:
            await self.client.assets.merge({"id": key, "company": COMPANY, "name": name, "v": owned.v})
        except FleetFreedomError as exc:
            self._failed(owned, exc, name)
            raise
        self.acknowledged += 1
        owned.name, owned.v, owned.possible = name, [owned.v[0] + 1, *owned.v[1:]], {name}

    async def remove(self, key: int) -> None:
        owned = self.owned[key]
        try:
            await self.client.assets.remove(key)
        except FleetFreedomError as exc:
            self._failed(owned, exc, "")
            raise
        self.acknowledged += 1
        owned.removed, owned.possible = True, {""}

    async def refresh(self, key: int) -> None:
        """After a write whose outcome is unknown: read what the server holds (an acknowledged read)."""
        owned = self.owned[key]
        try:
            asset = (await self.client.assets.get(key)).asset
        except AssetNotFound:
            owned.removed, owned.possible, owned.doubtful = True, {""}, False
            return
        owned.name, owned.v = asset.name or "", list(asset.v or owned.v)
        owned.possible, owned.doubtful = {owned.name}, False

    def _failed(self, owned: Owned, exc: FleetFreedomError, outcome: str) -> None:
        if _unknown(exc):  # sent, perhaps carried out: either state may be on the server now
            self.unknown += 1
            owned.possible.add(outcome)
        else:  # refused (a stale version after an unknown write): read before writing again
            self.refused += 1
        owned.doubtful = True


def _unknown(exc: FleetFreedomError) -> bool:
    """A request the server may or may not have carried out (the connection or the time ran out first)."""
    return not isinstance(exc, ApiError)


# --- watching the caches -----------------------------------------------------------------------------------------


class Staleness:
    """For every change the witness saw: when a cache first held that version of the part, or a newer state. And
    every object the cache let go of: unless the server deleted it, that is a lost object, even if a later re-list
    brings it back (so a loss is caught when it happens, not only if it lasts until the end)."""

    def __init__(self, store: AsyncCache) -> None:
        self.store = store
        self.pending: dict[tuple[type[Any], int], list[tuple[int, float]]] = {}
        self.deleted: set[int] = set()
        self.delays: list[float] = []
        self.held: dict[type[Any], set[ObjectKey]] = {cls: set() for cls in PARTS}
        self.dropped: dict[tuple[type[Any], ObjectKey], float] = {}  # first time each part went missing

    def saw(self, cls: type[Any], key: int, version: int, at: float) -> None:
        if version == DELETED:
            self.deleted.add(key)
        self.pending.setdefault((cls, key), []).append((version, at))

    def look(self, now: float) -> None:
        for cls in PARTS:
            current = set(self.store.keys(cls, COMPANY))
            for key in self.held[cls] - current:
                self.dropped.setdefault((cls, key), now)
            self.held[cls] = current
        for (cls, key), waiting in list(self.pending.items()):
            item = self.store.get(cls, key)
            held = item.v[0] if item is not None and item.v else None
            gone = item is None and key in self.deleted
            left = []
            for version, at in waiting:
                if gone or (held is not None and version != DELETED and held >= version):
                    self.delays.append(max(0.0, now - at))
                else:
                    left.append((version, at))
            if left:
                self.pending[(cls, key)] = left
            else:
                del self.pending[(cls, key)]

    @property
    def unresolved(self) -> int:
        return sum(len(w) for w in self.pending.values())

    def lost(self, started: float) -> list[str]:
        """Parts the cache dropped although the server never deleted them (judged once the run is over)."""
        return [
            f"{cls.__name__} {key} left the cache at +{at - started:.1f} s although the server never deleted it"
            for (cls, key), at in sorted(self.dropped.items(), key=lambda item: item[1])
            if key not in self.deleted
        ]


async def witness(client: AsyncClient, trackers: list[Staleness], stop: asyncio.Event) -> int:
    """Timestamp every server change as an unbroken connection sees it; returns how many it saw."""
    seen = 0
    parts: dict[type[Event], type[Any]] = {
        AssetGeneralMerged: AssetGeneral,
        AssetAdvancedMerged: AssetAdvanced,
        AssetDispatchMerged: AssetDispatch,
    }
    while not stop.is_set():
        try:
            event = await client.next_event(0.5)
        except TimeoutError:
            continue
        now = time.monotonic()
        cls = parts.get(type(event))
        entries: list[tuple[type[Any], int, int]]
        if cls is not None:
            entries = [(cls, event.data.id, event.data.v[0])]  # type: ignore[attr-defined]
        elif isinstance(event, AssetDeleted):
            entries = [(part, event.data.id, DELETED) for part in PARTS]
        else:
            continue
        seen += 1
        for tracker in trackers:
            for part, key, version in entries:
                tracker.saw(part, key, version, now)
    return seen


async def watch(trackers: list[Staleness], stop: asyncio.Event) -> None:
    while not stop.is_set():
        now = time.monotonic()
        for tracker in trackers:
            tracker.look(now)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL)


async def client_events(client: AsyncClient, timeline: list[tuple[float, str]], resumes: list[float]) -> None:
    """Drain a cache client's events (the cache itself taps them), noting when it lost and got back its session,
    and how long each successful attempt took once its wait was over."""
    attempt_at: float | None = None
    async for event in client.events():
        now = time.monotonic()
        if isinstance(event, Reconnecting):
            timeline.append((now, "reconnecting"))
            attempt_at = now + event.delay
        elif isinstance(event, Reconnected):
            timeline.append((now, "reconnected"))
            if attempt_at is not None:
                resumes.append(max(0.0, now - attempt_at))


def offline_gaps(faults: list[tuple[float, str]], timeline: list[tuple[float, str]]) -> list[float]:
    """From the first fault after the client was last online to its next Reconnected."""
    events = sorted([(t, "fault") for t, _ in faults] + [(t, kind) for t, kind in timeline if kind == "reconnected"])
    gaps: list[float] = []
    down_since: float | None = None
    for at, kind in events:
        if kind == "fault" and down_since is None:
            down_since = at
        elif kind == "reconnected" and down_since is not None:
            gaps.append(at - down_since)
            down_since = None
    return gaps


# --- the run -----------------------------------------------------------------------------------------------------


async def settle(client: AsyncClient, store: AsyncCache) -> None:
    """Wait until the cache client is connected, has caught up, and every frame sent before now was read."""
    async with asyncio.timeout(SETTLE):
        while True:
            if client.state.value == "ready" and not store.stale:
                await store.wait_synced()
                with contextlib.suppress(FleetFreedomError):
                    await client.request("getSubscriptionsList", timeout=5.0)  # pushes sent before its reply
                    await store.wait_synced()
                    if client.state.value == "ready" and not store.stale:
                        return
            await asyncio.sleep(POLL)


async def compare(checker: AsyncClient, stores: list[AsyncCache]) -> tuple[int, list[str]]:
    differences: list[str] = []
    count = 0
    for cls in PARTS:
        reply = await getattr(checker.assets, LISTS[cls])(COMPANY)
        items = {item.id: item for item in next(v for _, v in reply if isinstance(v, list))}
        count = max(count, len(items))
        for n, store in enumerate(stores):
            cached = set(store.keys(cls, COMPANY))
            for key in sorted(cached - items.keys()):
                differences.append(f"cache {n}: {cls.__name__} {key} is cached but not on the server")
            for key in sorted(items.keys() - cached):
                differences.append(f"cache {n}: {cls.__name__} {key} is on the server but not cached")
            for key in sorted(cached & items.keys()):
                if store.get(cls, key) != items[key]:
                    differences.append(f"cache {n}: {cls.__name__} {key} differs from the server")
    return count, differences


async def check_writes(checker: AsyncClient, writers: list[Writer]) -> list[str]:
    reply = await checker.assets.list_general(COMPANY)
    server = {item.id: item.name or "" for item in reply.asset_generals or ()}
    problems: list[str] = []
    for writer in writers:
        for key, owned in writer.owned.items():
            holds = server.get(key, "")
            if holds not in owned.possible:
                what = "removed" if owned.removed else f"named {owned.name!r}"
                problems.append(f"asset {key} of writer {writer.index}: acknowledged {what}, server holds {holds!r}")
    mine = {key for writer in writers for key in writer.owned}
    guesses = {name for writer in writers for name in writer.unknown_creates}
    for key, name in server.items():
        if key not in mine and name.startswith("soak-") and name not in guesses:
            problems.append(f"asset {key} ({name!r}) is on the server but no writer made it")
    return problems


async def run(config: Config) -> Result:
    result = Result(config)
    rng = random.Random(config.seed)
    with emulator_process(config.list_delay) as (host, port):
        direct = f"ws://{host}:{port}"
        async with contextlib.AsyncExitStack() as stack:
            proxies = [await stack.enter_async_context(FaultProxy(host, port)) for _ in range(config.writers + 2)]
            options = client_options(config)
            cache_clients = [await stack.enter_async_context(logged_in(p.url, **options)) for p in proxies[:2]]
            writer_clients = [await stack.enter_async_context(logged_in(p.url, **options)) for p in proxies[2:]]
            observer = await stack.enter_async_context(logged_in(direct, timeout=30.0, keepalive=None))
            await observer.subscribe(COMPANY, ["assetGeneral", "assetAdvanced", "assetDispatch"])

            stores = [client.cache() for client in cache_clients]
            stream = stores[0].changes(Asset)  # one cache listens (changes tracked), the other runs on defaults
            for store in stores:
                await store.sync(COMPANY, [Asset])
            trackers = [Staleness(store) for store in stores]
            timelines: list[list[tuple[float, str]]] = [[] for _ in cache_clients]
            resumes: list[float] = []
            stop = asyncio.Event()
            witnessing = asyncio.ensure_future(witness(observer, trackers, stop))
            background = [
                witnessing,
                asyncio.ensure_future(watch(trackers, stop)),
                *(
                    asyncio.ensure_future(client_events(c, t, resumes))
                    for c, t in zip(cache_clients, timelines, strict=True)
                ),
                asyncio.ensure_future(_drain(stream, stop)),
            ]

            until = time.monotonic() + config.duration
            writers = [Writer(i, c, random.Random(rng.random())) for i, c in enumerate(writer_clients)]
            interval = len(writers) / config.rate
            fault_tasks = [
                asyncio.ensure_future(inject_faults(p, random.Random(rng.random()), config, until)) for p in proxies
            ]
            await asyncio.gather(*(w.run(until, interval) for w in writers))
            hits = await asyncio.gather(*fault_tasks)
            for proxy in proxies:
                clear_stalls(proxy)

            for client, store in zip(cache_clients, stores, strict=True):
                await settle(client, store)
            await observer.request("getSubscriptionsList")  # the witness has read every change by now
            now = time.monotonic()
            for tracker in trackers:
                tracker.look(now)
            stop.set()
            await asyncio.gather(*background[:2], background[-1])
            result.changes = await witnessing

            result.assets, result.differences = await compare(observer, stores)
            result.caches_equal = not result.differences
            started = until - config.duration
            result.dropped = [
                f"cache {n}: {line}" for n, tracker in enumerate(trackers) for line in tracker.lost(started)
            ]
            result.lost = await check_writes(observer, writers)
            result.acknowledged = sum(w.acknowledged for w in writers)
            result.unknown = sum(w.unknown for w in writers)
            result.refused = sum(w.refused for w in writers)
            for proxy_hits in hits:
                for _, kind in proxy_hits:
                    result.faults[kind] = result.faults.get(kind, 0) + 1
            delays = sorted(d for tracker in trackers for d in tracker.delays)
            result.never_reflected = sum(tracker.unresolved for tracker in trackers)
            if delays:
                result.staleness_p50 = statistics.median(delays)
                result.staleness_p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
                result.staleness_max = delays[-1]
            gaps = [g for faults, tl in zip(hits[:2], timelines, strict=True) for g in offline_gaps(faults, tl)]
            result.gaps = len(gaps)
            result.longest_gap = max(gaps, default=0.0)
            result.reconnects = [c.stats.reconnects for c in cache_clients]
            if resumes:
                result.resume_p50, result.resume_max = statistics.median(resumes), max(resumes)
            for task in background[2:-1]:
                task.cancel()
    return result


async def _drain(stream: Any, stop: asyncio.Event) -> None:
    """Read the listening cache's change stream, as an application would (nothing is checked here)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await stream.next(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=Config.duration, help="seconds of faults and writes")
    parser.add_argument("--faults-every", default="6-8", help="seconds between faults on each link: MIN-MAX")
    parser.add_argument("--writers", type=int, default=Config.writers)
    parser.add_argument("--rate", type=float, default=Config.rate, help="writes a second, all writers together")
    parser.add_argument("--keepalive", type=float, default=Config.keepalive)
    parser.add_argument("--silence-limit", type=float, default=Config.silence_limit)
    parser.add_argument("--reconnect-delay", type=float, help="client option (default: the client's own)")
    parser.add_argument("--healthy-after", type=float, help="client option (default: the client's own)")
    parser.add_argument("--list-delay", type=float, default=Config.list_delay, help="seconds a list reply is late")
    parser.add_argument("--max-gap", type=float, default=Config.max_gap)
    parser.add_argument("--max-p99", type=float, default=Config.max_p99)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    low, _, high = args.faults_every.partition("-")
    config = Config(
        duration=args.duration,
        faults_every=(float(low), float(high or low)),
        writers=args.writers,
        rate=args.rate,
        keepalive=args.keepalive,
        silence_limit=args.silence_limit,
        reconnect_delay=args.reconnect_delay,
        healthy_after=args.healthy_after,
        list_delay=args.list_delay,
        max_gap=args.max_gap,
        max_p99=args.max_p99,
        seed=args.seed,
    )
    logging.basicConfig(level=logging.ERROR)  # every fault would log a warning; the report says what matters
    result = asyncio.run(run(config))
    print(result.report(), flush=True)
    if args.json:
        args.json.write_text(json.dumps({**asdict(result), "ok": result.ok}, indent=2, default=str) + "\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
