"""The codec's hot path (issue 20: mutation testing found it unguarded).

A sync stream is thousands of frames of a handful of names. ``_codec`` promises that once a name has been decoded,
a body that matches the schema costs one cached ``validate_json`` call: no frame splitting, no registry lookups,
no attempt at repair. Breaking that cache (never filling it, filling it under another key, or with a decoder that
always fails and falls back) gives the same messages, only slower on every frame, so these tests watch the full
path directly: it must run for the first frame of a name and for a body that does not match, and for nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fleetfreedom import UnknownFrame, _codec
from fleetfreedom._codec import decode, decode_reporting
from fleetfreedom.commands.companies import GetCompanyResponse
from fleetfreedom.events import AssetGeneralMerged
from fleetfreedom.models import ErrorCode, Reply

EVENT = "assetGeneralMerged"
REPLY = "getCompanyResponse"


@pytest.fixture
def full_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The frames that went the full way (split, registry, validate and repair), in order."""
    taken: list[str] = []
    real: Callable[[str], Any] = _codec._decode

    def counted(text: str) -> Any:
        taken.append(text)
        return real(text)

    monkeypatch.setattr(_codec, "_decode", counted)
    monkeypatch.setattr(_codec, "_FAST", {})  # as in a fresh process: no name decoded yet
    yield taken


@pytest.mark.parametrize("decoder", [decode, decode_reporting], ids=["decode", "decode_reporting"])
def test_a_name_decoded_once_takes_the_cached_validator_for_a_matching_body(
    decoder: Callable[[str], tuple[Any, ...]], full_path: list[str]
) -> None:
    event = [f'{EVENT} {{"id":{n},"company":42,"kind":"vehicle","name":"Truck {n}","v":[{n}]}}' for n in (1, 2, 3)]
    reply = [f'{REPLY} {{"reqId":{n},"errorCode":0,"company":{{"id":{n},"name":"Co {n}"}}}}' for n in (1, 2, 3)]
    results = [decoder(text) for text in (event[0], reply[0], event[1], reply[1], event[2], reply[2])]
    assert full_path == [event[0], reply[0]]  # the first of each name only
    assert all(isinstance(r[1], AssetGeneralMerged) for r in results[0::2])
    assert all(isinstance(r[1], GetCompanyResponse) for r in results[1::2])
    assert [r[1].data.name for r in results[0::2]] == ["Truck 1", "Truck 2", "Truck 3"]
    assert [r[1].company.id for r in results[1::2]] == [1, 2, 3]
    if decoder is decode_reporting:
        assert all(r[2] == () for r in results)


@pytest.mark.parametrize("decoder", [decode, decode_reporting], ids=["decode", "decode_reporting"])
def test_a_body_that_does_not_match_leaves_the_cached_validator_for_the_full_path(
    decoder: Callable[[str], tuple[Any, ...]], full_path: list[str]
) -> None:
    decoder(f'{EVENT} {{"id":1,"v":[1]}}')
    decoder(f'{REPLY} {{"reqId":1,"errorCode":0}}')
    full_path.clear()
    odd_event, odd_reply = f'{EVENT} {{"id":2,"name":{{"first":"x"}}}}', f'{REPLY} {{"reqId":2,"company":[1]}}'
    event, reply = decoder(odd_event), decoder(odd_reply)
    assert full_path == [odd_event, odd_reply]  # repaired on the full path, not dropped by the fast one
    assert isinstance(event[1], AssetGeneralMerged) and event[1].data.id == 2 and event[1].data.name is None
    assert isinstance(reply[1], GetCompanyResponse) and reply[1].company is None
    assert event[1].data.wire_mismatches == {"name": {"first": "x"}} and reply[1].wire_mismatches == {"company": [1]}
    if decoder is decode_reporting:
        assert [m.path for m in event[2]] == ["name"] and [m.path for m in reply[2]] == ["company"]


def test_the_first_unknown_command_response_is_typed_as_the_generic_reply(full_path: list[str]) -> None:
    """The server's answer to a command it does not know names no command of ours, yet it is typed (a Reply with
    its errorCode and message), the very first time too, when no cached validator can stand in for the full path."""
    refusal = 'unknownCommandResponse {"reqId":2,"errorCode":3,"message":"no such command"}'
    name, message = decode(refusal)
    assert full_path == [refusal] and name == "unknownCommandResponse"
    assert isinstance(message, Reply) and not isinstance(message, UnknownFrame)
    assert (message.req_id, message.error_code, message.message) == (2, ErrorCode.INVALID_DATA, "no such command")
    _, other = decode('getNothingResponse {"reqId":1,"errorCode":0}')
    assert isinstance(other, UnknownFrame) and other.frame_name == "getNothingResponse"
