"""Server-initiated frames, fault injection and the account commands, driven through the emulator's controls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from emulator_wire import TIMEOUT, Wire, parse
from fleetfreedom._registry import COMMANDS, ERROR_CODES
from fleetfreedom.testing import Emulator
from websockets.exceptions import ConnectionClosed, InvalidStatus

Scenario = Callable[[Emulator], Awaitable[None]]


def run(emu: Emulator, scenario: Scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(emu), 60))


async def logged_in(emu: Emulator, login: str | None = None, password: str | None = None) -> Wire:
    wire = await Wire.open(emu.url)
    await wire.expect("connectionResponse")
    if login is None:
        await wire.login()
    else:
        await wire.login(login, password or "")
    return wire


async def closed_with(wire: Wire) -> int | None:
    """Read until the connection closes; the close code the server sent (None for a cut connection)."""
    for _ in range(100):
        try:
            await asyncio.wait_for(wire.ws.recv(), TIMEOUT)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
    raise AssertionError("the connection stayed open")


def test_broadcasts_reach_every_connection_logged_in_or_not(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        anonymous = await Wire.open(emu.url)
        await anonymous.expect("connectionResponse")
        user = await logged_in(emu)
        start = datetime(2030, 1, 1, 2, tzinfo=UTC)
        emu.broadcast_maintenance(start, start + timedelta(hours=2), "database upgrade")
        emu.broadcast_upgrade(start, reload=True)
        for wire in (anonymous, user):
            maintenance = await wire.expect("broadcast")
            assert maintenance["kind"] == "maintenance" and maintenance["starting"] == "2030-01-01T02:00:00.000Z"
            assert maintenance["ending"] == "2030-01-01T04:00:00.000Z" and maintenance["message"] == "database upgrade"
            upgrade = await wire.expect("broadcast")
            assert upgrade["kind"] == "upgrade" and upgrade["reload"] is True and "eta" in upgrade
            await wire.close()

    run(fleetfreedom_emulator, scenario)


def test_session_ended_is_pushed_then_the_connection_closes(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        ghost_id = emu.connected_sessions()[0]
        emu.end_session(ghost_id, "sessionKilled")
        ended = await wire.expect("sessionEnded")
        assert ended["ghostId"] == ghost_id and "expiry" in ended
        assert await closed_with(wire) == 1000
        again = await Wire.open(emu.url + ghost_id)
        assert (await again.expect("connectionResponse"))["errorCode"] == ERROR_CODES["sessionKilled"]
        await again.close()

    run(fleetfreedom_emulator, scenario)


def test_command_and_session_throttling(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        emu.faults.throttle_commands(command="getAsset", times=2, timeout=90)
        for _ in range(2):
            reply = await wire.call("getAsset", {"asset": {"id": 101}})
            assert reply["errorCode"] == ERROR_CODES["commandThrottled"]
            details = reply["errorDetails"]
            assert details["kind"] == "throttled" and details["command"] == "getAsset"
            assert details["timeout"] == "00:01:30" and details["login"] == "demo@acme.example"
        assert (await wire.call("getAsset", {"asset": {"id": 101}}))["errorCode"] == 0
        await wire.close()
        emu.faults.throttle_sessions(times=1)
        throttled = await Wire.open(emu.url)
        hello = await throttled.expect("connectionResponse")
        assert hello["errorCode"] == ERROR_CODES["sessionThrottled"] and hello["errorDetails"]["kind"] == "throttled"
        assert await closed_with(throttled) == 1013
        fine = await Wire.open(emu.url)
        assert (await fine.expect("connectionResponse"))["errorCode"] == ERROR_CODES["userNotLoggedIn"]
        await fine.close()

    run(fleetfreedom_emulator, scenario)


def test_delayed_replies_are_overtaken_and_withheld_replies_never_come(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        emu.faults.delay_replies(0.5, command="getAsset", times=1)
        slow = await wire.send("getAsset", {"asset": {"id": 101}})
        fast = await wire.send("noop")
        first, second = await wire.recv(), await wire.recv()
        assert (first[0], first[1]["reqId"]) == ("noopResponse", fast)
        assert (second[0], second[1]["reqId"]) == ("getAssetResponse", slow)
        emu.faults.withhold_replies(command="mergeAsset", times=1)
        await wire.send("mergeAsset", {"asset": {"company": 42, "kind": "asset", "name": "Silent"}})
        probe = await wire.send("noop")
        name, body = await wire.recv()
        assert (name, body["reqId"]) == ("noopResponse", probe)  # no mergeAssetResponse came first
        assert any(a["name"] == "Silent" for a in (await wire.call("getAssetsList", {"company": {"id": 42}}))["assets"])
        await wire.close()

    run(fleetfreedom_emulator, scenario)


@pytest.mark.parametrize("action", ["drop", "close"])
def test_connection_faults_on_a_command(fleetfreedom_emulator: Emulator, action: str) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        if action == "drop":
            emu.faults.drop_on("getAsset")
        else:
            emu.faults.close_on("getAsset", code=4000, reason="test close")
        await wire.send("getAsset", {"asset": {"id": 101}})
        code = await closed_with(wire)
        assert code == (None if action == "drop" else 4000)
        again = await logged_in(emu)  # the fault fired once; the next connection works
        assert (await again.call("getAsset", {"asset": {"id": 101}}))["errorCode"] == 0
        await again.close()

    run(fleetfreedom_emulator, scenario)


def test_refused_connections_silence_and_dropping_everyone(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        emu.faults.refuse_connections()
        with pytest.raises(InvalidStatus) as refused:
            await Wire.open(emu.url)
        assert refused.value.response.status_code == 503
        emu.faults.refuse_connections(False)
        wire = await logged_in(emu)
        emu.go_silent()
        await wire.send("noop")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(wire.ws.recv(), 0.5)
        emu.speak_again()
        probe = await wire.send("noop")  # the noop sent while silent was left unread: it is answered now, first
        assert [(await wire.expect("noopResponse"))["reqId"] for _ in range(2)] == [probe - 1, probe]
        emu.drop_connections()
        assert await closed_with(wire) is None
        other = await logged_in(emu)
        emu.close_connections(1012, "restarting")
        assert await closed_with(other) == 1012

    run(fleetfreedom_emulator, scenario)


def test_logout_replies_then_closes_and_forgets_the_session(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        reply = await wire.call("logout")
        assert reply["errorCode"] == 0 and "ghostId" in reply
        assert await closed_with(wire) == 1000
        again = await Wire.open(emu.url + reply["ghostId"])
        assert (await again.expect("connectionResponse"))["errorCode"] == ERROR_CODES["sessionNotFound"]
        await again.close()

    run(fleetfreedom_emulator, scenario)


def test_update_own_password_enforces_the_policy(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        attempts = {
            ("wrong-current", "new-pass-123"): "invalidCredentials",
            ("demo-pass-42", "demo-pass-42"): "samePassword",
            ("demo-pass-42", "short1"): "noncompliantPassword",
            ("demo-pass-42", "lettersonly"): "noncompliantPassword",
        }
        for (current, new), error in attempts.items():
            reply = await wire.call("updateOwnPassword", {"current": current, "password": new})
            assert reply["errorCode"] == ERROR_CODES[error], (new, reply)
            assert new not in reply["message"] and current not in reply["message"]
        ok = await wire.call("updateOwnPassword", {"current": "demo-pass-42", "password": "better-pass-7"})
        assert ok["errorCode"] == 0 and ok["passwordPolicy"]["minimumLength"] == 8
        await wire.close()
        again = await logged_in(emu, "demo@acme.example", "better-pass-7")
        assert (await again.call("noop"))["errorCode"] == 0
        await again.close()

    run(fleetfreedom_emulator, scenario)


def test_subscribe_reports_partial_success(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        viewer = await logged_in(emu, "viewer@acme.example", "viewer-pass-42")
        reply = await viewer.call(
            "subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "userGeneral", "nonsense"]}
        )
        assert reply["errorCode"] == 0
        assert (reply["merged"], reply["denied"], reply["invalid"]) == (["assetGeneral"], ["userGeneral"], ["nonsense"])
        other = await viewer.call("subscribe", {"company": {"id": 77}, "subscriptionTypes": ["assetGeneral"]})
        assert other["errorCode"] == ERROR_CODES["permissionDenied"] and other["denied"] == ["assetGeneral"]
        listed = await viewer.call("getSubscriptionsList")
        assert listed["subscriptions"] == [{"company": 42, "subscriptionTypes": ["assetGeneral"]}]
        removed = await viewer.call("unsubscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
        assert removed["removed"] == ["assetGeneral"]
        assert (await viewer.call("getSubscriptionsList"))["subscriptions"] == []
        await viewer.close()

    run(fleetfreedom_emulator, scenario)


def test_lifecycle_parts_and_batches(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        await wire.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral", "assetDispatch"]})
        reply = await wire.call("getAssetGeneral", {"asset": {"id": 102}})
        # the reply field is the schema's to name (a vendor rename must not break this test): read it from the registry
        general = reply[COMMANDS["getAssetGeneral"].response_fields[0]]
        assert general["name"] == "Trailer 7" and general["v"] == [1]
        assert "odometer" not in general
        part = await wire.call(
            "mergeAssetDispatch", {"asset": {"id": 102, "lastDispatched": "2030-01-01T00:00:00Z", "v": [1]}}
        )
        assert part["errorCode"] == 0
        assert (await wire.expect("assetDispatchMerged"))["v"] == [2]
        whole = await wire.call("getAsset", {"asset": {"id": 102}})
        assert whole["asset"]["v"] == [1, 1, 2]
        suspended = await wire.call("suspendAsset", {"asset": {"id": 102}})
        assert suspended["asset"]["suspended"] is True
        assert (await wire.expect("assetSuspended"))["suspended"] is True
        again = await wire.call("suspendAsset", {"asset": {"id": 102}})
        assert again["errorCode"] == ERROR_CODES["assetSuspended"]
        active = await wire.call("getAssetsList", {"company": {"id": 42}, "includeSuspended": False})
        assert 102 not in [a["id"] for a in active["assets"]]
        assert (await wire.call("reviveAsset", {"asset": {"id": 102}}))["asset"]["suspended"] is False
        await wire.call("removeAsset", {"asset": {"id": 102}})
        assert (await wire.call("getAsset", {"asset": {"id": 102}}))["errorCode"] == ERROR_CODES["assetNotFound"]
        assert (await wire.call("getAsset", {"asset": {"id": 102}, "includeDeleted": True}))["errorCode"] == 0
        restored = await wire.call("restoreAsset", {"asset": {"id": 102}})
        assert restored["errorCode"] == 0 and restored["asset"]["deleted"] is False
        not_deleted = await wire.call("restoreAsset", {"asset": {"id": 102}})
        assert not_deleted["errorCode"] == ERROR_CODES["assetNotDeleted"]
        batch = await wire.call(
            "multiMergeAsset",
            {
                "assets": [
                    {"company": 42, "kind": "asset", "name": "A"},
                    {"id": 999999, "name": "missing", "v": [1, 1, 1]},
                ]
            },
        )
        assert batch["errorCode"] == ERROR_CODES["assetNotFound"] and "1 of 2" in batch["message"]
        assert batch["assets"][0]["company"] == 42 and batch["assets"][1]["errorCode"] == ERROR_CODES["assetNotFound"]
        labelled = await wire.call(
            "getAssetsListByCompanyAndLabels", {"company": {"id": 42}, "labels": ["refrigerated"]}
        )
        assert [a["id"] for a in labelled["assets"]] == [101] and labelled["labels"] == ["refrigerated"]
        foreign = await wire.call("getAsset", {"asset": {"id": 701}})
        assert foreign["errorCode"] == ERROR_CODES["assetNotFound"]  # another company's asset is not visible
        await wire.close()

    run(fleetfreedom_emulator, scenario)


def test_server_side_changes_reach_subscribers(fleetfreedom_emulator: Emulator) -> None:
    async def scenario(emu: Emulator) -> None:
        wire = await logged_in(emu)
        await wire.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
        emu.merge_object("Asset", {"id": 101, "name": "Renamed by dispatch"})
        merged = await wire.expect("assetGeneralMerged")
        assert merged["name"] == "Renamed by dispatch" and merged["v"] == [2]
        emu.change_state("Asset", 101, "remove")
        assert await wire.expect("assetDeleted") == {"id": 101, "company": 42}
        assert emu.get_object("AssetGeneral", 101) is not None
        await wire.close()

    run(fleetfreedom_emulator, scenario)


def test_parse_helper_rejects_binary() -> None:
    with pytest.raises(AssertionError):
        parse(b"noop {}")


def test_merge_object_refuses_what_a_client_could_not_decode_and_stores_nothing() -> None:
    emu = Emulator()  # the controls work before start(), on the same store
    before = emu.get_object("Asset", 101)
    assert before is not None
    with pytest.raises(ValueError, match=r"^merge_object: \$\.Asset\.nmae: Extra inputs are not permitted"):
        emu.merge_object("Asset", {"id": 101, "nmae": "Renamed"})
    with pytest.raises(ValueError, match=r"^merge_object: \$\.Asset\.company: Input should be a valid integer"):
        emu.merge_object("Asset", {"id": 0, "name": "Orphan", "company": "acme"})
    with pytest.raises(ValueError, match=r"^merge_object: \$\.Company\.id: Input should be a valid integer"):
        emu.merge_object("Company", {"id": "acme", "parent": 42})
    assert emu.get_object("Asset", 101) == before
    assert emu.get_object("Company", "acme") is None


def test_merge_object_stores_values_in_their_wire_form() -> None:
    emu = Emulator()
    created = emu.merge_object("Asset", {"id": 0, "name": "Typed", "company": "42"})
    assert created["company"] == 42 and isinstance(created["company"], int)
    stored = emu.get_object("Asset", created["id"])
    assert stored is not None and stored["company"] == 42
