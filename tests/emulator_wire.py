"""A tiny protocol client built on ``websockets`` alone, so emulator tests check the wire independently of the SDK.

Every wait is bounded: ``recv`` gives up after ``TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

TIMEOUT = 10.0
DEMO_LOGIN = "demo@acme.example"
DEMO_PASSWORD = "demo-pass-42"


def parse(frame: str | bytes) -> tuple[str, dict[str, Any]]:
    assert isinstance(frame, str), "the emulator sends text frames only"
    name, _, body = frame.partition(" ")
    data = json.loads(body)
    assert isinstance(data, dict)
    return name, data


class Wire:
    """One connection: send commands with increasing reqIds, read frames, wait for a named one."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.req_id = 0
        self.backlog: list[tuple[str, dict[str, Any]]] = []

    @classmethod
    async def open(cls, url: str, ssl_context: ssl.SSLContext | None = None) -> Wire:
        ws = await asyncio.wait_for(connect(url, ssl=ssl_context, open_timeout=TIMEOUT), TIMEOUT)
        return cls(ws)

    async def close(self) -> None:
        await self.ws.close()

    async def recv(self) -> tuple[str, dict[str, Any]]:
        if self.backlog:
            return self.backlog.pop(0)
        return parse(await asyncio.wait_for(self.ws.recv(), TIMEOUT))

    async def send(self, name: str, body: dict[str, Any] | None = None) -> int:
        self.req_id += 1
        await self.ws.send(name + " " + json.dumps({"reqId": self.req_id, **(body or {})}))
        return self.req_id

    async def expect(self, name: str, limit: int = 200) -> dict[str, Any]:
        """The next frame called ``name``; frames read on the way stay in the backlog for later ``recv``/``expect``."""
        skipped: list[tuple[str, dict[str, Any]]] = []
        for _ in range(limit):
            got = await self.recv()
            if got[0] == name:
                self.backlog = skipped + self.backlog
                return got[1]
            skipped.append(got)
        raise AssertionError(f"no {name} within {limit} frames; saw {[n for n, _ in skipped]}")

    async def call(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command and return its reply (``<name>Response`` with the same reqId)."""
        req_id = await self.send(name, body)
        reply = await self.expect(name + "Response")
        assert reply.get("reqId") == req_id, reply
        return reply

    async def login(self, login: str = DEMO_LOGIN, password: str = DEMO_PASSWORD) -> dict[str, Any]:
        reply = await self.call("login", {"username": login, "password": password, "userAgent": "wire-tests/1"})
        assert reply["errorCode"] == 0, reply["message"]
        return reply
