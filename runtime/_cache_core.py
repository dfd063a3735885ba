"""The sync cache's rules, written once and without I/O: what a sync frame or a list reply does to the local copy.

``CacheCore`` is told what arrived (a typed ``…Merged`` / ``…Deleted`` / ``…Suspended`` message, the objects of a
list reply) and answers with the typed changes it made. Everything it knows about types comes from the registry:
an object's key and owner field, the composite it is part of and its slot in ``v``. It owns:

* the version rule: a piece is replaced only by a strictly newer version (or when nothing is stored); each part of
  a composite keeps its own version, so ``assetGeneralMerged`` touches only the general part. A type whose objects
  carry no version at all (``ProviderRegistration``) goes by arrival: what arrives last replaces what is stored;
* tombstones: a deleted object's key keeps its last versions for ``tombstone_ttl`` seconds, so a late or replayed
  ``…Merged`` frame cannot bring it back (one that is newer may be a restore: the core asks for a re-list instead
  of trusting a lone push);
* the list-versus-push race: a list reply is authoritative for its company and type, except for objects a push
  touched after the list request went out, and for objects deleted after it went out.

Objects are kept as compact JSON (bytes) plus their version and company: about a sixth of what a pydantic model
costs. Reads decode on demand into the generated model classes, so every read is typed and is the caller's own copy.
"""

from __future__ import annotations

import json
import logging
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from ._cache_pieces import (
    Piece,
    attr_names,
    company_id,
    message_roots,
    nested_parts,
    owns_itself,
    piece,
    version_of,
)
from ._changes import Change, ObjectCreated, ObjectDeleted, ObjectUpdated, _dump, change_between
from ._registry import MESSAGES, TYPES
from ._shapes import parts_of, root_of

log = logging.getLogger("fleetfreedom.cache")

T = TypeVar("T", bound=BaseModel)
Region = tuple[int, str]  # (company id, stored type name)


# --- state -----------------------------------------------------------------------------------------------------


# One stored piece is ONE bytes object: a 16-byte header (version, owning company) and then its JSON. An object per
# piece (even a slotted one) would cost more than a small part's JSON itself; see benchmarks/bench_cache_memory.py.
_HEADER = struct.Struct("<qq")
_NO_COMPANY = -(2**63)


def _pack(version: int, company: int | None, raw: bytes) -> bytes:
    return _HEADER.pack(version, _NO_COMPANY if company is None else company) + raw


def _version(blob: bytes) -> int:
    return int(_HEADER.unpack_from(blob)[0])


def _company(blob: bytes) -> int | None:
    company = int(_HEADER.unpack_from(blob)[1])
    return None if company == _NO_COMPANY else company


