"""Impact of a rule change over a population: two rule files, one table of facts → what changes.

`compare` evaluates every row of a population (CSV with one column per fact, or JSON Lines) with
an old and a new rule file (typically a file and the file that amends it), and counts, for every
result both files compute, the rows whose status or value changes, with the transitions (`vrai →
faux`, `valeur → non applicable`…); for eligibility, the rows that gain or lose it; for amounts
(`montant` results), the totals before and after and the total and mean change. The same counts
are broken down by the values of chosen facts (`specialite`, `option`), and a few changed rows
are kept with the French explanation of both results. A fact unknown to one file is dropped for
that file; a row whose facts a file rejects is reported with its line number and reason, counted
and skipped, never silently. `render_text` writes the report for a policy editor, `to_json` the
same for programs.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from attrs import define, field, frozen

from engine import api, formatting
from engine.diagnostics import EngineError, os_reason, suggest
from engine.results import STATUS_FRENCH, Result, Value
from engine.trace import result_json
from engine.types import Type
from engine.values import money_text, to_decimal

ELIGIBILITY = "eligible"
"""The result that answers "is this row eligible", when both files compute it."""


class PopulationError(EngineError):
    """The population file cannot be read (exit 2)."""


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
class AmountStats:
    """How one amount changes over the rows where both files give a value."""

    compared: int = 0
    changed: int = 0
    total_old: Decimal = Decimal(0)
    total_new: Decimal = Decimal(0)
    increased: int = 0
    decreased: int = 0
    gained_value: int = 0
    lost_value: int = 0

    @property
    def delta(self) -> Decimal:
        """Total change (new − old)."""
        return self.total_new - self.total_old

    @property
    def mean_delta(self) -> Decimal | None:
        """Mean change per compared row, to the cent."""
        return (self.delta / self.compared).quantize(Decimal("0.01")) if self.compared else None


@define
class GroupStats:
    """The counts of one value of a breakdown fact."""

    rows: int = 0
    changed: int = 0
    gained: int = 0
    lost: int = 0
    amounts: dict[str, AmountStats] = field(factory=dict)


@frozen
class ExampleRow:
    """A changed row shown in the report, with the explanations of its main change."""

    line: int
    ident: str | None
    by: Mapping[str, str]
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
    outputs: dict[str, OutputStats] = field(factory=dict)
    amounts: dict[str, AmountStats] = field(factory=dict)
    groups: dict[str, dict[str, GroupStats]] = field(factory=dict)
    examples: list[ExampleRow] = field(factory=list)
    seconds: float = 0.0


# ─── Reading a population ────────────────────────────────────────────────────────────────────

def read_population(path: str | Path) -> tuple[list[str], Iterator[tuple[int, dict[str, object]]]]:
    """The columns of a population file and its rows as (line number, facts); empty cells are dropped.

    CSV (header row of fact names; booleans `true`/`false`, ISO dates, decimal points) or JSON
    Lines (`.jsonl`, one object a line). A row that cannot be read comes with the key `""` giving
    the reason. Raises PopulationError for a file that cannot be read at all.
    """
    from engine.batch import csv_delimiter
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        raise PopulationError(f"la population « {path} » est en Parquet : regles diff lit le CSV et le JSON Lines "
                              "(regles batch lit le Parquet)")
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
            by: Sequence[str] = ("specialite", "option"), examples: int = 3,
            amounts: Sequence[str] | None = None, old_name: str | None = None,
            new_name: str | None = None) -> Impact:
    """Evaluate every row of `population` with both rule files and count what changes.

    Args:
        by: facts whose values break the counts down; those absent from the population are skipped.
        examples: how many changed rows to keep with their explanations.
        amounts: the amounts to show in the text breakdown (default: the last `montant` result).

    Raises:
        PopulationError: the population cannot be read.
        ValueError: a name in `by` or `amounts` is unknown.
    """
    start = time.perf_counter()
    columns, rows = read_population(population)
    impact = _prepare(old, new, str(population), columns, by, amounts, old_name, new_name)
    candidates: list[tuple[int, int, dict[str, object], tuple[Change, ...], dict[str, str]]] = []
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
        changes = _count(impact, old, outcomes, groups)
        if changes:
            impact.changed_rows += 1
            candidates.append((line, len(candidates), row, changes, groups))
    impact.examples = _examples(impact, old, new, candidates, examples)
    impact.seconds = time.perf_counter() - start
    return impact


def _prepare(old: api.Ruleset, new: api.Ruleset, population: str, columns: list[str], by: Sequence[str],
             amounts: Sequence[str] | None, old_name: str | None, new_name: str | None) -> Impact:
    """The empty report: which results compare, which columns each file ignores."""
    old_outputs, new_outputs = old.program.outputs, new.program.outputs
    common = tuple(n for n in new_outputs if n in old_outputs)
    facts = set(old.facts) | set(new.facts)
    for name in by:
        if name not in facts:
            raise ValueError(f"--by : fait inconnu « {name} »" + _hint(name, facts))
    montants = tuple(n for n in common if _type(new, n).kind == "montant" and _type(old, n).kind == "montant")
    for name in amounts or ():
        if name not in montants:
            raise ValueError(f"--montant : « {name} » n'est pas un montant calculé par les deux fichiers"
                             + _hint(name, montants))
    impact = Impact(old_name or old.program.text.file, new_name or new.program.text.file, population,
                    tuple(b for b in by if b in columns),
                    tuple(amounts) if amounts else montants[-1:])
    impact.by_missing = tuple(b for b in by if b not in columns)
    impact.common = common
    impact.only_old = tuple(n for n in old_outputs if n not in new_outputs)
    impact.only_new = tuple(n for n in new_outputs if n not in old_outputs)
    impact.eligibility = ELIGIBILITY if ELIGIBILITY in common else None
    impact.outputs = {n: OutputStats() for n in common}
    impact.amounts = {n: AmountStats() for n in montants}
    impact.groups = {b: {} for b in impact.by}
    unknown_to_both = [c for c in columns if c not in facts]
    if unknown_to_both:
        impact.ignored["les deux fichiers"] = unknown_to_both
    for label, ruleset in ((impact.old, old), (impact.new, new)):
        dropped = [c for c in columns if c in facts and c not in ruleset.facts]
        if dropped:
            impact.ignored[label] = dropped
    return impact


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


def _count(impact: Impact, old: api.Ruleset, outcomes: tuple[api.Outcome, api.Outcome],
           groups: Mapping[str, str]) -> tuple[Change, ...]:
    """Add one row's results to the counts; return its changes."""
    before, after = outcomes
    changes = []
    stats = [impact.groups[b].setdefault(v, GroupStats()) for b, v in groups.items()]
    for s in stats:
        s.rows += 1
    for name in impact.common:
        a, b = before.results[name], after.results[name]
        if not _same(a, b):
            changes.append(Change(name, a, b))
            impact.outputs[name].changed += 1
            impact.outputs[name].transitions[(_label(a), _label(b))] += 1
        if name in impact.amounts:
            _count_amount(impact.amounts[name], a, b)
            for s in stats:
                _count_amount(s.amounts.setdefault(name, AmountStats()), a, b)
    if changes:
        for s in stats:
            s.changed += 1
    if impact.eligibility is not None:
        direction = _eligibility_direction(before.results[impact.eligibility], after.results[impact.eligibility])
        for s in stats:
            s.gained += direction == "gained"
            s.lost += direction == "lost"
    return tuple(changes)


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


