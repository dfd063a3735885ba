"""Forgiving receipt and the escape hatch for sending, tested from outside the schema.

- A small hand-written ``websockets`` server (not the emulator, which is generated from the same schema as the
  client and so agrees with it even where both are wrong) answers with the session shapes the vendor's own
  clients read: the ``SelfUser`` with its contact and groups embedded as objects. ``login()`` must succeed, the
  ghostId must be kept, and a resume after a cut must use it: whatever ``schema/`` says about ``User.contact``.
- A mutation test: every field of real-shaped replies and pushes (the examples test_decode_all builds from the
  schema), in turn given a value of another JSON kind, still gives the typed class, with the value as sent
  reachable on the object that declares the field, and the protocol counting and logging the mismatch.
- Sending: typed calls refuse misspelt fields (nested ones too) before anything is sent; ``extra_body`` and
  ``request(..., validate=False)`` put on the wire exactly what they are given.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections.abc import Iterator
from typing import Any

import fleetfreedom as ff
import pytest
from fleetfreedom import AsyncClient, Backoff, Client, RawReply, Reconnected, RequestError
from fleetfreedom._codec import decode_reporting
from fleetfreedom._events import ServerMessage, UnknownFrame
from fleetfreedom._protocol import Emit, Protocol, State
from fleetfreedom._receipt import Mismatch
from fleetfreedom._registry import COMMANDS, MESSAGES
from fleetfreedom.commands import SubscribeResponse
from fleetfreedom.commands.assets import GetAssetResponse
from fleetfreedom.events import AssetGeneralMerged, SessionGeneralMerged
from pydantic import BaseModel, ValidationError
from test_reliability_codec import example_frames
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

WAIT = 10.0
GHOST = "3f2b8c1e-0d4a-4e55-9a61-7c0f5e2d9b10"
LOGIN, PASSWORD = "dispatch@acme.example", "pw-Rec31pt!"

# The session user as the vendor's clients read it (SelfUser): contact and groups are embedded objects, the
# timezone an object, permissions and notifications lists of objects. Values are made up; kinds follow
# ../shared/reference/vendor-wire/ts-dev.json (SelfUser, Contact, UserGroup, Permission, Timezone).
SELF_USER: dict[str, Any] = {
    "login": LOGIN,
    "company": 42,
    "enabled": True,
    "nickname": "Dispatch",
    "contact": {
        "id": 3001,
        "company": 42,
        "name": "Dana Dispatch",
        "emails": {"work": LOGIN},
        "phones": {"mobile": 15555550123},
        "roles": ["dispatcher"],
        "v": [2],
    },
    "groups": [
        {
            "id": 71,
            "company": 42,
            "name": "Dispatchers",
            "notes": "day shift",
            "permissions": [{"company": 42, "kind": "asset", "level": "update", "method": "allow", "labels": []}],
            "v": [5],
        }
    ],
    "timezone": {"code": "Eastern Standard Time", "name": "(UTC-05:00) Eastern Time", "offset": -300, "dst": True},
    "language": "en-US",
    "formats": {"date": "yyyy-MM-dd"},
    "measurements": {"distance": "metric"},
    "notify": [],
    "options": {"theme": "dark"},
    "passwordExpired": False,
    "permissions": [{"company": 42, "kind": "asset", "level": "read", "method": "allow", "labels": []}],
    "v": [4, 2, 1, 1],
}
SESSION: dict[str, Any] = {
    "ghostId": GHOST,
    "expiry": "2030-01-02T03:04:05Z",
    "serverTime": "2030-01-01T03:04:05Z",
    "user": SELF_USER,
    "sessionPolicy": {"expireTimeout": 30, "idleAllowed": True, "maxSessions": 3, "multiUser": "allow"},
    "passwordPolicy": {"minimumLength": 8, "includeNumbers": True},
}


class VendorShapedServer:
    """A bare WebSocket server on its own thread: connectionResponse first, then one reply per command.

    A new connection (blank path) gets a fresh session that is not logged in; a connection whose path is the
    ghostId of a logged-in session resumes it. ``login`` answers with the whole session; any other command with
    ``errorCode`` 0 and ``reply`` (per command name), echoing its reqId. Every frame received is kept.
    """

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.frames: list[str] = []
        self.reply: dict[str, dict[str, Any]] = {}
        self.logged_in = False
        self._connections: set[ServerConnection] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(WAIT), "server did not start"

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        path = ws.request.path
        self.paths.append(path)
        self._connections.add(ws)
        try:
            if self.logged_in and path.strip("/") == GHOST:
                await ws.send("connectionResponse " + json.dumps({"errorCode": 0, "message": "resumed", **SESSION}))
            else:
                first = {"errorCode": 8, "message": "userNotLoggedIn", "ghostId": GHOST, "expiry": SESSION["expiry"]}
                await ws.send("connectionResponse " + json.dumps(first))
            async for text in ws:
                assert isinstance(text, str)
                self.frames.append(text)
                name, _, raw = text.partition(" ")
                req_id = json.loads(raw).get("reqId")
                body: dict[str, Any] = {"reqId": req_id, "errorCode": 0, "message": "ok"}
                if name == "login":
                    self.logged_in = True
                    body |= SESSION
                await ws.send(f"{name}Response " + json.dumps(body | self.reply.get(name, {})))
        except ConnectionClosed:
            pass  # cut() aborts connections on purpose
        finally:
            self._connections.discard(ws)

    def push(self, name: str, body: dict[str, Any]) -> None:
        """Send a frame the server makes up itself (a sync message) to every connection."""
        text = f"{name} {json.dumps(body)}"
        for ws in list(self._connections):
            asyncio.run_coroutine_threadsafe(ws.send(text), self._loop).result(WAIT)

    def cut(self) -> None:
        """Drop every connection without a close handshake, as a network failure would."""

        def abort() -> None:
            for ws in list(self._connections):
                ws.transport.abort()

        self._loop.call_soon_threadsafe(abort)

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT)


@pytest.fixture
def server() -> Iterator[VendorShapedServer]:
    running = VendorShapedServer()
    try:
        yield running
    finally:
        running.stop()


def options() -> dict[str, Any]:
    return {
        "timeout": WAIT,
        "connect_timeout": 5.0,
        "keepalive": None,
        "backoff": Backoff(base=0.05, cap=0.2, floor=0.02, rng=random.Random(3)),
    }


async def next_of(client: AsyncClient, kind: type) -> Any:
    async with asyncio.timeout(WAIT):
        async for event in client.events():
            if isinstance(event, kind):
                return event
    raise AssertionError(f"no {kind.__name__}")


# --- done when: login against the vendor's session shape ------------------------------------------------------


def test_login_keeps_the_ghost_id_and_resumes_with_it_against_the_vendors_self_user(
    server: VendorShapedServer,
) -> None:
    async def scenario() -> None:
        async with AsyncClient(server.url, **options()) as client:
            assert client.session.ghost_id == GHOST and not client.session.logged_in
            session = await client.login(LOGIN, PASSWORD)
            assert session.logged_in and session.ghost_id == GHOST
            assert client.session.user is not None and client.session.user.login == LOGIN
            assert client.session.user.company == 42
            server.cut()
            await next_of(client, Reconnected)
            assert server.paths == ["/", f"/{GHOST}"]  # the resume named the session kept from the replies
            assert client.session.ghost_id == GHOST and client.session.logged_in
            assert client.session.user.login == LOGIN
            assert client.state is State.READY

            # the vendor's own-account push (SelfUserGeneral: the contact embedded again) patches the session
            night = {**SELF_USER["contact"], "name": "Dana Night", "v": [3]}
            general = {"login": LOGIN, "company": 42, "nickname": "Night desk", "contact": night, "v": [5]}
            server.push("sessionGeneralMerged", general)
            await next_of(client, SessionGeneralMerged)
            user = client.session.user
            assert user.nickname == "Night desk" and user.login == LOGIN and client.session.ghost_id == GHOST
            contact = user.wire_mismatches.get("contact", user.contact)  # kept aside, or typed once the schema fits
            assert (contact if isinstance(contact, dict) else contact.to_wire())["name"] == "Dana Night"

    asyncio.run(scenario())


def test_a_field_of_the_wrong_kind_is_delivered_without_it_logged_once_and_counted(
    server: VendorShapedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever the schema says by now, an object where it expects a string is a mismatch: the reply is still
    typed, the value as sent is on the object, the client counts every one and logs each (type, field) once."""
    odd = {"id": 7, "company": 42, "name": {"first": "Truck", "last": "13"}, "v": [1]}
    server.reply["getAsset"] = {"asset": odd}

    async def scenario() -> None:
        async with AsyncClient(server.url, **options()) as client:
            await client.login(LOGIN, PASSWORD)
            before = client.stats.shape_mismatches
            with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
                first = await client.assets.get(7)
                again = await client.assets.get(7)
            assert isinstance(first, GetAssetResponse) and isinstance(again, GetAssetResponse)
            asset = first.asset
            assert asset is not None and asset.id == 7 and asset.company == 42 and asset.name is None
            assert asset.wire_mismatches == {"name": odd["name"]} and "name" not in asset.model_fields_set
            assert client.stats.shape_mismatches - before == 2 and client.stats.unknown_frames == 0
            said = [r.getMessage() for r in caplog.records if "does not match the schema" in r.getMessage()]
            assert len([line for line in said if ".name " in line]) == 1, said
            assert "Truck" not in " ".join(said)  # the kind of value is logged, never the value

    asyncio.run(scenario())


