#!/usr/bin/env python3
"""Memory of the sync cache: 100 000 cached assets (general, advanced and dispatch parts) against their JSON size
(target <= 2x).

    python benchmarks/bench_cache_memory.py [--assets 100000] [--check]

The parts arrive as ``…Merged`` frames, decoded by the SDK's codec and applied to the cache core, exactly as the
client's reader hands them over. The figure is the memory the cache still holds afterwards (``tracemalloc``, after
a garbage collection; the frame texts were made before tracing started, so only what the cache keeps is counted).
The baseline is the size of those objects' JSON (compact, UTF-8), measured in the same run. For information, the
same objects kept as pydantic models are measured on a sample.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from typing import Any

from _common import verdict
from fleetfreedom._cache_core import CacheCore
from fleetfreedom._codec import decode
from fleetfreedom._events import ServerMessage
from pydantic import BaseModel

COMPANY = 42
LABELS: tuple[list[str], ...] = (["refrigerated"], ["north", "long-haul"], [], ["hazmat", "tanker", "night"])
KINDS = ("vehicle", "trailer", "person", "asset")


def pushed_data(text: str) -> BaseModel:
    """The model a pushed frame carries (only the model is kept, as a user holding models would)."""
    message = decode(text)[1]
    assert isinstance(message, ServerMessage), message
    return message.data


def general(i: int) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": 1000 + i,
        "company": COMPANY,
        "kind": KINDS[i % 4],
        "name": f"Unit {i:06d}",
        "labels": LABELS[i % 4],
        "references": {"fleet": f"F-{i:06d}", "cost": f"CC-{i % 97}"},
        "v": [1 + i % 7],
    }
    if i % 4 == 0:
        obj.update(vin=f"1FTFW1E50PF{i:06d}", plate=f"AC {i % 9999:04d}", make="Ford", model="F-150", year=2023)
    if i % 3 == 0:
        obj["notes"] = "Checked monthly; keys at the depot office."
    return obj


def advanced(i: int) -> dict[str, Any]:
    return {
        "id": 1000 + i,
        "company": COMPANY,
        "position": {
            "lat": 43.6532 + i * 1e-5,
            "lng": -79.3832 - i * 1e-5,
            "dts": "2024-05-01T12:34:56Z",
            "speed": float(i % 120),
            "bearing": float(i % 360),
            "address": f"{i % 900 + 1} King St W, Toronto",
        },
        "odometer": 12000.5 + i,
        "tags": ["ignition-on"] if i % 2 else [],
        "v": [1 + i % 11],
    }


def dispatch(i: int) -> dict[str, Any]:
    return {"id": 1000 + i, "company": COMPANY, "jobs": [i * 3, i * 3 + 1] if i % 5 == 0 else [], "v": [1]}


PARTS = (("assetGeneralMerged", general), ("assetAdvancedMerged", advanced), ("assetDispatchMerged", dispatch))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--check", action="store_true", help="exit 1 when the ratio is over its target")
    args = parser.parse_args()

    bodies = [json.dumps(make(i), separators=(",", ":")) for i in range(args.assets) for _, make in PARTS]
    names = [name for _ in range(args.assets) for name, _ in PARTS]
    json_bytes = sum(len(body.encode()) for body in bodies)
    frames = [f"{name} {body}" for name, body in zip(names, bodies, strict=True)]
    del bodies

    def fresh_core() -> CacheCore:
        core = CacheCore()
        core.track_changes = False
        for name in ("AssetGeneral", "AssetAdvanced", "AssetDispatch"):
            core.watch(COMPANY, name)
        return core

    warm = fresh_core()  # first use imports the model modules: not the cache's memory
    for text in frames[:3]:
        warm.apply(decode(text)[1])
    del warm
    gc.collect()

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    core = fresh_core()
    for text in frames:
        core.apply(decode(text)[1])
    elapsed = time.perf_counter() - started
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert core.count("Asset") == args.assets and core.count("AssetAdvanced") == args.assets

    sample = min(5_000, args.assets)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    models = [pushed_data(text) for text in frames[: 3 * sample]]
    as_models = (tracemalloc.get_traced_memory()[0] - before) / sample
    tracemalloc.stop()
    del models

    mib = 1024 * 1024
    print(f"{args.assets} assets, 3 parts each: {len(frames)} frames applied in {elapsed:.1f} s")
    print(f"for information: as pydantic models they would hold {as_models * args.assets / mib:.1f} MiB")
    ok = verdict("cache memory, 100k assets" if args.assets == 100_000 else "cache memory", held / mib,
                 json_bytes / mib, 2.0, "MiB")  # fmt: skip
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
