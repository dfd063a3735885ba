"""``fleetfreedom call`` and ``fleetfreedom tail``: the client from a shell.

    fleetfreedom call getCompany '{"company": {"id": 42}}'      # prints the typed reply as JSON
    fleetfreedom tail --company 42 assetGeneral assetAdvanced    # prints sync events, one JSON object a line

The address and credentials come from options or from FLEETFREEDOM_URL, FLEETFREEDOM_USERNAME and
FLEETFREEDOM_PASSWORD, or for a service account (machine) FLEETFREEDOM_API_KEY and FLEETFREEDOM_API_SECRET
(prefer the variables for the password and the secret: options show up in process listings). Exit codes:
0 success, 1 the server answered with an error, 2 bad usage or no connection, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import json
import os
import ssl
import sys
from typing import Any

from pydantic import BaseModel

from ._async import AsyncClient, RawReply
from ._client_events import ClientEvent, Disconnected
from ._events import Event, ServerMessage, UnknownFrame
from ._exceptions import ApiError, FleetFreedomError, RequestError
from ._machine_auth import ENV_API_KEY, ENV_API_SECRET
from ._registry import COMMANDS

ENV_URL = "FLEETFREEDOM_URL"
ENV_USERNAME = "FLEETFREEDOM_USERNAME"
ENV_PASSWORD = "FLEETFREEDOM_PASSWORD"


class UsageError(Exception):
    """A mistake on the command line: reported in one line, exit code 2."""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.set_defaults(client_command=name)
    parser.add_argument("--url", help=f"WebSocket address (default: ${ENV_URL}, else the production server)")
    parser.add_argument("--username", help=f"log in as this user (default: ${ENV_USERNAME})")
    parser.add_argument("--password", help=f"password (default: ${ENV_PASSWORD}; prompted for on a terminal)")
    parser.add_argument("--ghost-id", help="resume this session instead of logging in")
    parser.add_argument("--api-key", help=f"connect as this machine (service account) (default: ${ENV_API_KEY})")
    parser.add_argument("--api-secret", help=f"the machine's secret (default: ${ENV_API_SECRET})")
    parser.add_argument("--ca-file", help="trust this CA certificate (PEM) for wss://, e.g. the emulator's")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each reply (default: 30)")
    if name == "call":
        parser.add_argument("wire_command", metavar="COMMAND", help="wire name of the command, e.g. getCompany")
        parser.add_argument("params", nargs="?", default="{}", help="JSON object with the request body (default: {})")
        parser.add_argument("--raw", action="store_true", help="print the reply frame's body exactly as received")
    else:
        parser.add_argument("--company", type=int, required=True, help="company id to subscribe to")
        parser.add_argument("types", nargs="+", metavar="TYPE", help="subscription types, e.g. assetGeneral")
        parser.add_argument("--count", type=int, help="stop after this many sync events")
        parser.add_argument("--idle", type=float, help="stop after this many seconds without an event")


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_call(args) if args.client_command == "call" else _tail(args))
    except UsageError as exc:
        _error(str(exc))
        return 2
    except ApiError as exc:
        _error(f"{type(exc).__name__} (errorCode {exc.code}): {exc.message or exc}")
        return 1
    except RequestError as exc:
        _error(f"invalid request: {exc}")
        return 2
    except FleetFreedomError as exc:
        _error(str(exc))
        return 2
    except ValueError as exc:  # an unacceptable address (ws:// to a remote host, not a WebSocket URL)
        _error(str(exc))
        return 2


def _error(text: str) -> None:
    print(f"fleetfreedom: {text}", file=sys.stderr, flush=True)


def _client(args: argparse.Namespace) -> AsyncClient:
    context: ssl.SSLContext | None = None
    if args.ca_file:
        try:
            context = ssl.create_default_context(cafile=args.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot read the CA file {args.ca_file}: {exc}") from None
    url = args.url or os.environ.get(ENV_URL) or None
    api_key, api_secret = _machine(args)
    try:
        return AsyncClient(
            url,
            ghost_id=args.ghost_id,
            ssl=context,
            timeout=args.timeout,
            connect_timeout=args.timeout,
            api_key=api_key,
            api_secret=api_secret,
        )
    except ValueError as exc:  # machine credentials that cannot sign (never repeats the secret)
        raise UsageError(str(exc)) from None


def _username(args: argparse.Namespace) -> str | None:
    return args.username or os.environ.get(ENV_USERNAME) or None


def _machine(args: argparse.Namespace) -> tuple[str, str | None]:
    """The machine credentials to use ("" for none). An option beats the environment; a user and a machine given
    the same way at once is a mistake, reported before anything connects."""
    if args.api_secret and not args.api_key and args.username:
        raise UsageError("--api-secret belongs to a machine: give --api-key, or drop --username")
    if args.api_key and args.username:
        raise UsageError("give either --username (a user) or --api-key (a machine), not both")
    if args.api_key or args.api_secret:
        return args.api_key or os.environ.get(ENV_API_KEY) or "", args.api_secret or os.environ.get(ENV_API_SECRET)
    if args.username or args.ghost_id:
        return "", None  # a user: a machine key in the environment is not meant for this call
    env_key = os.environ.get(ENV_API_KEY) or ""
    if env_key and os.environ.get(ENV_USERNAME):
        raise UsageError(f"both ${ENV_USERNAME} and ${ENV_API_KEY} are set: choose one with --username or --api-key")
    return env_key, os.environ.get(ENV_API_SECRET) if env_key else None


async def _login(client: AsyncClient, args: argparse.Namespace) -> None:
    if client.api_key is not None:
        return  # a machine's connection is authenticated already
    username = _username(args)
    if not username:
        return
    password = args.password or os.environ.get(ENV_PASSWORD)
    if not password:
        if not sys.stdin.isatty():
            raise UsageError(f"a password is needed for {username}: set ${ENV_PASSWORD} or pass --password")
        password = getpass.getpass(f"password for {username}: ")
    await client.login(username, password)


async def _call(args: argparse.Namespace) -> int:
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as exc:
        raise UsageError(f"params are not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise UsageError('params must be a JSON object, e.g. \'{"company": {"id": 42}}\'')
    if not args.raw and args.wire_command not in COMMANDS:  # said here with the CLI's flag, not request()'s
        raise UsageError(f"unknown command {args.wire_command!r}: check the name, or pass --raw to send it anyway")
    async with _client(args) as client:
        await _login(client, args)
        if args.raw:
            raw = await client.request(args.wire_command, params, raw=True)
            _print(raw.data)
        else:
            reply = await client.request(args.wire_command, params)
            if isinstance(reply, RawReply):  # a reply the schema could not type: printed as it came
                _print(reply.data)
            else:
                _print(reply.model_dump(mode="json", by_alias=True, exclude_unset=True))
    return 0


async def _tail(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        await _login(client, args)
        result = await client.subscribe(args.company, args.types)
        accepted = [str(getattr(t, "value", t)) for t in result.merged or ()]
        refused = [str(getattr(t, "value", t)) for t in result.denied or ()] + list(result.invalid or ())
        print(f"subscribed to {', '.join(accepted) or 'nothing'} for company {args.company}", file=sys.stderr)
        if refused:
            print(f"not subscribed (denied or invalid): {', '.join(refused)}", file=sys.stderr)
        seen = 0
        async for event in client.events(idle_timeout=args.idle):
            _print(event_json(event))
            if isinstance(event, ServerMessage):
                seen += 1
            if isinstance(event, Disconnected) or (args.count is not None and seen >= args.count):
                break
    return 0


def event_json(event: Event) -> dict[str, Any]:
    """An event as one JSON object: its message name and its data."""
    if isinstance(event, ServerMessage):
        data = event.data
        body = data.model_dump(mode="json", by_alias=True, exclude_unset=True) if isinstance(data, BaseModel) else data
        return {"event": event.name, "data": body}
    if isinstance(event, UnknownFrame):
        return {"event": event.frame_name, "data": event.data, "untyped": event.reason or "unknown message"}
    if isinstance(event, ClientEvent):
        fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        data = {k: str(v) if isinstance(v, BaseException) else v for k, v in fields.items()}
        return {"event": event.name, "data": data}
    return {"event": type(event).__name__}


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str), flush=True)