def _eligibility_direction(a: Result, b: Result) -> str | None:
    was = isinstance(a, Value) and a.value is True
    now = isinstance(b, Value) and b.value is True
    if was == now:
        return None
    return "gained" if now else "lost"


def _count_amount(stats: AmountStats, a: Result, b: Result) -> None:
    if isinstance(a, Value) and isinstance(b, Value):
        old, new = to_decimal(a.value), to_decimal(b.value)  # type: ignore[arg-type]
        stats.compared += 1
        stats.total_old += old
        stats.total_new += new
        stats.changed += old != new
        stats.increased += new > old
        stats.decreased += new < old
    elif isinstance(a, Value):
        stats.lost_value += 1
    elif isinstance(b, Value):
        stats.gained_value += 1


# ─── Examples ────────────────────────────────────────────────────────────────────────────────

def _examples(impact: Impact, old: api.Ruleset, new: api.Ruleset, candidates: list, count: int) -> list[ExampleRow]:  # type: ignore[type-arg]
    """A few changed rows, varied: eligibility gained, lost, the largest change of each amount, others.

    Each row is explained on the change it was picked for.
    """
    if count <= 0 or not candidates:
        return []
    queues: list[tuple[str, list]] = []  # type: ignore[type-arg]
    if impact.eligibility is not None:
        for direction in ("gained", "lost"):
            queues.append((impact.eligibility, [c for c in candidates if any(
                ch.name == impact.eligibility and _eligibility_direction(ch.old, ch.new) == direction for ch in c[3])]))
    for name in reversed(tuple(impact.amounts)):
        with_delta = [c for c in candidates if _amount_delta(c[3], name)]
        queues.append((name, sorted(with_delta, key=lambda c: -abs(_amount_delta(c[3], name)))))  # type: ignore[arg-type]
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
    line, _, row, changes, groups = candidate
    explanations = []
    for ruleset in (old, new):
        outcome = ruleset.evaluate({k: v for k, v in row.items() if k in ruleset.facts}, outputs=[main])
        explanations.append(outcome.explain(main))
    return ExampleRow(line, _ident(row), dict(groups), changes, main, explanations[0], explanations[1])


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


