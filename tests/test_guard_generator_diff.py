"""Guards on the schema diff's classification (issue 20, mutation testing of generator/maintainer/diff.py).

What a maintainer trusts the diff for is the impact of each change: it picks the version bump and the changelog's
"breaking" list. These tests build two small API models in code (no YAML, so each is fast) and check the impact
of one change at a time against the rules in diff.py's docstring: field type changes as Python sees them
(integer ranges, number precision, string formats, enums, arrays, maps, unions, untyped), in each direction of
use (sent, received, both), required/optional, defaults and constraints, and enum members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Literal

import pytest

from generator.ir.nodes import (
    AnyValue,
    Api,
    ArrayOf,
    Command,
    Constraints,
    Endpoint,
    EnumMember,
    EnumType,
    ErrorCodeDef,
    Field,
    FieldSet,
    MapOf,
    Message,
    Named,
    ObjectType,
    Origin,
    Primitive,
    Section,
    Service,
    Subscription,
    TypeExpr,
    UnionOf,
)
from generator.maintainer.diff import Change, Impact, Location, SchemaDiff, Use, diff_apis, effective_fields, usage

UseName = Literal["sent", "received", "both"]

SERVICE = Service(
    name="Fleet",
    package="pkg",
    version="1.0.0",
    description="A service.",
    endpoints=(Endpoint("wss://one", "The one.", True),),
    frame_grammar="name json",
    frame_separator=" ",
    frame_description="Frames.",
    request_envelope=(),
    reply_envelope=(),
)


STRING = Primitive("string")


def field(wire: str, type: TypeExpr = STRING, required: bool = False, **extra: object) -> Field:
    python = "".join(f"_{c.lower()}" if c.isupper() else c for c in wire)
    return Field(wire, python, type, required, f"The {wire}.", origin=Origin("types.yaml", ("types", wire)), **extra)  # type: ignore[arg-type]


def command(name: str, request: tuple[Field, ...] = (), response: tuple[Field, ...] = (), **extra: object) -> Command:
    return Command(
        name=name,
        section="main",
        verb="get",
        object=None,
        description=f"The {name} command.",
        evidence=(),
        request=FieldSet(request),
        response=FieldSet(response),
        errors=(),
        emits=(),
        resource="main",
        method=name,
        request_class=f"{name.title()}Request",
        response_class=f"{name.title()}Response",
        origin=Origin("commands.yaml", ("commands", name)),
        **extra,  # type: ignore[arg-type]
    )


def api(
    types: tuple[ObjectType, ...] = (), enums: tuple[EnumType, ...] = (), commands: tuple[Command, ...] = ()
) -> Api:
    return Api(SERVICE, (), types, enums, (), commands, (), (), ())


def thing(*fields: Field) -> ObjectType:
    return ObjectType("Thing", "main", "A thing.", fields, origin=Origin("types.yaml", ("types", "Thing")))


def users(use: UseName) -> tuple[Command, ...]:
    """Commands that send Thing, receive it, or both."""
    sends = command("put", request=(field("thing", Named("Thing"), required=True),))
    receives = command("fetch", response=(field("thing", Named("Thing"), required=True),))
    return {"sent": (sends,), "received": (receives,), "both": (sends, receives)}[use]


def type_field_diff(
    before: Field | None, after: Field | None, use: UseName, enums: tuple[EnumType, ...] = ()
) -> SchemaDiff:
    """The diff of Thing's field ``x`` (absent on a side when None), Thing being ``use``d by the commands."""
    old = api((thing(*([before] if before else [])),), enums, users(use))
    new = api((thing(*([after] if after else [])),), enums, users(use))
    return diff_apis(old, new)


def the(diff: SchemaDiff, **expected: object) -> Change:
    found = [c for c in diff.changes if all(getattr(c, k) == v for k, v in expected.items())]
    assert len(found) == 1, f"expected one change with {expected}, got:\n" + "\n".join(map(repr, diff.changes))
    return found[0]


def type_change(old: TypeExpr, new: TypeExpr, use: UseName, enums: tuple[EnumType, ...] = ()) -> Impact:
    diff = type_field_diff(field("x", old), field("x", new), use, enums)
    change = the(diff, subject="Thing.x")
    assert change.action == "changed" and change.area == "type field"
    return change.impact


B, F, P = Impact.BREAKING, Impact.FEATURE, Impact.PATCH


def integer(fmt: str | None = None) -> Primitive:
    return Primitive("integer", fmt)


def number(fmt: str | None = None) -> Primitive:
    return Primitive("number", fmt)


def string(fmt: str | None = None) -> Primitive:
    return Primitive("string", fmt)


COLOUR = EnumType(
    "Colour",
    "main",
    "string",
    "A colour.",
    (EnumMember("red", "RED", "red", "Red."), EnumMember("blue", "BLUE", "blue", "Blue.")),
    origin=Origin("enums.yaml", ("enums", "Colour")),
)
LEVEL = EnumType(
    "Level", "main", "integer", "A level.", (EnumMember("low", "LOW", 1, "Low."),), origin=Origin("enums.yaml", ())
)

# (old type, new type, impact when sent, when received): the docstring's table, as Python sees the types.
WIDENINGS: list[tuple[str, TypeExpr, TypeExpr]] = [
    ("int -> long", integer("int"), integer("long")),
    ("byte -> ushort", integer("byte"), integer("ushort")),
    ("ushort -> int", integer("ushort"), integer("int")),
    ("short -> int", integer("short"), integer("int")),
    ("uint -> long", integer("uint"), integer("long")),
    ("long -> integer", integer("long"), integer()),
    ("integer -> number", integer("long"), number()),
    ("plain integer -> number(float)", integer(), number("float")),
    ("float -> double", number("float"), number("double")),
    ("double -> number", number("double"), number()),
    ("date -> string", string("date"), string()),
    ("uuid -> string", string("uuid"), string()),
    ("string enum -> string", Named("Colour"), string()),
    ("integer enum -> integer", Named("Level"), integer()),
    ("array<int> -> array<long>", ArrayOf(integer("int")), ArrayOf(integer("long"))),
    ("map values int -> long", MapOf(integer("int")), MapOf(integer("long"))),
    ("string -> any", string(), AnyValue()),
    ("string -> string | integer", string(), UnionOf((integer(), string()))),
    ("int | short -> long", UnionOf((integer("int"), integer("short"))), integer("long")),
]
UNRELATED: list[tuple[str, TypeExpr, TypeExpr]] = [
    ("int <-> uint (overlapping ranges)", integer("int"), integer("uint")),
    ("long <-> ulong", integer("long"), integer("ulong")),
    ("string <-> integer", string(), integer()),
    ("integer <-> boolean", integer(), Primitive("boolean")),
    ("string <-> datetime", string(), string("datetime")),
    ("date <-> uuid", string("date"), string("uuid")),
    ("number <-> string", number(), string()),
    ("string enum <-> integer", Named("Colour"), integer()),
    ("array <-> map", ArrayOf(string()), MapOf(string())),
    ("map keys string <-> an integer enum", MapOf(string()), MapOf(string(), keys=Named("Level"))),
    ("two unions without a common member", UnionOf((integer(), string())), UnionOf((integer(), Primitive("boolean")))),
]


@pytest.mark.parametrize(("old", "new"), [w[1:] for w in WIDENINGS], ids=[w[0] for w in WIDENINGS])
def test_a_widened_type_is_a_feature_when_sent_and_breaks_what_is_received(old: TypeExpr, new: TypeExpr) -> None:
    enums = (COLOUR, LEVEL)
    assert type_change(old, new, "sent", enums) is F
    assert type_change(old, new, "received", enums) is B
    assert type_change(old, new, "both", enums) is B
    # and narrowed back: breaks what is sent, a patch for what is received
    assert type_change(new, old, "sent", enums) is B
    assert type_change(new, old, "received", enums) is P


@pytest.mark.parametrize(("old", "new"), [u[1:] for u in UNRELATED], ids=[u[0] for u in UNRELATED])
def test_an_unrelated_type_change_breaks_either_way(old: TypeExpr, new: TypeExpr) -> None:
    enums = (COLOUR, LEVEL)
    for use in ("sent", "received"):
        assert type_change(old, new, use, enums) is B, use
        assert type_change(new, old, use, enums) is B, use


def test_an_unchanged_type_is_no_change() -> None:
    same = field("x", ArrayOf(integer("int")))
    assert type_field_diff(same, same, "both").changes == ()


