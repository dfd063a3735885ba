"""How sure a wire name is, in words a reader can act on: the one mapping from the schema's evidence words.

The schema keeps the catalogue's evidence words (``v4.17.5-ref-list``, ``ts-v5-derived``, ...) because they say
where a name came from. A reader needs something else: how likely the real server is to accept the name. Each
word maps to one level; an item's level is the strongest level among its words. The docs show the level's label
and link to the page that explains every level (``templates/docs/confidence.md.jinja``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .nodes import CONFIRMED_EVIDENCE, Evidence


@dataclass(frozen=True)
class Level:
    id: str  # the anchor on the explanation page and the badge's CSS class suffix
    label: str  # what a reader sees next to a name
    confirmed: bool
    meaning: str  # what the level says about the name's origin
    advice: str  # what it means for someone calling the API


# Strongest first: an item takes the first level any of its evidence words reaches.
LEVELS: tuple[Level, ...] = (
    Level(
        "reference",
        "confirmed by the vendor's API reference",
        True,
        "The name is listed in an API reference or article the vendor published for this socket API.",
        "Use it as is; the real server has answered to this name.",
    ),
    Level(
        "vendor-client",
        "confirmed by the vendor's client",
        True,
        "The exact wire string appears in the vendor's own client code, which talks to the real server.",
        "Use it as is; the vendor's client sends or reads this name.",
    ),
    Level(
        "vendor-class",
        "derived from the vendor's current client",
        False,
        "The name is computed from a class name in the vendor's current TypeScript client, by the rule that "
        "client applies to build wire names. It is what that client would send, but no server document confirms it.",
        "Very likely right. If the server answers with an unknown-command error, the name is the first suspect: "
        'report it, and use `client.request("<name>", {...})` with the corrected name meanwhile.',
    ),
    Level(
        "pattern",
        "derived from naming patterns",
        False,
        "The name follows the API's naming patterns (a verb and an object type, a method of the vendor's client "
        "with the same name, a code comment), but nothing shows the server uses exactly this spelling.",
        "Treat it as a good guess: test it against the real server before relying on it, and fall back to "
        "`client.request()` with the right name if it is refused.",
    ),
    Level(
        "uncertain",
        "uncertain",
        False,
        "The sources disagree or say nothing definite about this name.",
        "Expect to verify it; the reference pages keep it so that the SDK covers the whole API.",
    ),
)

_BY_ID = {level.id: level for level in LEVELS}

# Every evidence word the schema may carry (schema/README.md lists them) and the level it supports.
EVIDENCE_LEVELS: dict[str, str] = {
    "v4.17.5-ref-list": "reference",
    "newer-wss-ref": "reference",
    "getting-started-article": "reference",
    "code-literal": "vendor-client",
    "source": "vendor-client",
    "ts-v5-derived": "vendor-class",
    "ts-v5-class": "vendor-class",
    "subscription-type-enum": "vendor-class",
    "client-method-name": "pattern",
    "code-comment": "pattern",
    "inferred": "pattern",
    "derived": "pattern",
    "uncertain": "uncertain",
}


@cache  # the docs ask for the same few evidence tuples tens of thousands of times
def level_of(evidence: Evidence) -> Level:
    """The strongest level the evidence reaches; an unknown word counts as uncertain."""
    ranks = [LEVELS.index(_BY_ID[EVIDENCE_LEVELS.get(word, "uncertain")]) for word in evidence]
    return LEVELS[min(ranks)] if ranks else _BY_ID["uncertain"]


def _check() -> None:
    """The levels agree with ``model.is_confirmed``: one notion of "confirmed", not two."""
    confirmed = {word for word, level in EVIDENCE_LEVELS.items() if _BY_ID[level].confirmed}
    if confirmed != set(CONFIRMED_EVIDENCE):
        differ = sorted(confirmed ^ CONFIRMED_EVIDENCE)
        raise AssertionError(f"confidence levels disagree with model.CONFIRMED_EVIDENCE on {differ}")


_check()

__all__ = ["EVIDENCE_LEVELS", "LEVELS", "Level", "level_of"]
