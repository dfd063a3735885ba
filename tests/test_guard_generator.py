"""Guards on how the generator writes ``generated/`` and how ``check`` compares it (issue 20, behaviour 8).

In-process, on temporary folders: ``check`` must see every difference (a changed, a missing and a stale extra
file) and only build output may be ignored; ``write_tree`` must leave exactly the files asked for; the run cache
must never serve an entry for other inputs, nor a damaged one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_SCHEMA

from generator import cli, memo, pipeline
from generator.pipeline import Generated, generate_files, input_key
from generator.write import tree as write
from generator.write.tree import diff_trees, read_tree, remove_leftovers, write_tree

# --------------------------------------------------------------------------------------------- check (behaviour 8)


@pytest.fixture(scope="module")
def fixture_run() -> Generated:
    """What the fixture schema generates (through the project's run cache, as ``check`` itself does; a fresh run
    without the cache is compared with it below)."""
    generated = generate_files(FIXTURE_SCHEMA, pipeline.DEFAULT_CACHE)
    assert generated.counts["commands"] > 0
    return generated


@pytest.fixture(scope="module")
def fixture_files(fixture_run: Generated) -> dict[str, str]:
    return fixture_run.files


def _check(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["check", "--schema", str(FIXTURE_SCHEMA), "--out", str(out)])
    return code, capsys.readouterr().out


@pytest.fixture
def out(tmp_path: Path, fixture_run: Generated) -> Path:
    target = tmp_path / "generated"
    write_tree(target, fixture_run.files, fixture_run.links)
    return target


def test_check_passes_on_what_generate_writes(
    out: Path, fixture_files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _check(out, capsys)
    assert code == 0, text
    assert text == f"{out} is up to date ({len(fixture_files)} files)\n"


def test_check_fails_on_a_stale_extra_file(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = next(p for p in out.iterdir() if p.is_dir())
    (package / "stale_module.py").write_text("OLD = 1\n", encoding="utf-8")
    code, text = _check(out, capsys)
    assert code == 1
    assert f"--- generated/{package.name}/stale_module.py" in text and "+++ /dev/null" in text
    assert "-OLD = 1" in text


def test_check_fails_on_a_changed_and_on_a_missing_file(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init = next(out.rglob("__init__.py"))
    init.write_text(init.read_text(encoding="utf-8") + "EXTRA = 2\n", encoding="utf-8")
    code, text = _check(out, capsys)
    assert code == 1 and "-EXTRA = 2" in text and "run `python -m generator generate`" in text
    init.unlink()
    code, text = _check(out, capsys)
    assert code == 1 and "--- /dev/null" in text


def test_check_ignores_build_output_only(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = next(p for p in out.iterdir() if p.is_dir())
    for junk in ("__pycache__/x.cpython-311.pyc", "pkg.egg-info/PKG-INFO", "build/lib/a.py", ".mypy_cache/m.json"):
        (out / junk).parent.mkdir(parents=True, exist_ok=True)
        (out / junk).write_text("junk", encoding="utf-8")
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "y.pyc").write_text("junk", encoding="utf-8")
    assert _check(out, capsys)[0] == 0
    (package / "notes.txt").write_text("not build output", encoding="utf-8")
    assert _check(out, capsys)[0] == 1


def test_check_as_a_maintainer_runs_it(out: Path) -> None:
    """The same through ``python -m generator check`` in a subprocess: the exit code is what CI sees."""
    (out / "leftover.md").write_text("# old\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    args = ["check", "--schema", str(FIXTURE_SCHEMA), "--out", str(out)]
    result = subprocess.run([sys.executable, "-m", "generator", *args], env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 1 and "generated/leftover.md" in result.stdout


# --------------------------------------------------------------------------------------------- read and diff


def test_read_tree(tmp_path: Path) -> None:
    assert read_tree(tmp_path / "absent") == {}
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.py").write_text("c", encoding="utf-8")
    (tmp_path / "top.txt").write_text("é", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    for ignored in ("__pycache__/x.pyc", "a/__pycache__/y.pyc", "x.egg-info/PKG-INFO", "dist/w.whl", "build/z"):
        (tmp_path / ignored).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ignored).write_text("i", encoding="utf-8")
    (tmp_path / "builder.py").write_text("b", encoding="utf-8")  # only the exact names are build output
    tree = read_tree(tmp_path)
    assert tree == {"a/b/c.py": "c", "builder.py": "b", "top.txt": "é"}
    assert list(tree) == sorted(tree)


def test_diff_trees_names_each_side() -> None:
    assert diff_trees({"a": "x\n"}, {"a": "x\n"}) == ""
    text = diff_trees({"a": "x\n", "gone": "g\n"}, {"a": "y\n", "new": "n\n"})
    assert text.splitlines() == [
        "--- generated/a",
        "+++ generated/a",
        "@@ -1 +1 @@",
        "-x",
        "+y",
        "--- generated/gone",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-g",
        "--- /dev/null",
        "+++ generated/new",
        "@@ -0,0 +1 @@",
        "+n",
    ]


def test_diff_trees_context_limit_and_missing_newlines() -> None:
    old = "".join(f"{i}\n" for i in range(10))
    new = old.replace("5\n", "five\n")
    two = diff_trees({"f": old}, {"f": new})
    assert "@@ -4,5 +4,5 @@" in two and " 3\n" in two and " 2\n" not in two  # two lines of context
    one = diff_trees({"f": old}, {"f": new}, context=1)
    assert "@@ -5,3 +5,3 @@" in one
    assert diff_trees({"f": "a"}, {"f": "b"}).splitlines()[-2:] == ["-a", "+b"]
    assert diff_trees({"f": "a"}, {"f": "b"}).endswith("+b\n")
    many = {f"f{i:03}": "x\n" for i in range(100)}
    cut = diff_trees(many, {}, limit=10)
    assert cut.splitlines()[-1] == f"... ({100 * 4 - 10} more diff lines)"
    assert len(cut.splitlines()) == 11
    assert "more diff lines" not in diff_trees(many, {}, limit=400)
    assert len(diff_trees(many, {}).splitlines()) == 201  # the default cut: 200 lines


# --------------------------------------------------------------------------------------------- write


def test_write_tree_leaves_exactly_the_files_and_keeps_build_output(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    write_tree(root, {"pkg/a.py": "a\n", "pkg/sub/b.py": "b\n", "README.md": "r\n"})
    assert read_tree(root) == {"README.md": "r\n", "pkg/a.py": "a\n", "pkg/sub/b.py": "b\n"}
    (root / "pkg.egg-info").mkdir()
    (root / "pkg.egg-info" / "PKG-INFO").write_text("info", encoding="utf-8")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    (root / "pkg" / "stale.py").write_text("old", encoding="utf-8")
    write_tree(root, {"pkg/a.py": "a2\n"})
    assert read_tree(root) == {"pkg/a.py": "a2\n"}
    assert (root / "pkg.egg-info" / "PKG-INFO").read_text(encoding="utf-8") == "info"
    assert (root / "pkg" / "__pycache__" / "a.pyc").read_bytes() == b"\0"
    assert not (root / "pkg" / "sub").exists() and not (root / "README.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]  # no staging folder left behind


def test_write_tree_keeps_the_time_of_unchanged_files(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    write_tree(root, {"same.py": "s\n", "changed.py": "c\n"})
    old = 1_000_000_000
    for name in ("same.py", "changed.py"):
        os.utime(root / name, (old, old))
    write_tree(root, {"same.py": "s\n", "changed.py": "c2\n", "new.py": "n\n"})
    assert (root / "same.py").stat().st_mtime == old
    assert (root / "changed.py").stat().st_mtime != old


def test_write_tree_into_a_missing_folder(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "generated"
    write_tree(root, {"x.py": "x"})
    assert read_tree(root) == {"x.py": "x"}
    assert sorted(p.name for p in root.parent.iterdir()) == ["generated"]


def test_write_tree_without_an_atomic_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2 is missing the tree is replaced by two renames: the result must be the same."""
    root = tmp_path / "generated"
    write_tree(root, {"old.py": "o"})
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    write_tree(root, {"new.py": "n"})
    assert read_tree(root) == {"new.py": "n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_exchange_swaps_two_folders(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "in_a").write_text("1", encoding="utf-8")
    (b / "in_b").write_text("2", encoding="utf-8")
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    assert write._exchange(a, b)  # on Linux the swap is atomic, never the two-rename fallback
    assert [p.name for p in a.iterdir()] == ["in_b"] and [p.name for p in b.iterdir()] == ["in_a"]
    assert not write._exchange(a, tmp_path / "missing")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process of the test's own that stays alive until the test ends; it must not have been signalled (a
    liveness probe that sends a real signal would kill it). Never the test runner's parent: a mutation run's."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    assert child.stdin is not None
    yield child.pid
    child.stdin.close()
    assert child.wait(timeout=30) == 0, "the process was signalled"


