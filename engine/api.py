"""The two entry points: `load`/`loads` (text → Ruleset) and `Ruleset.evaluate` (facts → Outcome).

A `Ruleset` wraps a checked program; an `Outcome` holds the results of one evaluation. The trace
is recorded during a traced evaluation, run the first time `trace`, `events` or `explain` is
asked for: evaluation is pure, so this gives the same results as the untraced run while keeping
`evaluate` itself fast.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from engine.base.source import Source
from engine.check import model
from engine.check.loader import load_path, load_source
from engine.evaluate.backend import backend_for, fact_reader
from engine.evaluate.trace import Event
from engine.inputs.facts import FactsError
from engine.lang.kinds import DeclarationKind, TypeKind
from engine.lang.results import Missing, Result, Value
from engine.lang.values import money, to_decimal

if TYPE_CHECKING:
    from engine.explain.whynot import Unmet, WhyNot


def load(path: str | Path, *, root: str | Path | None = None) -> Ruleset:
    """Load a rule file (and the file it amends) from disk.

    `path` may also be a bundled rule file's name (`"convention2024"`, see `engine.base.bundled`) when
    no file of that name exists. `modifie` may only read `.rules` files inside `root` (default: the
    directory of `path`).

    Raises:
        RulesError: the file cannot be read, parsed or checked; `diagnostics` says why.
    """
    if isinstance(path, str):
        from engine.base.bundled import resolve_rule_file
        path = resolve_rule_file(path)
    return Ruleset(load_path(path, root=root))


def loads(text: str, *, filename: str = "<texte>", root: str | Path | None = None) -> Ruleset:
    """Load a rule file from a string; an amended file is looked up next to `filename`.

    `modifie` may only read `.rules` files inside `root` (default: the directory of `filename`,
    or the working directory when `filename` is not a path).

    Raises:
        TypeError: `text` is not a string.
        RulesError: the text cannot be parsed or checked.
    """
    if not isinstance(text, str):
        raise TypeError(f"loads() attend un texte (str), reçu {type(text).__name__}")
    base = Path(filename).parent if filename and not filename.startswith("<") else Path.cwd()
    return Ruleset(load_source(Source(filename, text), base_dir=base, root=Path(root) if root is not None else None))


class Ruleset:
    """A checked rule file, ready to evaluate."""

    def __init__(self, program: model.Program) -> None:
        self.program = program

    @property
    def title(self) -> str:
        """The title of the rule file."""
        return self.program.text.title

    @property
    def facts(self) -> Mapping[str, model.FactDecl]:
        """The declared facts, with their types, descriptions and questions."""
        return self.program.facts

    @property
    def outputs(self) -> Mapping[str, model.Definition]:
        """The results (`résultat`) the file computes, in declaration order."""
        return {name: self.program.definitions[name] for name in self.program.outputs}

    @property
    def warnings(self) -> tuple:
        """Warnings found while checking (unused facts or parameters…)."""
        return self.program.warnings

    def evaluate(self, facts: Mapping[str, object], *, outputs: Iterable[str] | None = None) -> Outcome:
        """Evaluate every output (or the named ones) for a set of facts.

        Args:
            facts: fact name → value, in JSON form or as Python values; None means not given. When the
                rule file declares a schedule, a fact may be an object of values per year (see
                `engine.inputs.facts.select_year`).
            outputs: names of the results to compute; all outputs by default.

        Raises:
            FactsError: a fact is unknown, of the wrong type, or outside its declared values.
            ValueError: an output name is unknown.
        """
        if self.program.schedule is not None:  # facts given per year: the year evaluated's values
            from engine.inputs.facts import select_year
            facts = select_year(self.program, facts)
        typed = fact_reader(self.program).validate(facts)
        return Outcome(self, typed, self._results(typed, self._names(outputs)))

    def _results(self, typed: Mapping[str, object], names: tuple[str, ...]) -> dict[str, Result]:
        """The results of some rules for validated facts, from the program's backend."""
        return backend_for(self.program).evaluate(typed, names)

    def _names(self, outputs: Iterable[str] | None) -> tuple[str, ...]:
        if outputs is None:
            return self.program.outputs
        names = (outputs,) if isinstance(outputs, str) else tuple(outputs)  # one name is not a list of letters
        rules = [n for n, d in self.program.definitions.items() if d.kind == DeclarationKind.RULE]
        for name in names:
            if name not in rules:
                from engine.base.diagnostics import suggest
                hint = suggest(name, rules) or "résultats possibles : " + ", ".join(self.program.outputs)
                raise ValueError(f"résultat inconnu « {name} » ; {hint}")
        return names

    def __repr__(self) -> str:
        return f"<Ruleset {self.program.text.file!r}: {len(self.program.outputs)} résultats>"


