#!/usr/bin/env python3
"""Import cost of the SDK: ``import fleetfreedom`` against ``import pydantic, websockets`` (target <= 2x).

    python benchmarks/bench_import.py [--runs 40] [--check]

Each run starts fresh interpreters (alternating which goes first) and records the import time measured inside
the interpreter; the medians and their ratio are printed, with the whole-process times for reference. Bytecode
is compiled first, as ``pip install`` does for users. Also measured: a whole ``python -c`` process that imports
``fleetfreedom`` and decodes one frame against one that imports ``pydantic`` and ``websockets`` (target <= 2x), and,
for information, importing every section's models with pydantic's ``defer_build`` on (the default) and off.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import sys
from pathlib import Path

from _common import PYTHON, environment, median, timed, verdict

SNIPPET = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
IMPORT_SDK = "import fleetfreedom"
IMPORT_BASELINE = "import pydantic, websockets"
FIRST_DECODE = (
    "import fleetfreedom; fleetfreedom.decode_frame('assetGeneralMerged "
    '{"id": 7, "company": 42, "name": "Truck 13", "v": [3]}\')'
)
ALL_MODELS = (
    "import fleetfreedom._base as b; b.WireModel.model_config['defer_build'] = {defer}; "
    "import importlib, fleetfreedom._registry as r; "
    "[importlib.import_module(s.path.partition(':')[0]) for s in r.TYPES.values()]"
)


def measure(stmt: str) -> tuple[float, float]:
    """(seconds inside the interpreter, seconds for the whole process)."""
    wall, out = timed([PYTHON, "-c", SNIPPET.format(stmt=stmt)], env=environment())
    return float(out.strip().splitlines()[-1]), wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over its target")
    args = parser.parse_args()

    spec = importlib.util.find_spec("fleetfreedom")
    assert spec is not None and spec.origin is not None, "fleetfreedom is not installed (make setup)"
    compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)

    sdk: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    decode: list[tuple[float, float]] = []
    for i in range(args.runs):
        trio = [(sdk, IMPORT_SDK), (base, IMPORT_BASELINE), (decode, FIRST_DECODE)]
        for into, stmt in trio if i % 2 == 0 else reversed(trio):
            into.append(measure(stmt))
    lazy, eager = [], []
    for _ in range(max(3, args.runs // 8)):
        lazy.append(measure(ALL_MODELS.format(defer=True))[0])
        eager.append(measure(ALL_MODELS.format(defer=False))[0])

    print(f"import benchmark: {args.runs} runs each, medians, Python {sys.version.split()[0]}")
    ok = verdict("import fleetfreedom", median([s for s, _ in sdk]), median([s for s, _ in base]), 2.0)
    verdict("  whole process, import only", median([w for _, w in sdk]), median([w for _, w in base]), 2.0)
    ok &= verdict("process: import + decode 1 frame", median([w for _, w in decode]), median([w for _, w in base]), 2.0)
    print(
        f"  for reference: import + first decode inside the process {median([s for s, _ in decode]):.3f} s; "
        f"every section's models: defer_build on {median(lazy):.3f} s, off {median(eager):.3f} s"
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
