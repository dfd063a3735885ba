"""The blocking ``Client`` / ``Cache`` are declared by hand beside ``AsyncClient`` / ``AsyncCache``: this keeps the
two faces equal, name for name and parameter for parameter, so the sync side cannot drift again."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from fleetfreedom import AsyncClient, Client
from fleetfreedom._cache import AsyncCache
from fleetfreedom._cache_sync import Cache

URL = "ws://127.0.0.1:9"  # never dialled: nothing here connects

# Constructors differ on purpose: a Cache wraps the AsyncCache it is given (both are made by client.cache()).
_NOT_COMPARED = {"__init__"}


def _public(obj: object) -> dict[str, object]:
    return {name: getattr(type(obj), name, None) for name in dir(obj) if not name.startswith("_")}


def _params(fn: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    sig = inspect.signature(fn)
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def _compare(async_obj: object, sync_obj: object) -> list[str]:
    problems: list[str] = []
    a, s = _public(async_obj), _public(sync_obj)
    for name in sorted(a.keys() - s.keys()):
        problems.append(f"{type(sync_obj).__name__} lacks {name}")
    for name in sorted(s.keys() - a.keys()):
        problems.append(f"{type(async_obj).__name__} lacks {name}")
    for name in sorted((a.keys() & s.keys()) - _NOT_COMPARED):
        fa, fs = a[name], s[name]
        if callable(fa) and not isinstance(fa, type):
            if not callable(fs):
                problems.append(f"{name}: a method on one side only")
            elif _params(fa) != _params(fs):
                problems.append(f"{name}: {_params(fa)} != {_params(fs)}")
    return problems


def _async_faces() -> tuple[AsyncClient, AsyncCache]:
    async def make() -> tuple[AsyncClient, AsyncCache]:
        client = AsyncClient(URL)
        return client, client.cache()

    return asyncio.run(make())


def test_client_and_async_client_have_the_same_surface() -> None:
    async_client, _ = _async_faces()
    client = Client(URL)
    try:
        assert _compare(async_client, client) == []
        assert _params(AsyncClient.__init__) == _params(Client.__init__)
        for name in ("url", "user_agent", "timeout", "connect_timeout"):
            assert getattr(client, name) == getattr(async_client, name), name
    finally:
        client.close()


def test_cache_and_async_cache_have_the_same_surface() -> None:
    _, async_cache = _async_faces()
    client = Client(URL)
    try:
        cache = client.cache(grace=7)
        problems = _compare(async_cache, cache)
        # changes() takes idle_timeout on the blocking side only: a sync iterator cannot be wrapped in a timeout
        problems = [p for p in problems if not p.startswith("changes:")]
        assert problems == []
        assert cache.grace == 7
        sig_a = _params(AsyncCache.changes)
        sig_s = [p for p in _params(Cache.changes) if p[0] != "idle_timeout"]
        assert sig_a == sig_s
    finally:
        client.close()


def test_client_options_are_typed_keywords() -> None:
    # a misspelt option is refused (mypy says so too: there is no **options to swallow it)
    params = inspect.signature(Client.__init__).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in params.values())
    try:
        Client(URL, time_out=3)  # type: ignore[call-arg]
    except TypeError as exc:
        assert "time_out" in str(exc)
    else:
        raise AssertionError("a misspelt option was accepted")


def test_dir_shows_the_public_names() -> None:
    import fleetfreedom

    names = dir(fleetfreedom)
    assert {"AsyncClient", "Client", "AsyncCache", "Cache", "Disconnected", "models", "errors"} <= set(names)
    assert not {"Any", "importlib", "TYPE_CHECKING", "annotations"} & set(names)
    assert set(fleetfreedom.__all__) <= set(names)


def test_cli_names_its_own_flag_for_an_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    from fleetfreedom._cli import main

    assert main(["call", "noSuchCommand", "{}", "--url", URL]) == 2  # refused before connecting
    err = capsys.readouterr().err
    assert "--raw" in err and "raw=True" not in err


def test_one_documented_way_to_log_in_and_to_subscribe() -> None:
    """The command methods that duplicate the client's own (login, logout, subscribe, unsubscribe) point to it, and
    the client docs say which subscriptions are renewed after a reconnect (issue 13 item 7)."""
    from pathlib import Path

    from fleetfreedom.resources.api import AsyncSubscriptionsResource, SubscriptionsResource
    from fleetfreedom.resources.self import AccountResource, AsyncAccountResource

    for method, shortcut in [
        (AsyncAccountResource.login, "client.login("),
        (AccountResource.login, "client.login("),
        (AsyncAccountResource.logout, "client.logout("),
        (AsyncSubscriptionsResource.subscribe, "client.subscribe("),
        (SubscriptionsResource.unsubscribe, "client.unsubscribe("),
    ]:
        assert f"The documented way is ``{shortcut}" in (method.__doc__ or ""), method
    docs = (Path(__file__).parent.parent / "generated" / "docs" / "pages" / "client.md").read_text()
    assert "Renewed after a reconnect: every type the server accepted" in docs
    assert "documented way to log in and out" in docs
