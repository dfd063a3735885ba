"""Enums are open on receipt and closed in code: a reply from a newer server with a value this SDK does not know
still decodes (the value is kept), while ``AssetType("spaceship")`` in user code is a ValueError and such a value
is never sent (issue 13 item 9)."""

from __future__ import annotations

import pytest
from fleetfreedom import RequestError, build_request, decode_frame, encode_frame
from fleetfreedom.commands.assets import GetAssetResponse
from fleetfreedom.models.assets import AssetType


def test_an_unknown_value_in_code_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="spaceship"):
        AssetType("spaceship")
    assert AssetType("vehicle") is AssetType.VEHICLE


def test_an_unknown_value_received_is_kept() -> None:
    reply = decode_frame('getAssetResponse {"reqId":1,"errorCode":0,"asset":{"id":7,"kind":"spaceship"}}')
    assert isinstance(reply, GetAssetResponse)
    assert reply.asset is not None and reply.asset.kind is not None
    assert reply.asset.kind.value == "spaceship" and isinstance(reply.asset.kind, AssetType)
    assert reply.asset.to_wire()["kind"] == "spaceship"  # kept as received
    known = decode_frame('getAssetResponse {"reqId":1,"errorCode":0,"asset":{"id":7,"kind":"trailer"}}')
    assert isinstance(known, GetAssetResponse) and known.asset is not None and known.asset.kind is AssetType.TRAILER


def test_an_unknown_value_is_not_sent() -> None:
    request = build_request("mergeAsset", {"asset": {"id": 7, "kind": "spaceship"}})
    with pytest.raises(RequestError, match="unknown AssetType value 'spaceship'"):
        encode_frame(request, 1)
