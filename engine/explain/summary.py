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
else says what it is. Definitions marked `interne` in the rule file (plumbing such as signature windows) are never named:
the summary looks through them and shows what they lead to, their facts and visible results. The
original of a replaced definition (`avenant7.x` read by `x`) is the same concept and is looked
through as well. The text form fits `MAX_LINES` lines: longer lists are cut with a line that says how
many items the `--detail` view adds.
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import field, frozen

from engine.lang import formatting
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.lang.statuses import Status
from engine.evaluate.trace import Event, result_json

MAX_LINES = 15
"""A summary fits one screen."""

_CALC_KINDS = frozenset({"arithmetic", "rounding", "extremum", "date"})
_DEFINITION_KINDS = frozenset({"rule", "parameter", "table"})


@frozen
class Item:
    """A fact, a value or a condition a summary shows: its name (for links and JSON, never printed in
    text), its label in the doctor's terms and its value as text."""

    kind: str
    name: str
    label: str
    value: str
    held: bool | None = None
    detail: tuple[str, ...] = ()
    calculation: str | None = None
    page: str | None = None
    result: dict[str, object] | None = None
    """The value in JSON form (`engine.evaluate.trace.result_json`), for the JSON output."""

    def text(self) -> str:
        """The item as one line of text (without its bullet)."""
        if self.kind == "condition":
            word = {True: "remplie", False: "non remplie", None: "non déterminée"}[self.held]
            head = f"{word} : {self.label}"
            if self.held is None:
                head += f" ({self.value})"
            return head + (" — " + " ; ".join(self.detail) if self.detail else "")
        shown = f"{self.label} : {self.value}"
        return shown + (f" = {self.calculation}" if self.calculation else "")

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "name": self.name, "label": self.label, "value": self.value}
        if self.kind == "condition":
            out["held"] = self.held
            out["unmet"] = list(self.detail)
        if self.calculation:
            out["calculation"] = self.calculation
        if self.page:
            out["page"] = self.page
        if self.result is not None:
            out["result"] = self.result
        return out


