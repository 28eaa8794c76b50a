"""Reading a trace as a summary does: looking through plumbing, labels in the doctor's terms, the
calculation with its operands, the failed conditions.

Stage: explain, below `engine.explain.summary`. `Walker` answers, for an event of the trace, which
facts and visible definitions it reaches without passing another visible definition: definitions
marked `interne`, functions and the original a replacement reads (`avenant7.x` read by `x`) are
looked through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from attrs import frozen

from engine.check import model
from engine.evaluate.trace import Event, result_json
from engine.explain.detail import flags
from engine.explain.eventdata import Explained, items_at, string_at, type_at, types_at
from engine.explain.summary_text import Citation, Item, ItemKind
from engine.lang import formatting
from engine.lang.kinds import EventKind, TypeKind
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.lang.statuses import Status
from engine.lang.types import Type

PageOf = Callable[[str], str | None]
"""The address of a definition's or a fact's page in `regles doc`, for the links of the JSON and HTML forms."""

_CALC_KINDS = frozenset({"arithmetic", "rounding", "extremum", "date"})
_DEFINITION_KINDS = frozenset({EventKind.RULE, EventKind.PARAMETER, EventKind.TABLE})


def split_description(description: str | None, boolean: bool) -> tuple[str, str | None]:
    """A description as a label and the rest: `Aide versée … : montant maximal × atteinte` gives the
    label `Aide versée …` and the rule. A condition's description is its statement: only « : » splits it."""
    if not description:
        return "", None
    for mark in (" : ",) if boolean else (" : ", " ; "):  # a condition's « ; » joins alternatives
        head, sep, tail = description.partition(mark)
        if sep and tail:
            return head, tail
    return description, None


def result_text(result: Result, t: Type | None) -> str:
    """A result in the summary's words: its exact value, or what kind of marker it is."""
    if isinstance(result, Value):
        return formatting.exact(result.value, t)
    if isinstance(result, NotApplicable):
        return "non applicable"
    if isinstance(result, Undetermined):
        return "indéterminé"
    return "inconnu (faits manquants)"


@frozen
class Reached:
    """The facts and the visible definitions an event reaches, in the order the trace reads them."""

    facts: tuple[Event, ...]
    definitions: tuple[Event, ...]


