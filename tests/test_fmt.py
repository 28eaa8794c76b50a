"""Tests for the formatter (`engine.syntax.fmt`) and the `regles fmt` command."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from engine.syntax import ast
from engine.syntax.build import parse_file
from engine.cli.main import main
from engine.syntax.fmt import format_declaration, format_expr, format_text
from engine.base.source import Source

ROOT = Path(__file__).resolve().parent.parent


def fmt(body: str, header: str = 'règles "T"') -> str:
    """Format a file made of a header and `body`; return what follows the header."""
    out = format_text(header + "\n" + body)
    return out.split("\n", 2)[2]


def first_formula(text: str) -> ast.Expr:
    decl = parse_file(Source("<t>", 'règles "T"\n' + text)).declarations[0]
    return decl.formula  # type: ignore[union-attr]


class TestLiterals:
    """Literals are written the French way, with their digits kept."""

    @pytest.mark.parametrize(("written", "canonical"), [
        ("12000 €", "12 000 €"), ("12 000 euros", "12 000 €"), ("1000000,50 euro", "1 000 000,50 €"),
        ("7.5%", "7,5 %"), ("80 %", "80 %"), ("0.8", "0,8"), ("2800", "2 800"), ("640", "640"),
        ("1/2/2024", "01/02/2024"), ("15 jour", "15 jours"), ("1 ans", "1 an"), ("3 années", "3 ans"),
        ("1 mois", "1 mois"), ("« texte »", '"texte"'), ('"a\\"b"', '"a\\"b"'), ("vrai", "vrai"),
        ("12 000,00 €", "12 000,00 €"), ("80,7692308 %", "80,7692308 %"),
    ])
    def test_literal(self, written: str, canonical: str) -> None:
        """Each literal has one canonical spelling that parses back to the same value."""
        assert fmt(f"règle r : entier = {written} fin") == f"règle r : entier\n  = {canonical}\nfin\n"


class TestLayout:
    """The canonical layout of blocks."""

    def test_blocks_separated_by_one_blank_line_items_indented(self) -> None:
        """Declarations are separated by one blank line; items are indented by two spaces."""
        text = 'règles "T"\n\n\n\nfait a : entier "desc" question "?" fin\nparametre p = 5 source "s" fin'
        assert format_text(text) == ('règles "T"\n\nfait a : entier\n  "desc"\n  question "?"\nfin\n\n'
                                     'paramètre p = 5\n  source "s"\nfin\n')

    def test_header_one_item_a_line(self) -> None:
        """Header items each get their line, in a fixed order."""
        text = 'regles "T" en vigueur du 1/1/2020 au 31/12/2021 modifie "a.rules" texte "a" "A"\nfait x : entier fin'
        assert format_text(text).split("\n")[:4] == [
            'règles "T"', 'texte "a" "A"', 'modifie "a.rules"', "en vigueur du 01/01/2020 au 31/12/2021"]

    def test_keywords_and_operators_canonical(self) -> None:
        """Accented keywords and one spelling per operator."""
        out = fmt("resultat r : booleen = a>=1 et b≤2 et c!=3 et d<>4 et e*2=f÷3 fin")
        assert out == "résultat r : booléen\n  = a >= 1 et b <= 2 et c ≠ 3 et d ≠ 4 et e × 2 = f / 3\nfin\n"

    def test_redundant_parentheses_dropped_needed_ones_kept(self) -> None:
        """Parentheses follow precedence, and an `et` inside an `ou` keeps its own for the reader."""
        out = fmt("règle r : booléen = ((a)) ou (b et c) ou ((d ou e) et f) fin")
        assert out == "règle r : booléen\n  = a ou (b et c) ou ((d ou e) et f)\nfin\n"
        assert fmt("règle r : entier = ((a + b) × (c - (d - e))) ans fin") == (
            "règle r : entier\n  = ((a + b) × (c - (d - e))) ans\nfin\n")
        assert fmt("règle r : entier = (a + b) × ((c - (d - e)) ans) fin") == (
            "règle r : entier\n  = (a + b) × (c - (d - e)) ans\nfin\n")

    def test_long_formula_broken_at_ou_aligned(self) -> None:
        """A formula too long for one line breaks before each `et`, aligned on the first operand."""
        names = " et ".join(f"condition_numero_{i}" for i in range(6))
        out = fmt(f"résultat eligible : booléen = {names} fin")
        assert out.splitlines()[1:4] == ["  = condition_numero_0", "    et condition_numero_1",
                                         "    et condition_numero_2"]

    def test_if_chain(self) -> None:
        """`si … alors … sinon si …` chains: short branches on one line, long ones with `alors` below."""
        long_reason = "x" * 90
        out = fmt(f'règle r : entier = si a alors 1 sinon si b alors non applicable "{long_reason}" sinon 3 fin')
        assert out.splitlines()[1:5] == [
            "  = si a alors 1", "    sinon si b", f'      alors non applicable "{long_reason}"', "    sinon 3"]

    def test_nested_condition_in_parentheses_with_sets_wrapped(self) -> None:
        """A long set wraps with its items aligned after `{`."""
        items = ", ".join(f"specialite_{i}" for i in range(9))
        out = fmt(f"règle r : booléen = a ou (si s dans {{{items}}} alors vrai sinon faux) fin")
        lines = out.splitlines()
        assert lines[1] == "  = a"
        assert lines[2].startswith("    ou (si s dans {specialite_0, ")
        column = lines[2].index("{") + 1
        assert lines[3][:column].strip() == "" and lines[3][column:].startswith("specialite_")

    def test_enumeration_broken_after_brace(self) -> None:
        """A long enumeration type breaks after `{`, its words at four spaces."""
        words = ", ".join(f'mot_{i} "libellé {i}"' for i in range(8))
        out = fmt(f"fait f : énumération {{{words}}} fin")
        assert out.splitlines()[0] == "fait f : énumération {"
        assert out.splitlines()[1].startswith('    mot_0 "libellé 0", mot_1')

    def test_table_realigned_with_separator(self) -> None:
        """Table cells are padded to their column's width; one `|---|` line follows the header row."""
        text = ("table t (o : option, c : entier) : montant\n"
                "|  | 1 | 2 |\n|tiers_temps|12 000 €| 9 000 € à confirmer |\n|autre|—|—|\nfin")
        assert fmt(text) == ("table t (o : option, c : entier) : montant\n"
                             "  |             | 1        | 2                   |\n"
                             "  |-------------|----------|---------------------|\n"
                             "  | tiers_temps | 12 000 € | 9 000 € à confirmer |\n"
                             "  | autre       | —        | —                   |\n"
                             "fin\n")

    def test_example_keeps_line_groups(self) -> None:
        """Example entries stay grouped as the editor wrote them, comma-separated within a line."""
        text = 'exemple "e" reprend "b"\n a = 1 b = 2,\n c = 3\nattendu x = vrai, y = non applicable z = manquant (a) fin'
        assert fmt(text) == ('exemple "e"\n  reprend "b"\n  a = 1, b = 2\n  c = 3\nattendu\n'
                             "  x = vrai, y = non applicable, z = manquant (a)\nfin\n")

    def test_example_keeps_comma_before_a_keyword_name(self) -> None:
        """A line-end comma stays when the next name is also a keyword (`a`, `de`): it is needed."""
        out = fmt('exemple "e"\n  x = 1,\n  a = 2\nattendu de = 1,\n plus = 2 fin')
        assert out == 'exemple "e"\n  x = 1,\n  a = 2\nattendu\n  de = 1,\n  plus = 2\nfin\n'
        assert format_text('règles "T"\n' + out) == 'règles "T"\n\n' + out


