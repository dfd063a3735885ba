"""Mutation testing of the modules where a silent bug costs users most (``make mutation``; not part of ``make test``).

mutmut (3.x) changes the code one small edit at a time (a ``<`` becomes ``<=``, a constant changes, a call is
dropped) and runs the tests that cover the changed function; a mutant that no test notices "survived" and points at
behaviour nothing guards. Two figures per module: the share of all mutants killed, and the mutation score, the
share killed among those a test could kill (equivalent mutants, listed with the reason, left out).

Why each module runs in its own scratch folder (``.cache/mutation/<module>``): the tests import the GENERATED copy
of the runtime (``generated/fleetfreedom``, installed editable through a .pth), so that copy is what must be
mutated, under its real module name. mutmut names a mutant after its path and puts its ``mutants/`` copy first on
``sys.path``; so the scratch folder holds the package at its top (``<scratch>/fleetfreedom``), a copy of ``tests/``
and a pyproject.toml naming the focused test files for that module (the whole suite would take hours on two cores).
The tests' ``PROJECT`` then resolves to the mutated copy too, so a generator test that runs ``python -m generator``
in a subprocess (PYTHONPATH=PROJECT) runs the mutant. The scratch folder is made anew each run, so figures never
come from a stale copy.

    python tools/mutation.py              # every module
    python tools/mutation.py codec cache  # some of them (make mutation MODULE=codec)
    python tools/mutation.py --show codec # also print the diff of each surviving mutant
    python tools/mutation.py protocol --only '*_reply__mutmut_*'   # one function's mutants while writing its tests
    python tools/mutation.py protocol --jobs 1 --only '...'        # one mutant at a time (a shared machine)

Surviving mutants explained as equivalent (no test can tell them apart from the original) are listed, one per
line with the reason, in tools/mutation-equivalents/<module>.md; they are reported as explained, not as killed.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SCRATCH = PROJECT / ".cache" / "mutation"
EQUIVALENTS = PROJECT / "tools" / "mutation-equivalents"  # one Markdown file per module or area
RUNTIME = PROJECT / "generated" / "fleetfreedom"

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code): a test failing, pytest crashing, a timeout or
# the type checker refusing the mutant all mean the change was noticed.
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass(frozen=True)
class Module:
    package: Path  # the package folder whose copy is mutated (the generated runtime, or generator/)
    files: tuple[str, ...]  # files inside the package to mutate
    tests: tuple[str, ...]  # the test files that cover them, as glob patterns under the project (none may be missing)
    also_copy: tuple[str, ...] = ()  # project folders the tests read (resolved from tests/ as PROJECT/<name>)
    extra: tuple[str, ...] = field(default=())  # extra pytest arguments


MODULES: dict[str, Module] = {
    "protocol": Module(
        RUNTIME,
        ("_protocol.py", "_receipt.py"),
        (
            "tests/test_client_protocol.py",
            "tests/test_wire_receipt.py",
            "tests/test_reconnect_policy.py",
            "tests/test_guard_protocol*.py",
            "tests/test_guard_receipt*.py",
            "tests/test_client_behaviour.py",
            "tests/test_user_session.py",
            "tests/test_machine_auth.py",
            "tests/test_open_enums.py",
            "tests/test_reliability_proxy.py",
        ),
        # this one runs the docs' example page, which lives in generated/docs (not in the scratch copy)
        extra=("--deselect", "tests/test_machine_auth.py::test_the_docs_example_runs_against_the_emulator"),
    ),
    "codec": Module(
        RUNTIME,
        ("_codec.py",),
        (
            "tests/test_reliability_codec.py",
            "tests/test_wire_receipt.py",
            "tests/test_guard_codec*.py",
            "tests/test_decode_all.py",
            "tests/test_vendor_wire.py",
            "tests/test_open_enums.py",
        ),
    ),
    "cache": Module(
        RUNTIME,
        ("_cache_core.py", "_cache_pieces.py", "_changes.py"),
        (
            "tests/test_cache_core.py",
            "tests/test_cache_list_race.py",
            "tests/test_guard_cache*.py",
            "tests/test_cache.py",
            "tests/test_cache_streams.py",
        ),
    ),
    "emulator": Module(
        RUNTIME,
        ("testing/_semantics.py",),
        (
            "tests/test_emulator_protocol.py",
            "tests/test_guard_emulator*.py",
            "tests/test_emulator_robustness.py",
            "tests/test_reliability_emulator.py",
            "tests/test_emulator_controls.py",
            "tests/test_emulator_seed.py",
            "tests/test_emulator_list_filters.py",
        ),
        # test_emulator_generic.py is left out: it generates a fresh package from schema/ in a subprocess, so it
        # needs schema/ and generator/ and never imports the mutated copy. These two measure wall-clock limits,
        # which a loaded machine (mutmut's own workers) breaks on the unmutated code.
        extra=(
            "--deselect",
            "tests/test_reliability_emulator.py::test_3_a_client_that_never_reads_is_cut_off_at_the_byte_limit",
            "--deselect",
            "tests/test_reliability_emulator.py::test_sigterm_stops_the_cli_emulator_well_under_a_second_closing_sessions",
        ),
    ),
    "generator": Module(
        PROJECT / "generator",
        ("write/tree.py", "pipeline.py", "maintainer/diff.py"),
        (
            "tests/test_run_cache.py",
            "tests/test_diff.py",
            "tests/test_guard_generator*.py",
            "tests/test_reliability_atomic.py",
            "tests/test_incremental.py",
        ),
        also_copy=("schema", "templates", "generated", "runtime"),
    ),
}


def test_files(module: Module) -> list[str]:
    """The module's test files, glob patterns expanded; a plain path that does not exist is a mistake, not a skip."""
    found: list[str] = []
    for pattern in module.tests:
        matches = sorted(str(p.relative_to(PROJECT)) for p in PROJECT.glob(pattern))
        if not matches and not glob.has_magic(pattern):
            raise SystemExit(f"tools/mutation.py: no test file matches {pattern!r}")
        found += [m for m in matches if m not in found]
    return found