def test_leftover_staging_folders_of_dead_runs_are_removed(tmp_path: Path, live_pid: int) -> None:
    root = tmp_path / "generated"
    root.mkdir()
    dead = _dead_pid()
    keep = [
        tmp_path / f".generated.new-{os.getpid()}",  # this run's own
        tmp_path / f".generated.old-{live_pid}",  # a live process
        tmp_path / ".generated.new-abc",  # not a pid
        tmp_path / f".other.new-{dead}",  # another tree's
    ]
    gone = [tmp_path / f".generated.new-{dead}", tmp_path / f".generated.old-{dead}"]
    for path in keep + gone:
        path.mkdir()
        (path / "f").write_text("x", encoding="utf-8")
    assert sorted(remove_leftovers(root)) == sorted(gone)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)
    write_tree(root, {"a": "a"})  # this run's own staging folder is its to reuse: it is gone afterwards
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in keep[1:]] + ["generated"])


def test_alive(live_pid: int) -> None:
    assert write._alive(live_pid)
    assert not write._alive(_dead_pid())


def test_pause_waits_only_at_its_point(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    slept: list[float] = []
    monkeypatch.setattr("generator.write.tree.time.sleep", slept.append)  # the clock the module uses
    monkeypatch.delenv("GENERATOR_TEST_PAUSE", raising=False)
    write._pause("swap")
    monkeypatch.setenv("GENERATOR_TEST_PAUSE", "staging:1")
    write._pause("swap")
    assert slept == [] and capsys.readouterr().err == ""
    write._pause("staging:1")
    assert slept == [60] and capsys.readouterr().err == "paused at staging:1\n"


def test_write_tree_pauses_at_each_announced_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setattr("generator.write.tree.time.sleep", lambda seconds: None)
    root = tmp_path / "generated"
    for point in ("staging:0", "staging:2", "swap", "swapped"):
        monkeypatch.setenv("GENERATOR_TEST_PAUSE", point)
        write_tree(root, {"a": "a", "b": "b"})
        assert capsys.readouterr().err == f"paused at {point}\n"
    monkeypatch.setenv("GENERATOR_TEST_PAUSE", "staging:3")
    write_tree(root, {"a": "a", "b": "b"})
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------------- the run cache


def test_input_key_follows_every_input(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    first = input_key(schema)
    assert first == input_key(schema) and len(first) == 64
    (schema / "__pycache__").mkdir()
    (schema / "__pycache__" / "x.pyc").write_bytes(b"1")
    (schema / "y.pyc").write_bytes(b"1")
    assert input_key(schema) == first  # compiled files are not inputs
    api = schema / "api.yaml"
    text = api.read_text(encoding="utf-8")
    api.write_text(text + "\n", encoding="utf-8")
    changed = input_key(schema)
    assert changed != first
    api.write_text(text, encoding="utf-8")
    assert input_key(schema) == first
    api.rename(schema / "api2.yaml")
    assert input_key(schema) != first  # a renamed file is another input
    assert input_key(tmp_path / "none") != first
    assert pipeline._input_files(tmp_path / "none") == []


def test_input_key_names_each_file_apart_from_its_bytes(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "a").write_text("bc", encoding="utf-8")
    (two / "ab").write_text("c", encoding="utf-8")
    assert input_key(one) != input_key(two)
    (one / "a").write_text("", encoding="utf-8")
    (one / "b").write_text("x", encoding="utf-8")
    (two / "ab").unlink()
    (two / "a").write_text("x", encoding="utf-8")
    (two / "b").write_text("", encoding="utf-8")
    assert input_key(one) != input_key(two)


def test_read_entry_refuses_damaged_entries(tmp_path: Path) -> None:
    path = tmp_path / "e"
    assert pipeline._read_entry(path) is None
    pipeline._write_entry(tmp_path, "e", Generated({"a": "x"}, {"n": 3}))
    assert pipeline._read_entry(path) == Generated({"a": "x"}, {"n": 3}, cached=True)
    sealed = path.read_bytes()
    for raw in (b"", b"{", sealed[:-1], sealed[:40] + bytes([sealed[40] ^ 1]) + sealed[41:]):  # cut or one bit off
        path.write_bytes(raw)
        assert pipeline._read_entry(path) is None, raw
    wrong_shapes: tuple[object, ...] = (
        [],
        ({}, {}, {}),
        ([], {}),
        ({"a": 1}, {}),
        ({1: "x"}, {}),
        ({"a": "x"}, {"n": "many"}),
        ({"a": "x"}, []),
    )
    for value in wrong_shapes:  # sealed correctly, but not a run's (files, counts)
        memo.store_sealed(path, value)
        assert pipeline._read_entry(path) is None, value


def test_write_entry_keeps_the_newest_entries(tmp_path: Path) -> None:
    folder = tmp_path / "generated"
    for number in range(10):
        pipeline._write_entry(folder, f"{number:02x}", Generated({"f": str(number)}, {"n": number}))
        os.utime(folder / f"{number:02x}", (1_000_000 + number, 1_000_000 + number))
    pipeline._write_entry(folder, "0a", Generated({"f": "10"}, {"n": 10}))
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f"{n:02x}" for n in range(3, 11)), names  # 8 kept, no temporary file
    assert pipeline._read_entry(folder / "0a") == Generated({"f": "10"}, {"n": 10}, cached=True)


def test_generate_files_serves_a_cache_hit_without_loading_the_schema(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "api.yaml").write_text("this is not a schema: [", encoding="utf-8")  # loading it would fail
    cache = tmp_path / "cache"
    files = {"pkg/__init__.py": "x"}
    pipeline._write_entry(cache / "generated", input_key(schema), Generated(files, {"commands": 1}))
    hit = generate_files(schema, cache)
    assert (hit.files, hit.counts, hit.cached) == (files, {"commands": 1}, True)
    assert hit.links["pkg/_async.py"] == pipeline.RUNTIME_DIR / "_async.py"  # the links are listed afresh


def test_generate_files_fills_the_cache_and_links_the_changelog(tmp_path: Path, fixture_files: dict[str, str]) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    (schema / "CHANGELOG.md").write_text("# Changes\n", encoding="utf-8")
    cache = tmp_path / "cache"
    fresh = generate_files(schema, cache)
    assert not fresh.cached and fresh.links["CHANGELOG.md"] == (schema / "CHANGELOG.md").resolve()
    assert fresh.files == fixture_files and "CHANGELOG.md" not in fresh.files
    assert list(fresh.files) == sorted(fresh.files)
    assert [p.name for p in (cache / "generated").iterdir()] == [input_key(schema)]
    again = generate_files(schema, cache)
    assert again.cached and again.files == fresh.files and again.counts == fresh.counts
    assert again.links == fresh.links
    assert not any(p.name == "CHANGELOG.md" for p in (tmp_path / "schema").rglob("*") if p.parent != schema)


def test_generate_files_without_a_cache_writes_none(tmp_path: Path, fixture_files: dict[str, str]) -> None:
    assert "CHANGELOG.md" not in fixture_files  # the fixture schema has none, so no link either
    assert not pipeline.DEFAULT_CACHE.is_relative_to(tmp_path)
    before = set(tmp_path.iterdir())
    generated = generate_files(FIXTURE_SCHEMA, None)
    assert not generated.cached and generated.files == fixture_files and set(tmp_path.iterdir()) == before


def test_emit_gives_every_file_sorted(fixture_files: dict[str, str]) -> None:
    files = pipeline.emit(pipeline.load_api(FIXTURE_SCHEMA))
    assert list(files) == sorted(files) and set(files) == set(fixture_files)


def test_leftovers_of_a_tree_with_a_dash_in_its_name(tmp_path: Path) -> None:
    root = tmp_path / "my-generated"
    root.mkdir()
    dead = _dead_pid()
    leftover = tmp_path / f".my-generated.new-{dead}"
    leftover.mkdir()
    assert remove_leftovers(root) == [leftover] and not leftover.exists()
