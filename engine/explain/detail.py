"""French explanations, rendered from the trace and nothing else.

For any rule file: each condition with the value it compared and the threshold it was compared
with, and for a failed numeric condition the margin ("il manque 41 patients pour dépasser le seuil
de 640"); each amount with its table cell, its multiplication and its rounding; the text and
source each value came from; and every value marked `à confirmer` or `choix de modélisation`
that the result depended on; for a false result, every condition that does not hold, from
`engine.explain.whynot` (which evaluates what short-circuiting skipped). `flags` gives the marks in
structured form for letters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from attrs import frozen

from engine.evaluate.trace import Event
from engine.explain.eventdata import Explained, date_at, items_at, mapping_at, type_at, types_at
from engine.explain.whynot import margin, render
from engine.lang import formatting
from engine.lang.kinds import EventKind
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.lang.statuses import Status, parse_mark
from engine.lang.types import Type

_NEGATED = {"=": "≠", "≠": "=", "<": "≥", "≤": ">", ">": "≤", "≥": "<"}


@frozen
class Flag:
    """A value the result depended on that the rule file marks as uncertain or chosen."""

    definition: str
    kind: Status
    note: str | None
    text: str

    def __str__(self) -> str:
        note = f" : {self.note}" if self.note else ""
        return f"{self.kind.heading} — {self.definition} ({self.text}){note}"


def explain(outcome: Explained, name: str) -> str:
    """The explanation of one result of an outcome, as indented French text."""
    event = outcome.event(name)
    lines: list[str] = []
    _rule(event, 0, set(), lines)
    unmet = outcome.unmet(name)
    if unmet:
        lines.append("")
        lines.append("Conditions non remplies :")
        lines += render(unmet, depth=1)
    found = flags(event)
    if found:
        lines.append("")
        lines.append("Ce résultat s'appuie sur des valeurs à confirmer ou des choix de modélisation :")
        lines += [f"  - {f}" for f in found]
    return "\n".join(lines)


# ─── Structured views ────────────────────────────────────────────────────────────────────────

def flags(event: Event) -> list[Flag]:
    """Every `à confirmer` / `choix de modélisation` mark the result depended on, once each."""
    found: dict[tuple[str, Status, str | None], Flag] = {}
    for e in _walk(event):
        for mark in items_at(e, "statuses"):
            kind, note = parse_mark(str(mark))
            name = e.data.get("function") or e.label
            found.setdefault((str(name), kind, note), Flag(str(name), kind, note, str(e.data.get("text", ""))))
        if e.kind == EventKind.TABLE and e.data.get("cell_status"):
            kind = Status.from_label(str(e.data["cell_status"]))
            row = e.data.get("row_label") or e.data.get("row")
            column = e.data.get("column_label") or e.data.get("column")
            cell = f"case « {row} » × « {column} »" if column else f"case « {row} »"
            cell_note = str(e.data.get("cell_note") or cell)
            found.setdefault((e.label, kind, cell_note), Flag(e.label, kind, cell_note, str(e.data.get("text", ""))))
    return list(found.values())


def margin_text(cmp: Event) -> str | None:
    """How far a failed numeric comparison is from holding, in words, or None (also when the margin
    itself is beyond the limits of exact arithmetic: 10²⁰ below a threshold of 10²⁰ − 1)."""
    return margin(str(cmp.data.get("op")), cmp.data.get("left"), cmp.data.get("right"), type_at(cmp, "left_type"),
                  type_at(cmp, "right_type"), _unit_of(cmp))


def _unit_of(cmp: Event) -> str | None:
    for child in cmp.children:
        unit = child.data.get("unit")
        if unit:
            return str(unit)
    return None


# ─── Text rendering ──────────────────────────────────────────────────────────────────────────

def _show(value: object, t: Type | None = None) -> str:
    if value is None:
        return "—"
    return formatting.value(value, t)


def result_text(result: Result, t: Type | None = None) -> str:
    """A result in words: its value, or the marker and its reason, or the missing facts."""
    if isinstance(result, Value):
        return _show(result.value, t)
    if isinstance(result, NotApplicable):
        return f"non applicable — {result.reason}"
    if isinstance(result, Undetermined):
        return f"indéterminé — {result.reason}"
    assert isinstance(result, Missing)
    return "manquant — faits à fournir : " + ", ".join(sorted(result.facts))


def _rule(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    t = type_at(event)
    seen.add(event.label)
    kind_word = {EventKind.PARAMETER: "paramètre ", EventKind.TABLE: "table "}.get(event.kind, "")
    out.append(f"{pad}{kind_word}{event.label} = {result_text(event.result, t)}")
    inner = pad + "  "
    if event.data.get("description"):
        out.append(f"{inner}{event.data['description']}")
    _provenance(event, inner, out)
    for child in event.children:
        _step(child, depth + 1, seen, out)


def _provenance(event: Event, pad: str, out: list[str]) -> None:
    sources = items_at(event, "sources")
    text = event.data.get("text")
    where = f"texte : {text}" if text else ""
    start = date_at(event, "version_start")
    if start:
        where += f", version en vigueur à partir du {formatting.date_short(start)}"
    if event.data.get("replaces"):
        where += f" (remplace {event.data['replaces']})"
    if event.data.get("reused_from"):
        where += f" (repris de « {event.data['reused_from']} »)"
    if event.data.get("amended_by"):
        where += f" ; description, sources et statuts précisés par : {event.data['amended_by']}"
    _citations(sources, pad, out)
    if where:
        out.append(f"{pad}{where[0].upper()}{where[1:]}")
    for mark in items_at(event, "statuses"):
        kind, note = parse_mark(str(mark))
        out.append(f"{pad}⚠ {kind.heading}" + (f" : {note}" if note else ""))


def _citations(sources: Sequence[object], pad: str, out: list[str]) -> None:
    """The sources of a definition, each with its title and its address: one line, or a list."""
    cited = [getattr(s, "with_link", str(s)) for s in sources]
    if len(cited) == 1:
        out.append(f"{pad}Source : {cited[0]}")
    elif cited:
        out.append(f"{pad}Sources :")
        out.extend(f"{pad}  - {c}" for c in cited)


def _step(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    """One trace event as explanation lines, by its kind (unknown kinds show their children)."""
    render = _STEPS.get(event.kind)
    if render is None:
        _children(event, depth, seen, out)
    else:
        render(event, depth, seen, out)


def _definition_step(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    if event.label in seen and event.kind == EventKind.RULE:
        out.append(f"{pad}- {event.label} = {result_text(event.result, type_at(event))} (voir plus haut)")
        return
    first = len(out)
    _rule(event, depth, seen, out)
    out[first] = f"{pad}- {out[first].strip()}"


def _reference(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    seen.add(event.label)
    out.append(f"{'  ' * depth}- {event.label} = {result_text(event.result, type_at(event))} (déjà calculé)")


def _membership(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    out.append(f"{'  ' * depth}{_membership_text(event)}")
    if event.data.get("set"):
        _citations(items_at(event, "sources"), "  " * (depth + 1), out)
    _children(event, depth + 1, seen, out)


def _calculation(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    out.append(f"{'  ' * depth}Calcul : {_arithmetic_text(event)}")
    _children(event, depth + 1, seen, out)


def _extremum(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    t = type_at(event)
    values = ", ".join(_show(v, t) for v in items_at(event, "values"))
    out.append(f"{'  ' * depth}{event.data.get('function')}({values}) = {result_text(event.result, t)}")
    _children(event, depth + 1, seen, out)


def _text_of(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    when = date_at(event, "date")
    out.append(f"{'  ' * depth}Texte dont la version de « {event.data.get('definition')} » est en vigueur au "
               f"{formatting.date_short(when) if when else '—'} : {result_text(event.result)}")


def _marker(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    out.append(f"{'  ' * depth}{result_text(event.result)}")


def _negation(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    out.append(f"{'  ' * depth}{event.label} : {result_text(event.result)}")
    _children(event, depth + 1, seen, out)


def _children(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    for child in event.children:
        _step(child, depth, seen, out)


def _fact(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    t = type_at(event)
    if isinstance(event.result, Missing):
        question = event.data.get("question") or event.data.get("description") or ""
        out.append(f"{pad}- fait {event.label} : manquant" + (f" — {question}" if question else ""))
    else:
        out.append(f"{pad}- fait {event.label} = {result_text(event.result, t)}")


def _guard(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    if isinstance(event.result, Value) and event.result.value is True:
        out.append(f"{pad}Applicable : « {event.label} » est vrai")
    else:
        out.append(f"{pad}Condition d'application « {event.label} » : {result_text(event.result)}")
    for child in event.children:
        if child.label in seen:
            continue
        _step(child, depth + 1, seen, out)


def _condition(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    branch = event.data.get("branch")
    condition = event.data.get("condition")
    tests = [c for c in event.children if c.kind == EventKind.TEST]
    if branch in {"alors", "sinon"}:
        truth = "vrai" if branch == "alors" else "faux"
        out.append(f"{pad}Si {condition} : {truth}")
    elif branch == "les deux":
        out.append(f"{pad}Si {condition} : inconnu (faits manquants)")
    else:
        out.append(f"{pad}Si {condition} : {result_text(tests[0].result) if tests else result_text(event.result)}")
    for test in tests:
        _children(test, depth + 2, seen, out)
    if branch is not None:
        word = {"alors": "Alors", "sinon": "Sinon", "les deux": "Selon le cas"}[str(branch)]
        rest = [c for c in event.children if c.kind != EventKind.TEST]
        if rest:
            out.append(f"{pad}  {word} :")
        for child in rest:
            _step(child, depth + 2, seen, out)


def _comparison_text(event: Event) -> str:
    op = str(event.data.get("op"))
    left = _show(event.data.get("left"), type_at(event, "left_type"))
    right = _show(event.data.get("right"), type_at(event, "right_type"))
    left_label, right_label = str(event.data.get("left_label")), str(event.data.get("right_label"))
    left_part = _operand(left_label, event.data.get("left"), left)
    right_part = _operand(right_label, event.data.get("right"), right)
    if isinstance(event.result, Value):
        shown_op = op if event.result.value else _NEGATED[op]
        return f"{left_part} {shown_op} {right_part}"
    return f"{left_part} {op} {right_part} : {result_text(event.result)}"


def _operand(label: str, raw: object, shown: str) -> str:
    """An operand of a comparison: its value, after its name unless it is written as a value.

    A literal whose comparison did not run (another operand was missing) shows as written, not as
    an unknown value.
    """
    if _plain(label, raw, shown):
        return label if raw is None and label else shown
    return f"{label} ({shown})"


def _plain(label: str, raw: object, shown: str) -> bool:
    """Whether an operand is written as its own value (a literal or an enumeration word)."""
    return label in {shown, str(raw)} or (bool(label) and (label[0].isdigit() or label[0] in "\"«-"))


def _is_threshold(event: Event) -> bool:
    """A comparison against a named parameter: the kind whose margin a reader wants."""
    return any(c.kind == EventKind.PARAMETER for c in event.children)


def _comparison(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    text = _comparison_text(event)
    if isinstance(event.result, Value):
        verdict = "vrai" if event.result.value else "faux"
        margin = margin_text(event) if event.result.value is False and _is_threshold(event) else None
        out.append(f"{pad}{event.label} : {verdict} ({text})" + (f" — {margin}" if margin else ""))
    else:
        out.append(f"{pad}{text}")
    _children(event, depth + 1, seen, out)


def _membership_text(event: Event) -> str:
    """`couleur (rouge) n'est pas dans {vert, bleu, …} : vrai` — the fact, then the condition's value."""
    t = type_at(event, "operand_type")
    items = ", ".join(_show(i, t) for i in items_at(event, "items"))
    if not isinstance(event.result, Value):
        return f"{event.label} : {result_text(event.result)}"
    inside = event.result.value != bool(event.data.get("negated"))
    word = "est dans" if inside else "n'est pas dans"
    value = _show(event.data.get("value"), t)
    named = f"{event.data['set']} " if event.data.get("set") else ""
    return (f"{event.data.get('operand_label')} ({value}) {word} {named}{{{items}}} : "
            f"{'vrai' if event.result.value else 'faux'}")


