"""pytest fixtures, registered through the ``pytest11`` entry point of the ``fleetfreedom`` package.

``fleetfreedom_emulator`` starts a fresh emulator (demo seed, plain ``ws://`` on loopback, any free port) for one
test and stops it afterwards; use ``.url`` to connect and its controls (``.faults``, ``.broadcast_upgrade()``,
``.end_session()``, ...) to steer it. ``fleetfreedom_emulator_tls`` does the same over ``wss://``; pass
``.client_ssl_context()`` to the client. The server runs in a background thread, so both work in sync and async
tests alike.
"""

from __future__ import annotations

from collections.abc import Iterator
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
