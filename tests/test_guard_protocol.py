"""Client behaviours that a bug could break without another test noticing (issue 20), each against a small
hand-written server over a real socket.

- a throttle window the server sends as a NUMBER of seconds is honoured (ErrorDetail types ``timeout`` as a TimeSpan
  text, so a number lands in ``wire_mismatches``; it must still count instead of the 1 s fallback);
- ``sessionThrottled`` holds back every command, not only the one that was refused;
- an unknown key inside a nested request object is refused before anything is sent;
- the event buffer is bounded (``max_events``): a client nobody reads from does not grow without limit;
- subscription types the server refuses when they are renewed after a reconnect are forgotten, so the next
  reconnect does not ask for them again.

Throttle windows are long (30 s) and requests short (2 s timeout): a held-back request then fails at once with
``RequestTimeout`` and never reaches the server, which needs no clock reading in the test.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fleetfreedom import AsyncClient, Reconnected, RequestError, RequestTimeout
from fleetfreedom.errors import CommandThrottled, SessionThrottled
from fleetfreedom.events import Broadcast
from websockets.asyncio.server import ServerConnection, serve

COMPANY = 42
GHOST = "5112a1ea-e1bd-4f6b-9c1d-guardghost"
WAIT = 10.0

Handler = Callable[["Server", ServerConnection, str, dict[str, Any]], Awaitable[None]]


def frame(name: str, body: dict[str, Any]) -> str:
    return f"{name} {json.dumps(body, separators=(',', ':'))}"


class Server:
    """Says hello, records every request (name, body) per connection, and answers through ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[tuple[int, str, dict[str, Any]]] = []  # (connection number, command, body)
        self.connections = 0
        self.peer: ServerConnection | None = None

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        self.peer = ws
        number = self.connections
        await ws.send(frame("connectionResponse", {"errorCode": 0, "message": "ok", "ghostId": GHOST}))
        async for message in ws:
            assert isinstance(message, str)
            name, _, text = message.partition(" ")
            body = json.loads(text)
            self.requests.append((number, name, body))
            await self.handler(self, ws, name, body)

    def sent(self, command: str) -> list[dict[str, Any]]:
        return [body for _, name, body in self.requests if name == command]


async def ok(ws: ServerConnection, name: str, body: dict[str, Any], **fields: Any) -> None:
    await ws.send(frame(f"{name}Response", {"reqId": body["reqId"], "errorCode": 0, **fields}))


@asynccontextmanager
async def connected(server: Server, **options: Any) -> AsyncIterator[AsyncClient]:
    async with serve(server.handle, "127.0.0.1", 0) as listener:
        port = listener.sockets[0].getsockname()[1]
        settings: dict[str, Any] = {"timeout": WAIT, "connect_timeout": WAIT, "keepalive": None, **options}
        async with AsyncClient(f"ws://127.0.0.1:{port}", **settings) as client:
            yield client