# --- sending: strict typed calls, extra_body, validate=False ----------------------------------------------------


def sent(server: VendorShapedServer, command: str) -> dict[str, Any]:
    """The body of the last ``command`` frame the server received."""
    for text in reversed(server.frames):
        name, _, body = text.partition(" ")
        if name == command:
            data: dict[str, Any] = json.loads(body)
            return data
    raise AssertionError(f"no {command} frame in {server.frames}")


def test_typed_calls_stay_strict_and_take_extra_body(server: VendorShapedServer) -> None:
    async def scenario() -> None:
        async with AsyncClient(server.url, **options()) as client:
            await client.login(LOGIN, PASSWORD)
            server.reply["getAsset"] = {"asset": {"id": 7}}  # a success reply carries its payload
            count = len(server.frames)
            with pytest.raises(RequestError, match="nmae"):  # a misspelt field inside a nested object
                # the misspelt key is the point: the runtime must refuse what the type checker already would
                await client.assets.merge({"company": 42, "kind": "vehicle", "nmae": "Truck 13"})  # type: ignore[arg-type]
            with pytest.raises(RequestError, match="nmae"):
                await client.request("getAsset", {"asset": {"id": 7}, "nmae": 1})
            with pytest.raises(RequestError, match="reqId"):
                await client.assets.get(7, extra_body={"reqId": 99})
            assert len(server.frames) == count  # nothing refused reached the wire

            reply = await client.assets.get(7, include_deleted=True, extra_body={"futureFlag": True, "tree": [1]})
            assert isinstance(reply, GetAssetResponse)
            body = sent(server, "getAsset")
            assert body == {"reqId": body["reqId"], "asset": {"id": 7}, "includeDeleted": True,
                            "futureFlag": True, "tree": [1]}  # fmt: skip
            assert next(iter(body)) == "reqId"

    asyncio.run(scenario())