def test_a_type_change_says_why_in_full() -> None:
    """The record a changelog is written from: summary, reason, location and both types, as the schema writes them."""
    sent = the(type_field_diff(field("x", integer("long")), field("x", integer("int")), "sent"), subject="Thing.x")
    assert sent == Change(
        Impact.BREAKING,
        "changed",
        "type field",
        "Thing.x",
        "type field 'x' of Thing: type integer(long) -> integer(int)",
        "it is sent: values that were valid before are now rejected",
        Location("types.yaml", ("types", "x"), "new"),
        "integer(long)",
        "integer(int)",
    )
    both = the(type_field_diff(field("x", string()), field("x", integer()), "both"), subject="Thing.x")
    assert both.reason == (
        "it is sent: values that were valid before are now rejected; "
        "it is received: code reading it gets values of a type it did not expect"
    )
    received = the(
        type_field_diff(field("x", integer("int")), field("x", integer("long")), "received"), subject="Thing.x"
    )
    assert received.reason == "it is received: code reading it gets values of a type it did not expect"
    widened = the(type_field_diff(field("x", integer("int")), field("x", integer("long")), "sent"), subject="Thing.x")
    assert (widened.impact, widened.reason) == (F, "accepts more values than before")
    narrowed = the(
        type_field_diff(field("x", integer("long")), field("x", integer("int")), "received"), subject="Thing.x"
    )
    assert (narrowed.impact, narrowed.reason) == (P, "")


def test_types_are_described_as_the_schema_writes_them() -> None:
    old = MapOf(ArrayOf(Named("Colour")), keys=Named("Colour"))
    new = UnionOf((AnyValue(), number("double"), Primitive("boolean")))
    change = the(type_field_diff(field("x", old), field("x", new), "received", (COLOUR,)), subject="Thing.x")
    assert (change.old, change.new) == ("map<Colour, array<Colour>>", "any | number(double) | boolean")


# --------------------------------------------------------------------------------------------- fields added, removed


def where(side: Literal["old", "new"], *path: str) -> Location:
    return Location("types.yaml", path, side)


@pytest.mark.parametrize(("use", "impact"), [("sent", B), ("received", F), ("both", B)])
def test_a_new_required_field(use: UseName, impact: Impact) -> None:
    added = field("serialNo", integer("long"), required=True)
    change = the(type_field_diff(None, added, use), subject="Thing.serialNo")
    if impact is B:
        assert change == Change(
            B,
            "added",
            "type field",
            "Thing.serialNo",
            "new required type field 'serialNo' of Thing (`serial_no`)",
            "it is sent by the client: existing calls and objects that omit it are rejected",
            where("new", "types", "serialNo"),
            None,
            "integer(long)",
            "The serialNo.",
            "pass `serial_no` in every call",
        )
    else:
        assert change == Change(
            F,
            "added",
            "type field",
            "Thing.serialNo",
            "new required type field 'serialNo' of Thing (`serial_no`)",
            "",
            where("new", "types", "serialNo"),
            None,
            "integer(long)",
            "The serialNo.",
        )


def test_a_new_optional_field_is_a_feature_either_way() -> None:
    for use in ("sent", "received", "both"):
        change = the(type_field_diff(None, field("name"), use), subject="Thing.name")
        assert change == Change(
            F,
            "added",
            "type field",
            "Thing.name",
            "new optional type field 'name' of Thing",  # no Python name: it is the wire name
            "",
            where("new", "types", "name"),
            None,
            "string",
            "The name.",
        ), use


def test_a_field_without_its_own_origin_is_located_at_its_holder() -> None:
    bare = replace(field("name"), origin=None)
    added = the(type_field_diff(None, bare, "sent"), subject="Thing.name")
    assert added.location == where("new", "types", "Thing", "properties")
    removed = the(type_field_diff(bare, None, "sent"), subject="Thing.name")
    assert removed.location == where("old", "types", "Thing", "properties")


@pytest.mark.parametrize(
    ("use", "reason"),
    [
        ("sent", "callers that pass `serial_no` get an unknown-field error"),
        ("received", "code that reads `serial_no` fails"),
        ("both", "callers that pass `serial_no` get an unknown-field error; code that reads `serial_no` fails"),
    ],
)
def test_a_removed_field_breaks_and_says_how(use: UseName, reason: str) -> None:
    change = the(type_field_diff(field("serialNo", integer("long")), None, use), subject="Thing.serialNo")
    assert change == Change(
        B,
        "removed",
        "type field",
        "Thing.serialNo",
        "type field 'serialNo' of Thing removed",
        reason,
        where("old", "types", "serialNo"),
        "integer(long)",
        None,
        "",
        "stop using `Thing.serial_no`",
    )


def test_a_removed_field_names_its_replacement() -> None:
    gone = field("serialNo", replaced_by="serial")
    change = the(type_field_diff(gone, None, "received"), subject="Thing.serialNo")
    assert change.migration == "stop using `Thing.serial_no`; use serial"


def test_removed_request_and_response_fields_name_what_holds_them() -> None:
    old = api(commands=(command("put", request=(field("a"),), response=(field("b"),)),))
    new = api(commands=(command("put"),))
    diff = diff_apis(old, new)
    request = the(diff, subject="put.request.a")
    assert (request.area, request.migration) == ("request field", "stop using `request.a`")
    assert request.reason == "callers that pass `a` get an unknown-field error"
    response = the(diff, subject="put.response.b")
    assert (response.area, response.migration) == ("response field", "stop using `reply.b`")
    assert response.reason == "code that reads `b` fails"
    back = diff_apis(new, old)
    assert the(back, subject="put.request.a").impact is F and the(back, subject="put.response.b").impact is F


def test_a_field_renamed_in_place_is_named_as_such() -> None:
    old = api((thing(field("serialNo", integer("long")), field("name")),), (), users("received"))
    new = api((thing(field("serial", integer("long")), field("name")),), (), users("received"))
    diff = diff_apis(old, new)
    removed = the(diff, subject="Thing.serialNo")
    assert (
        removed.summary
        == "type field 'serialNo' of Thing removed: probably renamed to 'serial' (same type, same place)"
    )
    assert removed.migration == "`Thing.serial_no` is now `Thing.serial`"
    added = the(diff, subject="Thing.serial")
    assert added.summary == "new optional type field 'serial' of Thing (probably the new name of 'serialNo')"
    assert [c.subject for c in diff.changes] == ["Thing.serialNo", "Thing.serial"]


# --------------------------------------------------------------------------------------------- fields changed


def changed(before: Field, after: Field, use: UseName) -> list[Change]:
    return [c for c in type_field_diff(before, after, use).changes if c.subject == "Thing.x"]


def test_a_python_name_change_breaks_either_way() -> None:
    for use in ("sent", "received"):
        (change,) = changed(field("x"), replace(field("x"), python_name="ex"), use)
        assert change == Change(
            B,
            "renamed",
            "type field",
            "Thing.x",
            "type field 'x' of Thing: Python name `x` is now `ex`",
            "code using the old attribute or keyword fails",
            where("new", "types", "x"),
            "x",
            "ex",
        )


@pytest.mark.parametrize(
    ("use", "impact", "reason"),
    [
        ("sent", B, "it is sent by the client: calls that omit it are rejected"),
        ("received", P, "always present now (the attribute is no longer Optional)"),
        ("both", B, "it is sent by the client: calls that omit it are rejected"),
    ],
)
def test_a_field_made_required(use: UseName, impact: Impact, reason: str) -> None:
    (change,) = changed(field("x"), field("x", required=True), use)
    assert change == Change(
        impact,
        "changed",
        "type field",
        "Thing.x",
        "type field 'x' of Thing is now required",
        reason,
        where("new", "types", "x"),
        "optional",
        "required",
    )


@pytest.mark.parametrize(
    ("use", "impact", "reason"),
    [
        ("sent", F, "callers may now leave it out"),
        ("received", B, "it is received: it may now be missing (None), which old code does not expect"),
        ("both", B, "it is received: it may now be missing (None), which old code does not expect"),
    ],
)
def test_a_field_made_optional(use: UseName, impact: Impact, reason: str) -> None:
    (change,) = changed(field("x", required=True), field("x"), use)
    assert change == Change(
        impact,
        "changed",
        "type field",
        "Thing.x",
        "type field 'x' of Thing is now optional",
        reason,
        where("new", "types", "x"),
        "required",
        "optional",
    )


@pytest.mark.parametrize(
    ("use", "impact", "reason"),
    [
        ("sent", P, "defaults of sent fields are not sent"),
        ("received", B, "an absent value now reads differently"),
        ("both", B, "an absent value now reads differently"),
    ],
)
def test_a_changed_default(use: UseName, impact: Impact, reason: str) -> None:
    (change,) = changed(field("x", default="a", has_default=True), field("x", default="b", has_default=True), use)
    assert change == Change(
        impact,
        "changed",
        "type field",
        "Thing.x",
        "type field 'x' of Thing: default 'a' -> 'b'",
        reason,
        where("new", "types", "x"),
        "'a'",
        "'b'",
    )


def test_a_default_added_or_dropped() -> None:
    (added,) = changed(field("x"), field("x", default=0, has_default=True), "received")
    assert (added.impact, added.summary, added.old, added.new) == (
        B,
        "type field 'x' of Thing: default none -> 0",
        "none",
        "0",
    )
    (dropped,) = changed(field("x", default=None, has_default=True), field("x"), "received")
    assert (dropped.impact, dropped.old, dropped.new) == (B, "None", "none")  # a default of None is still a default


