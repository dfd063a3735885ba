"""The forgiving receipt's exact contract, on small hand-made models (issue 20: mutation testing found these unguarded).

``_receipt`` repairs a received body that fails validation: the innermost declared field around each problem is left
out, its value as sent kept on the object that declares it, and a ``Mismatch`` says what, where and why. The shipped
schema exercises only some shapes (no unions of a model and a map, no fixed-length tuples, no required field deep
inside a recursive type), so these tests build the shapes themselves: a union whose first member does not know the
step, a map of objects, a problem in the first item of a list, a missing tuple item, a holder lost level by level,
and a body that cannot be built at all (a ValueError that names the problem, never a crash).
"""

from __future__ import annotations

from typing import Any

import pytest
from fleetfreedom import Mismatch
from fleetfreedom._base import WireModel
from fleetfreedom._receipt import json_kind, validate_received, validate_received_data
from pydantic import BaseModel, ConfigDict, Field, model_validator

NOT_AN_INT = "Input should be a valid integer, unable to parse string as an integer"


class Inner(WireModel):
    a: int | None = None


class Strict(BaseModel):
    """A member that refuses unknown keys, so a map of objects fails it."""

    model_config = ConfigDict(extra="forbid")
    a: int | None = None


class Shapes(WireModel):
    first_item: list[Inner] | None = Field(default=None, alias="firstItem")
    by_key: dict[str, Inner] | None = Field(default=None, alias="byKey")
    model_or_map: Strict | dict[str, Inner] | None = Field(default=None, alias="modelOrMap")
    number_or_list: int | list[Inner] | None = Field(default=None, alias="numberOrList")
    pair_or_model: tuple[int, int] | Inner | None = Field(default=None, alias="pairOrModel")
    pair: tuple[int, int] | None = None


class Node(WireModel):
    id: int
    child: Node | None  # required, may be null: a Node that loses its child is lost in turn


class Tree(WireModel):
    child: Node | None = None


def chain(depth: int) -> dict[str, Any]:
    """A Tree ``depth`` Nodes deep whose innermost id does not fit: repairing it takes depth + 1 rounds."""
    node: dict[str, Any] = {"id": "bad", "child": None}
    for number in range(depth - 1):
        node = {"id": number, "child": node}
    return {"child": node}


def test_the_kind_of_a_value_as_sent_is_named_in_json_terms() -> None:
    kinds = {"object": {"a": 1}, "list": [1], "string": "x", "boolean": True, "null": None}
    for kind, value in kinds.items():
        assert json_kind(value) == kind
        assert Mismatch("Asset", "name", ("name",), value, "bad").sent_kind == kind
    assert json_kind({}) == "object" and json_kind([]) == "list" and json_kind("") == "string"
    assert json_kind(False) == "boolean"  # a bool is not counted as a number
    assert json_kind(0) == json_kind(7) == json_kind(1.5) == "number"
    assert json_kind((1, 2)) == "tuple"  # not JSON: named by its Python type


def test_a_path_is_spelt_with_dots_and_indices_and_the_whole_body_is_body() -> None:
    def path(*steps: str | int) -> str:
        return Mismatch("Asset", "x", steps, 1, "bad").path

    assert path() == "body"
    assert path("user") == "user" and path("user", "contact") == "user.contact"
    assert path("assets", 3, "name") == "assets[3].name" and path(0, "a") == "[0].a"


def test_a_problem_in_the_first_item_of_a_list_costs_only_that_items_field() -> None:
    body = {"firstItem": [{"a": "bad"}, {"a": 2}]}
    model, found = validate_received_data(Shapes, body)
    assert model.first_item is not None and [item.a for item in model.first_item] == [None, 2]
    assert model.first_item[0].wire_mismatches == {"a": "bad"} and model.wire_mismatches == {}
    assert found == (Mismatch("Inner", "a", ("firstItem", 0, "a"), "bad", NOT_AN_INT),)


def test_a_problem_inside_an_object_of_a_map_costs_only_that_objects_field() -> None:
    model, found = validate_received(Shapes, '{"byKey": {"k": {"a": "bad"}, "j": {"a": 1}}}')
    assert model.by_key is not None and model.by_key["k"].a is None and model.by_key["j"].a == 1
    assert model.by_key["k"].wire_mismatches == {"a": "bad"}
    assert [(m.owner, m.path, m.value, m.problem) for m in found] == [("Inner", "byKey.k.a", "bad", NOT_AN_INT)]


def test_in_a_union_each_member_is_asked_in_turn_for_the_step() -> None:
    """The first member (a model without that field, a number, a tuple) does not end the search: the member that
    can hold the value says where the problem is, and only the innermost field goes."""
    body = {"modelOrMap": {"k": {"a": "bad"}}, "numberOrList": [{"a": "bad"}], "pairOrModel": {"a": "bad"}}
    model, found = validate_received_data(Shapes, body)
    kept: list[Any] = [model.model_or_map["k"], model.number_or_list[0], model.pair_or_model]  # type: ignore[index]
    assert [type(item) for item in kept] == [Inner, Inner, Inner]
    assert [(item.a, item.wire_mismatches) for item in kept] == [(None, {"a": "bad"})] * 3
    assert sorted(m.path for m in found) == ["modelOrMap.k.a", "numberOrList[0].a", "pairOrModel.a"]
    assert {(m.owner, m.field, m.problem) for m in found} == {("Inner", "a", NOT_AN_INT)}


def test_a_tuple_short_of_an_item_is_left_out_whole() -> None:
    model, found = validate_received_data(Shapes, {"pair": [1], "firstItem": []})
    assert model.pair is None and model.first_item == [] and model.wire_mismatches == {"pair": [1]}
    assert found == (Mismatch("Shapes", "pair", ("pair",), [1], "Field required"),)


def test_a_holder_lost_level_by_level_is_one_record_of_the_outermost_field() -> None:
    body = chain(15)  # 16 rounds: the most a body may take
    model, found = validate_received_data(Tree, body)
    assert model.child is None and model.wire_mismatches == {"child": body["child"]}
    assert found == (Mismatch("Tree", "child", ("child",), body["child"], "Field required"),)


def test_a_body_that_needs_more_rounds_is_refused_with_what_is_left() -> None:
    with pytest.raises(ValueError) as refused:
        validate_received_data(Tree, chain(16))
    assert str(refused.value) == "cannot build Tree from this body: child.child: Field required"


def test_a_body_without_a_required_top_level_field_is_refused_naming_it() -> None:
    with pytest.raises(ValueError) as refused:
        validate_received(Node, b'{"child": null, "id": {"x": 1}}')
    assert str(refused.value) == "cannot build Node from this body: id: Field required"
    with pytest.raises(ValueError) as refused:
        validate_received(Node, '{"child": null}')
    assert str(refused.value) == "cannot build Node from this body: id: Field required"


class Checked(WireModel):
    low: int | None = None
    high: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Checked:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low above high")
        return self


def test_a_problem_with_the_whole_body_is_refused_as_the_body() -> None:
    with pytest.raises(ValueError) as refused:
        validate_received_data(Checked, {"low": 2, "high": 1})
    assert str(refused.value) == "cannot build Checked from this body: body: Value error, low above high"
    assert validate_received_data(Checked, {"low": 1, "high": 2}) == (Checked(low=1, high=2), ())


@pytest.mark.parametrize("body", ["[1, 2]", "null", '"text"', "7"])
def test_a_body_that_is_not_an_object_is_refused_as_such(body: str) -> None:
    with pytest.raises(ValueError) as refused:
        validate_received(Inner, body)
    assert str(refused.value) == "the body is not a JSON object"