class TestComments:
    """Comments stay where they were written."""

    def test_leading_and_trailing_comments(self) -> None:
        """A comment before a declaration stays before it; an end-of-line comment stays on its line."""
        text = ('règles "T"\n# ═══ Faits ═══\n\n# la spécialité\nfait a : entier  # en patients\n'
                '  "desc" # description\nfin # fin du fait\n')
        assert format_text(text) == ('règles "T"\n\n# ═══ Faits ═══\n\n# la spécialité\nfait a : entier  # en patients\n'
                                     '  "desc"  # description\nfin  # fin du fait\n')

    def test_comment_inside_formula_and_table_rows(self) -> None:
        """Comments inside a formula, on table rows and on the separator line are all kept."""
        text = ('règles "T"\nrègle r : entier\n  = a  # premier\n  # avant b\n  + b\nfin\n'
                "table t (k : entier) : entier\n| k | v |  # en-tête\n|--|--| # séparateur\n| 1 | 2 | # ligne\nfin\n")
        out = format_text(text)
        for comment in ("# premier", "# avant b", "# en-tête", "# séparateur", "# ligne"):
            assert comment in out
        assert "  | 1 | 2 |  # ligne" in out
        assert format_text(out) == out

    def test_comment_at_end_of_file_and_before_header(self) -> None:
        """Comments before the header and after the last block are kept, with their blank lines."""
        text = '# fichier\n\nrègles "T"\nfait a : entier fin\n\n# fin du fichier\n'
        assert format_text(text) == '# fichier\n\nrègles "T"\n\nfait a : entier\nfin\n\n# fin du fichier\n'


