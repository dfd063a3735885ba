"""Execution tests on the package generated from the fixture schema: it imports and round-trips frames."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_python

CHECKS = r"""
import fleetfreedom as ff
from fleetfreedom.commands import GetAssetRequest
from fleetfreedom.events import AssetGeneralMerged, AssetDeleted
from fleetfreedom.models import AssetType

event = ff.decode_frame('assetGeneralMerged {"id":7,"company":42,"name":"Truck","kind":"hovercraft","v":[3],"new":1}')
assert isinstance(event, AssetGeneralMerged), event
assert event.data.name == "Truck" and event.data.v == [3]
assert event.data.model_extra == {"new": 1}                      # unknown fields kept
assert event.data.kind == "hovercraft" and event.data.kind not in list(AssetType)   # unknown enum value kept

deleted = ff.decode_frame('assetDeleted {"id":7,"company":42}')
assert isinstance(deleted, AssetDeleted) and deleted.data.id == 7

assert ff.encode_frame(GetAssetRequest(asset=42), req_id=1) == 'getAsset {"reqId":1,"asset":{"id":42}}'
try:
    ff.encode_frame(ff.build_request("mergeAsset", {"asset": {"kind": "hovercraft"}}), 2)
except ff.RequestError as exc:
    assert "unknown AssetType value 'hovercraft'" in str(exc), exc
else:
    raise AssertionError("an unknown enum value was sent")
print("ok")
"""


def test_fixture_package_round_trips(fixture_output: Path) -> None:
    result = run_python(CHECKS, pythonpath=fixture_output)
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.strip() == "ok"


def test_descriptions_with_code_stay_text(tmp_path: Path) -> None:
    """Quotes, triple quotes, backslashes, newlines and template syntax in a description land as text."""
    import shutil

    from conftest import FIXTURE_SCHEMA, run_generator

    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, schema)
    evil = 'Ends with a quote" and \\ backslash """ triple\nimport os; os._exit(3)\n{{ 7 * 7 }} {% raw %} <b>x</b>'
    errors = schema / "errors.yaml"
    errors.write_text(
        errors.read_text().replace("description: No asset has that id.", f"description: {json.dumps(evil)}")
    )
    out = tmp_path / "out"
    result = run_generator("generate", "--schema", str(schema), "--out", str(out))
    assert result.returncode == 0, result.stderr
    check = run_python(
        "import inspect, fleetfreedom.errors as e, fleetfreedom.events, fleetfreedom.models.assets;"
        "print(inspect.getdoc(e.AssetNotFound))",
        pythonpath=out,
    )
    assert check.returncode == 0, check.stderr
    assert evil in check.stdout
