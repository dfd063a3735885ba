"""The emulator speaks the Fleet Freedom protocol: checked with a bare ``websockets`` client, not with our SDK."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine
from typing import Any

from emulator_wire import DEMO_LOGIN, Wire
from fleetfreedom.testing import Emulator


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run one async scenario on a fresh loop; the emulator fixture serves from its own thread."""
    asyncio.run(asyncio.wait_for(coro, 60))


async def _core_scenario(url: str, ssl_context: ssl.SSLContext | None = None) -> None:
    """The scenario of issue 3's definition of done, against any emulator URL."""
    wire = await Wire.open(url, ssl_context)
    name, hello = await wire.recv()
    assert name == "connectionResponse"
    assert hello["errorCode"] == 8 and "user" not in hello  # userNotLoggedIn: a new session
    assert {"message", "serverTime", "ghostId", "expiry"} <= hello.keys()
    login = await wire.login()
    ghost_id = login["ghostId"]
    assert login["user"]["login"] == DEMO_LOGIN and "passwordPolicy" in login and "sessionPolicy" in login
    company = await wire.call("getCompany", {"company": {"id": 42}})
    assert company["errorCode"] == 0 and company["company"]["name"] == "Acme Logistics"
    sub = await wire.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
    assert sub["errorCode"] == 0 and sub["merged"] == ["assetGeneral"]

    created = await wire.call("mergeAsset", {"asset": {"company": 42, "kind": "vehicle", "name": "Truck 13"}})
    assert created["errorCode"] == 0
    asset_id = created["asset"]["id"]
    merged = await wire.expect("assetGeneralMerged")
    assert merged["id"] == asset_id and merged["name"] == "Truck 13" and merged["v"] == [1]

    stale = await wire.call("mergeAsset", {"asset": {"id": asset_id, "name": "Truck 14", "v": [0, 1, 1]}})
    assert stale["errorCode"] == 6  # wrongVersionKey
    fresh = await wire.call("mergeAsset", {"asset": {"id": asset_id, "name": "Truck 14", "v": [1, 1, 1]}})
    assert fresh["errorCode"] == 0
    assert (await wire.expect("assetGeneralMerged"))["v"] == [2]

    removed = await wire.call("removeAsset", {"asset": {"id": asset_id}})
    assert removed["errorCode"] == 0 and removed["asset"]["deleted"] is True
    assert await wire.expect("assetDeleted") == {"id": asset_id, "company": 42}
    await wire.close()

    again = await Wire.open(url + ghost_id, ssl_context)
    name, hello = await again.recv()
    assert name == "connectionResponse" and hello["errorCode"] == 0 and hello["ghostId"] == ghost_id
    assert hello["user"]["login"] == DEMO_LOGIN
    assert (await again.call("getAsset", {"asset": {"id": 101}}))["errorCode"] == 0  # logged in without login
    await again.close()


def test_core_scenario_over_ws(fleetfreedom_emulator: Emulator) -> None:
    run(_core_scenario(fleetfreedom_emulator.url))


def test_core_scenario_over_wss_with_the_async_api() -> None:
    async def scenario() -> None:
        async with Emulator(tls=True) as emu:
            assert emu.url.startswith("wss://")
            await _core_scenario(emu.url, emu.client_ssl_context())

    run(scenario())


def test_tls_fixture_refuses_clients_that_do_not_trust_its_ca(fleetfreedom_emulator_tls: Emulator) -> None:
    async def scenario() -> None:
        try:
            await Wire.open(fleetfreedom_emulator_tls.url, ssl.create_default_context())
        except ssl.SSLCertVerificationError:
            return
        raise AssertionError("a client without the emulator's CA connected")

    run(scenario())


def test_every_change_reaches_every_subscriber_including_the_author(fleetfreedom_emulator: Emulator) -> None:
    run(_fan_out(fleetfreedom_emulator))


async def _fan_out(emu: Emulator) -> None:
    wires = [await Wire.open(emu.url) for _ in range(3)]
    for wire in wires:
        await wire.expect("connectionResponse")
        await wire.login()
    for wire in wires[:2]:
        await wire.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "assetAdvanced"]})
    await wires[2].call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["placeGeneral"]})
    reply = await wires[0].call("mergeAsset", {"asset": {"id": 101, "odometer": 1234.5, "v": [1, 1, 1]}})
    assert reply["errorCode"] == 0
    for wire in wires[:2]:
        advanced = await wire.expect("assetAdvancedMerged")
        assert advanced["odometer"] == 1234.5 and advanced["v"] == [2]
    # the third session is subscribed to places only: a place change reaches it, and nothing about assets does
    await wires[0].call("mergePlace", {"place": {"id": 301, "name": "Depot", "v": [1]}})
    name, body = await wires[2].recv()
    assert name == "placeGeneralMerged" and body["name"] == "Depot"
    for wire in wires:
        await wire.close()


