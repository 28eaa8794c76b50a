"""Impact of a rule change over a population: two rule files, one table of facts → what changes.

`compare` evaluates every row of a population (CSV with one column per fact, or JSON Lines) with
an old and a new rule file (typically a file and the file that amends it) and says what changes,
keeping apart the cases that must not be added together:

- the eligibility result (a boolean result both files compute: by default the headline result the
  files declare, `résultat principal : nom`) sorts each row into a case: eligible under both
  texts, gaining or losing eligibility, ineligible under both, outside one text's scope (the
  eligibility is *non applicable* there: that text does not govern the row), outside both, or
  eligibility undetermined or missing;
- amounts (`montant` results) are compared, before and after, only on the rows eligible under
  both texts; a row that gains (loses) eligibility counts with the amount the new (old) text
  gives it; a row one text does not govern counts, apart, with the amount of the text that
  governs it and finds it eligible; no other amount is ever summed, since a text pays nothing
  to a row it finds ineligible or does not govern. Amounts that are not values (undetermined,
  not applicable, missing) are counted by status, never summed;
- without an eligibility result, amounts are compared on every row where both files give one.

The same cases are broken down by the values of chosen facts (by default the breakdown the files
declare, `ventilation : a, b`), every result's status and value transitions are counted, and a few
changed rows are kept with the French explanation of both results. A fact unknown to one file is
dropped for that file; a row whose facts a file rejects is reported with its line number and
reason, counted and skipped, never silently. `render_text` writes the report for a policy editor, `to_json` the same
for programs. Which result is the eligibility and which facts break the counts down are
parameters, not names the engine knows.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from attrs import define, field, frozen

from engine import api
from engine.lang import formatting
from engine.base.diagnostics import EngineError, os_reason, suggest
from engine.lang.results import STATUS_FRENCH, NotApplicable, Result, Value
from engine.evaluate.trace import result_json
from engine.lang.types import Type
from engine.lang.values import money_text, to_decimal

CENT = Decimal("0.01")


class PopulationError(EngineError):
    """The population file cannot be read (exit 2)."""


# ─── Cases ───────────────────────────────────────────────────────────────────────────────────

@frozen
class Case:
    """How a row's eligibility moves, and which text's amounts count for it.

    `basis` is "both" (amounts compared before/after), "old" or "new" (the amount that text gives
    counts on its own), "apart" (the amounts both files compute without deciding eligibility,
    compared in a section of their own and never added to the others), or None (no amount counts:
    a text pays nothing to a row it finds ineligible).
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
    Case("new_only_eligible", NA, "vrai", "hors du champ de l'ancien texte, éligibles selon le nouveau", "new"),
    Case("new_only_ineligible", NA, "faux", "hors du champ de l'ancien texte, inéligibles selon le nouveau", None),
    Case("old_only_eligible", "vrai", NA, "hors du champ du nouveau texte, éligibles selon l'ancien", "old"),
    Case("old_only_ineligible", "faux", NA, "hors du champ du nouveau texte, inéligibles selon l'ancien", None),
    Case("outside_both", NA, NA, "hors du champ des deux textes", "apart"),
    Case("unknown", "?", "?", "éligibilité indéterminée ou manquante selon au moins un texte", None),
)
"""Every case when an eligibility result is compared, in report order."""

ALL_ROWS = Case("all", "", "", "toutes les lignes évaluées", "both")
"""The single case when there is no eligibility result."""

_BY_STATES = {(c.old, c.new): c for c in CASES}


def classify(old: Result, new: Result) -> Case:
    """The case of a row from its eligibility under the old and the new text."""
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
            old, new = to_decimal(a.value), to_decimal(b.value)  # type: ignore[arg-type]
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
            self.total += to_decimal(result.value)  # type: ignore[arg-type]
        else:
            self.without[_label(result)] += 1


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


# ─── Reading a population ────────────────────────────────────────────────────────────────────

