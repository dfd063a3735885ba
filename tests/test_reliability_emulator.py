"""The emulator as a server people can trust: each test is one failure found by attacking it (issue 17).

Raw ``websockets`` clients on loopback (``emulator_wire``) play the attacker; nothing is mocked. Numbers in the
test names follow the issue's list.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from emulator_wire import TIMEOUT, Wire, parse
from fleetfreedom._registry import ERROR_CODES
from fleetfreedom.testing import Emulator
from fleetfreedom.testing._limits import Limits
from fleetfreedom.testing._store import SqliteStore, StoreError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

DENIED = ERROR_CODES["permissionDenied"]
SERVICE = ERROR_CODES["service"]
CLI = [sys.executable, "-c", "from fleetfreedom._cli import main; raise SystemExit(main())", "emulator"]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 120))


async def logged_in(emu: Emulator, login: str = "demo@acme.example", password: str = "demo-pass-42") -> Wire:
    wire = await Wire.open(emu.url)
    await wire.expect("connectionResponse")
    await wire.login(login, password)
    return wire


# 1 ------------------------------------------------------------------------------------------------ ownership


def test_1_update_own_contact_cannot_move_the_card_into_another_company() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            wire = await logged_in(emu)
            reply = await wire.call("updateOwnContact", {"contact": {"company": 77, "name": "moved"}})
            assert reply["errorCode"] == DENIED, reply
            contact = emu.get_object("Contact", 500)
            assert contact is not None and contact["company"] == 42 and contact["name"] == "Dana Demo"
            ok = await wire.call("updateOwnContact", {"contact": {"company": 42, "name": "Dana D."}})
            assert ok["errorCode"] == 0, ok
            await wire.close()

    run(scenario)


def test_1_nested_objects_naming_another_company_are_refused() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            wire = await logged_in(emu)
            body = {"asset": {"company": 42, "kind": "vehicle", "name": "Mole", "contact": {"id": 9, "company": 77}}}
            reply = await wire.call("mergeAsset", body)
            assert reply["errorCode"] == DENIED, reply
            await wire.close()

    run(scenario)


# 2 ------------------------------------------------------------------------------------------------ atomic writes


def refuse_writes(emu: Emulator, refuse: bool) -> None:
    """Make SQLite itself refuse every write (as a full disk or a lock would), or accept them again."""
    store = emu.store
    assert isinstance(store, SqliteStore)
    store._db.execute(f"PRAGMA query_only = {int(refuse)}")


def test_2_a_refused_commit_changes_nothing_and_keeps_the_connection(tmp_path: Path) -> None:
    db = tmp_path / "emulator.sqlite"

    async def scenario() -> None:
        async with Emulator(db=db) as emu:
            wire = await logged_in(emu)
            before = emu.get_object("Asset", 101)
            assert before is not None
            refuse_writes(emu, True)
            change = {"asset": {"id": 101, "v": before["v"], "name": "Renamed"}}
            reply = await wire.call("mergeAsset", change)
            assert reply["errorCode"] == SERVICE, reply
            after = emu.get_object("Asset", 101)
            assert after == before  # memory unchanged: same name, same version
            read = await wire.call("getAsset", {"asset": {"id": 101}})  # reads go on while the database refuses
            assert read["errorCode"] == 0 and read["asset"]["name"] == before["name"]
            refuse_writes(emu, False)
            retry = await wire.call("mergeAsset", change)  # the same version is still the current one
            assert retry["errorCode"] == 0, retry
            await wire.close()
        async with Emulator(db=db) as again:  # what was acknowledged is what is stored
            stored = again.get_object("Asset", 101)
            assert stored is not None and stored["name"] == "Renamed"

    run(scenario)


def test_2_a_refused_login_leaves_the_session_as_it_was(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Emulator(db=tmp_path / "e.sqlite") as emu:
            wire = await Wire.open(emu.url)
            hello = await wire.expect("connectionResponse")
            refuse_writes(emu, True)
            reply = await wire.call("login", {"username": "demo@acme.example", "password": "demo-pass-42"})
            assert reply["errorCode"] == SERVICE, reply
            assert (await wire.call("getAsset", {"asset": {"id": 101}}))["errorCode"] == ERROR_CODES["userNotLoggedIn"]
            info = emu.session_info(hello["ghostId"])
            assert info is not None and info["login"] is None
            refuse_writes(emu, False)
            await wire.login()
            await wire.close()

    run(scenario)


# 3 ------------------------------------------------------------------------------------------------ outbound bytes


def _big_seed(assets: int) -> dict[str, Any]:
    """Many assets with names that do not compress (permessage-deflate would otherwise shrink replies 20-fold)."""
    noise = random.Random(3)
    return {
        "Company": [{"id": 42, "parent": 42, "name": "Big"}],
        "User": [{"login": "big@example", "password": "big-pass-1", "company": 42, "enabled": True}],
        "Asset": [
            {"id": 1000 + i, "company": 42, "kind": "vehicle", "name": f"Truck {i} " + noise.randbytes(60).hex()}
            for i in range(assets)
        ],
    }


def test_3_a_client_that_never_reads_is_cut_off_at_the_byte_limit() -> None:
    limit = 2 * 1024 * 1024

    async def scenario() -> None:
        # no pings: only the byte limit may end the hog's connection
        async with Emulator(seed=_big_seed(400), limits=Limits(max_outbound_bytes=limit), ping_interval=None) as emu:
            # a small receive buffer, so the kernel does not soak up tens of megabytes before the emulator's limit
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.connect(("127.0.0.1", emu.port))
            hog = Wire(await connect(emu.url, sock=sock, open_timeout=TIMEOUT))
            await hog.expect("connectionResponse")
            await hog.login("big@example", "big-pass-1")
            hog_session = emu.connected_sessions()[0]
            request = 'getAssetsList {"reqId":%d,"company":{"id":42}}'
            for req_id in range(1, 1001):  # ~60 KB a reply, 60 MB in all; the hog never calls recv() from here on
                await hog.ws.send(request % req_id)
            other = await logged_in(emu, "big@example", "big-pass-1")  # everyone else is served meanwhile
            started = time.monotonic()
            assert (await other.call("noop"))["errorCode"] == 0
            assert time.monotonic() - started < 2.0
            deadline = time.monotonic() + 30  # once the socket buffers are full, the limit is reached
            while hog_session in emu.connected_sessions() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert hog_session not in emu.connected_sessions(), "the slow reader was never disconnected"
            assert (await other.call("noop"))["errorCode"] == 0
            await other.close()
            received = 0
            with pytest.raises(ConnectionClosed) as closed:  # 1008, or cut off when it did not take the close
                while True:
                    received += len(await asyncio.wait_for(hog.ws.recv(), TIMEOUT))
            # what reached the hog: at most the limit, the socket buffers and a frame in flight, not 60 MB
            assert received < 30 * 1024 * 1024, received
            assert closed.value.rcvd is None or closed.value.rcvd.code == 1008

    run(scenario)


# 4 ------------------------------------------------------------------------------------------------ idle connections


def test_4_connections_that_never_log_in_are_capped_per_address_and_timed_out() -> None:
    limits = Limits(max_unauthenticated_per_address=5, login_deadline=1.5)

    async def scenario() -> None:
        async with Emulator(limits=limits) as emu:
            idle = [await Wire.open(emu.url) for _ in range(5)]
            for wire in idle:
                assert (await wire.expect("connectionResponse"))["errorCode"] == ERROR_CODES["userNotLoggedIn"]
            extra = await Wire.open(emu.url)
            refused = await extra.expect("connectionResponse")
            assert refused["errorCode"] == ERROR_CODES["sessionThrottled"], refused
            # another address is not held back by the first one's idle connections
            other = Wire(await connect(emu.url, local_addr=("127.0.0.2", 0), open_timeout=TIMEOUT))
            assert (await other.expect("connectionResponse"))["errorCode"] == ERROR_CODES["userNotLoggedIn"]
            await other.login()
            await asyncio.sleep(2.0)  # past the login deadline: the idle ones are closed, the logged-in one is not
            for wire in idle:
                with pytest.raises(ConnectionClosed) as closed:
                    await wire.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            assert (await other.call("noop"))["errorCode"] == 0
            await other.close()

    run(scenario)


# 5 ------------------------------------------------------------------------------------------------ password guessing


def test_5_failed_logins_are_throttled_with_the_api_throttling_reply() -> None:
    limits = Limits(login_failures=3, login_failures_per_address=6, login_window=60.0)

    async def scenario() -> None:
        async with Emulator(limits=limits) as emu:
            wire = await Wire.open(emu.url)
            await wire.expect("connectionResponse")
            for _ in range(3):
                bad = await wire.call("login", {"username": "demo@acme.example", "password": "wrong-1"})
                assert bad["errorCode"] == ERROR_CODES["invalidCredentials"]
            held = await wire.call("login", {"username": "demo@acme.example", "password": "demo-pass-42"})
            assert held["errorCode"] == ERROR_CODES["commandThrottled"], held
            details = held["errorDetails"]
            assert details["kind"] == "throttled" and details["command"] == "login" and details["timeout"]
            # another login from the same address still may try, up to the address's limit
            for _ in range(3):
                bad = await wire.call("login", {"username": "viewer@acme.example", "password": "wrong-2"})
                assert bad["errorCode"] == ERROR_CODES["invalidCredentials"]
            held = await wire.call("login", {"username": "ops@globex.example", "password": "globex-pass-77"})
            assert held["errorCode"] == ERROR_CODES["commandThrottled"], held
            await wire.close()

    run(scenario)


# 6 ------------------------------------------------------------------------------------------------ own rights


def test_6_a_restricted_user_cannot_lift_its_own_restriction() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            viewer = await logged_in(emu, "viewer@acme.example", "viewer-pass-42")
            me = emu.get_object("User", "viewer@acme.example")
            assert me is not None
            lift = {"user": {"login": "viewer@acme.example", "v": me["v"], "emulatorSubscriptionTypes": None}}
            assert (await viewer.call("mergeUser", lift))["errorCode"] != 0
            grant = {"user": {"login": "viewer@acme.example", "v": me["v"], "permissions": {"admin": "full"}}}
            assert (await viewer.call("mergeUser", grant))["errorCode"] == DENIED
            sub = await viewer.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["userGeneral"]})
            assert sub["denied"] == ["userGeneral"]
            await viewer.close()

    run(scenario)


# 7 ------------------------------------------------------------------------------------------------ database files


def _bad_databases(tmp_path: Path) -> dict[str, Path]:
    random_bytes = tmp_path / "random.sqlite"
    random_bytes.write_bytes(os.urandom(8192))
    good = tmp_path / "good.sqlite"
    with Emulator(db=good):
        pass
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(good.read_bytes()[:1500])
    wrong = tmp_path / "wrong.sqlite"
    with sqlite3.connect(wrong) as db:
        db.execute("CREATE TABLE objects (a, b)")
    garbage_row = tmp_path / "garbage.sqlite"
    garbage_row.write_bytes(good.read_bytes())
    with sqlite3.connect(garbage_row) as db:
        db.execute("INSERT INTO objects VALUES ('Asset', '1', 'not json')")
    return {
        "random bytes": random_bytes,
        "truncated": truncated,
        "a directory": tmp_path,
        "a missing folder": tmp_path / "missing" / "e.sqlite",
        "wrong columns": wrong,
        "a row that is not JSON": garbage_row,
    }


def test_7_every_bad_database_file_is_one_clear_line(tmp_path: Path) -> None:
    for kind, path in _bad_databases(tmp_path).items():
        with pytest.raises(StoreError) as error:
            Emulator(db=path)
        message = str(error.value)
        assert str(path) in message and "\n" not in message, (kind, message)
        result = subprocess.run(
            [*CLI, "--db", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (kind, result)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, (kind, result.stderr)


def test_7_a_second_emulator_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    with Emulator(db=db), pytest.raises(StoreError, match="another emulator is using this database"):
        Emulator(db=db)
    with Emulator(db=db):  # free again once the first one stopped
        pass


# 8 ------------------------------------------------------------------------------------------------ huge integers


def test_8_a_five_thousand_digit_integer_gets_an_error_reply_not_a_close() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            wire = await logged_in(emu)
            huge = "9" * 5000
            await wire.ws.send('getAsset {"reqId":7,"asset":{"id":' + huge + "}}")
            name, body = parse(await asyncio.wait_for(wire.ws.recv(), TIMEOUT))
            assert name == "getAssetResponse" and body["errorCode"] == ERROR_CODES["invalidData"], body
            assert body.get("reqId") == 7
            await wire.ws.send('noop {"reqId":' + huge + "}")
            name, body = parse(await asyncio.wait_for(wire.ws.recv(), TIMEOUT))
            assert name == "noopResponse" and body["errorCode"] == ERROR_CODES["invalidData"]
            assert (await wire.call("noop"))["errorCode"] == 0
            await wire.close()

    run(scenario)


# 9 ------------------------------------------------------------------------------------------------ session fixation


def test_9_a_login_does_not_keep_a_ghost_id_handed_out_before_it() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            attacker = await Wire.open(emu.url)
            planted = (await attacker.expect("connectionResponse"))["ghostId"]
            victim = await Wire.open(emu.url + planted)  # the victim is lured onto the planted ghost id
            await victim.expect("connectionResponse")
            reply = await victim.login()
            assert reply["ghostId"] != planted
            stolen = await attacker.call("getAsset", {"asset": {"id": 101}})
            assert stolen["errorCode"] == ERROR_CODES["userNotLoggedIn"], stolen
            again = await Wire.open(emu.url + planted)
            assert (await again.expect("connectionResponse"))["errorCode"] != 0
            resumed = await Wire.open(emu.url + reply["ghostId"])  # the victim's own new ghost id resumes
            assert (await resumed.expect("connectionResponse"))["errorCode"] == 0
            for wire in (attacker, victim, again, resumed):
                await wire.close()

    run(scenario)


# 10 ----------------------------------------------------------------------------------------------- secrets, provider


def test_10_passwords_sent_with_merge_user_are_stored_only_as_salted_hashes(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    password = "Plain-text-9Z"

    async def scenario() -> None:
        async with Emulator(db=db) as emu:
            wire = await logged_in(emu)
            new_user = {"login": "new@acme.example", "company": 42, "enabled": True, "password": password}
            assert (await wire.call("mergeUser", {"user": new_user}))["errorCode"] == 0
            stored = emu.get_object("User", "new@acme.example")
            assert stored is not None and "password" not in json.dumps(stored)
            await logged_in(emu, "new@acme.example", password)  # the password works
            await wire.close()

    run(scenario)
    assert password.encode() not in db.read_bytes()
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or password.encode() not in wal.read_bytes()


def test_10_hosting_discounts_belong_to_no_company() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            discount = emu.merge_object("BillableHostingDiscount", {"name": "Launch discount"})["id"]
            for login, password in (("demo@acme.example", "demo-pass-42"), ("ops@globex.example", "globex-pass-77")):
                wire = await logged_in(emu, login, password)
                create = await wire.call("mergeHostingDiscount", {"hostingDiscount": {"name": "Mine"}})
                assert create["errorCode"] == DENIED, create
                remove = await wire.call("removeHostingDiscount", {"hostingDiscount": {"id": discount}})
                assert remove["errorCode"] == DENIED, remove
                await wire.close()
            kept = emu.get_object("BillableHostingDiscount", discount)
            assert kept is not None and not kept.get("deleted")

    run(scenario)


# SIGTERM ------------------------------------------------------------------------------------------------------


def test_sigterm_stops_the_cli_emulator_well_under_a_second_closing_sessions() -> None:
    async def scenario() -> None:
        process = subprocess.Popen(CLI, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[1]
            wire = await Wire.open(url)
            await wire.expect("connectionResponse")
            await wire.login()
            silent = await connect(url)
            silent.transport.pause_reading()  # a peer that will never answer the closing handshake
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            while process.poll() is None and time.monotonic() - started < 10:
                await asyncio.sleep(0.005)
            elapsed = time.monotonic() - started
            assert process.returncode == 0 and elapsed < 0.8, elapsed
            with pytest.raises(ConnectionClosed) as closed:
                await wire.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(10)

    run(scenario)


# required fields on create ------------------------------------------------------------------------------------


def test_creating_an_asset_needs_the_fields_the_schema_names() -> None:
    async def scenario() -> None:
        async with Emulator() as emu:
            wire = await logged_in(emu)
            bare = await wire.call("mergeAsset", {"asset": {"company": 42, "name": "No kind"}})
            assert bare["errorCode"] == ERROR_CODES["invalidData"] and "kind" in bare["message"], bare
            batch = await wire.call("multiMergeAsset", {"assets": [{"company": 42, "kind": "vehicle"}]})
            assert batch["errorCode"] == ERROR_CODES["invalidData"] and "name" in batch["message"], batch
            ok = await wire.call("mergeAsset", {"asset": {"company": 42, "kind": "vehicle", "name": "Truck 9"}})
            assert ok["errorCode"] == 0, ok
            rename = await wire.call("mergeAsset", {"asset": {"id": 101, "v": [1, 1, 1], "name": "Renamed"}})
            assert rename["errorCode"] != ERROR_CODES["invalidData"], rename  # an update needs none of them
            await wire.close()

    run(scenario)
