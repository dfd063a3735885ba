"""Bad input never costs a client its connection: every malformed frame gets an error reply, and work goes on."""

from __future__ import annotations

import asyncio
import json
import random

from emulator_wire import TIMEOUT, Wire, parse
from fleetfreedom import decode_frame
from fleetfreedom._registry import COMMANDS, ERROR_CODES
from fleetfreedom.testing import Emulator

INVALID = ERROR_CODES["invalidData"]
UNKNOWN = ERROR_CODES["unknownCommand"]


def malformed_frames(count: int, seed: int = 3) -> list[tuple[str, int | None, str]]:
    """``(frame, reqId the reply must echo or None, expected reply name)`` of many kinds of broken input."""
    rng = random.Random(seed)
    names = sorted(COMMANDS)
    frames: list[tuple[str, int | None, str]] = []
    for index in range(count):
        req_id = 10_000 + index
        name = rng.choice(names)
        kind = index % 8
        if kind == 0:
            frames.append((name, None, name + "Response"))  # no space, no body
        elif kind == 1:
            frames.append((f'{name} {{"reqId":{req_id},', req_id, name + "Response"))  # broken JSON
        elif kind == 2:
            frames.append((f"{name} [1,2,3]", None, name + "Response"))  # not an object
        elif kind == 3:
            frames.append((f'noSuchCommand{index} {{"reqId":{req_id}}}', req_id, "unknownCommandResponse"))
        elif kind == 4:
            frames.append((f'{name} {{"reqId":"{req_id}"}}', None, name + "Response"))  # reqId of the wrong type
        elif kind == 5:
            frames.append(
                (f'getAsset {{"reqId":{req_id},"asset":{{"id":"not a number"}}}}', req_id, "getAssetResponse")
            )
        elif kind == 6:
            frames.append((f'3d$ {{"reqId":{req_id}}}', req_id, "unknownCommandResponse"))  # not a name at all
        else:
            frames.append(
                (f'mergeAsset {{"reqId":{req_id},"asset":{{"id":1,"v":"x"}},"extra":1}}', req_id, "mergeAssetResponse")
            )
    return frames


async def _flood(url: str, count: int) -> None:
    wire = await Wire.open(url)
    await wire.expect("connectionResponse")
    await wire.login()
    frames = malformed_frames(count)
    for frame, _, _ in frames:
        await wire.ws.send(frame)
    await wire.ws.send(b"\x00\x01 binary")  # binary frames are refused the same way
    for frame, req_id, reply_name in frames:
        name, body = parse(await asyncio.wait_for(wire.ws.recv(), TIMEOUT))
        assert name == reply_name, (frame, name, body)
        assert body.get("reqId") == req_id, (frame, body)
        assert body["errorCode"] in (INVALID, UNKNOWN) and body["message"], (frame, body)
    raw = await asyncio.wait_for(wire.ws.recv(), TIMEOUT)
    assert isinstance(raw, str)
    assert parse(raw)[0] == "unknownCommandResponse" and parse(raw)[1]["errorCode"] == INVALID
    assert type(decode_frame(raw)).__name__ == "Reply"
    reply = await wire.call("getAsset", {"asset": {"id": 101}})  # the connection is still fully usable
    assert reply["errorCode"] == 0 and reply["asset"]["name"] == "Truck 1"
    await wire.close()


def test_a_thousand_malformed_frames_get_a_thousand_error_replies(fleetfreedom_emulator: Emulator) -> None:
    asyncio.run(asyncio.wait_for(_flood(fleetfreedom_emulator.url, 1000), 120))


def test_wrong_types_and_unknown_fields_name_the_problem(fleetfreedom_emulator: Emulator) -> None:
    async def scenario() -> None:
        wire = await Wire.open(fleetfreedom_emulator.url)
        await wire.expect("connectionResponse")
        await wire.login()
        reply = await wire.call("getAsset", {"asset": {"id": "x"}})
        assert reply["errorCode"] == INVALID and "asset.id" in reply["message"]
        reply = await wire.call("getAsset", {"asset": {"id": 101}, "bogus": True})
        assert reply["errorCode"] == INVALID and "bogus" in reply["message"]
        await wire.ws.send('getAsset {"asset":' + "[" * 5000 + "]" * 5000 + ',"reqId":5}')
        name, body = await wire.recv()
        assert name == "getAssetResponse" and body["errorCode"] == INVALID
        await wire.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_commands_before_login_answer_user_not_logged_in(fleetfreedom_emulator: Emulator) -> None:
    async def scenario() -> None:
        wire = await Wire.open(fleetfreedom_emulator.url)
        await wire.expect("connectionResponse")
        for name in ("getAsset", "subscribe", "mergeAsset", "getCompaniesList"):
            reply = await wire.call(name, {})
            assert reply["errorCode"] == ERROR_CODES["userNotLoggedIn"], (name, reply)
        assert (await wire.call("noop"))["errorCode"] == 0
        bad = await wire.call("login", {"username": "demo@acme.example", "password": "wrong-password"})
        assert bad["errorCode"] == ERROR_CODES["invalidCredentials"] and "wrong-password" not in json.dumps(bad)
        await wire.login()
        assert (await wire.call("getAsset", {"asset": {"id": 101}}))["errorCode"] == 0
        await wire.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))
