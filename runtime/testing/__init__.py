"""A local Fleet Freedom server for tests and demos, generated from the same schema as the client.

    async with Emulator() as emu:          # or: with Emulator() as emu:  (runs in a background thread)
        print(emu.url)                     # ws://127.0.0.1:<port>/  -- log in as demo@acme.example
        emu.broadcast_upgrade(eta=..., reload=True)
        emu.faults.delay_replies(2.0, command="getAsset")
        emu.semantics.register("getAssetTrips", handler)   # one command's own behaviour (see _semantics)

From a shell: ``fleetfreedom emulator``. In pytest: the ``fleetfreedom_emulator`` fixture.
"""

from __future__ import annotations

from ._faults import Faults
from ._seed import DEMO_LOGIN, DEMO_PASSWORD, SeedError
from ._semantics import Failure, Semantics
from ._server import Emulator
from ._tls import TlsUnavailable

__all__ = ["DEMO_LOGIN", "DEMO_PASSWORD", "Emulator", "Failure", "Faults", "SeedError", "Semantics", "TlsUnavailable"]
