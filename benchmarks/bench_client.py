#!/usr/bin/env python3
"""The client over a real socket against a bare ``websockets`` loop, on the same frames from the same server.

    python benchmarks/bench_client.py [--rounds 5] [--frames 20000] [--requests 2000] [--transports websockets,picows]
                                      [--check]

The server (``_wire_server.py``) runs in a process of its own and answers without any logic. In each round, in
alternating order, the SDK and the raw loop do the same work on fresh connections; medians are reported.

- stream: ``n`` ``assetGeneralMerged`` frames read as typed events through ``AsyncClient.events()`` against what a
  user would write by hand (``websockets`` + ``json.loads`` of each body; target >= 1.0x) and against the floor, a
  raw ``async for message in ws`` loop that parses nothing (target >= 0.70x);
- round trip: sequential ``client.assets.get(i)`` against the hand-written echo (send, receive, ``json.loads`` the
  reply and check its reqId; target <= 1.0x) and, for information, the raw send/receive echo without parsing;
- 1 000 concurrent requests: ``asyncio.gather`` of 1 000 ``client.assets.get(i)``, each reply checked to carry the
  id its caller asked for, against a raw loop that pipelines the same 1 000 frames (throughput; target >= 0.5x).

Every SDK figure is measured once per installed transport (``websockets``; ``picows`` with
``pip install 'fleetfreedom[fast]'``); the baselines are always the hand-written ``websockets`` loops the issue names.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from _common import PYTHON, verdict, verdict_at_least
from fleetfreedom import AsyncClient
from fleetfreedom._transport import picows_available
from fleetfreedom.events import AssetGeneralMerged
from websockets.asyncio.client import ClientConnection, connect

SERVER = Path(__file__).resolve().parent / "_wire_server.py"
CONCURRENT = 1000


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([PYTHON, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("ws://"):
        process.kill()
        raise SystemExit(f"benchmark server did not start: {url!r}")
    return process, url


def client(url: str, frames: int, transport: str) -> AsyncClient:
    return AsyncClient(
        url,
        keepalive=None,
        ping_interval=None,
        max_events=frames + 100,
        timeout=120,
        transport=transport,  # type: ignore[arg-type]
    )


async def raw_connection(url: str) -> ClientConnection:
    ws = await connect(url, ping_interval=None, max_size=None, compression=None)
    await ws.recv()  # connectionResponse
    return ws


# --- stream -------------------------------------------------------------------------------------------------------


async def stream_raw(url: str, frames: int) -> float:
    async with await raw_connection(url) as ws:
        started = time.perf_counter()
        await ws.send(f'benchStream {{"reqId":1,"count":{frames}}}')
        await ws.recv()  # the reply
        seen = 0
        async for _ in ws:
            seen += 1
            if seen == frames:
                break
        return frames / (time.perf_counter() - started)


async def stream_hand(url: str, frames: int) -> float:
    """The loop a user would write without the SDK: split the name off, ``json.loads`` the body, keep the dicts."""
    async with await raw_connection(url) as ws:
        started = time.perf_counter()
        await ws.send(f'benchStream {{"reqId":1,"count":{frames}}}')
        await ws.recv()  # the reply
        seen = 0
        async for message in ws:
            name, _, text = str(message).partition(" ")
            body = json.loads(text)
            if name == "assetGeneralMerged" and body["id"]:
                seen += 1
                if seen == frames:
                    break
        return frames / (time.perf_counter() - started)


async def stream_sdk(url: str, frames: int, transport: str) -> float:
    async with client(url, frames, transport) as sdk:
        started = time.perf_counter()
        await sdk.request("benchStream", {"count": frames}, raw=True)
        seen = 0
        async for event in sdk.events():
            if isinstance(event, AssetGeneralMerged):
                seen += 1
                if seen == frames:
                    break
        elapsed = time.perf_counter() - started
        assert sdk.stats.dropped_events == 0
        return frames / elapsed


# --- round trip ---------------------------------------------------------------------------------------------------


async def round_trip_raw(url: str, requests: int) -> float:
    async with await raw_connection(url) as ws:
        started = time.perf_counter()
        for i in range(1, requests + 1):
            await ws.send(f'getAsset {{"reqId":{i},"asset":{{"id":{i}}}}}')
            await ws.recv()
        return (time.perf_counter() - started) / requests


async def round_trip_hand(url: str, requests: int) -> float:
    """By hand: send the request text, receive, ``json.loads`` the reply and check it answers this request."""
    async with await raw_connection(url) as ws:
        started = time.perf_counter()
        for i in range(1, requests + 1):
            await ws.send(f'getAsset {{"reqId":{i},"asset":{{"id":{i}}}}}')
            name, _, text = str(await ws.recv()).partition(" ")
            body = json.loads(text)
            if name != "getAssetResponse" or body["reqId"] != i or body["errorCode"] != 0:
                raise SystemExit(f"unexpected reply to request {i}: {name} {text}")
        return (time.perf_counter() - started) / requests


async def round_trip_sdk(url: str, requests: int, transport: str) -> float:
    async with client(url, 0, transport) as sdk:
        started = time.perf_counter()
        for i in range(1, requests + 1):
            await sdk.assets.get(i)
        return (time.perf_counter() - started) / requests


# --- 1 000 in flight ----------------------------------------------------------------------------------------------


async def concurrent_raw(url: str) -> float:
    async with await raw_connection(url) as ws:
        started = time.perf_counter()
        for i in range(1, CONCURRENT + 1):
            await ws.send(f'getAsset {{"reqId":{i},"asset":{{"id":{i}}}}}')
        for _ in range(CONCURRENT):
            await ws.recv()
        return CONCURRENT / (time.perf_counter() - started)


async def concurrent_sdk(url: str, transport: str) -> float:
    async with client(url, 0, transport) as sdk:
        ids = list(range(1, CONCURRENT + 1))
        started = time.perf_counter()
        replies = await asyncio.gather(*(sdk.assets.get(i) for i in ids))
        elapsed = time.perf_counter() - started
        wrong = [(i, r.asset.id) for i, r in zip(ids, replies, strict=True) if r.asset.id != i]
        if wrong:
            raise SystemExit(f"{len(wrong)} replies reached the wrong caller, e.g. {wrong[:3]}")
        return CONCURRENT / elapsed


async def measure(url: str, rounds: int, frames: int, requests: int, transports: list[str]) -> dict[str, list[float]]:
    jobs: dict[str, Callable[[], Awaitable[float]]] = {
        "stream_hand": lambda: stream_hand(url, frames),
        "stream_raw": lambda: stream_raw(url, frames),
        "rtt_hand": lambda: round_trip_hand(url, requests),
        "rtt_raw": lambda: round_trip_raw(url, requests),
        "many_raw": lambda: concurrent_raw(url),
    }
    for t in transports:
        jobs[f"stream_sdk_{t}"] = lambda t=t: stream_sdk(url, frames, t)  # type: ignore[misc]
        jobs[f"rtt_sdk_{t}"] = lambda t=t: round_trip_sdk(url, requests, t)  # type: ignore[misc]
        jobs[f"many_sdk_{t}"] = lambda t=t: concurrent_sdk(url, t)  # type: ignore[misc]
        await stream_sdk(url, 1000, t)  # warm up: validators built, code paths hot
        await round_trip_sdk(url, 100, t)
    results: dict[str, list[float]] = {name: [] for name in jobs}
    groups = (
        (*(f"stream_sdk_{t}" for t in transports), "stream_hand", "stream_raw"),
        (*(f"rtt_sdk_{t}" for t in transports), "rtt_hand", "rtt_raw"),
        (*(f"many_sdk_{t}" for t in transports), "many_raw"),
    )
    for i in range(rounds):
        for group in groups:
            for name in group if i % 2 == 0 else reversed(group):
                results[name].append(await jobs[name]())
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio misses its target")
    installed = "websockets,picows" if picows_available() else "websockets"
    parser.add_argument("--transports", default=installed, help=f"comma-separated (default: {installed})")
    args = parser.parse_args()
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    server, url = start_server()
    try:
        results = asyncio.run(measure(url, args.rounds, args.frames, args.requests, transports))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    med = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"client benchmark: {args.rounds} rounds, medians; {args.frames} frames per stream, "
        f"{args.requests} sequential requests, {CONCURRENT} concurrent; server in its own process"
    )
    ok = True
    for t in transports:
        print(f"transport {t}:")
        ok &= verdict_at_least("  stream vs hand-written", med[f"stream_sdk_{t}"], med["stream_hand"], 1.0, "fr/s")
        ok &= verdict_at_least("  stream vs websockets floor", med[f"stream_sdk_{t}"], med["stream_raw"], 0.70, "fr/s")
        rtt = med[f"rtt_sdk_{t}"]
        ok &= verdict("  round trip vs hand-written", rtt * 1e6, med["rtt_hand"] * 1e6, 1.0, "us")
        ok &= verdict_at_least(
            f"  {CONCURRENT} concurrent (all correlated)", med[f"many_sdk_{t}"], med["many_raw"], 0.5, "req/s"
        )
    print(
        f"{'for information: raw echo':<34} {med['rtt_raw'] * 1e6:8.3f} us   (send/receive, no parsing; hand-written "
        f"{med['rtt_hand'] / med['rtt_raw']:.2f}x; SDK "
        + ", ".join(f"{t} {med[f'rtt_sdk_{t}'] / med['rtt_raw']:.2f}x" for t in transports)
        + ")"
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
