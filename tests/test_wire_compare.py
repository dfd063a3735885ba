"""``python -m generator wire``: the schema against the vendor's own clients, key by key.

A small hand-made reference (one object class, one request and reply) shows each kind of difference is found and
that an ``x-wire`` note explains it; on the real reference (beside the checkout) the schema must agree on at least
98 % of the shared keys with no unexplained difference.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE_SCHEMA, SCHEMA, run_generator

from generator.diagnostics import SchemaError
from generator.ir.nodes import Api
from generator.maintainer.wire_compare import WireReferenceError, compare, load_reference, render, vendor_kind
from generator.pipeline import DEFAULT_CATALOGUE, load_api


def _key(kind: str, optional: bool = True) -> dict[str, Any]:
    return {"kind": kind, "kind_read": kind, "kind_write": kind, "read": True, "written": True, "optional": optional}


def reference(tmp_path: Path, asset_keys: dict[str, Any], cs: dict[str, Any] | None = None) -> Path:
    folder = tmp_path / "reference"
    (folder / "vendor-wire").mkdir(parents=True)
    ts = {
        "objects": {"Asset": {"keys": asset_keys}},
        "commands": {
            "ReqAssetGet": {"keys": {"reqId": {"kind": "int:int", "optional": False}, **GET_REQUEST}},
            "ParamId": {"keys": {"id": {"kind": "int:ulong", "optional": False}}},
        },
        "cs_witness": {"Asset": {"keys": cs or {}}},
    }
    (folder / "vendor-wire" / "ts-dev.json").write_text(json.dumps(ts))
    catalogue = {"commands": [{"name": "getAsset", "ts_payloads": ["PayAssetGet"]}]}
    (folder / "commands.json").write_text(json.dumps(catalogue))
    return folder


GET_REQUEST = {
    "asset": {"kind": "object:ParamId", "optional": False},
    "includeDeleted": {"kind": "boolean", "optional": False},
}


@pytest.fixture(scope="module")
def api() -> Api:
    return load_api(SCHEMA)


def test_agreeing_keys_count_and_pass(api: Api, tmp_path: Path) -> None:
    report = compare(api, load_reference(reference(tmp_path, {"id": _key("int:ulong"), "name": _key("string")})))
    assert report.ok, render(report)
    # id and name of Asset, asset and includeDeleted of getAsset, id of ParamId (against IdKey)
    assert (report.shared, report.agreeing) == (5, 5)


def test_each_kind_of_difference_is_reported(api: Api, tmp_path: Path) -> None:
    keys = {
        "name": _key("int:int"),  # kind
        "inventedKey": _key("string"),  # missing from the schema
        "labels": _key("array<string>"),
        "kind": _key("enum:ThingType"),  # an enum of another name
    }
    cs = {"labels": {"kind": "map<string,string>"}}  # the C# witness disagrees with both
    report = compare(api, load_reference(reference(tmp_path, keys, cs)))
    problems = {d.key: d.problem for d in report.unexplained}
    assert "kind: vendor integer, schema string" in problems["name"]
    assert "the schema has no such key" in problems["inventedKey"]
    assert "C# library reads map of string" in problems["labels"]
    assert problems["kind"] == "enum: vendor ThingType, schema AssetType"
    assert not report.ok and report.agreement < 100


def test_x_wire_explains_a_difference(api: Api, tmp_path: Path) -> None:
    # schema/types/assets.yaml explains Asset.companyId (a key only the TypeScript writer emits) with x-wire absent
    report = compare(api, load_reference(reference(tmp_path, {"companyId": _key("int:ulong")})))
    assert report.ok
    [difference] = report.differences
    assert difference.key == "companyId" and difference.explanation and "TypeScript writer" in difference.explanation


def test_a_stale_note_explains_nothing(api: Api, tmp_path: Path) -> None:
    # Picture.focals is explained ("the vendor's clients call the class Rectangle", ts: array<object:Rectangle>);
    # a vendor that now reads another class makes the note stale, so the difference is unexplained again
    folder = reference(tmp_path, {})
    wire = folder / "vendor-wire" / "ts-dev.json"
    data = json.loads(wire.read_text())
    data["objects"]["Picture"] = {"keys": {"focals": _key("array<object:Frame>")}}
    wire.write_text(json.dumps(data))
    [difference] = compare(api, load_reference(folder)).differences
    assert difference.explanation is None and "x-wire says the TypeScript client reads" in difference.problem
    data["objects"]["Picture"] = {"keys": {"focals": _key("array<object:Rectangle>")}}
    wire.write_text(json.dumps(data))
    report = compare(api, load_reference(folder))
    assert report.ok and report.differences[0].explanation is not None


def test_unions_and_number_widening() -> None:
    assert vendor_kind("union(array<boolean>|weekdays)") == ("union", ("list", ("boolean",)), ("string",))
    assert vendor_kind("map<string:codified,array<int:ulong>>") == ("map", ("list", ("integer",)))
    assert vendor_kind("object:Uri") == ("string",)


def test_cli_exit_codes(tmp_path: Path) -> None:
    bad = reference(tmp_path, {"inventedKey": _key("string")})
    result = run_generator("wire", str(bad))
    assert result.returncode == 1 and "1 unexplained" in result.stdout
    missing = run_generator("wire", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "cannot read the vendor wire facts" in missing.stderr
    with pytest.raises(WireReferenceError):
        load_reference(tmp_path / "nowhere")


@pytest.mark.skipif(
    not (DEFAULT_CATALOGUE / "vendor-wire" / "ts-dev.json").is_file(),
    reason=f"vendor wire facts not found under {DEFAULT_CATALOGUE}: the real comparison needs them",
)
def test_real_schema_agrees_with_the_vendor_clients(api: Api) -> None:
    report = compare(api, load_reference(DEFAULT_CATALOGUE))
    assert report.ok, render(report)
    assert report.agreement >= 98.0 and report.shared > 1700
    # the session types are the vendor's: no difference is left on them, explained or not
    session = ("SelfUser", "SelfMachine", "RespSelfGet")
    assert not [d for d in report.differences if d.vendor_class.startswith(session) and d.key != "timezone"]


def _fixture_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = tmp_path / "schema"
    shutil.copytree(FIXTURE_SCHEMA, folder)
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (  # an alias that is another field's wire name
            "types/api.yaml",
            "company: {type: integer, format: ulong, description: Its company.}",
            "company: {type: integer, format: ulong, description: Its company., x-wire: {aliases: [id]}}",
            "alias 'id' is a field",
        ),
        (  # aliases are read by the received types' base class, not by request or reply bodies
            "commands/assets.yaml",
            "includeDeleted: {type: boolean, description: Also find deleted ones.}",
            "includeDeleted: {type: boolean, description: Also find deleted ones., x-wire: {aliases: [deleted]}}",
            "x-wire aliases are supported on type fields",
        ),
        (  # x-wire holds only its documented keys
            "types/api.yaml",
            "company: {type: integer, format: ulong, description: Its company.}",
            "company: {type: integer, format: ulong, description: Its company., x-wire: {why: because}}",
            "why",
        ),
    ],
)
def test_bad_x_wire_is_a_schema_error(tmp_path: Path, file: str, old: str, new: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        load_api(_fixture_with(tmp_path, file, old, new))
    assert any(message in str(d) for d in caught.value.diagnostics), caught.value.diagnostics


def test_x_wire_reaches_the_model_and_the_docs(tmp_path: Path) -> None:
    note = "x-wire: {note: The vendor reads a string here., ts: string, aliases: [owner]}"
    schema = _fixture_with(
        tmp_path,
        "types/api.yaml",
        "company: {type: integer, format: ulong, description: Its company.}",
        "company: {type: integer, format: ulong, description: Its company., " + note + "}",
    )
    field = load_api(schema).types_by_name["IdCompany"].field("company")
    assert field is not None and field.wire is not None
    assert (field.wire.note, field.wire.ts, field.wire.aliases) == (
        "The vendor reads a string here.",
        "string",
        ("owner",),
    )
    out = tmp_path / "out"
    assert run_generator("generate", "--schema", str(schema), "--out", str(out)).returncode == 0
    docs = "\n".join(p.read_text() for p in (out / "docs").rglob("types.md"))
    assert "*Vendor clients:* The vendor reads a string here." in docs
