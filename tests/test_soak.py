"""The short soak (tests/soak.py) in `make test`: about a minute of faults every few seconds on every link.

The full run is `make soak` (three minutes, a fault every 6-8 s). Deselect this one with ``-m "not soak"``.
"""

from __future__ import annotations

import asyncio

import pytest
import soak


@pytest.mark.soak
def test_caches_converge_and_no_acknowledged_write_is_lost_on_a_flaky_network() -> None:
    result = asyncio.run(soak.run(soak.Config(duration=45.0, faults_every=(2.0, 4.0))))
    assert result.ok, result.report()
    assert sum(result.faults.values()) >= 40 and result.reconnects and min(result.reconnects) >= 5, result.report()
    assert result.acknowledged > 1000 and result.changes > 1000, result.report()
