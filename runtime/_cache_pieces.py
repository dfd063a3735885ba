"""What the sync cache knows about types, read from the registry: which stored piece a type or subscription is,
the list command and field that fetch a company's objects, the composite a part belongs to, and where its version
sits in ``v``. Facts only: the rules that use them are ``_cache_core.CacheCore``.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from ._registry import COMMANDS, MESSAGES, SUBSCRIPTIONS, TYPES
from ._shapes import parts_of, root_of, unwrap
from ._specs import CommandSpec

COMPANY_FILTER = "company"  # the list filter the cache syncs by: every object of one company
ObjectKey = int | str  # a stored object's key: an id, or a text key (a machine's key, a user's login)


@dataclass(frozen=True, slots=True)
class Piece:
    """A type the cache stores on its own: one part of a composite (``AssetGeneral``) or a plain object (``Place``)."""

    name: str
    root: str  # the composite it is part of, or itself
    slot: int  # its index in the root's ``v``
    width: int  # how many versions the root's ``v`` holds
    key: str  # wire name of the identity field
    owner: str | None  # wire name of the field naming the owning company
    versioned: bool = True  # False: its objects carry no ``v`` at all (ProviderRegistration); arrival order decides

    @property
    def cls(self) -> type[BaseModel]:
        return typing.cast(type[BaseModel], TYPES[self.name].cls)


@cache
def piece(name: str) -> Piece | None:
    spec = TYPES.get(name)
    if spec is None or spec.key is None or spec.parts:
        return None
    root = spec.part_of if spec.part_of in TYPES else name
    width = len(TYPES[root].parts) if TYPES[root].parts else 1
    return Piece(name, root, spec.version_slot or 0, width, spec.key, spec.owner, "v" in spec.fields)


@cache
def list_command(name: str) -> CommandSpec | None:
    """The command listing every ``name`` of one company: the plainest ``get…List`` filtered by company."""
    candidates = [
        spec
        for spec in COMMANDS.values()
        if spec.verb == "list" and spec.object == name and spec.filter == COMPANY_FILTER
    ]
    candidates.sort(key=lambda spec: (len(spec.request_fields), len(spec.name), spec.name))
    return candidates[0] if candidates else None


@cache
def list_field(command: str) -> str:
    """The attribute of a list reply that holds the objects (the reply field the request does not echo)."""
    spec = COMMANDS[command]
    fields = [f for f in spec.response_fields if f not in spec.request_fields]
    wire = fields[0] if fields else spec.response_fields[-1]
    return attr_names(spec.response_class).get(wire, wire)


@cache
def attr_names(cls: type[BaseModel]) -> dict[str, str]:
    """Wire name -> attribute name of a model's fields."""
    return {(info.alias or name): name for name, info in cls.model_fields.items()}


@cache
def wire_to_attr(name: str) -> dict[str, str]:
    return attr_names(TYPES[name].cls)


@cache
def subscription_piece(subscription: str) -> str | None:
    """The stored type a subscription delivers (``assetGeneral`` -> ``AssetGeneral``)."""
    spec = SUBSCRIPTIONS.get(subscription)
    return spec.object if spec is not None and piece(spec.object) is not None else None


@cache
def message_roots(message: str) -> tuple[str, ...]:
    """The roots a ``…Deleted`` / ``…Suspended`` message speaks about: those of the subscriptions delivering it."""
    spec = MESSAGES.get(message)
    if spec is None:
        return ()
    roots = {root_of(SUBSCRIPTIONS[s].object) for s in spec.subscriptions if s in SUBSCRIPTIONS}
    if not roots:  # tied to no subscription: the payload may name a whole object (``PlaceDeleted`` -> Place)
        for suffix in ("Deleted", "Suspended"):
            named = spec.payload.removesuffix(suffix)
            if spec.payload.endswith(suffix) and piece(named) is not None and root_of(named) == named:
                roots.add(named)  # a part's own deletion (CompanyResellerDeleted) is not the whole object's
    return tuple(sorted(roots))


@cache
def owns_itself(root: str) -> bool:
    """Company pieces belong to the company they describe as well as to their parent (a company's own region)."""
    target = COMPANY_FILTER[:1].upper() + COMPANY_FILTER[1:]
    return root == target


@cache
def nested_parts(root: str) -> dict[str, str]:
    """Part -> wire name of the composite's field holding that part whole (``Asset.dispatch: AssetDispatch``)."""
    spec = TYPES.get(root)
    if spec is None or not spec.parts:
        return {}
    cls = spec.cls
    hints = typing.get_type_hints(cls)
    out: dict[str, str] = {}
    for _, part in parts_of(root):
        part_cls = TYPES[part].cls
        for name, info in cls.model_fields.items():
            members, is_list = unwrap(hints.get(name))
            if part_cls in members and not is_list:
                out[part] = info.alias or name
    return out


def version_of(v: object, slot: int, width: int) -> int | None:
    """A piece's version in a ``v`` array: a one-element array is the piece's own; a full one is indexed by slot."""
    if not isinstance(v, (list, tuple)) or not v:
        return None
    value = v[0] if len(v) == 1 else (v[slot] if slot < len(v) and len(v) == width else None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def company_id(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    key = value.get("id") if isinstance(value, dict) else getattr(value, "id", None)
    return key if isinstance(key, int) and not isinstance(key, bool) else None


def type_name(cls_or_name: type[BaseModel] | str) -> str:
    """A generated model class or its schema name -> the schema name (checked)."""
    name = cls_or_name if isinstance(cls_or_name, str) else cls_or_name.__name__
    spec = TYPES.get(name)
    if spec is None or (spec.key is None) or (spec.part_of is None and not spec.parts and piece(name) is None):
        raise ValueError(f"{name} is not a type the cache stores (it needs a key)")
    if not isinstance(cls_or_name, str) and spec.cls is not cls_or_name:
        raise ValueError(f"{cls_or_name!r} is not the generated {name} model")
    return name