def read_population(path: str | Path) -> tuple[list[str], Iterator[tuple[int, dict[str, object]]]]:
    """The columns of a population file and its rows as (line number, facts); empty cells are dropped.

    CSV (header row of fact names; booleans `true`/`false`, ISO dates, decimal points), JSON
    Lines (`.jsonl`, one object a line) or Parquet (`.parquet`, as `regles batch` reads it: a row's
    number is its rank; needs the `parquet` extra). A row that cannot be read comes with the key `""` giving
    the reason. Raises PopulationError for a file that cannot be read at all.
    """
    from engine.tools.batch import csv_delimiter
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return _parquet_population(path)
    jsonl = suffix in {".jsonl", ".ndjson"}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            delimiter = csv_delimiter(first)
            columns = _jsonl_columns(handle, first) if jsonl else [
                h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
    except OSError as exc:
        raise PopulationError(f"impossible de lire la population « {path} » : {os_reason(exc)}") from None
    except UnicodeDecodeError:
        raise PopulationError(f"la population « {path} » n'est pas en UTF-8") from None
    if not first.strip():
        raise PopulationError(f"la population « {path} » est vide : il faut une ligne d'en-tête avec les noms des faits")
    return columns, (_jsonl_rows(path) if jsonl else _csv_rows(path, columns, delimiter))


def _parquet_population(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, object]]]]:
    import pyarrow.parquet as pq  # the `parquet` extra; the command line names it when absent
    try:
        table = pq.ParquetFile(path)
        columns = list(table.schema_arrow.names)
    except OSError as exc:
        raise PopulationError(f"impossible de lire la population « {path} » : {os_reason(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own errors for a file that is not Parquet
        raise PopulationError(f"la population « {path} » n'est pas un fichier Parquet lisible ({exc})") from None

    def rows() -> Iterator[tuple[int, dict[str, object]]]:
        rank = 0
        for batch in table.iter_batches():
            for data in batch.to_pylist():
                rank += 1
                yield rank, {str(k): v for k, v in data.items() if v is not None and v != ""}
    return columns, rows()


def _csv_rows(path: Path, header: list[str], delimiter: str) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    yield reader.line_num, {**dict(zip(header, cells)),
                                            "": f"la ligne a {len(cells)} colonnes, l'en-tête en a {len(header)}"}
                    continue
                yield reader.line_num, {h: c.strip() for h, c in zip(header, cells) if c.strip() != ""}
        except UnicodeDecodeError:
            raise PopulationError(f"la population « {path} » n'est pas en UTF-8") from None
        except csv.Error as exc:
            raise PopulationError(f"{path}:{reader.line_num} : CSV illisible ({exc})") from None


def _jsonl_columns(handle, first: str) -> list[str]:  # type: ignore[no-untyped-def]
    columns: dict[str, None] = {}
    for line in [first, *handle]:
        try:
            data = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            columns.update(dict.fromkeys(str(k) for k in data))
    return list(columns)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"": f"JSON invalide ({exc.msg}, colonne {exc.colno})"}
                continue
            if not isinstance(data, dict):
                yield number, {"": "la ligne doit être un objet JSON {\"fait\": valeur, …}"}
                continue
            yield number, {str(k): v for k, v in data.items() if v is not None and v != ""}


# ─── Comparing ───────────────────────────────────────────────────────────────────────────────

