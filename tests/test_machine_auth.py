"""Machine (API key + secret) authentication, end to end over real sockets.

The signature is checked three ways: against a vector computed here with hmac/hashlib/base64 only (never with the
SDK's own functions), against what the client really sends to a small hand-written server that reads the request
headers, and by the emulator, which accepts it (within its clock tolerance) or refuses it with ``invalidHash``.
A machine connects, calls commands, subscribes, is cut by a fault proxy and comes back on a new connection signed
at a later second.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import random
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import GENERATED
from faultproxy import FaultProxy
from fleetfreedom import AsyncClient, Backoff, Client, Reconnected
from fleetfreedom._machine_auth import MachineCredentials, authorization
from fleetfreedom.errors import InvalidHash, MachineNotAllowed
from fleetfreedom.events import AssetGeneralMerged, MachineMerged, SessionMachineMerged
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator
from fleetfreedom.testing.pytest_plugin import MachineAccount
from test_emulator_cli import emulator_process
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request

COMPANY = 42
WAIT = 10.0
KEY = "svc-export"
SECRET = base64.b64encode(bytes(range(32))).decode()  # a fixed secret: the vectors below are reproducible


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(60):
            await scenario

    asyncio.run(bounded())


def expected_header(key: str, secret_b64: str, moment: datetime, url: str) -> str:
    """The vendor's header, computed here from first principles (no SDK code)."""
    lines = "\n".join([key, moment.strftime("%Y%m%d%H%M%S"), "GET", url, "0"])
    digest = hmac.new(base64.b64decode(secret_b64), lines.encode("utf-8"), hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    return "HMAC256 " + base64.b64encode(f"{key}:{signature}".encode()).decode()


def seconds_between(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(microsecond=0)
    return [first + timedelta(seconds=n) for n in range(int((end - first).total_seconds()) + 1)]


# --- the wire format -------------------------------------------------------------------------------------------


def test_header_matches_an_independently_computed_vector() -> None:
    moment = datetime(2026, 12, 1, 8, 9, 10, tzinfo=UTC)
    url = "wss://socket.trakit.ca/"
    want = expected_header(KEY, SECRET, moment, url)
    # literally, so that a change in either computation shows (computed once with the function above)
    assert want == "HMAC256 c3ZjLWV4cG9ydDpLSXNCSklFakh5SzdKOWpDam8yZHpXUXk0d2t6RGU3VUkwNFdaN3lOc000PQ==", want
    assert authorization(KEY, base64.b64decode(SECRET), moment, url) == want


def test_the_signed_address_leaves_out_session_and_machine_parameters() -> None:
    moment = datetime(2026, 12, 1, 8, 9, 10, tzinfo=UTC)
    address = "WSS://Socket.Trakit.CA:443/path?a=1&ghostId=abc&shadowKey=k&b=2&shadowSig=zz#frag"
    signed = "wss://socket.trakit.ca/path?a=1&b=2#frag"  # lower-case host, default port and our parameters gone
    assert authorization(KEY, base64.b64decode(SECRET), moment, address) == expected_header(KEY, SECRET, moment, signed)
    key_only = authorization(KEY, None, moment, address)
    assert key_only == "Machine " + base64.b64encode(KEY.encode()).decode()


async def capture_handshakes() -> tuple[list[Request], list[datetime], Any]:
    """A hand-written server that records each handshake request and answers as a machine session would."""
    seen: list[Request] = []
    times: list[datetime] = []

    def process_request(connection: ServerConnection, request: Request) -> None:
        seen.append(request)
        times.append(datetime.now(UTC))

    async def handler(ws: ServerConnection) -> None:
        body = {"errorCode": 0, "message": "ok", "ghostId": "0d9e8c2a-0000-4000-8000-000000000001",
                "machine": {"key": KEY, "company": COMPANY}}  # fmt: skip
        await ws.send("connectionResponse " + json.dumps(body))
        await ws.wait_closed()

    server = await serve(handler, "127.0.0.1", 0, process_request=process_request)
    return seen, times, server


def test_the_client_sends_the_vector_for_the_second_it_connects() -> None:
    async def scenario() -> None:
        seen, _, server = await capture_handshakes()
        port = server.sockets[0].getsockname()[1]
        async with server:
            before = datetime.now(UTC)
            async with AsyncClient(f"ws://127.0.0.1:{port}", api_key=KEY, api_secret=SECRET) as client:
                after = datetime.now(UTC)
                assert client.session.machine is not None and client.session.machine.key == KEY
                assert client.session.logged_in
        [request] = seen
        assert request.path == "/"  # no ghostId: a machine is authenticated by its signature alone
        sent = request.headers["Authorization"]
        url = f"ws://127.0.0.1:{port}/"
        candidates = [expected_header(KEY, SECRET, moment, url) for moment in seconds_between(before, after)]
        assert sent in candidates, (sent, candidates)

    run(scenario())


def test_the_query_form_carries_key_and_signature_of_the_bare_address() -> None:
    async def scenario() -> None:
        seen, _, server = await capture_handshakes()
        port = server.sockets[0].getsockname()[1]
        async with server:
            before = datetime.now(UTC)
            client = AsyncClient(f"ws://127.0.0.1:{port}/", api_key=KEY, api_secret=SECRET, machine_transport="query")
            async with client:
                after = datetime.now(UTC)
        [request] = seen
        assert "Authorization" not in request.headers
        query = parse_qs(urlsplit(request.path).query)
        assert query["shadowKey"] == [KEY]
        url = f"ws://127.0.0.1:{port}/"
        headers = [expected_header(KEY, SECRET, moment, url) for moment in seconds_between(before, after)]
        signatures = [base64.b64decode(h.split()[1]).decode().split(":", 1)[1] for h in headers]
        assert query["shadowSig"][0] in signatures

    run(scenario())


# --- against the emulator --------------------------------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(machines=[(KEY, SECRET)], machine_tolerance=timedelta(seconds=30)) as emu:
        yield emu


def test_a_machine_connects_works_is_cut_and_comes_back_signed_afresh(emulator: Emulator) -> None:
    async def scenario() -> None:
        target = urlsplit(emulator.url)
        assert target.hostname is not None and target.port is not None
        async with FaultProxy(target.hostname, target.port) as proxy:
            backoff = Backoff(base=0.05, cap=0.2, floor=0.02, rng=random.Random(5))
            client = AsyncClient(proxy.url, api_key=KEY, api_secret=SECRET, keepalive=None, backoff=backoff)
            async with client:
                assert client.session.machine is not None and client.session.machine.key == KEY
                assert client.session.user is None and client.session.code == 0
                first_ghost = client.session.ghost_id
                assert (await client.companies.get(COMPANY)).company.id == COMPANY
                subscribed = await client.subscribe(COMPANY, ["assetGeneral"])
                assert subscribed.merged is not None and [str(t.value) for t in subscribed.merged] == ["assetGeneral"]
                created = await client.assets.merge({"company": COMPANY, "kind": "vehicle", "name": "Truck 7"})
                event = await next_of(client, AssetGeneralMerged)
                assert event.data.id == created.asset.id

                await asyncio.sleep(1.1)  # the next connection is signed in a later second
                proxy.drop_all()
                reconnected = await next_of(client, Reconnected)
                assert reconnected.subscriptions == {COMPANY: ("assetGeneral",)}
                assert client.session.machine is not None and client.session.machine.key == KEY
                assert client.session.ghost_id != first_ghost  # a new session: the signature is the identity

                emulator.merge_object("Asset", {"company": COMPANY, "kind": "vehicle", "name": "after the cut"})
                assert (await next_of(client, AssetGeneralMerged)).data.name == "after the cut"
                assert (await client.companies.get(COMPANY)).company.id == COMPANY
        logins = [login for login in emulator.machines.logins if login.key == KEY]
        assert len(logins) == 2 and len(proxy.attempts) == 2
        assert logins[0].signed_at is not None and logins[1].signed_at is not None
        assert logins[1].signed_at > logins[0].signed_at
        assert logins[0].signature != logins[1].signature

    run(scenario())


async def next_of(client: AsyncClient, kind: type[Any]) -> Any:
    async with asyncio.timeout(WAIT):
        while True:
            event = await client.next_event()
            if isinstance(event, kind):
                return event


def test_a_wrong_secret_is_refused_with_invalid_hash(emulator: Emulator) -> None:
    wrong = base64.b64encode(b"not the secret, but base64 anyway").decode()

    async def scenario() -> None:
        client = AsyncClient(emulator.url, api_key=KEY, api_secret=wrong)
        with pytest.raises(InvalidHash) as caught:
            await client.connect()
        assert caught.value.code == 87
        assert wrong not in str(caught.value) and wrong not in repr(caught.value)
        assert isinstance(client.closed_reason, InvalidHash)

    run(scenario())
    assert not [login for login in emulator.machines.logins if login.key == KEY]


def test_a_signature_older_than_the_tolerance_is_refused(emulator: Emulator) -> None:
    async def scenario() -> None:
        emulator.machines.skew = timedelta(seconds=25)  # the client's clock 25 s behind: within 30 s, accepted
        async with AsyncClient(emulator.url, api_key=KEY, api_secret=SECRET) as client:
            assert client.session.machine is not None
        emulator.machines.skew = timedelta(seconds=40)  # 40 s behind: the signature is too old
        with pytest.raises(InvalidHash, match="within 30 s"):
            await AsyncClient(emulator.url, api_key=KEY, api_secret=SECRET).connect()
        emulator.machines.skew = timedelta(seconds=-40)  # and one from the future is no better
        with pytest.raises(InvalidHash):
            await AsyncClient(emulator.url, api_key=KEY, api_secret=SECRET).connect()

    run(scenario())


def test_the_query_form_and_key_only_machines_on_the_emulator(emulator: Emulator) -> None:
    emulator.add_machine("kiosk", insecure=True)

    async def scenario() -> None:
        client = AsyncClient(emulator.url, api_key=KEY, api_secret=SECRET, machine_transport="query")
        async with client:
            assert (await client.companies.get(COMPANY)).company.id == COMPANY
        async with AsyncClient(emulator.url, api_key="kiosk") as kiosk:  # no secret: "Machine <base64 key>"
            assert kiosk.session.machine is not None and kiosk.session.machine.key == "kiosk"
        with pytest.raises(MachineNotAllowed):  # a machine with a secret must sign
            await AsyncClient(emulator.url, api_key=KEY).connect()

    run(scenario())
    assert [(login.key, login.transport) for login in emulator.machines.logins] == [
        (KEY, "query"),
        ("kiosk", "header"),
    ]


def test_merge_machine_generates_a_secret_shown_once_and_a_rotation_stops_the_old_one(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with AsyncClient(emulator.url, api_key="") as admin:
            await admin.login(DEMO_LOGIN, DEMO_PASSWORD)
            await admin.subscribe(COMPANY, ["machine"])
            made = await admin.machines.merge({"company": COMPANY, "nickname": "nightly", "secret": True})
            key = made.machine.key
            merged = await next_of(admin, MachineMerged)
            assert merged.data.key == key and merged.data.secret
            secret = merged.data.secret
            assert "***" in repr(merged.data) and secret not in repr(merged.data)
            stored = (await admin.machines.get(key)).machine
            assert stored.secret is None  # shown once: never again
            assert all(m.secret is None for m in (await admin.machines.list(COMPANY)).machines)

            backoff = Backoff(base=0.05, cap=0.2, floor=0.02)
            machine = AsyncClient(emulator.url, api_key=key, api_secret=secret, keepalive=None, backoff=backoff)
            async with machine:
                assert machine.session.machine is not None and machine.session.machine.nickname == "nightly"
                # a change of the machine reaches its own session (without any subscription)
                await admin.machines.merge({"key": key, "v": stored.v, "nickname": "nightly (renamed)"})
                renamed = await next_of(admin, MachineMerged)
                assert renamed.data.secret is None
                await next_of(machine, SessionMachineMerged)
                assert machine.session.machine.nickname == "nightly (renamed)"
                # rotate: the old secret stops working, so the cut machine cannot come back and stops for good
                await admin.machines.merge({"key": key, "v": renamed.data.v, "secret": True})
                rotated = await next_of(admin, MachineMerged)
                assert rotated.data.secret and rotated.data.secret != secret
                own = await next_of(machine, SessionMachineMerged)
                assert own.data.secret is None  # the new secret goes to the administrators' machineMerged only
                emulator.drop_connections()
                async with asyncio.timeout(WAIT):
                    while machine.closed_reason is None:
                        await asyncio.sleep(0.02)
                assert isinstance(machine.closed_reason, InvalidHash)
            async with AsyncClient(emulator.url, api_key=key, api_secret=rotated.data.secret) as again:
                assert again.session.machine is not None

    run(scenario())


# --- construction, the sync client and secrets -----------------------------------------------------------------


def test_construction_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="not both"):
        AsyncClient("ws://127.0.0.1:1/", api_key=KEY, api_secret=SECRET, ghost_id="5112a1ea-e1bd-4d6c")
    with pytest.raises(ValueError, match="without api_key"):
        AsyncClient("ws://127.0.0.1:1/", api_key="", api_secret=SECRET)
    bad = "s3cr3t-but-not-base64!"
    with pytest.raises(ValueError, match="base64") as caught:
        AsyncClient("ws://127.0.0.1:1/", api_key=KEY, api_secret=bad)
    assert bad not in str(caught.value)

    monkeypatch.setenv("FLEETFREEDOM_API_KEY", KEY)
    monkeypatch.setenv("FLEETFREEDOM_API_SECRET", SECRET)
    from_env = AsyncClient("ws://127.0.0.1:1/")
    assert from_env.api_key == KEY
    assert SECRET not in repr(from_env)  # and the credentials object itself, below
    assert repr(MachineCredentials.create(None, None)) == f"MachineCredentials(key={KEY!r}, secret=***)"
    assert AsyncClient("ws://127.0.0.1:1/", api_key="").api_key is None  # "": a user client despite the variables

    async def login_refused() -> None:
        with pytest.raises(ValueError, match="needs no login"):
            await from_env.login(DEMO_LOGIN, DEMO_PASSWORD)

    run(login_refused())


def test_the_sync_client_and_the_pytest_fixture(fleetfreedom_machine: MachineAccount) -> None:
    account = fleetfreedom_machine
    assert account.secret not in repr(account)
    with Client(account.url, api_key=account.key, api_secret=account.secret) as client:
        assert client.api_key == account.key
        assert client.session.machine is not None and client.session.machine.key == account.key
        assert client.companies.get(COMPANY).company.id == COMPANY
        client.close()
        client.connect()  # connecting again signs a new connection (no ghostId to resume)
        assert client.session.machine is not None


def test_neither_the_secret_nor_a_signature_reaches_a_log(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("fleetfreedom", "websockets"):
        logging.getLogger(name).setLevel(logging.DEBUG)

    async def scenario() -> None:
        for transport in ("header", "query"):
            client = AsyncClient(emulator.url, api_key=KEY, api_secret=SECRET, machine_transport=transport)
            async with client:
                await client.companies.get(COMPANY)
                text = repr(client) + repr(client.session) + str(client.session)
                assert SECRET not in text
        with pytest.raises(InvalidHash):
            await AsyncClient(emulator.url, api_key=KEY, api_secret=base64.b64encode(b"x" * 32).decode()).connect()

    try:
        run(scenario())
    finally:
        for name in ("fleetfreedom", "websockets"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "HMAC256" not in text or "Authorization: ***" in text
    signatures = [login.signature for login in emulator.machines.logins if login.signature]
    assert len(signatures) == 2
    for secret in (SECRET, *signatures):
        assert secret not in text
        assert secret.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D") not in text
    assert "shadowKey" in text  # the query form was logged, with its signature hidden


def test_the_docs_example_runs_against_the_emulator() -> None:
    """The first example of "Authenticating a service" runs as printed (it starts its own emulator)."""
    page = (GENERATED / "docs" / "pages" / "service-auth.md").read_text(encoding="utf-8")
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "connected as nightly-export of company 42",
        "company: Acme Logistics",
        "saw the new asset: Truck 13",
    ], result.stdout


def fleetfreedom_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from fleetfreedom._cli import main; raise SystemExit(main())", *args]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLEETFREEDOM_")}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env={**clean, **env})


