"""schema/ -> load -> validate -> build (IR) -> emit -> format -> files. One direction, no I/O but reading.

A finished run is cached under ``.cache/generated/`` by a hash of everything that can change its output: every
file of the schema folder, of ``generator/`` and of ``templates/``, the Python version and the versions of the
libraries that write or format code. A run whose inputs hash the same returns the cached files without loading
the schema, running datamodel-code-generator or black (none of them is even imported), which makes a no-change
``check`` cheap. Any change to any input is a different key, so a cache entry can never serve stale output.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .model import Api

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = PROJECT / "schema"
DEFAULT_OUTPUT = PROJECT / "generated"
DEFAULT_CACHE = PROJECT / ".cache"
# The package's changelog: written in schema/ (by hand and by `python -m generator release`), copied verbatim.
CHANGELOG = "CHANGELOG.md"
DEFAULT_CATALOGUE = PROJECT.parent / "shared" / "reference"
GENERATOR_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PROJECT / "templates"

# Libraries whose version can change the generated text.
_TOOLS = ("datamodel-code-generator", "black", "jinja2", "pyyaml", "jsonschema", "pydantic")
_KEEP_ENTRIES = 8  # cached runs kept (newest first); older ones are deleted


@dataclass(frozen=True)
class Generated:
    files: dict[str, str]  # path relative to generated/ -> text
    counts: dict[str, int]  # what the schema holds, by kind (Api.counts())
    cached: bool = False  # True when the files came from the run cache


def load_api(schema_dir: Path = DEFAULT_SCHEMA, *, history: bool = False, cache_dir: Path | None = None) -> Api:
    """Parse, validate and build the API model; raises SchemaError with every problem found. ``history`` reads a
    schema of an earlier revision as it was, without the authoring rules added since (see ``build``).
    ``cache_dir``: where the documents found valid are remembered, so unchanged files are not validated again."""
    from .build import build_api
    from .loader import load_schema

    return build_api(load_schema(schema_dir, cache_dir), history=history)


def emit_batches(api: Api, cache_dir: Path | None = None) -> Iterator[tuple[dict[str, str], bool]]:
    """Every output file, in batches of (files, whether black must format them).

    The hand-written runtime is copied verbatim (it is formatted where it is written, and checked by the tests);
    what the templates write goes to black first, so black works on it in other processes while
    datamodel-code-generator, the slowest step, writes the models here.
    """
    from .emit_docs import emit_docs
    from .emit_exports import emit_exports
    from .emit_models import emit_models
    from .emit_templates import copy_runtime, render_package

    yield copy_runtime(api), False
    yield {**render_package(api), **emit_docs(api), **emit_exports(api)}, True
    models = emit_models(api, cache_dir / "models" if cache_dir is not None else None)
    yield {f"{api.service.package}/{path}": code for path, code in models.items()}, True


def emit(api: Api) -> dict[str, str]:
    """Every output file, unformatted."""
    files: dict[str, str] = {}
    for batch, _ in emit_batches(api):
        files.update(batch)
    return dict(sorted(files.items()))


def generate_files(schema_dir: Path = DEFAULT_SCHEMA, cache_dir: Path | None = DEFAULT_CACHE) -> Generated:
    """The formatted package for ``schema_dir``; ``cache_dir`` None runs every step again and caches nothing."""
    key = input_key(schema_dir) if cache_dir is not None else None
    if cache_dir is not None and key is not None:
        hit = _read_entry(cache_dir / "generated" / f"{key}.json")
        if hit is not None:
            return hit
    from .format import Formatter

    api = load_api(schema_dir, cache_dir=cache_dir / "valid" if cache_dir is not None else None)
    with Formatter(cache_dir / "black" if cache_dir else None) as formatter:
        for batch, needs_formatting in emit_batches(api, cache_dir):
            if needs_formatting:
                formatter.submit(batch)
            else:
                formatter.keep(batch)
        files = formatter.result()
    changelog = schema_dir / CHANGELOG
    if changelog.is_file():
        files[CHANGELOG] = changelog.read_text(encoding="utf-8")
    generated = Generated(dict(sorted(files.items())), api.counts())
    if cache_dir is not None and key is not None:
        _write_entry(cache_dir / "generated", key, generated)
    return generated


# --- the run cache ----------------------------------------------------------------------------------------------


def input_key(schema_dir: Path) -> str:
    """Hash of every input of a run: file names and bytes of schema/, generator/, templates/, and tool versions."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for tag, root in (("schema", schema_dir), ("generator", GENERATOR_DIR), ("templates", TEMPLATES_DIR)):
        for path in sorted(_input_files(root)):
            digest.update(f"{tag}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    digest.update(f"python {sys.version}\0".encode())
    for tool in _TOOLS:
        try:
            digest.update(f"{tool} {version(tool)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{tool} absent\0".encode())
    return digest.hexdigest()


def _input_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


def _read_entry(path: Path) -> Generated | None:
    """A cached run, or None when absent or unreadable (a damaged entry is simply regenerated)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files, counts = data["files"], {str(k): int(v) for k, v in data["counts"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # AttributeError: counts not an object
        return None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    return Generated(files, counts, cached=True)


def _write_entry(folder: Path, key: str, generated: Generated) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{key}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"files": generated.files, "counts": generated.counts}), encoding="utf-8")
    os.replace(tmp, folder / f"{key}.json")
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEEP_ENTRIES:]:
        old.unlink(missing_ok=True)
