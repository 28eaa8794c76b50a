"""The VS Code folder: the TextMate grammar applied to the shipped rule files, and the extension's
manifest. The grammar uses only regular-expression features Python's `re` shares with Oniguruma
(VS Code's engine), so this test tokenizes with `re` exactly as TextMate does for single-line
`match` rules: at each position the rule whose match starts first wins, ties going to the rule
listed first."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "regles.tmLanguage.json").read_text(encoding="utf-8"))
SHIPPED = sorted((ROOT / "rulesets").glob("*.rules"))


def rules() -> list[tuple[re.Pattern[str], dict]]:
    """The grammar's rules in the order of its top-level patterns (includes resolved)."""
    out = []
    for pattern in GRAMMAR["patterns"]:
        rule = GRAMMAR["repository"][pattern["include"].lstrip("#")]
        assert set(rule) <= {"match", "name", "captures"}, "only single-line match rules are used"
        out.append((re.compile(rule["match"]), rule))
    return out


def tokenize(line: str) -> list[tuple[int, int, str]]:
    """(start, end, scope) of each scoped piece of a line."""
    compiled = rules()
    tokens, pos = [], 0
    while pos < len(line):
        best = None
        for pattern, rule in compiled:
            m = pattern.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        if "name" in rule:
            tokens.append((m.start(), m.end(), rule["name"]))
        for group, capture in rule.get("captures", {}).items():
            if m.group(int(group)) is not None:
                tokens.append((m.start(int(group)), m.end(int(group)), capture["name"]))
        pos = m.end()
    return tokens


def all_scopes() -> set[str]:
    scopes = set()
    for rule in GRAMMAR["repository"].values():
        if "name" in rule:
            scopes.add(rule["name"])
        scopes |= {c["name"] for c in rule.get("captures", {}).values()}
    return scopes


def test_grammar_identity():
    assert GRAMMAR["scopeName"] == "source.regles"
    assert GRAMMAR["fileTypes"] == ["rules"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_character_of_the_shipped_files_is_scoped(path):
    """No visible character is left without a scope: each belongs to a keyword, a name, a value,
    a string, a comment, an operator or punctuation."""
    unscoped = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        covered = [False] * len(line)
        for start, end, _ in tokenize(line):
            covered[start:end] = [True] * (end - start)
        gaps = "".join(ch for ch, c in zip(line, covered) if not c and not ch.isspace())
        if gaps:
            unscoped.append(f"{path.name}:{number}: {gaps!r} in {line!r}")
    assert unscoped == []


def test_every_token_class_appears_in_the_shipped_files():
    seen = set()
    for path in SHIPPED:
        for line in path.read_text(encoding="utf-8").split("\n"):
            seen |= {scope for _, _, scope in tokenize(line)}
    assert all_scopes() - seen == set()


def scopes_of(line: str) -> dict[str, str]:
    return {line[s:e]: scope for s, e, scope in tokenize(line)}


def test_scopes_say_what_each_word_is():
    line = '  = si option = temps_plein alors avenant7.montant_maximal sinon non applicable "pas de « si » ici" # et là'
    scopes = scopes_of(line)
    assert scopes["si"] == "keyword.control.regles"
    assert scopes["option"] == "variable.other.regles"
    assert scopes["avenant7"] == "entity.name.namespace.regles"
    assert scopes["montant_maximal"] == "variable.other.regles"
    assert scopes["non applicable"] == "constant.language.marker.regles"
    assert scopes['"pas de « si » ici"'] == "string.quoted.double.regles"  # no keyword inside a string
    assert scopes["# et là"] == "comment.line.number-sign.regles"
    scopes = scopes_of("résultat montant_verse : montant")
    assert scopes["résultat"] == "storage.type.declaration.regles"
    assert scopes["montant_verse"] == "entity.name.function.regles"
    assert scopes["montant"] == "support.type.regles"
    scopes = scopes_of("  date_signature = 01/10/2019, file_active = 2 800, taux = 7,5 %, aide = 12 000 €")
    assert scopes["01/10/2019"] == "constant.numeric.date.regles"
    assert scopes["2 800"] == scopes["7,5"] == scopes["12 000"] == "constant.numeric.regles"
    assert scopes["date_signature"] == "variable.other.regles"  # a name that starts with a type word


def test_package_json_declares_what_vscode_needs():
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    for field in ("name", "displayName", "version", "publisher", "engines", "main", "contributes"):
        assert field in package, field
    assert re.fullmatch(r"\^\d+\.\d+\.\d+", package["engines"]["vscode"])
    assert (VSCODE / package["main"]).is_file()
    [language] = package["contributes"]["languages"]
    assert language["id"] == "regles" and ".rules" in language["extensions"]
    assert json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))["comments"]["lineComment"] == "#"
    [grammar] = package["contributes"]["grammars"]
    assert grammar["language"] == "regles" and grammar["scopeName"] == GRAMMAR["scopeName"]
    assert (VSCODE / grammar["path"]).resolve() == (VSCODE / "syntaxes" / "regles.tmLanguage.json").resolve()
    assert "vscode-languageclient" in package["dependencies"]
    assert "onLanguage:regles" in package.get("activationEvents", ["onLanguage:regles"])


