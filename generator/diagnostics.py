"""Problems found in schema/, each located as ``file:line:column: JSON-path: message``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

JsonPath = tuple[str | int, ...]


def format_json_path(path: JsonPath) -> str:
    """``("commands", "getAsset", "request")`` -> ``$.commands.getAsset.request``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    column: int
    path: JsonPath
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {format_json_path(self.path)}: {self.message}"


class SchemaError(Exception):
    """Raised with every problem of a run, so a maintainer fixes them all at once."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: Sequence[Diagnostic] = sorted(set(diagnostics))
        super().__init__("\n".join(str(d) for d in self.diagnostics))
