"""Sessions (ghost ids, who is logged in, subscriptions) and passwords (salted hashes, policy checks).

A session outlives its connections: a client that reconnects with the ghost id in the path gets it back, logged in
and with its subscriptions, until it expires, is killed or logs out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ._store import Credential, MemoryStore

MAX_SESSIONS = 10_000  # sessions kept; past that the stale ones are forgotten
_HASH_ROUNDS = 20_000  # enough to make the hash a hash; few enough that a test's login stays fast


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The wire form of a datetime: ISO-8601 in UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(slots=True)
class Session:
    ghost_id: str
    handle: str
    created: str
    expiry: str
    login: str | None = None
    company: int | None = None
    user_agent: str | None = None
    ended: str | None = None  # error name once ended: sessionExpired, sessionKilled
    subscriptions: dict[int, set[str]] = field(default_factory=dict)
    machine: str | None = None  # the API key of a machine session (authenticated when it connected)

    @property
    def logged_in(self) -> bool:
        return self.login is not None or self.machine is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "ghostId": self.ghost_id,
            "handle": self.handle,
            "created": self.created,
            "expiry": self.expiry,
            "login": self.login,
            "company": self.company,
            "userAgent": self.user_agent,
            "ended": self.ended,
            "subscriptions": {str(c): sorted(t) for c, t in self.subscriptions.items()},
            "machine": self.machine,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Session:
        return cls(
            ghost_id=raw["ghostId"],
            handle=raw["handle"],
            created=raw["created"],
            expiry=raw["expiry"],
            login=raw.get("login"),
            company=raw.get("company"),
            user_agent=raw.get("userAgent"),
            ended=raw.get("ended"),
            subscriptions={int(c): set(t) for c, t in (raw.get("subscriptions") or {}).items()},
            machine=raw.get("machine"),
        )


class Sessions:
    """Every session the emulator knows, kept in the store so that ``--db`` keeps them across restarts."""

    def __init__(self, store: MemoryStore, ttl: timedelta) -> None:
        self._store = store
        self.ttl = ttl
        self._live: dict[str, Session] = {g: Session.from_json(s) for g, s in store.sessions.items()}

    def __iter__(self) -> Any:
        return iter(list(self._live.values()))

    def get(self, ghost_id: str) -> Session | None:
        return self._live.get(ghost_id)

    def new(self) -> Session:
        if len(self._live) >= MAX_SESSIONS:
            self._prune()
        now = utcnow()
        session = Session(str(uuid.uuid4()), str(uuid.uuid4()), iso(now), iso(now + self.ttl))
        self.save(session)
        return session

    def resume(self, ghost_id: str) -> tuple[Session, str]:
        """The session a connection gets and the connectionResponse error name.

        A blank, unknown, ended or expired ghost id gets a fresh (not logged in) session, so the client can log in
        on the same connection; the error name tells it why its old session was not resumed.
        """
        if not ghost_id:
            return self.new(), "userNotLoggedIn"
        session = self._live.get(ghost_id)
        if session is None:
            return self.new(), "sessionNotFound"
        if session.ended is None and parse_iso(session.expiry) <= utcnow():
            self.end(session, "sessionExpired")
        if session.ended is not None:
            return self.new(), session.ended
        self.touch(session)
        return session, "success" if session.logged_in else "userNotLoggedIn"

    def _prune(self) -> None:
        """Forget ended, expired and never-logged-in sessions (oldest first) so the table stays bounded."""
        now = utcnow()
        stale = [s for s in self._live.values() if s.ended or not s.logged_in or parse_iso(s.expiry) <= now]
        stale.sort(key=lambda s: s.created)
        for session in stale[: max(len(stale) // 2, len(self._live) - MAX_SESSIONS + 1)]:
            self.drop(session)

    def touch(self, session: Session) -> None:
        """Slide the expiry: a session in use does not expire."""
        session.expiry = iso(utcnow() + self.ttl)
        self.save(session)

    def save(self, session: Session) -> None:
        self._live[session.ghost_id] = session
        self._store.put_session(session.ghost_id, session.to_json())

    def end(self, session: Session, reason: str) -> None:
        session.ended = reason
        session.subscriptions.clear()
        self.save(session)

    def drop(self, session: Session) -> None:
        """Forget a session entirely (after logout its ghost id is simply unknown)."""
        self._live.pop(session.ghost_id, None)
        self._store.drop_session(session.ghost_id)

    def of_login(self, login: str) -> list[Session]:
        return [s for s in self._live.values() if s.login == login and s.ended is None]

    def fork(self, session: Session) -> Session:
        """``session`` under a new ghost id and handle, not yet saved: a login runs on the copy, so a ghost id that
        was handed out (or planted) before the login never becomes a logged-in session (no session fixation)."""
        now = utcnow()
        fresh = dataclasses.replace(session, ghost_id=str(uuid.uuid4()), handle=str(uuid.uuid4()), created=iso(now))
        fresh.subscriptions = {c: set(t) for c, t in session.subscriptions.items()}
        return fresh

    def restore(self, session: Session, state: dict[str, Any], *, forget: Session | None = None) -> None:
        """Undo in memory what a refused write changed: ``session`` back to ``state`` (from ``to_json``), and
        ``forget`` (a fork that was never stored) out of the table. The store itself was never changed."""
        before = Session.from_json(state)
        for item in dataclasses.fields(Session):
            setattr(session, item.name, getattr(before, item.name))
        self._live[session.ghost_id] = session
        if forget is not None and forget is not session:
            self._live.pop(forget.ghost_id, None)


class Passwords:
    """Salted PBKDF2 hashes of the users' passwords. Passwords themselves are never stored, logged or shown."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def set(self, login: str, password: str) -> None:
        salt = secrets.token_hex(16)
        self._store.put_credential(login, Credential(salt, self._digest(password, salt), iso(utcnow())))

    def check(self, login: str, password: str) -> bool:
        credential = self._store.credentials.get(login)
        if credential is None:
            self._digest(password, "0" * 32)  # same work either way: no timing hint that the login is unknown
            return False
        return hmac.compare_digest(credential.digest, self._digest(password, credential.salt))

    def changed(self, login: str) -> datetime | None:
        credential = self._store.credentials.get(login)
        return parse_iso(credential.changed) if credential is not None else None

    @staticmethod
    def _digest(password: str, salt: str) -> str:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), _HASH_ROUNDS).hex()


DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "minimumLength": 8,
    "includeLetters": True,
    "includeNumbers": True,
    "includeUpperLower": False,
    "includeSpecial": False,
    "expireMode": "never",
    "expireThreshold": 0,
}
DEFAULT_SESSION_POLICY: dict[str, Any] = {"multiUser": "allow", "idleAllowed": True}


def password_problems(password: str, policy: dict[str, Any]) -> list[str]:
    """What makes ``password`` break ``policy`` (empty when it complies). Never includes the password."""
    problems = []
    minimum = int(policy.get("minimumLength") or 0)
    if len(password) < minimum:
        problems.append(f"at least {minimum} characters")
    if policy.get("includeLetters") and not any(c.isalpha() for c in password):
        problems.append("a letter")
    if policy.get("includeNumbers") and not any(c.isdigit() for c in password):
        problems.append("a digit")
    if policy.get("includeUpperLower") and not (
        any(c.isupper() for c in password) and any(c.islower() for c in password)
    ):
        problems.append("upper and lower case letters")
    if policy.get("includeSpecial") and all(c.isalnum() for c in password):
        problems.append("a character that is neither a letter nor a digit")
    return problems
