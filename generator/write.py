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
from pathlib import Path

# Build and tool output that may live inside generated/ (e.g. an editable install's egg-info): kept, not compared.
IGNORED = ("__pycache__", "*.egg-info", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache")


def _ignored(relative: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in IGNORED)


def read_tree(root: Path) -> dict[str, str]:
    """Every compared file below ``root`` (path -> text)."""
    if not root.is_dir():
        return {}
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not _ignored(relative):
            out[relative.as_posix()] = path.read_text(encoding="utf-8")
    return out


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


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Replace ``root`` with exactly ``files``, in one atomic step; ignored build output is carried over."""
    root = root.resolve()
    staging = root.parent / f".{root.name}.new-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    for relative, text in files.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if _ignored(rel) and not _ignored(rel.parent) and path.exists():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if path.is_dir() else shutil.copy2)(path, target)
        if _exchange(staging, root):
            shutil.rmtree(staging)  # staging now holds the previous tree
            return
        old = root.parent / f".{root.name}.old-{os.getpid()}"
        os.rename(root, old)
        os.rename(staging, root)
        shutil.rmtree(old)
    else:
        os.rename(staging, root)