def limits(minimum: float | None = None, maximum: float | None = None, max_length: int | None = None) -> Field:
    return field("x", integer(), constraints=Constraints(minimum, maximum, max_length))


CONSTRAINTS: list[tuple[str, Field, Field, bool]] = [
    # (what, before, after, tighter: the server rejects some value it accepted)
    ("a maximum lowered", limits(maximum=10), limits(maximum=9), True),
    ("a maximum raised", limits(maximum=10), limits(maximum=11), False),
    ("a maximum added", limits(), limits(maximum=10), True),
    ("a maximum dropped", limits(maximum=10), limits(), False),
    ("a minimum raised", limits(minimum=0), limits(minimum=1), True),
    ("a minimum lowered", limits(minimum=0), limits(minimum=-1), False),
    ("a minimum added", limits(), limits(minimum=0), True),
    ("a minimum dropped", limits(minimum=0), limits(), False),
    ("a maxLength lowered", limits(max_length=50), limits(max_length=49), True),
    ("a maxLength raised", limits(max_length=50), limits(max_length=51), False),
    ("a maxLength added", limits(), limits(max_length=5), True),
    ("a maxLength dropped", limits(max_length=5), limits(), False),
    ("minimum lowered, maximum kept", limits(0, 10, 5), limits(-1, 10, 5), False),
    ("maximum raised, minimum kept", limits(0, 10, 5), limits(0, 11, 5), False),
    ("maxLength raised, the rest kept", limits(0, 10, 5), limits(0, 10, 6), False),
    ("only the minimum tightened", limits(0, 10, 5), limits(1, 11, 6), True),
    ("only the maximum tightened", limits(0, 10, 5), limits(-1, 9, 6), True),
    ("only the maxLength tightened", limits(0, 10, 5), limits(-1, 11, 4), True),
]


@pytest.mark.parametrize(("before", "after", "tighter"), [c[1:] for c in CONSTRAINTS], ids=[c[0] for c in CONSTRAINTS])
def test_constraints_break_only_what_is_sent_and_only_when_tighter(before: Field, after: Field, tighter: bool) -> None:
    (sent,) = changed(before, after, "sent")
    assert sent.impact is (B if tighter else P)
    assert sent.reason == ("the server now rejects values it accepted before" if tighter else "")
    (received,) = changed(before, after, "received")
    assert (received.impact, received.reason) == (P, "")


def test_constraints_are_described() -> None:
    (change,) = changed(limits(0, 10.5, 5), limits(), "sent")
    assert change.summary == "type field 'x' of Thing: constraints minimum 0, maximum 10.5, maxLength 5 -> none"
    assert (change.old, change.new) == ("minimum 0, maximum 10.5, maxLength 5", "none")
    # a whole float reads without its ".0"; an integer is written out in full, however long
    (change,) = changed(limits(), limits(2.0, None, 1234567), "sent")
    assert change.new == "minimum 2, maxLength 1234567"


def test_several_changes_of_one_field_are_each_reported() -> None:
    before = field("x", integer("int"), default=1, has_default=True)
    after = replace(field("x", integer("long"), required=True, default=2, has_default=True), python_name="ex")
    actions = sorted((c.action, c.impact) for c in changed(before, after, "sent"))
    assert actions == sorted([("renamed", B), ("changed", F), ("changed", B), ("changed", P)])


# --------------------------------------------------------------------------------------------- which way a type travels

Build = Callable[[ObjectType], Api]  # a model holding the given Thing


def use_seen(old: Build, new: Build | None = None) -> str:
    """Which way the diff takes Thing to travel, read from the impacts of making its field ``x`` required
    (breaks what is sent) and optional (breaks what is received)."""
    new = new or old
    optional, required = thing(field("x")), thing(field("x", required=True))
    to_required = the(diff_apis(old(optional), new(required)), subject="Thing.x").impact
    to_optional = the(diff_apis(old(required), new(optional)), subject="Thing.x").impact
    return {(B, F): "sent", (P, B): "received", (B, B): "both"}[(to_required, to_optional)]


def with_thing(*commands: Command, messages: tuple[Message, ...] = (), service: Service = SERVICE) -> Build:
    def build(t: ObjectType) -> Api:
        return Api(service, (), (t, *OTHERS), (), (), commands, (), messages, ())

    return build


OTHERS = (
    ObjectType("Outer", "main", "Holds things.", (field("things", MapOf(ArrayOf(Named("Thing")))),)),
    ObjectType("Other", "main", "Something else.", (field("y"),)),
)
TO_THING = field("thing", Named("Thing"))


def test_a_type_is_sent_when_a_request_reaches_it() -> None:
    assert use_seen(with_thing(command("put", request=(TO_THING,)))) == "sent"
    assert use_seen(with_thing(command("put", request=(field("outer", Named("Outer")),)))) == "sent"  # through Outer
    put_thing = replace(command("put"), request=FieldSet((), from_type="Thing"))
    assert use_seen(with_thing(put_thing)) == "sent"
    in_envelope = replace(SERVICE, request_envelope=(TO_THING,))
    assert use_seen(with_thing(service=in_envelope)) == "sent"


def test_a_type_is_received_when_a_reply_or_a_message_reaches_it() -> None:
    assert use_seen(with_thing(command("get", response=(field("outer", Named("Outer")),)))) == "received"
    get_thing = replace(command("get"), response=FieldSet((), from_type="Thing"))
    assert use_seen(with_thing(get_thing)) == "received"
    in_envelope = replace(SERVICE, reply_envelope=(TO_THING,))
    assert use_seen(with_thing(service=in_envelope)) == "received"
    pushed = Message("thingMerged", "merged", "Thing", False, "A thing changed.", (), "ThingMerged", "Thing")
    assert use_seen(with_thing(messages=(pushed,))) == "received"


def test_a_type_reached_both_ways_is_both() -> None:
    both = with_thing(command("put", request=(TO_THING,)), command("get", response=(field("o", Named("Outer")),)))
    assert use_seen(both) == "both"
    around = replace(SERVICE, request_envelope=(TO_THING,))  # sent by the envelope, received in a reply
    assert use_seen(with_thing(command("get", response=(TO_THING,)), service=around)) == "both"


def test_every_root_is_followed_even_after_one_seen_twice() -> None:
    twice = command("put", request=(TO_THING, field("a", Named("Other")), field("b", Named("Other"))))
    assert use_seen(with_thing(twice)) == "sent"
    several = command("put", request=(TO_THING,)), command("put2", request=(field("o", Named("Other")),))
    assert use_seen(with_thing(*several)) == "sent"
    replies = command("get", response=(TO_THING,)), command("get2", response=(field("o", Named("Other")),))
    assert use_seen(with_thing(*replies)) == "received"


def test_a_type_that_holds_itself() -> None:
    def build(t: ObjectType) -> Api:
        looped = replace(t, fields=(*t.fields, field("parent", Named("Thing"))))
        return Api(SERVICE, (), (looped,), (), (), (command("put", request=(TO_THING,)),), (), (), ())

    assert use_seen(build) == "sent"


def test_an_unreached_type_is_judged_by_the_new_model_or_else_as_both() -> None:
    nobody = with_thing()
    assert use_seen(nobody) == "both"
    assert use_seen(nobody, with_thing(command("put", request=(TO_THING,)))) == "sent"
    assert use_seen(nobody, with_thing(command("get", response=(TO_THING,)))) == "received"
    # reached in the old model: the old use counts (existing users only use what existed)
    assert (
        use_seen(with_thing(command("get", response=(TO_THING,))), with_thing(command("put", request=(TO_THING,))))
        == "received"
    )


# --------------------------------------------------------------------------------------------- enum members


def colour(*members: EnumMember) -> EnumType:
    return replace(COLOUR, members=members)


RED, BLUE = COLOUR.members
GREEN = EnumMember("green", "GREEN", "green", "Green.")
MEMBERS = "enums.yaml", ("enums", "Colour", "members")


def member_diff(before: tuple[EnumMember, ...], after: tuple[EnumMember, ...], use: UseName) -> SchemaDiff:
    holder = thing(field("colour", Named("Colour")))
    return diff_apis(api((holder,), (colour(*before),), users(use)), api((holder,), (colour(*after),), users(use)))


@pytest.mark.parametrize(
    ("use", "reason"),
    [("sent", ""), ("received", "received values are open: older packages decode it as an unknown member")],
)
def test_a_new_member_is_a_feature(use: UseName, reason: str) -> None:
    change = the(member_diff((RED, BLUE), (RED, BLUE, GREEN), use), subject="Colour.green")
    assert change == Change(
        F,
        "added",
        "enum member",
        "Colour.green",
        "new member Colour.GREEN ('green')",
        reason,
        Location(MEMBERS[0], (*MEMBERS[1], "green"), "new"),
        None,
        "green",
    )