def compare(old: api.Ruleset, new: api.Ruleset, population: str | Path, *,
            by: Sequence[str] | None = None, eligibility: str | None = None, examples: int = 3,
            amounts: Sequence[str] | None = None, old_name: str | None = None,
            new_name: str | None = None) -> Impact:
    """Evaluate every row of `population` with both rule files and count what changes, case by case.

    Args:
        by: facts whose values break the counts down; those absent from the population are
            reported and skipped. None: the breakdown the files declare (`ventilation`).
        eligibility: the boolean result both files compute that says whether a row is eligible;
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
    candidates: list[tuple[int, int, dict[str, object], tuple[Change, ...], dict[str, str], Case]] = []
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
            candidates.append((line, len(candidates), row, changes, groups, case))
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
    montants = tuple(n for n in common if _type(new, n).kind == "montant" and _type(old, n).kind == "montant")
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
    booleans = [n for n in common if _type(old, n).kind == "booleen" and _type(new, n).kind == "booleen"]
    if name == "":
        return None
    if name is None:
        declared = [n for n in (new.program.headline, old.program.headline) if n is not None]
        if not declared:
            raise ValueError("aucun des deux fichiers ne déclare de résultat principal (« résultat principal : nom » "
                             "dans l'en-tête) : désignez le résultat booléen qui dit si une ligne est éligible avec "
                             "--eligibilite NOM, ou --eligibilite \"\" pour comparer les montants sur toutes les lignes")
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
    for label, ruleset in zip((impact.old, impact.new), rulesets):
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
    changes = []
    for name in impact.common:
        a, b = before.results[name], after.results[name]
        if not _same(a, b):
            changes.append(Change(name, a, b))
            impact.outputs[name].changed += 1
            impact.outputs[name].transitions[(_label(a), _label(b))] += 1
    if impact.eligibility is None:
        case = ALL_ROWS
        eligibility: tuple[Result, Result] | None = None
    else:
        eligibility = before.results[impact.eligibility], after.results[impact.eligibility]
        case = classify(*eligibility)
    targets = [impact.cases[case.key]]
    for fact, value in groups.items():
        group = impact.groups[fact].setdefault(value, GroupStats())
        group.rows += 1
        group.changed += bool(changes)
        targets.append(group.cases.setdefault(case.key, CaseStats()))
    for stats in targets:
        _add_case(stats, impact, case, before, after, eligibility)
    return tuple(changes), case


def _add_case(stats: CaseStats, impact: Impact, case: Case, before: api.Outcome, after: api.Outcome,
              eligibility: tuple[Result, Result] | None) -> None:
    """Count one row in one case: its amounts as the case's basis says, its eligibility statuses."""
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
    return not isinstance(a, Value) or _plain(a.value) == _plain(b.value)  # type: ignore[union-attr]


def _plain(value: object) -> object:
    from fractions import Fraction
    return to_decimal(value) if isinstance(value, Fraction) else value  # type: ignore[arg-type]


def _label(result: Result) -> str:
    """A result in a transition: `vrai`/`faux` for conditions, `valeur` otherwise, or its status."""
    if isinstance(result, Value):
        if isinstance(result.value, bool):
            return formatting.boolean(result.value)
        return "valeur"
    return STATUS_FRENCH[result.status]


# ─── Examples ────────────────────────────────────────────────────────────────────────────────

def _examples(impact: Impact, old: api.Ruleset, new: api.Ruleset, candidates: list, count: int) -> list[ExampleRow]:  # type: ignore[type-arg]
    """A few changed rows, varied: eligibility lost, gained, the largest payment change of each
    amount among rows eligible under both texts, rows one text does not govern, then others.

    Each row is explained on the change it was picked for.
    """
    if count <= 0 or not candidates:
        return []
    queues: list[tuple[str, list]] = []  # type: ignore[type-arg]
    if impact.eligibility is not None:
        for key in ("lost", "gained"):
            queues.append((impact.eligibility, [c for c in candidates if c[5].key == key]))
    compared = "all" if impact.eligibility is None else "both"
    for name in reversed(impact.amounts):
        with_delta = [c for c in candidates if c[5].key == compared and _amount_delta(c[3], name)]
        queues.append((name, sorted(with_delta, key=lambda c: -abs(_amount_delta(c[3], name)))))  # type: ignore[arg-type]
    if impact.eligibility is not None:
        for key in ("new_only_eligible", "old_only_eligible"):
            queues.append((impact.eligibility, [c for c in candidates if c[5].key == key]))
    queues.append(("", list(candidates)))
    chosen: dict[int, tuple[object, str]] = {}
    while len(chosen) < count and any(q for _, q in queues):
        for name, queue in queues:
            while queue and queue[0][0] in chosen:
                queue.pop(0)
            if queue and len(chosen) < count:
                candidate = queue.pop(0)
                chosen[candidate[0]] = (candidate, name or candidate[3][0].name)
    return [_example(old, new, c, name) for c, name in sorted(chosen.values(), key=lambda v: v[0][0])]  # type: ignore[index]


def _amount_delta(changes: tuple[Change, ...], name: str) -> Decimal | None:
    for ch in changes:
        if ch.name == name and isinstance(ch.old, Value) and isinstance(ch.new, Value):
            return to_decimal(ch.new.value) - to_decimal(ch.old.value)  # type: ignore[arg-type]
    return None