def _arithmetic_text(event: Event) -> str:
    operands = event.data.get("operands")
    types = types_at(event, "operand_types") or [None, None]
    t = type_at(event)
    if not isinstance(operands, list):
        return f"{event.label} : {result_text(event.result, t)}"
    left, right = (formatting.exact(v, ty) for v, ty in zip(operands, types, strict=False))
    shown = formatting.exact(event.result.value, t) if isinstance(event.result, Value) else result_text(event.result, t)
    return f"{left} {event.data.get('op')} {right} = {shown}"


def _rounding(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    t = type_at(event)
    before = _show(event.data.get("before"), type_at(event, "operand_type"))
    arithmetic = [c for c in event.children if c.kind == EventKind.ARITHMETIC]
    if len(event.children) == 1 and arithmetic:
        child = arithmetic[0]
        mode = event.data.get("mode")
        out.append(f"{pad}Calcul : {_arithmetic_text(child)}, {mode} : {result_text(event.result, t)}")
        _children(child, depth + 1, seen, out)
        return
    out.append(f"{pad}Arrondi : {before}, {event.data.get('mode')} : {result_text(event.result, t)}")
    _children(event, depth + 1, seen, out)


def _table(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    t = type_at(event)
    where = f"texte : {event.data.get('text')}" if event.data.get("text") else ""
    start, read_on = date_at(event, "version_start"), date_at(event, "date")
    if start:
        where += f", barème en vigueur à partir du {formatting.date_short(start)}"
    if read_on:
        where += f", lu au {formatting.date_short(read_on)}"
    cell = f"ligne « {event.data.get('row_label') or event.data.get('row')} »"
    if event.data.get("column"):
        cell += f", colonne « {event.data.get('column_label') or event.data.get('column')} »"
    out.append(f"{pad}Table « {event.label} » ({where}) : {cell} → {result_text(event.result, t)}")
    _citations(items_at(event, "sources"), pad + "  ", out)
    if event.data.get("cell_status"):
        note = event.data.get("cell_note")
        out.append(f"{pad}  ⚠ Case {event.data['cell_status']}" + (f" : {note}" if note else ""))
    for status in items_at(event, "statuses"):
        out.append(f"{pad}  ⚠ Table : {status}")
    _children(event, depth + 1, seen, out)


def _function(event: Event, depth: int, seen: set[str], out: list[str]) -> None:
    pad = "  " * depth
    t = type_at(event)
    args = mapping_at(event, "arguments")
    types = types_at(event, "parameter_types")
    shown = ", ".join(f"{k} = {_show(v, ty)}" for (k, v), ty in zip(args.items(), types, strict=False))
    out.append(f"{pad}{event.data.get('function')}({shown}) = {result_text(event.result, t)}")
    _provenance(event, pad + "  ", out)
    _children(event, depth + 1, seen, out)


_STEPS = {
    EventKind.RULE: _definition_step, EventKind.PARAMETER: _definition_step, EventKind.REFERENCE: _reference,
    EventKind.FACT: _fact, EventKind.GUARD: _guard, EventKind.CONDITION: _condition,
    EventKind.COMPARISON: _comparison, EventKind.MEMBERSHIP: _membership, EventKind.ARITHMETIC: _calculation,
    EventKind.DATE: _calculation, EventKind.ROUNDING: _rounding, EventKind.TABLE: _table,
    EventKind.FUNCTION: _function, EventKind.EXTREMUM: _extremum, EventKind.TEXT_OF: _text_of,
    EventKind.MARKER: _marker, EventKind.NEGATION: _negation,
}
"""How each trace event kind is explained (`engine.lang.kinds.EventKind`)."""


def _walk(event: Event) -> Iterator[Event]:
    """Every event of a tree once, depth first (a rule used twice is one shared event)."""
    stack = [event]
    visited: set[int] = set()  # ids of event objects: runtime steps, several per program node
    while stack:
        e = stack.pop()
        if id(e) in visited:
            continue
        visited.add(id(e))
        yield e
        stack.extend(reversed(e.children))
