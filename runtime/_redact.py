"""Secrets kept out of logs: passwords, machine secrets, signatures and ghostIds in what ``websockets`` logs.

``websockets`` logs every frame (``> TEXT 'login {"reqId":1,...}'``), the request line (``GET /<ghostId>``) and
the headers when its logger is at DEBUG. The client and the emulator hand it a logger of their own that carries
``RedactingFilter``, which rewrites each record before it is formatted: secret JSON values become ``"***"`` in the
whole frame (not only in the part ``websockets`` shows, which elides the middle of long frames), a ghostId in a
path is cut short, and credential headers are hidden.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

from websockets.frames import Frame, Opcode

# JSON fields whose value is a secret: login/updateOwnPassword passwords, a machine's secret (shown once after
# mergeMachine generates it), and the session's bearer id.
SECRET_FIELDS = ("password", "current", "secret", "ghostId")
# the value: a string, a flat list or object (a client may send the wrong type), or any other scalar
_SECRET_VALUE = re.compile(
    r'("(?:' + "|".join(SECRET_FIELDS) + r')"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|[^,}\]\s]+)'
)
_GHOST_PATH = re.compile(r"^(/[^/?#\s]{0,6})[^/?#\s]{3,}")
# the session id and a machine's signature (replayable while fresh) in a query string
_GHOST_QUERY = re.compile(r"((?:ghostId|shadowSig)=)[^&#\s]+")
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "sec-websocket-protocol"})
MASK = "***"


def redact(text: str) -> str:
    """``text`` with the value of every secret JSON field replaced by ``"***"``."""
    return _SECRET_VALUE.sub(rf'\1"{MASK}"', text)


def redact_path(path: str) -> str:
    """``/5112a1ea-e1bd-...`` -> ``/5112a1...``; ghostId and shadowSig query parameters are hidden."""
    return _GHOST_QUERY.sub(rf"\1{MASK}", _GHOST_PATH.sub(r"\1...", path))


def _clean(arg: Any) -> Any:
    if isinstance(arg, Frame) and arg.opcode in (Opcode.TEXT, Opcode.CONT):
        text = bytes(arg.data).decode("utf-8", errors="replace")
        cleaned = redact(text)
        return arg if cleaned == text else dataclasses.replace(arg, data=cleaned.encode("utf-8"))
    if isinstance(arg, str):
        return redact_path(redact(arg)) if arg.startswith("/") else redact(arg)
    return arg


class RedactingFilter(logging.Filter):
    """Rewrites a record's arguments so that no secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            if isinstance(args[0], str) and args[0].lower() in _SECRET_HEADERS and len(args) == 2:
                record.args = (args[0], MASK)
            else:
                record.args = tuple(_clean(arg) for arg in args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redacting_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a RedactingFilter on it (added once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
