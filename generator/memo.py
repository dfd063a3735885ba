"""Small content-addressed caches for the incremental run: each answer is stored under a hash of everything it
depends on, so an entry can never serve stale output, and an unreadable or damaged entry is simply made again.

``active`` is the cache folder of the run in progress (set by ``pipeline.generate_files``), so the steps that
render templates find their caches without every emitter taking a cache argument; None runs every step cold.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

_active: Path | None = None


@contextmanager
def active(cache_dir: Path | None) -> Iterator[None]:
    """Make ``cache_dir`` the cache folder of the steps run inside the block (None: no caching)."""
    global _active
    before, _active = _active, cache_dir
    try:
        yield
    finally:
        _active = before


def folder(name: str) -> Path | None:
    return _active / name if _active is not None else None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (two runs at once each write a complete file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_sealed(path: Path) -> Any:
    """A value stored by ``store_sealed``, or None when absent or damaged (its digest does not match)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, payload = raw[:32], raw[32:]
    if len(digest) != 32 or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None


def store_sealed(path: Path, value: Any) -> None:
    """Store a marshal-able value with its digest, so a damaged file is recognised rather than believed."""
    try:
        payload = marshal.dumps(value)
    except ValueError:  # holds something marshal cannot write (a YAML timestamp): not cached, made every time
        return
    write_atomic(path, hashlib.sha256(payload).digest() + payload)


def jinja_bytecode_cache(salt: bytes) -> jinja2.BytecodeCache | None:
    """Compiled templates for the active run, or None. ``salt``: whatever changes how templates compile (the
    environment's options); jinja2 keys each entry by template name and its own version, and checks the source.
    Entries are sealed like the others: a damaged one is compiled again, never run."""
    root = folder("jinja")
    if root is None:
        return None
    import jinja2

    directory = root / hashlib.sha256(salt).hexdigest()[:16]

    class _Sealed(jinja2.BytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            data = load_sealed(directory / bucket.key)
            if isinstance(data, bytes):
                try:
                    bucket.bytecode_from_string(data)  # checks jinja's magic and the template's checksum
                except Exception:  # any failure to read it back means: compile again
                    bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            store_sealed(directory / bucket.key, bucket.bytecode_to_string())

    return _Sealed()
