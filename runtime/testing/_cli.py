"""``fleetfreedom emulator``: run a local Fleet Freedom server until interrupted.

It prints one line with the URL it serves (``url: ws://127.0.0.1:8765/``), with ``--tls`` one naming the CA file
to trust (``ca: /tmp/...pem``), one per ``--machine`` (``machine: KEY``, with ``secret: ...`` when the emulator
made the secret up), and last one with a login to try (``login: ...``), each flushed at once so that a script can
read them from a pipe. Passwords and given secrets are never printed except the shipped demo seed's public
password.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path

from ._seed import DEMO_LOGIN, DEMO_PASSWORD, SeedError, load_seed
from ._server import Emulator
from ._store import StoreError
from ._tls import TlsUnavailable


def _account(text: str) -> tuple[str, str]:
    login, sep, password = text.partition(":")
    if not sep or not login or not password:
        raise argparse.ArgumentTypeError("expected LOGIN:PASSWORD")
    return login, password


def _machine(text: str) -> tuple[str, str | None]:
    key, sep, secret = text.partition(":")
    if not key or (sep and not secret):
        raise argparse.ArgumentTypeError("expected KEY:SECRET (the secret as base64 text), or KEY for a new secret")
    return key, secret or None


def add_arguments(parser: argparse.ArgumentParser, name: str = "emulator") -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, any free port)")
    parser.add_argument("--tls", action="store_true", help="serve wss:// with a throw-away CA (needs trustme)")
    parser.add_argument("--seed", type=Path, help="JSON (or YAML) seed file; default: the demo company 42")
    parser.add_argument("--db", type=Path, help="SQLite file keeping data and sessions across restarts")
    parser.add_argument(
        "--user",
        dest="users",
        action="append",
        type=_account,
        default=[],
        metavar="LOGIN:PASSWORD",
        help="add a user with full rights in the seed's first company (repeatable)",
    )
    parser.add_argument("--seed-schema", action="store_true", help="print the JSON Schema of seed files and exit")
    parser.add_argument(
        "--simulate",
        type=int,
        default=0,
        metavar="N",
        help="run N simulated vehicles with devices reporting positions (assetAdvanced sync messages)",
    )
    parser.add_argument(
        "--simulate-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between two reports of one simulated vehicle (default: 1.0)",
    )
    parser.add_argument(
        "--machine",
        dest="machines",
        action="append",
        type=_machine,
        default=[],
        metavar="KEY[:SECRET]",
        help="add a machine (API key) with full rights in the seed's first company; without SECRET one is made up "
        "and printed (repeatable)",
    )


def _say(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.seed_schema:
        from ._seed_schema import seed_json_schema_text

        sys.stdout.write(seed_json_schema_text())
        return 0
    try:
        return asyncio.run(_serve(args))
    except (SeedError, StoreError, TlsUnavailable, ValueError, OSError) as exc:
        print(f"fleetfreedom emulator: {exc}", file=sys.stderr, flush=True)
        return 2


async def _serve(args: argparse.Namespace) -> int:
    emulator = Emulator(host=args.host, port=args.port, tls=args.tls, seed=args.seed, db=args.db, users=args.users)
    secrets = [(key, emulator.add_machine(key, secret)) for key, secret in args.machines]  # checked before serving
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # not on every platform; where missing, Ctrl-C still raises KeyboardInterrupt
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    if args.simulate:
        emulator.simulate(args.simulate, args.simulate_interval)
    async with emulator:
        _say(f"url: {emulator.url}")
        ca_file = None
        if emulator.ca_pem is not None:
            ca_file = Path(tempfile.gettempdir()) / f"fleetfreedom-emulator-{emulator.port}-ca.pem"
            ca_file.write_bytes(emulator.ca_pem)
            _say(f"ca: {ca_file}")
        for (key, given), (_, secret) in zip(args.machines, secrets, strict=True):
            _say(f"machine: {key} (secret as given with --machine)" if given else f"machine: {key} secret: {secret}")
        if args.users:
            _say(f"login: {args.users[0][0]} (password as given with --user)")
        elif args.seed is None:
            _say(f"login: {DEMO_LOGIN} password: {DEMO_PASSWORD}")
        else:
            users = [u.get("login") for u in load_seed(args.seed).get("User", []) if isinstance(u, dict)]
            _say(f"login: {users[0] if users else '(the seed has no users)'} (password from the seed file)")
        try:
            await stop.wait()
        finally:
            if ca_file is not None:
                ca_file.unlink(missing_ok=True)
    return 0
