"""Tests for engine.syntax.build: lark tree → AST nodes, literal values, table cells, build errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from engine.syntax import ast
from engine.syntax.build import parse_file
from engine.base.diagnostics import RulesError
from engine.base.source import Source

HEADER = 'règles "t"\n'


def _file(body: str) -> ast.RuleFile:
    return parse_file(Source("f.rules", HEADER + body))


def _formula(expr: str) -> ast.Expr:
    rule = _file(f"résultat r : entier = {expr} fin").declarations[0]
    assert isinstance(rule, ast.Rule)
    return rule.formula


def _errors(body: str) -> list[tuple[str, str]]:
    text = HEADER + body
    with pytest.raises(RulesError) as caught:
        parse_file(Source("f.rules", text))
    return [(d.code, text[d.span.start:d.span.end]) for d in caught.value.diagnostics]


class TestLiterals:
    """Tests for literal values as a policy editor writes them."""

    @pytest.mark.parametrize(("text", "kind", "value"), [
        ("640", "number", 640),
        ("12 000", "number", 12000),
        ("12\u00a0000", "number", 12000),
        ("29,9", "number", Decimal("29.9")),
        ("0.8", "number", Decimal("0.8")),
        ("12 000 €", "money", Decimal(12000)),
        ("8 350,50 €", "money", Decimal("8350.50")),
        ("5 euros", "money", Decimal(5)),
        ("1 euro", "money", Decimal(1)),
        ("7,5 %", "percent", Decimal("0.075")),
        ("80 %", "percent", Decimal("0.8")),
        ("22/06/2024", "date", dt.date(2024, 6, 22)),
        ("1/2/2024", "date", dt.date(2024, 2, 1)),
        ('"75"', "text", "75"),
        ("« texte »", "text", "texte"),
        ('"a\\"b"', "text", 'a"b'),
        ("vrai", "bool", True),
        ("faux", "bool", False),
    ])
    def test_value(self, text: str, kind: str, value: object) -> None:
        """Each literal is parsed to its exact value and kind."""
        literal = _formula(text)
        assert literal == ast.Literal(kind, value)
        assert type(literal.value) is type(value)  # type: ignore[union-attr]

    def test_impossible_date_is_e108(self) -> None:
        """A date that does not exist is E108, underlined."""
        assert _errors("paramètre d = 31/02/2024 fin") == [("E108", "31/02/2024")]

    def test_impossible_header_date_is_e108(self) -> None:
        """Dates of the header are checked too."""
        assert _errors('en vigueur du 30/02/2020 au 01/01/2021\n')[0][0] == "E108"


class TestNames:
    """Tests for names and reserved words."""

    def test_reserved_word_as_fact_name_is_e107(self) -> None:
        """A keyword that may stand where a name stands cannot name a fact (E107)."""
        assert _errors("fait jours : entier fin") == [("E107", "jours")]

    def test_every_use_is_reported(self) -> None:
        """Each occurrence of a reserved name is its own E107, all reported at once."""
        assert [c for c, _ in _errors("fait annee : entier fin\nrésultat r : entier = annee + annee fin")] == \
            ["E107", "E107", "E107"]

    def test_accented_names(self) -> None:
        """Names may contain accented letters."""
        assert _file("fait âge_médecin : entier fin").declarations[0].name == "âge_médecin"  # type: ignore[union-attr]

    def test_type_words_may_name_rules(self) -> None:
        """A type word such as `montant` may name a rule."""
        assert _file("résultat montant : montant = 1 € fin").declarations[0].name == "montant"  # type: ignore[union-attr]


class TestExpressions:
    """Tests for expression nodes."""

    @pytest.mark.parametrize(("written", "op"), [("=", "="), ("≠", "≠"), ("!=", "≠"), ("<>", "≠"), ("<=", "≤"),
                                                 ("≤", "≤"), (">=", "≥"), ("≥", "≥"), ("<", "<"), (">", ">")])
    def test_comparison_operators_are_normalised(self, written: str, op: str) -> None:
        """Every spelling of a comparison gives one operator."""
        assert _formula(f"a {written} 1") == ast.Compare(op, ast.Name("a"), ast.Literal("number", 1))

    @pytest.mark.parametrize(("written", "op"), [("×", "×"), ("*", "×"), ("/", "/"), ("÷", "/")])
    def test_arithmetic_operators_are_normalised(self, written: str, op: str) -> None:
        """`*` is `×` and `÷` is `/`."""
        assert _formula(f"a {written} 2").op == op  # type: ignore[union-attr]

    def test_precedence(self) -> None:
        """× binds tighter than +, comparison tighter than et, et tighter than ou."""
        assert _formula("1 + 2 × 3") == ast.Binary("+", ast.Literal("number", 1),
                                                   ast.Binary("×", ast.Literal("number", 2), ast.Literal("number", 3)))
        formula = _formula("a ou b et c = 1")
        assert isinstance(formula, ast.Logical) and formula.op == "ou"
        assert isinstance(formula.right, ast.Logical) and isinstance(formula.right.right, ast.Compare)

    @pytest.mark.parametrize(("written", "unit"), [("jour", "jours"), ("jours", "jours"), ("mois", "mois"),
                                                   ("an", "ans"), ("ans", "ans"), ("année", "ans"), ("annees", "ans")])
    def test_duration_units_are_normalised(self, written: str, unit: str) -> None:
        """Every spelling of a duration unit gives one unit."""
        assert _formula(f"3 {written}") == ast.DurationOf(ast.Literal("number", 3), unit)

    def test_rounding(self) -> None:
        """`arrondi au centime` keeps the verb and the unit, with the unit's span."""
        node = _formula("x tronqué à l'euro")
        assert node == ast.Round(ast.Name("x"), "tronqué", "euro")
        assert (node.unit_span.column, node.unit_span.end_column) == (37, 41)  # type: ignore[union-attr]

    def test_members_markers_and_calls(self) -> None:
        """Sets, markers, calls, qualified names, `au` and `texte de` build their nodes."""
        assert _formula("x pas dans {a, 1}") == ast.Member(ast.Name("x"), (ast.Name("a"), ast.Literal("number", 1)),
                                                          True)
        assert _formula('non applicable "raison"') == ast.Marker("non_applicable", "raison")
        assert _formula('indetermine "r"') == ast.Marker("indetermine", "r")
        assert _formula("t(a, 2) au d") == ast.AsOf(ast.Call("t", (ast.Name("a"), ast.Literal("number", 2))),
                                                    ast.Name("d"))
        assert _formula("avenant7.f(a)") == ast.Call("f", (ast.Name("a"),), "avenant7")
        assert _formula("avenant7.r") == ast.Qualified("avenant7", "r")
        assert _formula("texte de t au d") == ast.TextOf("t", ast.Name("d"))
        assert _formula("-x") == ast.Negate(ast.Name("x"))
        assert _formula("si a alors 1 sinon 2") == ast.If(ast.Name("a"), ast.Literal("number", 1),
                                                          ast.Literal("number", 2))

    def test_spans_of_nodes(self) -> None:
        """Nodes carry the span of their text, in characters."""
        node = _formula("âge + 1")
        assert (node.span.line, node.span.column, node.span.end_column) == (2, 23, 30)
        assert (node.right.span.column, node.right.span.end_column) == (29, 30)  # type: ignore[union-attr]


