"""Stage 3: `engine.syntax.ast` → `engine.check.model`, reporting every error at once.

Resolves names (facts, parameters, rules, tables, enumeration words) with "did you mean" hints,
types every expression with units (montant, taux, entier…), merges an amending file into the
program it amends (`remplace fichier.nom`, dated table versions), detects cycles, checks table
grids (through `engine.check.grids`), examples and the schedule, and warns about unused facts and
parameters. Diagnostics are collected and raised as one `RulesError` at the end.
"""

from __future__ import annotations

from engine.base.diagnostics import RulesError, Severity, sort_key
from engine.base.source import Source
from engine.check import model, numbering, vocabulary
from engine.check.amendments import AmendmentChecks
from engine.check.expressions import literal_type
from engine.check.program import ProgramChecks
from engine.check.state import prefix_of
from engine.check.typography import loose_space_warnings
from engine.syntax import ast

__all__ = ["Checker", "check", "literal_type", "prefix_of"]


def check(rule_file: ast.RuleFile, source: Source, parent: model.Program | None = None,
          directory: str | None = None, reused: dict[str, model.Program] | None = None) -> model.Program:
    """Check a parsed rule file (merged onto the program it amends) and return the program.

    Raises:
        RulesError: with every error found (warnings are kept on the returned program).
    """
    checker = Checker(rule_file, source, parent, directory, reused)
    program = checker.run()
    errors = [d for d in checker.diagnostics if d.is_error]
    if errors:
        # Warnings are left out: next to errors they are mostly consequences of them (a fact only
        # read by a rule whose formula failed is "unused"), and the file does not load anyway.
        raise RulesError(tuple(sorted(errors, key=sort_key)), checker.sources)
    return program


class Checker(AmendmentChecks, ProgramChecks):
    """Checks one file: `run` drives the passes (declared in the modules it inherits from) in order."""

    # ── driver ──
    def run(self) -> model.Program:
        self.index()
        self.take_reused()
        self.withdraw()
        self.text = self._text_info()
        self.declare_sources()
        self.register_enums()
        self.check_facts()
        self.declare_types()
        self.check_replacements()
        for name, decl in self.local.items():
            self.definitions[name] = self.definition(decl)
        self.apply_amendments()
        self.follow_replaced_sets()
        effective = {**self.inherited, **self.definitions}
        self.check_reused(effective)
        self.check_withdrawn(effective)
        self.check_dated_references(effective)
        self.register_originals(effective)
        self.check_cycles(effective)
        outputs = tuple(n for n, d in effective.items() if d.is_output)
        examples = tuple(self.examples(effective))
        schedule = self.schedule(effective)
        self.warn_unused(effective)
        self.warn_idle_window()
        self.check_lookalikes(effective)
        self.check_rates()
        for diagnostic in loose_space_warnings(self.source):  # W120, engine.check.typography
            self.report(diagnostic)
        texts = (self.parent.texts if self.parent else ()) + (self.text,)
        warnings = tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)
        withdrawn = {**(self.parent.withdrawn if self.parent else {}), **dict.fromkeys(self.withdrawn, self.text.short)}
        headline, breakdown = self.vocabulary(effective)
        program = model.Program(texts, self.facts, effective, self.originals, outputs, examples, schedule,
                                self.sources, warnings, self.bibliography, withdrawn, headline, breakdown)
        numbering.number(program, self.source.name)  # stable node ids (engine.check.numbering)
        return program

    def vocabulary(self, effective: dict[str, model.Definition]) -> tuple[str | None, tuple[str, ...]]:
        """The headline result and breakdown facts (`engine.check.vocabulary`: E706, E707)."""
        return (vocabulary.headline(self.file.header, self.parent, effective, self.report),
                vocabulary.breakdown(self.file.header, self.parent, self.facts, self.report))
