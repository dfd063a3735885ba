"""Find the schema files, parse them and check each against the metaschema in ``schema/meta/``."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import jsonschema

from ..diagnostics import Diagnostic, SchemaError, did_you_mean
from .source import SourceDocument, load_document

_SINGLE_FILES = {
    "api.yaml": "apiFile",
    "errors.yaml": "errorsFile",
    "subscriptions.yaml": "subscriptionsFile",
    "omitted.yaml": "omittedFile",
}
_FOLDERS = {"enums": "enumsFile", "types": "typesFile", "commands": "commandsFile"}
_REQUIRED_FILES = ("api.yaml", "errors.yaml", "subscriptions.yaml")
PROJECT_METASCHEMA = Path(__file__).resolve().parents[2] / "schema" / "meta" / "schema.json"


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
    # Metaschema problems of single definitions, left out of the build so that it reports the rest as well
    # (building raises them together with its own); the names of those definitions still count as defined.
    problems: tuple[Diagnostic, ...] = ()
    unbuilt: frozenset[str] = frozenset()


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


def _allowed_keys(schema: dict[str, Any]) -> set[str]:
    return set(schema.get("properties", {}))


def _explain(error: jsonschema.ValidationError) -> str:
    """A readable message for the usual metaschema failures, with a did-you-mean where a name was expected."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern":
        return f"{error.instance!r} is not a valid name here (must match {error.validator_value})"
    if error.validator == "enum":
        choices = [str(c) for c in cast(list[Any], error.validator_value)]
        hint = did_you_mean(str(error.instance), choices) if isinstance(error.instance, str) else ""
        return f"{error.instance!r} is not one of {', '.join(choices)}{hint}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required here")
    if error.validator in ("not", "if", "then", "else", "allOf"):
        return f"field schema does not fit together: {error.message[:160]}"
    if error.validator == "additionalProperties":
        return f"unexpected keys (allowed: {', '.join(sorted(_allowed_keys(schema)))})"
    return error.message[:300]