def _json(blob: bytes) -> bytes:
    return blob[_HEADER.size :]


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored piece, as read: its version (-1: never sent), its owning company and its JSON."""

    version: int
    company: int | None
    raw: bytes

    @classmethod
    def of(cls, blob: bytes) -> Entry:
        return cls(_version(blob), _company(blob), _json(blob))


@dataclass(slots=True)
class _Tombstone:
    versions: tuple[int | None, ...]  # per slot; None where the version was never known
    seq: int  # when it was laid, on the core's event counter (compared with list tickets)
    at: float  # when it was laid, on the clock (for expiry)


@dataclass(slots=True, eq=False)
class ListTicket:
    """A list request in flight: what changed since it was sent must not be undone by its (older) reply."""

    company: int
    name: str
    mark: int
    touched: set[Any] = field(default_factory=set)


@dataclass(slots=True)
class CacheStats:
    """Counters of what the cache did with what arrived; cheap to read at any time."""

    applied: int = 0  # pushes that changed the cache
    stale: int = 0  # pushes or list items with an older (or equal) version: ignored
    same_version_differs: int = 0  # same version, different content (a server correction?): ignored, logged
    blocked_by_tombstone: int = 0  # pushes about a recently deleted object: not applied
    evicted: int = 0  # objects missing from an authoritative list reply
    lists: int = 0
    ignored: int = 0  # pushes for companies or types the cache does not sync


class CacheCore:
    """The local mirror: tables of pieces, tombstones and the regions (company, type) that are synced.

    Not thread-safe: one driver (the event loop of ``AsyncCache``) calls it.
    """

    def __init__(
        self,
        *,
        tombstone_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        track_changes: bool = False,
    ) -> None:
        if tombstone_ttl < 0:
            raise ValueError("tombstone_ttl must not be negative")
        self.tombstone_ttl = tombstone_ttl
        self.clock = clock
        self.stats = CacheStats()
        # Change objects are made only while someone listens (the driver turns this on while a change stream is
        # open): a 100 000-object list is quiet otherwise. Nothing else may depend on it: what is stored, what a list
        # reply may evict and the counters are the same either way.
        self.track_changes = track_changes
        self.refresh: set[Region] = set()  # regions a re-list would settle (a push that may be a restore)
        self._tables: dict[str, dict[Any, bytes]] = {}
        self._tombstones: dict[tuple[str, Any], _Tombstone] = {}
        self._regions: set[Region] = set()
        self._tickets: list[ListTicket] = []
        self._seq = 0

    # --- regions ----------------------------------------------------------------------------------------------

    @property
    def regions(self) -> frozenset[Region]:
        return frozenset(self._regions)

    def watch(self, company: int, name: str) -> None:
        """Apply pushes about ``name`` objects of ``company`` from now on."""
        if piece(name) is None:
            raise ValueError(f"{name} is not a type the cache can store (it has no key)")
        self._regions.add((company, name))
        self._tables.setdefault(name, {})

    def unwatch(self, company: int, name: str) -> int:
        """Stop syncing a region and drop what only it held; returns how many objects were dropped."""
        self._regions.discard((company, name))
        table = self._tables.get(name, {})
        gone = [key for key, blob in table.items() if not self._covered(name, key, _company(blob))]
        for key in gone:
            del table[key]
        return len(gone)

    def _covered(self, name: str, key: Any, company: int | None) -> bool:
        if company is not None and (company, name) in self._regions:
            return True
        p = piece(name)
        return p is not None and owns_itself(p.root) and isinstance(key, int) and (key, name) in self._regions

    def _in_region(self, name: str, key: Any, entry_company: int | None, company: int) -> bool:
        p = piece(name)
        return entry_company == company or (p is not None and owns_itself(p.root) and key == company)

    # --- pushes -----------------------------------------------------------------------------------------------

    def apply(self, message: Any) -> list[Change[Any]]:
        """A typed server message (``AssetGeneralMerged``, ``AssetDeleted``, ``AssetSuspended``, ...)."""
        spec = MESSAGES.get(getattr(type(message), "name", ""))
        data = getattr(message, "data", None)
        if spec is None or not isinstance(data, BaseModel):
            return []
        if spec.kind == "merged":
            return self._merged(spec.payload, data)
        if spec.kind == "deleted":
            return self._deleted(spec.name, data)
        if spec.kind == "suspended":
            return self._suspended(spec.name, data)
        return []

    def _identity(self, p: Piece, data: BaseModel, fallback: int | None = None) -> tuple[Any, int | None]:
        names = attr_names(type(data))
        key = getattr(data, names.get(p.key, p.key), None)
        company = company_id(getattr(data, names.get(p.owner, p.owner), None)) if p.owner else None
        return key, fallback if company is None else company

    def _merged(self, name: str, data: BaseModel) -> list[Change[Any]]:
        p = piece(name)
        if p is None:
            return []
        key, company = self._identity(p, data)
        if key is None or not self._covered(name, key, company):
            self.stats.ignored += 1
            return []
        incoming = version_of(getattr(data, "v", None), p.slot, p.width)
        tomb = self._tombstone(p.root, key)
        if tomb is not None:
            known = tomb.versions[p.slot] if p.slot < len(tomb.versions) else None
            self.stats.blocked_by_tombstone += 1
            if known is None or (incoming is not None and incoming > known):
                # newer than the deletion: perhaps restored; only a list built from now on can tell
                self.refresh.update((c, n) for c, n in self._regions if n in self._root_pieces(p.root) and
                                    self._in_region(n, key, company, c))  # fmt: skip
            return []
        self._seq += 1
        changes: list[Change[Any]] = []
        if self._upsert(p, key, company, incoming, _dump(data), force=not p.versioned, out=changes):
            self.stats.applied += 1
            self._pushed_during_lists(name, key)
        return changes

    def _pushed_during_lists(self, name: str, key: Any) -> None:
        """A push stored ``key``: the lists in flight were built before it, so their replies must not undo it."""
        for ticket in self._tickets:
            if ticket.name == name:
                ticket.touched.add(key)

    def _upsert(
        self,
        p: Piece,
        key: Any,
        company: int | None,
        incoming: int | None,
        raw: bytes,
        *,
        force: bool,
        out: list[Change[Any]],
    ) -> bool:
        """Store a piece if the version rule (or ``force``) lets it in; True when it was stored. The change is
        appended to ``out`` only while changes are tracked, so what callers decide from the result never depends
        on whether anybody listens."""
        table = self._tables.setdefault(p.name, {})
        blob = table.get(key)
        if blob is None:
            table[key] = _pack(-1 if incoming is None else incoming, company, raw)
            if self.track_changes:
                out.append(ObjectCreated(p.cls, key, company, None, raw))
            return True
        entry = Entry.of(blob)
        if not force:
            if incoming is None or incoming < entry.version:
                self.stats.stale += 1
                return False
            if incoming == entry.version:
                if raw != entry.raw:
                    self.stats.same_version_differs += 1
                    log.debug("fleetfreedom cache: %s %r: same version %s, different content; kept", p.name, key,
                              incoming)  # fmt: skip
                else:
                    self.stats.stale += 1
                return False
        elif raw == entry.raw:
            return False
        table[key] = _pack(entry.version if incoming is None else incoming, company, raw)
        if self.track_changes:
            out.append(ObjectUpdated(p.cls, key, company, entry.raw, raw))
        return True

    def _deleted(self, message: str, data: BaseModel) -> list[Change[Any]]:
        changes: list[Change[Any]] = []
        for root in message_roots(message):
            pieces = self._root_pieces(root)
            first = piece(pieces[0]) if pieces else None
            if first is None:
                continue
            key, company = self._identity(first, data)
            if key is None or not any(self._covered(name, key, company) for name in pieces):
                self.stats.ignored += 1
                continue
            versions: list[int | None] = [None] * first.width
            sent_v = getattr(data, "v", None)
            for slot, name in parts_of(root):
                blob = self._tables.get(name, {}).pop(key, None)
                entry = Entry.of(blob) if blob is not None else None
                sent = version_of(sent_v, slot, first.width) if isinstance(sent_v, list) and len(sent_v) > 1 else None
                known = [x for x in (sent, entry.version if entry is not None else None) if x is not None]
                versions[slot] = max(known) if known else None
                if entry is not None and self.track_changes:
                    changes.append(ObjectDeleted(TYPES[name].cls, key, entry.company, entry.raw, None))
            self._seq += 1
            self._tombstones.pop((root, key), None)  # re-laid at the end: the dict stays ordered by time
            self._tombstones[(root, key)] = _Tombstone(tuple(versions), self._seq, self.clock())
            self.stats.applied += 1
        self._expire_tombstones()
        return changes

    def _suspended(self, message: str, data: BaseModel) -> list[Change[Any]]:
        """Suspension flags live in one part; patch the parts carrying them when the version moved on."""
        changes: list[Change[Any]] = []
        sent = {k: v for k, v in json.loads(_dump(data)).items() if k != "v"}
        for root in message_roots(message):
            for slot, name in parts_of(root):
                p = piece(name)
                if p is None:
                    continue
                key, company = self._identity(p, data)
                entry = self.entry(name, key)
                patch = {k: v for k, v in sent.items() if k in TYPES[name].fields and k not in (p.key, p.owner)}
                if entry is None or not patch:
                    continue
                incoming = version_of(getattr(data, "v", None), slot, p.width)
                if incoming is None or incoming <= entry.version:
                    self.stats.stale += 1
                    continue
                merged = {**json.loads(entry.raw), **patch, "v": [incoming]}
                self._seq += 1
                raw = _dump(p.cls.model_validate(merged))
                if self._upsert(p, key, company, incoming, raw, force=False, out=changes):
                    self.stats.applied += 1
                    self._pushed_during_lists(name, key)
        return changes

    def _root_pieces(self, root: str) -> tuple[str, ...]:
        return tuple(name for _, name in parts_of(root))

    # --- tombstones -------------------------------------------------------------------------------------------

    def _tombstone(self, root: str, key: Any) -> _Tombstone | None:
        tomb = self._tombstones.get((root, key))
        if tomb is not None and self.clock() - tomb.at > self.tombstone_ttl:
            del self._tombstones[(root, key)]
            return None
        return tomb

    def _expire_tombstones(self) -> None:
        """Tombstones are laid in time order: drop expired ones from the front."""
        limit = self.clock() - self.tombstone_ttl
        while self._tombstones:
            first = next(iter(self._tombstones))
            if self._tombstones[first].at >= limit:
                break
            del self._tombstones[first]

    @property
    def tombstones(self) -> int:
        self._expire_tombstones()
        return len(self._tombstones)

    def purge_tombstones(self) -> None:
        self._tombstones.clear()

    # --- list replies -----------------------------------------------------------------------------------------

    def begin_list(self, company: int, name: str) -> ListTicket:
        """Call right before the list request is sent."""
        ticket = ListTicket(company, name, self._seq)
        self._tickets.append(ticket)
        return ticket

    def abandon_list(self, ticket: ListTicket) -> None:
        if ticket in self._tickets:
            self._tickets.remove(ticket)

    def finish_list(self, ticket: ListTicket, items: Iterable[BaseModel], *, force: bool = False) -> list[Change[Any]]:
        """The objects of a list reply, authoritative for its company and type. ``force`` replaces stored objects
        whatever their version (a ``reload`` broadcast), except those a push changed after the request went out;
        objects of a type without versions are always replaced so, the reply being newer than what came before it."""
        self.abandon_list(ticket)
        p = piece(ticket.name)
        if p is None or (ticket.company, ticket.name) not in self._regions:
            return []  # desynced meanwhile
        self.stats.lists += 1
        changes: list[Change[Any]] = []
        seen: set[Any] = set()
        for item in items:
            key, company = self._identity(p, item, fallback=ticket.company)
            if key is None:
                continue
            seen.add(key)
            incoming = version_of(getattr(item, "v", None), p.slot, p.width)
            tomb = self._tombstone(p.root, key)
            if tomb is not None:
                known = tomb.versions[p.slot] if p.slot < len(tomb.versions) else None
                if tomb.seq > ticket.mark and (known is None or incoming is None or incoming <= known):
                    continue  # deleted after this list was built
                del self._tombstones[(p.root, key)]  # listed by a server that already knew of the deletion
            replace = (force or not p.versioned) and key not in ticket.touched
            self._upsert(p, key, company, incoming, _dump(item), force=replace, out=changes)
        table = self._tables.setdefault(p.name, {})
        gone = [
            key
            for key, blob in table.items()
            if key not in seen
            and key not in ticket.touched
            and self._in_region(p.name, key, _company(blob), ticket.company)
        ]
        for key in gone:
            entry = Entry.of(table.pop(key))
            self.stats.evicted += 1
            if self.track_changes:
                changes.append(ObjectDeleted(p.cls, key, entry.company, entry.raw, None))
        return changes

    # --- reads ------------------------------------------------------------------------------------------------

    def entry(self, name: str, key: Any) -> Entry | None:
        blob = self._tables.get(name, {}).get(key)
        return Entry.of(blob) if blob is not None else None

    def keys(self, name: str, company: int | None = None) -> list[Any]:
        """Keys of the stored ``name`` objects (of one company); for a composite, of any of its parts."""
        if piece(name) is not None:
            names: Sequence[str] = (name,)
        else:
            names = self._root_pieces(name)
        out: dict[Any, None] = {}
        for n in names:
            for key, blob in self._tables.get(n, {}).items():
                if company is None or self._in_region(n, key, _company(blob), company):
                    out[key] = None
        return list(out)

    def count(self, name: str, company: int | None = None) -> int:
        if company is None and piece(name) is not None:
            return len(self._tables.get(name, {}))
        return len(self.keys(name, company))

    def raw(self, name: str, key: Any) -> bytes | None:
        """The stored JSON of one piece, or of a composite assembled from its stored parts (None if none is)."""
        if piece(name) is not None:
            blob = self._tables.get(name, {}).get(key)
            return _json(blob) if blob is not None else None
        composed = self.compose(name, key)
        return _compact(composed) if composed is not None else None

    def composite_changes(self, changes: Iterable[Change[Any]], roots: frozenset[str]) -> list[Change[Any]]:
        """The part changes of one batch (already applied) about composites in ``roots``, as one change per object:
        the composite before the batch and after it, and which parts changed."""
        touched: dict[tuple[str, Any], dict[str, bytes | None]] = {}  # (root, key) -> part -> its JSON before
        companies: dict[tuple[str, Any], int | None] = {}
        for change in changes:
            name = change.type.__name__
            root = root_of(name)
            if root not in roots:
                continue
            before = touched.setdefault((root, change.key), {})
            before.setdefault(name, change._old_raw)  # the first change of a part in the batch has its old state
            companies[(root, change.key)] = change.company or companies.get((root, change.key))
        out: list[Change[Any]] = []
        for (root, key), before in touched.items():
            old = self.compose(root, key, before)
            new = self.compose(root, key)
            whole = change_between(
                TYPES[root].cls,
                key,
                companies[(root, key)],
                None if old is None else _compact(old),
                None if new is None else _compact(new),
                frozenset(before),
            )
            if whole is not None:
                out.append(whole)
        return out

    def compose(self, root: str, key: Any, before: Mapping[str, bytes | None] | None = None) -> dict[str, Any] | None:
        """A composite from its parts: the root's fields from each part (a part it holds whole, nested), and ``v``
        with each part's version in its slot (0 for a part not stored). ``before`` replaces some parts' stored JSON
        (None: not stored), to build the composite as it was before a change."""
        spec = TYPES.get(root)
        if spec is None or not spec.parts:
            return None
        nested = nested_parts(root)
        allowed = set(spec.fields)
        versions = [0] * len(spec.parts)
        out: dict[str, Any] = {}
        found = False
        for slot, name in parts_of(root):
            if before is not None and name in before:
                raw = before[name]
                if raw is None:
                    continue
                data = json.loads(raw)
                versions[slot] = max(version_of(data.get("v"), slot, len(spec.parts)) or 0, 0)
            else:
                entry = self.entry(name, key)
                if entry is None:
                    continue
                data = json.loads(entry.raw)
                versions[slot] = max(entry.version, 0)
            found = True
            if name in nested:
                out[nested[name]] = data
            else:
                data.pop("v", None)
                out.update((k, v) for k, v in data.items() if k in allowed and k not in out)
        if not found:
            return None
        out["v"] = versions
        return out

    def items(self, name: str, company: int | None = None) -> Iterator[tuple[Any, bytes]]:
        for key in self.keys(name, company):
            raw = self.raw(name, key)
            if raw is not None:
                yield key, raw

    def clear(self) -> None:
        for table in self._tables.values():
            table.clear()
        self._tombstones.clear()


def _compact(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


__all__ = ["CacheCore", "CacheStats", "ListTicket"]
