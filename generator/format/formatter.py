"""Format generated Python with black (pinned), skipping files whose formatted form is already cached.

The cache key is the hash of black's version, this module (black's mode) and the unformatted source, so a cache
entry can never serve stale output; entries are sealed with their digest, so a damaged one is formatted again.
Files that miss the cache are formatted on all cores, while the caller keeps working.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from .. import memo

LINE_LENGTH = 120


class FormatError(Exception):
    """Generated source that black cannot parse: a generator or template bug, named by file."""


def _format_one(item: tuple[str, str]) -> str:
    # black is imported here, in the worker that formats: a run whose files all hit the cache never loads it
    import black
    from black import InvalidInput, TargetVersion  # type: ignore[attr-defined]

    path, source = item
    try:
        return black.format_str(source, mode=black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH))
    except InvalidInput as exc:
        raise FormatError(f"generated {path} is not valid Python (a generator bug): {exc}") from None


@lru_cache(maxsize=1)
def _salt() -> bytes:
    """black's installed version and this module (its mode), read without importing black."""
    from importlib.metadata import version

    return hashlib.sha256(f"black {version('black')}\0".encode() + Path(__file__).read_bytes()).digest()


def _key(source: str) -> str:
    digest = hashlib.sha256(_salt())
    digest.update(source.encode("utf-8"))
    return digest.hexdigest()


class Formatter:
    """Formats batches of files as they are produced, on every core, so formatting one batch (the templates)
    overlaps with producing the next (datamodel-code-generator's models) in the caller's process.

    Use as a context manager: ``submit`` each batch, then ``result()`` for every formatted file. Cached files
    never reach a worker; the worker pool starts only at the first cache miss.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self.ready: dict[str, str] = {}
        self.jobs: list[tuple[str, str, Future[str] | None, str]] = []  # (path, key, running job, source)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Formatter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def keep(self, files: dict[str, str]) -> None:
        """Files that are already in their final form (the verbatim runtime)."""
        self.ready.update(files)

    def submit(self, files: dict[str, str]) -> None:
        # Largest first: the longest job should start earliest.
        for path, source in sorted(files.items(), key=lambda item: -len(item[1])):
            if not path.endswith(".py"):
                self.ready[path] = source
                continue
            key = _key(source)
            hit = memo.load_sealed(self.cache_dir / key[:2] / key) if self.cache_dir else None
            if isinstance(hit, str):
                self.ready[path] = hit
                continue
            pool = self._pool()
            self.jobs.append((path, key, pool.submit(_format_one, (path, source)) if pool else None, source))

    def _pool(self) -> ProcessPoolExecutor | None:
        if self.pool is None and (os.cpu_count() or 1) > 1:
            self.pool = ProcessPoolExecutor(max_workers=os.cpu_count())
        return self.pool

    def result(self) -> dict[str, str]:
        out = dict(self.ready)
        for path, key, job, source in self.jobs:
            text = job.result() if job is not None else _format_one((path, source))
            out[path] = text
            if self.cache_dir is not None:
                memo.store_sealed(self.cache_dir / key[:2] / key, text)
        return dict(sorted(out.items()))


def format_sources(files: dict[str, str], cache_dir: Path | None) -> dict[str, str]:
    """Black-format every ``.py`` entry of ``files`` (path -> source); other files pass through."""
    with Formatter(cache_dir) as formatter:
        formatter.submit(files)
        return formatter.result()