class TestDeclarations:
    """Tests for declarations and their items."""

    def test_header(self) -> None:
        """The header gives the title, the text names, the amended file and the period."""
        rf = parse_file(Source("f", 'règles "Titre"\ntexte "court" "long"\nmodifie "a.rules"\n'
                                    "en vigueur du 01/01/2020 au 31/12/2021\n"))
        h = rf.header
        assert (h.title, h.text_short, h.text_long, h.amends) == ("Titre", "court", "long", "a.rules")
        assert (h.in_force_from, h.in_force_until) == (dt.date(2020, 1, 1), dt.date(2021, 12, 31))
        assert (h.amends_span.line, h.amends_span.column) == (3, 9)

    @pytest.mark.parametrize(("period", "start", "end"), [
        ("à partir du 22/06/2024", dt.date(2024, 6, 22), None),
        ("jusqu'au 30/04/2023", None, dt.date(2023, 4, 30)),
    ])
    def test_open_periods(self, period: str, start: dt.date | None, end: dt.date | None) -> None:
        """A period may be open at either end."""
        h = parse_file(Source("f", f'règles "t"\nen vigueur {period}\n')).header
        assert (h.in_force_from, h.in_force_until) == (start, end)

    def test_fact_with_items(self) -> None:
        """A fact keeps its type, constraint and items."""
        fact = _file('fait s : entier parmi {1, 2} "desc" question "q ?" unité "u" source "s" fin').declarations[0]
        assert fact == ast.Fact("s", ast.SimpleType("entier", ast.Allowed((ast.Literal("number", 1),
                                                                             ast.Literal("number", 2)))),
                                (ast.Description("desc"), ast.Question("q ?"), ast.Unit("u"), ast.SourceRef("s")))

    @pytest.mark.parametrize(("constraint", "expected"), [
        ("de 0 à 100", ast.Range(ast.Literal("number", 0), ast.Literal("number", 100))),
        ("au moins 1", ast.Range(ast.Literal("number", 1), None)),
        ("au plus 5", ast.Range(None, ast.Literal("number", 5))),
    ])
    def test_ranges(self, constraint: str, expected: ast.Range) -> None:
        """Range constraints build bounds, None where open."""
        fact = _file(f"fait s : entier {constraint} fin").declarations[0]
        assert fact.type.constraint == expected  # type: ignore[union-attr]

    def test_enumeration_with_labels(self) -> None:
        """An enumeration keeps its words and optional labels; type words lose their accents."""
        fact = _file('fait o : énumération {a1 "Un", b2} fin').declarations[0]
        assert fact.type == ast.EnumType((ast.EnumValue("a1", "Un"), ast.EnumValue("b2")))  # type: ignore[union-attr]
        assert _file("fait d : décimal fin").declarations[0].type == ast.SimpleType("decimal")  # type: ignore[union-attr]

    def test_rule_kinds(self) -> None:
        """`résultat` (or `resultat`) is an output, `règle` (or `regle`) is not."""
        decls = _file("résultat a : entier = 1 fin\nresultat b : entier = 1 fin\nrègle c : entier = 1 fin\n"
                      "regle d : entier = 1 fin").declarations
        assert [d.is_output for d in decls] == [True, True, False, False]  # type: ignore[union-attr]

    def test_rule_items(self) -> None:
        """Guards, replacements and statuses are items of a rule."""
        rule = _file('résultat a : entier\n  remplace f.a\n  applicable si g sinon "non"\n  à confirmer : "n"\n'
                     "  choix de modélisation\n  = 1\nfin").declarations[0]
        assert rule.items == (ast.Replaces("f", "a"), ast.Guard("g", "non"), ast.Status("a_confirmer", "n"),  # type: ignore[union-attr]
                              ast.Status("choix_de_modelisation"))

    def test_dated_parameter(self) -> None:
        """A dated parameter has one dated value per version."""
        param = _file("paramètre p : entier\n  à partir du 01/01/2020 : 1\n  à partir de d : 2\nfin").declarations[0]
        assert param.items == (ast.DatedValue(ast.Literal("date", dt.date(2020, 1, 1)), ast.Literal("number", 1)),  # type: ignore[union-attr]
                               ast.DatedValue(ast.Name("d"), ast.Literal("number", 2)))

    def test_example(self) -> None:
        """An example keeps its base, given facts and expected outcomes."""
        ex = _file('exemple "e" reprend "b" a = 1, b = 2 attendu r = vrai, s = non applicable, '
                   "t = indéterminé, u = manquant, v = manquant (a, b) fin").declarations[0]
        assert ex == ast.Example("e", "b", (ast.Given("a", ast.Literal("number", 1)), ast.Given("b", ast.Literal("number", 2))),
                                 (ast.Expected("r", ast.Literal("bool", True)),
                                  ast.Expected("s", marker="non_applicable"), ast.Expected("t", marker="indetermine"),
                                  ast.Expected("u", marker="manquant"), ast.Expected("v", marker="manquant", facts=("a", "b"))))

    def test_schedule(self) -> None:
        """A schedule keeps its axis, bounds, columns and totals."""
        sched = _file('échéancier a de 1 à 5 "d" colonnes x, y total y fin').declarations[0]
        assert sched == ast.Schedule("a", 1, 5, ("x", "y"), ("y",), "d")

    def test_comments_are_kept(self) -> None:
        """Comments are kept (for the formatter) but do not count for equality."""
        rf = _file("# un\nfait a : entier fin # deux\n")
        assert [c.text for c in rf.comments] == [" un", " deux"]
        assert rf == _file("fait a : entier fin\n")

    def test_spans_do_not_count_for_equality(self) -> None:
        """The same file laid out differently gives an equal tree."""
        assert _file("fait a : entier fin") == _file("\n\n  fait   a :\n entier\n fin")