class Outcome:
    """The results of one evaluation: values, statuses, missing facts, trace and explanations."""

    def __init__(self, ruleset: Ruleset, facts: Mapping[str, object], results: Mapping[str, Result]) -> None:
        self.ruleset = ruleset
        self.facts = dict(facts)
        self.results = dict(results)

    @functools.cached_property
    def values(self) -> dict[str, object]:
        """Output name → value (Decimal, int, bool, date or str) for results that have a value; an amount
        is a Decimal with at least two decimals (`Decimal("8400.00")`), whatever the arithmetic left."""
        definitions = self.ruleset.program.definitions
        return {name: public_value(r.value, definitions[name].type) for name, r in self.results.items()
                if isinstance(r, Value)}

    def result(self, name: str) -> Result:
        """The full result of a rule: Value, NotApplicable, Undetermined or Missing."""
        if name not in self.results:
            self.results.update(self.ruleset._results(self.facts, self.ruleset._names([name])))
        return self.results[name]

    def status(self, name: str) -> str:
        """"value", "not_applicable", "missing" or "undetermined"."""
        return self.result(name).status

    def reason(self, name: str) -> str | None:
        """The French reason of a non-applicable or undetermined result, else None."""
        return getattr(self.result(name), "reason", None)

    @functools.cached_property
    def missing(self) -> frozenset[str]:
        """Facts needed by some result and not given."""
        found: set[str] = set()
        for r in self.results.values():
            if isinstance(r, Missing):
                found |= r.facts
        return frozenset(found)

    @functools.cached_property
    def _events(self) -> dict[str, Event]:
        """Result name → its event tree; created on first use, as most outcomes are never traced."""
        return {}

    @property
    def events(self) -> dict[str, Event]:
        """Result name → its complete trace tree, from one traced evaluation of every result; rules
        shared between results are shared events, so no rule is evaluated twice."""
        missing = [name for name in self.results if name not in self._events]
        if missing:
            self._trace(missing)
        return {name: self._events[name] for name in self.results}

    def event(self, name: str) -> Event:
        """The complete trace tree of one result (traced on demand).

        The first result asked for is traced alone (one explanation costs only its own rules); the
        next one asked for is traced with every result not yet traced, in one run, as someone who
        asks for a second explanation usually asks for all of them.
        """
        self.result(name)
        if name not in self._events:
            self._trace([name] if not self._events else [n for n in self.results if n not in self._events])
        return self._events[name]

    def _trace(self, names: list[str]) -> None:
        self._events.update(backend_for(self.ruleset.program).trace(self.facts, names))

    @property
    def trace(self) -> dict[str, object]:
        """The trace as a JSON-serialisable tree; a false result also lists its `unmet` conditions."""
        from engine.evaluate.trace import json_value
        written: set[int] = set()
        results = []
        for name, event in self.events.items():
            out = event.to_json(written)
            if is_false(self.results[name]):  # why not: every unmet condition (engine.explain.whynot)
                out["unmet"] = [u.to_json() for u in self.unmet(name)]
            results.append(out)
        return {"rules": self.ruleset.program.text.file,
                "facts": {k: json_value(v) for k, v in self.facts.items()},
                "results": results}

    @functools.cached_property
    def _whynot(self) -> WhyNot:
        from engine.explain.whynot import (
            WhyNot,  # imported on use, like explanations: it loads Babel
        )
        return WhyNot(self.ruleset.program, self.facts)

    def unmet(self, name: str) -> list[Unmet]:
        """For a false boolean result, every condition that does not hold (`engine.explain.whynot.Unmet`:
        `.name`, `.text`, `.margin`, `.children`), whatever order evaluation took; else [].

        Conditions that evaluation skipped (short-circuit) are evaluated on the same facts; one
        that lacks facts is listed as "non vérifiée", naming them.
        """
        if not is_false(self.result(name)):
            return []
        return self._whynot.unmet(name)

    def explain(self, name: str) -> str:
        """A French explanation of how a result was obtained, with citations and values."""
        from engine.explain.detail import explain
        return explain(self, name)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={self.results[n].status}" for n in list(self.results)[:4])
        return f"<Outcome {shown}…>"


def is_false(result: Result) -> bool:
    """Whether a result is the boolean false (not a zero: `Value(0) == Value(False)` in Python)."""
    return type(result) is Value and result.value is False


def public_value(value: object, t: object = None) -> object:
    """A runtime value as callers get it: Decimal for non-integer numbers, an amount (type `t`
    montant) with at least two decimals."""
    if getattr(t, "kind", None) == TypeKind.MONTANT and isinstance(value, (int, Decimal, Fraction)) \
            and not isinstance(value, bool):
        return money(value)
    if isinstance(value, Fraction):
        return to_decimal(value)
    return value


__all__ = ["FactsError", "Outcome", "Ruleset", "load", "loads"]
