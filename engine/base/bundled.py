"""The rule files, letter templates and example facts shipped with the package.

The wheel carries `rulesets/` (with `rulesets/lettres/`) as `engine/_rulesets` and `examples/` as
`engine/_examples` (pyproject's force-include); a checkout reads the repository's folders. So
`regles eval convention2024 --facts generaliste` works after `pip install regles`, anywhere.

A name is resolved only when it is not an existing path and is a bare name (no folder, no
suffix, or exactly the bundled file's name): a file the user has always wins, and a name that is
neither a file nor a bundled name is left as written, for the loader to report as unreadable.
The bundled folder is the root the loader confines `modifie` to, as for any other rule file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

_ENGINE = Path(__file__).resolve().parents[1]

__all__ = ["copy_starter", "example_names", "examples_dir", "resolve_facts", "resolve_rule_file", "rule_file_names",
           "rulesets_dir"]


def _shipped_or_repository(shipped: str, repository: str) -> Path:
    path = _ENGINE / shipped
    return path if path.is_dir() else _ENGINE.parent / repository


def rulesets_dir() -> Path:
    """The bundled rule files' folder (with its `lettres/` templates)."""
    return _shipped_or_repository("_rulesets", "rulesets")


def examples_dir() -> Path:
    """The bundled example facts' folder."""
    return _shipped_or_repository("_examples", "examples")


def rule_file_names() -> list[str]:
    """The names a bundled rule file can be given by (`convention2024`)."""
    return sorted(p.stem for p in rulesets_dir().glob("*.rules"))


def example_names() -> list[str]:
    """The names a bundled facts file can be given by (`generaliste`)."""
    return sorted(p.stem for p in examples_dir().glob("*.json"))


def _bundled(text: str, folder: Path, suffix: str) -> Path | None:
    """The bundled file `text` names, if it is a bare name and not an existing path."""
    if not text or Path(text).exists() or "/" in text or "\\" in text or text.startswith("."):
        return None
    name = text if text.endswith(suffix) else text + suffix
    if Path(name).suffix != suffix:
        return None
    candidate = folder / name
    return candidate if candidate.is_file() else None


def resolve_rule_file(text: str) -> str:
    """A rule file argument as a path: an existing path as written, else a bundled rule file's path."""
    found = _bundled(text, rulesets_dir(), ".rules")
    return str(found) if found is not None else text


def resolve_facts(text: str) -> str:
    """A facts file argument as a path: an existing path as written, else a bundled example's path."""
    found = _bundled(text, examples_dir(), ".json")
    return str(found) if found is not None else text


def copy_starter(target: Path) -> list[Path]:
    """Copy the bundled rule files, their `lettres/` templates and the examples (as `exemples/`) into
    `target`, which must not exist or be empty; return the files written.

    Raises:
        FileExistsError: `target` exists and is not an empty folder.
        OSError: writing failed.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(str(target))
    target.mkdir(parents=True, exist_ok=True)
    rules = rulesets_dir()
    for path in sorted(rules.glob("*.rules")):
        shutil.copy2(path, target / path.name)
    if (rules / "lettres").is_dir():
        shutil.copytree(rules / "lettres", target / "lettres")
    examples = target / "exemples"
    examples.mkdir()
    for path in sorted(examples_dir().iterdir()):
        if path.is_file() and path.suffix in {".json", ".csv", ".jsonl"}:
            shutil.copy2(path, examples / path.name)
    return sorted(p for p in target.rglob("*") if p.is_file())
