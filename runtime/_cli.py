"""The ``fleetfreedom`` console script: one entry point, subcommands implemented where their code lives.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``; it is imported only when
its subcommand runs, so ``fleetfreedom --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

# subcommand -> (module, one-line help); modules relative to this package, whatever it is named
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "emulator": (".testing._cli", "run a local Fleet Freedom server (for tests and demos)"),
    "call": ("._client_cli", "send one command and print the typed reply as JSON"),
    "tail": ("._client_cli", "subscribe and print sync events as they arrive"),
}


def _available(module: str) -> bool:
    return importlib.util.find_spec(module, __package__) is not None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fleetfreedom", description="Fleet Freedom SDK command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    argv = list(sys.argv[1:] if argv is None else argv)
    for name, (module, help_text) in SUBCOMMANDS.items():
        if not _available(module):
            continue
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module)
        if argv[:1] == [name]:  # only the chosen subcommand's module is imported
            importlib.import_module(module, __package__).add_arguments(sub, name)
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(args.module, __package__).run(args))
    except KeyboardInterrupt:
        return 130