@pytest.mark.parametrize(
    ("use", "reason"),
    [
        ("sent", "requests that send it are rejected; code naming Colour.BLUE fails"),
        ("received", "code naming Colour.BLUE fails"),
        ("both", "requests that send it are rejected; code naming Colour.BLUE fails"),
    ],
)
def test_a_removed_member_breaks(use: UseName, reason: str) -> None:
    change = the(member_diff((RED, BLUE), (RED,), use), subject="Colour.blue")
    assert change == Change(
        B,
        "removed",
        "enum member",
        "Colour.blue",
        "member Colour.BLUE ('blue') removed",
        reason,
        Location(MEMBERS[0], (*MEMBERS[1], "blue"), "old"),
        "blue",
        None,
    )


def test_a_member_renamed_in_python_or_on_the_wire_breaks() -> None:
    renamed = replace(BLUE, python_name="AZURE")
    change = the(member_diff((RED, BLUE), (RED, renamed), "received"), subject="Colour.blue")
    assert change == Change(
        B,
        "renamed",
        "enum member",
        "Colour.blue",
        "member Colour.BLUE is now Colour.AZURE",
        "code naming the old member fails",
        Location(MEMBERS[0], (*MEMBERS[1], "blue"), "new"),
        "BLUE",
        "AZURE",
    )
    rewired = replace(BLUE, value="BLUE")
    change = the(member_diff((RED, BLUE), (RED, rewired), "sent"), subject="Colour.blue")
    assert change == Change(
        B,
        "changed",
        "enum member",
        "Colour.blue",
        "member Colour.BLUE: wire value 'blue' -> 'BLUE'",
        "stored or compared raw values no longer match",
        Location(MEMBERS[0], (*MEMBERS[1], "blue"), "new"),
        "blue",
        "BLUE",
    )
    assert member_diff((RED, BLUE), (BLUE, RED), "both").changes == ()  # order is not a change


def test_a_member_deprecated_and_documented() -> None:
    deprecated = replace(BLUE, deprecated=True, replaced_by="RED", description="Old blue.")
    diff = member_diff((RED, BLUE), (RED, deprecated), "sent")
    here = Location(MEMBERS[0], (*MEMBERS[1], "blue"), "new")
    assert the(diff, action="deprecated") == Change(
        F,
        "deprecated",
        "enum member",
        "Colour.blue",
        "member Colour.BLUE is deprecated; use RED instead",
        location=here,
    )
    assert the(diff, action="documented") == Change(
        P, "documented", "enum member", "Colour.blue", "member Colour.BLUE: description revised", location=here
    )
    assert diff.impact is F


# --------------------------------------------------------------------------------------------- deprecation (all kinds)


def flagged(before: Field, after: Field) -> list[Change]:
    return changed(before, after, "both")


def test_deprecating_is_a_feature_and_undeprecating_a_patch() -> None:
    plain, old = field("x"), field("x", deprecated=True)
    (change,) = flagged(plain, old)
    assert change == Change(
        F,
        "deprecated",
        "type field",
        "Thing.x",
        "type field 'x' of Thing is deprecated",
        location=where("new", "types", "x"),
    )
    (change,) = flagged(plain, field("x", deprecated=True, replaced_by="y"))
    assert change.summary == "type field 'x' of Thing is deprecated; use y instead"
    (change,) = flagged(old, plain)
    assert change == Change(
        P, "undeprecated", "type field", "Thing.x", "type field 'x' of Thing is no longer deprecated",
        location=where("new", "types", "x"),
    )  # fmt: skip
    assert flagged(old, old) == []


def test_a_new_replacement_for_something_deprecated_is_documented() -> None:
    old = field("x", deprecated=True, replaced_by="y")
    (change,) = flagged(old, field("x", deprecated=True, replaced_by="z"))
    assert change == Change(
        P, "documented", "type field", "Thing.x", "type field 'x' of Thing: the suggested replacement is now z",
        location=where("new", "types", "x"), old="y", new="z",
    )  # fmt: skip
    (change,) = flagged(old, field("x", deprecated=True))
    assert (change.summary, change.old, change.new) == (
        "type field 'x' of Thing: the suggested replacement is now not named",
        "y",
        None,
    )
    assert flagged(field("x", replaced_by="y"), field("x", replaced_by="z")) == []  # not deprecated: no advice given