def _deepest(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Descend into anyOf/allOf/$ref contexts to report the specific failure, not the umbrella one."""
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return _deepest(best) if best is not None else [error]
    return [error]


_FIELD_WORDS = frozenset({"type", "$ref", "format", "items"})
_REQUIRED = re.compile(r"^'(?P<name>[^']*)' is a required property")


def validate_document(document: SourceDocument, kind: str, meta_path: Path) -> list[Diagnostic]:
    """Every metaschema failure of one document. Each unknown key is its own problem, reported at that key with
    the closest allowed key; a missing key that an unknown one misspells (``respone``) is not reported twice."""
    problems: list[Diagnostic] = []
    misspelt: dict[tuple[Any, ...], set[str]] = {}  # object path -> required keys an unknown key resembles
    missing: list[tuple[tuple[Any, ...], str, Diagnostic]] = []
    enums_seen: set[tuple[tuple[Any, ...], str]] = set()
    validator = _validator(meta_path, kind)
    found = [specific for error in validator.iter_errors(document.data) for specific in _deepest(error)]
    # Of two enum failures at one place, the one with the longer list (the field's own ``type``) is reported.
    found.sort(key=lambda e: -len(cast(list[Any], e.validator_value)) if e.validator == "enum" else 0)
    for specific in found:
        path = tuple(specific.absolute_path)
        schema = specific.schema if isinstance(specific.schema, dict) else {}
        if specific.validator == "additionalProperties" and isinstance(specific.instance, dict):
            allowed = _allowed_keys(schema)
            for key in [k for k in specific.instance if k not in allowed]:
                hint = did_you_mean(key, allowed)
                text = f"unknown key {key!r}" + (hint or f" (allowed: {', '.join(sorted(allowed))})")
                value = specific.instance[key]
                if "properties" in allowed and isinstance(value, dict) and value.keys() & _FIELD_WORDS:
                    text += "; if it is a field, indent it under `properties:`"
                problems.append(document.diagnostic((*path, key), text, at_key=True))
                for close in difflib.get_close_matches(key, sorted(allowed), n=2, cutoff=0.6):
                    misspelt.setdefault(path, set()).add(close)
            continue
        if specific.validator == "enum":  # a field's type is checked twice (itself, and against its format)
            if (path, repr(specific.instance)) in enums_seen:
                continue
            enums_seen.add((path, repr(specific.instance)))
        diagnostic = document.diagnostic(path, _explain(specific))
        required = _REQUIRED.match(specific.message) if specific.validator == "required" else None
        if required is not None:
            missing.append((path, required.group("name"), diagnostic))
            continue
        problems.append(diagnostic)
    problems += [d for path, name, d in missing if name not in misspelt.get(path, set())]
    return problems


# Top-level keys whose entries are independent definitions: a definition the metaschema refuses is left out of
# the build (its name still counts as defined), so the reference errors elsewhere are reported in the same run.
_DEFINITIONS = {
    "enumsFile": ("enums",),
    "typesFile": ("types",),
    "commandsFile": ("commands",),
    "errorsFile": ("errors",),
    "subscriptionsFile": ("subscriptions", "messages"),
}


def _without_broken(
    document: SourceDocument, kind: str, problems: list[Diagnostic]
) -> tuple[SourceDocument, set[str]] | None:
    """``document`` with the definitions its problems point into removed, and their names; None when a problem
    lies outside any definition (the file as a whole is unusable)."""
    containers = _DEFINITIONS.get(kind, ())
    broken: dict[str, set[str]] = {}
    for problem in problems:
        path = problem.path
        if len(path) < 2 or path[0] not in containers or not isinstance(path[1], str):
            return None
        broken.setdefault(str(path[0]), set()).add(path[1])
    if not broken:
        return document, set()
    data = dict(document.data)
    for container, names in broken.items():
        data[container] = {k: v for k, v in data[container].items() if k not in names}
    pruned = SourceDocument(document.path, document.display_name, data, document.positions)
    return pruned, set().union(*broken.values())


def _validated(document: SourceDocument, kind: str, meta_path: Path, cache_dir: Path | None) -> list[Diagnostic]:
    """``validate_document``, skipped for a document found valid before: a one-line edit re-validates one file.

    Only "valid" is remembered (an empty marker file), keyed by everything the answer depends on: this module, the
    jsonschema version, the metaschema, the kind and the document's data (its repr keeps key types and order)."""
    if cache_dir is None:
        return validate_document(document, kind, meta_path)
    digest = hashlib.sha256(_validation_salt(meta_path))
    digest.update(f"{kind}\0{document.data!r}".encode())
    key = digest.hexdigest()
    marker = cache_dir / key[:2] / key
    if marker.is_file():
        return []
    found = validate_document(document, kind, meta_path)
    if not found:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return found


@lru_cache(maxsize=4)
def _validation_salt(meta_path: Path) -> bytes:
    from importlib.metadata import version

    salt = hashlib.sha256(Path(__file__).read_bytes())
    salt.update(f"\0jsonschema {version('jsonschema')}\0".encode())
    salt.update(meta_path.read_bytes())
    return salt.digest()


def load_schema(root: Path, cache_dir: Path | None = None) -> SchemaDocuments:
    """Parse and validate every file below ``root``. Raises SchemaError when a file cannot be used at all;
    problems inside single definitions travel in ``SchemaDocuments.problems`` for the build to raise.
    ``cache_dir``: where documents found valid are remembered (see ``_validated``), and parsed ones (``parsed/``)."""
    root = root.resolve()
    meta_path = root / "meta" / "schema.json"
    if not meta_path.is_file():  # a fixture or scratch schema uses the project's metaschema
        meta_path = PROJECT_METASCHEMA
    problems: list[Diagnostic] = []
    if not meta_path.is_file():
        raise SchemaError([Diagnostic(str(meta_path), 1, 1, (), "metaschema not found")])
    by_kind: dict[str, list[SourceDocument]] = {}
    single: dict[str, SourceDocument] = {}
    usable = True  # False once a problem leaves no sensible document to build the rest from
    unbuilt: set[str] = set()
    for path in sorted(root.rglob("*.y*ml")):
        if "meta" in path.relative_to(root).parts:
            continue
        kind = _kind_of(path, root)
        loaded = load_document(path, root, cache_dir / "parsed" if cache_dir is not None else None)
        if isinstance(loaded, Diagnostic):
            problems.append(loaded)
            usable = False
            continue
        if kind is None:
            relative = path.relative_to(root)
            known = _FOLDERS if len(relative.parts) > 1 else _SINGLE_FILES
            hint = did_you_mean(relative.parts[0], known) or " (see schema/README.md for the file kinds)"
            problems.append(loaded.diagnostic((), f"unknown schema file{hint}"))
            usable = False
            continue
        found = _validated(loaded, kind, meta_path, cache_dir)
        problems.extend(found)
        pruned = _without_broken(loaded, kind, found)
        if pruned is None:
            usable = False
            continue
        loaded, names = pruned
        unbuilt |= names
        if path.parent == root:
            single[path.name] = loaded
        else:
            by_kind.setdefault(kind, []).append(loaded)
    for name in _REQUIRED_FILES:
        if name not in single and not any(d.file.endswith(name) for d in problems):
            problems.append(Diagnostic(str(root.name + "/" + name), 1, 1, (), "required file is missing"))
            usable = False
    if problems and not usable:
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
        problems=tuple(problems),
        unbuilt=frozenset(unbuilt),
    )
