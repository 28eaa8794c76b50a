"""The sub-commands of `regles`: one module per command.

Each module defines `register(subparsers)`, which declares the command with `cli.command` (its
name, its French help and description, its `run` function `(argparse.Namespace) -> int`, and
whether it takes the rule file and the facts file) and adds its own arguments. This package
imports every module in it, so adding a command is adding a file. Commands only call the public
API and format its results.

`regles --help` lists the everyday commands first, in the order of `FIRST`, then the others
alphabetically.
"""

from __future__ import annotations

import importlib
import pkgutil

from engine.cli import main as cli

FIRST = ("check", "eval", "explain", "test", "echeancier")
"""The modules of the everyday commands, in the order `regles --help` lists them."""

_others = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in FIRST)
for _name in (*FIRST, *_others):
    cli.COMMANDS.append(importlib.import_module(f"{__name__}.{_name}").register)
