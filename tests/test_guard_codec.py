"""The codec's exact output and exact refusals (issue 20: mutation testing found these unguarded).

What goes on the wire must be byte-for-byte what the server expects (camelCase keys, compact separators, reqId first,
unset fields left out, text as UTF-8 rather than escapes), and a refused request must name its command and say what
is wrong. These are pure functions: no transport is involved, so they are called directly.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from fleetfreedom import FrameError, RequestError, UnknownFrame
from fleetfreedom._codec import (
    build_request,
    command_of,
    decode,
    decode_frame,
    decode_reporting,
    encode_frame,
    encode_raw,
    parse_body,
)
from fleetfreedom.events import AssetGeneralMerged, Broadcast
from pydantic import BaseModel, ConfigDict, Field

SUBSCRIBE = {"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]}


def test_a_request_is_encoded_compact_camel_case_with_the_req_id_first() -> None:
    request = build_request("subscribe", SUBSCRIBE)
    assert encode_frame(request, 7) == 'subscribe {"reqId":7,"company":{"id":42},"subscriptionTypes":["assetGeneral"]}'
    assert encode_frame(request) == 'subscribe {"company":{"id":42},"subscriptionTypes":["assetGeneral"]}'


def test_unset_fields_are_left_out() -> None:
    request = build_request("getCompany", {"company": 42})
    assert encode_frame(request, 1) == 'getCompany {"reqId":1,"company":{"id":42}}'


class LookAlike(BaseModel):
    """Another model with the same wire shape: build_request takes its wire form, not its Python names."""

    model_config = ConfigDict(populate_by_name=True)
    company: dict[str, int]
    kinds: list[str] = Field(alias="subscriptionTypes")  # not the request's Python name: only the alias fits
    note: str | None = None  # never set: must not be sent (the request refuses unknown fields)


def test_a_model_of_another_class_is_taken_by_its_wire_form() -> None:
    given = LookAlike.model_validate({"company": {"id": 42}, "subscriptionTypes": ["assetGeneral"]})
    request = build_request("subscribe", given)
    assert encode_frame(request, 3) == 'subscribe {"reqId":3,"company":{"id":42},"subscriptionTypes":["assetGeneral"]}'


def test_refusals_name_the_command_and_the_problem() -> None:
    with pytest.raises(RequestError) as unknown:
        build_request("getNothing", {})
    assert unknown.value.command == "getNothing" and unknown.value.problems == ["unknown command"]

    with pytest.raises(RequestError) as nested:
        build_request("getCompany", {"company": {"id": "not a number"}})
    assert nested.value.command == "getCompany"
    assert [p.split(":")[0] for p in nested.value.problems] == ["company.id"]

    with pytest.raises(RequestError) as whole:
        build_request("getCompany", [1, 2])  # type: ignore[arg-type]
    assert whole.value.problems[0].startswith("body: ")


def test_encoding_refuses_unknown_values_under_the_command_name() -> None:
    request = build_request("subscribe", SUBSCRIBE)
    vars(request)["subscription_types"] = [math.nan]  # changed after validation (no validate_assignment)
    with pytest.raises(RequestError) as refused:
        encode_frame(request, 1)
    assert refused.value.command == "subscribe"


def test_extra_body_keeps_typed_values_in_their_json_form() -> None:
    request = build_request("mergeAsset", {"asset": {"id": 1, "company": 42, "since": "2026-01-02T03:04:05Z"}})
    assert encode_frame(request, 1, {"note": 1}) == (
        'mergeAsset {"reqId":1,"asset":{"id":1,"company":42,"since":"2026-01-02T03:04:05Z"},"note":1}'
    )


def test_extra_body_fields_are_sent_as_given_after_the_typed_ones() -> None:
    request = build_request("subscribe", SUBSCRIBE)
    frame = encode_frame(request, 9, {"note": "café"})
    assert frame == 'subscribe {"reqId":9,"company":{"id":42},"subscriptionTypes":["assetGeneral"],"note":"café"}'
    assert encode_frame(request, None, {"note": 1}) == (
        'subscribe {"company":{"id":42},"subscriptionTypes":["assetGeneral"],"note":1}'
    )


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"reqId": 5}, "extra_body.reqId: the client numbers its requests itself"),
        ({"note": object()}, "extra_body: "),
        ({"note": math.inf}, "extra_body: "),
    ],
    ids=["reqId", "not-json", "infinity"],
)
def test_a_bad_extra_body_is_refused_under_the_command_name(extra: dict[str, Any], problem: str) -> None:
    request = build_request("subscribe", SUBSCRIBE)
    with pytest.raises(RequestError) as refused:
        encode_frame(request, 1, extra)
    assert refused.value.command == "subscribe"
    assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith(problem)


def test_encode_raw_is_compact_utf8_and_writes_other_values_as_text() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    assert encode_raw("broadcast", {"kind": "notice", "message": "fermé", "at": when}) == (
        'broadcast {"kind":"notice","message":"fermé","at":"2026-01-02 03:04:05"}'
    )


def test_command_of_refuses_a_class_that_is_not_a_request() -> None:
    class Stray(BaseModel):
        pass

    with pytest.raises(TypeError, match="Stray is not a generated request class"):
        command_of(Stray())  # type: ignore[arg-type]


def test_a_lone_surrogate_is_named_as_such() -> None:
    with pytest.raises(FrameError) as bad:
        parse_body('{"message":"\ud800"}', "broadcast ...")
    assert bad.value.problem == "frame body is not valid Unicode text (lone surrogate)"


@pytest.mark.parametrize("decoder", [decode, decode_reporting], ids=["decode", "decode_reporting"])
def test_the_second_decode_of_a_name_is_the_same_as_the_first(decoder: Any) -> None:
    """The second frame of a name takes the fast path (a cached validator): its result must not differ."""
    texts = [
        'assetGeneralMerged {"id":7,"company":42,"kind":"vehicle","name":"Truck 7","v":[1]}',
        'assetGeneralMerged {"id":8,"company":42,"kind":"vehicle","name":"with spaces in it","v":[2]}',
        'getCompanyResponse {"reqId":1,"errorCode":0,"company":{"id":42,"name":"Acme Logistics"}}',
        'getCompanyResponse {"reqId":2,"errorCode":0,"company":{"id":43,"name":"Other Co"}}',
    ]
    results = [decoder(text) for text in texts]
    assert [r[0] for r in results] == ["assetGeneralMerged"] * 2 + ["getCompanyResponse"] * 2
    first, second = results[0][1], results[1][1]
    assert isinstance(first, AssetGeneralMerged) and isinstance(second, AssetGeneralMerged)
    assert (first.data.id, second.data.id, second.data.name) == (7, 8, "with spaces in it")
    assert [r[1].company.name for r in results[2:]] == ["Acme Logistics", "Other Co"]


def test_decode_frame_is_the_message_of_decode() -> None:
    message = decode_frame('broadcast {"kind":"notice","message":"hello"}')
    assert isinstance(message, Broadcast) and message.data.message == "hello"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("noop", "frame has no space between its name and its JSON body"),
        ('1noop {"reqId":1}', "frame name is not a message name (letters and digits, starting with a letter)"),
        ("noop [1]", "frame body is not a JSON object"),
    ],
)
def test_malformed_frames_say_exactly_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(FrameError) as bad:
        decode(text)
    assert bad.value.problem == problem and bad.value.frame == text


def test_only_unknown_command_response_is_typed_among_replies_to_no_known_command() -> None:
    _, unknown_name = decode('getNothingResponse {"reqId":1,"errorCode":0}')
    assert isinstance(unknown_name, UnknownFrame) and unknown_name.frame_name == "getNothingResponse"
    _, refusal = decode('unknownCommandResponse {"reqId":2,"errorCode":3,"message":"no such command"}')
    assert not isinstance(refusal, UnknownFrame) and refusal.message == "no such command"  # type: ignore[union-attr]
    _, known = decode('getCompanyResponse {"reqId":3,"errorCode":0,"company":{"id":42}}')
    assert known.company.id == 42  # type: ignore[union-attr]
