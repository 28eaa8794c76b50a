"""Stage 2, the state shared by the checker's passes, and the helpers more than one pass uses.

`CheckState` declares everything the passes read and write while one file is checked (the names
known so far, the types, the diagnostics); each pass is a class deriving from it (`expressions`,
`declarations`, `amendments`, `program`), and `checker.Checker` combines them. Declaring the state
once is what lets each pass be type-checked on its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath

from engine.base.diagnostics import Diagnostic, Label, error
from engine.base.source import Source, Span
from engine.check import bibliography, model
from engine.lang.kinds import DeclarationKind
from engine.lang.types import (
    ANY,
    Type,
)
from engine.syntax import ast

ERROR = model.Const(None, ANY)
"""What a failed check returns in place of an expression, so that checking goes on."""


def prefix_of(file: str) -> str:
    """The name other files use for this file: its stem (`avenant7` for avenant7.rules)."""
    return PurePath(file).stem


class CheckState:
    """The state of checking one file, shared by every pass."""

    text: model.TextInfo
    """The text this file encodes, from its header (set by `checker.Checker.run` before the definitions)."""

    def __init__(self, rule_file: ast.RuleFile, source: Source, parent: model.Program | None,
                 directory: str | None = None, reused: dict[str, model.Program] | None = None) -> None:
        self.file = rule_file
        self.directory = directory
        self.source = source
        self.parent = parent
        self.prefix = prefix_of(source.name)
        self.sources = dict(parent.sources) if parent else {}
        self.sources[source.name] = source
        self.diagnostics: list[Diagnostic] = []
        self.facts: dict[str, model.FactDecl] = dict(parent.facts) if parent else {}
        self.inherited: dict[str, model.Definition] = dict(parent.definitions) if parent else {}
        self.originals: dict[tuple[str, str], model.Definition] = dict(parent.originals) if parent else {}
        self.local: dict[str, ast.Parameter | ast.Rule | ast.Function | ast.Table] = {}
        self.scope: dict[str, Type] = {}
        self.local_facts: dict[str, ast.Fact] = {}
        self.enums: dict[str, Type] = {}
        self.types: dict[str, Type] = {}
        self.typing: set[str] = set()
        self.used: set[str] = set()
        self.deps: dict[str, list[tuple[str, Span]]] = {}
        self.current: str | None = None
        self.definitions: dict[str, model.Definition] = {}
        self.bibliography: dict[str, bibliography.SourceDecl] = dict(parent.bibliography) if parent else {}
        self.local_sources: dict[str, ast.SourceDecl] = {}
        self.cited: set[str] = set()
        self.reused_programs = reused or {}
        """The programs of the files named by `reprend … de "fichier"`, by the path as written."""
        self.reuses: list[ast.Reuse] = []
        self.reused: dict[str, tuple[model.Definition, ast.Reuse, Span]] = {}
        """Definitions taken from another text, with the `reprend` that takes them and the name's span."""
        self.withdrawals: list[ast.Withdraw] = []
        self.withdrawn: dict[str, Span] = {}
        """Inherited definitions this file withdraws (`abroge x`), with where the withdrawal is written."""
        self.amendments: list[ast.Amend] = []
        """`précise fichier.nom` blocks: metadata of inherited definitions, applied after the definitions."""
        self.reads_window = False
        """Whether a formula of this file reads the header's period (`en vigueur au …`), see W113."""
        self.fact_uses: dict[str, Span] = {}
        """Where each fact is first read, for the warnings about inherited facts (W108)."""

    # ── reporting ──
    def uid(self, name: str) -> str:
        """The stable identity of a definition this file builds (`model.Definition.uid`)."""
        return f"{self.prefix}.{name}"

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def fail(self, code: str, message: str, span: Span, hint: str | None = None,
             labels: tuple[Label, ...] = ()) -> model.Expr:
        self.report(error(code, message, span, hint, labels))

        return ERROR


class Info:
    """The items of a block, sorted by kind."""

    def __init__(self) -> None:
        self.description: str | None = None
        self.question: str | None = None
        self.label: str | None = None
        self.unit: str | None = None
        self.citations: list[ast.Citation | ast.SourceRef] = []
        self.statuses: list[ast.Status] = []
        self.guard: ast.Guard | None = None
        self.valid_from: ast.Expr | None = None
        self.internal = False
        self.duplicates: dict[str, list[Span]] = {}


def block_items(items: tuple[ast.Item, ...]) -> Info:
    info = Info()
    seen: dict[str, list[Span]] = {}
    for item in items:
        if isinstance(item, ast.Description):
            seen.setdefault("description", []).append(item.span)
            info.description = item.text
        elif isinstance(item, (ast.SourceRef, ast.Citation)):
            info.citations.append(item)
        elif isinstance(item, ast.Question):
            seen.setdefault("question", []).append(item.span)
            info.question = item.text
        elif isinstance(item, ast.LetterLabel):
            seen.setdefault("libellé", []).append(item.span)
            info.label = item.text
        elif isinstance(item, ast.Unit):
            seen.setdefault("unité", []).append(item.span)
            info.unit = item.text
        elif isinstance(item, ast.Status):
            info.statuses.append(item)
        elif isinstance(item, ast.Internal):
            seen.setdefault("interne", []).append(item.span)
            info.internal = True
        elif isinstance(item, ast.Guard):
            seen.setdefault("applicable si", []).append(item.span)
            info.guard = item
        elif isinstance(item, ast.ValidFrom):
            seen.setdefault("à partir du", []).append(item.span)
            info.valid_from = item.date
    info.duplicates = {k: v for k, v in seen.items() if len(v) > 1}
    return info


def prefixes_hint(known: list[str]) -> str:
    """Which prefixes may cite an amended text, for a prefix that matches none."""
    if not known:
        return 'ce fichier ne modifie aucun texte : ajoutez en tête modifie "fichier.rules"'
    return "textes modifiés : " + ", ".join(f"« {k} »" for k in known)


def article(kind: DeclarationKind) -> str:
    """`un paramètre`, `une règle`…"""
    return kind.with_article


def french_date(d: dt.date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def kind_of_declaration(decl: ast.Node) -> DeclarationKind:
    """`parameter`, `rule`, `function`, `table` or `fact`."""
    return {ast.Parameter: DeclarationKind.PARAMETER, ast.Rule: DeclarationKind.RULE,
            ast.Function: DeclarationKind.FUNCTION, ast.Table: DeclarationKind.TABLE,
            ast.Fact: DeclarationKind.FACT}[type(decl)]


def name_span(decl: ast.Node | model.Node) -> Span:
    """Where a declaration's name is written (its whole span for a node built without one)."""
    span = getattr(decl, "name_span", None)
    return span if span is not None and span.line else decl.span