def test_a_revised_description_is_a_patch() -> None:
    (change,) = flagged(field("x"), replace(field("x"), description="Reworded."))
    assert change == Change(
        P, "documented", "type field", "Thing.x", "type field 'x' of Thing: description revised",
        location=where("new", "types", "x"),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------- commands

ID = field("id", integer("long"), required=True)
BASE = replace(command("getThing", request=(ID, field("full")), response=(field("name"),)), errors=("thingNotFound",))
AT = Location("commands.yaml", ("commands", "getThing"), "new")


def command_diff(before: Command, after: Command) -> SchemaDiff:
    return diff_apis(api(commands=(before,)), api(commands=(after,)))


def test_a_renamed_method_breaks() -> None:
    diff = command_diff(BASE, replace(BASE, method="fetch"))
    assert diff.changes == (
        Change(
            B,
            "renamed",
            "command",
            "getThing",
            "command getThing: `client.main.getThing()` is now `client.main.fetch()`",
            "code calling the old method fails",
            AT,
            "client.main.getThing()",
            "client.main.fetch()",
        ),
    )
    moved = the(command_diff(BASE, replace(BASE, resource="things")), action="renamed")
    assert moved.new == "client.things.getThing()"


def test_renamed_request_and_response_classes_break() -> None:
    diff = command_diff(BASE, replace(BASE, request_class="GetRequest", response_class="GetReply"))
    assert diff.changes == (
        Change(
            B,
            "renamed",
            "command",
            "getThing",
            "command getThing: request class GetthingRequest is now GetRequest",
            "imports of the old class fail",
            AT,
            "GetthingRequest",
            "GetRequest",
        ),
        Change(
            B,
            "renamed",
            "command",
            "getThing",
            "command getThing: response class GetthingResponse is now GetReply",
            "imports of the old class fail",
            AT,
            "GetthingResponse",
            "GetReply",
        ),
    )


def test_classes_moved_to_another_module_break() -> None:
    change = the(command_diff(BASE, replace(BASE, section="other")), subject="getThing")
    assert change == Change(
        B,
        "changed",
        "command",
        "getThing",
        "command getThing: its classes moved from pkg.commands.main to pkg.commands.other",
        "imports from pkg.commands.main fail (pkg.commands still exports them)",
        AT,
        "pkg.commands.main",
        "pkg.commands.other",
    )


def test_classification_changes_are_patches() -> None:
    verb = the(command_diff(BASE, replace(BASE, verb="list")), subject="getThing")
    assert verb == Change(
        P,
        "changed",
        "command",
        "getThing",
        "command getThing: verb get -> list (classification only: the wire and the Python API are unchanged; "
        "the emulator answers it by the new verb)",
        location=AT,
        old="get",
        new="list",
    )
    acts = the(command_diff(replace(BASE, object="Other"), replace(BASE, object="Thing")), subject="getThing")
    assert acts == Change(
        P, "changed", "command", "getThing", "command getThing: acts on Thing", location=AT, old="Other", new="Thing"
    )
    back = the(command_diff(replace(BASE, object="Thing"), BASE), subject="getThing")
    assert back.summary == "command getThing: acts on no object type"
    filtered = the(command_diff(BASE, replace(BASE, filter="id")), subject="getThing")
    assert (filtered.impact, filtered.summary, filtered.old, filtered.new) == (
        P,
        "command getThing: filter field none -> id",
        None,
        "id",
    )
    refiltered = the(command_diff(replace(BASE, filter="id"), replace(BASE, filter="full")), subject="getThing")
    assert refiltered == Change(
        P,
        "changed",
        "command",
        "getThing",
        "command getThing: filter field id -> full",
        location=AT,
        old="id",
        new="full",
    )
    unfiltered = the(command_diff(replace(BASE, filter="id"), BASE), subject="getThing")
    assert unfiltered.summary == "command getThing: filter field id -> none"
    confirmed = the(command_diff(BASE, replace(BASE, evidence=("source", "capture"))), subject="getThing")
    assert confirmed == Change(
        P,
        "documented",
        "command",
        "getThing",
        "command getThing: wire name confirmed by a server document",
        location=AT,
        old="",
        new="source,capture",
    )
    deprecated = the(command_diff(BASE, replace(BASE, deprecated=True)), subject="getThing")
    assert deprecated == Change(F, "deprecated", "command", "getThing", "command getThing is deprecated", location=AT)
    unconfirmed = the(command_diff(replace(BASE, evidence=("source", "x")), BASE), subject="getThing")
    assert (unconfirmed.summary, unconfirmed.old) == (
        "command getThing: wire name no longer confirmed by a server document",
        "source,x",
    )


def test_a_new_positional_parameter_breaks() -> None:
    other = field("other", required=True)
    reordered = replace(BASE, request=FieldSet((other, ID, field("full"))))
    change = the(command_diff(BASE, reordered), subject="getThing")
    assert change == Change(
        B,
        "changed",
        "command",
        "getThing",
        "command getThing: `client.main.getThing()` now takes `other` positionally instead of `id`",
        "positional calls pass the value as the wrong parameter",
        AT,
        "id",
        "other",
    )
    # a first required parameter where there was none is only the new required field, reported on its own
    none_required = replace(BASE, request=FieldSet((field("full"),)))
    diff = command_diff(none_required, replace(none_required, request=FieldSet((ID, field("full")))))
    assert [c.subject for c in diff.changes] == ["getThing.request.id"]
    assert [
        c.subject
        for c in command_diff(replace(none_required, request=FieldSet((ID, field("full")))), none_required).changes
    ] == ["getThing.request.id"]


def test_errors_and_events_of_a_command() -> None:
    thing_error = ErrorCodeDef("thingGone", 7, "notFound", "Gone.", "ThingGoneError", "THING_GONE")
    old = api(commands=(BASE,))
    new = Api(
        SERVICE, (), (), (), (thing_error,), (replace(BASE, errors=("thingGone",), emits=("thingMerged",)),), (), (), ()
    )
    diff = diff_apis(old, new)
    assert the(diff, subject="getThing", new="thingGone") == Change(
        F,
        "changed",
        "command",
        "getThing",
        "command getThing may now fail with thingGone (ThingGoneError)",
        location=AT,
        new="thingGone",
    )
    assert the(diff, subject="getThing", old="thingNotFound") == Change(
        P,
        "changed",
        "command",
        "getThing",
        "command getThing no longer lists error thingNotFound",
        location=AT,
        old="thingNotFound",
    )
    assert the(diff, subject="getThing", new="thingMerged") == Change(
        F, "changed", "command", "getThing", "command getThing now causes thingMerged", location=AT, new="thingMerged"
    )
    back = diff_apis(new, old)
    assert the(back, subject="getThing", old="thingMerged") == Change(
        B,
        "changed",
        "command",
        "getThing",
        "command getThing no longer causes thingMerged",
        "code waiting for thingMerged after getThing waits in vain",
        AT,
        old="thingMerged",
    )
    unknown = the(command_diff(BASE, replace(BASE, errors=("mystery",))), new="mystery")
    assert unknown.summary == "command getThing may now fail with mystery (mystery)"  # no such code: named as is


def test_a_removed_command_breaks_and_says_what_to_do() -> None:
    old, new = api(commands=(BASE,)), api()
    change = the(diff_apis(old, new), subject="getThing")
    assert change == Change(
        B,
        "removed",
        "command",
        "getThing",
        "command getThing removed",
        "`client.main.getThing()`, GetthingRequest and GetthingResponse no longer exist",
        Location("commands.yaml", ("commands", "getThing"), "old"),
        migration="stop calling `client.main.getThing()`; the server no longer offers getThing",
    )
    replaced = the(diff_apis(api(commands=(replace(BASE, replaced_by="fetchThing"),)), new), subject="getThing")
    assert replaced.migration == "use fetchThing instead of `client.main.getThing()`"
    added = the(diff_apis(new, old), subject="getThing")
    assert added == Change(
        F,
        "added",
        "command",
        "getThing",
        "new command getThing: `client.main.getThing()`",
        location=AT,
        description="The getThing command.",
    )


def test_request_and_response_fields_are_compared_inline_or_through_their_type() -> None:
    typed = replace(
        BASE, request=FieldSet((), from_type="Thing"), origin=Origin("commands.yaml", ("commands", "getThing"))
    )
    old = api((thing(field("x")),), (), (typed,))
    new = api((thing(field("x"), field("y", required=True)),), (), (typed,))
    diff = diff_apis(old, new)
    assert [c.subject for c in diff.changes] == ["Thing.y"]  # reported once, under the type
    assert the(diff, subject="Thing.y").impact is B  # Thing is sent by getThing's request
    inline = the(
        command_diff(BASE, replace(BASE, request=FieldSet((ID, field("full"), replace(field("more"), origin=None))))),
        subject="getThing.request.more",
    )
    assert inline.location == Location("commands.yaml", ("commands", "getThing", "request", "properties"), "new")
    assert inline.summary == "new optional request field 'more' of getThing"
    to_type = the(
        diff_apis(api((thing(field("more")),), (), (BASE,)), api((thing(field("more")),), (), (typed,))),
        subject="getThing.request.id",
    )
    assert to_type.location == Location("types.yaml", ("types", "id"), "old")


def test_a_type_written_differently_but_accepting_the_same_values_is_a_patch() -> None:
    """A union with its options reordered accepts exactly what it did: neither wider nor narrower, either way."""
    before, after = UnionOf((integer(), string())), UnionOf((string(), integer()))
    for use in ("sent", "received", "both"):
        change = the(type_field_diff(field("x", before), field("x", after), use), subject="Thing.x")
        assert (change.impact, change.reason) == (P, ""), use


# --------------------------------------------------------------------------------------------- the service itself


def envelope_field(wire: str, file: str | None, required: bool = False) -> Field:
    """An envelope field written in ``file`` (None: one without an origin of its own)."""
    return replace(field(wire, required=required), origin=Origin(file, ("envelope", wire)) if file else None)


def service_diff(before: Service, after: Service) -> SchemaDiff:
    return diff_apis(Api(before, (), (), (), (), (), (), (), ()), Api(after, (), (), (), (), (), (), (), ()))


def test_every_service_change_is_classified_and_located_at_the_envelope_file() -> None:
    """The service's own changes are located in the file of the first envelope field that has an origin (new
    request, new reply, old request, old reply): here the new request envelope's second field, in api.yaml."""
    old = replace(
        SERVICE,
        endpoints=(Endpoint("wss://one", "The one.", False), Endpoint("wss://two", "Two.", True)),
        reply_envelope=(envelope_field("seq", None), envelope_field("stamp", "old.yaml")),
    )
    new = replace(
        SERVICE,
        package="pkg2",
        description="Another.",
        frame_grammar="name|json",
        frame_separator="|",
        endpoints=(Endpoint("wss://one", "The one.", False), Endpoint("wss://three", "Three.", True)),
        request_envelope=(envelope_field("token", None, required=True), envelope_field("trace", "api.yaml")),
        reply_envelope=(envelope_field("seq", None), replace(envelope_field("ack", None), type=integer())),
    )
    at = {part: Location("api.yaml", (part,), "new") for part in ("endpoints", "frame", "package", "description")}
    frames = "frames are written differently on the wire"
    assert service_diff(old, new).changes == (
        Change(
            B,
            "removed",
            "service",
            "endpoints",
            "endpoint wss://two removed",
            "clients configured with it can no longer connect",
            Location("api.yaml", ("endpoints",), "old"),
            old="wss://two",
        ),
        Change(
            B,
            "changed",
            "service",
            "frame",
            "frame grammar 'name json' -> 'name|json'",
            frames,
            at["frame"],
            "name json",
            "name|json",
        ),
        Change(B, "changed", "service", "frame", "frame separator ' ' -> '|'", frames, at["frame"], " ", "|"),
        Change(
            B,
            "renamed",
            "service",
            "package",
            "the package is now pkg2, not pkg",
            "every import changes",
            at["package"],
            "pkg",
            "pkg2",
        ),
        Change(
            B,
            "added",
            "request field",
            "envelope.request.token",
            "new required request field 'token' of envelope",
            "it is sent by the client: existing calls and objects that omit it are rejected",
            Location("api.yaml", ("envelope", "request", "properties"), "new"),
            new="string",
            description="The token.",
            migration="pass `token` in every call",
        ),
        Change(
            B,
            "removed",
            "response field",
            "envelope.reply.stamp",
            "response field 'stamp' of envelope removed",
            "code that reads `stamp` fails",
            Location("old.yaml", ("envelope", "stamp"), "old"),
            old="string",
            migration="stop using `reply.stamp`",
        ),
        Change(
            F, "added", "service", "endpoints", "new endpoint wss://three", location=at["endpoints"], new="wss://three"
        ),
        Change(
            F,
            "changed",
            "service",
            "endpoints",
            "the default endpoint is now wss://three",
            "clients that name no URL connect there",
            at["endpoints"],
            "wss://two",
            "wss://three",
        ),
        Change(
            F,
            "added",
            "request field",
            "envelope.request.trace",
            "new optional request field 'trace' of envelope",
            location=Location("api.yaml", ("envelope", "trace"), "new"),
            new="string",
            description="The trace.",
        ),
        Change(
            F,
            "added",
            "response field",
            "envelope.reply.ack",
            "new optional response field 'ack' of envelope",
            location=Location("api.yaml", ("envelope", "reply", "properties"), "new"),
            new="integer",
            description="The ack.",
        ),
        Change(P, "documented", "service", "description", "package description revised", location=at["description"]),
    )


@pytest.mark.parametrize(
    ("envelopes", "file"),
    [
        ({}, "schema/api.yaml"),  # no envelope field with an origin: the default
        ({"reply_envelope": (envelope_field("seq", "reply.yaml"),)}, "reply.yaml"),
        (
            {
                "request_envelope": (envelope_field("token", None), envelope_field("trace", "request.yaml")),
                "reply_envelope": (envelope_field("seq", "reply.yaml"),),
            },
            "request.yaml",  # the first one with an origin, not the last
        ),
    ],
)
def test_service_changes_are_located_at_the_first_envelope_field_with_an_origin(
    envelopes: dict[str, tuple[Field, ...]], file: str
) -> None:
    before = replace(SERVICE, **envelopes)  # type: ignore[arg-type]
    diff = service_diff(before, replace(before, description="Revised."))
    assert diff.changes == (
        Change(
            P,
            "documented",
            "service",
            "description",
            "package description revised",
            location=Location(file, ("description",), "new"),
        ),
    )


def test_the_default_endpoint_is_the_one_marked_default_or_else_the_first() -> None:
    one, two = Endpoint("wss://one", "One.", False), Endpoint("wss://two", "Two.", False)
    unmarked = replace(SERVICE, endpoints=(one, two))
    marked = replace(SERVICE, endpoints=(one, replace(two, default=True)))
    assert service_diff(unmarked, replace(unmarked, endpoints=(two, one))).changes == (
        Change(
            F,
            "changed",
            "service",
            "endpoints",
            "the default endpoint is now wss://two",
            "clients that name no URL connect there",
            Location("schema/api.yaml", ("endpoints",), "new"),
            "wss://one",
            "wss://two",
        ),
    )
    assert service_diff(marked, replace(marked, endpoints=(replace(two, default=True), one))).changes == ()


# --------------------------------------------------------------------- error codes, subscription types, messages


def model(
    errors: tuple[ErrorCodeDef, ...] = (),
    subscriptions: tuple[Subscription, ...] = (),
    messages: tuple[Message, ...] = (),
) -> Api:
    return Api(SERVICE, (), (), (), errors, (), subscriptions, messages, ())


GONE = ErrorCodeDef(
    "thingGone",
    7,
    "notFound",
    "Gone.",
    "ThingGoneError",
    "THING_GONE",
    origin=Origin("errors.yaml", ("errors", "thingGone")),
)
AT_ERROR = Location("errors.yaml", ("errors", "thingGone"), "new")
THINGS = Subscription(
    "things",
    "Things.",
    "Thing",
    ("thingMerged", "thingDeleted"),
    "THINGS",
    origin=Origin("subscriptions.yaml", ("subscriptionTypes", "things")),
)
ALL_THINGS = replace(
    THINGS,
    object="Other",
    messages=("thingMerged", "thingMoved"),
    python_name="ALL_THINGS",
    retired=True,
    replaced_by="others",
    description="More things.",
)
AT_SUBSCRIPTION = Location("subscriptions.yaml", ("subscriptionTypes", "things"), "new")
MERGED = Message(
    "thingMerged",
    "merged",
    "Thing",
    False,
    "A thing merged.",
    ("source",),
    "ThingMergedEvent",
    "Thing",
    origin=Origin("subscriptions.yaml", ("messages", "thingMerged")),
)
CHANGED = replace(
    MERGED,
    kind="deleted",
    payload="Other",
    envelope=True,
    evidence=(),
    event_class="ThingChangedEvent",
    payload_class="OtherWithError",
    description="A thing changed.",
)
AT_MESSAGE = Location("subscriptions.yaml", ("messages", "thingMerged"), "new")


def test_every_error_code_change_in_full() -> None:
    """Each kind of change to an error code, with its impact, wording and location."""
    assert diff_apis(
        model((GONE,)),
        model(
            (
                replace(
                    GONE,
                    code=8,
                    group="service",
                    description="Gone away.",
                    exception_name="ThingLostError",
                    python_name="THING_LOST",
                    deprecated=True,
                    replaced_by="thingLost",
                ),
            )
        ),
    ).changes == (
        Change(
            B,
            "changed",
            "error code",
            "thingGone",
            "error code thingGone: number 7 -> 8",
            "replies are decoded to a different error",
            AT_ERROR,
            "7",
            "8",
        ),
        Change(
            B,
            "changed",
            "error code",
            "thingGone",
            "error code thingGone: ThingLostError now derives from ServerError, not NotFoundError",
            "`except NotFoundError` no longer catches it",
            AT_ERROR,
            "notFound",
            "service",
        ),
        Change(
            B,
            "renamed",
            "error code",
            "thingGone",
            "error code thingGone: exception ThingGoneError is now ThingLostError",
            "code catching the old class fails",
            AT_ERROR,
            "ThingGoneError",
            "ThingLostError",
        ),
        Change(
            B,
            "renamed",
            "error code",
            "thingGone",
            "error code thingGone: ErrorCode.THING_GONE is now ErrorCode.THING_LOST",
            "code naming the old member fails",
            AT_ERROR,
            "THING_GONE",
            "THING_LOST",
        ),
        Change(
            F,
            "deprecated",
            "error code",
            "thingGone",
            "error code thingGone is deprecated; use thingLost instead",
            location=AT_ERROR,
        ),
        Change(
            P, "documented", "error code", "thingGone", "error code thingGone: description revised", location=AT_ERROR
        ),
    )
    assert diff_apis(model((GONE,)), model()).changes == (
        Change(
            B,
            "removed",
            "error code",
            "thingGone",
            "error code thingGone (7) removed",
            "ErrorCode.THING_GONE and ThingGoneError no longer exist",
            Location(file="errors.yaml", path=("errors", "thingGone"), side="old"),
            old="7",
            migration="stop using thingGone; nothing replaces it",
        ),
    )
    assert diff_apis(model(), model((GONE,))).changes == (
        Change(
            F,
            "added",
            "error code",
            "thingGone",
            "new error code thingGone = 7 (pkg.errors.ThingGoneError)",
            location=AT_ERROR,
            new="7",
            description="Gone.",
        ),
    )


def test_every_subscription_type_change_in_full() -> None:
    """Each kind of change to a subscription type, both ways, with its impact, wording and location."""
    assert diff_apis(model(subscriptions=(THINGS,)), model(subscriptions=(ALL_THINGS,))).changes == (
        Change(
            B,
            "renamed",
            "subscription type",
            "things",
            "subscription type things: SubscriptionType.THINGS is now SubscriptionType.ALL_THINGS",
            "code naming the old member fails",
            AT_SUBSCRIPTION,
            "THINGS",
            "ALL_THINGS",
        ),
        Change(
            B,
            "changed",
            "subscription type",
            "things",
            "subscription type things now delivers Other, not Thing",
            "handlers receive a different type",
            AT_SUBSCRIPTION,
            "Thing",
            "Other",
        ),
        Change(
            B,
            "changed",
            "subscription type",
            "things",
            "subscription type things no longer delivers thingDeleted",
            "handlers of thingDeleted stop receiving it through things",
            AT_SUBSCRIPTION,
            old="thingDeleted",
        ),
        Change(
            F,
            "changed",
            "subscription type",
            "things",
            "subscription type things now also delivers thingMoved",
            location=AT_SUBSCRIPTION,
            new="thingMoved",
        ),
        Change(
            F,
            "deprecated",
            "subscription type",
            "things",
            "subscription type things is retired by the server; use others instead",
            location=AT_SUBSCRIPTION,
        ),
        Change(
            P,
            "documented",
            "subscription type",
            "things",
            "subscription type things: description revised",
            location=AT_SUBSCRIPTION,
        ),
    )
    assert diff_apis(model(subscriptions=(ALL_THINGS,)), model(subscriptions=(THINGS,))).changes == (
        Change(
            B,
            "renamed",
            "subscription type",
            "things",
            "subscription type things: SubscriptionType.ALL_THINGS is now SubscriptionType.THINGS",
            "code naming the old member fails",
            AT_SUBSCRIPTION,
            "ALL_THINGS",
            "THINGS",
        ),
        Change(
            B,
            "changed",
            "subscription type",
            "things",
            "subscription type things now delivers Thing, not Other",
            "handlers receive a different type",
            AT_SUBSCRIPTION,
            "Other",
            "Thing",
        ),
        Change(
            B,
            "changed",
            "subscription type",
            "things",
            "subscription type things no longer delivers thingMoved",
            "handlers of thingMoved stop receiving it through things",
            AT_SUBSCRIPTION,
            old="thingMoved",
        ),
        Change(
            F,
            "changed",
            "subscription type",
            "things",
            "subscription type things now also delivers thingDeleted",
            location=AT_SUBSCRIPTION,
            new="thingDeleted",
        ),
        Change(
            P,
            "undeprecated",
            "subscription type",
            "things",
            "subscription type things is offered again",
            location=AT_SUBSCRIPTION,
        ),
        Change(
            P,
            "documented",
            "subscription type",
            "things",
            "subscription type things: description revised",
            location=AT_SUBSCRIPTION,
        ),
    )
    assert diff_apis(model(subscriptions=(THINGS,)), model(subscriptions=(replace(THINGS, retired=True),))).changes == (
        Change(
            F,
            "deprecated",
            "subscription type",
            "things",
            "subscription type things is retired by the server",
            location=AT_SUBSCRIPTION,
        ),
    )
    assert diff_apis(model(subscriptions=(THINGS,)), model()).changes == (
        Change(
            B,
            "removed",
            "subscription type",
            "things",
            "subscription type things removed",
            "SubscriptionType.THINGS no longer exists and subscribing to it is refused",
            Location(file="subscriptions.yaml", path=("subscriptionTypes", "things"), side="old"),
            migration="stop using things; nothing replaces it",
        ),
    )
    assert diff_apis(model(), model(subscriptions=(THINGS,))).changes == (
        Change(
            F,
            "added",
            "subscription type",
            "things",
            "new subscription type things (SubscriptionType.THINGS)",
            location=AT_SUBSCRIPTION,
            description="Things.",
        ),
    )


def test_every_message_change_in_full() -> None:
    """Each kind of change to a message, both ways, with its impact, wording and location."""
    assert diff_apis(model(messages=(MERGED,)), model(messages=(CHANGED,))).changes == (
        Change(
            B,
            "renamed",
            "message",
            "thingMerged",
            "message thingMerged: event class ThingMergedEvent -> ThingChangedEvent",
            "code matching the old class fails",
            AT_MESSAGE,
            "ThingMergedEvent",
            "ThingChangedEvent",
        ),
        Change(
            B,
            "changed",
            "message",
            "thingMerged",
            "message thingMerged: kind merged -> deleted",
            "its event has a different base class",
            AT_MESSAGE,
            "merged",
            "deleted",
        ),
        Change(
            B,
            "changed",
            "message",
            "thingMerged",
            "message thingMerged: payload Thing -> Other",
            "handlers receive a different type",
            AT_MESSAGE,
            "Thing",
            "Other",
        ),
        Change(
            B,
            "renamed",
            "message",
            "thingMerged",
            "message thingMerged: payload class Thing -> OtherWithError",
            "code using the old class fails",
            AT_MESSAGE,
            "Thing",
            "OtherWithError",
        ),
        Change(
            B,
            "changed",
            "message",
            "thingMerged",
            "message thingMerged now carries errorCode/message",
            "its payload has different fields",
            AT_MESSAGE,
        ),
        Change(
            P,
            "documented",
            "message",
            "thingMerged",
            "message thingMerged: wire name no longer confirmed by a server document",
            location=AT_MESSAGE,
        ),
        Change(
            P, "documented", "message", "thingMerged", "message thingMerged: description revised", location=AT_MESSAGE
        ),
    )
    assert diff_apis(model(messages=(CHANGED,)), model(messages=(MERGED,))).changes == (
        Change(
            B,
            "renamed",
            "message",
            "thingMerged",
            "message thingMerged: event class ThingChangedEvent -> ThingMergedEvent",
            "code matching the old class fails",
            AT_MESSAGE,
            "ThingChangedEvent",
            "ThingMergedEvent",
        ),
        Change(
            B,
            "changed",
            "message",
            "thingMerged",
            "message thingMerged: kind deleted -> merged",
            "its event has a different base class",
            AT_MESSAGE,
            "deleted",
            "merged",
        ),
        Change(
            B,
            "changed",
            "message",
            "thingMerged",
            "message thingMerged: payload Other -> Thing",
            "handlers receive a different type",
            AT_MESSAGE,
            "Other",
            "Thing",
        ),
        Change(
            B,
            "renamed",
            "message",
            "thingMerged",
            "message thingMerged: payload class OtherWithError -> Thing",
            "code using the old class fails",
            AT_MESSAGE,
            "OtherWithError",
            "Thing",
        ),
        Change(
            B,
            "changed",
            "message",
            "thingMerged",
            "message thingMerged no longer carries errorCode/message",
            "its payload has different fields",
            AT_MESSAGE,
        ),
        Change(
            P,
            "documented",
            "message",
            "thingMerged",
            "message thingMerged: wire name confirmed by a server document",
            location=AT_MESSAGE,
        ),
        Change(
            P, "documented", "message", "thingMerged", "message thingMerged: description revised", location=AT_MESSAGE
        ),
    )
    assert diff_apis(model(messages=(MERGED,)), model()).changes == (
        Change(
            B,
            "removed",
            "message",
            "thingMerged",
            "message thingMerged removed",
            "event class ThingMergedEvent no longer exists",
            Location(file="subscriptions.yaml", path=("messages", "thingMerged"), side="old"),
            migration="stop using thingMerged; nothing replaces it",
        ),
    )
    assert diff_apis(model(), model(messages=(MERGED,))).changes == (
        Change(
            F,
            "added",
            "message",
            "thingMerged",
            "new message thingMerged (event ThingMergedEvent, payload Thing)",
            location=AT_MESSAGE,
            description="A thing merged.",
        ),
    )


# --------------------------------------------------------------------- object types and enums as a whole


SECTIONS = (
    Section("main", "Main", "The main part.", "core", "main"),
    Section("other", "Other", "More.", "extra", "other"),
)
AT_THING = Location("types.yaml", ("types", "Thing"), "new")
KEYED = replace(thing(field("x")), key="id", key_ref=True)
REKEYED = replace(
    thing(field("x"), replace(field("y"), origin=None)),
    section="other",
    key="uid",
    owner="owner",
    part_of="Whole",
    version_slot=2,
    deprecated=True,
    replaced_by="Thing2",
    description="A thing, revised.",
)


def typed(*types: ObjectType, enums: tuple[EnumType, ...] = ()) -> Api:
    return Api(SERVICE, SECTIONS, types, enums, (), (), (), (), ())


AT_COLOUR = Location("enums.yaml", ("enums", "Colour"), "new")
RECOLOURED = replace(
    COLOUR,
    section="other",
    json_type="integer",
    members=(EnumMember("red", "CRIMSON", 1, "Red."), EnumMember("green", "GREEN", 3, "Green.")),
    deprecated=True,
    description="A colour, revised.",
)


def test_every_object_type_change_in_full() -> None:
    """Each kind of change to an object type, with its impact, wording and location (a type no command uses
    counts as both sent and received)."""
    assert diff_apis(typed(KEYED), typed(REKEYED)).changes == (
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing moved from pkg.models.core to pkg.models.extra",
            "imports from pkg.models.core fail (pkg.models still exports it)",
            AT_THING,
            "pkg.models.core",
            "pkg.models.extra",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing no longer accepts a bare key",
            "calls passing a key value where a Thing is expected are rejected",
            AT_THING,
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: key field id -> uid",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            "id",
            "uid",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: owner field None -> owner",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            new="owner",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: composite None -> Whole",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            new="Whole",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: version slot None -> 2",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            new="2",
        ),
        Change(F, "deprecated", "type", "Thing", "type Thing is deprecated; use Thing2 instead", location=AT_THING),
        Change(
            F,
            "added",
            "type field",
            "Thing.y",
            "new optional type field 'y' of Thing",
            location=Location(file="types.yaml", path=("types", "Thing", "properties"), side="new"),
            new="string",
            description="The y.",
        ),
        Change(P, "documented", "type", "Thing", "type Thing: description revised", location=AT_THING),
    )
    assert diff_apis(typed(REKEYED), typed(KEYED)).changes == (
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing moved from pkg.models.extra to pkg.models.core",
            "imports from pkg.models.extra fail (pkg.models still exports it)",
            AT_THING,
            "pkg.models.extra",
            "pkg.models.core",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: key field uid -> id",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            "uid",
            "id",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: owner field owner -> None",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            old="owner",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: composite Whole -> None",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            old="Whole",
        ),
        Change(
            B,
            "changed",
            "type",
            "Thing",
            "type Thing: version slot 2 -> None",
            "objects are identified, owned or versioned differently (caches and sync code rely on it)",
            AT_THING,
            old="2",
        ),
        Change(
            B,
            "removed",
            "type field",
            "Thing.y",
            "type field 'y' of Thing removed",
            "callers that pass `y` get an unknown-field error; code that reads `y` fails",
            Location(file="types.yaml", path=("types", "Thing", "properties"), side="old"),
            old="string",
            migration="stop using `Thing.y`",
        ),
        Change(F, "changed", "type", "Thing", "type Thing now also accepts its bare key", location=AT_THING),
        Change(P, "undeprecated", "type", "Thing", "type Thing is no longer deprecated", location=AT_THING),
        Change(P, "documented", "type", "Thing", "type Thing: description revised", location=AT_THING),
    )
    assert diff_apis(typed(KEYED), typed()).changes == (
        Change(
            B,
            "removed",
            "type",
            "Thing",
            "type Thing removed",
            "code importing or building Thing fails",
            Location(file="types.yaml", path=("types", "Thing"), side="old"),
            migration="stop using Thing; nothing replaces it",
        ),
    )
    assert diff_apis(typed(), typed(KEYED)).changes == (
        Change(F, "added", "type", "Thing", "new type Thing", location=AT_THING, description="A thing."),
    )


