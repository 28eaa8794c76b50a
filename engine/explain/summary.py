"""The summary of an explanation: the answer, why, the calculation and the deciding facts, on one screen.

`regles explain` prints this by default; `--detail` prints the full tree of `engine.explain.detail`. A
summary is built from the trace of one result and says, in the doctor's terms and never with an
identifier of the program:

- the value (or the marker and its reason, or the questions to ask for missing facts);
- one sentence saying why: the rest of the definition's description, the reason of a marker, or the
  conditions that failed;
- the calculation with exact operands (a rate that is not a terminating decimal as its fraction,
  `225/448 (≈ 50,2232 %)`), so a reader can redo it to the cent;
- the values and conditions it used, the facts that decided it, and its sources.

A definition or a fact without a description is named as the file writes it, in « », as nothing
else says what it is. Definitions marked `interne` in the rule file (plumbing such as signature
windows) are never named: the summary looks through them and shows what they lead to, their facts
and visible results. The original of a replaced definition (`avenant7.x` read by `x`) is the same concept and is looked
through as well. The text form fits `MAX_LINES` lines: longer lists are cut with a line that says how
many items the `--detail` view adds.
"""

from __future__ import annotations

from engine.check import model
from engine.evaluate.trace import Event, result_json
from engine.explain.eventdata import Explained
from engine.explain.summary_text import MAX_LINES, Citation, Item, ItemKind, Summary
from engine.explain.summary_walk import PageOf, Walker, failed_conditions, failed_item, result_text, split_description
from engine.lang.kinds import EventKind, TypeKind
from engine.lang.results import Missing, NotApplicable, Undetermined, Value

__all__ = ["MAX_LINES", "Citation", "Item", "Summary", "summarize"]


def summarize(outcome: Explained, name: str, page: PageOf | None = None, fact_page: PageOf | None = None) -> Summary:
    """The summary of result `name` of an outcome. `page(name)` and `fact_page(name)` give the doc page
    of a definition and of a fact, for the links of the JSON and HTML forms."""
    program = outcome.ruleset.program
    event = outcome.event(name)
    walker = Walker(program, fact_page)
    definition = program.definitions[name]
    t = definition.type
    result = event.result
    own = walker.reach(event, name)
    label, rest = split_description(definition.description, t.kind == TypeKind.BOOLEEN)
    label = label or f"« {name} »"
    values: list[Item] = []
    conditions: list[Item] = []
    for e in own.definitions:
        if e.kind == EventKind.PARAMETER and not e.data.get("description"):
            continue  # the calculation shows its value; its name alone would tell a reader nothing
        item = walker.item(e, page)
        (conditions if item.kind == ItemKind.CONDITION else values).append(item)
    conditions += walker.hidden_guards(event, name)
    facts = [walker.fact_item(e) for e in own.facts]
    for e in own.definitions:  # then the facts behind the values and conditions used
        if e.kind == EventKind.PARAMETER:
            continue
        for read in walker.reach(e, e.label.split(".")[-1]).facts:
            if all(read.label != x.name for x in facts):
                facts.append(walker.fact_item(read))
    why = None
    questions: tuple[str, ...] = ()
    if isinstance(result, Value) and result.value is False:
        failed = failed_conditions(outcome, name)
        own_failed = [f for f in failed if f.name == name]
        others = [f for f in failed if f.name != name]
        if own_failed:
            why = " ; ".join(f.text for f in own_failed if f.text) or None
        if others:
            held = [c for c in conditions if c.held]
            conditions = [failed_item(program, f, page, walker.traced_label(outcome, f.name)) for f in others] + held
            for f in others:  # the facts the failed conditions are about, evaluated or not
                for fact in f.facts:
                    if all(fact != x.name for x in facts) and fact in outcome.facts:
                        facts.append(walker.given_fact(fact, outcome.facts[fact], fact_page))
            count = len(others)
            why = f"{count} condition{'s' if count > 1 else ''} non remplie{'s' if count > 1 else ''}"
    elif isinstance(result, Value) and result.value is True and conditions:
        if all(c.held for c in conditions):
            why = "toutes les conditions ci-dessous sont remplies"
    elif isinstance(result, (NotApplicable, Undetermined)):
        why = result.reason[0].upper() + result.reason[1:]
        conditions = [walker.with_unmet(outcome, c) for c in conditions]
    elif isinstance(result, Missing):
        count = len(result.facts)
        why = f"il manque {count} fait{'s' if count > 1 else ''} pour conclure"
        questions = tuple(_question(program, f) for f in _in_order_read(event, result.facts))
        facts = [f for f in facts if f.name not in result.facts]
    calculation = walker.calculation(event, name)
    sources = tuple(dict.fromkeys(walker.sources(event, name)))
    return Summary(name, label, result.status, result_text(result, t), result_json(result, t),
                   _sentence(why), _sentence(rest), calculation, tuple(values), tuple(conditions), tuple(facts),
                   questions, sources, walker.flags(event), page(name) if page else None)


def _sentence(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    return text if text.endswith((".", "!", "?", "»", ")")) else text + "."


def _question(program: model.Program, fact: str) -> str:
    decl = program.facts.get(fact)
    if decl is None:
        return fact
    return decl.question or decl.description or fact


def _in_order_read(event: Event, missing: frozenset[str]) -> list[str]:
    """The missing facts in the order the evaluation first needed them: the first question is the one
    the reasoning stopped on."""
    found: list[str] = []
    stack, seen = [event], set[int]()  # ids of event objects: runtime steps, several per program node
    while stack:  # depth first, in evaluation order; a shared event once
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if e.kind == EventKind.FACT and e.label in missing:
            found.append(e.label)
        stack.extend(reversed(e.children))
    return list(dict.fromkeys(found)) + sorted(missing - set(found))
