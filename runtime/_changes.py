"""The changes a sync cache reports: ``ObjectCreated``, ``ObjectUpdated``, ``ObjectDeleted`` (one per stored object,
or per composite for a stream of composites), how the change between two stored states is named, and how two
changes of one object fold into one when a stream is read late.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from ._cache_pieces import ObjectKey, attr_names

T = TypeVar("T", bound=BaseModel)


def _dump(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_unset=True)


# --- changes ---------------------------------------------------------------------------------------------------


class Change(Generic[T]):
    """One change the cache made to one stored object. ``type`` is the stored class (``AssetGeneral``), or the
    composite (``Asset``) a stream of composites yields; ``key`` the object's key, ``company`` its owner; ``parts``
    the stored types that changed (for a composite, which of its parts; else the type itself). ``old`` / ``new``
    decode on first access."""

    __slots__ = ("_new", "_new_raw", "_old", "_old_raw", "company", "key", "parts", "type")
    kind: ClassVar[str] = ""

    def __init__(
        self,
        cls: type[T],
        key: Any,
        company: int | None,
        old: bytes | None,
        new: bytes | None,
        parts: frozenset[str] | None = None,
    ) -> None:
        self.type = cls
        self.key: ObjectKey = key
        self.company = company
        self.parts = frozenset((cls.__name__,)) if parts is None else parts
        self._old_raw, self._new_raw = old, new
        self._old: T | None = None
        self._new: T | None = None

    @property
    def old(self) -> T | None:
        """The object before the change (``None`` when it was created)."""
        if self._old is None and self._old_raw is not None:
            self._old = self.type.model_validate_json(self._old_raw)
        return self._old

    @property
    def new(self) -> T | None:
        """The object after the change (``None`` when it was deleted)."""
        if self._new is None and self._new_raw is not None:
            self._new = self.type.model_validate_json(self._new_raw)
        return self._new

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, Change)
            and (self.type, self.key, self.company, self._old_raw, self._new_raw)
            == (other.type, other.key, other.company, other._old_raw, other._new_raw)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.type.__name__} {self.key!r}, company={self.company!r})"


class ObjectCreated(Change[T]):
    """An object appeared in the cache (a push about a new object, or a list reply holding one)."""

    __slots__ = ()
    kind: ClassVar[str] = "created"


class ObjectUpdated(Change[T]):
    """A newer version of a stored object arrived. ``fields``: the attribute names whose values changed."""

    __slots__ = ("_fields",)
    kind: ClassVar[str] = "updated"

    def __init__(
        self,
        cls: type[T],
        key: Any,
        company: int | None,
        old: bytes | None,
        new: bytes | None,
        parts: frozenset[str] | None = None,
    ) -> None:
        super().__init__(cls, key, company, old, new, parts)
        self._fields: frozenset[str] | None = None

    @property
    def fields(self) -> frozenset[str]:
        if self._fields is None:
            before = json.loads(self._old_raw or b"{}")
            after = json.loads(self._new_raw or b"{}")
            names = attr_names(self.type)
            self._fields = frozenset(
                names.get(k, k) for k in before.keys() | after.keys() if k != "v" and before.get(k) != after.get(k)
            )
        return self._fields

    def __repr__(self) -> str:
        return f"ObjectUpdated({self.type.__name__} {self.key!r}, fields={sorted(self.fields)})"


class ObjectDeleted(Change[T]):
    """An object left the cache: deleted on the server (a ``…Deleted`` push, or missing from a list reply)."""

    __slots__ = ()
    kind: ClassVar[str] = "deleted"


def change_between(
    cls: type[T], key: Any, company: int | None, old: bytes | None, new: bytes | None, parts: frozenset[str]
) -> Change[T] | None:
    """The one change taking an object from ``old`` to ``new`` (None when nothing is left: created, then deleted)."""
    if old is None and new is None:
        return None
    if old is None:
        return ObjectCreated(cls, key, company, old, new, parts)
    if new is None:
        return ObjectDeleted(cls, key, company, old, new, parts)
    return ObjectUpdated(cls, key, company, old, new, parts)


def fold(earlier: Change[T], later: Change[T]) -> Change[T] | None:
    """Two changes to one object not yet read, as one: from the first one's old to the last one's new."""
    return change_between(
        later.type,
        later.key,
        later.company or earlier.company,
        earlier._old_raw,
        later._new_raw,
        earlier.parts | later.parts,
    )
