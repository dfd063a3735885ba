"""Seed data: the companies, users (with passwords), assets and other objects an emulator starts with.

A seed is a JSON object (or YAML, when PyYAML is importable) whose keys are object type names of the schema
(``Company``, ``User``, ``Asset``, ...) and whose values are lists of objects in wire form (the format, with its
JSON Schema ``seed.schema.json``, is in ``_seed_schema``). Every object is validated against its generated model
with unknown fields refused, so a typo in a seed file is reported with the file and the JSON path of the value:
``acme.json: $.Asset[3].nmae: Extra inputs are not permitted``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import _shapes as shapes
from .._registry import TYPES
from ._seed_schema import change_model, item_model
from ._semantics import ALLOWED_SUBSCRIPTIONS
from ._sessions import Passwords
from ._store import MemoryStore, Record

DEFAULT_SEED = "default_seed.json"
# The demo login printed by ``fleetfreedom emulator``: only the shipped seed's password is public.
DEMO_LOGIN = "demo@acme.example"
DEMO_PASSWORD = "demo-pass-42"


class SeedError(ValueError):
    """A seed file could not be read or holds an object its type does not accept."""


def load_seed(source: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    """The seed as a dict: ``None`` is the shipped default, a dict is taken as is, a path is read."""
    if source is None:
        text = resources.files(__package__).joinpath(DEFAULT_SEED).read_text(encoding="utf-8")
        return dict(json.loads(text))
    if isinstance(source, dict):
        return source
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"cannot read seed file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml  # type: ignore[import-untyped,unused-ignore]
            except ImportError:
                raise SeedError(f"{path}: reading a YAML seed needs PyYAML; use JSON or install pyyaml") from None
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise SeedError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError(f"{path}: a seed is an object whose keys are type names")
    return data


def apply_seed(store: MemoryStore, passwords: Passwords, seed: dict[str, Any], where: str = "seed") -> None:
    """Store every object of ``seed``; users' passwords go to ``passwords`` as hashes, never into objects."""
    for type_name, objects in seed.items():
        if type_name.startswith("_"):
            continue  # comments such as "_about"
        spec = TYPES.get(type_name)
        if spec is None or not spec.key:
            raise SeedError(f"{where}: $.{type_name}: {type_name!r} is not an object type with a key")
        if spec.part_of:
            raise SeedError(f"{where}: $.{type_name}: seed whole objects ({spec.part_of}), not the part {type_name}")
        if not isinstance(objects, list):
            raise SeedError(f"{where}: $.{type_name}: must be a list of objects")
        for index, raw in enumerate(objects):
            at = f"{where}: $.{type_name}[{index}]"
            if not isinstance(raw, dict):
                raise SeedError(f"{at}: must be an object")
            _store_one(store, passwords, type_name, spec.key, dict(raw), at)


def checked_object(type_name: str, obj: dict[str, Any], at: str, change: bool = False) -> dict[str, Any]:
    """``obj`` as ``type_name`` accepts it, in wire form (``"42"`` for an integer becomes 42); unknown fields and
    wrong values are refused with their path, so what is stored is what a client can decode. A ``change`` (what
    ``merge_object`` takes) may leave out any field, the key included."""
    try:
        model = (change_model if change else item_model)(type_name).model_validate(obj)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise SeedError(f"{at}{path}: {first['msg']}") from None
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _store_one(
    store: MemoryStore, passwords: Passwords, root: str, key_field: str, obj: dict[str, Any], at: str
) -> None:
    data = checked_object(root, obj, at)
    password = data.pop("password", None)
    allowed = data.pop(ALLOWED_SUBSCRIPTIONS, None)
    key = data.get(key_field)
    if key in (None, "", 0):
        raise SeedError(f"{at}: needs its key {key_field!r}")
    data.pop("v", None)
    if allowed is not None:
        data[ALLOWED_SUBSCRIPTIONS] = list(allowed)
    filled = {slot for slot, _ in shapes.parts_of(root)}
    store.put(Record(root, key, data, [1 if s in filled else 0 for s in range(shapes.width_of(root))]))
    if password is not None:
        passwords.set(str(key), str(password))


def first_company(seed: dict[str, Any]) -> int | None:
    """The company ``--user`` accounts join: the first one that is not its own parent (the demo company)."""
    companies = [c for c in seed.get("Company", []) if isinstance(c, dict)]
    for company in companies:
        if company.get("id") != company.get("parent"):
            return int(company["id"])
    return int(companies[0]["id"]) if companies else None


def user_objects(accounts: Iterable[tuple[str, str]], company: int) -> list[dict[str, Any]]:
    """Seed entries for ``--user LOGIN:PASSWORD`` accounts: full rights in ``company``."""
    return [
        {"login": login, "password": password, "company": company, "enabled": True, "nickname": login.split("@")[0]}
        for login, password in accounts
    ]