def _example(old: api.Ruleset, new: api.Ruleset, candidate, main: str) -> ExampleRow:  # type: ignore[no-untyped-def]
    line, _, row, changes, groups, case = candidate
    explanations = []
    for ruleset in (old, new):
        outcome = ruleset.evaluate({k: v for k, v in row.items() if k in ruleset.facts}, outputs=[main])
        explanations.append(outcome.explain(main))
    return ExampleRow(line, _ident(row), dict(groups), case.key, changes, main, explanations[0], explanations[1])


# ─── Reports ─────────────────────────────────────────────────────────────────────────────────

def show(result: Result, t: Type) -> str:
    """A result in a report: its value in French, or its status word."""
    if isinstance(result, Value):
        return _spaces(formatting.value(result.value, t))
    return STATUS_FRENCH[result.status]


def _spaces(text: str) -> str:
    """Babel's no-break spaces as plain spaces: reports are read in terminals and CSV viewers."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _count_text(n: int) -> str:
    return _spaces(formatting.number(n))


def _lines(n: int) -> str:
    """`1 ligne`, `2 lignes`."""
    return f"{_count_text(n)} ligne{'s' if n > 1 else ''}"


def _money(value: Decimal | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = _spaces(formatting.money(value))
    return ("+" + text) if signed and value > 0 else text


def _share(n: int, total: int) -> str:
    """`41,8 %`: a share of the evaluated rows to one decimal, rounded half up."""
    if not total:
        return "—"
    return str((Decimal(100 * n) / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)).replace(".", ",") + " %"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ",
           left: Sequence[int] = (0,)) -> list[str]:
    """Plain aligned columns, laid out by rich (widths by displayed cells, not characters): those in
    `left` left-aligned, the others right-aligned, two spaces apart, never wrapped."""
    from rich.console import Console
    from rich.table import Table
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=False,
                  show_header=True, header_style=None)
    for i, header in enumerate(headers):
        table.add_column(str(header), justify="left" if i in left else "right", no_wrap=True)
    for r in rows:
        table.add_row(*(str(c) for c in r))
    console = Console(width=10_000, color_system=None, highlight=False, markup=False, emoji=False,
                      legacy_windows=False, force_terminal=False, soft_wrap=False)
    with console.capture() as captured:
        console.print(table)
    return [(indent + line).rstrip() for line in captured.get().splitlines()]


def _counts(counter: Counter[str] | Counter[tuple[str, str]]) -> str:
    """`indéterminé 2, non applicable 1`, or `valeur → indéterminé 2`, most frequent first."""
    return ", ".join(f"{' → '.join(k) if isinstance(k, tuple) else k} {_count_text(n)}"
                     for k, n in counter.most_common())


BASIS_FRENCH = {"both": "avant → après, comparés", "new": "nouveau texte seul", "old": "ancien texte seul",
                "apart": "à part", None: "aucun"}
"""What the "montants comptés" column says for each case basis."""


def render_text(impact: Impact, old: api.Ruleset, new: api.Ruleset) -> str:
    """The report for a policy editor, in French."""
    lines = [f"Impact du passage de {impact.old} à {impact.new}",
             f"Population : {impact.population} — {_lines(impact.rows)}, "
             f"{_count_text(impact.evaluated)} évaluée{'s' if impact.evaluated > 1 else ''}, "
             f"{_count_text(len(impact.bad))} écartée{'s' if len(impact.bad) > 1 else ''}"
             + (" (voir la fin du rapport)" if impact.bad else ""),
             f"{_lines(impact.changed_rows)} ({_share(impact.changed_rows, impact.evaluated)}) "
             f"{'ont' if impact.changed_rows > 1 else 'a'} au moins un résultat différent."]
    for label, columns in impact.ignored.items():
        lines.append(f"Colonnes ignorées par {label} (faits inconnus) : {', '.join(columns)}")
    lines += _eligibility_section(impact)
    lines += _compared_section(impact)
    lines += _one_text_sections(impact)
    lines += _outputs_section(impact)
    for fact in impact.by:
        lines += _breakdown_section(impact, new, fact)
    for fact in impact.by_missing:
        lines += ["", f"Par {fact} : pas de colonne « {fact} » dans la population, ventilation impossible"]
    lines += _examples_section(impact, new)
    lines += _bad_rows_section(impact)
    lines += ["", f"Durée : {impact.seconds:.1f} s".replace(".", ",")]
    return "\n".join(lines) + "\n"


def _eligibility_section(impact: Impact) -> list[str]:
    if impact.eligibility is None:
        return ["", ("Pas de résultat d'éligibilité demandé : les montants sont comparés sur toutes les lignes où les "
                     "deux textes en donnent un.")]
    lines = ["", f"Éligibilité ({impact.eligibility}) selon l'ancien et le nouveau texte, et montants comptés pour chaque cas"]
    rows = [(c.label, f"{c.old} → {c.new}" if c.key != "unknown" else "indéterminé ou manquant",
             _count_text(impact.cases[c.key].rows), _share(impact.cases[c.key].rows, impact.evaluated),
             BASIS_FRENCH[c.basis]) for c in CASES if impact.cases[c.key].rows]
    lines += _table(("cas", "ancien → nouveau", "lignes", "part", "montants comptés"), rows, left=(0, 1, 4))
    gained, lost = impact.cases["gained"].rows, impact.cases["lost"].rows
    if not gained and not lost:
        lines.append("  Aucune ligne ne gagne ni ne perd l'éligibilité (faux → vrai ou vrai → faux).")
    unknown = impact.cases["unknown"]
    if unknown.rows:
        lines.append(f"  Éligibilité indéterminée ou manquante : {_counts(unknown.transitions)}.")
    reasons_old, reasons_new = Counter[str](), Counter[str]()
    for stats in impact.cases.values():
        reasons_old.update(stats.reasons_old)
        reasons_new.update(stats.reasons_new)
    if reasons_old or reasons_new:
        lines.append("  « non applicable » : le texte ne régit pas la ligne ; raisons données par les fichiers :")
        for label, reasons in (("ancien texte", reasons_old), ("nouveau texte", reasons_new)):
            for reason, n in reasons.most_common(3):
                lines.append(f"    {label} : « {reason} » ({_lines(n)})")
            if len(reasons) > 3:
                lines.append(f"    {label} : {_count_text(len(reasons) - 3)} autres raisons "
                             f"({_lines(sum(n for _, n in reasons.most_common()[3:]))})")
    return lines


def _compared_section(impact: Impact) -> list[str]:
    if not impact.amounts:
        return []
    case = impact.case_list[0]
    stats = impact.cases[case.key]
    title = ("Montants des lignes éligibles selon les deux textes" if impact.eligibility is not None
             else "Montants de toutes les lignes évaluées")
    return ["", f"{title} ({_lines(stats.rows)}) : avant → après"] + _pair_table(impact, stats)


def _pair_table(impact: Impact, stats: CaseStats) -> list[str]:
    """Amounts before and after on one case's rows, and the rows left out of the totals."""
    lines = ["  comparés sur les lignes où les deux textes donnent un montant ; "
             "écart moyen = écart total ÷ lignes comparées, au centime"]
    rows = []
    for name in impact.amounts:
        s = stats.pairs.get(name, PairStats())
        rows.append((name, _count_text(s.compared), _money(s.total_old), _money(s.total_new),
                     _money(s.delta, True), _money(s.mean_delta, True), _count_text(s.increased),
                     _count_text(s.decreased), _count_text(s.compared - s.increased - s.decreased)))
    lines += _table(("résultat", "comparées", "total avant", "total après", "écart total", "écart moyen",
                     "en hausse", "en baisse", "inchangées"), rows)
    for name in impact.amounts:
        s = stats.pairs.get(name, PairStats())
        left = sum(s.uncompared.values())
        if left:
            lines.append(f"  {name} : {_lines(left)} sans montant selon au moins un texte, hors des totaux : "
                         f"{_counts(s.uncompared)}")
    return lines


