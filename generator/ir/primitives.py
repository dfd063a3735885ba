"""Facts about the catalogue's primitive formats (``format:`` in schema/), in one place for every module."""

from __future__ import annotations

from collections.abc import Mapping

# Which JSON type each catalogue primitive travels as.
FORMAT_JSON_TYPE: Mapping[str, str] = {
    **dict.fromkeys(("byte", "short", "ushort", "int", "uint", "long", "ulong"), "integer"),
    **dict.fromkeys(("float", "double"), "number"),
    **dict.fromkeys(
        (
            "datetime",
            "timespan",
            "codified",
            "colour",
            "email",
            "guid",
            "expression",
            "ipv4",
            "ipendpoint",
            "polyline",
            "url",
        ),
        "string",
    ),
}

# The exact range of each integer format.
INTEGER_RANGES: Mapping[str, tuple[int, int]] = {
    "byte": (0, 2**8 - 1),
    "short": (-(2**15), 2**15 - 1),
    "ushort": (0, 2**16 - 1),
    "int": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "long": (-(2**63), 2**63 - 1),
    "ulong": (0, 2**64 - 1),
}

# Precision of number formats (None: a plain JSON number, the widest).
NUMBER_RANK: Mapping[str | None, int] = {"float": 1, "double": 2, None: 3}
