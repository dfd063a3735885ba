"""What the generated resource classes (``client.assets``, ``client.companies``, ...) need from a client.

Every generated method takes its fields as typed arguments, checked strictly before anything is sent, plus
``extra_body=``: top-level fields the schema does not know yet, sent as given; and ``timeout=``. An optional
argument left at ``NOT_GIVEN`` is left out of the request; ``None`` sends an explicit JSON ``null``.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal, Protocol, TypeVar

from pydantic import BaseModel

from ._exceptions import FrameError
from .errors import VersionConflictError

ReplyT = TypeVar("ReplyT", bound=BaseModel)


class NotGiven:
    """The type of ``NOT_GIVEN``: the default of every optional argument, meaning "leave this field out".

    It is distinct from ``None`` so that an explicit JSON ``null`` can be sent (``notes=None``)."""

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:  # one instance, so ``is NOT_GIVEN`` holds after copy or pickle
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class AsyncCaller(Protocol):
    async def _call(
        self,
        command: str,
        reply: type[ReplyT],
        params: Mapping[str, object],
        timeout: float | None,
        extra_body: Mapping[str, object] | None,
    ) -> ReplyT: ...


class SyncCaller(Protocol):
    def _call(
        self,
        command: str,
        reply: type[ReplyT],
        params: Mapping[str, object],
        timeout: float | None,
        extra_body: Mapping[str, object] | None,
    ) -> ReplyT: ...


class AsyncResource:
    """A group of commands bound to an ``AsyncClient``."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncCaller) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class SyncResource:
    """A group of commands bound to a ``Client``."""

    __slots__ = ("_client",)

    def __init__(self, client: SyncCaller) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def reply_as(command: str, cls: type[ReplyT], reply: object, frame: str | None = None) -> ReplyT:
    """``reply`` typed as the command's response class; anything else is a decoding fault, said so plainly.

    Only a success reply gets here (an error code raised its typed error first), and a success reply carries its
    payload: one without it is a ``FrameError`` naming the field, never an attribute that holds ``None`` where
    its type says ``Company``. ``frame``: the text as received, kept on the error (``.frame``) for a report.
    """
    if not isinstance(reply, cls):
        raise FrameError(
            f"{command}: the reply decoded as {type(reply).__name__}, not {cls.__name__}", frame or repr(reply)
        )
    missing = absent_fields(reply)
    if missing:
        raise FrameError(f"{command}: the success reply lacks {', '.join(missing)}", frame or repr(reply))
    return reply


def absent_fields(model: BaseModel) -> list[str]:
    """Wire names of the fields of ``model`` typed without ``None`` that hold ``None`` (left out, or mismatched on
    receipt). Only the reply's own fields are checked: an object's key (``reply.asset.id``) is typed the same way,
    but the vendor's generic reply classes (``RespIdCompany`` for a machine) make a raise there too risky."""
    cls = type(model)
    return [cls.model_fields[name].alias or name for name in _present(cls) if getattr(model, name) is None]


@functools.cache
def _present(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` typed without ``None`` yet defaulting to ``None`` (the generator writes them so for a
    reply's payload and an object's key: the frame always has them on success, and decoding stays lenient)."""
    cls.model_rebuild()  # a deferred model (defer_build) nested in a reply has its annotations unresolved till then
    return tuple(
        name
        for name, info in cls.model_fields.items()
        if not info.is_required() and info.default is None and not _admits_none(info.annotation)
    )


def _admits_none(annotation: object) -> bool:
    return annotation is None or annotation is type(None) or type(None) in typing.get_args(annotation)


def params(values: Mapping[str, object]) -> dict[str, object]:
    """The request body from a method's arguments (by wire name), leaving out those not given (``NOT_GIVEN``);
    a ``None`` stays, and is sent as JSON ``null``."""
    return {key: value for key, value in values.items() if value is not NOT_GIVEN}


# --- update: read the versions, merge the given fields, retry on a version conflict ----------------------------

R = TypeVar("R")
DEFAULT_ATTEMPTS = 3


def _merge_body(
    current: BaseModel | None, key_attr: str, key_wire: str, changes: Mapping[str, object]
) -> dict[str, object]:
    """The merge body: the object's key and its current versions, then only the fields the caller changes."""
    if current is None:
        raise ValueError("the get reply held no object to update")
    managed = {key_wire, key_attr, "v"} & set(changes)
    if managed:
        raise ValueError(f"update() sets {sorted(managed)} itself (the key and the versions it read); leave them out")
    return {key_wire: getattr(current, key_attr), "v": current.v, **changes}  # type: ignore[attr-defined]


def _check_attempts(attempts: int) -> None:
    if attempts < 1:
        raise ValueError("attempts must be at least 1")


async def update_async(
    get: Callable[[], Awaitable[BaseModel | None]],
    merge: Callable[[Any], Awaitable[R]],  # the typed merge method: it takes its TypedDict, which this body is
    key: tuple[str, str],
    changes: Mapping[str, object],
    attempts: int,
) -> R:
    """What every generated ``update`` does, on ``AsyncClient`` (see the generated docstrings)."""
    _check_attempts(attempts)
    for attempt in range(1, attempts + 1):
        body = _merge_body(await get(), *key, changes)
        try:
            return await merge(body)
        except VersionConflictError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def update_sync(
    get: Callable[[], BaseModel | None],
    merge: Callable[[Any], R],
    key: tuple[str, str],
    changes: Mapping[str, object],
    attempts: int,
) -> R:
    """``update_async`` for ``Client``."""
    _check_attempts(attempts)
    for attempt in range(1, attempts + 1):
        body = _merge_body(get(), *key, changes)
        try:
            return merge(body)
        except VersionConflictError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
