"""The maintainer's loop after a vendor release, as text edits on a copy of a schema folder (issue 19).

Each step edits the YAML the way a maintainer would by hand; the tests run the generator's own commands on the
result. The additions are written once here and shared by the walk over the real schema and the emulator tests
over the fixture schema.
"""

from __future__ import annotations

import re
from pathlib import Path

TRIP_TYPE = """\
  Trip:
    description: One journey of an asset, from ignition on to ignition off.
    x-key: id
    x-owner: company
    properties:
      id: {type: integer, format: ulong, description: Identifier of the trip.}
      company: {type: integer, format: ulong, description: The company that owns the asset.}
      asset: {type: integer, format: ulong, description: The asset that travelled.}
      started: {type: string, format: datetime, description: When the trip began.}
      ended: {type: string, format: datetime, description: When the trip ended.}
      distance: {type: number, format: double, description: Kilometres travelled.}
    required: [id]
"""

# A list of a new type, filtered by asset and a time range: what the vendor's new command looks like.
GET_ASSET_TRIPS = """\
  getAssetTrips:
    verb: list
    object: Trip
    description: Lists the trips an asset made that overlap a period.
    evidence: [inferred]
    x-filter: asset
    x-resource: assets
    x-method: list_trips
    request:
      properties:
        asset: {$ref: IdKey, description: Which asset.}
        from: {type: string, format: datetime, description: Start of the period.}
        to: {type: string, format: datetime, description: End of the period.}
      required: [asset, from, to]
    response:
      properties:
        asset: {$ref: IdKey, description: Which asset.}
        trips: {type: array, items: {$ref: Trip}, description: The trips that overlap the period.}
    errors: [assetNotFound, tripNotFound]
"""

# The same answer from a command the generic verbs do not describe (``verb: special``), with since/until.
GET_LATEST_TRIPS = """\
  getLatestTrips:
    verb: special
    object: Asset
    description: Lists an asset's trips that ended within a period.
    evidence: [inferred]
    x-resource: assets
    x-method: latest_trips
    request:
      properties:
        asset: {$ref: IdKey, description: Which asset.}
        since: {type: string, format: datetime, description: Start of the period.}
        until: {type: string, format: datetime, description: End of the period.}
      required: [asset]
    response:
      properties:
        trips: {type: array, items: {$ref: Trip}, description: The trips.}
"""

COLOR = "      color: {type: string, format: colour, description: Colour the asset is drawn in.}\n"
TRIP_NOT_FOUND = "  tripNotFound: {code: 9001, group: notFound, description: No trip has that id.}\n"


def edit(path: Path, old: str, new: str, *, count: int = 1) -> None:
    """Replace ``old`` by ``new`` exactly ``count`` times (1) or everywhere (0); fail loudly when absent."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new) if count == 0 else text.replace(old, new, count), encoding="utf-8")


def insert_after(path: Path, anchor: str, block: str) -> None:
    edit(path, anchor, anchor + block)


def _type_block(path: Path, name: str) -> tuple[int, int]:
    """Start and end offsets of the definition ``name`` (two-space indented key) in a YAML file."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^  {re.escape(name)}:\n", text, flags=re.MULTILINE)
    assert match is not None, f"{name} not in {path}"
    end = re.search(r"^  \S", text[match.end() :], flags=re.MULTILINE)
    return match.start(), match.end() + (end.start() if end else len(text) - match.end())


def add_to_properties(path: Path, type_name: str, line: str) -> None:
    """Add a property line at the top of ``type_name``'s properties (whatever style the file uses)."""
    text = path.read_text(encoding="utf-8")
    start, end = _type_block(path, type_name)
    block = text[start:end]
    at = block.index("    properties:\n") + len("    properties:\n")
    path.write_text(text[:start] + block[:at] + line + block[at:] + text[end:], encoding="utf-8")


def remove_definition(path: Path, name: str) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = _type_block(path, name)
    path.write_text(text[:start] + text[end:], encoding="utf-8")


# --- the additions -------------------------------------------------------------------------------------------


def add_trip(schema: Path, *, special: bool = False) -> None:
    """Type Trip, command getAssetTrips (and getLatestTrips with ``special``), error code tripNotFound."""
    insert_after(schema / "types" / "assets.yaml", "types:\n", TRIP_TYPE)
    commands = GET_ASSET_TRIPS + (GET_LATEST_TRIPS if special else "")
    insert_after(schema / "commands" / "assets.yaml", "commands:\n", commands)
    insert_after(schema / "errors.yaml", "errors:\n", TRIP_NOT_FOUND)


def add_color(schema: Path) -> None:
    """Field color on AssetGeneral and on its composite Asset."""
    add_to_properties(schema / "types" / "assets.yaml", "AssetGeneral", COLOR)
    add_to_properties(schema / "types" / "assets.yaml", "Asset", COLOR)


def add_boat(schema: Path) -> None:
    edit(
        schema / "enums" / "assets.yaml",
        "    members:\n",
        "    members:\n      boat:\n        description: A boat.\n",
    )
