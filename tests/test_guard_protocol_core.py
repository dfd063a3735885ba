"""The protocol core's durations and binary frames, exactly (issue 20: mutation
testing found these paths unguarded). The core is sans-I/O: frames go in as text and effects come out, so these tests
feed it frames directly, as tests/test_client_protocol.py does."""

from __future__ import annotations

from typing import Any

import pytest
from fleetfreedom import MalformedFrame
from fleetfreedom._protocol import Emit, parse_duration
from test_client_protocol import only, ready


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3.04:05:06", 3 * 86400 + 4 * 3600 + 5 * 60 + 6),
        ("P1DT2H3M4S", 86400 + 2 * 3600 + 3 * 60 + 4),
        ("PT0.5S", 0.5),
        ("0.25", 0.25),
        (-5, 0.0),
        ("-5", 0.0),
        (True, None),
        ("P", None),
        ("soon", None),
    ],
)
def test_durations_exactly(text: Any, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_a_binary_frame_is_reported_with_its_size() -> None:
    core = ready()
    event = only(core.receive_binary(12, 0.0), Emit).event
    assert isinstance(event, MalformedFrame)
    assert event.problem == "binary frame of 12 bytes (the API sends text frames only)"
    assert core.stats.malformed_frames == 1 and core.stats.frames_received >= 1
