#!/usr/bin/env python3
"""The client over a real socket against a bare ``websockets`` loop, on the same frames from the same server.

    python benchmarks/bench_client.py [--rounds 5] [--frames 20000] [--requests 2000] [--check]

The server (``_wire_server.py``) runs in a process of its own and answers without any logic. In each round, in
alternating order, the SDK and the raw loop do the same work on fresh connections; medians are reported.

- stream: ``n`` ``assetGeneralMerged`` frames read as typed events through ``AsyncClient.events()`` against a raw
  ``async for message in ws`` loop (throughput; target >= 0.70x raw);
- round trip: sequential ``client.assets.get(i)`` against a raw send/receive echo of the same request text
  (time per request; target <= 1.15x raw);
- 1 000 concurrent requests: ``asyncio.gather`` of 1 000 ``client.assets.get(i)``, each reply checked to carry the
  id its caller asked for, against a raw loop that pipelines the same 1 000 frames (throughput, for information).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import PYTHON, verdict, verdict_at_least
from websockets.asyncio.client import ClientConnection, connect

from fleetfreedom import AsyncClient
from fleetfreedom.events import AssetGeneralMerged

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


def client(url: str, frames: int) -> AsyncClient:
    return AsyncClient(url, keepalive=None, ping_interval=None, max_events=frames + 100, timeout=120)


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


async def stream_sdk(url: str, frames: int) -> float:
    async with client(url, frames) as sdk:
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


async def round_trip_sdk(url: str, requests: int) -> float:
    async with client(url, 0) as sdk:
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


async def concurrent_sdk(url: str) -> float:
    async with client(url, 0) as sdk:
        ids = list(range(1, CONCURRENT + 1))
        started = time.perf_counter()
        replies = await asyncio.gather(*(sdk.assets.get(i) for i in ids))
        elapsed = time.perf_counter() - started
        wrong = [(i, r.asset.id) for i, r in zip(ids, replies, strict=True) if r.asset.id != i]
        if wrong:
            raise SystemExit(f"{len(wrong)} replies reached the wrong caller, e.g. {wrong[:3]}")
        return CONCURRENT / elapsed


async def measure(url: str, rounds: int, frames: int, requests: int) -> dict[str, list[float]]:
    jobs = {
        "stream_sdk": lambda: stream_sdk(url, frames),
        "stream_raw": lambda: stream_raw(url, frames),
        "rtt_sdk": lambda: round_trip_sdk(url, requests),
        "rtt_raw": lambda: round_trip_raw(url, requests),
        "many_sdk": lambda: concurrent_sdk(url),
        "many_raw": lambda: concurrent_raw(url),
    }
    await stream_sdk(url, 1000)  # warm up: validators built, code paths hot
    await round_trip_sdk(url, 100)
    results: dict[str, list[float]] = {name: [] for name in jobs}
    for i in range(rounds):
        for pair in (("stream_sdk", "stream_raw"), ("rtt_sdk", "rtt_raw"), ("many_sdk", "many_raw")):
            for name in pair if i % 2 == 0 else reversed(pair):
                results[name].append(await jobs[name]())
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio misses its target")
    args = parser.parse_args()
    server, url = start_server()
    try:
        results = asyncio.run(measure(url, args.rounds, args.frames, args.requests))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    med = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"client benchmark: {args.rounds} rounds, medians; {args.frames} frames per stream, "
        f"{args.requests} sequential requests, {CONCURRENT} concurrent; server in its own process"
    )
    ok = verdict_at_least("stream via events()", med["stream_sdk"], med["stream_raw"], 0.70, "fr/s")
    ok &= verdict("sequential round trip", med["rtt_sdk"] * 1e6, med["rtt_raw"] * 1e6, 1.15, "us")
    print(
        f"{f'{CONCURRENT} concurrent requests':<34} {med['many_sdk']:8.0f} req/s baseline {med['many_raw']:8.0f} "
        f"req/s   ratio {med['many_sdk'] / med['many_raw']:5.2f}x   (raw pipelining; no target) "
        f"every reply reached its caller"
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
