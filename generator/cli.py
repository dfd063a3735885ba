"""``python -m generator``: generate, check (and more maintainer commands as they arrive).

Exit codes: 0 success, 1 ``check`` found a difference (``coverage``: something is not covered), 2 the schema (or
the catalogue) has problems and nothing was written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .coverage import CatalogueError, coverage, render
from .diagnostics import SchemaError
from .pipeline import DEFAULT_CACHE, DEFAULT_CATALOGUE, DEFAULT_OUTPUT, DEFAULT_SCHEMA, generate_files, load_api
from .write import diff_trees, read_tree, write_tree


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="schema folder (default: schema/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="output folder (default: generated/)")
    parser.add_argument("--no-cache", action="store_true", help="run every step again, ignoring .cache/")


def _cmd_generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    generated = generate_files(args.schema, None if args.no_cache else DEFAULT_CACHE)
    before = read_tree(args.out)
    write_tree(args.out, generated.files)
    changed = sum(1 for path, text in generated.files.items() if before.get(path) != text)
    removed = len(set(before) - set(generated.files))
    how = " (inputs unchanged: cached run)" if generated.cached else ""
    print(f"generated {args.out} from {args.schema} in {time.perf_counter() - started:.2f} s{how}")
    for kind, count in generated.counts.items():
        print(f"  {kind:<20} {count:>5}")
    print(f"  {'files':<20} {len(generated.files):>5}  ({changed} changed, {removed} removed)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    generated = generate_files(args.schema, None if args.no_cache else DEFAULT_CACHE)
    on_disk = read_tree(args.out)
    if on_disk == generated.files:
        print(f"{args.out} is up to date ({len(generated.files)} files)")
        return 0
    print(f"{args.out} differs from what the schema generates; run `python -m generator generate`:")
    print(diff_trees(on_disk, generated.files), end="")
    return 1


def _cmd_coverage(args: argparse.Namespace) -> int:
    try:
        report = coverage(load_api(args.schema), args.catalogue)
    except CatalogueError as exc:
        print(f"coverage: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render(report, verbose=args.verbose), end="")
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write generated/ from schema/ (atomically)")
    _paths(gen)
    gen.set_defaults(run=_cmd_generate)
    check = commands.add_parser("check", help="exit 1 and show a diff when generated/ is not what schema/ makes")
    _paths(check)
    check.set_defaults(run=_cmd_check)
    cov = commands.add_parser(
        "coverage", help="compare schema/ with the reference catalogue; exit 1 when something is not covered"
    )
    cov.add_argument(
        "catalogue",
        type=Path,
        nargs="?",
        default=DEFAULT_CATALOGUE,
        help="catalogue folder (default: ../shared/reference)",
    )
    cov.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="schema folder (default: schema/)")
    cov.add_argument("--json", action="store_true", help="print the report as JSON")
    cov.add_argument("--verbose", "-v", action="store_true", help="also list what only the schema has")
    cov.set_defaults(run=_cmd_coverage)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except SchemaError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print(f"{len(exc.diagnostics)} problem(s) in the schema; nothing was written.", file=sys.stderr)
        return 2
