"""Machine (API key) logins on the emulator: reading the credentials of a connection, checking the signature
within a clock tolerance, and keeping machines' secrets.

The signature is the one ``fleetfreedom._machine_auth`` describes (and the client computes with the same
functions). No signing time travels with it, so the emulator recomputes it for every second within
``tolerance`` of its own clock (about 600 HMACs for five minutes: well under a millisecond of work); a signature
from outside that window, or made with another secret, is refused with ``invalidHash``.

A machine's secret is kept in its stored record under a field that is not in the schema, so no view (getMachine,
lists, sync messages) ever shows it; only the ``machineMerged`` that follows a ``secret: true`` merge carries the
new value, once.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request

from .._machine_auth import (
    HMAC_SCHEME,
    KEY_ONLY_SCHEME,
    KEY_PARAM,
    SIGNATURE_PARAM,
    decode_secret,
    signature,
    signed_url,
)
from ._catalog import key_value
from ._sessions import parse_iso
from ._store import MemoryStore, Record

SECRET_FIELD = "emulatorSecret"  # beside the schema's fields: never part of a view
DEFAULT_TOLERANCE = timedelta(minutes=5)
SECRET_BYTES = 32
MAX_LOGINS = 1_000


class Refused(Exception):
    """A machine login that fails: the connectionResponse error name and a message (never a secret)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


@dataclass(frozen=True, slots=True)
class MachineLogin:
    """An accepted machine login: which key, how it came (header or query), the second it was signed at and the
    signature (a test checks that every connection is signed afresh)."""

    key: str
    company: int | None
    transport: str
    signed_at: datetime | None  # None for an insecure machine that sent its key only
    signature: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class _Offer:
    key: str
    signature: str | None
    transport: str


def new_secret() -> str:
    """A fresh secret as the API issues one: base64 text of random bytes."""
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


class Machines:
    """Machine accounts' secrets and the check of a connection's machine credentials."""

    def __init__(self, store: MemoryStore, tolerance: timedelta = DEFAULT_TOLERANCE) -> None:
        self.store = store
        self.tolerance = tolerance
        self.skew = timedelta(0)  # added to the emulator's clock: a test makes the client's signature look stale
        # the accepted machine logins, oldest first (for tests); bounded, so a long-running emulator does not grow
        self.logins: collections.deque[MachineLogin] = collections.deque(maxlen=MAX_LOGINS)

    # ------------------------------------------------------------------ secrets

    def secret_of(self, record: Record) -> str | None:
        value = record.data.get(SECRET_FIELD)
        return value if isinstance(value, str) else None

    def set_secret(self, record: Record, secret: str | None) -> None:
        if secret is None:
            record.data.pop(SECRET_FIELD, None)
        else:
            decode_secret(secret)  # a secret that is not base64 could never sign anything
            record.data[SECRET_FIELD] = secret
        self.store.put(record)

    def apply_flag(self, record: Record, flag: object) -> str | None:
        """mergeMachine's ``secret``: True generates a new secret (returned, to be shown once), False removes it."""
        if flag is True:
            secret = new_secret()
            self.set_secret(record, secret)
            return secret
        if flag is False:
            self.set_secret(record, None)
        return None

    # ------------------------------------------------------------------ logins

    def offered(self, request: Request) -> bool:
        """Whether the connection carries machine credentials at all (else it is a user session)."""
        return "Authorization" in request.headers or KEY_PARAM in parse_qs(urlsplit(request.path).query)

    def authenticate(self, request: Request, scheme: str) -> MachineLogin:
        """Check the machine credentials of a connection opened with ``request``; raises ``Refused``."""
        offer = _read_offer(request)
        host = request.headers.get("Host", "")
        url = signed_url(f"{scheme}://{host}{request.path}")
        record = self.store.get("Machine", offer.key)
        if record is None:
            raise Refused("invalidHash", "unknown API key or wrong signature")  # same answer: no hint which
        if record.deleted or record.data.get("enabled") is False:
            raise Refused("machineNotAllowed", f"the machine {offer.key} is disabled or deleted")
        now = datetime.now(UTC) + self.skew
        _check_window(offer.key, record, now)
        secret = self.secret_of(record)
        company = key_value(record.data.get("company"))
        owner = company if isinstance(company, int) else None
        if offer.signature is None:
            if record.data.get("insecure") is True:  # the vendor's word: no restriction applies to it
                login = MachineLogin(offer.key, owner, offer.transport, None)
                self.logins.append(login)
                return login
            raise Refused("machineNotAllowed", f"the machine {offer.key} must sign its connections (HMAC256)")
        if secret is None:
            raise Refused("invalidHash", f"the machine {offer.key} has no secret to sign with")
        signed_at = self._match(offer.key, decode_secret(secret), offer.signature, url, now)
        if signed_at is None:
            raise Refused(
                "invalidHash",
                f"wrong signature, or not signed within {self.tolerance.total_seconds():g} s of the server's clock",
            )
        login = MachineLogin(offer.key, owner, offer.transport, signed_at, offer.signature)
        self.logins.append(login)
        return login

    def _match(self, key: str, secret: bytes, sent: str, url: str, now: datetime) -> datetime | None:
        """The second within the tolerance whose signature is ``sent``, nearest to ``now`` first."""
        base = now.replace(microsecond=0)
        reach = int(self.tolerance.total_seconds())
        for offset in sorted(range(-reach, reach + 1), key=abs):
            moment = base + timedelta(seconds=offset)
            if hmac.compare_digest(signature(key, secret, moment, url).encode(), sent.encode("utf-8")):
                return moment
        return None


def _read_offer(request: Request) -> _Offer:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        try:
            text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise Refused("invalidHash", "the Authorization header is not base64") from None
        if scheme == HMAC_SCHEME:
            key, colon, sent = text.rpartition(":")
            if not colon or not key or not sent:
                raise Refused("invalidHash", "an HMAC256 Authorization header holds base64 of '<key>:<signature>'")
            return _Offer(key, sent, "header")
        if scheme == KEY_ONLY_SCHEME and text:
            return _Offer(text, None, "header")
        raise Refused("invalidHash", f"unknown Authorization scheme {scheme[:20]!r} (expected HMAC256 or Machine)")
    query = parse_qs(urlsplit(request.path).query)
    key = (query.get(KEY_PARAM) or [""])[0]
    if not key:
        raise Refused("invalidHash", f"{KEY_PARAM} is empty")
    signatures = query.get(SIGNATURE_PARAM)
    # base64's '+' arrives as a space when a client forgot to percent-encode it
    return _Offer(key, signatures[0].replace(" ", "+") if signatures else None, "query")


def _check_window(key: str, record: Record, now: datetime) -> None:
    """notBefore / notAfter: a machine may be limited to a period."""
    for name, sign in (("notBefore", 1), ("notAfter", -1)):
        value: Any = record.data.get(name)
        if isinstance(value, str) and (parse_iso(value) - now).total_seconds() * sign > 0:
            raise Refused("machineNotAllowed", f"the machine {key} may not connect now ({name} {value})")