def test_the_command_line_serves_and_uses_machines() -> None:
    with emulator_process("--machine", "cli-made", "--machine", f"{KEY}:{SECRET}") as (url, lines):
        made = [line for line in lines if line.startswith("machine: cli-made secret: ")]
        assert len(made) == 1, lines
        assert f"machine: {KEY} (secret as given with --machine)" in lines
        assert not any(SECRET in line for line in lines)  # a given secret is never printed
        made_secret = made[0].rsplit(" ", 1)[1]

        env = {"FLEETFREEDOM_URL": url, "FLEETFREEDOM_API_KEY": "cli-made", "FLEETFREEDOM_API_SECRET": made_secret}
        called = fleetfreedom_cli("call", "getCompany", '{"company": {"id": 42}}', env=env)
        assert called.returncode == 0, called.stderr
        assert json.loads(called.stdout)["company"]["name"] == "Acme Logistics"

        flags = ["--url", url, "--api-key", KEY, "--api-secret", SECRET]
        tailed = fleetfreedom_cli("tail", *flags, "--company", "42", "assetGeneral", "--idle", "0.5", env={})
        assert tailed.returncode == 0, tailed.stderr
        assert "subscribed to assetGeneral for company 42" in tailed.stderr

        wrong = base64.b64encode(b"wrong").decode()
        refused = fleetfreedom_cli("call", "getCompany", "{}", "--url", url, "--api-key", KEY, "--api-secret", wrong,
                                   env={})  # fmt: skip
        assert refused.returncode == 1 and "InvalidHash (errorCode 87)" in refused.stderr
        assert wrong not in refused.stderr

        both = fleetfreedom_cli("call", "getCompany", "{}", "--url", url, "--api-key", KEY, "--username", "a@b.c",
                                env={})  # fmt: skip
        assert both.returncode == 2 and "not both" in both.stderr
        env_both = {"FLEETFREEDOM_URL": url, "FLEETFREEDOM_API_KEY": KEY, "FLEETFREEDOM_USERNAME": DEMO_LOGIN}
        ambiguous = fleetfreedom_cli("call", "getCompany", "{}", env=env_both)
        assert ambiguous.returncode == 2 and "choose one" in ambiguous.stderr
