"""The command line starts without loading the parser, the letters or the site generator."""

from __future__ import annotations

import subprocess
import sys


def test_commands_register_without_heavy_imports() -> None:
    """Registering every sub-command imports neither lark, Jinja, nor the letter and site modules."""
    code = ("import sys, engine.cli.main, engine.cli.commands; "
            "print(sorted(m for m in ('lark', 'jinja2', 'engine.letters.render', 'engine.tools.docsite', 'engine.syntax.fmt') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_letter_formats_agree() -> None:
    """The formats the `letter` command offers are the ones `engine.letters.render` renders."""
    from engine.cli.commands import letter
    from engine.letters.render import FORMATS
    assert letter.FORMATS == FORMATS
