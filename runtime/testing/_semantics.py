"""What each command does to the emulator's data, decided by its verb and object as the registry describes them.

``Semantics.execute`` takes a session, a command name and the request body and returns an ``Outcome``: the reply
fields (or the error) and the sync messages to push. It does no I/O; the server sends the reply and fans the
pushes out. Only session-level commands (login, subscribe, ...) have their own handlers; every other command is
served by its verb (get, list, merge, remove, restore, suspend, revive, multiMerge, multiRemove, clear), and a
``special`` one by the shape of its reply: a list of objects is answered like ``list``, one object like ``get``.

A listed object comes from the store of its own type (a ``Trip`` listed by an ``Asset`` command is a stored
Trip). Request fields filter it: the command's ``x-filter`` and other fields by equality, ``from``/``to`` and
``since``/``until`` as a time range that the object's own times (its datetime fields) must overlap.

Where the generic answer cannot do, ``Semantics.register(command, handler)`` gives one command its own
behaviour (``Emulator.semantics.register``): the handler receives the semantics and the validated request and
returns the reply fields, or raises ``Failure(error_name, message)``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from .. import _shapes as shapes
from .._registry import MESSAGES, SUBSCRIPTIONS, TYPES
from .._specs import CommandSpec
from . import _catalog as catalog
from ._machines import Machines
from ._sessions import (
    DEFAULT_PASSWORD_POLICY,
    DEFAULT_SESSION_POLICY,
    Passwords,
    Session,
    Sessions,
    iso,
    password_problems,
    utcnow,
)
from ._store import MemoryStore, Record

# Commands a session may send before it has logged in (everything else answers userNotLoggedIn).
PUBLIC_COMMANDS = frozenset({"noop", "login", "logout", "getSessionDetails"})
# Commands a session whose password expired may still send.
EXPIRED_PASSWORD_COMMANDS = PUBLIC_COMMANDS | {"updateOwnPassword"}
# User fields the emulator keeps beside the schema's (never shown: views only carry schema fields).
ALLOWED_SUBSCRIPTIONS = "emulatorSubscriptionTypes"
MAX_BATCH = 1000  # items in one multiMerge/multiRemove


class Failure(Exception):
    """A command failed: the error name (an ErrorCode member), a message and optional details or reply fields."""

    def __init__(
        self, error: str, message: str, *, details: dict[str, Any] | None = None, fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.details = details
        self.fields = fields or {}


@dataclass(frozen=True, slots=True)
class Push:
    """A sync message to fan out: to sessions subscribed to one of ``companies`` for a type delivering it, or,
    for account messages, to every session of ``login`` (a user) or ``machine`` (an API key)."""

    message: str
    payload: dict[str, Any]
    companies: tuple[int, ...] = ()
    login: str | None = None
    machine: str | None = None


@dataclass(slots=True)
class Outcome:
    fields: dict[str, Any] = field(default_factory=dict)
    error: str = "success"
    message: str = ""
    details: dict[str, Any] | None = None
    pushes: list[Push] = field(default_factory=list)
    close_after: bool = False  # logout: reply, then close the connection
    ended: list[tuple[Session, str]] = field(default_factory=list)  # sessions to end (killSession)


Handler = Callable[[CommandSpec, Session, dict[str, Any], dict[str, Any]], Outcome]
# A command's own behaviour: (the semantics, the request with defaults filled in) -> the reply fields.
CustomHandler = Callable[["Semantics", dict[str, Any]], dict[str, Any]]

# Request fields that bound a period rather than name a value: (lower, upper) pairs, either may be absent.
RANGE_BOUNDS = (("from", "to"), ("since", "until"))
COMPANY_LIST_FLAGS = ("tree",)  # request flags of getCompaniesList that shape the list, not fields to match
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class Semantics:
    def __init__(self, store: MemoryStore, sessions: Sessions, passwords: Passwords) -> None:
        self.store = store
        self.sessions = sessions
        self.passwords = passwords
        self.machines = Machines(store)
        self._special: dict[str, Handler] = {
            "noop": self._noop,
            "login": self._login,
            "logout": self._logout,
            "getSessionDetails": self._session_details_command,
            "updateOwnPassword": self._update_own_password,
            "updateOwnPreferences": self._update_own_preferences,
            "updateOwnContact": self._update_own_contact,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "getSubscriptionsList": self._subscriptions_list,
            "killSession": self._kill_session,
        }
        self._verbs: dict[str, Handler] = {
            "get": self._get,
            "list": self._list,
            "merge": self._merge,
            "remove": self._state_change,
            "restore": self._state_change,
            "suspend": self._state_change,
            "revive": self._state_change,
            "multiMerge": self._multi,
            "multiRemove": self._multi,
            "clear": self._clear,
        }
        self._custom: dict[str, Handler] = {}

    def register(self, command: str, handler: CustomHandler) -> None:
        """Answer ``command`` with ``handler`` instead of its generic behaviour (tests and demos call this before
        clients send it). The reply fields it returns must fit the command's response model."""
        spec = catalog.command(command)
        if spec is None:
            raise ValueError(f"unknown command {command!r}")

        def run(spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
            fields = handler(self, full)
            try:
                spec.response_class.model_validate({"reqId": 0, "errorCode": 0, "message": "", **fields})
            except ValidationError as exc:
                raise Failure("service", f"the handler registered for {command} answered a bad reply: {exc}") from None
            return Outcome(dict(fields))

        self._custom[command] = run

    # ------------------------------------------------------------------ entry point

    def execute(self, spec: CommandSpec, session: Session, body: dict[str, Any]) -> Outcome:
        try:
            if not session.logged_in and spec.name not in PUBLIC_COMMANDS:
                raise Failure("userNotLoggedIn", f"{spec.name} needs a logged-in session; send login first")
            if session.logged_in and spec.name not in EXPIRED_PASSWORD_COMMANDS and self._password_expired(session):
                raise Failure("passwordExpired", "the password has expired; change it with updateOwnPassword")
            sent, full = self._validate(spec, body)
            return self._handler(spec)(spec, session, sent, full)
        except Failure as failure:
            return Outcome(dict(failure.fields), failure.error, failure.message, details=failure.details)

    def _handler(self, spec: CommandSpec) -> Handler:
        special = self._custom.get(spec.name) or self._special.get(spec.name)
        if special is not None:
            return special
        if spec.verb in self._verbs and spec.object is not None:
            return self._verbs[spec.verb]
        # a special command without its own handler: served by the shape of its reply (a list of objects is
        # listed, one object fetched), so the answer always fits the response model
        if spec.object is not None and spec.name.startswith("get"):
            return self._list if self._list_field(spec) is not None else self._get
        if spec.object is not None and spec.request_fields:
            return self._change
        return self._noop

    @staticmethod
    def _validate(spec: CommandSpec, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The request as sent (canonical wire form) and with the schema's defaults filled in."""
        try:
            model: BaseModel = spec.request_class.model_validate(body)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_url=False)
            ]
            raise Failure("invalidData", f"{spec.name}: " + "; ".join(problems[:5])) from None
        sent = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
        full = model.model_dump(mode="json", by_alias=True)
        return sent, full

    # ------------------------------------------------------------------ views and lookups

    def view(self, record: Record, type_name: str) -> dict[str, Any]:
        """``record`` shaped as ``type_name``: the type's fields, with ``v`` for a part its own one version."""
        spec = TYPES.get(type_name)
        if spec is None:
            return dict(record.data)
        out = {f: record.data[f] for f in spec.fields if f in record.data and f != "v"}
        if "v" in spec.fields:
            if spec.part_of == record.root and spec.version_slot is not None:
                out["v"] = [record.versions[spec.version_slot]]
            else:
                out["v"] = list(record.versions)
        return out

    def self_view(self, record: Record, type_name: str) -> dict[str, Any]:
        """The logged-in account as the vendor's session replies carry it (SelfUser and its parts): ``contact``
        is the whole Contact and ``groups`` the whole UserGroups, not their ids."""
        out = self.view(record, type_name)
        contact = self.store.get("Contact", out.get("contact")) if "contact" in out else None
        if "contact" in out:
            if contact is not None:
                out["contact"] = self.view(contact, "Contact")
            else:
                del out["contact"]
        if "groups" in out:
            groups = (self.store.get("UserGroup", group) for group in out["groups"] or ())
            out["groups"] = [self.view(group, "UserGroup") for group in groups if group is not None]
        return out

    @staticmethod
    def _owner_field(root: str) -> str | None:
        spec = TYPES.get(root)
        return spec.owner if spec is not None else None

    def owner_company(self, record: Record) -> int | None:
        owner = self._owner_field(record.root)
        value = catalog.key_value(record.data.get(owner)) if owner else None
        return value if isinstance(value, int) else None

    def _fanout_companies(self, record: Record) -> tuple[int, ...]:
        """Companies whose subscribers hear about a change: the owner, and a company itself for its own parts."""
        companies = {c for c in (self.owner_company(record),) if c is not None}
        if record.root == "Company" and isinstance(record.key, int):
            companies.add(record.key)
        return tuple(sorted(companies))

    def company_tree(self, top: int | None) -> set[int]:
        """``top`` and every company below it."""
        if top is None:
            return set()
        children: dict[int, list[int]] = {}
        for company in self.store.records("Company"):
            parent = catalog.key_value(company.data.get("parent"))
            if isinstance(parent, int) and isinstance(company.key, int) and parent != company.key:
                children.setdefault(parent, []).append(company.key)
        seen, todo = {top}, [top]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    def _visible(self, session: Session | None, record: Record) -> bool:
        if session is None:  # the emulator's own controls see everything
            return True
        if record.root == "Company":
            return record.key in self.company_tree(session.company)
        company = self.owner_company(record)
        return company is None or company in self.company_tree(session.company)

    def _find(
        self, spec: CommandSpec | None, session: Session | None, root: str, key: Any, *, include_deleted: bool = False
    ) -> Record:
        record = self.store.get(root, key)
        if record is None or (record.deleted and not include_deleted) or not self._visible(session, record):
            error = catalog.error_name(root, "NotFound", spec, "invalidData")
            raise Failure(error, f"no {root} with key {key!r}")
        return record

    def _check_target(self, spec: CommandSpec, session: Session, field_name: str, value: Any) -> None:
        """A filter naming another stored object (company, asset, userGroup) must name one that exists."""
        target = catalog.upper_first(field_name)
        target_spec = TYPES.get(target)
        if target_spec is None or target_spec.key is None or target_spec.part_of:
            return
        self._find(spec, session, target, value)

    def _response_type(self, spec: CommandSpec, wire_name: str, fallback: str) -> str:
        return catalog.field_type(spec.response_class, wire_name).type_name or fallback

    def _list_field(self, spec: CommandSpec) -> str | None:
        """The reply field carrying the listed objects: a list of objects that is not an echoed filter."""
        candidates = [
            name
            for name in spec.response_fields
            if name not in spec.request_fields and catalog.field_type(spec.response_class, name).is_list
        ]
        typed = [name for name in candidates if catalog.field_type(spec.response_class, name).type_name]
        chosen = typed or candidates
        return chosen[0] if chosen else None

    def _password_expired(self, session: Session) -> bool:
        user = self.store.get("User", session.login)
        return bool(user is not None and user.data.get("passwordExpired"))

    # ------------------------------------------------------------------ pushes

    def _merged_pushes(self, record: Record, slots: Iterable[int]) -> list[Push]:
        parts = dict(shapes.parts_of(record.root))
        companies = self._fanout_companies(record)
        pushes = []
        for slot in sorted(set(slots)):
            part = parts.get(slot)
            if part is None:
                continue
            message = catalog.merged_message(part)
            if message is not None:
                pushes.append(Push(message, self.view(record, part), companies))
            if record.root == "User":  # the user's own sessions hear about their account without subscribing
                for account in MESSAGES.values():
                    # the session messages carry the Self* form of a part (contact and groups embedded)
                    if account.kind == "account" and account.payload in (part, f"Self{part}"):
                        pushes.append(Push(account.name, self.self_view(record, account.payload), login=record.key))
                        break
            if record.root == "Machine" and "sessionMachineMerged" in MESSAGES:  # the machine's own sessions too
                pushes.append(Push("sessionMachineMerged", self.view(record, part), machine=record.key))
        return pushes

    def _root_push(self, record: Record, kind: str) -> list[Push]:
        message = catalog.root_message(record.root, kind)
        if message is None:
            return []
        return [Push(message, self.view(record, MESSAGES[message].payload), self._fanout_companies(record))]

    # ------------------------------------------------------------------ generic verbs

    def _get(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        assert spec.object is not None
        root = shapes.root_of(spec.object)
        if not spec.request_fields or spec.request_fields[0] not in sent:
            raise Failure("invalidData", f"{spec.name} needs {spec.request_fields[:1]}")
        key = catalog.key_value(sent[spec.request_fields[0]])
        record = self._find(spec, session, root, key, include_deleted=bool(full.get("includeDeleted")))
        out_field = spec.response_fields[0] if spec.response_fields else catalog.lower_first(spec.object)
        return Outcome({out_field: self.view(record, self._response_type(spec, out_field, spec.object))})

    def _list(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        assert spec.object is not None
        item_type = spec.object
        list_field = self._list_field(spec)
        if list_field is not None:
            item_type = catalog.field_type(spec.response_class, list_field).type_name or spec.object
        # the listed objects are those of the reply's item type when it is stored on its own (a Trip listed by
        # an Asset command), else those of the command's object (the parts of a composite)
        item_spec = TYPES.get(item_type)
        stored_apart = item_spec is not None and item_spec.key is not None and not item_spec.part_of
        root = shapes.root_of(item_type if stored_apart else spec.object)
        filter_field = spec.filter if spec.filter in sent else None
        filter_value = catalog.key_value(sent[filter_field]) if filter_field else None
        if filter_field:
            self._check_target(spec, session, filter_field, filter_value)
        # the stored field the filter matches: its own name unless the schema says otherwise (a user group's
        # users are those whose `groups` hold it)
        matched_field = spec.filter_field if filter_field and spec.filter_field else filter_field
        companies = self._listed_companies(spec, full, filter_value) if root == "Company" and filter_field else None
        bounds = [name for pair in RANGE_BOUNDS for name in pair if name in sent]
        flags = (*bounds, *COMPANY_LIST_FLAGS)
        extras = {k: v for k, v in sent.items() if k not in (filter_field, *flags) and not k.startswith("include")}
        lower = _moment(next((sent[low] for low, _ in RANGE_BOUNDS if low in sent), None))
        upper = _moment(next((sent[high] for _, high in RANGE_BOUNDS if high in sent), None))
        include_deleted = bool(full.get("includeDeleted"))
        include_suspended = full.get("includeSuspended", True) is not False
        items = []
        for record in self.store.records(root):
            if (record.deleted and not include_deleted) or (record.suspended and not include_suspended):
                continue
            if not self._visible(session, record):
                continue
            if companies is not None:
                if record.key not in companies:
                    continue
            elif matched_field and not self._matches_filter(record, matched_field, filter_value):
                continue
            if (lower or upper) and not _overlaps(record.data, lower, upper):
                continue
            if all(self._matches_extra(record, name, wanted) for name, wanted in extras.items()):
                items.append(self.view(record, item_type))
        fields: dict[str, Any] = {k: v for k, v in sent.items() if k in spec.response_fields and k != list_field}
        if list_field is not None:
            fields[list_field] = items
        return Outcome(fields)

    def _listed_companies(self, spec: CommandSpec, full: dict[str, Any], top: Any) -> set[int]:
        """The companies a company list under ``top`` covers. getCompaniesList (the vendor's ReqCompanyList) lists
        the children of ``top``, its whole subtree with ``tree``, and ``top`` itself too with ``includeParent``;
        the lists of a company's parts, which have no such flags, cover ``top`` and its children."""
        flagged = "tree" in spec.request_fields
        if flagged and full.get("tree"):
            below = self.company_tree(top) - {top}
        else:
            below = {
                company.key
                for company in self.store.records("Company")
                if catalog.key_value(company.data.get("parent")) == top and company.key != top
            }
        return below | {top} if not flagged or full.get("includeParent") else below

    def _matches_filter(self, record: Record, filter_field: str, value: Any) -> bool:
        if filter_field == "company":
            owner = self._owner_field(record.root)
            if owner is None:
                return True  # a catalogue without owners (timezones, configuration types) is everyone's
            return bool(catalog.key_value(record.data.get(owner)) == value)
        have = record.data.get(filter_field)
        if isinstance(have, list):
            return value in [catalog.key_value(h) for h in have]
        return bool(catalog.key_value(have) == value)

    @staticmethod
    def _matches_extra(record: Record, name: str, wanted: Any) -> bool:
        """ByX filters: labels (all present), references (all pairs present), a reference (one of the values)."""
        have = record.data.get(name)
        if have is None and isinstance(record.data.get(name + "s"), dict):
            return wanted in record.data[name + "s"].values()
        if isinstance(wanted, dict) and not isinstance(have, dict):  # a key reference against a stored key
            wanted = catalog.key_value(wanted)
        if isinstance(wanted, list):
            return isinstance(have, list) and all(w in have for w in wanted)
        if isinstance(wanted, dict):
            return isinstance(have, dict) and all(have.get(k) == v for k, v in wanted.items())
        return bool(have == wanted)

    def _merge(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        assert spec.object is not None
        field_name = spec.request_fields[0]
        obj_type = catalog.field_type(spec.request_class, field_name).type_name or spec.object
        record, pushes = self._merge_one(spec, session, sent[field_name], obj_type, create=True)
        out_field = spec.response_fields[0] if spec.response_fields else field_name
        return Outcome({out_field: self.view(record, self._response_type(spec, out_field, spec.object))}, pushes=pushes)

    def _change(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        """A special command that changes one existing object (cancelDispatchJob, changeDispatchJob)."""
        assert spec.object is not None
        field_name = spec.request_fields[0]
        value = sent.get(field_name)
        if not isinstance(value, dict):
            return self._get(spec, session, sent, full)
        obj_type = catalog.field_type(spec.request_class, field_name).type_name or spec.object
        record, pushes = self._merge_one(spec, session, value, obj_type, create=False)
        out_field = spec.response_fields[0] if spec.response_fields else field_name
        return Outcome({out_field: self.view(record, self._response_type(spec, out_field, spec.object))}, pushes=pushes)

    def _merge_one(
        self, spec: CommandSpec | None, session: Session | None, obj: Any, obj_type: str, *, create: bool
    ) -> tuple[Record, list[Push]]:
        # a user's password is write-only: it goes to the password store once the merge succeeded, never into
        # the object (so no reply or push can echo it)
        password = obj.get("password") if isinstance(obj, dict) and obj_type in ("User", "UserGeneral") else None
        if password is not None:
            obj = {k: v for k, v in obj.items() if k != "password"}
        if obj_type == "MachineMerge" and isinstance(obj, dict) and "secret" in obj:
            record, pushes = self._merge_machine_secret(spec, session, obj, create=create)
        else:
            record, pushes = self._merge_fields(spec, session, obj, obj_type, create=create)
        if password is not None:
            self.passwords.set(str(record.key), str(password))
        return record, pushes

    def _merge_machine_secret(
        self, spec: CommandSpec | None, session: Session | None, obj: dict[str, Any], *, create: bool
    ) -> tuple[Record, list[Push]]:
        # mergeMachine's secret is a flag (generate / remove), not a field to store: the secret lives apart
        flag = obj["secret"]
        record, pushes = self._merge_fields(spec, session, {k: v for k, v in obj.items() if k != "secret"},
                                            "MachineMerge", create=create)  # fmt: skip
        shown = self.machines.apply_flag(record, flag)
        if not pushes:  # only the secret changed: that is still a new version of the machine
            record.versions[0] += 1
            self.store.put(record)
            pushes = self._merged_pushes(record, [0])
        if shown is not None:  # the one time the new secret is shown: in the machineMerged that follows
            for push in pushes:
                if push.machine is None:  # not to the machine's own sessions
                    push.payload["secret"] = shown
        return record, pushes

    def _merge_fields(
        self, spec: CommandSpec | None, session: Session | None, obj: Any, obj_type: str, *, create: bool
    ) -> tuple[Record, list[Push]]:
        name = spec.name if spec is not None else "merge"
        if not isinstance(obj, dict):
            raise Failure("invalidData", f"{name}: expected an object")
        root = shapes.root_of(spec.object if spec is not None and spec.object else obj_type)
        root_spec = TYPES.get(root)
        key_field = root_spec.key if root_spec is not None and root_spec.key else "id"
        owner_field = root_spec.owner if root_spec is not None else None
        key = obj.get(key_field)
        changes = {k: v for k, v in obj.items() if k not in catalog.STATE_FIELDS and k != key_field}
        if key in (None, 0, ""):
            if not create:
                raise Failure("invalidData", f"{name}: {key_field} is required")
            return self._create(name, session, root, key_field, owner_field, changes)
        existing = self.store.get(root, key)
        if existing is None and create and (key_field != "id" or isinstance(key, str)):
            # logins, keys, codes and textual ids (a device's IMEI) are chosen by the client: merge creates by key
            return self._create(name, session, root, key_field, owner_field, changes, key=key)
        record = self._find(spec, session, root, key)
        if owner_field and owner_field in changes and changes[owner_field] != record.data.get(owner_field):
            raise Failure("invalidData", f"{name}: {owner_field} cannot change; create a new object instead")
        slots = self._touched_slots(root, obj_type, changes)
        type_spec = TYPES.get(obj_type)
        if type_spec is not None and "v" in type_spec.fields:
            self._check_versions(name, record, obj_type, obj.get("v"), slots)
        if not slots:
            return record, []
        record.data.update(changes)
        for slot in slots:
            record.versions[slot] += 1
        self.store.put(record)
        return record, self._merged_pushes(record, slots)

    def _create(
        self,
        name: str,
        session: Session | None,
        root: str,
        key_field: str,
        owner_field: str | None,
        changes: dict[str, Any],
        key: Any = None,
    ) -> tuple[Record, list[Push]]:
        if owner_field is not None:
            owner = catalog.key_value(changes.get(owner_field))
            if owner in (None, 0):
                raise Failure("invalidData", f"{name}: {owner_field} is required to create a {root}")
            company = self.store.get("Company", owner)
            if company is None or company.deleted:
                raise Failure("companyNotFound", f"no company {owner!r}")
            if session is not None and owner not in self.company_tree(session.company):
                raise Failure("permissionDenied", f"no right to create in company {owner!r}")
        if key is None:
            key = self.store.next_id(root) if key_field == "id" else str(uuid.uuid4())
        width = shapes.width_of(root)
        filled = {slot for slot, _ in shapes.parts_of(root)}
        record = Record(root, key, {key_field: key, **changes}, [1 if s in filled else 0 for s in range(width)])
        self.store.put(record)
        return record, self._merged_pushes(record, filled)

    @staticmethod
    def _touched_slots(root: str, obj_type: str, changes: dict[str, Any]) -> set[int]:
        spec = TYPES.get(obj_type)
        if spec is not None and spec.part_of == root and spec.version_slot is not None:
            return {spec.version_slot} if changes else set()
        slots: set[int] = set()
        by_slot = catalog.slot_fields(root)
        for name in changes:
            owners = {slot for slot, names in by_slot.items() if name in names}
            slots |= owners or {0}  # a field no part claims counts as a change of the first part
        return slots

    @staticmethod
    def _check_versions(name: str, record: Record, obj_type: str, sent_v: Any, slots: set[int]) -> None:
        """An update must carry the stored version of every part it changes (``v`` of the part or the whole)."""
        if not slots:
            return
        type_spec = TYPES.get(obj_type)
        is_part = type_spec is not None and type_spec.part_of == record.root
        versions = sent_v if isinstance(sent_v, list) else []
        for slot in slots:
            index = 0 if is_part or (len(versions) == 1 and len(record.versions) == 1) else slot
            if index >= len(versions) or versions[index] != record.versions[slot]:
                raise Failure(
                    "wrongVersionKey",
                    f"{name}: stale version; sent v={versions}, stored v={record.versions}",
                    fields={"v": list(record.versions)},
                )

    def _state_change(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        field_name = spec.request_fields[0]
        assert spec.object is not None
        record, pushes = self._state_one(spec, session, shapes.root_of(spec.object), sent[field_name], spec.verb)
        out_field = spec.response_fields[0] if spec.response_fields else field_name
        assert spec.object is not None
        return Outcome({out_field: self.view(record, self._response_type(spec, out_field, spec.object))}, pushes=pushes)

    def _state_one(
        self, spec: CommandSpec | None, session: Session | None, root: str, ref: Any, verb: str
    ) -> tuple[Record, list[Push]]:
        """remove / restore / suspend / revive one object; the flags live in the first part, whose version moves."""
        key = catalog.key_value(ref)
        if verb == "remove" and session is not None and root == "User" and key == session.login:
            raise Failure("suicide", "a user cannot delete itself")
        record = self._find(spec, session, root, key, include_deleted=verb in ("remove", "restore"))
        now = iso(utcnow())
        if verb == "remove":
            if record.deleted:
                return record, []  # already deleted: nothing changes, nothing is pushed
            record.data.update(deleted=True, since=now)
            pushes_kind = ["deleted"]
        elif verb == "restore":
            if not record.deleted:
                raise Failure(
                    catalog.error_name(root, "NotDeleted", spec, "invalidOperation"), f"{root} {key!r} is not deleted"
                )
            record.data["deleted"] = False
            record.data.pop("since", None)
            pushes_kind = ["merged"]
        elif verb == "suspend":
            if record.suspended:
                raise Failure(
                    catalog.error_name(root, "Suspended", spec, "invalidOperation"),
                    f"{root} {key!r} is already suspended",
                )
            record.data.update(suspended=True)
            pushes_kind = ["suspended"]
        else:  # revive
            if not record.suspended:
                raise Failure(
                    catalog.error_name(root, "NotSuspended", spec, "invalidOperation"),
                    f"{root} {key!r} is not suspended",
                )
            record.data["suspended"] = False
            pushes_kind = ["suspended", "merged"]
        record.versions[0] += 1
        self.store.put(record)
        pushes: list[Push] = []
        for kind in pushes_kind:
            pushes += self._merged_pushes(record, [0]) if kind == "merged" else self._root_push(record, kind)
        return record, pushes

    def _multi(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        """Each item as its single command would do it, independently; one result per item, in request order.

        A failed item's result carries its key with ``errorCode`` and ``message``; the reply's own errorCode is the
        first failure's (success when every item succeeded).
        """
        assert spec.object is not None
        field_name = spec.request_fields[0]
        items = sent.get(field_name) or []
        if len(items) > MAX_BATCH:
            raise Failure("invalidData", f"{spec.name}: at most {MAX_BATCH} items in one command")
        out_field = spec.response_fields[0] if spec.response_fields else field_name
        result_type = self._response_type(spec, out_field, spec.object)
        item_type = catalog.field_type(spec.request_class, field_name).type_name or spec.object
        root_spec = TYPES.get(shapes.root_of(spec.object))
        key_field = root_spec.key if root_spec is not None and root_spec.key else "id"
        results: list[dict[str, Any]] = []
        pushes: list[Push] = []
        failures: list[Failure] = []
        for item in items:
            try:
                if spec.verb == "multiMerge":
                    record, item_pushes = self._merge_one(spec, session, item, item_type, create=True)
                else:
                    root = shapes.root_of(spec.object)
                    record, item_pushes = self._state_one(spec, session, root, item, "remove")
            except Failure as failure:
                failures.append(failure)
                key = item.get(key_field) if isinstance(item, dict) else item
                results.append(
                    {key_field: key, "errorCode": catalog.code_of(failure.error), "message": failure.message}
                )
                continue
            results.append(self.view(record, result_type))
            pushes += item_pushes
        outcome = Outcome({out_field: results}, pushes=pushes)
        if failures:
            outcome.error = failures[0].error
            outcome.message = f"{len(failures)} of {len(items)} items failed; first: {failures[0].message}"
        return outcome

    def _clear(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        """Delete for good every object of the command's type that names the given object (logs of an asset)."""
        assert spec.object is not None
        root = shapes.root_of(spec.object)
        field_name = spec.request_fields[0]
        value = catalog.key_value(sent[field_name])
        self._check_target(spec, session, field_name, value)
        pushes: list[Push] = []
        for record in self.store.records(root):
            if self._matches_filter(record, field_name, value) and self._visible(session, record):
                self.store.discard(root, record.key)
                pushes += self._root_push(record, "deleted")
        return Outcome({k: v for k, v in sent.items() if k in spec.response_fields}, pushes=pushes)

    # ------------------------------------------------------------------ changes made by the emulator's controls

    def server_merge(self, type_name: str, obj: dict[str, Any]) -> tuple[dict[str, Any], list[Push]]:
        """Create or update an object as the server itself would (no session, no version check)."""
        root = shapes.root_of(type_name)
        spec = TYPES.get(root)
        key_field = spec.key if spec is not None and spec.key else "id"
        record = self.store.get(root, obj.get(key_field)) if obj.get(key_field) not in (None, 0, "") else None
        if record is not None:
            obj = {**obj, "v": self.view(record, type_name).get("v")}
        record, pushes = self._merge_one(None, None, obj, type_name, create=True)
        return self.view(record, root), pushes

    def server_state_change(self, type_name: str, key: Any, verb: str) -> tuple[dict[str, Any], list[Push]]:
        """remove / restore / suspend / revive an object as the server itself would."""
        root = shapes.root_of(type_name)
        record, pushes = self._state_one(None, None, root, key, verb)
        return self.view(record, root), pushes

    # ------------------------------------------------------------------ the session's own commands

    def _noop(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        return Outcome()

    def session_details(self, session: Session) -> dict[str, Any]:
        """The fields of connectionResponse, loginResponse and getSessionDetailsResponse."""
        out: dict[str, Any] = {"serverTime": iso(utcnow()), "ghostId": session.ghost_id, "expiry": session.expiry}
        machine = self.store.get("Machine", session.machine) if session.machine else None
        if machine is not None:
            out["machine"] = self.self_view(machine, "SelfMachine")
        user = self.store.get("User", session.login) if session.login else None
        if user is not None:
            out["user"] = self.self_view(user, "SelfUser")
            company = self.store.get("Company", session.company)
            data = company.data if company is not None else {}
            out["sessionPolicy"] = data.get("sessionPolicy") or dict(DEFAULT_SESSION_POLICY)
            out["passwordPolicy"] = data.get("passwordPolicy") or dict(DEFAULT_PASSWORD_POLICY)
        return out

    def connection_error(self, session: Session, resumed: str) -> str:
        """The errorCode name of a connectionResponse: why a session was not resumed, or the session's state."""
        if resumed == "success" and self._password_expired(session):
            return "passwordExpired"
        return resumed

    def _session_details_command(
        self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]
    ) -> Outcome:
        if not session.logged_in:
            raise Failure("userNotLoggedIn", "not logged in", fields=self.session_details(session))
        return Outcome(self.session_details(session))

    def _login(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        if session.machine is not None:
            raise Failure("machineNotAllowed", "a machine session is authenticated by its key; it cannot log in")
        login = str(sent.get("username", ""))
        user = self.store.get("User", login)
        if not self.passwords.check(login, str(sent.get("password", ""))) or user is None or user.deleted:
            raise Failure("invalidCredentials", "unknown login or wrong password")
        if user.data.get("enabled") is False:
            raise Failure("userDisabled", f"the user {login} is disabled")
        if session.login != login:
            session.subscriptions.clear()
        session.login = login
        session.company = self.owner_company(user)
        session.user_agent = sent.get("userAgent")
        self.sessions.touch(session)
        self._mirror_session(session)
        details = self.session_details(session)
        if user.data.get("passwordExpired"):
            raise Failure("passwordExpired", "logged in, but the password has expired: change it", fields=details)
        return Outcome(details)

    def _mirror_session(self, session: Session) -> None:
        """Keep a Session object (by its public handle) so getSession/getSessionsList/killSession see it."""
        data = {
            "handle": session.handle,
            "company": session.company,
            "login": session.login,
            "userAgent": session.user_agent,
            "created": session.created,
            "expires": session.expiry,  # Session reads `expires` in both vendor clients
        }
        self.store.put(Record("Session", session.handle, {k: v for k, v in data.items() if v is not None}, [1]))

    def _logout(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        self.sessions.drop(session)
        self.store.discard("Session", session.handle)
        return Outcome({"ghostId": session.ghost_id, "expiry": iso(utcnow())}, close_after=True)

    def _update_own_password(
        self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]
    ) -> Outcome:
        assert session.login is not None
        current, new = str(sent.get("current", "")), str(sent.get("password", ""))
        if not self.passwords.check(session.login, current):
            raise Failure("invalidCredentials", "the current password is wrong")
        if new == current:
            raise Failure("samePassword", "the new password must differ from the current one")
        policy = self.session_details(session).get("passwordPolicy") or DEFAULT_PASSWORD_POLICY
        problems = password_problems(new, policy)
        if problems:
            raise Failure("noncompliantPassword", "the new password needs " + ", ".join(problems))
        self.passwords.set(session.login, new)
        fields: dict[str, Any] = {"passwordPolicy": policy}
        if policy.get("expireMode") == "days" and policy.get("expireThreshold"):
            fields["expires"] = iso(utcnow() + timedelta(days=int(policy["expireThreshold"])))
        pushes: list[Push] = []
        user = self.store.get("User", session.login)
        if user is not None and user.data.get("passwordExpired"):
            user.data["passwordExpired"] = False
            slots = self._touched_slots("User", "User", {"passwordExpired": False})
            for slot in slots:
                user.versions[slot] += 1
            self.store.put(user)
            pushes = self._merged_pushes(user, slots)
        return Outcome(fields, pushes=pushes)

    def _update_own_preferences(
        self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]
    ) -> Outcome:
        user = self.store.get("User", session.login)
        if user is None:
            raise Failure("userNotFound", "the session's user no longer exists")
        slots = self._touched_slots("User", "UserGeneral", sent) if sent else set()
        if not slots:
            return Outcome()
        user.data.update(sent)
        for slot in slots:
            user.versions[slot] += 1
        self.store.put(user)
        return Outcome(pushes=self._merged_pushes(user, slots))

    def _update_own_contact(
        self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]
    ) -> Outcome:
        user = self.store.get("User", session.login)
        contact_id = catalog.key_value(user.data.get("contact")) if user is not None else None
        contact = self.store.get("Contact", contact_id) if contact_id is not None else None
        if contact is None or contact.deleted:
            raise Failure("contactNotFound", "the user has no contact card")
        changes = {k: v for k, v in (sent.get("contact") or {}).items() if k not in catalog.STATE_FIELDS}
        changes.pop("id", None)
        if "company" in changes and catalog.key_value(changes["company"]) != contact.data.get("company"):
            raise Failure("permissionDenied", "a contact card cannot move to another company")
        if not changes:
            return Outcome()
        contact.data.update(changes)
        contact.versions[0] += 1
        self.store.put(contact)
        return Outcome(pushes=self._merged_pushes(contact, [0]))

    def _subscribe(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        company_id = catalog.key_value(sent["company"])
        company = self.store.get("Company", company_id)
        if company is None or company.deleted:
            raise Failure("companyNotFound", f"no company {company_id!r}")
        visible = company_id in self.company_tree(session.company)
        user = self.store.get("User", session.login)
        allowed = user.data.get(ALLOWED_SUBSCRIPTIONS) if user is not None else None
        merged, denied, invalid = [], [], []
        held = session.subscriptions.setdefault(company_id, set())
        for name in sent.get("subscriptionTypes", []):
            sub = SUBSCRIPTIONS.get(name)
            if sub is None or sub.retired:
                invalid.append(name)
            elif not visible or (allowed is not None and name not in allowed):
                denied.append(name)
            else:
                held.add(name)
                merged.append(name)
        if not held:
            del session.subscriptions[company_id]
        self.sessions.save(session)
        fields = {"company": {"id": company_id}, "merged": merged, "denied": denied, "invalid": invalid}
        if merged or not (denied or invalid):
            return Outcome(fields)
        error = "permissionDenied" if denied else "invalidData"
        raise Failure(error, "no subscription type was added", fields=fields)

    def _unsubscribe(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        company_id = catalog.key_value(sent["company"])
        held = session.subscriptions.get(company_id, set())
        removed, invalid = [], []
        for name in sent.get("subscriptionTypes", []):
            if name not in SUBSCRIPTIONS:
                invalid.append(name)
            elif name in held:
                held.discard(name)
                removed.append(name)
        if company_id in session.subscriptions and not held:
            del session.subscriptions[company_id]
        self.sessions.save(session)
        return Outcome({"company": {"id": company_id}, "removed": removed, "invalid": invalid})

    def _subscriptions_list(
        self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]
    ) -> Outcome:
        entries = [
            {"company": company, "subscriptionTypes": sorted(types)}
            for company, types in sorted(session.subscriptions.items())
        ]
        return Outcome({"subscriptions": entries})

    def _kill_session(self, spec: CommandSpec, session: Session, sent: dict[str, Any], full: dict[str, Any]) -> Outcome:
        handle = catalog.key_value(sent.get("session"))
        if handle == session.handle:
            raise Failure("suicide", "a session cannot kill itself; use logout")
        for target in self.sessions:
            if (
                target.handle == handle
                and target.ended is None
                and target.company in self.company_tree(session.company)
            ):
                self.store.discard("Session", target.handle)
                answer = {"handle": handle, "company": target.company, "login": target.login, "expiry": iso(utcnow())}
                return Outcome({"session": answer}, ended=[(target, "sessionKilled")])
        raise Failure("killSessionFailed", f"no live session with handle {handle!r}")


def _moment(value: Any) -> datetime | None:
    """A wire datetime (``2024-05-01T08:00:00Z``) as an aware datetime, or None when it is not one."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # the wire's zone


def _overlaps(data: dict[str, Any], lower: datetime | None, upper: datetime | None) -> bool:
    """Whether an object's own times (its datetime fields: a moment, or a start and an end) meet the period
    [lower, upper]; an object without times is outside every period."""
    times = [m for m in (_moment(v) for v in data.values()) if m is not None]
    if not times:
        return False
    return (upper is None or min(times) <= upper) and (lower is None or max(times) >= lower)
