#!/usr/bin/env python3
"""Decoding cost and the memory of decoded objects.

    python benchmarks/bench_codec.py [--repeat 9] [--check]

- ``decode_frame`` on a typical sync frame (``assetGeneralMerged`` with a dozen fields) against ``json.loads`` of
  its body (target <= 1.1x, issue 16): the typed event costs about as much as the bare JSON parse;
- for information: memory of 100 000 decoded ``AssetGeneral`` models held by id against the size of their JSON
  (what a naive cache of models would cost; the sync cache stores compact JSON instead, see
  bench_cache_memory.py for its figure and target).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import timeit
import tracemalloc
from typing import Any

import fleetfreedom
from _common import verdict
from fleetfreedom.events import AssetGeneralMerged

FRAME = (
    'assetGeneralMerged {"id":1042,"company":42,"kind":"vehicle","name":"Truck 13","notes":"Night shift",'
    '"labels":["north","reefer"],"messagingAddress":"truck13@acme.example","references":{"fleet":"F-13"},'
    '"vin":"1FTFW1ET5DFC10312","plate":"ABC-1234","make":"Ford","model":"F-150","year":2021,"colour":"#336699",'
    '"v":[57]}'
)
OBJECTS = 100_000


def per_call(fn: Any, number: int, repeat: int) -> float:
    """Median seconds per call over ``repeat`` timed batches of ``number`` calls."""
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def decode_speed(repeat: int) -> bool:
    body = FRAME.partition(" ")[2]
    assert isinstance(fleetfreedom.decode_frame(FRAME), AssetGeneralMerged)  # warm: validators built
    number = 20_000
    sdk: list[float] = []
    base: list[float] = []
    for i in range(repeat):  # interleaved, so both see the same machine load
        pair = [(sdk, lambda: fleetfreedom.decode_frame(FRAME)), (base, lambda: json.loads(body))]
        for into, fn in pair if i % 2 == 0 else reversed(pair):
            into.append(per_call(fn, number, 1))
    return verdict("decode_frame (typical sync frame)", median_us(sdk), median_us(base), 1.1, "us")


def median_us(values: list[float]) -> float:
    return statistics.median(values) * 1e6


def bodies(count: int) -> list[str]:
    rng = random.Random(1)
    out = []
    for i in range(count):
        obj = {
            "id": 100_000 + i,
            "company": 42 + i % 50,
            "kind": rng.choice(["vehicle", "person", "trailer", "asset"]),
            "name": f"Unit {i:06d}",
            "notes": rng.choice(["", "Night shift", "Spare", "Reefer, check seals"]),
            "labels": rng.sample(["north", "south", "reefer", "heavy", "leased"], k=2),
            "references": {"fleet": f"F-{i % 997}"},
            "plate": f"{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
            "year": 2010 + i % 15,
            "v": [rng.randrange(1, 500)],
        }
        out.append(json.dumps(obj, separators=(",", ":")))
    return out


def model_memory() -> None:
    from fleetfreedom.models.assets import AssetGeneral

    texts = bodies(OBJECTS)
    json_bytes = sum(len(t.encode("utf-8")) for t in texts)
    AssetGeneral.model_validate_json(texts[0])  # build the validator before measuring
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = {}
    for text in texts:
        obj = AssetGeneral.model_validate_json(text)
        held[obj.id] = obj
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(held) == OBJECTS
    print(
        f"  for information: {OBJECTS} decoded AssetGeneral models hold {used / 2**20:.1f} MiB, "
        f"{used / json_bytes:.1f}x their {json_bytes / 2**20:.1f} MiB of JSON (the sync cache: bench_cache_memory.py)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over its target")
    args = parser.parse_args()
    print(f"codec benchmark: medians of {args.repeat} batches, Python {sys.version.split()[0]}")
    ok = decode_speed(args.repeat)
    model_memory()
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
