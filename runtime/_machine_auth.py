"""Machine (API key) authentication: how a service account signs the opening of a WebSocket.

The wire format, as the vendor's clients send it (described in our own words):

* The text signed is five lines joined by ``\\n``: the API key; the UTC time of signing as ``yyyyMMddHHmmss``
  (14 digits, one-second resolution); the HTTP method ``GET``; the address being opened with the session and
  machine query parameters (``ghostId``, ``shadowKey``, ``shadowSig``) taken out; and the request length ``0``.
* The signature is the standard base64 of the HMAC-SHA256 of that text (UTF-8), keyed by the *base64-decoded*
  secret.
* Header form (the C# client, and this SDK's default): ``Authorization: HMAC256 <base64 of "<key>:<signature>">``.
  A machine without a secret (an ``insecure`` one) sends ``Authorization: Machine <base64 of the key>``.
* Query form (the early browser client): ``shadowKey=<key>`` and, with a secret, ``shadowSig=<signature>`` added
  to the address; the signed address is the one without them.

No time travels with the signature: the server recomputes it for the seconds around its own clock, so the
machine's clock must be roughly right, and every connection attempt is signed afresh (a reconnect an hour later
would otherwise carry an hour-old signature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

ENV_API_KEY = "FLEETFREEDOM_API_KEY"
ENV_API_SECRET = "FLEETFREEDOM_API_SECRET"

MachineTransport = Literal["header", "query"]
HMAC_SCHEME = "HMAC256"
KEY_ONLY_SCHEME = "Machine"
KEY_PARAM = "shadowKey"
SIGNATURE_PARAM = "shadowSig"
# query parameters that are not part of the signed address: the session id and the machine's own
UNSIGNED_PARAMS = ("ghostId", KEY_PARAM, SIGNATURE_PARAM)
TIME_FORMAT = "%Y%m%d%H%M%S"
_DEFAULT_PORTS = {"ws": 80, "wss": 443, "http": 80, "https": 443}


def signed_url(url: str) -> str:
    """The address as it is signed: scheme and host in lower case, a default port left out (as .NET's
    ``Uri.AbsoluteUri`` writes it), a bare host given the path ``/``, and the unsigned query parameters removed
    (the others keep their order and spelling)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    if parts.username is not None:  # user info is kept as given (never used by this API, but not dropped)
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    kept = [q for q in parts.query.split("&") if q and not q.startswith(tuple(p + "=" for p in UNSIGNED_PARAMS))]
    return urlunsplit((scheme, netloc, parts.path or "/", "&".join(kept), parts.fragment))


def string_to_sign(key: str, moment: datetime, url: str) -> str:
    """The five signed lines: key, UTC time (``yyyyMMddHHmmss``), method, signed address, request length."""
    when = moment.astimezone(UTC) if moment.tzinfo else moment
    return "\n".join((key, when.strftime(TIME_FORMAT), "GET", signed_url(url), "0"))


def decode_secret(secret: str) -> bytes:
    """The HMAC key: the secret is base64 text. Raises ValueError without repeating the secret."""
    try:
        return base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the API secret is not valid base64 (copy it exactly as it was issued)") from None


def signature(key: str, secret: bytes, moment: datetime, url: str) -> str:
    """Base64 of HMAC-SHA256(secret, string_to_sign(...))."""
    digest = hmac.new(secret, string_to_sign(key, moment, url).encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization(key: str, secret: bytes | None, moment: datetime, url: str) -> str:
    """The ``Authorization`` header value for opening ``url`` at ``moment``."""
    if secret is None:
        return f"{KEY_ONLY_SCHEME} {base64.b64encode(key.encode('utf-8')).decode('ascii')}"
    token = f"{key}:{signature(key, secret, moment, url)}".encode()
    return f"{HMAC_SCHEME} {base64.b64encode(token).decode('ascii')}"


def with_query_credentials(key: str, secret: bytes | None, moment: datetime, url: str) -> str:
    """``url`` with ``shadowKey`` (and ``shadowSig`` when there is a secret) appended to its query."""
    parts = urlsplit(url)
    params = {KEY_PARAM: key}
    if secret is not None:
        params[SIGNATURE_PARAM] = signature(key, secret, moment, url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


@dataclass(frozen=True, slots=True)
class MachineCredentials:
    """An API key and its (decoded) secret. The secret shows nowhere: not in repr, str or any error message."""

    key: str
    secret: bytes | None  # None: an insecure machine that sends its key only

    @classmethod
    def create(cls, key: str | None, secret: str | None) -> MachineCredentials | None:
        """From the constructor's ``api_key`` / ``api_secret``; ``api_key=None`` reads FLEETFREEDOM_API_KEY and
        FLEETFREEDOM_API_SECRET, ``api_key=""`` means no machine (and ignores the environment)."""
        if key is None:
            key = os.environ.get(ENV_API_KEY) or ""
            if secret is None:
                secret = os.environ.get(ENV_API_SECRET) or None
        if not key:
            if secret:
                raise ValueError("api_secret was given without api_key")
            return None
        if any(c in key for c in "\r\n:") or key != key.strip():
            raise ValueError("api_key must be one line without ':' or surrounding spaces")
        return cls(key, decode_secret(secret) if secret else None)

    def sign(self, url: str, transport: MachineTransport, moment: datetime | None = None) -> tuple[str, dict[str, str]]:
        """The address to open and the headers to add for one connection attempt (signed at ``moment``, now)."""
        when = moment or datetime.now(UTC)
        if transport == "query":
            return with_query_credentials(self.key, self.secret, when, url), {}
        return url, {"Authorization": authorization(self.key, self.secret, when, url)}

    def __repr__(self) -> str:
        return f"MachineCredentials(key={self.key!r}, secret={'***' if self.secret is not None else None})"