class Walker:
    """Looks through plumbing: what a definition's formula reaches without passing a visible definition."""

    def __init__(self, program: model.Program, fact_page: PageOf | None = None) -> None:
        self.program = program
        self.fact_page = fact_page

    def definition(self, event: Event) -> model.Definition | None:
        """The definition an event evaluates (rule, parameter, table or function), or None."""
        if event.kind == EventKind.FUNCTION:
            name, origin = event.data.get("function"), string_at(event, "origin")
        elif event.kind in _DEFINITION_KINDS:
            name, origin = event.label.split(".")[-1], string_at(event, "origin")
        else:
            return None
        try:
            return self.program.definition(str(name), origin)
        except KeyError:
            return None

    def transparent(self, event: Event, owner: str) -> bool:
        """Whether the summary looks through this event: plumbing, functions, or the owner's original."""
        d = self.definition(event)
        if event.kind == EventKind.FUNCTION:
            return True
        return d is not None and (d.internal or d.name == owner)

    def reach(self, event: Event, owner: str) -> Reached:
        """The facts and the visible definitions (rules, parameters and tables) `event` reaches."""
        facts: dict[str, Event] = {}
        defs: dict[str, Event] = {}
        visited: set[int] = set()  # ids of event objects: runtime steps, several per program node

        def visit(e: Event, hidden: bool) -> None:
            for c in e.children:
                if id(c) in visited:
                    continue
                visited.add(id(c))
                if c.kind == EventKind.FACT:
                    facts.setdefault(c.label, c)
                elif c.kind in _DEFINITION_KINDS or c.kind == EventKind.FUNCTION:
                    d = self.definition(c)
                    if self.transparent(c, owner):
                        visit(c, hidden or bool(d is not None and d.internal))
                    elif c.kind == EventKind.PARAMETER and hidden:
                        continue  # the constants of plumbing (a signature window's dates) stay with it
                    else:
                        defs.setdefault(c.label, c)
                        if c.kind == EventKind.TABLE:  # a table's keys are part of what decided
                            visit(c, hidden)
                else:
                    visit(c, hidden)

        visit(event, False)
        return Reached(tuple(facts.values()), tuple(defs.values()))

    def traced_label(self, outcome: Explained, name: str) -> str | None:
        """The label of a result in the words of the version that decided it (traced on demand, as
        evaluation may have stopped before it), or None for what is not a result."""
        short = name.rpartition(".")[2]
        if short not in self.program.outputs:
            return None
        return self.label(outcome.event(short))

    def deciding(self, event: Event) -> Event:
        """The version of a definition that decided: `avenant7.x` when `x` handed the case to the text
        it replaces (a contract signed under avenant 7), else the event itself."""
        name = event.label.split(".")[-1]
        stack = list(event.children)
        while stack:
            c = stack.pop(0)
            if c.kind == EventKind.RULE and c.label.split(".")[-1] == name and c.data.get("origin"):
                return self.deciding(c)
            if c.kind not in _DEFINITION_KINDS and c.kind not in {EventKind.FUNCTION, EventKind.GUARD, EventKind.TEST}:
                stack.extend(c.children)
        return event

    def label(self, event: Event) -> str:
        event = self.deciding(event)
        d = self.definition(event)
        description = (d.description if d is not None else None) or string_at(event, "description")
        boolean = getattr(type_at(event), "kind", None) == TypeKind.BOOLEEN
        return split_description(description, boolean)[0] if description else f"« {event.label} »"

    def item(self, event: Event, page: PageOf | None) -> Item:
        """A value or a condition the summary shows, with its link and its JSON form."""
        t = type_at(event)
        d = self.definition(event)
        name = d.name if d is not None else event.label
        link = page(name) if page and d is not None and ("." not in event.label) else None
        if getattr(t, "kind", None) == TypeKind.BOOLEEN:
            held = event.result.value if isinstance(event.result, Value) and type(event.result.value) is bool else None
            value = result_text(event.result, t) if held is None else formatting.boolean(bool(held))
            if isinstance(event.result, Missing):
                value = "faits manquants"
            return Item(ItemKind.CONDITION, name, self.label(event), value, held, page=link,
                        result=result_json(event.result, t))
        value = result_text(event.result, t)
        if isinstance(event.result, (NotApplicable, Undetermined)):
            value += f" ({event.result.reason})"
        calc = None
        if event.kind == EventKind.TABLE:
            calc = None
            value += self.cell(event)
        elif isinstance(event.result, Value):
            calc = self.calculation(event, name, with_result=False)
            if calc is not None and len(calc) > 60:
                calc = None
        return Item(ItemKind.VALUE, name, self.label(event), value, calculation=calc, page=link,
                    result=result_json(event.result, t))

    def hidden_guards(self, event: Event, owner: str) -> list[Item]:
        """The `applicable si` conditions that are plumbing, name a visible condition, and held or failed
        without reading it (a payment gate that lets a contract signed outside the text's period be paid
        without its eligibility): said in the words of their description, since nothing else in the
        summary would say on what ground the result applies."""
        found = []
        for guard in self.guard_events(event, owner):
            rules = [c for c in guard.children if c.kind == EventKind.RULE]
            d = self.definition(rules[0]) if rules else None
            if d is None or not d.internal or not d.description:
                continue
            reached = self.reach(rules[0], d.name).definitions
            if any(getattr(e.data.get("type"), "kind", None) == TypeKind.BOOLEEN for e in reached):
                continue  # the visible conditions it reached say it
            if not self.skips_a_condition(d):
                continue  # plumbing through and through (a signature window): its facts say it
            found_value = rules[0].result
            held = found_value.value if isinstance(found_value, Value) and type(found_value.value) is bool else None
            value = formatting.boolean(bool(held)) if held is not None else result_text(rules[0].result, d.type)
            found.append(Item(ItemKind.CONDITION, d.name, split_description(d.description, True)[0], value, held))
        return found

    def skips_a_condition(self, d: model.Definition) -> bool:
        """Whether a definition's formula names a visible condition (a boolean definition not marked
        `interne`): when such a guard held without reading it, the summary must say on what ground."""
        for expr in model.definition_exprs(d):
            for node in model.walk(expr):
                if isinstance(node, model.DefRef) and node.type.kind == TypeKind.BOOLEEN:
                    try:
                        target = self.program.definition(node.name, node.origin)
                    except KeyError:
                        continue
                    if not target.internal:
                        return True
        return False

    def guard_events(self, event: Event, owner: str) -> Iterator[Event]:
        """The `applicable si` events of a formula, looking through what is transparent but not plumbing."""
        for c in event.children:
            if c.kind == EventKind.GUARD:
                yield c
            elif c.kind in _DEFINITION_KINDS or c.kind == EventKind.FUNCTION:
                d = self.definition(c)
                if self.transparent(c, owner) and not (d is not None and d.internal):
                    yield from self.guard_events(c, owner)
            elif c.kind != EventKind.TEST:
                yield from self.guard_events(c, owner)

    def with_unmet(self, outcome: Explained, item: Item) -> Item:
        """A failed condition with the sentences that say why, when it is a result of the file."""
        if item.held is False and item.name in outcome.ruleset.program.outputs:
            failed = failed_conditions(outcome, item.name)
            others = [failed_item(self.program, f, None, self.traced_label(outcome, f.name)).label
                      for f in failed if f.name != item.name]
            if others:
                n = len(others)
                texts: tuple[str, ...] = (f"{n} condition{'s' if n > 1 else ''} non remplie{'s' if n > 1 else ''} : "
                                          + " ; ".join(others),)
            else:
                texts = tuple(f.text for f in failed if f.text)
            return Item(item.kind, item.name, item.label, item.value, item.held, texts, page=item.page,
                        result=item.result)
        return item

    def fact_item(self, event: Event) -> Item:
        decl = self.program.facts.get(event.label)
        label = (decl.description or decl.question if decl is not None else None) or f"« {event.label} »"
        value = "non fourni" if isinstance(event.result, Missing) else result_text(event.result, type_at(event))
        page = self.fact_page(event.label) if self.fact_page else None
        return Item(ItemKind.FACT, event.label, label, value, page=page,
                    result=result_json(event.result, type_at(event)))

    def given_fact(self, name: str, value: object, fact_page: PageOf | None = None) -> Item:
        """A fact the trace did not read (evaluation stopped before it), with its given value."""
        decl = self.program.facts[name]
        label = decl.description or decl.question or f"« {name} »"
        return Item(ItemKind.FACT, name, label, formatting.exact(value, decl.type),
                    page=fact_page(name) if fact_page else None, result=result_json(Value(value), decl.type))

    def cell(self, event: Event) -> str:
        row = event.data.get("row_label") or event.data.get("row")
        column = event.data.get("column_label") or event.data.get("column")
        where = f"ligne « {row} »" + (f", colonne « {column} »" if column else "")
        text = event.data.get("text")
        return f" ({where}" + (f", barème {text}" if text else "") + ")"

    def own_events(self, event: Event, owner: str) -> Iterator[Event]:
        """The events of `event`'s own formula, looking through plumbing, preorder."""
        for c in event.children:
            if c.kind in _DEFINITION_KINDS or c.kind == EventKind.FUNCTION:
                if self.transparent(c, owner):
                    yield from self.own_events(c, owner)
                else:
                    yield c
            elif c.kind in {EventKind.GUARD, EventKind.TEST}:
                continue
            else:
                yield c
                yield from self.own_events(c, owner)

    def calculation(self, event: Event, owner: str, with_result: bool = True) -> str | None:
        """The first computation of a formula with its operands, e.g. `8 250,00 € = 11 000,00 € × 75 %,
        arrondi au centime`; a table read directly gives its cell."""
        if not isinstance(event.result, Value):
            return None
        for e in self.own_events(event, owner):
            if e.kind in _CALC_KINDS and isinstance(e.result, Value):
                body = _render(e, top=True)
                if not with_result:
                    return body
                return f"{formatting.exact(e.result.value, type_at(e))} = {body}"
            if e.kind == EventKind.TABLE and isinstance(e.result, Value) and e.result == event.result:
                return None
        return None

    def sources(self, event: Event, owner: str) -> Iterator[Citation]:
        """The sources of a result and of its originals (`avenant7.x` read by `x`)."""
        for s in items_at(event, "sources"):
            yield _citation(s)
        for c in event.children:
            for e in _same_definition(c, owner, self):
                for s in items_at(e, "sources"):
                    yield _citation(s)

    def flags(self, event: Event) -> tuple[int, int]:
        """How many values `à confirmer`, and how many modelling choices, the result depended on."""
        found = flags(event)
        confirm = sum(1 for f in found if f.kind is Status.TO_CONFIRM)
        return confirm, len(found) - confirm


