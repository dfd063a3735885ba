"""Schema folders named on the command line: a path, or ``git:<revision>`` read out of git into a temporary folder.

A revision is read with ``git archive`` (the committed files only, never the working tree), from the repository
that holds the working schema folder and at the same path inside it, so ``git:v1.2.0`` means "schema/ as tagged".
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import SchemaError
from ..ir.nodes import Api
from ..pipeline import load_api

GIT_PREFIX = "git:"


class SourceError(Exception):
    """A schema source that cannot be read: no such folder, not a git repository, unknown revision."""


@dataclass(frozen=True)
class LoadedSchema:
    label: str  # how reports name this side: "schema/", "git:v1.2.0 (3f2a1c9e0b)"
    api: Api


class SideSchemaError(SchemaError):
    """A SchemaError from one side of a comparison, remembering which side."""

    def __init__(self, label: str, error: SchemaError) -> None:
        super().__init__(error.diagnostics)
        self.label = label


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise SourceError("git is not installed; name a schema folder instead of a git: revision") from exc
    if done.returncode != 0:
        raise SourceError(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout.strip()


def repository_of(schema_dir: Path) -> tuple[Path, str]:
    """The git work tree holding ``schema_dir`` and the folder's path inside it (posix)."""
    start = schema_dir if schema_dir.is_dir() else schema_dir.parent
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], start)).resolve()
    except SourceError as exc:
        raise SourceError(f"{schema_dir} is not inside a git repository ({exc})") from exc
    return top, schema_dir.resolve().relative_to(top).as_posix()


def resolve_revision(revision: str, schema_dir: Path) -> str:
    """The full commit id a revision names (raises SourceError with git's explanation)."""
    top, _ = repository_of(schema_dir)
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], top)
    except SourceError as exc:
        raise SourceError(f"unknown git revision {revision!r}") from exc


def tags(schema_dir: Path, pattern: str) -> list[str]:
    """Tags matching ``pattern`` that HEAD contains; none outside a git repository or in a clone without tags."""
    try:
        top, _ = repository_of(schema_dir)
        listed = _git(["tag", "--merged", "HEAD", "--list", pattern], top)
    except SourceError:
        return []
    return [line.strip() for line in listed.splitlines() if line.strip()]


def revision_exists(revision: str, schema_dir: Path) -> bool:
    try:
        resolve_revision(revision, schema_dir)
    except SourceError:
        return False
    return True


@contextmanager
def checked_out(revision: str, schema_dir: Path) -> Iterator[tuple[Path, str]]:
    """The schema folder as committed at ``revision``, extracted into a temporary folder that is removed after."""
    top, inside = repository_of(schema_dir)
    commit = resolve_revision(revision, schema_dir)
    done = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", inside],
        cwd=top,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SourceError(f"revision {revision!r} ({commit[:10]}) has no {inside}/ folder")
    with tempfile.TemporaryDirectory(prefix="schema-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
            archive.extractall(tmp, filter="data")
        # Extracted under its own path so diagnostics and origins read "schema/commands/assets.yaml".
        yield Path(tmp) / inside, commit


def load_side(spec: str, schema_dir: Path) -> LoadedSchema:
    """Load ``spec`` (a folder or ``git:<revision>``) into an API model; ``schema_dir`` locates the git repository."""
    if spec.startswith(GIT_PREFIX):
        revision = spec[len(GIT_PREFIX) :]
        if not revision:
            raise SourceError("`git:` needs a revision, e.g. git:HEAD~1 or git:v1.2.0")
        with checked_out(revision, schema_dir) as (folder, commit):
            label = f"{spec} ({commit[:10]})"
            return LoadedSchema(label, _load(label, folder, history=True))
    folder = Path(spec)
    if not folder.is_dir():
        raise SourceError(f"{spec} is neither a schema folder nor a git: revision")
    label = _display(folder)
    return LoadedSchema(label, _load(label, folder))


def _display(folder: Path) -> str:
    """A folder as the maintainer would type it: relative to the current directory when inside it."""
    try:
        return folder.resolve().relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return str(folder)


def _load(label: str, folder: Path, *, history: bool = False) -> Api:
    try:
        return load_api(folder, history=history)
    except SchemaError as exc:
        raise SideSchemaError(label, exc) from exc
