"""MkDocs hook: rank an exact name above the longer names it begins, in the site's search.

The search box adds a trailing wildcard to every word it is given, so ``mergeAsset`` matches the headings
``mergeAsset`` and ``mergeAssetDispatch`` alike, and the search engine (lunr, with length normalisation off) then
prefers whichever name is rarer in the rest of the site: usually the longer one. Every reference heading starts
with its name (``mergeAsset · client.assets.merge``, ``assetNotFound · AssetNotFound``, ``Asset``); this hook
lowers each such heading's weight by a factor of three for every other heading name its own name extends, so the
exact name always outranks the names that merely start with it. Headings whose names extend nothing keep their
weight. Copied verbatim into generated/docs/hooks/ by the generator; mkdocs.yml lists it under ``hooks``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# What lowers a heading's weight per name it extends: large enough to outweigh how much rarer a longer name is
# elsewhere (the search engine's inverse document frequency), small enough that a heading match still outranks a
# mere mention in the text of another section (titles weigh 1000 times more than text).
STEP = 3.0
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _name(doc: dict[str, Any]) -> str | None:
    """The heading's leading identifier, when the section is a reference entry (its anchor is that name)."""
    location = str(doc.get("location", ""))
    if "#" not in location:
        return None
    words = str(doc.get("title", "")).split()
    anchor = location.split("#", 1)[1]
    if not words or not _NAME.match(words[0]) or words[0] != anchor:
        return None
    return words[0].lower()


def rank(index: dict[str, Any]) -> None:
    """Set each reference entry's ``boost`` in a material search index (in place)."""
    docs = index.get("docs", [])
    names = {name for name in map(_name, docs) if name}
    for doc in docs:
        name = _name(doc)
        if name is None:
            continue
        extended = sum(1 for other in names if other != name and name.startswith(other))
        if extended:
            doc["boost"] = STEP**-extended


def on_post_build(config: Any) -> None:
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not path.is_file():  # search turned off
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    rank(index)
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