def test_request_without_validation_sends_any_body_for_any_command(server: VendorShapedServer) -> None:
    async def scenario() -> None:
        async with AsyncClient(server.url, **options()) as client:
            await client.login(LOGIN, PASSWORD)
            odd = {"asset": {"id": 7, "notInTheSchema": {"x": 1}}, "includeDeleted": "yes"}
            reply = await client.request("getAsset", odd, validate=False)
            assert isinstance(reply, GetAssetResponse)  # a known command still gets its typed reply
            assert {k: v for k, v in sent(server, "getAsset").items() if k != "reqId"} == odd
            with pytest.raises(RequestError, match="unknown command"):
                await client.request("brandNewCommand", {"x": 1})
            raw = await client.request("brandNewCommand", {"x": 1}, validate=False)
            assert isinstance(raw, RawReply) and raw.name == "brandNewCommandResponse" and raw.data["errorCode"] == 0
            assert sent(server, "brandNewCommand")["x"] == 1

    asyncio.run(scenario())


def test_the_sync_client_has_the_same_escape_hatches(server: VendorShapedServer) -> None:
    with Client(server.url, **options()) as client:
        session = client.login(LOGIN, PASSWORD)
        assert session.ghost_id == GHOST and session.logged_in
        server.reply["getAsset"] = {"asset": {"id": 7}}  # a success reply carries its payload
        with pytest.raises(RequestError, match="nmae"):
            # the misspelt key is the point: the runtime must refuse what the type checker already would
            client.assets.merge({"company": 42, "kind": "vehicle", "nmae": "Truck 13"})  # type: ignore[arg-type]
        assert isinstance(client.assets.get(7, extra_body={"futureFlag": True}), GetAssetResponse)
        assert sent(server, "getAsset")["futureFlag"] is True
        assert isinstance(client.request("getAsset", {"asset": 7, "extra": 1}, validate=False), GetAssetResponse)
        assert sent(server, "getAsset")["asset"] == 7 and sent(server, "getAsset")["extra"] == 1
        raw = client.request("brandNewCommand", {"x": 2}, validate=False)
        assert isinstance(raw, RawReply) and sent(server, "brandNewCommand")["x"] == 2