ONE_TEXT_TITLES = {
    "gained": "montants selon le nouveau texte (l'ancien les juge inéligibles : aucun montant compté avant)",
    "lost": "montants selon l'ancien texte (le nouveau les juge inéligibles : aucun montant compté après)",
    "new_only_eligible": "montants selon le nouveau texte seul, hors des totaux avant → après "
                         "(l'ancien texte ne régit pas ces lignes)",
    "old_only_eligible": "montants selon l'ancien texte seul, hors des totaux avant → après "
                         "(le nouveau texte ne régit pas ces lignes)",
    "outside_both": "montants que chaque fichier calcule sans décider de l'éligibilité, comptés à part "
                    "(non ajoutés aux totaux ci-dessus)",
}
"""What the amounts of each case counted under one text are."""


def _one_text_sections(impact: Impact) -> list[str]:
    """The cases whose amounts count under one text: what rows gain, lose, or get from the text that governs them."""
    if impact.eligibility is None or not impact.amounts:
        return []
    lines: list[str] = []
    for case in CASES:
        stats = impact.cases[case.key]
        if case.key not in ONE_TEXT_TITLES or not stats.rows:
            continue
        lines += ["", f"{case.label[0].upper()}{case.label[1:]} ({case.old} → {case.new}) : {_lines(stats.rows)} ; "
                      f"{ONE_TEXT_TITLES[case.key]}"]
        if case.basis == "apart":
            lines += _pair_table(impact, stats)
            continue
        rows = []
        for name in impact.amounts:
            t = stats.tallies.get(name, Tally())
            rows.append((name, _count_text(t.valued), _money(t.total) if t.valued else "—", _money(t.mean),
                         _counts(t.without) or "—"))
        lines += _table(("résultat", "avec montant", "total", "moyenne", "sans montant"), rows, left=(0, 4))
    return lines