def _citation(cited: object) -> Citation:
    """A citation of the trace (`engine.check.bibliography.Citation`) as the summary shows it."""
    to_json = getattr(cited, "to_json", None)
    return Citation(str(cited), getattr(cited, "url", None), tuple(to_json().items()) if to_json else ())


def _same_definition(event: Event, owner: str, walker: Walker) -> Iterator[Event]:
    """The original of the owner (`avenant7.x` inside `x`), through conditions and guards."""
    if event.kind in _DEFINITION_KINDS or event.kind == EventKind.FUNCTION:
        d = walker.definition(event)
        if d is not None and d.name == owner and event.kind == EventKind.RULE:
            yield event
            for c in event.children:
                yield from _same_definition(c, owner, walker)
        return
    for c in event.children:
        yield from _same_definition(c, owner, walker)


def _render(event: Event, top: bool = False) -> str:
    """A computation with its operands' values, nested computations in brackets."""
    t = type_at(event)
    subs = [c for c in event.children if c.kind in _CALC_KINDS and isinstance(c.result, Value)]
    if event.kind == EventKind.ROUNDING:
        inner = subs[0] if subs else None
        body = (_render(inner, top) if inner is not None
                else formatting.exact(event.data.get("before"), type_at(event, "operand_type")))
        return f"{body}, {event.data.get('mode')}" if top else f"({body} {event.data.get('mode')})"
    if event.kind == EventKind.EXTREMUM:
        shown = [_operand(v, t, subs, top=True) for v in items_at(event, "values")]
        return f"{event.data.get('function')}({', '.join(shown)})"
    operands = event.data.get("operands")
    types = types_at(event, "operand_types") or [None, None]
    if not isinstance(operands, list) or len(operands) != 2:
        return formatting.exact(_value_of(event.result), t)
    left, right = (_operand(v, ty, subs) for v, ty in zip(operands, types, strict=False))
    text = f"{left} {event.data.get('op')} {right}"
    return text if top else f"({text})"