def run(scenario: Awaitable[None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(30):
            await scenario

    asyncio.run(bounded())


def throttling(code: int, timeout: object) -> Handler:
    """Refuses the first request with ``code`` and a throttle window of ``timeout``; answers the rest."""

    async def handler(server: Server, ws: ServerConnection, name: str, body: dict[str, Any]) -> None:
        if len(server.requests) == 1:
            details = {"kind": "throttled", "command": name, "timeout": timeout}
            reply = {"reqId": body["reqId"], "errorCode": code, "message": "slow down", "errorDetails": details}
            await ws.send(frame(f"{name}Response", reply))
        else:
            await ok(ws, name, body, company={"id": COMPANY, "name": "Acme"})

    return handler


@pytest.mark.parametrize("window", [30, 30.0, "30"], ids=["int", "float", "numeric-text"])
def test_a_throttle_window_sent_as_a_number_of_seconds_is_honoured(window: object) -> None:
    server = Server(throttling(105, window))

    async def scenario() -> None:
        async with connected(server) as client:
            with pytest.raises(CommandThrottled):
                await client.request("getCompany", {"company": COMPANY})
            # held back for 30 s (not the 1 s used when no window is given): a 2 s request cannot be sent at all
            with pytest.raises(RequestTimeout):
                await client.request("getCompany", {"company": COMPANY}, timeout=2.0)
            assert len(server.sent("getCompany")) == 1

    run(scenario())


def test_a_session_throttle_holds_back_every_command() -> None:
    server = Server(throttling(73, "00:00:30"))

    async def scenario() -> None:
        async with connected(server) as client:
            with pytest.raises(SessionThrottled):
                await client.request("getCompany", {"company": COMPANY})
            with pytest.raises(RequestTimeout):  # another command: held back too, the whole session is throttled
                await client.request("getCompaniesList", {"company": COMPANY}, timeout=2.0)
            assert [name for _, name, _ in server.requests] == ["getCompany"]

    run(scenario())


def test_a_command_throttle_holds_back_that_command_only() -> None:
    server = Server(throttling(105, "00:00:30"))

    async def scenario() -> None:
        async with connected(server) as client:
            with pytest.raises(CommandThrottled):
                await client.request("getCompany", {"company": COMPANY})
            await client.request("getCompaniesList", {"company": COMPANY}, timeout=2.0)  # not throttled: sent at once
            assert [name for _, name, _ in server.requests] == ["getCompany", "getCompaniesList"]

    run(scenario())


@pytest.mark.parametrize(
    ("params", "misspelt"),
    [
        ({"company": {"id": COMPANY, "nmae": "typo"}}, "nmae"),  # inside the nested object
        ({"company": COMPANY, "compnay": 1}, "compnay"),  # at the top level
    ],
    ids=["nested", "top-level"],
)
def test_an_unknown_field_is_refused_before_anything_is_sent(params: dict[str, Any], misspelt: str) -> None:
    async def answer(server: Server, ws: ServerConnection, name: str, body: dict[str, Any]) -> None:
        await ok(ws, name, body, company={"id": COMPANY, "name": "Acme"})

    server = Server(answer)

    async def scenario() -> None:
        async with connected(server) as client:
            with pytest.raises(RequestError) as refused:
                await client.request("getCompany", params)
            assert misspelt in str(refused.value)
            await client.request("getCompany", {"company": COMPANY})  # the connection still serves
            assert len(server.sent("getCompany")) == 1

    run(scenario())


def test_the_event_buffer_keeps_only_the_newest_max_events() -> None:
    pushes = 25

    async def answer(server: Server, ws: ServerConnection, name: str, body: dict[str, Any]) -> None:
        for n in range(pushes):  # pushes nobody asked to read
            await ws.send(frame("broadcast", {"kind": "notice", "message": f"n{n}"}))
        await ok(ws, name, body, company={"id": COMPANY, "name": "Acme"})

    server = Server(answer)

    async def scenario() -> None:
        async with connected(server, max_events=10) as client:
            await client.request("getCompany", {"company": COMPANY})  # every push arrived before this reply
            assert client.stats.dropped_events == pushes - 10
            kept = [await client.next_event(WAIT) for _ in range(10)]
            newest = [f"n{n}" for n in range(pushes - 10, pushes)]
            assert [e.data.message for e in kept if isinstance(e, Broadcast)] == newest

    run(scenario())


def test_types_refused_on_renewal_are_forgotten_and_not_asked_for_again() -> None:
    async def answer(server: Server, ws: ServerConnection, name: str, body: dict[str, Any]) -> None:
        connection = server.connections
        if name != "subscribe":
            await ok(ws, name, body)
            return
        types = body["subscriptionTypes"]
        refused = [t for t in types if t == "placeGeneral" and connection > 1]  # permission lost after the drop
        merged = [t for t in types if t not in refused]
        await ok(ws, name, body, company={"id": COMPANY}, merged=merged, denied=refused, invalid=[])
        if connection == 1:
            await ws.close()  # the first connection drops right after the subscription

    server = Server(answer)

    async def reconnected(client: AsyncClient) -> Reconnected:
        while True:
            event = await client.next_event(WAIT)
            if isinstance(event, Reconnected):
                return event

    async def scenario() -> None:
        async with connected(server, reconnect_delay=0.05) as client:
            await client.subscribe(COMPANY, ["assetGeneral", "placeGeneral"])
            first = await reconnected(client)
            assert first.denied == {COMPANY: ("placeGeneral",)}
            assert client.accepted_subscriptions == {COMPANY: frozenset({"assetGeneral"})}
            assert server.peer is not None
            await server.peer.close()  # a second drop: the renewal asks only for what is still held
            second = await reconnected(client)
            assert second.denied == {} and second.subscriptions == {COMPANY: ("assetGeneral",)}
            assert server.connections == 3
            renewals = [body["subscriptionTypes"] for _, name, body in server.requests if name == "subscribe"]
            assert renewals == [["assetGeneral", "placeGeneral"], ["assetGeneral", "placeGeneral"], ["assetGeneral"]]

    run(scenario())


def test_the_ghost_id_is_masked_in_debug_frame_logs(caplog: pytest.LogCaptureFixture) -> None:
    ghost = GHOST

    async def answer(server: Server, ws: ServerConnection, name: str, body: dict[str, Any]) -> None:
        await ok(ws, name, body, ghostId=ghost, user={"login": "dispatch@example.com"})

    server = Server(answer)

    async def scenario() -> None:
        # websockets is the transport that logs every frame at DEBUG (picows logs no frames)
        async with connected(server, transport="websockets") as client:
            await client.request("getCompany", {"company": COMPANY}, raw=True)

    caplog.set_level(logging.DEBUG, logger="fleetfreedom")  # on the SDK's logger: another test may have set it
    run(scenario())
    # the client's logs only: the hand-written server logs its own frames unmasked
    client_logs = [r.getMessage() for r in caplog.records if r.name.startswith("fleetfreedom")]
    frames = [r.getMessage() for r in caplog.records if r.name == "fleetfreedom.websockets"]
    assert any("getCompany" in text for text in frames)  # the frames were logged: the check below can fail
    assert not [text for text in client_logs if "guardghost" in text or ghost[:20] in text]