def prepare(name: str, module: Module) -> Path:
    """A fresh scratch folder laid out the way mutmut expects (see the module docstring)."""
    root = SCRATCH / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    package = module.package.name
    shutil.copytree(module.package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__", "snapshots"))
    for extra in module.also_copy:
        # symlinks stay links (generated/ links into runtime/, and `generator check` insists on links)
        shutil.copytree(PROJECT / extra, root / extra, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    tests = test_files(module)
    settings = {
        "source_paths": [package],
        "only_mutate": [f"{package}/{f}" for f in module.files],
        "also_copy": list(module.also_copy),
        "pytest_add_cli_args": ["-p", "no:randomly", "-p", "no:cacheprovider", "-q", *module.extra],
        "pytest_add_cli_args_test_selection": tests,
    }
    markers = ["slow: takes more than a few seconds", "soak: the short soak run"]
    lines = [
        "[tool.mutmut]",
        *(f"{k} = {json.dumps(v)}" for k, v in settings.items()),
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        f"markers = {json.dumps(markers)}",
        "",
    ]
    (root / "pyproject.toml").write_text("\n".join(lines))
    return root


def results(root: Path, module: Module) -> dict[str, int | None]:
    """Exit code per mutant, read from mutmut's own bookkeeping (mutants/<file>.meta)."""
    out: dict[str, int | None] = {}
    for f in module.files:
        meta = root / "mutants" / module.package.name / (f + ".meta")
        if meta.exists():
            out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def equivalents() -> dict[str, str]:
    """Mutant name -> why it is equivalent, from tools/mutation-equivalents/*.md (``- `name`: why`` lines)."""
    found: dict[str, str] = {}
    for page in sorted(EQUIVALENTS.glob("*.md")):
        found.update(re.findall(r"^- `([^`]+)`:\s*(.+)$", page.read_text(), flags=re.MULTILINE))
    return found


@dataclass(frozen=True)
class Score:
    """One module's result. ``score`` is the usual mutation score: killed among the mutants a test could kill
    (all minus those explained as equivalent); ``killed_share`` counts every mutant, so both are printed."""

    total: int = 0
    killed: int = 0
    explained: int = 0
    unexplained: tuple[str, ...] = ()
    ran: bool = False

    @property
    def killed_share(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 0.0

    @property
    def score(self) -> float:
        killable = self.total - self.explained
        return 100.0 * self.killed / killable if killable else 0.0


def run(name: str, module: Module, show: bool, mutmut: str, only: list[str], jobs: int | None) -> Score:
    root = prepare(name, module)
    started = time.monotonic()
    tests = test_files(module)
    print(f"== {name}: mutating {', '.join(module.files)} against {len(tests)} test files", flush=True)
    log = root / "mutmut.log"
    parallel = ["--max-children", str(jobs)] if jobs else []
    with log.open("w") as out:
        done = subprocess.run(
            [mutmut, "run", *parallel, *only], cwd=root, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    codes = results(root, module)
    if "failed to collect stats" in log.read_text(errors="replace"):
        # the unmutated tests did not pass in the scratch copy: no mutant was run, and a 0 % would be a lie
        print(f"   the tests fail on the unmutated code in {root}, so no mutant was run; see {log}")
        return Score()
    if only:  # mutmut lists every mutant in its bookkeeping; count only those asked for
        codes = {k: c for k, c in codes.items() if any(fnmatch.fnmatch(k, pattern) for pattern in only)}
    if done.returncode != 0 and not codes:
        print(f"   mutmut failed (exit {done.returncode}); its output is in {log}")
        return Score()
    explained = equivalents()
    survivors = sorted(k for k, c in codes.items() if c not in KILLED)
    unexplained = tuple(k for k in survivors if k not in explained)
    result = Score(len(codes), len(codes) - len(survivors), len(survivors) - len(unexplained), unexplained, True)
    print(
        f"   {result.total} mutants, {result.killed} killed ({result.killed_share:.1f} % of all), "
        f"{result.explained} explained as equivalent, score {result.score:.1f} % (killed / not equivalent), "
        f"{len(unexplained)} unexplained survivors [{time.monotonic() - started:.0f} s]",
        flush=True,
    )
    unchecked = sum(1 for k in unexplained if codes[k] is None)
    if unchecked:
        # mutmut stopped (or was stopped) before these ran: they are counted as not killed, never as killed
        print(f"   {unchecked} mutants were never run (mutmut exit {done.returncode}); its output is in {log}")
    for key in unexplained:
        status = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}.get(
            codes[key], f"exit {codes[key]}"
        )
        print(f"   {status}: {key}")
        if show and codes[key] is not None:  # a mutant never run has nothing to show yet
            diff = subprocess.run([mutmut, "show", key], cwd=root, capture_output=True, text=True, check=False)
            print("      " + diff.stdout.strip().replace("\n", "\n      "))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], help="modules to run (default: all)")
    parser.add_argument("--show", action="store_true", help="print the diff of each surviving mutant")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="run only the mutants whose name matches (repeatable), e.g. '*Protocol*_reply__mutmut_*'",
    )
    parser.add_argument("--jobs", type=int, metavar="N", help="mutants run at once (default: mutmut's, one per core)")
    args = parser.parse_args(argv)
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent))
    if mutmut is None:
        print("mutmut is not installed in this environment: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    names = args.modules or list(MODULES)
    summary = {name: run(name, MODULES[name], args.show, mutmut, args.only, args.jobs) for name in names}
    print("\nmodule      mutants  killed  killed % of all  explained  score %  unexplained survivors")
    for name, r in summary.items():
        print(
            f"{name:<11} {r.total:>7}  {r.killed:>6}  {r.killed_share:>15.1f}  {r.explained:>9}  {r.score:>7.1f}  "
            f"{len(r.unexplained):>5}"
        )
    return 0 if all(r.ran for r in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
