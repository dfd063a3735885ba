"""Frames on the wire: ``name<space>{JSON}``. Decoding never raises for a well-formed frame.

``decode_frame`` gives the typed message (a command's response model, a pushed event, or ``UnknownFrame`` for a
name the SDK does not know). A known frame whose body does not fully match the schema is still typed: the fields
that do not match are left out and kept aside (``_receipt``); ``decode_reporting`` also says which they were.
``encode_frame`` gives the wire string of a request. Both are pure functions: no I/O, no state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import pydantic_core
from pydantic import BaseModel, ValidationError

from ._base import RequestModel, outgoing_problems
from ._events import ServerMessage, UnknownFrame
from ._exceptions import FrameError, RequestError
from ._receipt import Mismatch, validate_received
from ._registry import COMMANDS, MESSAGES, REPLY_PATH, REQUEST_NAMES
from ._specs import CommandSpec, resolve

Decoded: TypeAlias = BaseModel | ServerMessage[BaseModel] | UnknownFrame
Mismatches: TypeAlias = tuple[Mismatch, ...]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_RESPONSE_SUFFIX = "Response"
UNKNOWN_COMMAND_REPLY = "unknownCommandResponse"


def split_frame(text: str) -> tuple[str, str]:
    """``'getAsset {"reqId":1}'`` -> ``("getAsset", '{"reqId":1}')``; the name ends at the first space."""
    name, space, body = text.partition(" ")
    if not space:
        raise FrameError("frame has no space between its name and its JSON body", text)
    if not _NAME.match(name):
        raise FrameError("frame name is not a message name (letters and digits, starting with a letter)", text)
    return name, body


def parse_body(body: str, frame: str) -> dict[str, Any]:
    """The JSON object of a frame body, or one FrameError saying what is wrong with it."""
    try:
        data = pydantic_core.from_json(body)
    except ValueError as exc:
        raise FrameError(f"frame body is not valid JSON ({exc})", frame) from None
    except TypeError:  # pydantic_core refuses a str it cannot encode as UTF-8 (lone surrogates)
        raise FrameError("frame body is not valid Unicode text (lone surrogate)", frame) from None
    if not isinstance(data, dict):
        raise FrameError("frame body is not a JSON object", frame)
    return data


def _validate(cls: type[BaseModel], name: str, body: str, frame: str) -> tuple[BaseModel | UnknownFrame, Mismatches]:
    """The body as ``cls``; a field that does not match the schema is left out and reported, not fatal."""
    try:
        return validate_received(cls, body)
    except ValueError as exc:  # not a JSON object (FrameError below), or a required top-level field is unusable
        data = parse_body(body, frame)
        return UnknownFrame(name, data, reason=str(exc)), ()
    except TypeError:  # not encodable as UTF-8: parse_body raises the FrameError that says so
        parse_body(body, frame)
        raise


# Frame name -> a decoder of its body, for names already decoded once (so the model's validator is built): the hot
# path of a sync stream is then one dict lookup and one validate_json call on the body, parsed once, in Rust.
_FAST: dict[str, Callable[[str], Decoded]] = {}


def decode(text: str) -> tuple[str, Decoded]:
    """The frame's name and its typed message. Raises FrameError only for a frame that is not well formed."""
    name, space, body = text.partition(" ")
    fast = _FAST.get(name) if space else None
    if fast is not None:
        try:
            return name, fast(body)
        except (ValidationError, TypeError):
            pass  # the full path below repairs the body (or says why the frame is malformed)
    name, message, _ = _decode(text)
    return name, message


def decode_reporting(text: str) -> tuple[str, Decoded, Mismatches]:
    """As ``decode``, plus the fields that did not match the schema (empty when the body matched)."""
    name, space, body = text.partition(" ")
    fast = _FAST.get(name) if space else None
    if fast is not None:
        try:
            return name, fast(body), ()
        except (ValidationError, TypeError):
            pass
    return _decode(text)


