"""Property-based tests of the frame codec: whatever text arrives, decoding gives a typed message, an
``UnknownFrame`` (only for a name the SDK does not know) or one ``FrameError`` (never another exception); every
request the schema allows survives ``encode_frame`` and reading back unchanged.

Inputs come from three sources: arbitrary text, frames made of a plausible name and arbitrary JSON, and valid
example frames of every message and reply (built from the IR as in test_decode_all) with one value replaced,
a key removed, the text cut short or a character inserted, so that the generated validators see near misses.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

import pytest
from fleetfreedom import _registry
from fleetfreedom._base import RequestModel
from fleetfreedom._codec import build_request, decode, encode_frame, parse_body, split_frame
from fleetfreedom._events import ServerMessage, UnknownFrame
from fleetfreedom._exceptions import FrameError, RequestError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from test_decode_all import STRING_EXAMPLES, Examples

from generator.ir.nodes import AnyValue, Api, ArrayOf, Field, MapOf, Named, Primitive, TypeExpr, UnionOf
from generator.pipeline import load_api

EXAMPLES = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@cache
def api() -> Api:
    return load_api()


@cache
def example_frames() -> tuple[str, ...]:
    """One valid frame per server message and per command reply."""
    model, examples = api(), Examples(api())
    frames = []
    for name, message in model.messages_by_name.items():
        body = examples.fields(model.types_by_name[message.payload].fields)
        frames.append(f"{name} {json.dumps(body)}")
    for name, spec in _registry.COMMANDS.items():
        response = model.commands_by_name[name].response
        fields = model.types_by_name[response.from_type].fields if response.from_type else response.fields
        body = {"reqId": 3, "errorCode": 0, "message": "ok", **examples.fields(fields)}
        frames.append(f"{spec.reply_name} {json.dumps(body)}")
    return tuple(sorted(frames))


def assert_decodes_or_frame_error(text: str) -> None:
    """The codec's contract for any input text."""
    try:
        name, message = decode(text)
    except FrameError as exc:
        assert exc.frame == text and exc.problem and exc.__cause__ is None
        return
    assert text.startswith(name + " ")
    assert isinstance(message, (BaseModel, ServerMessage, UnknownFrame)), type(message)
    if isinstance(message, UnknownFrame):
        assert message.frame_name == name and isinstance(message.data, dict)
        # forgiving receipt: a known name with a JSON object body is always typed, whatever its fields hold
        assert name not in KNOWN_NAMES, (name, message.reason)


KNOWN_NAMES = frozenset(
    [*_registry.MESSAGES, *(spec.reply_name for spec in _registry.COMMANDS.values()), "unknownCommandResponse"]
)


# -- decoding -------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def frame_names(draw: st.DrawFn) -> str:
    known = sorted(_registry.MESSAGES) + [spec.reply_name for spec in _registry.COMMANDS.values()]
    return draw(
        st.sampled_from(known)
        | st.sampled_from(["unknownCommandResponse", "fooResponse", "fooMerged", "Response"])
        | st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,15}", fullmatch=True)
        | st.text(max_size=10)
    )


@given(st.text(alphabet=st.characters(codec=None), max_size=300))
@EXAMPLES
def test_any_text_decodes_or_raises_one_frame_error(text: str) -> None:
    assert_decodes_or_frame_error(text)


@given(frame_names(), st.text(alphabet=st.characters(codec=None), max_size=60))
@EXAMPLES
def test_any_name_with_any_body_decodes_or_raises_one_frame_error(name: str, body: str) -> None:
    assert_decodes_or_frame_error(f"{name} {body}")


@pytest.mark.parametrize("body", ['{"name": "\ud800"}', "\udfff", '{"id": 7, "name": "x\udc80y"}'])
def test_lone_surrogates_are_a_frame_error(body: str) -> None:
    """Text that is not valid Unicode (as ``surrogateescape`` decoding makes) is a FrameError, not a TypeError."""
    with pytest.raises(FrameError, match="not valid Unicode"):
        decode(f"assetGeneralMerged {body}")


@given(frame_names(), json_values)
@EXAMPLES
def test_any_name_with_any_json_decodes_or_raises_one_frame_error(name: str, body: Any) -> None:
    assert_decodes_or_frame_error(f"{name} {json.dumps(body)}")


@st.composite
def near_miss_frames(draw: st.DrawFn) -> str:
    """A valid example frame with one thing wrong."""
    frame = draw(st.sampled_from(example_frames()))
    name, _, text = frame.partition(" ")
    body = json.loads(text)
    how = draw(st.sampled_from(["replace", "remove", "truncate", "insert", "retype"]))
    if how in ("replace", "remove", "retype") and body:
        key = draw(st.sampled_from(sorted(body)))
        if how == "remove":
            del body[key]
        elif how == "retype":
            body[key] = [body[key]] if not isinstance(body[key], list) else {"x": body[key]}
        else:
            body[key] = draw(json_values)
        return f"{name} {json.dumps(body)}"
    if how == "truncate":
        return frame[: draw(st.integers(0, len(frame)))]
    at = draw(st.integers(0, len(frame)))
    return frame[:at] + draw(st.text(min_size=1, max_size=3)) + frame[at:]