# --- a success reply carries its payload ------------------------------------------------------------------------


def test_a_success_reply_without_its_payload_is_a_frame_error_naming_the_field(server: VendorShapedServer) -> None:
    """``reply.asset`` is typed ``Asset`` (no None guard): a success reply that lacks it raises a FrameError that
    names the field instead of handing out None; the decoder itself still types the frame (error replies keep
    their typed errors, see the next test)."""

    async def scenario() -> None:
        async with AsyncClient(server.url, **options()) as client:
            await client.login(LOGIN, PASSWORD)
            with pytest.raises(ff.FrameError, match=r"getAsset: the success reply lacks asset\b") as caught:
                await client.assets.get(7)
            assert caught.value.frame.startswith("getAssetResponse {")  # the frame as received, for a report
            server.reply["getAsset"] = {"asset": "not an object"}  # a mismatch leaves the default: also absent
            with pytest.raises(ff.FrameError, match=r"lacks asset\b"):
                await client.assets.get(7)
            with pytest.raises(ff.FrameError, match=r"getAssetsList: the success reply lacks assets\b"):
                await client.assets.list(42)
            server.reply["getAsset"] = {"asset": {"id": 7, "name": "Truck 13"}}
            reply = await client.assets.get(7)
            assert reply.asset.id == 7 and reply.asset.name == "Truck 13"  # typed Asset: no None guard needed
            assert client.state is State.READY  # a FrameError fails the one call, not the connection

    asyncio.run(scenario())
    _, decoded, _ = decode_reporting('getAssetResponse {"reqId": 1, "errorCode": 0}')
    assert isinstance(decoded, GetAssetResponse) and decoded.asset is None  # the lenient decoder keeps the frame


def test_an_error_reply_without_a_payload_raises_its_typed_error(server: VendorShapedServer) -> None:
    server.reply["getAsset"] = {"errorCode": 20, "message": "assetNotFound"}

    async def scenario() -> None:
        async with AsyncClient(server.url, **options()) as client:
            await client.login(LOGIN, PASSWORD)
            with pytest.raises(ff.errors.AssetNotFound):
                await client.assets.get(7)

    asyncio.run(scenario())
    with Client(server.url, **options()) as client:  # the sync portal: the same error, then the same FrameError
        client.login(LOGIN, PASSWORD)
        with pytest.raises(ff.errors.AssetNotFound):
            client.assets.get(7)
        server.reply["getAsset"] = {}
        with pytest.raises(ff.FrameError, match=r"lacks asset\b"):
            client.assets.get(7)


