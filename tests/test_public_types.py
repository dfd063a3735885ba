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
    revealed = [m.groups() for line in out.splitlines() if (m := REVEALED.search(line))]
    expected = SCRIPT.read_text().count("reveal_type(")
    assert len(revealed) == expected, out + err  # every reveal_type was checked (the script type-checks)
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert errors == [], "\n".join(errors)
    leaks = [f"line {line}: {text}" for line, text in revealed if re.search(r"\bAny\b", text)]
    assert leaks == [], "Any on the public surface:\n" + "\n".join(leaks)
