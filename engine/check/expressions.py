"""Stage 2, expressions: surface expressions → typed model expressions.

Resolves each name (fact, parameter, rule, table, function parameter, enumeration word by expected
type), checks units and operand types, and desugars what later stages need not know (`en vigueur au`,
named sets inlined into `dans`). One method per surface construct, dispatched by `expr` with `match`.
"""

from __future__ import annotations

import datetime as dt
from typing import assert_never

from engine.base.diagnostics import Label, suggest
from engine.base.source import Span
from engine.check import bibliography, model
from engine.check.state import (
    ERROR,
    CheckState,
    block_items,
    kind_of_declaration,
    prefixes_hint,
)
from engine.lang.kinds import ArithOp, CompareOp, DeclarationKind, LiteralKind, LogicOp, TypeKind
from engine.lang.types import (
    ANY,
    BASE,
    BOOLEEN,
    DATE,
    DECIMAL,
    DUREE,
    ENTIER,
    MONTANT,
    TAUX,
    TEXTE,
    Type,
    arithmetic,
    assignable,
    comparable,
    enum,
    join,
    literal_hint,
    ordered,
)
from engine.lang.values import ROUNDING_UNITS
from engine.syntax import ast

BUILTINS = ("min", "max")


def literal_type(lit: ast.Literal) -> Type:
    """The type of a literal as written."""
    if lit.kind is LiteralKind.NUMBER:
        return ENTIER if isinstance(lit.value, int) else DECIMAL
    return {"money": MONTANT, "percent": TAUX, "date": DATE, "text": TEXTE, "bool": BOOLEEN}[lit.kind]