# --- the decoder itself -------------------------------------------------------------------------------------------


def test_nested_mismatches_cost_only_their_own_field() -> None:
    """Inside a list of objects only the odd item's field goes, also in an object nested in it; a list or map of
    the wrong kind, or holding an item of the wrong kind, goes whole; the annotations never lie."""
    body: dict[str, Any] = {
        "reqId": 5,
        "errorCode": 0,
        "assets": [
            {"id": 1, "name": "ok", "labels": ["a"], "dispatch": {"id": 1, "jobs": [3]}},
            {
                "id": 2,
                "name": ["not", "a", "string"],
                "labels": {"a": 1},
                "references": {"fleet": "F-2", "odd": 5},
                "dispatch": {"id": 2, "jobs": [4], "lastDispatched": "not a date"},
            },
        ],
    }
    _, reply, mismatches = decode_reporting("getAssetsListResponse " + json.dumps(body))
    assert isinstance(reply, COMMANDS["getAssetsList"].response_class)
    first, second = reply.assets
    assert first.name == "ok" and first.labels == ["a"] and first.wire_mismatches == {}
    assert second.id == 2 and second.name is None and second.labels is None and second.references is None
    assert second.wire_mismatches == {"name": ["not", "a", "string"], "labels": {"a": 1}, "references": body[
        "assets"][1]["references"]}  # fmt: skip
    assert second.dispatch.jobs == [4] and second.dispatch.last_dispatched is None
    assert second.dispatch.wire_mismatches == {"lastDispatched": "not a date"}
    assert sorted(m.path for m in mismatches) == [
        "assets[1].dispatch.lastDispatched", "assets[1].labels", "assets[1].name", "assets[1].references"
    ]  # fmt: skip
    assert {(m.owner, m.field) for m in mismatches} >= {("AssetDispatch", "lastDispatched"), ("Asset", "name")}
    type(reply).model_validate_json(reply.model_dump_json(by_alias=True, exclude_unset=True))  # all typed


def test_a_required_key_that_does_not_fit_takes_its_holder() -> None:
    body = {"reqId": 5, "errorCode": 0, "merged": [], "company": {"id": {"not": "an id"}}}
    _, reply, mismatches = decode_reporting("subscribeResponse " + json.dumps(body))
    assert not isinstance(reply, UnknownFrame)
    assert isinstance(reply, SubscribeResponse), reply
    assert [(m.path, m.value) for m in mismatches] == [("company", {"id": {"not": "an id"}})]
    assert reply.wire_mismatches == {"company": {"id": {"not": "an id"}}} and reply.merged == []


# --- the mutation test --------------------------------------------------------------------------------------------


def _other_kind(value: Any) -> Any:
    """A value of another JSON kind than ``value``, one that no lax conversion turns back into it."""
    if isinstance(value, dict):
        return [1, 2]
    if isinstance(value, list):
        return {"mutated": 1}
    if isinstance(value, str):
        return 12345
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, (int, float)):
        return "mutated"
    return {"mutated": 1}


def _paths(value: Any, prefix: tuple[str | int, ...] = (), depth: int = 0) -> Iterator[tuple[str | int, ...]]:
    """Every field below ``value`` (into objects, and into the first item of lists), three levels deep."""
    if depth > 3:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key), depth + 1)
    elif isinstance(value, list) and value:
        yield from _paths(value[0], (*prefix, 0), depth + 1)


def _at(value: Any, steps: tuple[str | int, ...]) -> Any:
    for step in steps:
        value = value[step]
    return value


def _holder(model: Any, steps: tuple[str | int, ...]) -> Any:
    """The object on which the field at ``steps`` is declared (walking attributes by wire name)."""
    for step in steps[:-1]:
        if isinstance(model, BaseModel):
            name = next(n for n, f in type(model).model_fields.items() if step in (n, f.alias))
            model = getattr(model, name)
        else:
            model = model[step]
    return model


