"""Format generated Python with black (pinned), skipping files whose formatted form is already cached.

The cache key is the hash of black's version, its mode and the unformatted source, so a cache entry can never
serve stale output. When many files miss the cache they are formatted on all cores.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import black
from black import InvalidInput, TargetVersion  # type: ignore[attr-defined]

LINE_LENGTH = 120
_MODE = black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)
_PARALLEL_FROM = 6  # below this many misses, starting worker processes costs more than it saves


class FormatError(Exception):
    """Generated source that black cannot parse: a generator or template bug, named by file."""


def _format_one(item: tuple[str, str]) -> str:
    path, source = item
    try:
        return black.format_str(source, mode=_MODE)
    except InvalidInput as exc:
        raise FormatError(f"generated {path} is not valid Python (a generator bug): {exc}") from None


def _key(source: str) -> str:
    digest = hashlib.sha256()
    version = getattr(black, "__version__", "?")
    digest.update(f"black {version} {_MODE!r}\0".encode())
    digest.update(source.encode("utf-8"))
    return digest.hexdigest()


def format_sources(files: dict[str, str], cache_dir: Path | None) -> dict[str, str]:
    """Black-format every ``.py`` entry of ``files`` (path -> source); other files pass through."""
    out = dict(files)
    misses: list[tuple[str, str, str]] = []  # (path, key, source)
    for path, source in files.items():
        if not path.endswith(".py"):
            continue
        key = _key(source)
        cached = cache_dir / key[:2] / key if cache_dir else None
        if cached is not None and cached.is_file():
            out[path] = cached.read_text(encoding="utf-8")
        else:
            misses.append((path, key, source))
    if len(misses) >= _PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
            formatted = list(pool.map(_format_one, [(m[0], m[2]) for m in misses]))
    else:
        formatted = [_format_one((m[0], m[2])) for m in misses]
    for (path, key, _), text in zip(misses, formatted, strict=True):
        out[path] = text
        if cache_dir is not None:
            entry = cache_dir / key[:2] / key
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, entry)
    return out
