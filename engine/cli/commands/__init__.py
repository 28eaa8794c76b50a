"""Sub-commands beyond check, eval, explain, test and echeancier: one module per command.

Each module defines `register(subparsers)`, which adds its parser and sets `run` to a function
`(argparse.Namespace) -> int`. This package imports every module in it, so adding a command is
adding a file. Commands only call the public API and format its results.
"""

from __future__ import annotations

import importlib
import pkgutil

from engine.cli import main as cli

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    cli.EXTRA_COMMANDS.append(_module.register)