class TestApi:
    """The unparse helpers used by other tools."""

    def test_internal_kept_in_place(self) -> None:
        """`interne` is one item line, kept where it is written, in every block that takes it."""
        text = ('règles "T"\n\nfait x : entier fin\nrègle a : entier "A" interne = x fin\n'
                "parametre p = 2 interne source \"s\" fin\n"
                "fonction f (y : entier) : entier interne = y fin\n"
                "table t (k : entier) : entier interne\n| k | v |\n| 1 | 1 |\nfin\n")
        out = format_text(text)
        assert 'règle a : entier\n  "A"\n  interne\n  = x\nfin\n' in out
        assert 'paramètre p = 2\n  interne\n  source "s"\nfin\n' in out
        assert "fonction f (y : entier) : entier\n  interne\n  = y\nfin\n" in out
        assert "table t (k : entier) : entier\n  interne\n" in out
        assert format_text(out) == out
        source = Source("<t>", text)
        assert parse_file(source) == parse_file(Source("<t>", out))

    def test_format_expr(self) -> None:
        """An expression is unparsed alone, on one line when it fits."""
        assert format_expr(first_formula("règle r : entier = (a+b)*2 arrondi a l'entier fin")) == (
            "(a + b) × 2 arrondi à l'entier")

    def test_format_declaration(self) -> None:
        """A declaration is unparsed alone, without comments."""
        decl = parse_file(Source("<t>", 'règles "T"\nfait a : entier # x\n fin')).declarations[0]
        assert format_declaration(decl) == "fait a : entier\nfin\n"

    def test_idempotent_on_its_own_output(self) -> None:
        """Formatting a formatted text changes nothing."""
        once = format_text('règles "T" fait a:entier fin règle r:booléen=a>1 ou a<0 fin')
        assert format_text(once) == once


class TestCommand:
    """`regles fmt` through `engine.cli.main.main`."""

    @pytest.fixture
    def messy(self, tmp_path: Path) -> Path:
        path = tmp_path / "messy.rules"
        path.write_text('regles "T"\nfait a:entier fin\n', encoding="utf-8")
        return path

    def test_rewrites_file(self, messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without option, the file is rewritten in place and named."""
        assert main(["fmt", str(messy)]) == 0
        assert messy.read_text(encoding="utf-8") == 'règles "T"\n\nfait a : entier\nfin\n'
        assert "mis en forme" in capsys.readouterr().out
        assert main(["fmt", str(messy)]) == 0
        assert capsys.readouterr().out == ""

    def test_check_names_files_and_writes_nothing(self, messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--check` exits 1, names the file and leaves it alone."""
        before = messy.read_text(encoding="utf-8")
        assert main(["fmt", "--check", str(messy)]) == 1
        captured = capsys.readouterr()
        assert f"{messy} : à mettre en forme" in captured.out
        assert "1 fichier à mettre en forme" in captured.err
        assert messy.read_text(encoding="utf-8") == before

    def test_check_passes_on_formatted_file(self, messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--check` exits 0 on a file already in the canonical layout."""
        main(["fmt", str(messy)])
        capsys.readouterr()
        assert main(["fmt", "--check", str(messy)]) == 0
        assert capsys.readouterr().out == ""

    def test_diff(self, messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--diff` prints a unified diff and writes nothing."""
        assert main(["fmt", "--diff", str(messy)]) == 0
        out = capsys.readouterr().out
        assert '-regles "T"' in out and '+règles "T"' in out
        assert messy.read_text(encoding="utf-8").startswith("regles")

    def test_stdin_to_stdout(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        """`-` formats standard input to standard output."""
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO('regles "T" fait a:entier fin'.encode())))
        assert main(["fmt", "-"]) == 0
        assert capsys.readouterr().out == 'règles "T"\n\nfait a : entier\nfin\n'

    def test_syntax_error_reported_not_written(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not parse is reported with its diagnostic (exit 1) and left alone."""
        path = tmp_path / "bad.rules"
        path.write_text('règles "T"\nrègle a : entier = 1 +\nfin\n', encoding="utf-8")
        assert main(["fmt", str(path)]) == 1
        err = capsys.readouterr().err
        assert "erreur[E1" in err and "Traceback" not in err
        assert path.read_text(encoding="utf-8").endswith("= 1 +\nfin\n")

    def test_missing_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing file is a usage error (exit 2) with a French message."""
        assert main(["fmt", "introuvable.rules"]) == 2
        assert "impossible de lire « introuvable.rules » : fichier introuvable" in capsys.readouterr().err

    def test_not_utf8(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Bytes that are not UTF-8 are reported, never a traceback."""
        path = tmp_path / "latin1.rules"
        path.write_bytes('règles "T"\n'.encode("latin-1"))
        assert main(["fmt", str(path)]) == 1
        assert "UTF-8" in capsys.readouterr().err

    @pytest.mark.parametrize("argv", [["fmt"], ["fmt", "--check", "--diff", "x.rules"], ["fmt", "--inconnu", "x"]])
    def test_bad_arguments(self, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        """Bad arguments: exit 2 and a French usage message."""
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "erreur d'utilisation" in err and "Traceback" not in err


def test_bundled_rule_files_are_formatted(capsys: pytest.CaptureFixture[str]) -> None:
    """`regles fmt --check rulesets/*.rules` passes: the bundled files are in the canonical layout."""
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rulesets").glob("*.rules"))
    assert main(["fmt", "--check", *files]) == 0, capsys.readouterr().out
