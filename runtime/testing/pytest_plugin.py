"""pytest fixtures, registered through the ``pytest11`` entry point of the ``fleetfreedom`` package.

``fleetfreedom_emulator`` starts a fresh emulator (demo seed, plain ``ws://`` on loopback, any free port) for one
test and stops it afterwards; use ``.url`` to connect and its controls (``.faults``, ``.broadcast_upgrade()``,
``.end_session()``, ...) to steer it. ``fleetfreedom_emulator_tls`` does the same over ``wss://``; pass
``.client_ssl_context()`` to the client. ``fleetfreedom_machine`` adds a machine (API key) account to
``fleetfreedom_emulator`` and gives its ``key``, ``secret`` and ``url``:
``AsyncClient(m.url, api_key=m.key, api_secret=m.secret)``. The server runs in a background thread, so all of
them work in sync and async tests alike.

A simulated fleet (vehicles reporting positions, see ``_simulate``) runs in every emulator the fixtures start with
``pytest --fleetfreedom-simulate N [--fleetfreedom-simulate-interval SECONDS]``, or in one test's emulator with
``@pytest.mark.fleetfreedom_simulate(N, interval=1.0)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._server import Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fleetfreedom", "fleetfreedom emulator")
    group.addoption(
        "--fleetfreedom-simulate",
        type=int,
        default=0,
        metavar="N",
        help="run N simulated vehicles in the emulator fixtures",
    )
    group.addoption(
        "--fleetfreedom-simulate-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between two position reports of one simulated vehicle",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fleetfreedom_simulate(count, interval=1.0): run a simulated fleet in this test's emulator"
    )


def _simulate(emulator: Emulator, request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("fleetfreedom_simulate")
    if marker is not None:
        count = int(marker.args[0] if marker.args else marker.kwargs.get("count", 0))
        interval = float(marker.kwargs.get("interval", 1.0))
    else:
        count = int(request.config.getoption("--fleetfreedom-simulate"))
        interval = float(request.config.getoption("--fleetfreedom-simulate-interval"))
    if count:
        emulator.simulate(count, interval)


@pytest.fixture
def fleetfreedom_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    from ._server import Emulator

    with Emulator() as emulator:
        _simulate(emulator, request)
        yield emulator


@pytest.fixture
def fleetfreedom_emulator_tls(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    from ._server import Emulator

    with Emulator(tls=True) as emulator:
        _simulate(emulator, request)
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
