"""Where the command line's pieces live: one home for sub-commands, and serve beside cli, not above it."""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import pytest

from engine.cli import main as cli
from engine.cli.commands import FIRST
from engine.tools.jsonio import InvalidJSON, loads_strict

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def _imported(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_subcommand_is_a_module_of_commands() -> None:
    """Each command runs a function of `engine.cli.commands.<module>`: main.py defines none."""
    homes = {name: p.get_default("run").__module__ for name, p in _subcommands().items()}
    assert all(home.startswith("engine.cli.commands.") for home in homes.values()), homes
    assert not [n for n in ast.walk(ast.parse((ENGINE / "cli/main.py").read_text(encoding="utf-8")))
                if isinstance(n, ast.FunctionDef) and n.name.startswith("cmd_")]


def test_help_lists_the_everyday_commands_first_then_the_others_alphabetically() -> None:
    names = list(_subcommands())
    assert names[:len(FIRST)] == ["check", "eval", "explain", "test", "echeancier"]
    assert names[len(FIRST):] == sorted(names[len(FIRST):])


@pytest.mark.parametrize("module", sorted(p.name for p in (ENGINE / "serve").glob("*.py")))
def test_serve_does_not_import_the_command_line(module: str) -> None:
    """The server and the command line are siblings: both reach the outcome's JSON through engine.tools.jsonio."""
    assert not {m for m in _imported(ENGINE / "serve" / module) if m == "engine.cli" or m.startswith("engine.cli.")}


@pytest.mark.parametrize("text, reason, where", [
    ('{"a": 1, "a": 2}', "la clé « a » est écrite deux fois dans un même objet : laquelle vaut ?", None),
    ("[" * 100_000, "imbriqué trop profondément", None),
    ('{"a": ' + "9" * 5000 + "}", "nombre trop long", None),
    ('{"a": }', "Expecting value", (1, 7)),
])
def test_strict_json_reasons(text: str, reason: str, where: tuple[int, int] | None) -> None:
    """One strict reading for facts files and request bodies: each refusal says why, and where when it can."""
    with pytest.raises(InvalidJSON) as caught:
        loads_strict(text)
    assert caught.value.reason == reason
    assert (None if caught.value.line is None else (caught.value.line, caught.value.column)) == where


def test_strict_json_reads_what_json_reads() -> None:
    text = '{"a": [1, 2.5, "x"], "b": {"c": null}}'
    assert loads_strict(text) == json.loads(text)