def test_every_enum_change_in_full() -> None:
    """Each kind of change to an enum, with its impact, wording and location."""
    assert diff_apis(typed(enums=(COLOUR,)), typed(enums=(RECOLOURED,))).changes == (
        Change(
            B,
            "changed",
            "enum",
            "Colour",
            "enum Colour moved from pkg.models.core to pkg.models.extra",
            "imports from pkg.models.core fail (pkg.models still exports it)",
            AT_COLOUR,
            "pkg.models.core",
            "pkg.models.extra",
        ),
        Change(
            B,
            "changed",
            "enum",
            "Colour",
            "enum Colour: values are now integers",
            "every value changes on the wire",
            AT_COLOUR,
            "string",
            "integer",
        ),
        Change(
            B,
            "removed",
            "enum member",
            "Colour.blue",
            "member Colour.BLUE ('blue') removed",
            "requests that send it are rejected; code naming Colour.BLUE fails",
            Location(file="enums.yaml", path=("enums", "Colour", "members", "blue"), side="old"),
            old="blue",
        ),
        Change(
            B,
            "renamed",
            "enum member",
            "Colour.red",
            "member Colour.RED is now Colour.CRIMSON",
            "code naming the old member fails",
            Location(file="enums.yaml", path=("enums", "Colour", "members", "red"), side="new"),
            "RED",
            "CRIMSON",
        ),
        Change(
            B,
            "changed",
            "enum member",
            "Colour.red",
            "member Colour.CRIMSON: wire value 'red' -> 1",
            "stored or compared raw values no longer match",
            Location(file="enums.yaml", path=("enums", "Colour", "members", "red"), side="new"),
            "red",
            "1",
        ),
        Change(F, "deprecated", "enum", "Colour", "enum Colour is deprecated", location=AT_COLOUR),
        Change(
            F,
            "added",
            "enum member",
            "Colour.green",
            "new member Colour.GREEN (3)",
            "received values are open: older packages decode it as an unknown member",
            Location(file="enums.yaml", path=("enums", "Colour", "members", "green"), side="new"),
            new="3",
        ),
        Change(P, "documented", "enum", "Colour", "enum Colour: description revised", location=AT_COLOUR),
    )
    assert diff_apis(typed(enums=(COLOUR,)), typed()).changes == (
        Change(
            B,
            "removed",
            "enum",
            "Colour",
            "enum Colour removed",
            "code importing Colour fails",
            Location(file="enums.yaml", path=("enums", "Colour"), side="old"),
            migration="stop using Colour; nothing replaces it",
        ),
    )
    assert diff_apis(typed(), typed(enums=(COLOUR,))).changes == (
        Change(F, "added", "enum", "Colour", "new enum Colour", location=AT_COLOUR, description="A colour."),
    )