class TestTables:
    """Tests for table rows: split into cells, each parsed at its own position."""

    TABLE = ("table t (rang : décimal, option : option) : taux\n"
             "  |             | tiers_temps | autre            |\n"
             "  |-------------|-------------|------------------|\n"
             "  | moins de 50 | 20 %        | 25 % à confirmer |\n"
             "  | 50 et plus  | —           | 7,5 %            |\n"
             "fin")

    def _rows(self) -> list[ast.Row]:
        table = _file(self.TABLE).declarations[0]
        return [i for i in table.items if isinstance(i, ast.Row)]  # type: ignore[union-attr]

    def test_separator_rows_are_dropped(self) -> None:
        """A `|---|` row is ignored."""
        assert len(self._rows()) == 3

    def test_header_cells_are_keys_for_two_key_tables(self) -> None:
        """The first row of a two-key table holds column keys (its first cell is blank)."""
        header = self._rows()[0]
        assert [c.key for c in header.cells] == [None, ast.KeyName("tiers_temps"), ast.KeyName("autre")]

    def test_row_keys_and_values(self) -> None:
        """A row starts with its key; the other cells are values, with optional statuses."""
        row = self._rows()[1]
        assert row.cells[0].key == ast.Band(None, False, ast.Literal("number", 50), False)
        assert row.cells[1].value == ast.Literal("percent", Decimal("0.2"))
        assert row.cells[2].status == ast.Status("a_confirmer")

    def test_dash_is_not_applicable(self) -> None:
        """A lone dash is the empty cell of a published table: not applicable."""
        cell = self._rows()[2].cells[1]
        assert isinstance(cell.value, ast.Marker) and cell.value.kind == "non_applicable" and cell.text == "—"

    def test_cell_spans(self) -> None:
        """Each cell's span covers its text on its line."""
        text = HEADER + self.TABLE
        cell = self._rows()[1].cells[2]
        assert text[cell.span.start:cell.span.end] == "25 % à confirmer"
        value = cell.value
        assert text[value.span.start:value.span.end] == "25 %"  # type: ignore[union-attr]

    def test_empty_cell_spans_the_blank(self) -> None:
        """An empty cell's span covers the blank between its bars."""
        text = HEADER + "table t (a : entier) : entier\n  | a | v |\n  | 1 |     |\nfin"
        table = _file(text[len(HEADER):]).declarations[0]
        cell = [i for i in table.items if isinstance(i, ast.Row)][1].cells[1]  # type: ignore[union-attr]
        assert cell.text == "" and text[cell.span.start:cell.span.end] == "     "

    @pytest.mark.parametrize(("key", "band"), [
        ("moins de 90", ast.Band(None, False, ast.Literal("number", 90), False)),
        ("jusqu'à 90", ast.Band(None, False, ast.Literal("number", 90), True)),
        ("de 90 à moins de 95", ast.Band(ast.Literal("number", 90), True, ast.Literal("number", 95), False)),
        ("de 90 à 95", ast.Band(ast.Literal("number", 90), True, ast.Literal("number", 95), True)),
        ("plus de 95", ast.Band(ast.Literal("number", 95), False, None, False)),
        ("95 et plus", ast.Band(ast.Literal("number", 95), True, None, False)),
    ])
    def test_bands(self, key: str, band: ast.Band) -> None:
        """Each way of writing a band gives its bounds and their inclusiveness."""
        table = _file(f"table t (a : décimal) : entier\n  | a | v |\n  | {key} | 1 |\nfin").declarations[0]
        row = [i for i in table.items if isinstance(i, ast.Row)][1]  # type: ignore[union-attr]
        assert row.cells[0].key == band

    def test_unreadable_cell_is_reported_at_its_column(self) -> None:
        """A cell that does not parse is a syntax error located in the cell, not at the row start."""
        body = "table t (a : entier) : entier\n  | a | v |\n  | 1 | 2 + |\nfin"
        text = HEADER + body
        with pytest.raises(RulesError) as caught:
            parse_file(Source("f.rules", text))
        d = caught.value.diagnostics[0]
        assert d.code == "E102" and d.span.start == text.index("2 +") + 3 and d.span.line == 4

    def test_all_cell_errors_are_collected(self) -> None:
        """Every bad cell of a table is reported at once."""
        errors = _errors("table t (a : entier) : entier\n  | a | v |\n  | 1 | 2 + |\n  | 2 | 31/02/2024 |\nfin")
        assert [c for c, _ in errors] == ["E102", "E108"]

    def test_quoted_bars_and_hashes(self) -> None:
        """A `|` inside quotes does not split a cell, and `#` outside quotes starts a comment."""
        table = _file('table t (a : entier) : texte\n  | a | v |\n  | 1 | "x|y" | # note\nfin').declarations[0]
        row = [i for i in table.items if isinstance(i, ast.Row)][1]  # type: ignore[union-attr]
        assert [c.text for c in row.cells] == ["1", '"x|y"']
