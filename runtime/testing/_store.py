"""Where the emulator keeps its data: objects, sessions and password hashes.

``MemoryStore`` keeps everything in dicts; ``SqliteStore`` keeps the same dicts and writes every change through to
a SQLite file (standard library), so data and sessions survive a restart. Both are used from the emulator's event
loop thread only.

Writes are all-or-nothing: inside ``with store.transaction():`` changes are staged (``get`` hands out private copies,
so a handler may change a record freely) and reach the dicts only after the database commit succeeded. A failed
commit raises ``StoreError`` and leaves memory exactly as it was. A write outside a transaction is its own one.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class StoreError(Exception):
    """The database could not be opened or refused a write; the message is one line for the user."""


def _key_text(key: Any) -> str:
    return json.dumps(key, separators=(",", ":"))


@dataclass(slots=True)
class Record:
    """One stored object: a composite (Asset) is one record holding all its parts' fields."""

    root: str
    key: Any
    data: dict[str, Any]
    versions: list[int]

    @property
    def deleted(self) -> bool:
        return bool(self.data.get("deleted"))

    @property
    def suspended(self) -> bool:
        return bool(self.data.get("suspended"))

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "key": self.key, "data": self.data, "versions": self.versions}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Record:
        return cls(raw["root"], raw["key"], dict(raw["data"]), list(raw["versions"]))


@dataclass(slots=True)
class Credential:
    """A password as a salted hash; the password itself is never stored."""

    salt: str
    digest: str
    changed: str  # ISO datetime of the last change

    def to_json(self) -> dict[str, Any]:
        return {"salt": self.salt, "digest": self.digest, "changed": self.changed}


@dataclass(slots=True)
class Pending:
    """The writes of one open transaction: ``None`` marks a removal."""

    records: dict[tuple[str, str], Record | None] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    copies: dict[tuple[str, str], Record] = field(default_factory=dict)  # records handed out by get()
    counters: dict[str, int] = field(default_factory=dict)  # the counters as they were, restored on failure

    def __bool__(self) -> bool:
        return bool(self.records or self.sessions or self.credentials)


