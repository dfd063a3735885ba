"""Where the emulator keeps its data: objects, sessions and password hashes.

``MemoryStore`` keeps everything in dicts; ``SqliteStore`` keeps the same dicts and writes every change through to
a SQLite file (standard library), so data and sessions survive a restart. Both are used from the emulator's event
loop thread only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
class MemoryStore:
    objects: dict[str, dict[str, Record]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.objects and not self.credentials

    # objects
    def get(self, root: str, key: Any) -> Record | None:
        return self.objects.get(root, {}).get(_key_text(key))

    def records(self, root: str) -> Iterator[Record]:
        yield from list(self.objects.get(root, {}).values())

    def put(self, record: Record) -> None:
        self.objects.setdefault(record.root, {})[_key_text(record.key)] = record
        if isinstance(record.key, int) and not isinstance(record.key, bool):
            self.counters[record.root] = max(self.counters.get(record.root, 0), record.key)
        self._persist_record(record)

    def discard(self, root: str, key: Any) -> None:
        self.objects.get(root, {}).pop(_key_text(key), None)
        self._forget_record(root, key)

    def next_id(self, root: str) -> int:
        """A new numeric id for ``root``: above every id seen, and above 1000 so seeded ids stay readable."""
        value = max(self.counters.get(root, 0), 1000) + 1
        self.counters[root] = value
        return value

    # sessions (plain JSON-ready dicts, owned by _sessions)
    def put_session(self, ghost_id: str, state: dict[str, Any]) -> None:
        self.sessions[ghost_id] = state
        self._persist_session(ghost_id, state)

    def drop_session(self, ghost_id: str) -> None:
        self.sessions.pop(ghost_id, None)
        self._forget_session(ghost_id)

    # credentials
    def put_credential(self, login: str, credential: Credential) -> None:
        self.credentials[login] = credential
        self._persist_credential(login, credential)

    def close(self) -> None:
        return None

    # write-through hooks (no-ops in memory)
    def _persist_record(self, record: Record) -> None:
        return None

    def _forget_record(self, root: str, key: Any) -> None:
        return None

    def _persist_session(self, ghost_id: str, state: dict[str, Any]) -> None:
        return None

    def _forget_session(self, ghost_id: str) -> None:
        return None

    def _persist_credential(self, login: str, credential: Credential) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (root TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (root, key));
CREATE TABLE IF NOT EXISTS sessions (ghost_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (login TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


class SqliteStore(MemoryStore):
    """The memory store, loaded from and written through to a SQLite file."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        # autocommit: every change is durable once the call returns, so a killed emulator loses nothing
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        for root, key, body in self._db.execute("SELECT root, key, body FROM objects"):
            record = Record.from_json(json.loads(body))
            self.objects.setdefault(root, {})[key] = record
            if isinstance(record.key, int):
                self.counters[root] = max(self.counters.get(root, 0), record.key)
        for ghost_id, body in self._db.execute("SELECT ghost_id, body FROM sessions"):
            self.sessions[ghost_id] = json.loads(body)
        for login, body in self._db.execute("SELECT login, body FROM credentials"):
            self.credentials[login] = Credential(**json.loads(body))

    def _persist_record(self, record: Record) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO objects (root, key, body) VALUES (?, ?, ?)",
            (record.root, _key_text(record.key), json.dumps(record.to_json())),
        )

    def _forget_record(self, root: str, key: Any) -> None:
        self._db.execute("DELETE FROM objects WHERE root = ? AND key = ?", (root, _key_text(key)))

    def _persist_session(self, ghost_id: str, state: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sessions (ghost_id, body) VALUES (?, ?)", (ghost_id, json.dumps(state))
        )

    def _forget_session(self, ghost_id: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE ghost_id = ?", (ghost_id,))

    def _persist_credential(self, login: str, credential: Credential) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO credentials (login, body) VALUES (?, ?)",
            (login, json.dumps(credential.to_json())),
        )

    def close(self) -> None:
        self._db.close()


def open_store(db: str | Path | None) -> MemoryStore:
    return MemoryStore() if db is None else SqliteStore(db)
