"""No ``Any`` on the public surface: mypy ``reveal_type`` over a script that uses the SDK the way the README does
(``fixtures/public_surface.py``), each revealed type free of ``Any``."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

SCRIPT = Path(__file__).parent / "fixtures" / "public_surface.py"
REVEALED = re.compile(r":(\d+): note: Revealed type is \"(.*)\"$")


def test_no_any_is_revealed_on_the_public_surface() -> None:
    out, err, _ = api.run(["--strict", "--no-incremental", "--show-traceback", str(SCRIPT)])
    revealed = [(m[1], m[2]) for line in out.splitlines() if (m := REVEALED.search(line))]  # (line number, type)
    expected = SCRIPT.read_text().count("reveal_type(")
    assert len(revealed) == expected, out + err  # every reveal_type was checked (the script type-checks)
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert errors == [], "\n".join(errors)
    leaks = [f"line {line}: {text}" for line, text in revealed if re.search(r"\bAny\b", text)]
    assert leaks == [], "Any on the public surface:\n" + "\n".join(leaks)
    by_line = dict(revealed)
    lines = SCRIPT.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        if "without None" in line or "a received key" in line:  # item 5: payloads and keys of replies are there
            assert "None" not in by_line[str(number)], f"line {number}: {by_line[str(number)]}"


MISSPELT = """
from fleetfreedom import AsyncClient


async def rename(client: AsyncClient) -> None:
    await client.assets.merge({"id": 101, "nmae": "Truck 9"})
    await client.assets.update(101, nmae="Truck 9")
"""


def test_a_misspelt_field_fails_the_type_check(tmp_path: Path) -> None:
    """Merge bodies are TypedDicts and update() takes keyword fields: a misspelt key is a mypy error, not a
    run-time surprise."""
    script = tmp_path / "misspelt.py"
    script.write_text(MISSPELT)
    out, err, _ = api.run(["--strict", "--no-incremental", str(script)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 2, out + err
    assert "misspelt.py:6:" in errors[0] and "AssetParam" in errors[0], errors  # not a valid AssetParam
    assert '"nmae"' in errors[1] and '"update"' in errors[1], errors