def _outputs_section(impact: Impact) -> list[str]:
    lines = ["", "Résultats qui changent (statut ou valeur), toutes lignes confondues"]
    rows = []
    for name, stats in impact.outputs.items():
        if not stats.changed:
            continue
        detail = ", ".join(f"{a} → {b} : {_count_text(n)}" if (a, b) != ("valeur", "valeur") else
                           f"valeur modifiée : {_count_text(n)}" for (a, b), n in stats.transitions.most_common(4))
        more = len(stats.transitions) - 4
        rows.append((name, _count_text(stats.changed), detail + (f", … (+{more})" if more > 0 else "")))
    if not rows:
        lines.append("  aucun résultat ne change")
    else:
        lines += _table(("résultat", "lignes", "détail"), rows, left=(0, 2))
    unchanged = [n for n, s in impact.outputs.items() if not s.changed]
    if unchanged:
        lines.append(f"  inchangés : {', '.join(unchanged)}")
    if impact.only_old:
        lines.append(f"  seulement dans {impact.old} : {', '.join(impact.only_old)}")
    if impact.only_new:
        lines.append(f"  seulement dans {impact.new} : {', '.join(impact.only_new)}")
    return lines


def _short(state: str) -> str:
    return "n.a." if state == NA else state


def _case_header(case: Case) -> str:
    return "indét./manq." if case.key == "unknown" else f"{_short(case.old)} → {_short(case.new)}"


ONE_TEXT_COLUMNS = {"gained": "total nouveau", "lost": "total ancien", "new_only_eligible": "total nouveau",
                    "old_only_eligible": "total ancien"}


def _breakdown_section(impact: Impact, new: api.Ruleset, fact: str) -> list[str]:
    groups = impact.groups[fact]
    t = new.facts[fact].type if fact in new.facts else None
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1].rows, kv[0]))

    def label(value: str) -> str:
        return t.label(value) if t is not None and t.kind == "enum" else value

    present = [c for c in impact.case_list if impact.cases[c.key].rows]
    lines = ["", f"Par {fact} : lignes par cas d'éligibilité (ancien → nouveau)" if impact.eligibility is not None
             else f"Par {fact}"]
    headers = [fact, "lignes", "modifiées"] + ([_case_header(c) for c in present] if impact.eligibility else [])
    rows = []
    for value, g in ordered:
        row = [label(value), _count_text(g.rows), _count_text(g.changed)]
        if impact.eligibility is not None:
            row += [_count_text(g.cases[c.key].rows if c.key in g.cases else 0) for c in present]
        rows.append(row)
    lines += _table(headers, rows)
    if any(NA in (c.old, c.new) for c in present if impact.eligibility is not None):
        lines.append("  n.a. : non applicable, le texte ne régit pas la ligne")
    for name in impact.amounts_shown:
        lines += _breakdown_amount(impact, fact, name, ordered, label)
    return lines


