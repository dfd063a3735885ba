"""The client's shell commands (``fleetfreedom call`` / ``tail``) and the quickstart examples, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator

TIMEOUT = 120


def fleetfreedom(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from fleetfreedom._cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def credentials(emulator: Emulator, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return {
        "FLEETFREEDOM_URL": emulator.url,
        "FLEETFREEDOM_USERNAME": DEMO_LOGIN,
        "FLEETFREEDOM_PASSWORD": password,
    }


def test_call_prints_the_typed_reply_as_json(fleetfreedom_emulator: Emulator) -> None:
    result = fleetfreedom("call", "getCompany", '{"company": {"id": 42}}', env=credentials(fleetfreedom_emulator))
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["errorCode"] == 0 and reply["company"]["name"] == "Acme Logistics"


def test_call_failures_are_clear_and_non_zero(fleetfreedom_emulator: Emulator) -> None:
    env = credentials(fleetfreedom_emulator)
    missing = fleetfreedom("call", "getAsset", '{"asset": {"id": 999999}}', env=env)
    assert missing.returncode == 1 and "AssetNotFound (errorCode 20)" in missing.stderr
    bad_json = fleetfreedom("call", "getCompany", "{nope", env=env)
    assert bad_json.returncode == 2 and "not valid JSON" in bad_json.stderr
    wrong_password = fleetfreedom(
        "call", "getCompany", '{"company": 42}', env=credentials(fleetfreedom_emulator, "x-wrong-1")
    )
    assert wrong_password.returncode == 1 and "x-wrong-1" not in wrong_password.stderr + wrong_password.stdout
    unreachable = fleetfreedom("call", "noop", env={**env, "FLEETFREEDOM_URL": "ws://127.0.0.1:9/"})
    assert unreachable.returncode == 2 and "could not connect" in unreachable.stderr
    insecure = fleetfreedom("call", "noop", env={**env, "FLEETFREEDOM_URL": "ws://socket.example.com/"})
    assert insecure.returncode == 2 and "without TLS" in insecure.stderr


def test_tail_streams_typed_sync_events(fleetfreedom_emulator: Emulator) -> None:
    env = credentials(fleetfreedom_emulator)
    code = "import sys; from fleetfreedom._cli import main; sys.exit(main(sys.argv[1:]))"
    tail = subprocess.Popen(
        [sys.executable, "-c", code, "tail", "--company", "42", "--count", "1", "--idle", "30", "assetGeneral"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert tail.stderr is not None
        line = tail.stderr.readline()  # printed once the subscription is in place
        assert "subscribed to assetGeneral" in line, line
        fleetfreedom_emulator.merge_object("Asset", {"company": 42, "kind": "vehicle", "name": "Tailed"})
        out, err = tail.communicate(timeout=TIMEOUT)
    finally:
        tail.kill()
    assert tail.returncode == 0, err
    event = json.loads(out.strip().splitlines()[-1])
    assert event["event"] == "assetGeneralMerged" and event["data"]["name"] == "Tailed"


def test_quickstart_examples_run_against_the_emulator() -> None:
    script = PROJECT / "examples" / "with_emulator.py"
    examples = [str(PROJECT / "examples" / name) for name in ("quickstart.py", "quickstart_sync.py")]
    result = subprocess.run(
        [sys.executable, str(script), *examples], capture_output=True, text=True, timeout=TIMEOUT, cwd=Path(PROJECT)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for marker in ("AssetGeneralMerged: 'Truck 13'", "AssetDeleted: asset", "AssetNotFound (errorCode 20)"):
        assert result.stdout.count(marker) == 2, result.stdout