def _operand(value: object, t: Type | None, subs: list[Event], top: bool = False) -> str:
    """An operand: the computation that gave it when it is the next nested one, else its value."""
    if subs and _value_of(subs[0].result) == value:
        return _render(subs.pop(0), top)
    return formatting.exact(value, t)


def _value_of(result: Result) -> object:
    """The value of a result that has one (a computation's, once it is known to be a `Value`)."""
    if not isinstance(result, Value):
        raise TypeError(f"a computation without a value: {result!r}")
    return result.value


# ─── Failed conditions ───────────────────────────────────────────────────────────────────────

@frozen
class Failed:
    """A failed condition as a summary shows it (`name` identifies it; `text` is in the doctor's terms)."""

    name: str
    text: str
    facts: tuple[str, ...] = ()
    """The facts its sentence is about (the leaves of `Outcome.unmet`), for the deciding facts."""


def failed_conditions(outcome: Explained, name: str) -> list[Failed]:
    """Every unmet condition of a false result (`Outcome.unmet`), as the summary shows it."""
    found = []
    for u in outcome.unmet(name):
        same = [c for c in u.children if c.name == u.name]  # « … : non remplie » states its requirement there
        text = same[0].text if same else u.text
        facts = tuple(dict.fromkeys(str(x.name) for x in u.walk() if x.name in outcome.ruleset.program.facts))
        found.append(Failed(str(u.name), str(text), facts))
    return found


def failed_item(program: model.Program, failed: Failed, page: PageOf | None, label: str | None = None) -> Item:
    """A failed condition as an item of the summary, labelled in the words of its definition or fact."""
    prefix, _, short = failed.name.rpartition(".")  # `avenant7.x`: the original a replacement reads
    try:
        d = program.definition(short, prefix or None)
    except KeyError:
        d = None
    if label is not None:
        pass
    elif d is not None:
        label = split_description(d.description, True)[0] or f"« {failed.name} »"
    else:
        decl = program.facts.get(short)
        label = (decl.description if decl is not None else None) or f"« {failed.name} »"
    detail = (failed.text,) if failed.text else ()
    link = page(short) if page and short in program.definitions else None
    return Item(ItemKind.CONDITION, failed.name, label, "faux", False, detail, page=link)
