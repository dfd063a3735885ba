"""Checks a write must pass before the emulator's semantics see it: who may write what.

They look at the request as sent, before any handler runs, so one rule covers every command:

* every object nested anywhere in a write that names an owning company must name one the session may see (a
  contact card cannot be moved into another company by ``updateOwnContact``);
* fields only the emulator keeps (``emulatorSubscriptionTypes``, a user's restriction) cannot be sent at all;
* a user cannot change its own rights (groups, permissions, enabled, company) with ``mergeUser``;
* objects that no company owns (hosting discounts, rate plans, timezones, ...) belong to the service provider:
  no session changes them, only the emulator's own controls and seed;
* a ``password`` sent with a user is taken out of the object and stored as a salted hash, never as data;
* creating an object needs the fields the schema names for a create (``CREATE_REQUIRES``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import _shapes as shapes
from .._registry import TYPES
from .._specs import CommandSpec
from . import _catalog as catalog
from ._semantics import ALLOWED_SUBSCRIPTIONS, Outcome, Semantics
from ._sessions import Session

WRITE_VERBS = frozenset({"merge", "multiMerge", "remove", "multiRemove", "restore", "suspend", "revive", "clear"})
OWNER_FIELDS = ("company", "parent")  # the fields that name an owning company (``parent`` for companies)
SELF_PROTECTED = ("company", "enabled", "groups", "permissions")  # a user's rights, which only others may change
INTERNAL_FIELDS = frozenset({ALLOWED_SUBSCRIPTIONS})
PASSWORD_FIELD = "password"
# Fields a create needs, as the commands' descriptions state them ("company, kind, name and icon are then needed"
# for mergeAsset). ``icon`` is left out on purpose: every example and test creates assets without one, and the
# emulator has no icon catalogue to check it against.
CREATE_REQUIRES: dict[str, tuple[str, ...]] = {"Asset": ("company", "kind", "name")}


def _is_write(spec: CommandSpec) -> bool:
    if spec.verb in WRITE_VERBS:
        return True
    # special commands that change stored objects (subscribe and killSession change only sessions)
    changes_objects = spec.object not in (None, "Subscription", "Session")
    return spec.verb == "special" and changes_objects and not spec.name.startswith("get")


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value``, outermost first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _denied(message: str) -> Outcome:
    return Outcome(error="permissionDenied", message=message)


def check(semantics: Semantics, spec: CommandSpec, session: Session, body: dict[str, Any]) -> Outcome | None:
    """The refusal of a write the session may not make, or None when it may go ahead."""
    if not session.logged_in or not _is_write(spec):
        return None
    root = shapes.root_of(spec.object) if spec.object is not None else None
    root_spec = TYPES.get(root) if root is not None else None
    if root_spec is not None and root_spec.key and root_spec.owner is None and spec.verb in WRITE_VERBS:
        return _denied(f"{spec.name}: {root} objects belong to the service provider; no company may change them")
    visible = semantics.company_tree(session.company)
    for obj in _objects(body):
        internal = INTERNAL_FIELDS.intersection(obj)
        if internal:
            return Outcome(error="invalidData", message=f"{spec.name}: {sorted(internal)[0]} is not a field of the API")
        for owner_field in OWNER_FIELDS:
            company = catalog.key_value(obj.get(owner_field)) if owner_field in obj else None
            if isinstance(company, int) and not isinstance(company, bool) and company and company not in visible:
                return _denied(f"{spec.name}: company {company} is not yours to write into")
    needed = CREATE_REQUIRES.get(root or "")
    if needed and spec.verb in ("merge", "multiMerge") and spec.request_fields:
        sent = body.get(spec.request_fields[0])
        for index, obj in enumerate(sent if isinstance(sent, list) else [sent]):
            key_field = root_spec.key if root_spec is not None and root_spec.key else "id"
            if isinstance(obj, dict) and obj.get(key_field) in (None, 0, ""):
                missing = [f for f in needed if obj.get(f) in (None, "")]
                if missing:
                    where = f" (item {index})" if isinstance(sent, list) else ""
                    message = f"{spec.name}{where}: creating a {root} needs {', '.join(missing)}"
                    return Outcome(error="invalidData", message=message)
    if root == "User":
        for obj in _objects(body.get(spec.request_fields[0]) if spec.request_fields else None):
            if obj.get("login") == session.login:
                touched = [f for f in SELF_PROTECTED if f in obj and _differs(semantics, session, f, obj[f])]
                if touched:
                    return _denied(f"{spec.name}: a user cannot change its own {', '.join(touched)}")
    return None


def _differs(semantics: Semantics, session: Session, field_name: str, value: Any) -> bool:
    """Whether ``value`` would change the session user's own ``field_name`` (resending it unchanged is fine)."""
    user = semantics.store.get("User", session.login)
    if user is None:
        return True
    return bool(catalog.key_value(user.data.get(field_name)) != catalog.key_value(value))


def take_passwords(spec: CommandSpec, body: dict[str, Any]) -> list[tuple[str, str]]:
    """``(login, password)`` of every user in a user write, removed from ``body`` so it never becomes data."""
    if spec.object is None or shapes.root_of(spec.object) != "User" or not _is_write(spec):
        return []
    taken = []
    for obj in _objects(body):
        if PASSWORD_FIELD in obj and isinstance(obj.get("login"), str):
            password = obj.pop(PASSWORD_FIELD)
            if isinstance(password, str):
                taken.append((obj["login"], password))
    return taken
