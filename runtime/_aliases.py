"""Models whose keys the vendor's sources spell more than one way (schema ``x-wire: {aliases: [...]}``).

A reply may carry a key under an older or alternate spelling (``Session.expiry`` for ``expires``, ``Company``'s
``employees`` for ``directory``). The generated model of such a type derives from ``AliasedModel``, which moves an
alternate spelling to the field's wire name before validation, so the value lands typed on the field instead of
in the extras. What is sent always uses the wire name.
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from ._base import WireModel
from ._registry import TYPES


class AliasedModel(WireModel):
    """A wire model that also accepts the alternate spellings its type lists in the registry."""

    @model_validator(mode="before")
    @classmethod
    def _accept_other_spellings(cls, data: Any) -> Any:
        spec = TYPES.get(cls.__name__)
        if not isinstance(data, dict) or spec is None or not spec.aliases:
            return data
        data = dict(data)
        for alias, wire_name in spec.aliases:
            if alias in data and wire_name not in data:  # the wire name wins when both are sent
                data[wire_name] = data.pop(alias)
        return data
