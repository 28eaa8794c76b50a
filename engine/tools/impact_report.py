"""The report of `regles diff` (`engine.tools.impact`): French text for a policy editor, JSON for programs.

Terminal tables are laid out by rich (widths by displayed cells, never wrapped); amounts keep
their exact decimals in JSON and are shown in French, to the cent, in text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from rich.console import Console
from rich.table import Table

from engine import api
from engine.evaluate.trace import result_json
from engine.lang import formatting
from engine.lang.kinds import TypeKind
from engine.lang.results import STATUS_FRENCH, Result, Value
from engine.lang.types import Type
from engine.lang.values import money_text
from engine.tools.impact import (
    ALL_ROWS,
    CASES,
    NA,
    Case,
    CaseStats,
    GroupStats,
    Impact,
    PairStats,
    Tally,
)


def show(result: Result, t: Type) -> str:
    """A result in a report: its value in French, or its status word."""
    if isinstance(result, Value):
        return formatting.value(result.value, t)
    return STATUS_FRENCH[result.status]


def _count_text(n: int) -> str:
    return formatting.number(n)


def _lines(n: int) -> str:
    """`1 ligne`, `2 lignes`."""
    return f"{_count_text(n)} ligne{'s' if n > 1 else ''}"


def _money(value: Decimal | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = formatting.money(value)
    return ("+" + text) if signed and value > 0 else text


def _share(n: int, total: int) -> str:
    """`41,8 %`: a share of the evaluated rows to one decimal, rounded half up."""
    if not total:
        return "—"
    share = (Decimal(100 * n) / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(share).replace(".", ",") + formatting.NBSP + "%"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ",
           left: Sequence[int] = (0,)) -> list[str]:
    """Plain aligned columns, laid out by rich (widths by displayed cells, not characters): those in
    `left` left-aligned, the others right-aligned, two spaces apart, never wrapped."""
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
    """The report for a policy editor, in French, with French typography's no-break spaces (`41,8 %`,
    `Population : …`): tables are laid out by rich, which never wraps them, so a space only ties."""
    lines = [f"Impact du passage de {impact.old} à {impact.new}",
             f"Population : {impact.population} — {_lines(impact.rows)}, "
             f"{_count_text(impact.evaluated)} évaluée{'s' if impact.evaluated > 1 else ''}, "
             f"{_count_text(len(impact.bad))} écartée{'s' if len(impact.bad) > 1 else ''}"
             + (" (voir la fin du rapport)" if impact.bad else ""),
             (f"{_lines(impact.changed_rows)} ({_share(impact.changed_rows, impact.evaluated)}) "
             f"{'ont' if impact.changed_rows > 1 else 'a'} au moins un résultat différent.")]
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
    return formatting.french_typography("\n".join(lines) + "\n")


def _eligibility_section(impact: Impact) -> list[str]:
    if impact.eligibility is None:
        return ["", ("Pas de résultat d'éligibilité demandé : les montants sont comparés sur toutes les lignes où les "
                     "deux textes en donnent un.")]
    lines = ["", f"Éligibilité ({impact.eligibility}) selon l'ancien et le nouveau texte, "
                 "et montants comptés pour chaque cas"]
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
    return ["", f"{title} ({_lines(stats.rows)}) : avant → après", *_pair_table(impact, stats)]


def _pair_table(impact: Impact, stats: CaseStats) -> list[str]:
    """Amounts before and after on one case's rows, and the rows left out of the totals."""
    lines = [("  comparés sur les lignes où les deux textes donnent un montant ; "
             "écart moyen = écart total ÷ lignes comparées, au centime")]
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
    "new_only_true": "montants selon le nouveau texte seul, hors des totaux avant → après "
                         "(l'ancien texte ne régit pas ces lignes)",
    "old_only_true": "montants selon l'ancien texte seul, hors des totaux avant → après "
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
        lines += ["", (f"{case.label[0].upper()}{case.label[1:]} ({case.old} → {case.new}) : {_lines(stats.rows)} ; "
                      f"{ONE_TEXT_TITLES[case.key]}")]
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


ONE_TEXT_COLUMNS = {"gained": "total nouveau", "lost": "total ancien", "new_only_true": "total nouveau",
                    "old_only_true": "total ancien"}


def _breakdown_section(impact: Impact, new: api.Ruleset, fact: str) -> list[str]:
    groups = impact.groups[fact]
    t = new.facts[fact].type if fact in new.facts else None
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1].rows, kv[0]))

    def label(value: str) -> str:
        return t.label(value) if t is not None and t.kind == TypeKind.ENUM else value

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
                      label: Callable[[str], str]) -> list[str]:
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
    return ["", title, *_table(headers, rows),
            "  une ligne sans montant (indéterminé, non applicable, manquant) n'entre dans aucun total"]


UNCOUNTED = {
    "gained": "avant : non compté, ligne inéligible selon l'ancien texte",
    "lost": "après : non compté, ligne inéligible selon le nouveau texte",
    "neither": "non compté, ligne inéligible selon les deux textes",
    "new_only_true": "avant : non compté, l'ancien texte ne régit pas la ligne",
    "new_only_false": "non compté : hors du champ de l'ancien texte, inéligible selon le nouveau",
    "old_only_true": "après : non compté, le nouveau texte ne régit pas la ligne",
    "old_only_false": "non compté : inéligible selon l'ancien texte, hors du champ du nouveau",
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
        for label, text in ((f"avant ({impact.old})", ex.old_explanation),
                            (f"après ({impact.new})", ex.new_explanation)):
            lines.append(f"    Explication de {ex.explained}, {label} :")
            lines += [f"      {line}".rstrip() for line in text.splitlines()]
    return lines


def _bad_rows_section(impact: Impact) -> list[str]:
    if not impact.bad:
        return []
    lines = ["", f"Lignes écartées ({_count_text(len(impact.bad))}) : illisibles, "
                 "ou faits refusés par un fichier de règles"]
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
    texts, rows whose deciding result is true under both), `new_text` or `old_text` (one text), or none.
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
