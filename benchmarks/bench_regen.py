#!/usr/bin/env python3
"""Regeneration cost against datamodel-code-generator (DCG) alone on the same object definitions.

    python benchmarks/bench_regen.py [--runs 3] [--check]

In each round, in alternating order, three fresh processes are timed (wall clock, medians reported):
- DCG alone: import datamodel_code_generator and generate the models from the JSON Schema bundle of the real
  schema (``generator.emit.model_schema.bundle``), with the options the generator uses — the baseline;
- cold regeneration: ``python -m generator generate --no-cache`` into a temporary folder (target <= 3x DCG);
- one-line edit: in a copy of ``schema/``, one field description gets a new sentence (a new one each round,
  so the run cache never answers), then ``python -m generator generate`` with the caches warm from the previous
  round — the maintainer's usual loop (target <= 0.5x DCG);
- one-field edit: the same, but one field gets a new name (a new one each round), so the models change and
  datamodel-code-generator must run again (target <= 0.5x DCG, as issue 16 asks);
- no-change check: ``python -m generator check`` against an up-to-date folder with the run cache warm
  (target <= 0.5x DCG).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from _common import PROJECT, PYTHON, median, timed, verdict

sys.path.insert(0, str(PROJECT))

from generator.emit.model_schema import aliases, bundle
from generator.pipeline import DEFAULT_SCHEMA, load_api

EDITED_FILE = Path("types/billing.yaml")
EDITED_LINE = "description: Unique identifier of this billing profile."
EDITED_FIELD = "\n      target:\n"  # a property of the same type, renamed in the one-field edit

DCG_ALONE = """
import json, sys
import datamodel_code_generator as dcg
from generator.emit.models import dcg_options
dcg.generate(open(sys.argv[1]).read(), **dcg_options(json.load(open(sys.argv[2])), sys.argv[3]))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over its target")
    args = parser.parse_args()

    api = load_api()
    with tempfile.TemporaryDirectory(prefix="bench-regen-") as tmp:
        work = Path(tmp)
        (work / "bundle.json").write_text(json.dumps(bundle(api)))
        (work / "aliases.json").write_text(json.dumps(aliases(api)))
        warm = work / "warm"
        timed([PYTHON, "-m", "generator", "generate", "--out", str(warm)])  # fills the caches, not timed
        schema = work / "schema"
        shutil.copytree(DEFAULT_SCHEMA, schema)
        edited = schema / EDITED_FILE
        original = edited.read_text(encoding="utf-8")
        assert EDITED_LINE in original, f"benchmark edit target moved: {EDITED_LINE!r} not in {EDITED_FILE}"
        edit_out = work / "edit"

        def one_line_edit() -> None:
            # a text no earlier run has seen (the run cache keeps earlier runs, also those of earlier benchmarks)
            edited.write_text(original.replace(EDITED_LINE, f"{EDITED_LINE[:-1]}, edit {uuid.uuid4().hex}."), "utf-8")

        assert EDITED_FIELD in original, f"benchmark edit target moved: {EDITED_FIELD!r} not in {EDITED_FILE}"

        def one_field_edit() -> None:
            # a field no earlier run has seen: the models differ, so datamodel-code-generator's cache misses
            edited.write_text(original.replace(EDITED_FIELD, f"\n      target{uuid.uuid4().hex[:8]}:\n", 1), "utf-8")

        one_line_edit()
        timed([PYTHON, "-m", "generator", "generate", "--schema", str(schema), "--out", str(edit_out)])  # warm

        jobs = {
            "dcg": [
                PYTHON,
                "-c",
                DCG_ALONE,
                str(work / "bundle.json"),
                str(work / "aliases.json"),
                api.service.package,
            ],
            "cold": [PYTHON, "-m", "generator", "generate", "--no-cache", "--out", str(work / "cold")],
            "check": [PYTHON, "-m", "generator", "check", "--out", str(warm)],
            "edit": [PYTHON, "-m", "generator", "generate", "--schema", str(schema), "--out", str(edit_out)],
            "field": [PYTHON, "-m", "generator", "generate", "--schema", str(schema), "--out", str(edit_out)],
        }
        edits = {"edit": one_line_edit, "field": one_field_edit}
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for i in range(args.runs):
            order = list(jobs) if i % 2 == 0 else list(reversed(jobs))
            for name in order:
                if name in edits:
                    edits[name]()
                times[name].append(timed(jobs[name])[0])

    dcg = median(times["dcg"])
    print(f"regeneration benchmark: {args.runs} rounds, medians of wall-clock seconds")
    ok = verdict("one-line edit -> generate", median(times["edit"]), dcg, 0.5)
    ok &= verdict("one-field edit -> generate", median(times["field"]), dcg, 0.5)
    ok &= verdict("cold generate --no-cache", median(times["cold"]), dcg, 3.0)
    ok &= verdict("no-change check", median(times["check"]), dcg, 0.5)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
