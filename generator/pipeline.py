"""schema/ -> load -> validate -> build (IR) -> emit -> format -> files. One direction, no I/O but reading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .build import build_api
from .emit_docs import emit_docs
from .emit_exports import emit_exports
from .emit_models import emit_models
from .emit_templates import copy_runtime, render_package
from .format import format_sources
from .loader import load_schema
from .model import Api

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = PROJECT / "schema"
DEFAULT_OUTPUT = PROJECT / "generated"
DEFAULT_CACHE = PROJECT / ".cache" / "black"


@dataclass(frozen=True)
class Generated:
    api: Api
    files: dict[str, str]  # path relative to generated/ -> text


def load_api(schema_dir: Path = DEFAULT_SCHEMA) -> Api:
    """Parse, validate and build the API model; raises SchemaError with every problem found."""
    return build_api(load_schema(schema_dir))


def emit(api: Api) -> dict[str, str]:
    """Every output file, unformatted."""
    package = api.service.package
    files: dict[str, str] = {}
    files.update({f"{package}/{path}": code for path, code in emit_models(api).items()})
    files.update(render_package(api))
    files.update(copy_runtime(api))
    files.update(emit_docs(api))
    files.update(emit_exports(api))
    return dict(sorted(files.items()))


def generate_files(schema_dir: Path = DEFAULT_SCHEMA, cache_dir: Path | None = DEFAULT_CACHE) -> Generated:
    api = load_api(schema_dir)
    return Generated(api, format_sources(emit(api), cache_dir))
