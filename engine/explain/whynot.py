"""Why a boolean result is false: every unmet condition, each with a true sentence.

The trace shows what evaluation did, and evaluation short-circuits: in `a et b`, a false `a`
means `b` is never looked at, so an explanation read from the trace would name only the first
failed condition. This module answers the other question, "what would have to change", from the
checked program itself: it walks the formula of a false result and evaluates, with the ordinary
evaluator on the same facts, every operand evaluation skipped. Each kind of node states its
requirement in the rule file's own words (fact and rule descriptions, enumeration labels, units):

- a false `et` lists each false operand; an operand that cannot be decided is listed as
  "non vérifiée", with the facts it would need (they are named, never asked for);
- a false `ou` states every alternative and what the facts give, never one branch alone;
- a comparison says what was found, what is required and, for a number, by how much it falls
  short; `dans` / `pas dans` list the values; `non` states the negated requirement;
- a `si … alors … sinon` says which case applies ("pour « Spécialité » = gynécologie, il faut …").
  At the top of a rule's formula, a `si` on rules only (no fact read directly), such as the choice
  of the text in force at the signature, is passed through: it selects which definition applies,
  and the rule's own description states the requirement.

Nothing here knows the domain: every word comes from the rule file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeGuard

from attrs import frozen

from engine.check import model
from engine.evaluate.reference import Evaluator
from engine.evaluate.sites import sites_of
from engine.lang import formatting, values
from engine.lang.kinds import DeclarationKind, TypeKind
from engine.lang.results import Missing, Result, Value
from engine.lang.types import Type

_FALSE = Value(False)
_TRUE = Value(True)
_NEGATED = {"=": "≠", "≠": "=", "<": "≥", "≤": ">", ">": "≤", "≥": "<"}
_MIRRORED = {"=": "=", "≠": "≠", "<": ">", "≤": "≥", ">": "<", "≥": "≤"}
_WORDS = {"=": "{}", "≠": "une valeur autre que {}", ">": "plus de {}", "≥": "au moins {}",
          "<": "moins de {}", "≤": "au plus {}"}
_DATE_WORDS = {"=": "{}", "≠": "une autre date que {}", ">": "après {}", "≥": "au plus tôt {}",
               "<": "avant {}", "≤": "au plus tard {}"}


@frozen
class Unmet:
    """A condition that does not hold: what it is about, a French sentence, its margin, its parts.

    `name` is the rule or fact the condition is about (for a rule's false conditions, the rule);
    `text` states the requirement and what the facts give, in the rule file's words; `margin` says
    how far a number is from the threshold, or is None; `children` are the unmet sub-conditions.
    """

    name: str
    text: str
    margin: str | None = None
    children: tuple[Unmet, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The JSON form: name, text, margin and children, recursively."""
        return {"name": self.name, "text": self.text, "margin": self.margin,
                "children": [child.to_json() for child in self.children]}

    def walk(self) -> Iterator[Unmet]:
        """This condition and every sub-condition, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def render(unmet: list[Unmet] | tuple[Unmet, ...], indent: str = "  ", depth: int = 0) -> list[str]:
    """The unmet conditions as an indented list of lines (`- text`, sub-conditions below)."""
    lines: list[str] = []
    for u in unmet:
        lines.append(f"{indent * depth}- {u.text}")
        lines += render(u.children, indent, depth + 1)
    return lines


class WhyNot:
    """The unmet conditions of false boolean results, for one program and one set of facts."""

    def __init__(self, program: model.Program, facts: Mapping[str, object], evaluator: Evaluator | None = None,
                 *, letter: bool = False) -> None:
        """`letter`: the sentences go to the doctor, so facts are named by their `libellé` (when the
        rule file gives one) rather than by their description, written for the agents."""
        self.program = program
        self.letter = letter
        self.facts = facts
        self.evaluator = evaluator or Evaluator(program, facts)
        self.sites = sites_of(program)

    def unmet(self, name: str) -> list[Unmet]:
        """The unmet conditions of a rule whose result is false (empty if it is not false)."""
        result = self.evaluator.result(name)
        if not (isinstance(result, Value) and result.value is False):  # a zero equals False
            return []
        return self._definition(self.program.definitions[name], None, None, name)

    # ── walking a false formula ──
    def _definition(self, d: model.Definition, origin: str | None, date: dt.date | None, label: str) -> list[Unmet]:
        """The unmet conditions inside a false rule's formula (the version in force at `date`)."""
        version = d.version_at(date) if d.dated else d.latest
        if version is None or isinstance(version.body, model.Grid):
            return []
        return self._why(version.body, label, top=True)

    def _why(self, e: model.Expr, subject: str, top: bool = False) -> list[Unmet]:
        """Why a false expression is false; `subject` is the rule it belongs to."""
        if isinstance(e, model.Logic) and e.op == "et":
            return self._conjunction(e, subject)
        if isinstance(e, model.Logic):
            return [self._disjunction(e, subject)]
        if isinstance(e, model.If):
            return self._choice(e, subject, top)
        if isinstance(e, model.DefRef):
            return self._rule(e, top)
        if isinstance(e, model.Compare):
            return [self._comparison(e, subject)]
        if isinstance(e, model.Member):
            return [self._membership(e, subject)]
        if isinstance(e, model.Not):
            return [Unmet(self._subject(e.operand, subject),
                          f"Il faut {self.requirement(e)} ; ici {self._situation(e.operand)}")]
        if isinstance(e, model.FactRef):
            return [Unmet(e.name, f"{self._label(e)} : non ; il faut oui")]
        if isinstance(e, model.Const):
            return []
        return [Unmet(subject, f"{self._label(e)} : non")]

    def _conjunction(self, e: model.Logic, subject: str) -> list[Unmet]:
        found: list[Unmet] = []
        for operand in _flatten(e, "et"):
            result = self.evaluator.eval(operand)
            if result == _FALSE:
                found += self._why(operand, subject)
            elif isinstance(result, Missing):
                facts = ", ".join(f"« {self._fact_words(n)} »" for n in sorted(result.facts))
                found.append(Unmet(self._subject(operand, subject),
                                   f"Non vérifiée : {self.requirement(operand)} ; il manque {facts}"))
            elif result != _TRUE:
                found.append(Unmet(self._subject(operand, subject),
                                   f"Non vérifiée : {self.requirement(operand)} ; {getattr(result, 'reason', '')}"))
        return found

    def _disjunction(self, e: model.Logic, subject: str) -> Unmet:
        alternatives = _flatten(e, "ou")
        children = []
        for alternative in alternatives:
            found = self._why(alternative, subject)
            if len(found) == 1:
                children.append(found[0])
            else:
                children.append(Unmet(self._subject(alternative, subject),
                                      f"Non remplie : {self.requirement(alternative)}", None, tuple(found)))
        required = ", soit ".join(self.requirement(a) for a in alternatives)
        margin = _margins(children)
        text = f"Il faut soit {required} ; ici {self._situation(e)}" + (f" — {margin}" if margin else "")
        return Unmet(subject, text, margin, tuple(children))

    def _choice(self, e: model.If, subject: str, top: bool) -> list[Unmet]:
        selector = top and not any(isinstance(n, model.FactRef) for n in model.walk(e.condition))
        if selector:  # which text's definition applies: the rule's description says it
            condition = self.evaluator.eval(e.condition)
            found = self._why(e.then if condition == _TRUE else e.otherwise, subject, top)
            if found:
                return found
        conditions, branch = self._case(e)
        case = self._situation(*conditions)
        found = self._why(branch, subject)
        if not found:
            return [Unmet(subject, f"Pour {case}, la condition n'est pas remplie")]
        if len(found) == 1:  # one condition: say it, with the case that makes it the requirement
            only = found[0]
            return [Unmet(only.name, f"Pour {case}, {_lower_first(only.text)}", only.margin, only.children)]
        margin = _margins(found)
        text = (f"Pour {case}, il faut {self.requirement(branch)} ; "
                f"ici {self._situation(branch)}" + (f" — {margin}" if margin else ""))
        return [Unmet(subject, text, margin, tuple(found))]

    def _case(self, e: model.If) -> tuple[list[model.Expr], model.Expr]:
        """The conditions a decided chain `si … sinon si …` tested, and the branch they selected."""
        conditions: list[model.Expr] = []
        branch: model.Expr = e
        while isinstance(branch, model.If):
            condition = self.evaluator.eval(branch.condition)
            if condition not in (_TRUE, _FALSE):
                break
            conditions.append(branch.condition)
            branch = branch.then if condition == _TRUE else branch.otherwise
        return conditions, branch

    def _rule(self, e: model.DefRef, top: bool) -> list[Unmet]:
        d = self.program.definition(e.name, e.origin)
        date = self._date(e, d)
        label = e.name if e.origin is None else f"{e.origin}.{e.name}"
        children = self._definition(d, e.origin, date, e.name)
        if top:  # the whole formula names another definition: its conditions are this rule's
            return children
        text = f"{d.description} : non remplie" if d.description else f"Condition « {label} » non remplie"
        return [Unmet(e.name, text, None, tuple(children))]  # its margins belong to its own conditions

    def _date(self, e: model.DefRef, d: model.Definition) -> dt.date | None:
        if e.date is None or not d.dated:
            return None
        when = self.evaluator.eval(e.date)
        return when.value if isinstance(when, Value) and isinstance(when.value, dt.date) else None

    def _comparison(self, e: model.Compare, subject: str) -> Unmet:
        left, op, right = _oriented(e)
        found, limit = self.evaluator.eval(left), self.evaluator.eval(right)
        shown = self._value(found, left.type)
        threshold = self._operand(right)
        if left.type.kind == TypeKind.DATE:
            words = _DATE_WORDS[op].format(f"le {threshold}" if self._plain_value(right) else threshold)
        else:
            words = _WORDS[op].format(threshold)
        gap = None
        if isinstance(found, Value) and isinstance(limit, Value):
            gap = margin(op, found.value, limit.value, left.type, right.type, self._unit(left))
        text = f"{self._label(left)} : {shown} ; il faut {words}" + (f" — {gap}" if gap else "")
        return Unmet(self._subject(left, subject), text, gap)

    def _membership(self, e: model.Member, subject: str) -> Unmet:
        found = self.evaluator.eval(e.operand)
        items = _choices([self._show(i, e.operand.type) for i in e.items], "ou")
        if e.negated:
            words = f"une autre valeur que {items}"
        else:
            words = items if len(e.items) == 1 else f"l'une de ces valeurs : {items}"
        text = f"{self._label(e.operand)} : {self._value(found, e.operand.type)} ; il faut {words}"
        return Unmet(self._subject(e.operand, subject), text)

    # ── requirements in words ──
    def requirement(self, e: model.Expr, negated: bool = False, nested: bool = False) -> str:
        """What an expression requires, in the rule file's words (`negated`: what its negation requires)."""
        if isinstance(e, model.Logic):
            op = e.op if not negated else ("ou" if e.op == "et" else "et")
            parts = [self.requirement(p, negated, nested=True) for p in _flatten(e, e.op)]
            joined = f" {op} ".join(parts)
            return f"({joined})" if nested and op == "ou" else joined
        if isinstance(e, model.Not):
            return self.requirement(e.operand, not negated, nested)
        if isinstance(e, model.Compare):
            left, op, right = _oriented(e)
            op = _NEGATED[op] if negated else op
            return f"« {self._label(left)} » {op} {self._operand(right)}"
        if isinstance(e, model.Member):
            items = _choices([self._show(i, e.operand.type) for i in e.items], "ou")
            inside = e.negated == negated
            if len(e.items) == 1:
                return f"« {self._label(e.operand)} » {'=' if inside else '≠'} {items}"
            phrase = f"« {self._label(e.operand)} » {'=' if inside else 'autre que'} {items}"
            return f"({phrase})" if nested else phrase
        if isinstance(e, model.If):
            conditions, branch = self._case(e)
            if conditions:
                inner = self.requirement(branch, negated, nested=True)
                return f"pour {self._situation(*conditions)}, {inner}"
            return (f"si {self.requirement(e.condition)} : {self.requirement(e.then, negated)}, "
                    f"sinon {self.requirement(e.otherwise, negated)}")
        if isinstance(e, model.FactRef):
            return f"« {self._label(e)} » = {'non' if negated else 'oui'}"
        if isinstance(e, model.DefRef):
            return f"« {self._label(e)} »" + (" non remplie" if negated else "")
        if isinstance(e, model.Const):
            return ("toujours remplie" if e.value else "jamais remplie") if not negated else \
                ("jamais remplie" if e.value else "toujours remplie")
        return f"« {self._label(e)} »" + (" faux" if negated else "")

    def _situation(self, *exprs: model.Expr) -> str:
        """What the facts give for the facts and rules expressions read: `« X » = 2 et « Y » = non`."""
        seen: dict[str, str] = {}
        for node in (n for e in exprs for n in self._reads(e)):
            key = f"{getattr(node, 'origin', None)}.{node.name}"
            if key not in seen:
                seen[key] = f"« {self._label(node)} » = {self._value(self.evaluator.eval(node), node.type)}"
        return _choices(list(seen.values()), "et") or "aucun fait"

    def _reads(self, e: model.Expr) -> Iterator[model.FactRef | model.DefRef]:
        """The facts and rules (not parameters) an expression reads, in order; a decided `si` only
        its condition and the branch taken."""
        if isinstance(e, model.FactRef):
            yield e
            return
        if isinstance(e, model.DefRef):
            if self.program.definition(e.name, e.origin).kind != DeclarationKind.PARAMETER:
                yield e
            return
        if isinstance(e, model.If):
            yield from self._reads(e.condition)
            condition = self.evaluator.eval(e.condition)
            branches = ([e.then] if condition == _TRUE else [e.otherwise] if condition == _FALSE
                        else [e.then, e.otherwise])
            for branch in branches:
                yield from self._reads(branch)
            return
        for child in model.children(e):
            yield from self._reads(child)

    # ── words ──
    def _label(self, e: model.Expr) -> str:
        """How the rule file names what an expression reads: a fact's or rule's description."""
        if isinstance(e, model.FactRef):
            return self._fact_label(e.name)
        if isinstance(e, model.DefRef):
            d = self.program.definition(e.name, e.origin)
            if d.kind == DeclarationKind.PARAMETER:
                return self._value(self.evaluator.eval(e), e.type)
            return d.description or e.name
        if isinstance(e, model.Const):
            return self._show(e.value, e.type)
        if isinstance(e, model.Arith):  # `date_naissance + age_maintien` → « Date de naissance » + 65 ans
            return f"{self._label(e.left)} {e.op} {self._label(e.right)}"
        if isinstance(e, (model.FuncCall, model.TableCall)):
            d = self.program.definition(e.name, e.origin)
            if d.description:
                return f"{d.description} ({', '.join(self._label(a) for a in e.args)})"
        return self.sites.label(e)

    def _operand(self, e: model.Expr) -> str:
        """A comparison's threshold: its value when it is written or a parameter, else its name and value."""
        result = self.evaluator.eval(e)
        if self._plain_value(e):
            return self._value(result, e.type)
        return f"« {self._label(e)} » ({self._value(result, e.type)})"

    def _plain_value(self, e: model.Expr) -> bool:
        """Whether an operand is a value as such: written in the formula, or a parameter."""
        if not isinstance(e, model.DefRef):
            return isinstance(e, model.Const)
        return self.program.definition(e.name, e.origin).kind == DeclarationKind.PARAMETER

    def _value(self, result: Result, t: Type | None) -> str:
        if isinstance(result, Value):
            return self._show(result.value, t)
        if isinstance(result, Missing):
            return "non renseigné"
        return f"{result.status.replace('_', ' ')} ({getattr(result, 'reason', '')})"

    @staticmethod
    def _show(value: object, t: Type | None) -> str:
        """A value in words; an enumeration's label or a text in quotes, as labels may hold « et », « ou »."""
        if isinstance(value, bool):
            return "oui" if value else "non"
        if isinstance(value, str):
            return f"« {formatting.value(value, t)} »"
        return formatting.value(value, t)

    def _fact_words(self, name: str) -> str:
        """A missing fact's name: as `_fact_label`, else the question that asks for it."""
        decl = self.program.facts[name]
        return (decl.label if self.letter else None) or decl.description or decl.question or name

    def _fact_label(self, name: str) -> str:
        """A fact's name in the sentences: its `libellé` in a letter, else its description."""
        decl = self.program.facts[name]
        return (decl.label if self.letter else None) or decl.description or name

    def _unit(self, e: model.Expr) -> str | None:
        if isinstance(e, model.FactRef):
            return self.program.facts[e.name].unit
        if isinstance(e, model.DefRef):
            return self.program.definition(e.name, e.origin).unit
        return None

    def _subject(self, e: model.Expr, subject: str) -> str:
        """The fact or rule a condition is about: what it reads when that is one thing, else the rule."""
        if isinstance(e, (model.FactRef, model.DefRef)):
            return e.name
        reads = {node.name for node in self._reads(e)}
        return reads.pop() if len(reads) == 1 else subject


def _flatten(e: model.Expr, op: str) -> list[model.Expr]:
    """The operands of a chain of the same logical operator (`a et b et c` → a, b, c)."""
    if isinstance(e, model.Logic) and e.op == op:
        return _flatten(e.left, op) + _flatten(e.right, op)
    return [e]


def _oriented(e: model.Compare) -> tuple[model.Expr, str, model.Expr]:
    """A comparison with what is measured on the left (`640 < x` reads as `x > 640`)."""
    if isinstance(e.left, model.Const) and not isinstance(e.right, model.Const):
        return e.right, _MIRRORED[e.op], e.left
    return e.left, e.op, e.right


def _choices(items: list[str], word: str) -> str:
    """`a, b ou c` / `a, b et c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} {items[-1]}"


def _lower_first(text: str) -> str:
    """A sentence continued after a comma: its first letter in lower case, unless it starts an acronym."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _margins(found: list[Unmet] | tuple[Unmet, ...]) -> str | None:
    """The margins of alternatives or of a case: each is how far the facts are from meeting it."""
    return " ; ".join(u.margin for u in found if u.margin) or None


# ─── Margins ─────────────────────────────────────────────────────────────────────────────────

def margin(op: str, left: object, right: object, left_type: Type | None, right_type: Type | None,
           unit: str | None) -> str | None:
    """How far a failed numeric comparison `left op right` is from holding, in words, or None.

    `il manque 41 patients pour dépasser le seuil de 640`: for integers, `> 640` needs 641. None too
    when the gap itself is beyond the limits of exact arithmetic (10²⁰ below a threshold of 10²⁰ − 1).
    """
    if op not in {">", "≥", "<", "≤"} or not _is_number(left) or not _is_number(right):
        return None
    try:
        return _margin(op, left, right, left_type, right_type, unit)
    except values.LIMIT_ERRORS:
        return None


def _margin(op: str, left: values.Number, right: values.Number, left_type: Type | None, right_type: Type | None,
            unit: str | None) -> str | None:
    integral = isinstance(left, int) and isinstance(right, int)
    if op in {">", "≥"}:
        gap = values.add(values.sub(right, left), 1 if op == ">" and integral else 0)
        goal = "dépasser" if op == ">" else "atteindre"
        threshold = formatting.value(right, right_type)
        if op == ">" and not integral:  # any amount above the gap will do, none is the least
            if not gap:
                return f"le seuil de {threshold} est atteint mais doit être dépassé"
            return f"il manque plus de {_amount(gap, left_type, unit)} pour dépasser le seuil de {threshold}"
        return f"il manque {_amount(gap, left_type, unit)} pour {goal} le seuil de {threshold}"
    gap = values.add(values.sub(left, right), 1 if op == "<" and integral else 0)
    limit = formatting.value(right, right_type)
    if op == "≤":
        return f"il faudrait {_amount(gap, left_type, unit)} de moins pour ne pas dépasser la limite de {limit}"
    if not integral:
        if not gap:
            return f"la limite de {limit} est atteinte, il faut rester en dessous"
        return f"il faudrait plus de {_amount(gap, left_type, unit)} de moins pour rester sous la limite de {limit}"
    return f"il faudrait {_amount(gap, left_type, unit)} de moins pour rester sous la limite de {limit}"


def _amount(gap: values.Number, t: Type | None, unit: str | None) -> str:
    if t is not None and t.kind == TypeKind.TAUX:
        points = values.mul(gap, 100)
        return f"{formatting.number(points)} point{'s' if _plural(points) else ''} de pourcentage"
    if t is not None and t.kind == TypeKind.MONTANT:
        return formatting.money(gap)
    shown = formatting.number(gap)
    return f"{shown} {unit if _plural(gap) else _singular(unit)}" if unit else shown


def _plural(n: values.Number) -> bool:
    """Whether French writes the unit of `n` in the plural: from 2 on, either sign (`1,5 patient`)."""
    return n >= 2 or n <= -2


def _singular(unit: str) -> str:
    """A unit after a quantity under 2, as French writes it: `1 patient`, `0,5 point de percentile`."""
    first, space, rest = unit.partition(" ")
    if first.endswith("s") and len(first) > 2:
        first = first[:-1]
    return first + space + rest


def _is_number(value: object) -> TypeGuard[values.Number]:
    return isinstance(value, (int, Decimal, Fraction)) and not isinstance(value, bool)