def _expected_class(name: str) -> type:
    if name in MESSAGES:
        return MESSAGES[name].event_class  # type: ignore[no-any-return]
    return COMMANDS[name.removesuffix("Response")].response_class  # type: ignore[no-any-return]


def _strict_class(name: str) -> type[BaseModel]:
    if name in MESSAGES:
        return MESSAGES[name].payload_class  # type: ignore[no-any-return]
    return COMMANDS[name.removesuffix("Response")].response_class  # type: ignore[no-any-return]


def test_every_field_of_every_reply_and_push_survives_a_value_of_another_kind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = Protocol(keepalive=None)
    core.state = State.READY  # receive() needs no handshake for what this test looks at
    mutations = mismatched = 0
    failures: list[str] = []
    pairs: set[tuple[str, str]] = set()
    with caplog.at_level(logging.WARNING, logger="fleetfreedom"):
        for frame in example_frames():
            name, _, text = frame.partition(" ")
            original = json.loads(text)
            for steps in _paths(original):
                body = json.loads(text)
                holder, key = _at(body, steps[:-1]), steps[-1]
                holder[key] = _other_kind(holder[key])
                mutated = f"{name} {json.dumps(body)}"
                mutations += 1
                try:
                    _strict_class(name).model_validate_json(json.dumps(body))
                    strict_ok = True
                except ValidationError:
                    strict_ok = False
                _, message, found = decode_reporting(mutated)
                where = f"{name} {'.'.join(map(str, steps))}"
                if not isinstance(message, _expected_class(name)):
                    failures.append(f"{where}: {type(message).__name__}")
                    continue
                if strict_ok:
                    continue  # the new value is one the schema allows (an Any field): nothing to report
                mismatched += 1
                cover = [m for m in found if steps[: len(m.steps)] == m.steps]
                if not cover:
                    failures.append(f"{where}: not reported ({[m.path for m in found]})")
                    continue
                m: Mismatch = cover[0]
                typed = message.data if isinstance(message, ServerMessage) else message
                assert isinstance(typed, BaseModel), where  # the expected class matched: never an UnknownFrame
                held = _holder(typed, m.steps)
                if held.wire_mismatches.get(m.field) != _at(body, m.steps):
                    failures.append(f"{where}: value as sent not on {type(held).__name__}.{m.field}")
                type(typed).model_validate_json(typed.model_dump_json(by_alias=True, exclude_unset=True))
                pairs |= {(x.owner, x.field) for x in found}
                counted = core.stats.shape_mismatches
                effects = core.receive(mutated, 0.0)
                if core.stats.shape_mismatches - counted != len(found):
                    failures.append(f"{where}: counted {core.stats.shape_mismatches - counted} of {len(found)}")
                if name in MESSAGES and name != "connectionResponse":
                    events = [e.event for e in effects if isinstance(e, Emit)]
                    if not any(isinstance(e, _expected_class(name)) for e in events):
                        failures.append(f"{where}: the protocol emitted {events}")
    assert not failures, f"{len(failures)} of {mutations}:\n" + "\n".join(failures[:40])
    assert mutations > 3000 and mismatched > 2000, (mutations, mismatched)
    logged = [r.getMessage() for r in caplog.records if "does not match the schema" in r.getMessage()]
    assert len(logged) == len(pairs)  # once per (type, field), however many frames carried it
    assert core.stats.malformed_frames == 0 and core.stats.unknown_frames == 0


def test_only_a_frame_that_is_not_name_and_json_object_is_malformed() -> None:
    for text in ("getAssetResponse", "getAssetResponse [1]", "getAssetResponse {", "assetGeneralMerged null"):
        with pytest.raises(ff.FrameError):
            decode_reporting(text)
    _, message, _ = decode_reporting('assetGeneralMerged {"id": [], "name": {}, "v": "x"}')
    assert isinstance(message, AssetGeneralMerged) and message.data.wire_mismatches.keys() == {"id", "name", "v"}
