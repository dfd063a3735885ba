"""Passwords never show: not in any log record (every logger at DEBUG, websockets' frame logs included), not in a
repr or str, not in an exception message, on the client side or the emulator's.

The passwords are short and the usernames and user agent tiny, so a whole login frame fits in the 75 characters
``websockets`` shows of a frame at DEBUG level: without redaction, the password would be in the log in full.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import fleetfreedom as ff
import pytest
from fleetfreedom import AsyncClient, Client
from fleetfreedom.commands import LoginRequest
from fleetfreedom.testing import Emulator
from websockets.asyncio.client import connect

LOGIN = "a@b.c"
KNOWN = "pw-Kn0wn!"  # the account's password
WRONG = "pw-Wr0ng!"  # a failed attempt
NEW = "pw-N3w-0ne!"  # set by updateOwnPassword
SECRETS = (KNOWN, WRONG, NEW)


class Everything(logging.Handler):
    """Every record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in ("fleetfreedom", "websockets")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(users=[(LOGIN, KNOWN)]) as running:
        yield running


def texts_of(*objects: Any) -> list[str]:
    out = []
    for obj in objects:
        out += [repr(obj), str(obj)]
        if isinstance(obj, BaseException):
            out += [repr(a) for a in obj.args] + [repr(vars(obj))]
    return out


def fragments(secret: str) -> set[str]:
    """Every 5-character piece of ``secret``: a log that elides the middle of a frame may still show its end."""
    return {secret[i : i + 5] for i in range(len(secret) - 4)}


def assert_no_secret(texts: list[str], logs: Everything) -> None:
    assert len(logs.lines) > 20, "nothing was logged: the test would prove nothing"
    assert any("TEXT 'login " in line for line in logs.lines), "websockets' frame log is not captured"
    for secret in SECRETS:
        leaks = [t for t in [*texts, *logs.lines] if any(piece in t for piece in fragments(secret))]
        assert not leaks, f"(part of) {secret!r} found in: {leaks[:3]}"


def test_async_client_login_failed_and_successful(emulator: Emulator, logs: Everything) -> None:
    seen: list[str] = []

    async def scenario() -> None:
        async with AsyncClient(emulator.url, user_agent="x", keepalive=None, timeout=10) as client:
            with pytest.raises(ff.ApiError) as failed:
                await client.login(LOGIN, WRONG)
            session = await client.login(LOGIN, KNOWN)
            reply = await client.account.update_own_password(KNOWN, password=NEW)
            seen.extend(texts_of(failed.value, failed.value.reply, client, session, reply, client.stats))
        async with AsyncClient(emulator.url, user_agent="x", keepalive=None, timeout=10) as client:
            seen.extend(texts_of(await client.login(LOGIN, NEW), client))

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert_no_secret(seen, logs)


def test_sync_client_login_failed_and_successful(emulator: Emulator, logs: Everything) -> None:
    seen: list[str] = []
    with Client(emulator.url, user_agent="x", keepalive=None, timeout=10) as client:
        with pytest.raises(ff.ApiError) as failed:
            client.login(LOGIN, WRONG)
        seen += texts_of(failed.value, client.login(LOGIN, KNOWN), client)
    assert_no_secret(seen, logs)


def test_requests_and_errors_built_from_passwords(logs: Everything) -> None:
    request = ff.build_request("login", {"username": LOGIN, "password": KNOWN, "userAgent": "x"})
    change = ff.build_request("updateOwnPassword", {"current": KNOWN, "password": NEW})
    with pytest.raises(ff.RequestError) as refused:
        ff.build_request("login", {"username": LOGIN, "password": KNOWN, "passwrd": WRONG})
    with pytest.raises(ff.FrameError) as broken:
        ff.decode_frame(f"loginResponse {{{WRONG}")  # a broken frame is quoted, but never a sent password
    assert isinstance(request, LoginRequest), request
    assert request.password == KNOWN  # the value is there; only its display is masked
    logging.getLogger("fleetfreedom").debug("sending %r and %s", request, change)
    texts = texts_of(request, change, refused.value)
    assert_no_secret_in(texts + logs.lines, (KNOWN, NEW, WRONG))
    assert WRONG in str(broken.value)  # received text is shown as is: the check above has teeth


def assert_no_secret_in(texts: list[str], secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        assert not [t for t in texts if any(piece in t for piece in fragments(secret))], secret


def test_the_emulator_keeps_passwords_out_of_its_logs_and_replies(emulator: Emulator, logs: Everything) -> None:
    replies: list[str] = []

    async def scenario() -> None:
        raw = logging.getLogger("test.raw")  # this test's own raw client shows what it sends; not under test
        async with connect(emulator.url, user_agent_header="x", logger=raw) as ws:
            replies.append(str(await ws.recv()))
            for n, body in enumerate(
                [
                    f'{{"username":"{LOGIN}","password":"{WRONG}"}}',
                    f'{{"username":"{LOGIN}","password":["{WRONG}"]}}',
                    f'{{"username":"{LOGIN}","password":"{KNOWN}"}}',
                    f'{{"current":"{WRONG}","password":"{NEW}"}}',
                ],
                1,
            ):
                await ws.send(f'{"updateOwnPassword" if "current" in body else "login"} {body[:-1]},"reqId":{n}}}')
                replies.append(str(await asyncio.wait_for(ws.recv(), 10)))

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert len(replies) == 5 and '"errorCode":0' in replies[3]
    logs.lines = [line for line in logs.lines if not line.startswith("test.raw ")]
    logs.lines.append("TEXT 'login ")  # the frame-log check of assert_no_secret is about the client's logger
    assert any(line.startswith("fleetfreedom.emulator.websockets DEBUG < TEXT 'login") for line in logs.lines)
    assert_no_secret(replies, logs)
