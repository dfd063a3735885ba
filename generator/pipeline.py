"""schema/ -> load -> validate -> build (IR) -> emit -> format -> files. One direction, no I/O but reading.

A finished run is cached under ``.cache/generated/`` by a hash of everything that can change its output: every
file of the schema folder, of ``generator/`` and of ``templates/``, the Python version and the versions of the
libraries that write or format code. A run whose inputs hash the same returns the cached files without loading
the schema, running datamodel-code-generator or black (none of them is even imported), which makes a no-change
``check`` cheap. Any change to any input is a different key, so a cache entry can never serve stale output.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import memo

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .ir.nodes import Api

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = PROJECT / "schema"
DEFAULT_OUTPUT = PROJECT / "generated"
DEFAULT_CACHE = PROJECT / ".cache"
# The package's changelog: written in schema/ (by hand and by `python -m generator release`), linked from generated/.
CHANGELOG = "CHANGELOG.md"
DEFAULT_CATALOGUE = PROJECT.parent / "shared" / "reference"
GENERATOR_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PROJECT / "templates"
# The hand-written modules of the package. They are not copied: the package links to them (verbatim_links), so they
# are committed once, and the tests and mypy, which import the package, run on this very code.
RUNTIME_DIR = PROJECT / "runtime"
RUNTIME_SUFFIXES = (".py", ".json")
# The docs site's hand-written files (output path -> file in templates/docs), linked the same way.
DOCS_STATIC = {
    "docs/hooks/search_rank.py": "hooks/search_rank.py",
    "docs/overrides/main.html": "overrides/main.html",
    "docs/pages/stylesheets/extra.css": "extra.css",
}

# Libraries whose version can change the generated text.
_TOOLS = ("datamodel-code-generator", "black", "jinja2", "pyyaml", "jsonschema", "pydantic")
_KEEP_ENTRIES = 8  # cached runs kept (newest first); older ones are deleted


@dataclass(frozen=True)
class Generated:
    files: dict[str, str]  # path relative to generated/ -> text
    counts: dict[str, int]  # what the schema holds, by kind (Api.counts())
    cached: bool = False  # True when the files came from the run cache
    # hand-written files the output carries unchanged, as links: path relative to generated/ -> the file itself
    links: dict[str, Path] = field(default_factory=dict)


def runtime_files(runtime_dir: Path = RUNTIME_DIR) -> list[Path]:
    """The hand-written modules (and their data files), relative to ``runtime_dir``, sorted."""
    return sorted(
        p.relative_to(runtime_dir)
        for p in runtime_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in RUNTIME_SUFFIXES
    )


def verbatim_links(package: str, schema_dir: Path) -> dict[str, Path]:
    """Every hand-written file the output carries unchanged: the runtime (``fleetfreedom/_async.py`` ->
    ``runtime/_async.py``), the docs' static files and the changelog. Not cached: listing them is cheap, and a new
    runtime file then needs no change to the cache key."""
    links = {f"{package}/{rel.as_posix()}": RUNTIME_DIR / rel for rel in runtime_files()}
    links.update({path: TEMPLATES_DIR / "docs" / source for path, source in DOCS_STATIC.items()})
    if (schema_dir / CHANGELOG).is_file():
        links[CHANGELOG] = (schema_dir / CHANGELOG).resolve()
    return dict(sorted(links.items()))


def _linked(generated: Generated, schema_dir: Path) -> Generated:
    package = next(
        path.split("/")[0] for path in generated.files if path.count("/") == 1 and path.endswith("/__init__.py")
    )
    return replace(generated, links=verbatim_links(package, schema_dir))


def load_api(schema_dir: Path = DEFAULT_SCHEMA, *, history: bool = False, cache_dir: Path | None = None) -> Api:
    """Parse, validate and build the API model; raises SchemaError with every problem found. ``history`` reads a
    schema of an earlier revision as it was, without the authoring rules added since (see ``build``).
    ``cache_dir``: where the documents found valid are remembered, so unchanged files are not validated again."""
    from .ir.build import build_api
    from .load.documents import load_schema

    return build_api(load_schema(schema_dir, cache_dir), history=history)


def emit_batches(api: Api, cache_dir: Path | None = None) -> Iterator[tuple[dict[str, str], bool]]:
    """Every output file, in batches of (files, whether black must format them).

    What the templates write goes to black first, so black works on it in other processes while
    datamodel-code-generator, the slowest step, writes the models here, then the models while the docs render.
    The hand-written runtime is not among them: the package links to it (``verbatim_links``).
    """
    from .emit.docs import emit_docs
    from .emit.exports import emit_exports
    from .emit.models import emit_models
    from .emit.package import render_package

    # Python first, docs last: black formats the modules in other processes while the docs are rendered here
    # (after a description edit the models come from the cache at once, and their black job overlaps the docs).
    yield render_package(api), True
    models = emit_models(api, cache_dir / "models" if cache_dir is not None else None)
    yield {f"{api.service.package}/{path}": code for path, code in models.items()}, True
    yield {**emit_docs(api), **emit_exports(api)}, True  # black passes the Markdown, YAML and JSON through


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
        hit = _read_entry(cache_dir / "generated" / key)
        if hit is not None:
            return _linked(hit, schema_dir)
    from .format.formatter import Formatter

    api = load_api(schema_dir, cache_dir=cache_dir / "valid" if cache_dir is not None else None)
    with memo.active(cache_dir), Formatter(cache_dir / "black" if cache_dir else None) as formatter:
        for batch, needs_formatting in emit_batches(api, cache_dir):
            if needs_formatting:
                formatter.submit(batch)
            else:
                formatter.keep(batch)
        files = formatter.result()
    generated = Generated(dict(sorted(files.items())), api.counts())
    if cache_dir is not None and key is not None:
        _write_entry(cache_dir / "generated", key, generated)
    return _linked(generated, schema_dir)


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
    """A cached run, or None when absent or damaged (a damaged entry is simply regenerated)."""
    data = memo.load_sealed(path)
    if not isinstance(data, tuple) or len(data) != 2:
        return None
    files, counts = data
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    if not isinstance(counts, dict) or not all(isinstance(k, str) and isinstance(v, int) for k, v in counts.items()):
        return None
    return Generated(files, counts, cached=True)


def _write_entry(folder: Path, key: str, generated: Generated) -> None:
    memo.store_sealed(folder / key, (generated.files, generated.counts))
    entries = sorted(folder.glob("[0-9a-f]*[0-9a-f]"), key=lambda p: p.stat().st_mtime, reverse=True)  # not .tmp
    for old in entries[_KEEP_ENTRIES:]:
        old.unlink(missing_ok=True)