@given(near_miss_frames())
@EXAMPLES
def test_near_misses_of_every_message_decode_or_raise_one_frame_error(text: str) -> None:
    assert_decodes_or_frame_error(text)


def test_every_example_frame_decodes_typed() -> None:
    """The near misses start from frames that decode cleanly, so a failure above is the change's doing."""
    for frame in example_frames():
        _, message = decode(frame)
        assert not isinstance(message, UnknownFrame), (frame[:80], message.reason)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("noSpace", "no space"),
        ("1abc {}", "not a message name"),
        (" {}", "not a message name"),
        ("assetGeneralMerged [1, 2]", "not a JSON object"),
        ("assetGeneralMerged {", "not valid JSON"),
        ("assetGeneralMerged ", "not valid JSON"),
        ("fooMerged {'a': 1}", "not valid JSON"),
    ],
)
def test_malformed_frames_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(FrameError) as caught:
        decode(text)
    assert problem in caught.value.problem


# -- requests: encode, read back, same request -----------------------------------------------------------------

INTEGER_RANGES = {"byte": (0, 255), "short": (-(2**15), 2**15 - 1), "ushort": (0, 2**16 - 1)}


def value_strategy(expr: TypeExpr, depth: int = 0) -> st.SearchStrategy[Any]:
    """Any JSON value the schema allows for ``expr`` (enums: a real member; formatted strings: a valid one)."""
    if isinstance(expr, Primitive):
        if expr.json_type == "boolean":
            return st.booleans()
        if expr.json_type == "integer":
            low, high = INTEGER_RANGES.get(expr.format or "", (-(2**53), 2**53))
            return st.integers(low, high)
        if expr.json_type == "number":
            return st.floats(allow_nan=False, allow_infinity=False, width=64)
        if expr.format in STRING_EXAMPLES and expr.format is not None:
            return st.just(STRING_EXAMPLES[expr.format])
        return st.text(max_size=30)
    if isinstance(expr, ArrayOf):
        return st.lists(value_strategy(expr.items, depth + 1), max_size=0 if depth > 2 else 3)
    if isinstance(expr, MapOf):
        keys = value_strategy(expr.keys, depth + 1).map(str)
        return st.dictionaries(keys, value_strategy(expr.values, depth + 1), max_size=0 if depth > 2 else 2)
    if isinstance(expr, AnyValue):
        return json_values
    if isinstance(expr, UnionOf):  # a value of any one of the shapes
        return st.one_of([value_strategy(option, depth) for option in expr.options])
    assert isinstance(expr, Named)
    model = api()
    if expr.name in model.enums_by_name:
        return st.sampled_from([m.value for m in model.enums_by_name[expr.name].members])
    if expr.name == "ErrorCode":
        return st.sampled_from([e.code for e in model.errors])
    return fields_strategy(model.types_by_name[expr.name].fields, depth + 1)


def fields_strategy(fields: tuple[Field, ...], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    required = {f.wire_name: value_strategy(f.type, depth) for f in fields if f.required}
    optional = {} if depth > 3 else {f.wire_name: value_strategy(f.type, depth) for f in fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(_registry.COMMANDS)))
    request = api().commands_by_name[name].request
    fields = api().types_by_name[request.from_type].fields if request.from_type else request.fields
    return name, draw(fields_strategy(fields))


@given(requests(), st.integers(1, 2**31))
@EXAMPLES
def test_every_request_survives_encoding(request: tuple[str, dict[str, Any]], req_id: int) -> None:
    command, params = request
    built = build_request(command, params)
    frame = encode_frame(built, req_id)
    name, body = split_frame(frame)
    data = parse_body(body, frame)
    assert name == command and data.pop("reqId") == req_id
    again = build_request(command, data)
    assert again == built
    assert encode_frame(again, req_id) == frame  # encoding is deterministic: the same request, the same bytes


@given(requests())
@EXAMPLES
def test_bad_requests_raise_request_error_only(request: tuple[str, dict[str, Any]]) -> None:
    """A wrong value anywhere in the parameters is refused with RequestError, before anything is encoded."""
    command, params = request
    params = {**params, "notAField": 1}
    with pytest.raises(RequestError) as caught:
        encode_frame(build_request(command, params), 1)
    assert caught.value.command == command and caught.value.problems


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_not_sent_as_invalid_json(bad: float) -> None:
    """JSON has no NaN or Infinity: such a value is a RequestError naming the field, not a frame the server
    cannot parse."""
    request = build_request("mergeAsset", {"asset": {"id": 1, "engineHours": bad}})
    with pytest.raises(RequestError) as caught:
        encode_frame(request, 1)
    assert caught.value.problems == [f"asset.engine_hours: {bad} is not a JSON number"]


def test_requests_are_request_models() -> None:
    assert all(issubclass(spec.request_class, RequestModel) for spec in list(_registry.COMMANDS.values())[:20])