def test_the_derived_enums_are_diffed_as_error_codes_and_subscription_types_only() -> None:
    for name in ("ErrorCode", "SubscriptionType"):
        assert diff_apis(typed(enums=(replace(COLOUR, name=name),)), typed()).changes == (), name
    assert [c.subject for c in diff_apis(typed(enums=(replace(COLOUR, name="Errors"),)), typed()).changes] == ["Errors"]


# --------------------------------------------------------------------- the report's pieces


def test_a_location_reads_as_file_and_path_and_names_the_old_schema() -> None:
    assert str(Location("types.yaml", ("types", "Thing", 0), "new")) == "types.yaml $.types.Thing[0]"
    assert str(Location("types.yaml", ("types", "Thing"), "old")) == "types.yaml $.types.Thing (old schema)"


def test_a_diff_counts_its_changes_by_impact() -> None:
    diff = diff_apis(typed(KEYED), typed(REKEYED))  # 6 breaking, 2 features, 1 patch (see above)
    assert [diff.count(impact) for impact in (B, F, P, Impact.NONE)] == [6, 2, 1, 0]
    assert diff.impact is B and diff.breaking == diff.changes[:6]
    assert diff_apis(typed(), typed()).impact is Impact.NONE


def test_a_removed_definition_names_its_replacement_and_an_added_one_its_description_as_written() -> None:
    removed = the(diff_apis(typed(replace(KEYED, replaced_by="Thing2")), typed()), subject="Thing")
    assert removed.migration == "use Thing2 instead"
    assert the(diff_apis(typed(), typed(replace(KEYED, description=""))), subject="Thing").description == ""


