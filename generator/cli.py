"""``python -m generator``: generate, check, diff and release the SDK from schema/.

Exit codes: 0 success; 1 ``check`` found a difference, ``diff --fail-on-breaking`` found a breaking change,
``coverage`` found something not covered, or ``wire`` an unexplained difference; 2 the schema (or the catalogue)
has problems or an argument names something unusable (nothing written).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .diagnostics import SchemaError
from .maintainer import release
from .maintainer.changelog import render_changelog, render_report, to_json
from .maintainer.coverage import CatalogueError, coverage, render
from .maintainer.diff import diff_apis
from .maintainer.revisions import SideSchemaError, SourceError, load_side
from .maintainer.wire_compare import WireReferenceError, compare, load_reference
from .maintainer.wire_compare import render as render_wire
from .maintainer.wire_compare import to_json as wire_json
from .pipeline import DEFAULT_CACHE, DEFAULT_CATALOGUE, DEFAULT_OUTPUT, DEFAULT_SCHEMA, generate_files, load_api
from .write.tree import diff_links, diff_trees, read_links, read_tree, write_tree


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="schema folder (default: schema/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="output folder (default: generated/)")
    parser.add_argument("--no-cache", action="store_true", help="run every step again, ignoring .cache/")


def _cmd_generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    generated = generate_files(args.schema, None if args.no_cache else DEFAULT_CACHE)
    before = read_tree(args.out)
    write_tree(args.out, generated.files, generated.links)
    changed = sum(1 for path, text in generated.files.items() if before.get(path) != text)
    removed = len(set(before) - set(generated.files))
    how = " (inputs unchanged: cached run)" if generated.cached else ""
    print(f"generated {args.out} from {args.schema} in {time.perf_counter() - started:.2f} s{how}")
    for kind, count in generated.counts.items():
        print(f"  {kind:<20} {count:>5}")
    print(f"  {'files':<20} {len(generated.files):>5}  ({changed} changed, {removed} removed)")
    print(f"  {'links':<20} {len(generated.links):>5}  (to hand-written files: runtime/, templates/docs)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    generated = generate_files(args.schema, None if args.no_cache else DEFAULT_CACHE)
    on_disk = read_tree(args.out)
    links = diff_links(read_links(args.out), generated.links)
    if on_disk == generated.files and not links:
        print(f"{args.out} is up to date ({len(generated.files)} files)")
        return 0
    print(f"{args.out} differs from what the schema generates; run `python -m generator generate`:")
    print(diff_trees(on_disk, generated.files) + links, end="")
    return 1


def _cmd_diff(args: argparse.Namespace) -> int:
    old = load_side(args.old, args.schema)
    new = load_side(args.new or str(args.schema), args.schema)
    diff = diff_apis(old.api, new.api)
    if args.json:
        print(to_json(diff, old.label, new.label), end="")
    elif args.markdown:
        print(render_changelog(diff, args.markdown_version or "Unreleased"), end="")
    else:
        print(render_report(diff, old.label, new.label, every_change=args.all), end="")
    return 1 if args.fail_on_breaking and diff.breaking else 0


def _cmd_release(args: argparse.Namespace) -> int:
    if args.check:
        gate = release.check_gate(args.schema)
        print(gate.text)
        return 0 if gate.ok else 1
    plan = release.plan(args.schema, args.base, args.version, args.date)
    if plan.base is None:
        print(f"No release tag yet: first release of {plan.current.api.service.package} {plan.version}.")
    else:
        print(render_report(plan.diff, plan.base.label, plan.current.label), end="")
        if not plan.diff.changes:
            print(f"Nothing changed since {plan.base.label}; nothing to release.")
            return 0
    print(f"\nChangelog section for {plan.version}:\n\n{plan.section}")
    if args.dry_run:
        print("Dry run: nothing written.")
        return 0
    generated = release.apply(plan, args.schema, args.out, None if args.no_cache else DEFAULT_CACHE)
    package = plan.current.api.service.package
    print(f"Released {package} {plan.version}: {args.schema}/api.yaml and CHANGELOG.md updated,")
    print(f"{args.out} regenerated ({len(generated.files)} files). Review, commit, then tag: git tag v{plan.version}")
    return 0


def _add_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = commands.add_parser(
        "diff",
        help="what changed between two schemas and what it means for users (breaking or not, version bump)",
        description="Compare two API models. OLD and NEW are schema folders or git revisions (git:v1.2.0, "
        "git:HEAD~1; read from the repository holding --schema).",
    )
    diff.add_argument("old", metavar="OLD", help="schema folder or git:<revision>")
    diff.add_argument("new", metavar="NEW", nargs="?", help="schema folder or git:<revision> (default: --schema)")
    diff.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="working schema folder (default: schema/)")
    output = diff.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable output")
    output.add_argument("--markdown", action="store_true", help="only the changelog section, in Markdown")
    diff.add_argument("--markdown-version", help="version heading of the --markdown section (default: Unreleased)")
    diff.add_argument(
        "--all", action="store_true", help="list every revised description on its own line (default: a summary)"
    )
    diff.add_argument("--fail-on-breaking", action="store_true", help="exit 1 when any change is breaking (for CI)")
    diff.set_defaults(run=_cmd_diff)


def _add_release(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rel = commands.add_parser(
        "release",
        help="bump the version, prepend the changelog and regenerate, from the diff against the last release",
        description=release.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _paths(rel)
    rel.add_argument("--base", help="the last release: schema folder or git:<revision> (default: git:v<version>)")
    rel.add_argument("--version", help="release this version instead of the computed one (not smaller)")
    rel.add_argument(
        "--date", default=datetime.date.today().isoformat(), help="date in the changelog heading (default: today)"
    )
    rel.add_argument("--dry-run", action="store_true", help="show the report and the changelog section only")
    rel.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when schema/ has breaking changes since the newest release tag without the version bump they "
        "need (for CI; passes when there is no release tag)",
    )
    rel.set_defaults(run=_cmd_release)


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


def _cmd_wire(args: argparse.Namespace) -> int:
    try:
        report = compare(load_api(args.schema), load_reference(args.reference))
    except WireReferenceError as exc:
        print(f"wire: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(wire_json(report), indent=2))
    else:
        print(render_wire(report, verbose=args.verbose), end="")
    return 0 if report.ok else 1


def _add_wire(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    wire = commands.add_parser(
        "wire",
        help="compare schema/ key by key with the vendor's own clients; exit 1 on an unexplained difference",
        description="Compare the schema with reference/vendor-wire (the keys and kinds the vendor's TypeScript "
        "and C# clients read and write). Differences are fixed in the schema or explained there with x-wire.",
    )
    wire.add_argument(
        "reference",
        type=Path,
        nargs="?",
        default=DEFAULT_CATALOGUE,
        help="reference folder holding vendor-wire/ and commands.json (default: ../shared/reference)",
    )
    wire.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="schema folder (default: schema/)")
    wire.add_argument("--json", action="store_true", help="print the report as JSON")
    wire.add_argument("--verbose", "-v", action="store_true", help="also list the keys only the schema has")
    wire.set_defaults(run=_cmd_wire)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write generated/ from schema/ (atomically)")
    _paths(gen)
    gen.set_defaults(run=_cmd_generate)
    check = commands.add_parser("check", help="exit 1 and show a diff when generated/ is not what schema/ makes")
    _paths(check)
    check.set_defaults(run=_cmd_check)
    _add_diff(commands)
    _add_release(commands)
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
    _add_wire(commands)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (SourceError, release.ReleaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SchemaError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        where = exc.label if isinstance(exc, SideSchemaError) else "the schema"
        print(f"{len(exc.diagnostics)} problem(s) in {where}; nothing was written.", file=sys.stderr)
        return 2