def test_client_starts_regles_lsp():
    script = (VSCODE / "extension.js").read_text(encoding="utf-8")
    assert "'lsp'" in script and "vscode-languageclient/node" in script
    node = shutil.which("node")
    if node is not None:  # a syntax check where Node.js is installed
        subprocess.run([node, "--check", str(VSCODE / "extension.js")], check=True, timeout=60)


def test_lsp_without_pygls_says_which_extra_to_install(tmp_path):
    """`regles lsp` without pygls: one French line naming the extra; other commands unaffected."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['pygls'] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    run = subprocess.run([sys.executable, "-m", "engine", "lsp"], env=env, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "regles : le serveur de langage demande pygls et lsprotocol : pip install 'regles[lsp]'"]
    check = subprocess.run([sys.executable, "-m", "engine", "check", str(ROOT / "rulesets" / "avenant7.rules")], env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_engine_highlight_applies_the_same_grammar():
    """engine.syntax.highlight (Pygments lexer, HTML) scopes the shipped files as this test's tokenizer does."""
    from engine.syntax.highlight import RulesLexer, highlight_html, tokens
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8")
        for line in text.split("\n"):
            assert tokens(line) == sorted(tokenize(line))
        lexed = list(RulesLexer().get_tokens_unprocessed(text))
        assert "".join(piece for _, _, piece in lexed) == text  # nothing lost, nothing added
    from pygments.token import Comment, Keyword, Name, Number, String
    kinds = {kind: piece for _, kind, piece in RulesLexer().get_tokens_unprocessed(
        'résultat aide : montant\n  = si option = tiers_temps alors 12 000 € sinon 0 € # cas\nfin\n')}
    assert kinds[Keyword.Declaration] == "résultat" and kinds[Name.Function] == "aide"
    assert kinds[Keyword.Type] == "montant" and kinds[Number] == "0" and kinds[Comment.Single] == "# cas"
    assert kinds[Keyword] == "fin" and kinds[Name.Variable] == "tiers_temps"
    assert String.Double not in kinds
    assert highlight_html('  = x < 1 # « x »') == (
        '  <span class="keyword-operator">=</span> <span class="variable-other">x</span> '
        '<span class="keyword-operator">&lt;</span> <span class="constant-numeric">1</span> '
        '<span class="comment-line-number-sign">'"# « x »</span>")


def test_pygments_finds_the_lexer_by_name():
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound
    try:
        lexer = get_lexer_by_name("regles")
    except ClassNotFound:
        pytest.skip("regles is not installed with its entry points here (editable install of another tree)")
    assert type(lexer).__name__ == "RulesLexer"


def test_doc_site_colours_rule_text_with_the_same_grammar(tmp_path):
    """`regles doc` pages colour formatted rule text with the grammar, and keep a link on each name."""
    from engine.cli.main import main
    assert main(["doc", str(ROOT / "rulesets" / "convention2024.rules"), "-o", str(tmp_path)]) == 0
    page = (tmp_path / "def-montant_maximal.html").read_text(encoding="utf-8")
    code = page[page.index("<pre"):page.index("</pre>")]
    assert '<span class="storage-type-declaration">résultat</span> <a href="def-montant_maximal.html">montant_maximal</a>' in code
    assert '<span class="keyword-control">si</span> <a href="fait-option.html">option</a> <span class="keyword-control">dans</span>' in code
    assert '<a href="ancien-avenant7-montant_maximal.html">avenant7.montant_maximal</a>' in code
    assert '<span class="constant-language-marker">indéterminé</span> <span class="chaine">' in code
    assert '<a href="sources.html#AMELI_CHANGE">AMELI_CHANGE</a>' in code