class ExpressionChecks(CheckState):
    """Typing of expressions; every other pass calls `expr`."""

    def type_of(self, name: str) -> Type:
        """The type of a definition; a parameter without declared type is typed from its value."""
        if name in self.types:
            return self.types[name]
        if name not in self.local:
            return self.inherited[name].type
        decl = self.local[name]
        if name in self.typing:
            return ANY  # a cycle; reported by check_cycles
        self.typing.add(name)
        assert isinstance(decl, ast.Parameter)
        values = [decl.value] if decl.value is not None else []
        values += [i.value for i in decl.items if isinstance(i, ast.DatedValue)]
        saved, self.current = self.current, name
        found = ANY
        for value in values:
            t = self.expr(value, None).type
            found = join(found, t) or found
        self.current = saved
        self.types[name] = found
        return found

    # ── expressions ──
    def expr(self, e: ast.Expr, expected: Type | None) -> model.Expr:
        """Type-check an expression; `expected` resolves enumeration words and sharpens hints."""
        match e:
            case ast.Literal():
                return self.x_Literal(e, expected)
            case ast.Name():
                return self.x_Name(e, expected)
            case ast.Qualified():
                return self.x_Qualified(e, expected)
            case ast.Call():
                return self.x_Call(e, expected)
            case ast.Binary():
                return self.x_Binary(e, expected)
            case ast.Negate():
                return self.x_Negate(e, expected)
            case ast.Logical():
                return self.x_Logical(e, expected)
            case ast.Not():
                return self.x_Not(e, expected)
            case ast.Compare():
                return self.x_Compare(e, expected)
            case ast.Member():
                return self.x_Member(e, expected)
            case ast.SetLiteral():
                return self.x_SetLiteral(e, expected)
            case ast.If():
                return self.x_If(e, expected)
            case ast.Round():
                return self.x_Round(e, expected)
            case ast.DurationOf():
                return self.x_DurationOf(e, expected)
            case ast.AsOf():
                return self.x_AsOf(e, expected)
            case ast.TextOf():
                return self.x_TextOf(e, expected)
            case ast.InForce():
                return self.x_InForce(e, expected)
            case ast.Marker():
                return self.x_Marker(e, expected)
            case _:
                assert_never(e)

    def x_Literal(self, e: ast.Literal, expected: Type | None) -> model.Expr:
        return model.Const(e.value, literal_type(e), span=e.span)

    def x_Name(self, e: ast.Name, expected: Type | None) -> model.Expr:
        name = e.name
        if name in self.scope:
            return model.ParamRef(name, self.scope[name], span=e.span)
        if name in self.local or name in self.inherited:
            kind = kind_of_declaration(self.local[name]) if name in self.local else self.inherited[name].kind
            if kind in {DeclarationKind.TABLE, DeclarationKind.FUNCTION}:
                what = ("une table : donnez ses clés" if kind is DeclarationKind.TABLE
                        else "une fonction : donnez ses arguments")
                return self.fail("E206", f"« {name} » est {what} entre parenthèses",
                                 e.span, f"écrivez par exemple {name}(…)")
            if self.is_set(name):
                return self.fail("E315", f"« {name} » est un ensemble : il se lit après « dans » ou « pas dans »",
                                 e.span, f"écrivez par exemple : x dans {name}")
            self.note_use(name, e.span)
            return model.DefRef(name, self.type_of(name), span=e.span)
        if name in self.facts:
            self.used.add(name)
            self.fact_uses.setdefault(name, e.span)
            return model.FactRef(name, self.facts[name].type, span=e.span)
        if expected is not None and expected.kind is TypeKind.ENUM and name in expected.values:
            return model.Const(name, expected, span=e.span)
        if expected is None or expected.kind is TypeKind.ANY:
            owners = list({t.name: t for t in self.enums.values() if name in t.values}.values())
            if len(owners) == 1:
                return model.Const(name, owners[0], span=e.span)
        return self.unknown(name, e.span, expected)

    def unknown(self, name: str, span: Span, expected: Type | None) -> model.Expr:
        if name in self.withdrawn:
            return self.withdrawn_reference(name, span)
        candidates = list(self.local) + list(self.inherited) + list(self.facts)
        if expected is not None and expected.kind is TypeKind.ENUM:
            candidates += list(expected.values)
            hint = suggest(name, candidates)
            words = ", ".join(expected.values[:8]) + (", …" if len(expected.values) > 8 else "")
            return self.fail("E201", f"nom inconnu « {name} »", span,
                             hint or f"les valeurs possibles de « {expected.name} » sont : {words}")
        return self.fail("E201", f"nom inconnu « {name} »", span, suggest(name, candidates))

    def withdrawn_reference(self, name: str, span: Span) -> model.Expr:
        """E610: a formula of this file reads what the file withdraws."""
        return self.fail("E610", f"« {name} » est abrogé par ce fichier (ligne {self.withdrawn[name].line})", span,
                         "retirez la référence, ou n'abrogez pas la définition",
                         (Label(self.withdrawn[name], "abrogé ici"),))

    def note_use(self, name: str, span: Span) -> None:
        self.used.add(name)
        if self.current is not None:
            self.deps.setdefault(self.current, []).append((name, span))

    def x_Qualified(self, e: ast.Qualified, expected: Type | None) -> model.Expr:
        target = self.original(e.prefix, e.name, e.span)
        if target is None:
            return ERROR
        if target.kind in {DeclarationKind.TABLE, DeclarationKind.FUNCTION}:
            return self.fail("E206", f"« {e.prefix}.{e.name} » prend des arguments entre parenthèses", e.span)
        self.note_use(f"{e.prefix}.{e.name}", e.span)
        return model.DefRef(e.name, target.type, origin=e.prefix, span=e.span)

    def original(self, prefix: str, name: str, span: Span) -> model.Definition | None:
        """The definition `name` as the amended file `prefix` left it."""
        if self.parent is None or prefix not in {t.prefix for t in self.parent.texts}:
            known = [t.prefix for t in self.parent.texts] if self.parent else []
            self.fail("E203", f"fichier inconnu « {prefix} » : seul un texte modifié peut être cité ainsi", span,
                      suggest(prefix, known) or prefixes_hint(known))
            return None
        if name not in self.parent.definitions:
            self.fail("E201", f"« {prefix}.{name} » n'existe pas", span, suggest(name, self.parent.definitions))
            return None
        return self.parent.definitions[name]

    def x_Call(self, e: ast.Call, expected: Type | None) -> model.Expr:
        if e.prefix is None and e.name in BUILTINS:
            return self.builtin(e, expected)
        if e.prefix is not None:
            original = self.original(e.prefix, e.name, e.span)
            if original is None:
                return ERROR
            kind, params = original.kind, [(p.name, p.type) for p in original.params]
        elif e.name in self.local or e.name in self.inherited:
            kind = self.kind_of(e.name, None)
            params = self.table_params(e.name) if kind in {DeclarationKind.TABLE, DeclarationKind.FUNCTION} else []
        elif e.name in self.withdrawn:
            return self.withdrawn_reference(e.name, e.span)
        else:
            candidates = list(self.local) + list(self.inherited) + list(BUILTINS)
            return self.fail("E201", f"table ou fonction inconnue « {e.name} »", e.span, suggest(e.name, candidates))
        if kind not in {DeclarationKind.TABLE, DeclarationKind.FUNCTION}:
            return self.fail("E206", f"« {e.name} » n'est ni une table ni une fonction : elle ne prend pas d'arguments",
                             e.span, f"écrivez simplement {e.name}")
        if len(params) != len(e.args):
            return self.fail("E207", f"« {e.name} » prend {len(params)} argument(s), {len(e.args)} donné(s)", e.span)
        args = []
        for arg, (pname, ptype) in zip(e.args, params, strict=False):  # arity is E205
            checked = self.expr(arg, ptype)
            if not assignable(ptype, checked.type):
                self.fail("E302", f"le paramètre « {pname} » de « {e.name} » est un {ptype}, pas un {checked.type}",
                          arg.span, literal_hint(ptype, checked.type))
            args.append(checked)
        used = e.name if e.prefix is None else f"{e.prefix}.{e.name}"
        self.note_use(used, e.span)
        if e.prefix is None:
            result = self.type_of(e.name)
        else:
            assert self.parent is not None  # `fichier.nom` was resolved above, through the amended program
            result = self.parent.definitions[e.name].type
        node = model.TableCall if kind is DeclarationKind.TABLE else model.FuncCall
        return node(e.name, tuple(args), result, origin=e.prefix, span=e.span)

    def enum_type(self, name: str, type_expr: ast.EnumType) -> Type:
        seen: dict[str, ast.EnumValue] = {}
        for value in type_expr.values:
            if value.name in seen:
                self.fail("E505", f"mot « {value.name} » en double dans l'énumération", value.span,
                          labels=(Label(seen[value.name].span, "première occurrence"),))
            seen[value.name] = value
        return enum(name, tuple(seen), tuple(v.label for v in seen.values()))

    def resolve_type(self, type_expr: ast.TypeExpr, owner: str) -> Type:
        if isinstance(type_expr, ast.SimpleType):
            return BASE[type_expr.kind]
        if isinstance(type_expr, ast.EnumType):
            return self.enums.get(owner) or self.enum_type(owner, type_expr)
        if type_expr.name in self.enums:
            return self.enums[type_expr.name]
        known = [*list(self.enums), "montant", "taux", "entier", "décimal", "booléen", "date", "durée", "texte"]
        self.fail("E201", f"type inconnu « {type_expr.name} »", type_expr.span, suggest(type_expr.name, known))
        return ANY

    # ── pass 2: facts ──
    def table_params(self, name: str) -> list[tuple[str, Type]]:
        if name in self.local:
            decl = self.local[name]
            assert isinstance(decl, (ast.Table, ast.Function))
            return [(p.name, self.resolve_type(p.type, p.name)) for p in decl.params]
        return [(p.name, p.type) for p in self.inherited[name].params]

    def builtin(self, e: ast.Call, expected: Type | None) -> model.Expr:
        if len(e.args) < 2:
            return self.fail("E207", f"« {e.name} » compare au moins deux valeurs", e.span)
        args = [self.expr(a, expected) for a in e.args]
        result: Type | None = args[0].type
        for arg in args[1:]:
            result = join(result, arg.type) if result is not None else None
        if result is None or not (ordered(result)):
            kinds = ", ".join(str(a.type) for a in args)
            return self.fail("E301", f"« {e.name} » demande des valeurs comparables du même type, pas : "
                                     f"{kinds}", e.span)
        return model.Builtin(e.name, tuple(args), result, span=e.span)

    def x_Binary(self, e: ast.Binary, expected: Type | None) -> model.Expr:
        left = self.expr(e.left, None)
        right = self.expr(e.right, None)
        result = arithmetic(e.op, left.type, right.type)
        if result is None:
            hint = None
            if TypeKind.DATE in {left.type.kind, right.type.kind} and e.op in {ArithOp.ADD, ArithOp.SUB}:
                hint = "à une date, on ajoute une durée : + 15 jours, + 1 mois, + 3 ans"
            elif expected is not None:
                bare_number = right.type.kind in {TypeKind.ENTIER, TypeKind.DECIMAL}
                hint = literal_hint(left.type if bare_number else right.type, right.type)
            return self.fail("E301", f"opération impossible : {left.type} {e.op} {right.type}", e.span, hint)
        return model.Arith(e.op, left, right, result, span=e.span)

    def x_Negate(self, e: ast.Negate, expected: Type | None) -> model.Expr:
        operand = self.expr(e.operand, expected)
        if not (operand.type.is_numeric or operand.type.kind in {TypeKind.DUREE, TypeKind.ANY}):
            return self.fail("E301", f"on ne peut pas prendre l'opposé d'un {operand.type}", e.span)
        return model.Negate(operand, operand.type, span=e.span)

    def condition(self, e: ast.Expr, what: str) -> model.Expr:
        checked = self.expr(e, BOOLEEN)
        if checked.type.kind not in {TypeKind.BOOLEEN, TypeKind.ANY}:
            self.fail("E304", f"{what} attend une condition (vrai ou faux), pas un {checked.type}", e.span,
                      "une condition est une comparaison (patientele > 640), un booléen, "
                      "ou leur combinaison avec et, ou, non")
        return checked

    def x_Logical(self, e: ast.Logical, expected: Type | None) -> model.Expr:
        left = self.condition(e.left, f"« {e.op} »")
        right = self.condition(e.right, f"« {e.op} »")
        return model.Logic(e.op, left, right, BOOLEEN, span=e.span)

    def x_Not(self, e: ast.Not, expected: Type | None) -> model.Expr:
        return model.Not(self.condition(e.operand, "« non »"), BOOLEEN, span=e.span)

    def x_Compare(self, e: ast.Compare, expected: Type | None) -> model.Expr:
        if isinstance(e.left, ast.Name) and not self.known(e.left.name):
            right = self.expr(e.right, None)
            left = self.expr(e.left, right.type)
        else:
            left = self.expr(e.left, None)
            right = self.expr(e.right, left.type)
        if not comparable(left.type, right.type):
            return self.fail("E302", f"comparaison impossible entre un {left.type} et un {right.type}", e.span,
                             literal_hint(left.type, right.type) or literal_hint(right.type, left.type))
        if e.op not in {CompareOp.EQ, CompareOp.NE} and not (ordered(left.type) and ordered(right.type)):
            return self.fail("E302", f"« {e.op} » ne s'applique pas à un {left.type} : seules = et ≠ le peuvent",
                             e.span)
        return model.Compare(e.op, left, right, BOOLEEN, span=e.span)

    def known(self, name: str) -> bool:
        return name in self.local or name in self.inherited or name in self.facts

    def x_Member(self, e: ast.Member, expected: Type | None) -> model.Expr:
        if e.set_name is not None:
            return self.named_member(e)
        operand = self.expr(e.operand, None)
        items = []
        for item in e.items:
            checked = self.expr(item, operand.type)
            if not isinstance(checked, model.Const):  # (a failed check gives ERROR, a Const)
                self.fail("E312", "un ensemble ne contient que des valeurs écrites (mots ou nombres)", item.span)
                continue
            if not comparable(operand.type, checked.type):
                self.fail("E302", f"« {_text(item)} » n'est pas un {operand.type}", item.span)
            items.append(checked.value)
        return model.Member(operand, tuple(items), e.negated, BOOLEEN, span=e.span)

    def is_set(self, name: str) -> bool:
        """Whether `name` is a set parameter (`paramètre x = {…}`), of this file or inherited."""
        decl = self.local.get(name)
        if decl is not None:
            return isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.SetLiteral)
        inherited = self.inherited.get(name)
        return inherited is not None and inherited.is_set

    def named_member(self, e: ast.Member) -> model.Expr:
        """`x dans nom`: the set parameter's items, checked against x's type like written ones."""
        name = e.set_name
        assert name is not None
        operand = self.expr(e.operand, None)
        if not self.is_set(name):
            sets = [n for n in list(self.local) + list(self.inherited) if self.is_set(n)]
            known = self.known(name)
            return self.fail("E315", f"« {name} » n'est pas un ensemble" if known else f"ensemble inconnu « {name} »",
                             e.span, suggest(name, sets) or "un ensemble se déclare en paramètre : "
                             f"paramètre {name} = {{a, b}} fin, ou s'écrit sur place : dans {{a, b}}")
        self.note_use(name, e.span)
        t = self.type_of(name)
        if not comparable(operand.type, t) and t.kind is not TypeKind.ANY and operand.type.kind is not TypeKind.ANY:
            return self.fail("E302", f"« {name} » est un ensemble de {_plural_type(t)}, pas de "
                                     f"{_plural_type(operand.type)}",
                             e.span)
        decl = self.local.get(name)
        if decl is not None:
            assert isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.SetLiteral)
            saved, self.current = self.current, name
            items = tuple(c.value for c in (self.expr(i, t) for i in decl.value.items) if isinstance(c, model.Const))
            self.current = saved
            sources = tuple(  # resolved again, silently: the parameter's own check reports E208 and W106
                bibliography.Citation(self.bibliography[i.key], i.detail, span=i.span) if isinstance(i, ast.Citation)
                else bibliography.Citation(None, i.text, span=i.span)
                for i in block_items(decl.items).citations
                if not isinstance(i, ast.Citation) or i.key in self.bibliography)
        else:
            latest = self.inherited[name].latest
            assert isinstance(latest.body, model.Const) and isinstance(latest.body.value, tuple)  # is_set(name)
            items, sources = latest.body.value, latest.sources
        return model.Member(operand, tuple(items), e.negated, BOOLEEN, name, tuple(sources), span=e.span)

    def x_SetLiteral(self, e: ast.SetLiteral, expected: Type | None) -> model.Expr:
        """The value of a set parameter: constants of one type (the declared one, or their own)."""
        values, found = [], expected
        for item in e.items:
            checked = self.expr(item, found)
            if not isinstance(checked, model.Const):  # (a failed check gives ERROR, a Const)
                self.fail("E312", "un ensemble ne contient que des valeurs écrites (mots ou nombres)", item.span)
                continue
            joined = checked.type if found is None or found.kind is TypeKind.ANY else join(found, checked.type)
            if joined is None:
                self.fail("E302", f"« {_text(item)} » n'est pas un {found}", item.span)
                continue
            found = joined
            values.append(checked.value)
        return model.Const(tuple(values), found or ANY, span=e.span)

    def x_If(self, e: ast.If, expected: Type | None) -> model.Expr:
        condition = self.condition(e.condition, "« si »")
        then = self.expr(e.then, expected)
        otherwise = self.expr(e.otherwise, expected)
        result = join(then.type, otherwise.type)
        if result is None:
            return self.fail("E309", f"les deux branches du « si » n'ont pas le même type : {then.type} et "
                                     f"{otherwise.type}",
                             e.span, literal_hint(then.type, otherwise.type) or literal_hint(otherwise.type, then.type))
        return model.If(condition, then, otherwise, result, span=e.span)

    def x_Round(self, e: ast.Round, expected: Type | None) -> model.Expr:
        operand = self.expr(e.operand, expected)
        if e.unit not in ROUNDING_UNITS:
            return self.fail("E305", f"arrondi inconnu « {e.unit} »", e.unit_span,
                             suggest(e.unit, ROUNDING_UNITS) or "arrondis possibles : " + ", ".join(ROUNDING_UNITS))
        t = operand.type
        if not t.is_numeric and t.kind is not TypeKind.ANY:
            return self.fail("E305", f"on ne peut pas arrondir un {t}", e.span)
        if e.unit == "euro" and t.kind not in {TypeKind.MONTANT, TypeKind.ANY}:
            return self.fail("E305", f"« à l'euro » s'applique à un montant, pas à un {t}", e.span,
                             "pour un nombre sans unité, écrivez « arrondi à l'entier »")
        result = ENTIER if e.unit == "entier" and t.kind in {TypeKind.ENTIER, TypeKind.DECIMAL} else t
        label = f"{e.verb} {_unit_phrase(e.unit)}"
        return model.Round(operand, ROUNDING_UNITS[e.unit], e.verb != "arrondi", label, result, span=e.span)

    def x_DurationOf(self, e: ast.DurationOf, expected: Type | None) -> model.Expr:
        amount = self.expr(e.amount, ENTIER)
        if amount.type.kind not in {TypeKind.ENTIER, TypeKind.ANY}:
            return self.fail("E301", f"une durée se compte en nombre entier, pas en {amount.type}", e.amount.span)
        return model.DurationOf(amount, e.unit, DUREE, span=e.span)

    def x_AsOf(self, e: ast.AsOf, expected: Type | None) -> model.Expr:
        date = self.expr(e.date, DATE)
        if date.type.kind not in {TypeKind.DATE, TypeKind.ANY}:
            self.fail("E310", f"« au » attend une date, pas un {date.type}", e.date.span)
        target = self.expr(e.operand, expected)
        if isinstance(target, (model.DefRef, model.TableCall)):
            kind = self.kind_of(target.name, target.origin)
            if kind is DeclarationKind.RULE:
                return self.fail("E306", f"« au » s'applique à un paramètre ou une table datés, « {target.name} » est "
                                         "une règle",
                                 e.span, "une règle se calcule avec les faits du cas ; retirez « au … »")
            return _with_date(target, date)
        if target is ERROR:
            return target
        return self.fail("E306", "« au » s'applique au nom d'un paramètre ou d'une table", e.span)

    def kind_of(self, name: str, origin: str | None) -> DeclarationKind:
        if origin is None and name in self.local:
            return kind_of_declaration(self.local[name])
        if origin is None:
            return self.inherited[name].kind
        return self.parent.definitions[name].kind if self.parent else DeclarationKind.RULE

    def x_TextOf(self, e: ast.TextOf, expected: Type | None) -> model.Expr:
        date = self.expr(e.date, DATE)
        if date.type.kind not in {TypeKind.DATE, TypeKind.ANY}:
            self.fail("E310", f"« au » attend une date, pas un {date.type}", e.date.span)
        if not (e.name in self.local or e.name in self.inherited):
            return self.fail("E201", f"nom inconnu « {e.name} »", e.name_span,
                             suggest(e.name, list(self.local) + list(self.inherited)))
        if self.kind_of(e.name, None) is DeclarationKind.RULE:
            return self.fail("E306", "« texte de » s'applique à un paramètre ou une table, qui peuvent avoir des "
                                     "versions",
                             e.name_span)
        self.note_use(e.name, e.name_span)
        return model.TextOf(e.name, date, TEXTE, span=e.span)

    def x_InForce(self, e: ast.InForce, expected: Type | None) -> model.Expr:
        """`en vigueur au d`: `d >= début et d <= fin` with the header's bounds as written (a date, or
        the parameter named there, which the explanation then shows with its source)."""
        h = self.file.header
        self.reads_window = True
        if h.in_force_from is None and h.in_force_until is None:
            return self.fail("E314", "« en vigueur au » : ce fichier ne déclare pas de période de vigueur", e.span,
                             "déclarez-la en tête : en vigueur du 20/08/2019 au 30/04/2023 "
                             "(ou à partir du …, jusqu'au …)")

        if ((isinstance(h.in_force_from, str) and self.text.in_force_from is None)
                or (isinstance(h.in_force_until, str) and self.text.in_force_until is None)):
            return ERROR  # a bound that names no date parameter: E311 is reported at the header

        def bound(value: dt.date | str, span: Span) -> ast.Expr:
            if isinstance(value, str):
                return ast.Name(value, span=span)
            return ast.Literal(LiteralKind.DATE, value, span=span)

        written = [(op, value) for op, value in (("≥", h.in_force_from), ("≤", h.in_force_until)) if value is not None]
        spans = h.in_force_spans if len(h.in_force_spans) == len(written) else (e.span,) * len(written)
        tests = [ast.Compare(op, e.date, bound(value, span), span=e.span)
                 for (op, value), span in zip(written, spans, strict=True)]
        combined: ast.Expr = tests[0] if len(tests) == 1 else ast.Logical(LogicOp.AND, tests[0], tests[1], span=e.span)
        checked = self.expr(combined, BOOLEEN)
        date = self.expr(e.date, DATE) if checked is ERROR else None
        if date is not None and date.type.kind not in {TypeKind.DATE, TypeKind.ANY}:
            self.fail("E310", f"« au » attend une date, pas un {date.type}", e.date.span)
        return checked

    def x_Marker(self, e: ast.Marker, expected: Type | None) -> model.Expr:
        if not e.reason.strip():
            self.fail("E308", "la raison est vide", e.span,
                      "dites en une phrase pourquoi : elle apparaît dans les explications et les courriers")
        return model.Marker(e.kind, e.reason, ANY, span=e.span)


def _plural_type(t: Type) -> str:
    """`énumération « couleur »` → `mots de « couleur »`; a base type by its French name."""
    return f"mots de « {t.name} »" if t.kind is TypeKind.ENUM else str(t)


def _unit_phrase(unit: str) -> str:
    return {"centime": "au centime", "euro": "à l'euro", "entier": "à l'entier", "dizaine": "à la dizaine",
            "centaine": "à la centaine", "millier": "au millier"}[unit]


def _text(node: ast.Node) -> str:
    return getattr(node, "name", "") or str(getattr(node, "value", ""))


def _with_date(target: model.DefRef | model.TableCall, date: model.Expr) -> model.Expr:
    import attrs
    return attrs.evolve(target, date=date)