def _money(value: Decimal, signed: bool = False) -> str:
    text = _spaces(formatting.money(value))
    return ("+" + text) if signed and value > 0 else text


def _share(n: int, total: int) -> str:
    if not total:
        return "—"
    return _spaces(formatting.percent(Decimal(n) / total if n * 1000 % total == 0 else
                                      (Decimal(n) / total).quantize(Decimal("0.001"))))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Plain aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for r in [headers, *rows]:
        cells = [str(r[0]).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


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
    lines += _outputs_section(impact)
    lines += _amounts_section(impact)
    for fact in impact.by:
        lines += _breakdown_section(impact, new, fact)
    for fact in impact.by_missing:
        lines += ["", f"Par {fact} : pas de colonne « {fact} » dans la population, ventilation impossible"]
    lines += _examples_section(impact, old, new)
    lines += _bad_rows_section(impact)
    lines += ["", f"Durée : {impact.seconds:.1f} s".replace(".", ",")]
    return "\n".join(lines) + "\n"


def _eligibility_section(impact: Impact) -> list[str]:
    if impact.eligibility is None:
        return []
    stats = impact.outputs[impact.eligibility]
    lines = ["", f"Éligibilité ({impact.eligibility})"]
    if not stats.changed:
        return lines + ["  aucune ligne ne change d'éligibilité"]
    lines.append(f"  {_lines(stats.changed)} ({_share(stats.changed, impact.evaluated)}) "
                 f"change{'nt' if stats.changed > 1 else ''} d'éligibilité :")
    rows = [(f"{a} → {b}", _count_text(n)) for (a, b), n in stats.transitions.most_common()]
    return lines + _table(("  avant → après", "lignes"), [(f"  {r[0]}", r[1]) for r in rows])


def _outputs_section(impact: Impact) -> list[str]:
    lines = ["", "Résultats qui changent (statut ou valeur)"]
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
        widths = [max(len(r[i]) for r in rows + [("résultat", "lignes", "")]) for i in range(2)]
        lines.append(f"  {'résultat'.ljust(widths[0])}  {'lignes'.rjust(widths[1])}  détail")
        lines += [f"  {r[0].ljust(widths[0])}  {r[1].rjust(widths[1])}  {r[2]}" for r in rows]
    unchanged = [n for n, s in impact.outputs.items() if not s.changed]
    if unchanged:
        lines.append(f"  inchangés : {', '.join(unchanged)}")
    if impact.only_old:
        lines.append(f"  seulement dans {impact.old} : {', '.join(impact.only_old)}")
    if impact.only_new:
        lines.append(f"  seulement dans {impact.new} : {', '.join(impact.only_new)}")
    return lines


def _amounts_section(impact: Impact) -> list[str]:
    if not impact.amounts:
        return []
    lines = ["", "Montants (lignes où les deux fichiers donnent une valeur)"]
    rows = []
    for name, s in impact.amounts.items():
        mean = s.mean_delta
        rows.append((name, _count_text(s.compared), _count_text(s.changed), _money(s.total_old), _money(s.total_new),
                     _money(s.delta, True), _money(mean, True) if mean is not None else "—"))
    lines += _table(("résultat", "comparées", "modifiées", "total avant", "total après", "écart total",
                     "écart moyen"), rows)
    for name, s in impact.amounts.items():
        notes = []
        if s.increased or s.decreased:
            notes.append(f"{_count_text(s.increased)} en hausse, {_count_text(s.decreased)} en baisse")
        if s.gained_value:
            notes.append(f"{_lines(s.gained_value)} sans montant avant en {'ont' if s.gained_value > 1 else 'a'} un après")
        if s.lost_value:
            notes.append(f"{_lines(s.lost_value)} avec un montant avant n'en {'ont' if s.lost_value > 1 else 'a'} plus")
        if notes:
            lines.append(f"  {name} : " + " ; ".join(notes))
    return lines


def _breakdown_section(impact: Impact, new: api.Ruleset, fact: str) -> list[str]:
    groups = impact.groups[fact]
    t = new.facts[fact].type if fact in new.facts else None
    headers = [fact, "lignes", "modifiées"]
    if impact.eligibility is not None:
        headers += ["éligibles +", "éligibles −"]
    for name in impact.amounts_shown:
        headers += [f"écart {name}", "écart moyen"]
    rows = []
    for value, s in sorted(groups.items(), key=lambda kv: (-kv[1].changed, kv[0])):
        label = t.label(value) if t is not None and t.kind == "enum" else value
        row = [label, _count_text(s.rows), _count_text(s.changed)]
        if impact.eligibility is not None:
            row += [_count_text(s.gained), _count_text(s.lost)]
        for name in impact.amounts_shown:
            a = s.amounts.get(name, AmountStats())
            row += [_money(a.delta, True), _money(a.mean_delta, True) if a.mean_delta is not None else "—"]
        rows.append(row)
    return ["", f"Par {fact}"] + _table(headers, rows)


def _examples_section(impact: Impact, old: api.Ruleset, new: api.Ruleset) -> list[str]:
    if not impact.examples:
        return []
    lines = ["", f"Exemples ({len(impact.examples)})"]
    for ex in impact.examples:
        where = f"ligne {ex.line}" + (f" (id {ex.ident})" if ex.ident is not None else "")
        groups = ", ".join(f"{k} : {v}" for k, v in ex.by.items())
        lines.append(f"  ▸ {where}" + (f" — {groups}" if groups else ""))
        for ch in ex.changes:
            t = new.program.definitions[ch.name].type
            lines.append(f"      {ch.name} : {show(ch.old, t)} → {show(ch.new, t)}")
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


def to_json(impact: Impact, new: api.Ruleset) -> dict[str, object]:
    """The report as JSON: exact amounts as decimal strings, every bad row listed."""
    types = {name: d.type for name, d in new.program.definitions.items()}

    def amount(s: AmountStats) -> dict[str, object]:
        return {"compared": s.compared, "changed": s.changed, "total_old": money_text(s.total_old),
                "total_new": money_text(s.total_new), "delta": money_text(s.delta),
                "mean_delta": None if s.mean_delta is None else str(s.mean_delta),
                "increased": s.increased, "decreased": s.decreased,
                "gained_value": s.gained_value, "lost_value": s.lost_value}

    return {
        "old": impact.old, "new": impact.new, "population": impact.population,
        "rows": impact.rows, "evaluated": impact.evaluated, "changed_rows": impact.changed_rows,
        "skipped": len(impact.bad),
        "bad_rows": [{"line": b.line, "id": b.ident, "reason": b.reason} for b in impact.bad],
        "ignored_columns": impact.ignored, "by": list(impact.by), "by_missing": list(impact.by_missing),
        "outputs_only_old": list(impact.only_old), "outputs_only_new": list(impact.only_new),
        "eligibility": impact.eligibility,
        "outputs": {n: {"changed": s.changed,
                        "transitions": [{"from": a, "to": b, "rows": c} for (a, b), c in s.transitions.most_common()]}
                    for n, s in impact.outputs.items()},
        "amounts": {n: amount(s) for n, s in impact.amounts.items()},
        "breakdown": {fact: {value: {"rows": g.rows, "changed": g.changed, "eligibility_gained": g.gained,
                                     "eligibility_lost": g.lost,
                                     "amounts": {n: amount(a) for n, a in g.amounts.items()}}
                             for value, g in groups.items()}
                      for fact, groups in impact.groups.items()},
        "examples": [{"line": e.line, "id": e.ident, "by": dict(e.by),
                      "changes": [{"output": c.name, "old": result_json(c.old, types.get(c.name)),
                                   "new": result_json(c.new, types.get(c.name))} for c in e.changes],
                      "explained": e.explained, "old_explanation": e.old_explanation,
                      "new_explanation": e.new_explanation} for e in impact.examples],
        "seconds": round(impact.seconds, 3),
    }