@frozen
class Citation:
    """A source as a reader sees it: its text, and its address when the rule file declares one;
    `fields` are the declared source's key, title, publisher, date, URL and precision, as the trace
    JSON writes them (`engine.check.model.Citation.to_json`), for the JSON summary."""

    text: str
    url: str | None = None
    fields: tuple[tuple[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "url": self.url, **dict(self.fields)}


@frozen
class Summary:
    """What `regles explain` says first about one result."""

    name: str
    label: str
    status: str
    value: str
    result: dict[str, object]
    why: str | None
    rule: str | None
    calculation: str | None
    values: tuple[Item, ...] = ()
    conditions: tuple[Item, ...] = ()
    facts: tuple[Item, ...] = ()
    questions: tuple[str, ...] = ()
    sources: tuple[Citation, ...] = ()
    flags: tuple[int, int] = (0, 0)
    page: str | None = field(default=None)

    def lines(self, limit: int = MAX_LINES) -> list[str]:
        """The summary as text lines, at most `limit` (at least 14: four head lines, four sections of a
        heading and one item, two tail lines): the lists share what room is left, in order, so the
        facts are cut first, each cut list saying how many items `--detail` adds."""
        head = [f"{self.label} : {self.value}"]
        if self.why:
            head.append(f"Pourquoi : {self.why}")
        if self.rule:
            head.append(f"Règle : {self.rule}")
        if self.calculation:
            head.append(f"Calcul : {self.calculation}")
        tail = []
        warning = _flags_text(self.flags)
        if warning:
            tail.append(warning)
        if self.sources:
            tail.append("Source" + ("s" if len(self.sources) > 1 else "") + " : "
                        + " ; ".join(c.text + (f" <{c.url}>" if c.url else "") for c in self.sources))
        sections = [("Questions à poser :", list(self.questions)),
                    ("Conditions :", [i.text() for i in self.conditions]),
                    ("Valeurs utilisées :", [i.text() for i in self.values]),
                    ("Faits déterminants :", [i.text() for i in self.facts])]
        room = limit - len(head) - len(tail)
        body = _fit(sections, room)
        return head + body + tail

    def text(self, limit: int = MAX_LINES) -> str:
        return "\n".join(self.lines(limit))

    def to_json(self) -> dict[str, object]:
        """The summary as JSON: every item, uncut, and the text lines as printed."""
        return {
            "name": self.name, "label": self.label, "status": self.status, "value": self.value,
            "result": self.result, "why": self.why, "rule": self.rule, "calculation": self.calculation,
            "values": [i.to_json() for i in self.values],
            "conditions": [i.to_json() for i in self.conditions],
            "facts": [i.to_json() for i in self.facts],
            "questions": list(self.questions),
            "sources": [c.to_json() for c in self.sources],
            "flags": {Status.TO_CONFIRM.value: self.flags[0], Status.MODELLING_CHOICE.value: self.flags[1]},
            "lines": self.lines(), "page": self.page,
        }


def _flags_text(flags: tuple[int, int]) -> str | None:
    confirm, choices = flags
    parts = []
    if confirm:
        parts.append(f"{confirm} valeur{'s' if confirm > 1 else ''} {Status.TO_CONFIRM.label}")
    if choices:
        parts.append(f"{choices} {Status.MODELLING_CHOICE.label}")
    if not parts:
        return None
    return "Points d'attention : " + " et ".join(parts) + " (voir --detail)"


def _fit(sections: list[tuple[str, list[str]]], room: int) -> list[str]:
    """The sections' lines within `room` lines: each non-empty section keeps its heading and at least
    one item; the rest of the room goes to sections in order; a cut list ends with how many it hides."""
    present = [(h, items) for h, items in sections if items]
    if not present:
        return []
    keep = {h: 1 for h, _ in present}
    spare = max(room - 2 * len(present), 0)
    for h, items in present:
        extra = min(len(items) - 1, spare)
        keep[h] += extra
        spare -= extra
    out = []
    for h, items in present:
        n = keep[h]
        if n < len(items):
            n = max(n - 1, 0) if n > 1 else n
            shown = items[:n]
            hidden = len(items) - n
            out.append(h)
            out += [f"  - {i}" for i in shown]
            if n < keep[h] or n == 0:
                out.append(f"  - … et {hidden} autre{'s' if hidden > 1 else ''} (voir --detail)")
            else:
                out[-1] += f" (et {hidden} autre{'s' if hidden > 1 else ''}, voir --detail)"
        else:
            out.append(h)
            out += [f"  - {i}" for i in items]
    return out


# ─── Building ────────────────────────────────────────────────────────────────────────────────

def summarize(outcome, name: str, page=None, fact_page=None) -> Summary:  # type: ignore[no-untyped-def]
    """The summary of result `name` of an outcome. `page(name)` and `fact_page(name)` give the doc page
    of a definition and of a fact, for the links of the JSON and HTML forms."""
    program = outcome.ruleset.program
    event = outcome.event(name)
    walker = _Walker(program, fact_page)
    definition = program.definitions[name]
    t = definition.type
    result = event.result
    own = walker.reach(event, name)
    label, rest = _split(definition.description, t.kind == "booleen")
    label = label or f"« {name} »"
    values: list[Item] = []
    conditions: list[Item] = []
    for e in own.definitions:
        if e.kind == "parameter" and not e.data.get("description"):
            continue  # the calculation shows its value; its name alone would tell a reader nothing
        item = walker.item(e, page)
        (conditions if item.kind == "condition" else values).append(item)
    conditions += walker.hidden_guards(event, name)
    facts = [walker.fact_item(e) for e in own.facts]
    for e in own.definitions:  # then the facts behind the values and conditions used
        if e.kind == "parameter":
            continue
        for f in walker.reach(e, e.label.split(".")[-1]).facts:
            if all(f.label != x.name for x in facts):
                facts.append(walker.fact_item(f))
    why = None
    questions: tuple[str, ...] = ()
    if isinstance(result, Value) and result.value is False:
        failed = _failed(outcome, name)
        own_failed = [f for f in failed if f.name == name]
        others = [f for f in failed if f.name != name]
        if own_failed:
            why = " ; ".join(f.text for f in own_failed if f.text) or None
        if others:
            held = [c for c in conditions if c.held]
            conditions = [_failed_item(program, f, page, walker.traced_label(outcome, f.name)) for f in others] + held
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
    return Summary(name, label, result.status, _result_text(result, t), result_json(result, t),
                   _sentence(why), _sentence(rest), calculation, tuple(values), tuple(conditions), tuple(facts), questions,
                   sources, walker.flags(event), page(name) if page else None)


def _split(description: str | None, boolean: bool) -> tuple[str, str | None]:
    """A description as a label and the rest: `Aide versée … : montant maximal × atteinte` gives the
    label `Aide versée …` and the rule. A condition's description is its statement: only « : » splits it."""
    if not description:
        return "", None
    for mark in (" : ",) if boolean else (" : ", " ; "):  # a condition's « ; » joins alternatives
        head, sep, tail = description.partition(mark)
        if sep and tail:
            return head, tail
    return description, None


def _sentence(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    return text if text.endswith((".", "!", "?", "»", ")")) else text + "."


def _result_text(result: Result, t) -> str:  # type: ignore[no-untyped-def]
    if isinstance(result, Value):
        return formatting.exact(result.value, t)
    if isinstance(result, NotApplicable):
        return "non applicable"
    if isinstance(result, Undetermined):
        return "indéterminé"
    return "inconnu (faits manquants)"


def _question(program, fact: str) -> str:  # type: ignore[no-untyped-def]
    decl = program.facts.get(fact)
    if decl is None:
        return fact
    return decl.question or decl.description or fact


@frozen
class _Reached:
    facts: tuple[Event, ...]
    definitions: tuple[Event, ...]


class _Walker:
    """Looks through plumbing: what a definition's formula reaches without passing a visible definition."""

    def __init__(self, program, fact_page=None) -> None:  # type: ignore[no-untyped-def]
        self.program = program
        self.fact_page = fact_page

    def definition(self, event: Event):  # type: ignore[no-untyped-def]
        """The definition an event evaluates (rule, parameter, table or function), or None."""
        if event.kind == "function":
            name, origin = event.data.get("function"), event.data.get("origin")
        elif event.kind in _DEFINITION_KINDS:
            name, origin = event.label.split(".")[-1], event.data.get("origin")
        else:
            return None
        try:
            return self.program.definition(str(name), origin)  # type: ignore[arg-type]
        except KeyError:
            return None

    def transparent(self, event: Event, owner: str) -> bool:
        """Whether the summary looks through this event: plumbing, functions, or the owner's original."""
        d = self.definition(event)
        if event.kind == "function":
            return True
        return d is not None and (d.internal or d.name == owner)

    def reach(self, event: Event, owner: str) -> _Reached:
        """The facts and the visible definitions (rules, parameters and tables) `event` reaches."""
        facts: dict[str, Event] = {}
        defs: dict[str, Event] = {}
        visited: set[int] = set()

        def visit(e: Event, hidden: bool) -> None:
            for c in e.children:
                if id(c) in visited:
                    continue
                visited.add(id(c))
                if c.kind == "fact":
                    facts.setdefault(c.label, c)
                elif c.kind in _DEFINITION_KINDS or c.kind == "function":
                    d = self.definition(c)
                    if self.transparent(c, owner):
                        visit(c, hidden or bool(d is not None and d.internal))
                    elif c.kind == "parameter" and hidden:
                        continue  # the constants of plumbing (a signature window's dates) stay with it
                    else:
                        defs.setdefault(c.label, c)
                        if c.kind == "table":  # a table's keys are part of what decided
                            visit(c, hidden)
                else:
                    visit(c, hidden)

        visit(event, False)
        return _Reached(tuple(facts.values()), tuple(defs.values()))

    def traced_label(self, outcome, name: str) -> str | None:  # type: ignore[no-untyped-def]
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
            if c.kind == "rule" and c.label.split(".")[-1] == name and c.data.get("origin"):
                return self.deciding(c)
            if c.kind not in _DEFINITION_KINDS and c.kind not in {"function", "guard", "test"}:
                stack.extend(c.children)
        return event

    def label(self, event: Event) -> str:
        event = self.deciding(event)
        d = self.definition(event)
        description = (d.description if d is not None else None) or event.data.get("description")
        boolean = getattr(event.data.get("type"), "kind", None) == "booleen"
        return _split(description, boolean)[0] if description else f"« {event.label} »"  # type: ignore[arg-type]

    def item(self, event: Event, page) -> Item:  # type: ignore[no-untyped-def]
        t = event.data.get("type")
        d = self.definition(event)
        name = d.name if d is not None else event.label
        link = page(name) if page and d is not None and ("." not in event.label) else None
        if getattr(t, "kind", None) == "booleen":
            held = event.result.value if isinstance(event.result, Value) else None
            value = _result_text(event.result, t) if held is None else formatting.boolean(bool(held))
            if isinstance(event.result, Missing):
                value = "faits manquants"
            return Item("condition", name, self.label(event), value, held, page=link,  # type: ignore[arg-type]
                        result=result_json(event.result, t))
        value = _result_text(event.result, t)
        if isinstance(event.result, (NotApplicable, Undetermined)):
            value += f" ({event.result.reason})"
        calc = None
        if event.kind == "table":
            calc = None
            value += self.cell(event)
        elif isinstance(event.result, Value):
            calc = self.calculation(event, name, with_result=False)
            if calc is not None and len(calc) > 60:
                calc = None
        return Item("value", name, self.label(event), value, calculation=calc, page=link,
                    result=result_json(event.result, t))

    def hidden_guards(self, event: Event, owner: str) -> list[Item]:
        """The `applicable si` conditions that are plumbing, name a visible condition, and held or failed
        without reading it (a payment gate that lets a contract signed outside the text's period be paid
        without its eligibility): said in the words of their description, since nothing else in the
        summary would say on what ground the result applies."""
        found = []
        for guard in self.guard_events(event, owner):
            rules = [c for c in guard.children if c.kind == "rule"]
            d = self.definition(rules[0]) if rules else None
            if d is None or not d.internal or not d.description:
                continue
            reached = self.reach(rules[0], d.name).definitions
            if any(getattr(e.data.get("type"), "kind", None) == "booleen" for e in reached):
                continue  # the visible conditions it reached say it
            if not self.skips_a_condition(d):
                continue  # plumbing through and through (a signature window): its facts say it
            held = rules[0].result.value if isinstance(rules[0].result, Value) else None
            value = formatting.boolean(bool(held)) if held is not None else _result_text(rules[0].result, d.type)
            found.append(Item("condition", d.name, _split(d.description, True)[0], value, held))  # type: ignore[arg-type]
        return found

    def skips_a_condition(self, d) -> bool:  # type: ignore[no-untyped-def]
        """Whether a definition's formula names a visible condition (a boolean definition not marked
        `interne`): when such a guard held without reading it, the summary must say on what ground."""
        from engine.check import model
        for expr in model.definition_exprs(d):
            for node in model.walk(expr):
                if isinstance(node, model.DefRef) and node.type.kind == "booleen":
                    try:
                        target = self.program.definition(node.name, node.origin)
                    except KeyError:
                        continue
                    if not target.internal:
                        return True
        return False

    def guard_events(self, event: Event, owner: str) -> Iterator[Event]:
        for c in event.children:
            if c.kind == "guard":
                yield c
            elif c.kind in _DEFINITION_KINDS or c.kind == "function":
                if self.transparent(c, owner) and not (self.definition(c) and self.definition(c).internal):
                    yield from self.guard_events(c, owner)
            elif c.kind != "test":
                yield from self.guard_events(c, owner)

    def with_unmet(self, outcome, item: Item) -> Item:  # type: ignore[no-untyped-def]
        """A failed condition with the sentences that say why, when it is a result of the file."""
        if item.held is False and item.name in outcome.ruleset.program.outputs:
            failed = _failed(outcome, item.name)
            others = [_failed_item(self.program, f, None, self.traced_label(outcome, f.name)).label for f in failed if f.name != item.name]
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
        if isinstance(event.result, Missing):
            value = "non fourni"
        else:
            value = _result_text(event.result, event.data.get("type"))
        return Item("fact", event.label, label, value, page=self.fact_page(event.label) if self.fact_page else None,
                    result=result_json(event.result, event.data.get("type")))

    def given_fact(self, name: str, value: object, fact_page=None) -> Item:  # type: ignore[no-untyped-def]
        """A fact the trace did not read (evaluation stopped before it), with its given value."""
        decl = self.program.facts[name]
        label = decl.description or decl.question or f"« {name} »"
        return Item("fact", name, label, formatting.exact(value, decl.type),
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
            if c.kind in _DEFINITION_KINDS or c.kind == "function":
                if self.transparent(c, owner):
                    yield from self.own_events(c, owner)
                else:
                    yield c
            elif c.kind in {"guard", "test"}:
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
                return f"{formatting.exact(e.result.value, e.data.get('type'))} = {body}"  # type: ignore[arg-type]
            if e.kind == "table" and isinstance(e.result, Value) and e.result == event.result:
                return None
        return None

    def sources(self, event: Event, owner: str) -> Iterator[Citation]:
        """The sources of a result and of its originals (`avenant7.x` read by `x`)."""
        for s in event.data.get("sources") or ():  # type: ignore[union-attr]
            yield _citation(s)
        for c in event.children:
            for e in _same_definition(c, owner, self):
                for s in e.data.get("sources") or ():  # type: ignore[union-attr]
                    yield _citation(s)

    def flags(self, event: Event) -> tuple[int, int]:
        from engine.explain.detail import flags
        found = flags(event)
        return (sum(1 for f in found if f.kind is Status.TO_CONFIRM), sum(1 for f in found if f.kind is not Status.TO_CONFIRM))


def _citation(cited: object) -> Citation:
    """A citation of the trace (`engine.check.model.Citation`) as the summary shows it."""
    to_json = getattr(cited, "to_json", None)
    return Citation(str(cited), getattr(cited, "url", None), tuple(to_json().items()) if to_json else ())


def _same_definition(event: Event, owner: str, walker: _Walker) -> Iterator[Event]:
    """The original of the owner (`avenant7.x` inside `x`), through conditions and guards."""
    if event.kind in _DEFINITION_KINDS or event.kind == "function":
        d = walker.definition(event)
        if d is not None and d.name == owner and event.kind == "rule":
            yield event
            for c in event.children:
                yield from _same_definition(c, owner, walker)
        return
    for c in event.children:
        yield from _same_definition(c, owner, walker)


def _render(event: Event, top: bool = False) -> str:
    """A computation with its operands' values, nested computations in brackets."""
    t = event.data.get("type")
    subs = [c for c in event.children if c.kind in _CALC_KINDS and isinstance(c.result, Value)]
    if event.kind == "rounding":
        inner = subs[0] if subs else None
        body = _render(inner, top) if inner is not None else formatting.exact(event.data.get("before"), event.data.get("operand_type"))  # type: ignore[arg-type]
        return f"{body}, {event.data.get('mode')}" if top else f"({body} {event.data.get('mode')})"
    if event.kind == "extremum":
        shown = [_operand(v, t, subs, top=True) for v in event.data.get("values") or []]  # type: ignore[union-attr]
        return f"{event.data.get('function')}({', '.join(shown)})"
    operands = event.data.get("operands")
    types = event.data.get("operand_types") or [None, None]
    if not isinstance(operands, list) or len(operands) != 2:
        return formatting.exact(event.result.value, t)  # type: ignore[union-attr,arg-type]
    left, right = (_operand(v, ty, subs) for v, ty in zip(operands, types))  # type: ignore[arg-type]
    text = f"{left} {event.data.get('op')} {right}"
    return text if top else f"({text})"


def _operand(value: object, t, subs: list[Event], top: bool = False) -> str:  # type: ignore[no-untyped-def]
    """An operand: the computation that gave it when it is the next nested one, else its value."""
    if subs and subs[0].result.value == value:  # type: ignore[union-attr]
        return _render(subs.pop(0), top)
    return formatting.exact(value, t)


# ─── Failed conditions ───────────────────────────────────────────────────────────────────────

@frozen
class Failed:
    """A failed condition as a summary shows it (`name` identifies it; `text` is in the doctor's terms)."""

    name: str
    text: str
    facts: tuple[str, ...] = ()
    """The facts its sentence is about (the leaves of `Outcome.unmet`), for the deciding facts."""


def _failed(outcome, name: str) -> list[Failed]:  # type: ignore[no-untyped-def]
    """Every unmet condition of a false result (`Outcome.unmet`), as the summary shows it."""
    found = []
    for u in outcome.unmet(name):
        same = [c for c in u.children if c.name == u.name]  # « … : non remplie » states its requirement there
        text = same[0].text if same else u.text
        facts = tuple(dict.fromkeys(str(x.name) for x in u.walk() if x.name in outcome.ruleset.program.facts))
        found.append(Failed(str(u.name), str(text), facts))
    return found


def _in_order_read(event: Event, missing: frozenset[str]) -> list[str]:
    """The missing facts in the order the evaluation first needed them: the first question is the one
    the reasoning stopped on."""
    found: list[str] = []
    stack, seen = [event], set()
    while stack:  # depth first, in evaluation order; a shared event once
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if e.kind == "fact" and e.label in missing:
            found.append(e.label)
        stack.extend(reversed(e.children))
    return list(dict.fromkeys(found)) + sorted(missing - set(found))


def _failed_item(program, failed: Failed, page, label: str | None = None) -> Item:  # type: ignore[no-untyped-def]
    prefix, _, short = failed.name.rpartition(".")  # `avenant7.x`: the original a replacement reads
    try:
        d = program.definition(short, prefix or None)
    except KeyError:
        d = None
    if label is not None:
        pass
    elif d is not None:
        label = _split(d.description, True)[0] or f"« {failed.name} »"
    else:
        decl = program.facts.get(short)
        label = (decl.description if decl is not None else None) or f"« {failed.name} »"
    detail = (failed.text,) if failed.text else ()
    link = page(short) if page and short in program.definitions else None
    return Item("condition", failed.name, label, "faux", False, detail, page=link)