@dataclass(slots=True)
class MemoryStore:
    objects: dict[str, dict[str, Record]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    _pending: Pending | None = field(default=None, init=False, repr=False)

    @property
    def is_empty(self) -> bool:
        return not self.objects and not self.credentials

    # transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Stage every write made inside; commit them together at the end (nested calls join the outer one).

        An exception from the body discards the staged writes and propagates; a failed commit raises StoreError.
        Either way memory is left as it was before.
        """
        if self._pending is not None:
            yield
            return
        self._pending = pending = Pending(counters=dict(self.counters))
        try:
            yield
            if pending:
                self._commit(pending)  # raises StoreError, memory untouched
        except BaseException:
            self.counters = pending.counters
            raise
        finally:
            self._pending = None
        self._apply(pending)

    def _apply(self, pending: Pending) -> None:
        for (root, key_text), record in pending.records.items():
            if record is None:
                self.objects.get(root, {}).pop(key_text, None)
            else:
                self.objects.setdefault(root, {})[key_text] = record
        for ghost_id, state in pending.sessions.items():
            if state is None:
                self.sessions.pop(ghost_id, None)
            else:
                self.sessions[ghost_id] = state
        self.credentials.update(pending.credentials)

    def _commit(self, pending: Pending) -> None:
        """Make the staged writes durable (nothing to do in memory)."""
        return None

    # objects
    def get(self, root: str, key: Any) -> Record | None:
        """The stored record; inside a transaction a private copy that may be changed and ``put`` back."""
        pending = self._pending
        if pending is None:
            return self.objects.get(root, {}).get(_key_text(key))
        slot = (root, _key_text(key))
        if slot in pending.records:
            return pending.records[slot]
        held = pending.copies.get(slot)
        if held is None:
            stored = self.objects.get(root, {}).get(slot[1])
            if stored is None:
                return None
            held = Record(stored.root, stored.key, copy.deepcopy(stored.data), list(stored.versions))
            pending.copies[slot] = held
        return held

    def records(self, root: str) -> Iterator[Record]:
        """Every record of ``root`` (read-only: change a record through ``get`` and ``put``)."""
        stored = self.objects.get(root, {})
        pending = self._pending
        if pending is None or not pending.records:
            yield from list(stored.values())
            return
        staged = {k: r for (r_root, k), r in pending.records.items() if r_root == root}
        for key_text, record in list(stored.items()):
            if key_text in staged:
                changed = staged.pop(key_text)
                if changed is not None:
                    yield changed
            else:
                yield record
        yield from (r for r in staged.values() if r is not None)

    def put(self, record: Record) -> None:
        if self._pending is None:
            with self.transaction():
                self.put(record)
            return
        self._pending.records[(record.root, _key_text(record.key))] = record
        if isinstance(record.key, int) and not isinstance(record.key, bool):
            self.counters[record.root] = max(self.counters.get(record.root, 0), record.key)

    def discard(self, root: str, key: Any) -> None:
        if self._pending is None:
            with self.transaction():
                self.discard(root, key)
            return
        self._pending.records[(root, _key_text(key))] = None

    def next_id(self, root: str) -> int:
        """A new numeric id for ``root``: above every id seen, and above 1000 so seeded ids stay readable."""
        value = max(self.counters.get(root, 0), 1000) + 1
        self.counters[root] = value
        return value

    # sessions (plain JSON-ready dicts, owned by _sessions)
    def put_session(self, ghost_id: str, state: dict[str, Any]) -> None:
        if self._pending is None:
            with self.transaction():
                self.put_session(ghost_id, state)
            return
        self._pending.sessions[ghost_id] = state

    def drop_session(self, ghost_id: str) -> None:
        if self._pending is None:
            with self.transaction():
                self.drop_session(ghost_id)
            return
        self._pending.sessions[ghost_id] = None

    # credentials
    def put_credential(self, login: str, credential: Credential) -> None:
        if self._pending is None:
            with self.transaction():
                self.put_credential(login, credential)
            return
        self._pending.credentials[login] = credential

    def close(self) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (root TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (root, key));
CREATE TABLE IF NOT EXISTS sessions (ghost_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (login TEXT PRIMARY KEY, body TEXT NOT NULL);
"""
_COLUMNS = {"objects": ["root", "key", "body"], "sessions": ["ghost_id", "body"], "credentials": ["login", "body"]}


class SqliteStore(MemoryStore):
    """The memory store, loaded from and written through to a SQLite file that this process alone may use.

    The file is locked for the store's lifetime (SQLite's exclusive locking mode), so a second emulator on the same
    file refuses to start instead of acknowledging writes that one of the two would lose.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        try:
            self._db = self._open()
        except StoreError:
            raise
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.path}: not a usable emulator database ({_one_line(exc)})") from None

    def _open(self) -> sqlite3.Connection:
        where = self.path
        if where.is_dir():
            raise StoreError(f"{where}: is a directory, not a database file")
        if not where.parent.is_dir():
            raise StoreError(f"{where}: the folder {where.parent} does not exist")
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT in _commit)
        db = sqlite3.connect(where, isolation_level=None, check_same_thread=False, timeout=0.0)
        try:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            try:
                db.execute("BEGIN EXCLUSIVE")  # takes the lock now; exclusive mode keeps it until close
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise StoreError(
                        f"{where}: another emulator is using this database; stop it or use another --db"
                    ) from None
                raise
            db.execute("COMMIT")
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            for table, columns in _COLUMNS.items():
                found = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
                if found != columns:
                    raise StoreError(f"{where}: table {table} has columns {found}, expected {columns}")
            for root, key, body in db.execute("SELECT root, key, body FROM objects"):
                record = Record.from_json(json.loads(body))
                self.objects.setdefault(root, {})[key] = record
                if isinstance(record.key, int):
                    self.counters[root] = max(self.counters.get(root, 0), record.key)
            for ghost_id, body in db.execute("SELECT ghost_id, body FROM sessions"):
                self.sessions[ghost_id] = dict(json.loads(body))
            for login, body in db.execute("SELECT login, body FROM credentials"):
                self.credentials[login] = Credential(**json.loads(body))
        except BaseException:
            db.close()
            raise
        return db

    def _commit(self, pending: Pending) -> None:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            for (root, key_text), record in pending.records.items():
                if record is None:
                    db.execute("DELETE FROM objects WHERE root = ? AND key = ?", (root, key_text))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO objects (root, key, body) VALUES (?, ?, ?)",
                        (root, key_text, json.dumps(record.to_json())),
                    )
            for ghost_id, state in pending.sessions.items():
                if state is None:
                    db.execute("DELETE FROM sessions WHERE ghost_id = ?", (ghost_id,))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO sessions (ghost_id, body) VALUES (?, ?)", (ghost_id, json.dumps(state))
                    )
            for login, credential in pending.credentials.items():
                db.execute(
                    "INSERT OR REPLACE INTO credentials (login, body) VALUES (?, ?)",
                    (login, json.dumps(credential.to_json())),
                )
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: the write was not stored ({_one_line(exc)})") from None

    def close(self) -> None:
        self._db.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def open_store(db: str | Path | None) -> MemoryStore:
    """A store for ``db`` (None: memory only); a file that cannot serve raises StoreError with a one-line reason."""
    return MemoryStore() if db is None else SqliteStore(db)
