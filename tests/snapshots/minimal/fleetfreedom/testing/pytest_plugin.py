"""pytest fixtures, registered through the ``pytest11`` entry point of the ``fleetfreedom`` package.

``fleetfreedom_emulator`` starts a fresh emulator (demo seed, plain ``ws://`` on loopback, any free port) for one
test and stops it afterwards; use ``.url`` to connect and its controls (``.faults``, ``.broadcast_upgrade()``,
``.end_session()``, ...) to steer it. ``fleetfreedom_emulator_tls`` does the same over ``wss://``; pass
``.client_ssl_context()`` to the client. ``fleetfreedom_machine`` adds a machine (API key) account to
``fleetfreedom_emulator`` and gives its ``key``, ``secret`` and ``url``:
``AsyncClient(m.url, api_key=m.key, api_secret=m.secret)``. The server runs in a background thread, so all of
them work in sync and async tests alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._server import Emulator


@pytest.fixture
def fleetfreedom_emulator() -> Iterator[Emulator]:
    from ._server import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def fleetfreedom_emulator_tls() -> Iterator[Emulator]:
    from ._server import Emulator

    with Emulator(tls=True) as emulator:
        yield emulator


@dataclass(frozen=True)
class MachineAccount:
    """A machine account on a running emulator (``fleetfreedom_machine``)."""

    key: str
    secret: str = field(repr=False)  # never in a test report
    url: str


@pytest.fixture
def fleetfreedom_machine(fleetfreedom_emulator: Emulator) -> MachineAccount:
    key = "pytest-machine"
    secret = fleetfreedom_emulator.add_machine(key)
    return MachineAccount(key, secret, fleetfreedom_emulator.url)
