"""Problems found in schema/, each located as ``file:line:column: JSON-path: message``."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

JsonPath = tuple[str | int, ...]


_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*\Z")


def format_json_path(path: JsonPath) -> str:
    """``("commands", "getAsset", "request")`` -> ``$.commands.getAsset.request``; an odd key is quoted
    (``$.types["a b"]``) so that a diagnostic stays one readable line whatever the key holds."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if _PLAIN_KEY.match(part) else f"[{json.dumps(part)}]"
    return out


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'Trip'?)`` for the closest known names, or ``""``: every "unknown X" message ends with it."""
    candidates = sorted({str(k) for k in known})
    matches = difflib.get_close_matches(name, candidates, n=2, cutoff=0.6)
    if not matches:  # case slips (trip for Trip) fall below the ratio when names are short
        matches = [c for c in candidates if c.lower() == name.lower()][:1]
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"


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
