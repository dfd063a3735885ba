"""Load YAML files from schema/ and remember where every value stands.

PyYAML's composer gives each node a position; we keep a map from JSON path to (line, column) so that later
stages (metaschema validation, cross-reference checks) can point at the exact spot of a problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import memo
from ..diagnostics import Diagnostic, JsonPath


@dataclass(frozen=True)
class SourceDocument:
    """One YAML file: its data and the position of every value in it."""

    path: Path
    display_name: str
    data: Any
    positions: dict[JsonPath, tuple[int, int]] = field(repr=False)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict, repr=False)  # where keys stand

    def locate(self, json_path: JsonPath) -> tuple[int, int]:
        """Where the value at ``json_path`` is written, or its nearest ancestor that exists.

        A scalar is located at its token (the ``Trpi`` of ``$ref: Trpi``); a mapping or list under a key at that
        key, so a definition or a dedented property is reported on the line that names it."""
        for end in range(len(json_path), -1, -1):
            found = self.positions.get(json_path[:end])
            if found is not None:
                return found
        return (1, 1)

    def diagnostic(self, json_path: JsonPath, message: str, *, at_key: bool = False) -> Diagnostic:
        """A problem at ``json_path``; ``at_key`` points at the key itself (an unknown key, not its value)."""
        found = self.key_positions.get(json_path) if at_key else None
        line, column = found or self.locate(json_path)
        return Diagnostic(self.display_name, line, column, json_path, message)


class _LoadError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


def _construct(
    node: yaml.Node, path: JsonPath, positions: dict[JsonPath, tuple[int, int]], keys: dict[JsonPath, tuple[int, int]]
) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LoadError(
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1, "keys must be plain text"
                )
            key = str(key_node.value)
            if key in result:
                raise _LoadError(key_node.start_mark.line + 1, key_node.start_mark.column + 1, f"duplicate key {key!r}")
            result[key] = _construct(value_node, (*path, key), positions, keys)
            keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(value_node, yaml.ScalarNode):  # a block starts on the line after its key
                positions[(*path, key)] = keys[(*path, key)]
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, index), positions, keys) for index, item in enumerate(node.value)]
    # Scalars: the safe constructor decides int/bool/str/null exactly as yaml.safe_load would.
    return _SCALAR_LOADER.construct_object(node, deep=True)


_SCALAR_LOADER = yaml.SafeLoader("")
# libyaml's parser is many times faster; the pure-Python one stays the reference for error messages.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        # Re-parse with the pure-Python loader so a syntax error reads (and is located) the same either way.
        return yaml.compose(text, Loader=yaml.SafeLoader)


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def load_document(path: Path, root: Path, cache_dir: Path | None = None) -> SourceDocument | Diagnostic:
    """Parse one file; a YAML syntax error comes back as a located diagnostic instead of an exception.

    ``cache_dir``: where parsed documents are kept by a hash of the file's bytes (and of this module and the YAML
    library), so a one-line edit parses one file. Only documents that parsed cleanly are kept; a problem is found
    by parsing, every time."""
    display = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text() reads it
    except (OSError, UnicodeDecodeError) as exc:
        return Diagnostic(display, 1, 1, (), f"cannot read file: {exc}")
    entry = cache_dir / _parsed_key(raw) if cache_dir is not None else None
    if entry is not None:
        hit = memo.load_sealed(entry)
        if isinstance(hit, tuple) and len(hit) == 3:
            data, positions, keys = hit
            return SourceDocument(path=path, display_name=display, data=data, positions=positions, key_positions=keys)
    found = _parse(text, display)
    if isinstance(found, Diagnostic):
        return found
    data, positions, keys = found
    if entry is not None:
        memo.store_sealed(entry, (data, positions, keys))
    return SourceDocument(path=path, display_name=display, data=data, positions=positions, key_positions=keys)


def _parsed_key(raw: bytes) -> str:
    digest = hashlib.sha256(_PARSE_SALT)
    digest.update(raw)
    return digest.hexdigest()


# What a parse depends on besides the file: this module (how values and positions are built), the YAML library.
_PARSE_SALT = hashlib.sha256(
    Path(__file__).read_bytes() + f"\0pyyaml {yaml.__version__} {_FAST_LOADER.__name__}".encode()
).digest()


def _parse(
    text: str, display: str
) -> tuple[Any, dict[JsonPath, tuple[int, int]], dict[JsonPath, tuple[int, int]]] | Diagnostic:
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Diagnostic(display, line, column, (), f"YAML syntax error: {exc.problem or exc}")
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters, U+FFFE)
        line, column = _position(text, exc.position)
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return Diagnostic(display, line, column, (), f"YAML does not allow the character {shown} here")
    if node is None:
        return Diagnostic(display, 1, 1, (), "file is empty")
    positions: dict[JsonPath, tuple[int, int]] = {}
    keys: dict[JsonPath, tuple[int, int]] = {}
    try:
        data = _construct(node, (), positions, keys)
    except _LoadError as exc:
        return Diagnostic(display, exc.line, exc.column, (), exc.message)
    except yaml.MarkedYAMLError as exc:  # e.g. an unknown tag such as !!python/object: refused, never run
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Diagnostic(display, line, column, (), f"YAML error: {exc.problem or exc.context}")
    except yaml.YAMLError as exc:
        return Diagnostic(display, 1, 1, (), "YAML error: " + " ".join(str(exc).split()))
    return data, positions, keys