def _decode(text: str) -> tuple[str, Decoded, Mismatches]:
    name, body = split_frame(text)
    message = MESSAGES.get(name)
    if message is not None:
        payload, mismatches = _validate(message.payload_class, name, body, text)
        if isinstance(payload, UnknownFrame):
            return name, payload, ()
        _FAST[name] = _event_decoder(message.payload_class, message.event_class)
        return name, message.event_class(payload), mismatches
    if name.endswith(_RESPONSE_SUFFIX):
        command = COMMANDS.get(name[: -len(_RESPONSE_SUFFIX)])
        cls = command.response_class if command is not None else None
        if cls is None and name == UNKNOWN_COMMAND_REPLY:
            cls = resolve(REPLY_PATH)
        if cls is not None:
            reply, mismatches = _validate(cls, name, body, text)
            if not isinstance(reply, UnknownFrame):
                _FAST[name] = cls.__pydantic_validator__.validate_json
            return name, reply, mismatches
    return name, UnknownFrame(name, parse_body(body, text)), ()


def _event_decoder(payload_class: type[BaseModel], event_class: Any) -> Callable[[str], Decoded]:
    validate = payload_class.__pydantic_validator__.validate_json

    def decode_event(body: str) -> Decoded:
        return event_class(validate(body))  # type: ignore[no-any-return]

    return decode_event


def decode_frame(text: str) -> Decoded:
    """A frame as a typed message: the command's response model, a pushed event, or ``UnknownFrame``."""
    return decode(text)[1]


# Request class -> its command, filled on first use (the registry is keyed by import path, built per request before).
_COMMAND_OF: dict[type[RequestModel], CommandSpec] = {}


def command_of(request: RequestModel) -> CommandSpec:
    cls = type(request)
    spec = _COMMAND_OF.get(cls)
    if spec is None:
        name = REQUEST_NAMES.get(f"{cls.__module__}:{cls.__qualname__}")
        if name is None:
            raise TypeError(f"{cls.__qualname__} is not a generated request class")
        spec = _COMMAND_OF[cls] = COMMANDS[name]
    return spec


def build_request(command: str, params: BaseModel | dict[str, Any] | None = None) -> RequestModel:
    """Validate ``params`` as the body of ``command``; problems raise RequestError before anything is sent."""
    spec = COMMANDS.get(command)
    if spec is None:
        raise RequestError(command, ["unknown command"])
    cls = spec.request_class
    if isinstance(params, cls):
        request: RequestModel = params
    else:
        if isinstance(params, BaseModel):
            params = params.model_dump(by_alias=True, exclude_unset=True)
        try:
            request = cls.model_validate(params or {})
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_url=False)
            ]
            raise RequestError(command, problems) from None
    return request


def encode_frame(request: RequestModel, req_id: int | None = None, extra_body: Mapping[str, Any] | None = None) -> str:
    """The wire string of a request: ``'getCompany {"reqId":1,"company":{"id":42}}'``.

    Unknown fields or enum values anywhere in the request raise RequestError: what we send is strict.
    ``extra_body`` adds top-level fields the schema does not know (or replaces a typed field's value) as given,
    unchecked: the escape hatch for what the server accepts before the schema says so.
    """
    spec = command_of(request)
    problems = outgoing_problems(request)
    if problems:
        raise RequestError(spec.name, problems)
    if extra_body:
        return spec.name + " " + _with_extra(spec.name, request, req_id, extra_body)
    # Serialized in pydantic-core (one pass, no intermediate dict); outgoing_problems has refused NaN and Infinity,
    # which JSON cannot carry (pydantic would write null). reqId goes first, as the vendor's clients send it.
    fields = request.model_dump_json(by_alias=True, exclude_unset=True)
    if req_id is None:
        return spec.name + " " + fields
    return f'{spec.name} {{"reqId":{int(req_id)}{"," if fields != "{}" else ""}{fields[1:]}'


def _with_extra(command: str, request: RequestModel, req_id: int | None, extra_body: Mapping[str, Any]) -> str:
    if "reqId" in extra_body:
        raise RequestError(command, ["extra_body.reqId: the client numbers its requests itself"])
    body: dict[str, Any] = {} if req_id is None else {"reqId": int(req_id)}
    body.update(request.model_dump(mode="json", by_alias=True, exclude_unset=True))
    body.update(extra_body)
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:  # not JSON: say so before anything is sent
        raise RequestError(command, [f"extra_body: {exc}"]) from None


def encode_raw(name: str, body: dict[str, Any]) -> str:
    """A frame from a name and a plain dict (for replies and pushes written by the emulator)."""
    return name + " " + json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