def _breakdown_amount(impact: Impact, fact: str, name: str, ordered: list[tuple[str, GroupStats]],
                      label) -> list[str]:  # type: ignore[no-untyped-def]
    compared = impact.case_list[0]
    others = [c for c in CASES if c.key in ONE_TEXT_COLUMNS and impact.cases[c.key].rows] \
        if impact.eligibility is not None else []
    title = (f"Par {fact} : {name} des lignes éligibles selon les deux textes (vrai → vrai), avant → après"
             if impact.eligibility is not None else f"Par {fact} : {name}, avant → après")
    if others:
        title += " ; à côté, les cas comptés sur un seul texte"
    headers = [fact, "comparées", "écart total", "écart moyen"]
    for c in others:
        headers += [f"{_case_header(c)} : avec montant", ONE_TEXT_COLUMNS[c.key]]
    rows = []
    for value, g in ordered:
        pair = g.cases[compared.key].pairs.get(name, PairStats()) if compared.key in g.cases else PairStats()
        row = [label(value), _count_text(pair.compared), _money(pair.delta, True) if pair.compared else "—",
               _money(pair.mean_delta, True)]
        for c in others:
            tally = g.cases.get(c.key, CaseStats()).tallies.get(name, Tally())
            row += [_count_text(tally.valued), _money(tally.total) if tally.valued else "—"]
        rows.append(row)
    return ["", title] + _table(headers, rows) + [
        "  une ligne sans montant (indéterminé, non applicable, manquant) n'entre dans aucun total"]


UNCOUNTED = {
    "gained": "avant : non compté, ligne inéligible selon l'ancien texte",
    "lost": "après : non compté, ligne inéligible selon le nouveau texte",
    "neither": "non compté, ligne inéligible selon les deux textes",
    "new_only_eligible": "avant : non compté, l'ancien texte ne régit pas la ligne",
    "new_only_ineligible": "non compté : hors du champ de l'ancien texte, inéligible selon le nouveau",
    "old_only_eligible": "après : non compté, le nouveau texte ne régit pas la ligne",
    "old_only_ineligible": "non compté : inéligible selon l'ancien texte, hors du champ du nouveau",
    "outside_both": "compté à part : aucun des deux textes ne régit la ligne",
    "unknown": "non compté : éligibilité indéterminée ou manquante",
}
"""What an example says of an amount that a case does not count on one side or both."""


def _examples_section(impact: Impact, new: api.Ruleset) -> list[str]:
    if not impact.examples:
        return []
    labels = {c.key: c for c in (*CASES, ALL_ROWS)}
    lines = ["", f"Exemples ({len(impact.examples)})"]
    for ex in impact.examples:
        where = f"ligne {ex.line}" + (f" (id {ex.ident})" if ex.ident is not None else "")
        groups = ", ".join(f"{k} : {v}" for k, v in ex.by.items())
        case = labels[ex.case]
        lines.append(f"  ▸ {where}" + (f" — {groups}" if groups else "")
                     + (f" — {case.label}" if impact.eligibility is not None else ""))
        for ch in ex.changes:
            t = new.program.definitions[ch.name].type
            note = UNCOUNTED.get(case.key, "") if ch.name in impact.amounts else ""
            lines.append(f"      {ch.name} : {show(ch.old, t)} → {show(ch.new, t)}" + (f" ({note})" if note else ""))
        for label, text in ((f"avant ({impact.old})", ex.old_explanation), (f"après ({impact.new})", ex.new_explanation)):
            lines.append(f"    Explication de {ex.explained}, {label} :")
            lines += [_spaces(f"      {line}").rstrip() for line in text.splitlines()]
    return lines


def _bad_rows_section(impact: Impact) -> list[str]:
    if not impact.bad:
        return []
    lines = ["", f"Lignes écartées ({_count_text(len(impact.bad))}) : illisibles, ou faits refusés par un fichier de règles"]
    for bad in impact.bad[:50]:
        where = f"ligne {bad.line}" + (f" (id {bad.ident})" if bad.ident is not None else "")
        lines.append(f"  {where} : {bad.reason}")
    if len(impact.bad) > 50:
        lines.append(f"  … et {_count_text(len(impact.bad) - 50)} autres (toutes dans --format json)")
    return lines