def test_a_body_written_inline_or_as_a_type_is_compared_field_by_field_and_located_each_way() -> None:
    """A request body that moves from inline fields to ``$ref: Thing`` (and back) is compared by its fields: the
    one field both have is no change; a field without its own origin is located at the body on its side (its
    ``properties`` when inline, the body itself when it is a type)."""
    inline = replace(BASE, request=FieldSet((replace(field("gone"), origin=None), field("kept"))))
    by_type = replace(BASE, request=FieldSet((), from_type="Thing"))
    holder = thing(field("kept"), replace(field("more"), origin=None))
    body = ("commands", "getThing", "request")
    assert diff_apis(api((holder,), (), (inline,)), api((holder,), (), (by_type,))).changes == (
        Change(
            B,
            "removed",
            "request field",
            "getThing.request.gone",
            "request field 'gone' of getThing removed: probably renamed to 'more' (same type, same place)",
            "callers that pass `gone` get an unknown-field error",
            Location("commands.yaml", (*body, "properties"), "old"),
            old="string",
            migration="`request.gone` is now `request.more`",
        ),
        Change(
            F,
            "added",
            "request field",
            "getThing.request.more",
            "new optional request field 'more' of getThing (probably the new name of 'gone')",
            location=Location("commands.yaml", body, "new"),
            new="string",
            description="The more.",
        ),
    )
    moved = replace(inline, origin=Origin("other.yaml", ("commands", "getThing")))  # each side's own file
    assert diff_apis(api((holder,), (), (by_type,)), api((holder,), (), (moved,))).changes == (
        Change(
            B,
            "removed",
            "request field",
            "getThing.request.more",
            "request field 'more' of getThing removed: probably renamed to 'gone' (same type, same place)",
            "callers that pass `more` get an unknown-field error",
            Location("commands.yaml", body, "old"),
            old="string",
            migration="`request.more` is now `request.gone`",
        ),
        Change(
            F,
            "added",
            "request field",
            "getThing.request.gone",
            "new optional request field 'gone' of getThing (probably the new name of 'more')",
            location=Location("other.yaml", (*body, "properties"), "new"),
            new="string",
            description="The gone.",
        ),
    )


def test_an_enum_reached_only_as_map_keys_travels_that_way() -> None:
    """Level appears only as the keys of a map in a reply: it is received (not both), so a removed member breaks
    code naming it but no request."""
    high = EnumMember("high", "HIGH", 2, "High.")
    reply = command("fetch", response=(field("levels", MapOf(string(), keys=Named("Level"))),))
    old = api(enums=(replace(LEVEL, members=(*LEVEL.members, high)),), commands=(reply,))
    removed = the(diff_apis(old, api(enums=(LEVEL,), commands=(reply,))), subject="Level.high")
    assert (removed.impact, removed.reason) == (B, "code naming Level.HIGH fails")


def test_usage_lists_exactly_the_types_reached_and_their_direction() -> None:
    """Bodies written inline add no root of their own; a body that is a type is one."""
    other = ObjectType("Other", "main", "Something else.", (field("y"),))
    put = command("put", request=(field("thing", Named("Thing")),))
    fetch = replace(command("fetch"), response=FieldSet((), from_type="Other"))
    built = api((thing(field("x")), other), (), (put, fetch))
    assert usage(built) == {"Thing": Use.SENT, "Other": Use.RECEIVED}


def test_a_diff_names_the_two_versions_it_compares() -> None:
    diff = service_diff(SERVICE, replace(SERVICE, version="1.1.0"))
    assert (diff.old_version, diff.new_version, diff.changes) == ("1.0.0", "1.1.0", ())


def test_the_fields_of_a_body_that_names_a_type_the_model_lacks_are_none() -> None:
    holder = thing(field("x"))
    assert effective_fields(api((holder,)), FieldSet((), from_type="Thing")) == holder.fields
    assert effective_fields(api((holder,)), FieldSet((), from_type="Gone")) == ()
