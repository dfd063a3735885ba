"""Find the schema files, parse them and check each against the metaschema in ``schema/meta/``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import jsonschema

from .diagnostics import Diagnostic, SchemaError
from .source import SourceDocument, load_document

_SINGLE_FILES = {
    "api.yaml": "apiFile",
    "errors.yaml": "errorsFile",
    "subscriptions.yaml": "subscriptionsFile",
    "omitted.yaml": "omittedFile",
}
_FOLDERS = {"enums": "enumsFile", "types": "typesFile", "commands": "commandsFile"}
_REQUIRED_FILES = ("api.yaml", "errors.yaml", "subscriptions.yaml")
PROJECT_METASCHEMA = Path(__file__).resolve().parent.parent / "schema" / "meta" / "schema.json"


@dataclass(frozen=True)
class SchemaDocuments:
    """Every validated document of a schema folder, grouped by kind."""

    root: Path
    api: SourceDocument
    errors: SourceDocument
    subscriptions: SourceDocument
    omitted: SourceDocument | None
    enums: tuple[SourceDocument, ...]
    types: tuple[SourceDocument, ...]
    commands: tuple[SourceDocument, ...]


@lru_cache(maxsize=4)
def _metaschema(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _validator(meta_path: Path, kind: str) -> jsonschema.protocols.Validator:
    meta = _metaschema(meta_path)
    return jsonschema.Draft202012Validator({**meta, "$ref": f"#/$defs/{kind}"})


def _kind_of(path: Path, root: Path) -> str | None:
    relative = path.relative_to(root)
    if len(relative.parts) == 1:
        return _SINGLE_FILES.get(relative.name)
    if len(relative.parts) == 2:
        return _FOLDERS.get(relative.parts[0])
    return None


def _explain(error: jsonschema.ValidationError) -> str:
    """A readable message for the usual metaschema failures."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra and allowed:
            return f"unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})"
    if error.validator == "pattern":
        return f"{error.instance!r} is not a valid name here (must match {error.validator_value})"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, cast(list[Any], error.validator_value)))}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required here")
    if error.validator in ("not", "if", "then", "else", "allOf"):
        return f"field schema does not fit together: {error.message[:160]}"
    return error.message[:300]


def _deepest(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Descend into anyOf/allOf/$ref contexts to report the specific failure, not the umbrella one."""
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return _deepest(best) if best is not None else [error]
    return [error]


def validate_document(document: SourceDocument, kind: str, meta_path: Path) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for error in _validator(meta_path, kind).iter_errors(document.data):
        for specific in _deepest(error):
            path = tuple(specific.absolute_path)
            schema = specific.schema if isinstance(specific.schema, dict) else {}
            if specific.validator == "additionalProperties" and isinstance(specific.instance, dict):
                allowed = set(schema.get("properties", {}))
                extra = [k for k in specific.instance if k not in allowed]
                if extra:
                    path = (*path, extra[0])
            problems.append(document.diagnostic(path, _explain(specific)))
    return problems


def load_schema(root: Path) -> SchemaDocuments:
    """Parse and validate every file below ``root``; raise SchemaError with all problems found."""
    root = root.resolve()
    meta_path = root / "meta" / "schema.json"
    if not meta_path.is_file():  # a fixture or scratch schema uses the project's metaschema
        meta_path = PROJECT_METASCHEMA
    problems: list[Diagnostic] = []
    if not meta_path.is_file():
        raise SchemaError([Diagnostic(str(meta_path), 1, 1, (), "metaschema not found")])
    by_kind: dict[str, list[SourceDocument]] = {}
    single: dict[str, SourceDocument] = {}
    for path in sorted(root.rglob("*.y*ml")):
        if "meta" in path.relative_to(root).parts:
            continue
        kind = _kind_of(path, root)
        loaded = load_document(path, root)
        if isinstance(loaded, Diagnostic):
            problems.append(loaded)
            continue
        if kind is None:
            problems.append(loaded.diagnostic((), "unknown schema file (see schema/README.md for the file kinds)"))
            continue
        problems.extend(validate_document(loaded, kind, meta_path))
        if path.parent == root:
            single[path.name] = loaded
        else:
            by_kind.setdefault(kind, []).append(loaded)
    for name in _REQUIRED_FILES:
        if name not in single and not any(d.file.endswith(name) for d in problems):
            problems.append(Diagnostic(str(root.name + "/" + name), 1, 1, (), "required file is missing"))
    if problems:
        raise SchemaError(problems)
    return SchemaDocuments(
        root=root,
        api=single["api.yaml"],
        errors=single["errors.yaml"],
        subscriptions=single["subscriptions.yaml"],
        omitted=single.get("omitted.yaml"),
        enums=tuple(by_kind.get("enumsFile", [])),
        types=tuple(by_kind.get("typesFile", [])),
        commands=tuple(by_kind.get("commandsFile", [])),
    )
