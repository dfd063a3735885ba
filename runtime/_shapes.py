"""How stored objects are shaped, from the registry: composites and their parts, version slots, annotations.

The cache and the emulator both ask these questions; they are answered here once.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

from ._registry import TYPES


def root_of(type_name: str) -> str:
    """The stored object a type belongs to: a part's composite, or the type itself."""
    spec = TYPES.get(type_name)
    return spec.part_of if spec is not None and spec.part_of in TYPES else type_name


@cache
def parts_of(root: str) -> tuple[tuple[int, str], ...]:
    """``(slot, part)`` of a composite, or ``((0, root),)`` for a plain object."""
    spec = TYPES.get(root)
    if spec is None or not spec.parts:
        return ((0, root),)
    return tuple((slot, name) for slot, name in enumerate(spec.parts) if name is not None and name in TYPES)


def slot_of(type_name: str) -> int:
    """The ``v`` slot a type owns: its version slot when it is a part, else 0."""
    spec = TYPES.get(type_name)
    return spec.version_slot if spec is not None and spec.version_slot is not None else 0


def width_of(root: str) -> int:
    """How many versions the ``v`` array of a root object holds."""
    spec = TYPES.get(root)
    return len(spec.parts) if spec is not None and spec.parts else 1


def unwrap(annotation: Any) -> tuple[tuple[Any, ...], bool]:
    """What an annotation admits, without ``None``, ``Annotated`` metadata and list/tuple, and whether a list:
    ``list[Asset] | None`` -> ``((Asset,), True)``; ``Asset | Place`` -> ``((Asset, Place), False)``; a union is a
    list only when every option is one."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options = [unwrap(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        members = tuple(m for option, _ in options for m in option)
        return members, bool(options) and all(is_list for _, is_list in options)
    if origin in (list, tuple):
        return unwrap(typing.get_args(annotation)[0])[0], True
    return (annotation,), False
