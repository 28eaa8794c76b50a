"""Impact of a rule change over a population: two rule files, one table of facts → what changes.

`compare` evaluates every row of a population (CSV with one column per fact, or JSON Lines) with
an old and a new rule file (typically a file and the file that amends it) and says what changes,
keeping apart the cases that must not be added together:

- the deciding result (a boolean result both files compute, `eligibility` in the API and the JSON:
  by default the headline result the files declare, `résultat principal : nom`) sorts each row
  into a case: true under both texts, false → true (gained), true → false (lost), false under
  both, outside one text's scope (the result is *non applicable* there: that text does not govern
  the row) and true or false under the other, outside both, or undetermined or missing;
- amounts (`montant` results) are compared, before and after, only on the rows where the deciding
  result is true under both texts; a row that gains (loses) it counts with the amount the new
  (old) text gives it; a row one text does not govern counts, apart, with the amount of the text
  that governs it and finds the result true; no other amount is ever summed, since a text pays
  nothing to a row whose deciding result it finds false or does not govern. Amounts that are not
  values (undetermined, not applicable, missing) are counted by status, never summed;
- without a deciding result, amounts are compared on every row where both files give one.

The case keys of the JSON say where the deciding result stands, not what it means (`both`,
`gained`, `lost`, `neither`, `new_only_true`, `new_only_false`, `old_only_true`, `old_only_false`,
`outside_both`, `unknown`); the French labels of the text report speak the rule file's words.

The same cases are broken down by the values of chosen facts (by default the breakdown the files
declare, `ventilation : a, b`), every result's status and value transitions are counted, and a few
changed rows are kept with the French explanation of both results. A fact unknown to one file is
dropped for that file; a row whose facts a file rejects is reported with its line number and
reason, counted and skipped, never silently. `render_text` writes the report for a policy editor, `to_json` the same
for programs. Which result decides and which facts break the counts down are parameters, not
names the engine knows.

Reading the population is `engine.tools.impact_population`; the report (`render_text` for a policy
editor, `to_json` for programs) is `engine.tools.impact_report`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from attrs import define, field, frozen

from engine import api
from engine.base.diagnostics import EngineError, suggest
from engine.lang import formatting
from engine.lang.kinds import TypeKind
from engine.lang.results import STATUS_FRENCH, NotApplicable, Result, Value
from engine.lang.types import Type
from engine.lang.values import to_decimal
from engine.tools.impact_population import PopulationError, read_population

CENT = Decimal("0.01")


# ─── Cases ───────────────────────────────────────────────────────────────────────────────────

@frozen
class Case:
    """How a row's deciding result moves between the texts, and which text's amounts count for it.

    `basis` is "both" (amounts compared before/after), "old" or "new" (the amount that text gives
    counts on its own), "apart" (the amounts both files compute where neither governs the row,
    compared in a section of their own and never added to the others), or None (no amount counts:
    a text pays nothing to a row whose deciding result it finds false).
    """

    key: str
    old: str
    new: str
    label: str
    basis: str | None


NA = STATUS_FRENCH["not_applicable"]
CASES = (
    Case("both", "vrai", "vrai", "éligibles selon les deux textes", "both"),
    Case("gained", "faux", "vrai", "gagnent l'éligibilité", "new"),
    Case("lost", "vrai", "faux", "perdent l'éligibilité", "old"),
    Case("neither", "faux", "faux", "inéligibles selon les deux textes", None),
    Case("new_only_true", NA, "vrai", "hors du champ de l'ancien texte, éligibles selon le nouveau", "new"),
    Case("new_only_false", NA, "faux", "hors du champ de l'ancien texte, inéligibles selon le nouveau", None),
    Case("old_only_true", "vrai", NA, "hors du champ du nouveau texte, éligibles selon l'ancien", "old"),
    Case("old_only_false", "faux", NA, "hors du champ du nouveau texte, inéligibles selon l'ancien", None),
    Case("outside_both", NA, NA, "hors du champ des deux textes", "apart"),
    Case("unknown", "?", "?", "éligibilité indéterminée ou manquante selon au moins un texte", None),
)
"""Every case when a deciding result is compared, in report order."""

ALL_ROWS = Case("all", "", "", "toutes les lignes évaluées", "both")
"""The single case when there is no deciding result."""

_BY_STATES = {(c.old, c.new): c for c in CASES}


def classify(old: Result, new: Result) -> Case:
    """The case of a row from its deciding result under the old and the new text."""
    return _BY_STATES.get((_label(old), _label(new)), CASES[-1])


# ─── Results of a comparison ─────────────────────────────────────────────────────────────────

@frozen
class BadRow:
    """A row skipped because a rule file rejected its facts."""

    line: int
    ident: str | None
    reason: str


@frozen
class Change:
    """One result that differs between the two files for one row."""

    name: str
    old: Result
    new: Result


@define
class OutputStats:
    """How one result changes over the population."""

    changed: int = 0
    transitions: Counter[tuple[str, str]] = field(factory=Counter)


@define
class PairStats:
    """One amount compared before and after, on the rows of one case.

    Only rows where both texts give a value are compared and summed; the others are counted by
    their (old, new) status in `uncompared`.
    """

    compared: int = 0
    changed: int = 0
    total_old: Decimal = Decimal(0)
    total_new: Decimal = Decimal(0)
    increased: int = 0
    decreased: int = 0
    uncompared: Counter[tuple[str, str]] = field(factory=Counter)

    @property
    def delta(self) -> Decimal:
        """Total change (new − old)."""
        return self.total_new - self.total_old

    @property
    def mean_delta(self) -> Decimal | None:
        """Mean change per compared row, rounded half up to the cent."""
        return _mean(self.delta, self.compared)

    def add(self, a: Result, b: Result) -> None:
        """Count one row."""
        if isinstance(a, Value) and isinstance(b, Value):
            old, new = _amount(a), _amount(b)
            self.compared += 1
            self.total_old += old
            self.total_new += new
            self.changed += old != new
            self.increased += new > old
            self.decreased += new < old
        else:
            self.uncompared[(_label(a), _label(b))] += 1


@define
class Tally:
    """One amount under one text, on the rows of one case: values summed, other statuses counted."""

    valued: int = 0
    total: Decimal = Decimal(0)
    without: Counter[str] = field(factory=Counter)

    @property
    def mean(self) -> Decimal | None:
        """Mean amount per row with a value, rounded half up to the cent."""
        return _mean(self.total, self.valued)

    def add(self, result: Result) -> None:
        """Count one row."""
        if isinstance(result, Value):
            self.valued += 1
            self.total += _amount(result)
        else:
            self.without[_label(result)] += 1


def _amount(result: Value) -> Decimal:
    """The value of an amount (`montant` result) as a Decimal; the checker types every amount as a number."""
    value = result.value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, Fraction)):
        raise TypeError(f"un montant doit être un nombre, pas {value!r}")
    return to_decimal(value)


def _mean(total: Decimal, n: int) -> Decimal | None:
    return (total / n).quantize(CENT, rounding=ROUND_HALF_UP) if n else None


@define
class CaseStats:
    """The rows of one case: how many, and the amounts that count for them (per `Case.basis`)."""

    rows: int = 0
    pairs: dict[str, PairStats] = field(factory=dict)
    tallies: dict[str, Tally] = field(factory=dict)
    transitions: Counter[tuple[str, str]] = field(factory=Counter)
    reasons_old: Counter[str] = field(factory=Counter)
    reasons_new: Counter[str] = field(factory=Counter)


@define
class GroupStats:
    """The counts of one value of a breakdown fact."""

    rows: int = 0
    changed: int = 0
    cases: dict[str, CaseStats] = field(factory=dict)


@frozen
class ExampleRow:
    """A changed row shown in the report, with the explanations of its main change."""

    line: int
    ident: str | None
    by: Mapping[str, str]
    case: str
    changes: tuple[Change, ...]
    explained: str
    old_explanation: str
    new_explanation: str


@define
class Impact:
    """Everything `regles diff` reports."""

    old: str
    new: str
    population: str
    by: tuple[str, ...]
    amounts_shown: tuple[str, ...] = ()
    by_missing: tuple[str, ...] = ()
    rows: int = 0
    evaluated: int = 0
    changed_rows: int = 0
    bad: list[BadRow] = field(factory=list)
    ignored: dict[str, list[str]] = field(factory=dict)
    common: tuple[str, ...] = ()
    only_old: tuple[str, ...] = ()
    only_new: tuple[str, ...] = ()
    eligibility: str | None = None
    amounts: tuple[str, ...] = ()
    outputs: dict[str, OutputStats] = field(factory=dict)
    cases: dict[str, CaseStats] = field(factory=dict)
    groups: dict[str, dict[str, GroupStats]] = field(factory=dict)
    examples: list[ExampleRow] = field(factory=list)
    seconds: float = 0.0

    @property
    def case_list(self) -> tuple[Case, ...]:
        """The cases this report sorts rows into."""
        return CASES if self.eligibility is not None else (ALL_ROWS,)


# ─── Comparing ───────────────────────────────────────────────────────────────────────────────

def compare(old: api.Ruleset, new: api.Ruleset, population: str | Path, *,
            by: Sequence[str] | None = None, eligibility: str | None = None, examples: int = 3,
            amounts: Sequence[str] | None = None, old_name: str | None = None,
            new_name: str | None = None) -> Impact:
    """Evaluate every row of `population` with both rule files and count what changes, case by case.

    Args:
        by: facts whose values break the counts down; those absent from the population are
            reported and skipped. None: the breakdown the files declare (`ventilation`).
        eligibility: the boolean result both files compute that decides whether a row's amounts count;
            "" for none (amounts then compare on every row). None: the headline result the files
            declare (`résultat principal`), an error when they declare none.
        examples: how many changed rows to keep with their explanations.
        amounts: the amounts to show in the text breakdown (default: the last `montant` result).

    Raises:
        PopulationError: the population cannot be read.
        ValueError: a name in `by`, `eligibility` or `amounts` is unknown or of the wrong type.
    """
    start = time.perf_counter()
    columns, rows = read_population(population)
    impact = _prepare(old, new, str(population), columns, by, eligibility, amounts, old_name, new_name)
    candidates: list[Candidate] = []
    for line, row in rows:
        impact.rows += 1
        ident = _ident(row)
        if "" in row:
            impact.bad.append(BadRow(line, ident, str(row[""])))
            continue
        outcomes = _evaluate(impact, (old, new), row, line, ident)
        if outcomes is None:
            continue
        impact.evaluated += 1
        groups = {b: _group_value(b, row) for b in impact.by}
        changes, case = _count(impact, outcomes, groups)
        if changes:
            impact.changed_rows += 1
            candidates.append(Candidate(line, row, changes, groups, case))
    impact.examples = _examples(impact, old, new, candidates, examples)
    impact.seconds = time.perf_counter() - start
    return impact


def _prepare(old: api.Ruleset, new: api.Ruleset, population: str, columns: list[str], by: Sequence[str] | None,
             eligibility: str | None, amounts: Sequence[str] | None, old_name: str | None,
             new_name: str | None) -> Impact:
    """The empty report: which results compare, which columns each file ignores."""
    old_outputs, new_outputs = old.program.outputs, new.program.outputs
    common = tuple(n for n in new_outputs if n in old_outputs)
    facts = set(old.facts) | set(new.facts)
    if by is None:  # the breakdown the files declare (`ventilation : …`), the new file's first
        by = tuple(dict.fromkeys(new.program.breakdown + old.program.breakdown))
    for name in by:
        if name not in facts:
            raise ValueError(f"--par : fait inconnu « {name} »" + _hint(name, facts))
    montants = tuple(n for n in common if _type(new, n).kind == _type(old, n).kind == TypeKind.MONTANT)
    for name in amounts or ():
        if name not in montants:
            raise ValueError(f"--montant : « {name} » n'est pas un montant calculé par les deux fichiers"
                             + _hint(name, montants))
    impact = Impact(old_name or old.program.text.file, new_name or new.program.text.file, population,
                    tuple(b for b in by if b in columns),
                    tuple(amounts) if amounts else montants[-1:])
    impact.eligibility = _eligibility(old, new, common, eligibility)
    impact.by_missing = tuple(b for b in by if b not in columns)
    impact.common = common
    impact.amounts = montants
    impact.only_old = tuple(n for n in old_outputs if n not in new_outputs)
    impact.only_new = tuple(n for n in new_outputs if n not in old_outputs)
    impact.outputs = {n: OutputStats() for n in common}
    impact.cases = {c.key: CaseStats() for c in impact.case_list}
    impact.groups = {b: {} for b in impact.by}
    unknown_to_both = [c for c in columns if c not in facts]
    if unknown_to_both:
        impact.ignored["les deux fichiers"] = unknown_to_both
    for label, ruleset in ((impact.old, old), (impact.new, new)):
        dropped = [c for c in columns if c in facts and c not in ruleset.facts]
        if dropped:
            impact.ignored[label] = dropped
    return impact


def _eligibility(old: api.Ruleset, new: api.Ruleset, common: tuple[str, ...], name: str | None) -> str | None:
    """The eligibility result to use: the one named, or the headline result the files declare
    (`résultat principal`, the new file's first); None when asked for none (`""`).

    Raises:
        ValueError: the name is not a boolean result of both files, or none is named and neither
            file declares a headline both compute (the engine guesses no domain name).
    """
    booleans = [n for n in common if _type(old, n).kind == _type(new, n).kind == TypeKind.BOOLEEN]
    if name == "":
        return None
    if name is None:
        declared = [n for n in (new.program.headline, old.program.headline) if n is not None]
        if not declared:
            raise ValueError("aucun des deux fichiers ne déclare de résultat principal (« résultat principal : nom » "
                             "dans l'en-tête) : désignez le résultat booléen qui dit si une ligne est éligible avec "
                             "--eligibilite NOM, ou --eligibilite \"\" pour comparer les montants sur toutes les "
                             "lignes")
        if declared[0] not in booleans:
            raise ValueError(f"le résultat principal « {declared[0]} » n'est pas un résultat booléen calculé par les "
                             "deux fichiers : désignez-en un avec --eligibilite NOM, ou --eligibilite \"\" pour "
                             "comparer les montants sur toutes les lignes" + _hint(declared[0], booleans))
        return declared[0]
    if name not in booleans:
        what = "n'est pas un résultat booléen calculé par les deux fichiers" if name in common else \
            "n'est pas un résultat calculé par les deux fichiers"
        raise ValueError(f"--eligibilite : « {name} » {what}" + _hint(name, booleans))
    return name


def _hint(name: str, candidates: Sequence[str] | set[str]) -> str:
    found = suggest(name, candidates)
    return f" ; {found}" if found else ""


def _type(ruleset: api.Ruleset, name: str) -> Type:
    return ruleset.program.definitions[name].type


def _ident(row: Mapping[str, object]) -> str | None:
    value = row.get("id")
    return None if value is None else str(value)


def _evaluate(impact: Impact, rulesets: tuple[api.Ruleset, api.Ruleset], row: dict[str, object], line: int,
              ident: str | None) -> tuple[api.Outcome, api.Outcome] | None:
    """Both outcomes of a row, or None (the row recorded as bad) if a file rejects its facts."""
    outcomes = []
    for label, ruleset in zip((impact.old, impact.new), rulesets, strict=True):
        facts = {k: v for k, v in row.items() if k in ruleset.facts}
        try:
            outcomes.append(ruleset.evaluate(facts, outputs=impact.common))
        except EngineError as exc:
            impact.bad.append(BadRow(line, ident, f"{exc} ({label})".replace("\n", " ; ")))
            return None
    return outcomes[0], outcomes[1]


def _group_value(fact: str, row: Mapping[str, object]) -> str:
    value = row.get(fact)
    return "(inconnu)" if value is None else str(value)


def _count(impact: Impact, outcomes: tuple[api.Outcome, api.Outcome],
           groups: Mapping[str, str]) -> tuple[tuple[Change, ...], Case]:
    """Add one row's results to the counts; return its changes and its case."""
    before, after = outcomes
    changes, case, eligibility = changed(impact, before, after)
    for change in changes:
        impact.outputs[change.name].changed += 1
        impact.outputs[change.name].transitions[(_label(change.old), _label(change.new))] += 1
    targets = [impact.cases[case.key]]
    for fact, value in groups.items():
        group = impact.groups[fact].setdefault(value, GroupStats())
        group.rows += 1
        group.changed += bool(changes)
        targets.append(group.cases.setdefault(case.key, CaseStats()))
    for stats in targets:
        _add_case(stats, impact, case, before, after, eligibility)
    return changes, case


def changed(impact: Impact, before: api.Outcome,
            after: api.Outcome) -> tuple[tuple[Change, ...], Case, tuple[Result, Result] | None]:
    """A row's changed results, its case, and its eligibility under both texts (None without one)."""
    changes = tuple(Change(name, before.results[name], after.results[name]) for name in impact.common
                    if not _same(before.results[name], after.results[name]))
    if impact.eligibility is None:
        return changes, ALL_ROWS, None
    eligibility = before.results[impact.eligibility], after.results[impact.eligibility]
    return changes, classify(*eligibility), eligibility


def _add_case(stats: CaseStats, impact: Impact, case: Case, before: api.Outcome, after: api.Outcome,
              eligibility: tuple[Result, Result] | None) -> None:
    """Count one row in one case: its amounts as the case's basis says, its deciding result's statuses."""
    stats.rows += 1
    for name in impact.amounts:
        if case.basis in ("both", "apart"):
            stats.pairs.setdefault(name, PairStats()).add(before.results[name], after.results[name])
        elif case.basis is not None:
            stats.tallies.setdefault(name, Tally()).add((before if case.basis == "old" else after).results[name])
    if eligibility is not None:
        a, b = eligibility
        stats.transitions[(_label(a), _label(b))] += 1
        if isinstance(a, NotApplicable):
            stats.reasons_old[a.reason] += 1
        if isinstance(b, NotApplicable):
            stats.reasons_new[b.reason] += 1


def _same(a: Result, b: Result) -> bool:
    if a.status != b.status:
        return False
    return not isinstance(a, Value) or not isinstance(b, Value) or _plain(a.value) == _plain(b.value)


def _plain(value: object) -> object:
    return to_decimal(value) if isinstance(value, Fraction) else value


def _label(result: Result) -> str:
    """A result in a transition: `vrai`/`faux` for conditions, `valeur` otherwise, or its status."""
    if isinstance(result, Value):
        if isinstance(result.value, bool):
            return formatting.boolean(result.value)
        return "valeur"
    return STATUS_FRENCH[result.status]


# ─── Examples ────────────────────────────────────────────────────────────────────────────────

@frozen
class Candidate:
    """A changed row that may be shown as an example: its facts, changes, breakdown values and case."""

    line: int
    row: Mapping[str, object]
    changes: tuple[Change, ...]
    groups: Mapping[str, str]
    case: Case


def _examples(impact: Impact, old: api.Ruleset, new: api.Ruleset, candidates: list[Candidate],
              count: int) -> list[ExampleRow]:
    """A few changed rows, varied: deciding result lost, gained, the largest payment change of each
    amount among rows where it is true under both texts, rows one text does not govern, then others.

    Each row is explained on the change it was picked for.
    """
    if count <= 0 or not candidates:
        return []
    queues: list[tuple[str, list[Candidate]]] = []
    if impact.eligibility is not None:
        for key in ("lost", "gained"):
            queues.append((impact.eligibility, [c for c in candidates if c.case.key == key]))
    compared = "all" if impact.eligibility is None else "both"
    for name in reversed(impact.amounts):
        deltas = {c.line: _amount_delta(c.changes, name) for c in candidates if c.case.key == compared}
        with_delta = [c for c in candidates if deltas.get(c.line)]
        queues.append((name, sorted(with_delta, key=lambda c: -abs(deltas[c.line] or Decimal(0)))))
    if impact.eligibility is not None:
        for key in ("new_only_true", "old_only_true"):
            queues.append((impact.eligibility, [c for c in candidates if c.case.key == key]))
    queues.append(("", list(candidates)))
    chosen: dict[int, tuple[Candidate, str]] = {}
    while len(chosen) < count and any(q for _, q in queues):
        for name, queue in queues:
            while queue and queue[0].line in chosen:
                queue.pop(0)
            if queue and len(chosen) < count:
                candidate = queue.pop(0)
                chosen[candidate.line] = (candidate, name or candidate.changes[0].name)
    return [_example(old, new, c, name) for c, name in sorted(chosen.values(), key=lambda v: v[0].line)]


def _amount_delta(changes: tuple[Change, ...], name: str) -> Decimal | None:
    for ch in changes:
        if ch.name == name and isinstance(ch.old, Value) and isinstance(ch.new, Value):
            return _amount(ch.new) - _amount(ch.old)
    return None


def _example(old: api.Ruleset, new: api.Ruleset, candidate: Candidate, main: str) -> ExampleRow:
    line, row, changes = candidate.line, candidate.row, candidate.changes
    groups, case = candidate.groups, candidate.case
    explanations = []
    for ruleset in (old, new):
        outcome = ruleset.evaluate({k: v for k, v in row.items() if k in ruleset.facts}, outputs=[main])
        explanations.append(outcome.explain(main))
    return ExampleRow(line, _ident(row), dict(groups), case.key, changes, main, explanations[0], explanations[1])


__all__ = ["PopulationError", "compare", "read_population"]
