"""``fleetfreedom emulator`` as a user runs it: a subprocess whose first printed line gives the URL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator_wire import Wire
from test_emulator_protocol import _core_scenario

STARTUP_TIMEOUT = 60.0


@contextmanager
def emulator_process(*args: str) -> Iterator[tuple[str, list[str]]]:
    """Start ``fleetfreedom emulator ARGS``; yield its URL and the lines it printed before serving."""
    command = [sys.executable, "-c", "from fleetfreedom._cli import main; raise SystemExit(main())", "emulator", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    assert process.stderr is not None  # piped above
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("login:"):
                found.set()
        found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert found.wait(STARTUP_TIMEOUT), "the emulator printed nothing in time"
        urls = [m.group(1) for line in lines if (m := re.match(r"url: (wss?://\S+)$", line))]
        assert urls, f"no url line in {lines!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        yield urls[0], lines
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        reader.join(30)


def test_cli_serves_the_core_scenario_and_prints_a_demo_login() -> None:
    with emulator_process("--port", "0") as (url, lines):
        assert url.startswith("ws://127.0.0.1:")
        assert any(line.startswith("login: demo@acme.example") for line in lines)
        asyncio.run(asyncio.wait_for(_core_scenario(url), 60))


def test_cli_user_accounts_are_added_and_their_passwords_not_printed(tmp_path: Path) -> None:
    with emulator_process("--user", "alice@acme.example:S3cret-pass-1") as (url, lines):
        assert "S3cret-pass-1" not in "\n".join(lines)

        async def scenario() -> None:
            wire = await Wire.open(url)
            await wire.expect("connectionResponse")
            await wire.login("alice@acme.example", "S3cret-pass-1")
            assert (await wire.call("getCompany", {"company": {"id": 42}}))["errorCode"] == 0
            await wire.close()

        asyncio.run(asyncio.wait_for(scenario(), 60))


def test_cli_db_keeps_data_and_sessions_across_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "emulator.sqlite"

    async def first(url: str) -> tuple[str, int]:
        wire = await Wire.open(url)
        await wire.expect("connectionResponse")
        ghost_id = (await wire.login())["ghostId"]
        reply = await wire.call("mergeAsset", {"asset": {"company": 42, "kind": "asset", "name": "Kept"}})
        assert reply["errorCode"] == 0
        await wire.call("subscribe", {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
        await wire.close()
        return ghost_id, int(reply["asset"]["id"])

    async def second(url: str, ghost_id: str, asset_id: int) -> None:
        wire = await Wire.open(url + ghost_id)
        hello = await wire.expect("connectionResponse")
        assert hello["errorCode"] == 0 and hello["ghostId"] == ghost_id  # the session survived the restart
        asset = await wire.call("getAsset", {"asset": {"id": asset_id}})
        assert asset["errorCode"] == 0 and asset["asset"]["name"] == "Kept" and asset["asset"]["v"] == [1, 1, 1]
        subs = await wire.call("getSubscriptionsList")
        assert subs["subscriptions"] == [{"company": 42, "subscriptionTypes": ["assetGeneral"]}]
        created = await wire.call("mergeAsset", {"asset": {"company": 42, "kind": "asset", "name": "Next"}})
        assert created["asset"]["id"] > asset_id  # ids keep counting after a restart
        await wire.close()

    with emulator_process("--db", str(db)) as (url, _):
        ghost_id, asset_id = asyncio.run(asyncio.wait_for(first(url), 60))
    with emulator_process("--db", str(db)) as (url, _):
        asyncio.run(asyncio.wait_for(second(url, ghost_id, asset_id), 60))


def test_cli_tls_prints_the_ca_to_trust() -> None:
    import ssl

    with emulator_process("--tls") as (url, lines):
        assert url.startswith("wss://")
        ca_lines = [line for line in lines if line.startswith("ca: ")]
        assert ca_lines
        context = ssl.create_default_context(cafile=ca_lines[0][4:])
        asyncio.run(asyncio.wait_for(_core_scenario(url, context), 60))


def test_cli_reports_a_bad_seed_clearly(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"Asset": [{"id": 1, "company": 42, "year": "not a year"}]}', encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from fleetfreedom._cli import main; raise SystemExit(main())",
            "emulator",
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Asset[0]" in result.stderr and "year" in result.stderr


def test_yaml_seed_with_the_python_api(tmp_path: Path) -> None:
    from fleetfreedom.testing import Emulator

    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "Company:\n  - {id: 5, parent: 5, name: Solo}\n  - {id: 6, parent: 5, name: Child Co}\n"
        "User:\n  - {login: owner@solo.example, password: owner-pass-5, company: 6}\n"
        "Asset:\n  - {id: 9, company: 6, kind: vehicle, name: Only truck}\n",
        encoding="utf-8",
    )

    async def scenario(url: str) -> None:
        wire = await Wire.open(url)
        await wire.expect("connectionResponse")
        await wire.login("owner@solo.example", "owner-pass-5")
        listed = await wire.call("getAssetsList", {"company": {"id": 6}})
        assert [a["name"] for a in listed["assets"]] == ["Only truck"]
        await wire.close()

    with Emulator(seed=seed) as emu:
        asyncio.run(asyncio.wait_for(scenario(emu.url), 60))
