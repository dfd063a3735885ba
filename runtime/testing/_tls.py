"""Certificates made on the fly (with ``trustme``) so that the emulator serves ``wss://`` like the real service."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


class TlsUnavailable(RuntimeError):
    """TLS was asked for but ``trustme`` is not installed."""


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """A throw-away certificate authority and the server certificate it issued."""

    server_context: ssl.SSLContext
    ca_pem: bytes

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this emulator's CA (and nothing else)."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.load_verify_locations(cadata=self.ca_pem.decode("ascii"))
        return context

    def write_ca(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_bytes(self.ca_pem)
        return target


def make_tls(hosts: tuple[str, ...]) -> TlsMaterial:
    try:
        import trustme
    except ImportError:
        raise TlsUnavailable("TLS needs the trustme package: pip install 'fleetfreedom[emulator]'") from None
    authority = trustme.CA()
    certificate = authority.issue_cert(*hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    return TlsMaterial(context, authority.cert_pem.bytes())
