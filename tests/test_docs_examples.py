"""Every Python code block of the documentation site and of the READMEs runs: against the emulator, or, where a
block needs the real service, under ``mypy --strict``.

How a block is checked is said by an HTML comment on the line before its fence (invisible on the site and on a
code host), ``<!-- docs-test: MODE -->``:

- ``run``: a whole program, executed as ``__main__``.
- ``client`` / ``sync-client``: a fragment using ``client``, an ``AsyncClient`` (top-level ``await`` allowed) or a
  ``Client`` logged in to a fresh emulator as the demo user. A reply with an error code counts as a run: the
  reference examples send placeholder keys, and what they show is a valid call, not a particular object.
- ``pytest``: a test file, run by pytest in a folder of its own (the package's fixtures come from its plugin).
- ``typecheck``: needs the real service; type-checked with ``mypy --strict`` (a fragment is wrapped in
  ``async def`` with ``client: AsyncClient`` and ``password: str`` as parameters; a program may use ``password``).
- ``skip (reason)``: not a program (a signature, an excerpt); the reason is required.

A block without a comment is a ``run`` program unless it uses ``client`` without making one, then a fragment
(``client`` when it awaits, else ``sync-client``). New README blocks therefore need a comment only when they
need the real service or never end.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import GENERATED, PROJECT
from fleetfreedom import ApiError, AsyncClient, Client
from fleetfreedom.testing import DEMO_LOGIN, DEMO_PASSWORD, Emulator

PAGES = GENERATED / "docs" / "pages"
READMES = [PROJECT / "README.md", GENERATED / "README.md"]
API_MD = GENERATED / "api.md"
MODES = {"run", "client", "sync-client", "pytest", "typecheck", "skip"}

_FENCE = re.compile(r"^(?P<indent>[ ]*)```python[ \t]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<mode>[a-z-]+)(?P<rest>[^>]*)-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    code: str
    mode: str
    reason: str = ""

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT)}:{self.line}"


def _uses_await(code: str) -> bool:
    try:
        compile(code, "<block>", "exec", flags=ast.PyCF_ONLY_AST)
        compile(code, "<block>", "exec")
    except SyntaxError:
        return True  # top-level await (or async for) does not compile as a module
    return False


def _defines_client(code: str) -> bool:
    return bool(re.search(r"\bclient\b\s*[:=]|\bas\s+client\b|def \w+\([^)]*\bclient\b", code))


def _default_mode(code: str) -> str:
    if re.search(r"\bclient\.", code) and not _defines_client(code):
        return "client" if _uses_await(code) else "sync-client"
    return "run"


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        code = textwrap.dedent(match.group("code"))
        marker = _MARKER.search(before)
        if marker:
            out.append(Block(path, line, code, marker.group("mode"), marker.group("rest").strip(" ()")))
        else:
            out.append(Block(path, line, code, _default_mode(code)))
    return out


def all_blocks() -> list[Block]:
    files = [*READMES, API_MD, *sorted(PAGES.rglob("*.md"))]
    return [block for path in files for block in blocks_of(path)]


def by_mode(mode: str) -> list[Block]:
    return [b for b in all_blocks() if b.mode == mode]


def test_every_block_has_a_known_mode() -> None:
    blocks = all_blocks()
    assert len(blocks) > 600, len(blocks)  # two per command, plus the guides
    unknown = [f"{b.where}: {b.mode}" for b in blocks if b.mode not in MODES]
    assert not unknown, unknown
    unexplained = [b.where for b in blocks if b.mode == "skip" and not b.reason]
    assert not unexplained, f"a skipped block must say why: {unexplained}"
    for mode in ("run", "client", "sync-client", "pytest", "typecheck"):
        assert by_mode(mode), f"no block is checked as {mode}: the markers are not found"


# --- programs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", by_mode("run"), ids=lambda b: b.where)
def test_program_runs(block: Block) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.code, block.where, "exec"), {"__name__": "__main__"})


@pytest.mark.parametrize("block", by_mode("pytest"), ids=lambda b: b.where)
def test_pytest_example_passes(block: Block, tmp_path: Path) -> None:
    """Copied into an empty project folder, as a reader would, and run with plain pytest."""
    (tmp_path / "test_example.py").write_text(block.code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout, result.stdout


# --- fragments against one emulator --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def _failures(results: list[tuple[Block, BaseException | None]]) -> list[str]:
    return [f"{b.where}: {type(e).__name__}: {e}" for b, e in results if e is not None and not isinstance(e, ApiError)]


def test_async_fragments_run(emulator: Emulator) -> None:
    blocks = by_mode("client")

    async def run_all() -> list[tuple[Block, BaseException | None]]:
        results: list[tuple[Block, BaseException | None]] = []
        client: AsyncClient | None = None
        try:
            for block in blocks:
                if client is None or client.closed_reason is not None:
                    if client is not None:
                        await client.close()
                    client = AsyncClient(url=emulator.url, user_agent="docs-test", timeout=10)
                    await client.connect()
                    await client.login(DEMO_LOGIN, DEMO_PASSWORD)
                code = compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                error: BaseException | None = None
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        result: Any = eval(code, {"client": client, "__name__": "__docs__"})
                        if asyncio.iscoroutine(result):
                            await asyncio.wait_for(result, 30)
                except Exception as exc:
                    error = exc
                results.append((block, error))
        finally:
            if client is not None:
                await client.close()
        return results

    results = asyncio.run(run_all())
    assert len(results) == len(blocks)
    failures = _failures(results)
    assert not failures, f"{len(failures)} of {len(blocks)} fragments failed:\n" + "\n".join(failures[:30])


def test_sync_fragments_run(emulator: Emulator) -> None:
    blocks = by_mode("sync-client")
    results: list[tuple[Block, BaseException | None]] = []
    client: Client | None = None
    try:
        for block in blocks:
            if client is None or client.closed_reason is not None:
                if client is not None:
                    client.close()
                client = Client(url=emulator.url, user_agent="docs-test", timeout=10)
                client.connect()
                client.login(DEMO_LOGIN, DEMO_PASSWORD)
            error: BaseException | None = None
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(block.code, block.where, "exec"), {"client": client, "__name__": "__docs__"})
            except Exception as exc:
                error = exc
            results.append((block, error))
    finally:
        if client is not None:
            client.close()
    failures = _failures(results)
    assert not failures, f"{len(failures)} of {len(blocks)} fragments failed:\n" + "\n".join(failures[:30])


# --- blocks that need the real service: type-checked ---------------------------------------------------------


def _as_module(block: Block) -> str:
    if _uses_await(block.code):
        body = textwrap.indent(block.code, "    ")
        return (
            "from fleetfreedom import AsyncClient\n\n\n"
            f"async def _example(client: AsyncClient, password: str) -> None:\n{body}"
        )
    return f'password = "not a real password"\n{block.code}'


def _typed_module(block: Block) -> str:
    """Any block as a module mypy can check: a fragment gets the ``client`` its mode gives it."""
    body = textwrap.indent(block.code, "    ")
    if block.mode == "sync-client":
        return f"from fleetfreedom import Client\n\n\ndef _example(client: Client, password: str) -> None:\n{body}"
    if block.mode == "client":  # an AsyncClient fragment, with or without an await in it
        return (
            "from fleetfreedom import AsyncClient\n\n\n"
            f"async def _example(client: AsyncClient, password: str) -> None:\n{body}"
        )
    return _as_module(block)


@pytest.mark.slow
def test_readme_and_docs_blocks_and_examples_type_check(tmp_path: Path) -> None:
    """Every Python block of the READMEs and the docs, and ``examples/``, pass ``mypy --strict`` as a user would
    write them: a reply's payload and a received object's key need no ``None`` guard (issue 13 item 5)."""
    modes = ("run", "client", "sync-client", "typecheck")
    blocks = [b for b in all_blocks() if b.mode in modes]
    assert sum(b.path in READMES for b in blocks) >= 5 and len(blocks) >= 500, len(blocks)
    files = [str(p) for p in sorted((PROJECT / "examples").glob("*.py"))]
    for number, block in enumerate(blocks):
        path = tmp_path / f"block_{number}.py"
        path.write_text(f"# {block.where}\n{_typed_module(block)}", encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(PROJECT / ".mypy_cache"), *files],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MYPYPATH": str(GENERATED)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the example frames and objects of the reference pages ---------------------------------------------------


def test_example_frames_and_objects_are_what_the_sdk_reads() -> None:
    """Each command's example request builds into its request class, each example reply decodes into its typed
    reply, each type's example object validates as that type: the examples follow the schema, field for field."""
    import importlib
    import json

    import fleetfreedom as ff

    from generator.emit.examples import example_object, reply_frame, request_frame
    from generator.ir.queries import class_path
    from generator.pipeline import load_api

    model = load_api()
    problems = []
    for c in model.commands:
        name, body = request_frame(model, c)
        try:
            request = ff.build_request(name, {k: v for k, v in body.items() if k != "reqId"})
            if type(request).__name__ != c.request_class:
                problems.append(f"{c.name}: request built a {type(request).__name__}")
        except Exception as exc:
            problems.append(f"{c.name} request: {exc}")
        name, body = reply_frame(model, c)
        reply = ff.decode_frame(f"{name} {json.dumps(body)}")
        if type(reply).__name__ != c.response_class:
            problems.append(f"{c.name} reply decoded as {reply!r}"[:300])
    for t in model.types:
        module, _, cls = class_path(model, "fleetfreedom", t.name).partition(":")
        try:
            getattr(importlib.import_module(module), cls).model_validate(example_object(model, t.name))
        except Exception as exc:
            problems.append(f"{t.name}: {exc}"[:300])
    assert not problems, f"{len(problems)} examples do not follow the schema:\n" + "\n".join(problems[:20])


def test_read_only_marks_are_the_fields_the_emulator_keeps_from_merges() -> None:
    """The docs mark as read-only what the emulator (the project's model of the server) never takes from a merge."""
    from fleetfreedom.testing._catalog import STATE_FIELDS

    from generator.emit.docs import READ_ONLY_FIELDS

    assert set(READ_ONLY_FIELDS) == set(STATE_FIELDS)
    page = (PAGES / "sections" / "assets" / "types.md").read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if line.startswith("| <code>deleted</code>"))
    assert "read-only" in row, row
