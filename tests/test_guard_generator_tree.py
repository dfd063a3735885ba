"""Guards on ``generator.write.tree`` beyond tests/test_guard_generator.py (issue 20, mutation testing).

What a maintainer relies on: ``check`` names every wrong link; ``write_tree`` builds links in folders that hold no
generated file, carries build output over whether it is a folder or a file, gives the same result when the atomic
exchange is missing (two renames, with the announced pause points), and leaves nothing behind for the next run but
what that run removes; ``_exchange`` says False, rather than failing, where renameat2 cannot be used, and swaps
relative paths against the current folder; a liveness probe never disturbs the process it asks about.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.write import tree as write
from generator.write.tree import diff_links, read_links, read_tree, remove_leftovers, write_tree

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")

# --------------------------------------------------------------------------------------------- links


def test_diff_links_names_each_wrong_link(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("a", encoding="utf-8")
    b.write_text("b", encoding="utf-8")
    assert diff_links({"x": a}, {"x": a}) == ""
    text = diff_links({"same": a, "moved": a, "stale": b}, {"same": a, "moved": b, "new": a})
    assert text.splitlines() == [
        f"generated/moved: links to {a}, should link to {b}",
        f"generated/new: missing link to {a}",
        f"generated/stale: link to {b} should not exist",
    ]
    assert text.endswith("\n")


def test_diff_links_compares_where_the_expected_link_resolves(tmp_path: Path) -> None:
    """The expected target may be written through a link of its own: what counts is the file it resolves to."""
    target = tmp_path / "runtime.py"
    target.write_text("r", encoding="utf-8")
    alias = tmp_path / "alias.py"
    alias.symlink_to(target)
    assert diff_links({"pkg/runtime.py": target}, {"pkg/runtime.py": alias}) == ""


def test_write_tree_makes_links_in_folders_without_files(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    (runtime / "deep").mkdir(parents=True)
    (runtime / "deep" / "mod.py").write_text("m", encoding="utf-8")
    root = tmp_path / "generated"
    links = {"pkg/sub/deep/mod.py": runtime / "deep" / "mod.py"}
    write_tree(root, {"pkg/__init__.py": ""}, links)
    link = root / "pkg" / "sub" / "deep" / "mod.py"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))  # relative, so the tree can move
    assert read_links(root) == {"pkg/sub/deep/mod.py": (runtime / "deep" / "mod.py").resolve()}
    assert diff_links(read_links(root), links) == ""
    write_tree(root, {"pkg/__init__.py": ""}, links)  # again, over the existing tree: the same links
    assert read_links(root) == {"pkg/sub/deep/mod.py": (runtime / "deep" / "mod.py").resolve()}


# --------------------------------------------------------------------------------------------- build output


def test_write_tree_carries_over_an_ignored_file(tmp_path: Path) -> None:
    """Build output is kept whether it is a folder or a single file (a ``build`` file, an ``x.egg-info`` file)."""
    root = tmp_path / "generated"
    write_tree(root, {"pkg/a.py": "a\n"})
    (root / "build").write_bytes(b"a build file")
    (root / "pkg" / "x.egg-info").write_bytes(b"metadata")
    (root / "dist").mkdir()
    (root / "dist" / "w.whl").write_bytes(b"wheel")
    write_tree(root, {"pkg/a.py": "a2\n"})
    assert (root / "build").read_bytes() == b"a build file"
    assert (root / "pkg" / "x.egg-info").read_bytes() == b"metadata"
    assert (root / "dist" / "w.whl").read_bytes() == b"wheel"
    assert read_tree(root) == {"pkg/a.py": "a2\n"}


# --------------------------------------------------------------------------------------------- without renameat2


@pytest.fixture
def no_exchange(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, Path]]:
    """write_tree as on a system without renameat2 (the calls it tried are recorded)."""
    calls: list[tuple[Path, Path]] = []

    def refuse(a: Path, b: Path) -> bool:
        calls.append((a, b))
        return False

    monkeypatch.setattr(write, "_exchange", refuse)
    return calls


def test_two_renames_replace_the_tree_and_keep_build_output(
    tmp_path: Path, no_exchange: list[tuple[Path, Path]]
) -> None:
    root = tmp_path / "generated"
    write_tree(root, {"pkg/old.py": "o\n", "top.md": "t\n"})
    assert no_exchange == []  # nothing to swap with the first time
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "old.pyc").write_bytes(b"\0")
    write_tree(root, {"pkg/new.py": "n\n"})
    assert no_exchange == [(tmp_path / f".generated.new-{os.getpid()}", root)]
    assert read_tree(root) == {"pkg/new.py": "n\n"}
    assert (root / "pkg" / "__pycache__" / "old.pyc").read_bytes() == b"\0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]  # neither the old nor the staging tree left


def test_two_renames_pause_between_the_renames(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_exchange: list[tuple[Path, Path]],
) -> None:
    """At ``swapped`` the new tree is in place and the previous one waits beside it as ``.generated.old-<pid>``."""
    root = tmp_path / "generated"
    write_tree(root, {"old.py": "o\n"})
    seen: list[tuple[dict[str, str], dict[str, str]]] = []

    def look(seconds: float) -> None:
        seen.append((read_tree(root), read_tree(tmp_path / f".generated.old-{os.getpid()}")))

    monkeypatch.setattr("generator.write.tree.time.sleep", look)
    monkeypatch.setenv("GENERATOR_TEST_PAUSE", "swapped")
    write_tree(root, {"new.py": "n\n"})
    assert capsys.readouterr().err == "paused at swapped\n"
    assert seen == [({"new.py": "n\n"}, {"old.py": "o\n"})]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]
    monkeypatch.setenv("GENERATOR_TEST_PAUSE", "swap")
    write_tree(root, {"newer.py": "x\n"})
    assert capsys.readouterr().err == "paused at swap\n"
    assert seen[-1] == ({"new.py": "n\n"}, {})  # before the renames: the tree as it was


def test_a_first_write_pauses_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "generated"
    seen: list[bool] = []
    monkeypatch.setattr("generator.write.tree.time.sleep", lambda seconds: seen.append(root.exists()))
    monkeypatch.setenv("GENERATOR_TEST_PAUSE", "swap")
    write_tree(root, {"a.py": "a\n"})
    assert capsys.readouterr().err == "paused at swap\n" and seen == [False]
    assert read_tree(root) == {"a.py": "a\n"}


def test_an_old_tree_left_by_a_killed_run_is_removed_by_the_next(
    tmp_path: Path, no_exchange: list[tuple[Path, Path]]
) -> None:
    """A run killed between the two renames leaves ``.generated.old-<pid>``; the next run deletes it."""
    root = tmp_path / "generated"
    write_tree(root, {"a.py": "a\n"})
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    left = tmp_path / f".generated.old-{child.pid}"
    (left / "pkg").mkdir(parents=True)
    (left / "pkg" / "a.py").write_text("old", encoding="utf-8")
    write_tree(root, {"b.py": "b\n"})
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]
    assert read_tree(root) == {"b.py": "b\n"}


def test_a_staging_folder_of_this_process_is_started_afresh(tmp_path: Path) -> None:
    """A staging folder with this run's own pid (a pid reused after a killed run) is emptied, not merged."""
    root = tmp_path / "generated"
    stale = tmp_path / f".generated.new-{os.getpid()}"
    stale.mkdir()
    (stale / "stale.py").write_text("s", encoding="utf-8")
    assert remove_leftovers(root) == []  # its pid is alive (it is us): not a leftover
    write_tree(root, {"a.py": "a\n"})
    assert read_tree(root) == {"a.py": "a\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


# --------------------------------------------------------------------------------------------- _exchange


@linux_only
def test_exchange_swaps_relative_paths_from_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "in_a").write_text("1", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert write._exchange(Path("a"), Path("b"))
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["in_a"]
    assert list((tmp_path / "a").iterdir()) == []


def test_exchange_without_a_c_library_says_no(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "in_a").write_text("1", encoding="utf-8")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert write._exchange(tmp_path / "a", tmp_path / "b") is False
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["in_a"]  # nothing moved


def test_exchange_without_renameat2_says_no(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older C library (glibc before 2.28, musl) has no renameat2: False, and write_tree falls back."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "in_a").write_text("1", encoding="utf-8")
    opened: list[str] = []

    class OldLibc:
        def __init__(self, name: str, use_errno: bool = False) -> None:
            opened.append(name)

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libc-without-renameat2.so")
    monkeypatch.setattr(ctypes, "CDLL", OldLibc)
    assert write._exchange(tmp_path / "a", tmp_path / "b") is False
    assert opened == ["libc-without-renameat2.so"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["in_a"]
    root = tmp_path / "generated"
    write_tree(root, {"x.py": "x\n"})
    write_tree(root, {"y.py": "y\n"})  # replaced by two renames
    assert read_tree(root) == {"y.py": "y\n"}


# --------------------------------------------------------------------------------------------- _alive


# The child catches every signal it can (whatever its parent ignores, SIGHUP under nohup say) and exits with 3;
# it says "ready" once its handlers are in place.
SIGNAL_TRAP = """
import os, signal, sys
for number in signal.valid_signals():
    try:
        signal.signal(number, lambda *_: os._exit(3))
    except (OSError, ValueError):
        pass
print("ready", flush=True)
sys.stdin.read()
"""


def test_asking_whether_a_process_is_alive_does_not_signal_it() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SIGNAL_TRAP], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        assert write._alive(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    assert child.returncode == 0, "the probe signalled the process"


def test_a_process_of_another_user_counts_as_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_yours(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", not_yours)  # the module calls os.kill
    assert write._alive(12345) is True


# --------------------------------------------------------------------------------------------- more of write_tree


def test_build_output_of_a_folder_no_longer_generated_is_carried_over(tmp_path: Path) -> None:
    """The new tree has no ``pkg/old/`` any more: its ``__pycache__`` is still carried over, folders and all."""
    root = tmp_path / "generated"
    write_tree(root, {"pkg/old/mod.py": "m\n", "top.py": "t\n"})
    (root / "pkg" / "old" / "__pycache__").mkdir()
    (root / "pkg" / "old" / "__pycache__" / "mod.pyc").write_bytes(b"\1")
    write_tree(root, {"top.py": "t\n"})
    assert read_tree(root) == {"top.py": "t\n"}
    assert (root / "pkg" / "old" / "__pycache__" / "mod.pyc").read_bytes() == b"\1"


def test_text_is_written_as_given(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    files = {"a.txt": "XX\nXX", "b.md": "é\r\nü\n", "c.py": ""}
    write_tree(root, files)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == {k: v.encode() for k, v in files.items()}
    write_tree(root, files)  # again: unchanged files are kept as they are
    assert {p.name: p.read_bytes() for p in root.iterdir()} == {k: v.encode() for k, v in files.items()}


def test_a_leftover_that_cannot_be_removed_does_not_stop_the_run(tmp_path: Path) -> None:
    """Something named like a staging folder of a dead run but that ``rmtree`` refuses (a plain file): the run
    goes on rather than failing over a leftover."""
    root = tmp_path / "generated"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    odd = tmp_path / f".generated.old-{child.pid}"
    odd.write_text("not a folder", encoding="utf-8")
    write_tree(root, {"a.py": "a\n"})
    assert read_tree(root) == {"a.py": "a\n"}


def test_read_tree_reads_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A maintainer's shell with an ASCII locale (and Python's locale coercion off) still reads generated/ as
    UTF-8, which is how write_tree wrote it."""
    root = tmp_path / "generated"
    write_tree(root, {"menu.md": "café\n"})
    assert read_tree(root) == {"menu.md": "café\n"}  # here too, so mutation testing links this test to read_tree
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    env["PYTHONPATH"] = str(Path(write.__file__).resolve().parents[2])
    code = "import sys; from pathlib import Path; from generator.write.tree import read_tree; "
    code += "print(ascii(read_tree(Path(sys.argv[1]))))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ascii({"menu.md": "café\n"})