def test_unknown_and_expired_ghost_ids(fleetfreedom_emulator: Emulator) -> None:
    run(_unknown_and_expired(fleetfreedom_emulator))


async def _unknown_and_expired(emu: Emulator) -> None:
    wire = await Wire.open(emu.url + "00000000-0000-0000-0000-000000000000")
    name, hello = await wire.recv()
    assert (name, hello["errorCode"]) == ("connectionResponse", 19)  # sessionNotFound
    assert hello["ghostId"]
    fresh = (await wire.login())["ghostId"]  # a login hands out a new ghost id (no session fixation)
    assert fresh != hello["ghostId"]
    await wire.close()
    emu.end_session(fresh, "sessionExpired")
    again = await Wire.open(emu.url + fresh)
    name, hello = await again.recv()
    assert hello["errorCode"] == 7 and hello["ghostId"] != fresh  # sessionExpired; a new session to log in on
    assert (await again.call("getAsset", {"asset": {"id": 101}}))["errorCode"] == 8  # userNotLoggedIn
    await again.close()


def test_frames_sent_before_connection_response_are_answered_after_it(fleetfreedom_emulator: Emulator) -> None:
    run(_early_frames(fleetfreedom_emulator))


async def _early_frames(emu: Emulator) -> None:
    wire = await Wire.open(emu.url)
    await wire.ws.send('noop {"reqId":77}')
    name, _ = await wire.recv()
    assert name == "connectionResponse"
    name, body = await wire.recv()
    assert (name, body["reqId"], body["errorCode"]) == ("noopResponse", 77, 0)
    await wire.close()


def test_session_replies_and_messages_carry_the_vendor_self_shapes(fleetfreedom_emulator: Emulator) -> None:
    run(_self_shapes(fleetfreedom_emulator))


async def _self_shapes(emu: Emulator) -> None:
    """SelfUser in the session replies and Self* parts in the session messages: the contact and the user groups
    travel whole, as the vendor's own clients read them; a merged password is never echoed."""
    wire = await Wire.open(emu.url)
    await wire.recv()
    login = await wire.login()
    assert login["user"]["contact"]["id"] == 500 and "name" in login["user"]["contact"]
    group = await wire.call("mergeUserGroup", {"userGroup": {"company": 42, "name": "Dispatch"}})
    assert group["errorCode"] == 0, group
    group_id = group["userGroup"]["id"]
    user = (await wire.call("getUser", {"user": {"login": DEMO_LOGIN}}))["user"]
    # a user may not change its own groups: another administrator of the company does it
    emu.add_user("admin@acme.example", "admin-pass-42", company=42)
    admin = await Wire.open(emu.url)
    await admin.recv()
    await admin.login("admin@acme.example", "admin-pass-42")
    merged = await admin.call("mergeUser", {"user": {"login": DEMO_LOGIN, "groups": [group_id], "v": user["v"]}})
    assert merged["errorCode"] == 0, merged
    await admin.close()
    advanced = await wire.expect("sessionAdvancedMerged")
    assert advanced["groups"] == [{**advanced["groups"][0], "id": group_id, "name": "Dispatch"}]
    user = (await wire.call("getUser", {"user": {"login": DEMO_LOGIN}}))["user"]
    renamed = await wire.call("mergeUser", {"user": {"login": DEMO_LOGIN, "nickname": "Dee", "v": user["v"]}})
    assert renamed["errorCode"] == 0, renamed
    general = await wire.expect("sessionGeneralMerged")
    assert general["nickname"] == "Dee" and general["contact"]["id"] == 500
    details = await wire.call("getSessionDetails")
    assert details["user"]["groups"][0]["id"] == group_id and isinstance(details["user"]["contact"], dict)

    new = {"login": "new@acme.example", "company": 42, "nickname": "New", "password": "fresh-pass-9"}
    created = await wire.call("mergeUser", {"user": new})
    assert created["errorCode"] == 0, created
    fetched = (await wire.call("getUser", {"user": {"login": "new@acme.example"}}))["user"]
    assert "password" not in fetched  # write-only
    await wire.close()
    other = await Wire.open(emu.url)
    await other.recv()
    assert (await other.login("new@acme.example", "fresh-pass-9"))["user"]["login"] == "new@acme.example"
    await other.close()
