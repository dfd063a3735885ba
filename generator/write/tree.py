"""Write ``generated/`` atomically, or compare it with what would be written.

The new tree is built beside the old one and the two are swapped in one step (``renameat2`` with
``RENAME_EXCHANGE`` on Linux), so an interrupted run leaves the previous ``generated/`` intact.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import fnmatch
import os
import shutil
import sys
import time
from pathlib import Path

# Build and tool output that may live inside generated/ (e.g. an editable install's egg-info): kept, not compared.
IGNORED = ("__pycache__", "*.egg-info", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache")


def _ignored(relative: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in IGNORED)


def read_tree(root: Path) -> dict[str, str]:
    """Every compared file below ``root`` (path -> text); links to the runtime are not files (see read_links)."""
    if not root.is_dir():
        return {}
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and not _ignored(relative):
            out[relative.as_posix()] = path.read_text(encoding="utf-8")
    return out


def read_links(root: Path) -> dict[str, Path]:
    """Every symbolic link below ``root`` (path -> the file it resolves to)."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.resolve()
        for path in sorted(root.rglob("*"))
        if path.is_symlink() and not _ignored(path.relative_to(root))
    }


def diff_links(actual: dict[str, Path], expected: dict[str, Path]) -> str:
    """One line per link that is missing, extra or pointing elsewhere."""
    lines = []
    for path in sorted(set(actual) | set(expected)):
        old, new = actual.get(path), expected.get(path)
        if old is None:
            lines.append(f"generated/{path}: missing link to {new}\n")
        elif new is None:
            lines.append(f"generated/{path}: link to {old} should not exist\n")
        elif old != new.resolve():
            lines.append(f"generated/{path}: links to {old}, should link to {new}\n")
    return "".join(lines)


def diff_trees(actual: dict[str, str], expected: dict[str, str], context: int = 2, limit: int = 200) -> str:
    """A unified diff from what is on disk to what the generator makes, cut after ``limit`` lines."""
    lines: list[str] = []
    for path in sorted(set(actual) | set(expected)):
        old, new = actual.get(path), expected.get(path)
        if old == new:
            continue
        lines.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"generated/{path}" if old is not None else "/dev/null",
                tofile=f"generated/{path}" if new is not None else "/dev/null",
                n=context,
            )
        )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines[:limit])
    if len(lines) > limit:
        text += f"... ({len(lines) - limit} more diff lines)\n"
    return text


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


# Test hook: ``GENERATOR_TEST_PAUSE=<point>`` makes write_tree announce the point on stderr and wait there, so a
# test can kill the process at a known step. Points: ``staging:<n>`` (after n files are staged), ``swap`` (before
# the exchange), ``swapped`` (after it, before the old tree is removed).
_PAUSE_ENV = "GENERATOR_TEST_PAUSE"
_STAGING_KINDS = ("new", "old")


def _pause(point: str) -> None:
    if os.environ.get(_PAUSE_ENV) == point:
        sys.stderr.write(f"paused at {point}\n")
        sys.stderr.flush()
        time.sleep(60)  # the test kills us long before; never hang a run for good if it does not


def _staging(root: Path, kind: str, pid: int) -> Path:
    return root.parent / f".{root.name}.{kind}-{pid}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_leftovers(root: Path) -> list[Path]:
    """Delete staging folders that runs killed midway left beside ``root`` (their process is gone)."""
    removed = []
    for kind in _STAGING_KINDS:
        for path in root.parent.glob(f".{root.name}.{kind}-*"):
            pid = path.name.rpartition("-")[2]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _stage(before: Path, after: Path, text: str) -> None:
    """Write ``after``; a file whose bytes do not change is hard-linked to ``before`` instead, so it keeps its
    modification time (make, pip and editors see no change where there is none) and is not written again."""
    data = text.replace("\n", os.linesep).encode("utf-8")  # what write_text would write
    try:
        if before.is_file() and before.read_bytes() == data:
            os.link(before, after)
            return
    except OSError:
        pass  # no hard links here (or a race with an editor): write it, the content is what counts
    after.write_bytes(data)


def write_tree(root: Path, files: dict[str, str], links: dict[str, Path] | None = None) -> None:
    """Replace ``root`` with exactly ``files`` and ``links`` (relative symbolic links to the hand-written runtime,
    so it is committed once), in one atomic step; ignored build output is carried over.

    A run killed at any point leaves ``root`` either as it was or fully replaced, plus at most a staging folder
    beside it, which the next run removes.
    """
    root = root.resolve()
    remove_leftovers(root)
    staging = _staging(root, "new", os.getpid())
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    _pause("staging:0")
    for count, (relative, text) in enumerate(files.items(), 1):
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        _stage(root / relative, path, text)
        _pause(f"staging:{count}")
    for relative, target in (links or {}).items():
        # relative to the link's folder, where the final tree will be (staging sits beside root, at the same depth)
        path, final = staging / relative, root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(os.path.relpath(target.resolve(), final.parent))
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if _ignored(rel) and not _ignored(rel.parent) and path.exists():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if path.is_dir() else shutil.copy2)(path, target)
        _pause("swap")
        if _exchange(staging, root):
            _pause("swapped")
            shutil.rmtree(staging)  # staging now holds the previous tree
            return
        # No renameat2 (not Linux): two renames, with a moment in which root does not exist.
        old = _staging(root, "old", os.getpid())
        os.rename(root, old)
        os.rename(staging, root)
        _pause("swapped")
        shutil.rmtree(old)
    else:
        _pause("swap")
        os.rename(staging, root)
