"""Imports flow one way through the pipeline's stages, with no cycle between modules.

Every module of `engine/` is parsed (never imported) and every import is read: at the top of the
file, inside functions, under `if TYPE_CHECKING`. A function-level import hides a cycle from Python
but not from the design, so it counts the same. Two rules:

- a module imports only modules of its own stage or of a lower one (`STAGES`, bottom first);
- the graph of imports between modules has no cycle, within a stage too.

A violation that another package must fix is listed in `ALLOWED`, with its reason; an entry that no
longer matches anything fails the test, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import attrs

from engine.base.source import NOWHERE, Span
from engine.check.graph import elementary_cycles

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"

# Bottom first; a module may import its own rank or lower ones.
STAGES: tuple[tuple[str, ...], ...] = (
    ("engine.base",),
    ("engine.lang",),
    ("engine.syntax",),
    ("engine.check",),
    ("engine.inputs",),
    ("engine.evaluate",),
    ("engine.sql",),
    ("engine.explain",),
    ("engine.api", "engine.schedule"),  # the API, and the schedule (one evaluation per contract year)
    ("engine.letters", "engine"),  # engine/__init__.py, the facade, also re-exports render_letter
    ("engine.tools",),
    ("engine.serve",),
    ("engine.cli",),
    ("engine.__main__",),
)

# (importer, imported) → why it is still there. Module names, exactly as `Import.importer` and
# `Import.imported` spell them. Each entry is cleared by the owner of the importing package.
ALLOWED: dict[tuple[str, str], str] = {}


@attrs.frozen
class Import:
    """One import statement's edge: which module imports which, and where it is written."""

    importer: str
    imported: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.importer} imports {self.imported}"


def module_name(path: Path) -> str:
    """The dotted name of a file under the repository root (`engine/check/model.py` → `engine.check.model`)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    """Every module of the engine, by dotted name."""
    return {module_name(path): path for path in sorted(ENGINE.rglob("*.py"))}


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The engine module an imported dotted name lives in: the longest prefix that is a module."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def package_of(module: str, modules: dict[str, Path]) -> str:
    """The package a module's relative imports start from."""
    is_package = modules[module].name == "__init__.py"
    return module if is_package else module.rpartition(".")[0]


def imports_of(module: str, modules: dict[str, Path]) -> list[Import]:
    """Every engine module `module` imports, wherever the statement stands in the file."""
    path = modules[module]
    file = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    found: list[Import] = []

    def add(name: str, line: int) -> None:
        target = resolve(name, modules)
        edge = Import(module, target, file, line) if target is not None and target != module else None
        if edge is not None and edge not in found:
            found.append(edge)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=file)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package_of(module, modules).split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from engine.check import model` imports a module
                add(f"{base}.{alias.name}", node.lineno)
    return found


def rank(module: str) -> int:
    """The stage of a module: the index of the longest stage prefix it falls under."""
    best, best_length = -1, -1
    for index, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best >= 0, f"{module} belongs to no stage of STAGES"
    return best


def all_imports() -> list[Import]:
    """The import edges of the whole engine."""
    modules = all_modules()
    return [edge for module in modules for edge in imports_of(module, modules)]


def cycles(edges: list[Import]) -> list[list[str]]:
    """One cycle of modules per strongly connected part, through the checker's own cycle finder."""
    graph: dict[str, list[tuple[str, Span]]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, []).append((edge.imported, NOWHERE))
        graph.setdefault(edge.imported, [])
    return [sorted({module for module, _ in cycle}) for cycle in elementary_cycles(graph)]


def unallowed(edges: list[Import]) -> list[Import]:
    return [edge for edge in edges if (edge.importer, edge.imported) not in ALLOWED]


def test_every_module_has_a_stage() -> None:
    for module in all_modules():
        rank(module)


def test_no_lower_stage_imports_a_higher_one() -> None:
    upward = [edge for edge in unallowed(all_imports()) if rank(edge.imported) > rank(edge.importer)]
    assert not upward, "imports against the pipeline's order:\n" + "\n".join(map(str, upward))


def test_no_import_cycle() -> None:
    edges = unallowed(all_imports())
    found = cycles(edges)
    report = []
    for component in found:
        members = set(component)
        inside = [str(edge) for edge in edges if edge.importer in members and edge.imported in members]
        report.append("cycle between " + ", ".join(component) + ":\n  " + "\n  ".join(inside))
    assert not found, "\n".join(report)


def test_every_allowed_import_still_exists() -> None:
    present = {(edge.importer, edge.imported) for edge in all_imports()}
    stale = [f"{a} → {b}" for a, b in ALLOWED if (a, b) not in present]
    assert not stale, "ALLOWED lists imports that are gone; remove them: " + ", ".join(stale)


def test_the_walk_sees_function_level_imports(tmp_path: Path) -> None:
    """The walker must see an import written inside a function, or cycles would hide there."""
    source = "import os\n\ndef f():\n    from engine.check import model\n    return model\n"
    tree = ast.parse(source)
    inner = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert [node.lineno for node in inner] == [4]
    modules = all_modules()
    edges = imports_of("engine.base.source", {**modules, "engine.base.source": write(tmp_path, source)})
    assert [(edge.imported, edge.line) for edge in edges] == [("engine.check.model", 4)]


def test_cycles_finds_a_two_module_cycle() -> None:
    edges = [Import("a", "b", "a.py", 1), Import("b", "a", "b.py", 1), Import("b", "c", "b.py", 2)]
    assert cycles(edges) == [["a", "b"]]


def write(folder: Path, text: str) -> Path:
    path = folder / "module.py"
    path.write_text(text, encoding="utf-8")
    return path
