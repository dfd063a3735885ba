"""What the generated resource classes (``client.assets``, ``client.companies``, ...) need from a client.

Every generated method takes its fields as typed arguments, checked strictly before anything is sent, plus
``extra_body=``: top-level fields the schema does not know yet, sent as given; and ``timeout=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class AsyncCaller(Protocol):
    async def _call(
        self, command: str, params: Mapping[str, Any], timeout: float | None, extra_body: Mapping[str, Any] | None
    ) -> Any: ...


class SyncCaller(Protocol):
    def _call(
        self, command: str, params: Mapping[str, Any], timeout: float | None, extra_body: Mapping[str, Any] | None
    ) -> Any: ...


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


def params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The request body from a method's arguments (by wire name), leaving out those not given."""
    return {key: value for key, value in values.items() if value is not None}