def _pair_json(s: PairStats) -> dict[str, object]:
    return {"compared": s.compared, "changed": s.changed, "total_old": money_text(s.total_old),
            "total_new": money_text(s.total_new), "delta": money_text(s.delta),
            "mean_delta": None if s.mean_delta is None else str(s.mean_delta),
            "increased": s.increased, "decreased": s.decreased,
            "unchanged": s.compared - s.increased - s.decreased,
            "uncompared": [{"from": a, "to": b, "rows": n} for (a, b), n in s.uncompared.most_common()]}


def _tally_json(t: Tally) -> dict[str, object]:
    return {"with_value": t.valued, "total": money_text(t.total), "mean": None if t.mean is None else str(t.mean),
            "without_value": dict(t.without.most_common())}


def _case_json(case: Case, stats: CaseStats, amounts: Sequence[str], full: bool) -> dict[str, object]:
    data: dict[str, object] = {"rows": stats.rows}
    if case.basis in ("both", "apart"):
        data["compared" if case.basis == "both" else "computed_apart"] = {
            n: _pair_json(stats.pairs.get(n, PairStats())) for n in amounts}
    elif case.basis is not None:
        data[f"{case.basis}_text"] = {n: _tally_json(stats.tallies.get(n, Tally())) for n in amounts}
    if full:
        data = {"label": case.label, "old": case.old if case.key != "unknown" else None,
                "new": case.new if case.key != "unknown" else None, "amounts_counted": case.basis, **data}
        if case.key == "unknown":
            data["transitions"] = [{"from": a, "to": b, "rows": n} for (a, b), n in stats.transitions.most_common()]
        if stats.reasons_old or stats.reasons_new:
            data["not_applicable_reasons"] = {
                side: [{"reason": r, "rows": n} for r, n in reasons.most_common()]
                for side, reasons in (("old", stats.reasons_old), ("new", stats.reasons_new)) if reasons}
    return data


def to_json(impact: Impact, new: api.Ruleset) -> dict[str, object]:
    """The report as JSON: exact amounts as decimal strings, every case and every bad row listed.

    `cases` maps each case key to its rows and the amounts that count for it: `compared` (both
    texts, rows eligible under both), `new_text` or `old_text` (one text), or none.
    """
    types = {name: d.type for name, d in new.program.definitions.items()}
    case_list = impact.case_list
    return {
        "old": impact.old, "new": impact.new, "population": impact.population,
        "rows": impact.rows, "evaluated": impact.evaluated, "changed_rows": impact.changed_rows,
        "skipped": len(impact.bad),
        "bad_rows": [{"line": b.line, "id": b.ident, "reason": b.reason} for b in impact.bad],
        "ignored_columns": impact.ignored, "by": list(impact.by), "by_missing": list(impact.by_missing),
        "outputs_only_old": list(impact.only_old), "outputs_only_new": list(impact.only_new),
        "eligibility": impact.eligibility, "amounts": list(impact.amounts),
        "cases": {c.key: _case_json(c, impact.cases[c.key], impact.amounts, True) for c in case_list},
        "outputs": {n: {"changed": s.changed,
                        "transitions": [{"from": a, "to": b, "rows": c} for (a, b), c in s.transitions.most_common()]}
                    for n, s in impact.outputs.items()},
        "breakdown": {fact: {value: {"rows": g.rows, "changed": g.changed,
                                     "cases": {c.key: _case_json(c, g.cases[c.key], impact.amounts, False)
                                               for c in case_list if c.key in g.cases}}
                             for value, g in groups.items()}
                      for fact, groups in impact.groups.items()},
        "examples": [{"line": e.line, "id": e.ident, "by": dict(e.by), "case": e.case,
                      "changes": [{"output": c.name, "old": result_json(c.old, types.get(c.name)),
                                   "new": result_json(c.new, types.get(c.name))} for c in e.changes],
                      "explained": e.explained, "old_explanation": e.old_explanation,
                      "new_explanation": e.new_explanation} for e in impact.examples],
        "seconds": round(impact.seconds, 3),
    }
