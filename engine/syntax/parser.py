"""Stage 1: text → lark parse tree.

Loads `grammar/regles.lark` once (from inside the installed package, else from the repository),
parses a `Source` with the LALR parser and turns every lark exception into a `Diagnostic`:
expected tokens are named in words, and common mistakes get a curated message found by
`UnexpectedInput.match_examples`, as lark's own grammar loader does (`SYNTAX_ERRORS`).
Also rejects what the parser should never see: empty files, bytes that are not UTF-8, and
nesting deeper than later stages can walk.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict, cast

import lark
from attrs import frozen
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule
from lark.lexer import TerminalDef

from engine.base import privatecache
from engine.base.diagnostics import Diagnostic, RulesError, error
from engine.base.source import Source, Span

MAX_DEPTH = 100
"""Deepest expression nesting accepted; later stages walk trees recursively."""

_REPO_GRAMMAR = Path(__file__).resolve().parents[2] / "grammar" / "regles.lark"


def grammar_path() -> Path:
    """Return the grammar file: the copy shipped in the wheel, else the repository's."""
    shipped = resources.files("engine") / "_grammar" / "regles.lark"
    if shipped.is_file():
        return Path(str(shipped))
    return _REPO_GRAMMAR


class _Options(TypedDict):
    """The options the parser is built with (they also key its cached tables)."""

    parser: str
    propagate_positions: bool
    maybe_placeholders: bool
    start: list[str]


_OPTIONS: _Options = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True,
                      "start": ["start", "cell", "key"]}


@functools.cache
def parser(strict: bool = False) -> Lark:
    """Return the LALR parser, with the `start`, `cell` and `key` entry points.

    Building the tables takes about half a second, so they are kept between runs, but never in
    lark's own cache (`cache=True`): that one unpickles a predictable file in the shared temporary
    directory, which another user can plant. They are kept in the private cache directory instead
    (`engine.base.privatecache`: 0700, sealed by an HMAC checked before loading, unpickled with no class
    allowed at all, since the tables are plain data), keyed by the grammar, lark's version and the
    options. Without a usable private directory, the tables are built at every start.
    """
    callbacks = {"COMMENT": _collect_comment}
    path = grammar_path()
    if strict:
        return Lark.open(str(path), strict=True, lexer_callbacks=callbacks, **_OPTIONS)
    name = _tables_name(path.read_bytes())
    tables = _cached_tables(name)
    if tables is not None:
        try:
            return Lark._load_from_dict(tables["data"], tables["memo"], lexer_callbacks=callbacks)
        except Exception as exc:  # noqa: BLE001 - sealed tables another lark wrote: build them again
            privatecache.log.warning("cache : tables de l'analyseur illisibles (%s) ; elles sont reconstruites", exc)
    built = Lark.open(str(path), lexer_callbacks=callbacks, **_OPTIONS)
    data, memo = built.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "lexer_callbacks"}
    privatecache.write(name, pickle.dumps({"data": data, "memo": memo}, protocol=pickle.HIGHEST_PROTOCOL))
    return built


def _tables_name(grammar: bytes) -> str:
    h = hashlib.sha256(grammar + b"\0" + lark.__version__.encode() + b"\0" + repr(sorted(_OPTIONS.items())).encode()
                       + b"\0" + sys.version.encode())
    return f"lark-{h.hexdigest()}.tables"


def _cached_tables(name: str) -> dict[str, Any] | None:
    """The parser tables stored by an earlier run, or None. They are plain data: no class may be unpickled.

    `REGLES_NO_CACHE` does not turn these off: it is about checked rule files, as it was when lark
    kept the tables itself."""
    payload = privatecache.read(name)
    if payload is None:
        return None
    try:
        tables = privatecache.RestrictedUnpickler(payload, lambda module, name: False).load()
    except Exception as exc:  # noqa: BLE001 - a sealed entry that is not tables: rebuild
        privatecache.log.warning("cache : tables de l'analyseur illisibles (%s) ; elles sont reconstruites", exc)
        return None
    return tables if isinstance(tables, dict) and {"data", "memo"} <= tables.keys() else None


_state = threading.local()
"""The comments of the parse under way, per thread: lark calls `_collect_comment` while it lexes, and
one list shared by every thread lost the comments of concurrent `fmt.format_text` calls."""


def _collect_comment(token: Token) -> Token:
    found = getattr(_state, "comments", None)
    if found is not None:
        found.append(token)
    return token


@frozen
class Parsed:
    """A parse tree with the comments lark skipped, kept for the formatter."""

    tree: Tree
    comments: tuple[Token, ...]


def decode(data: bytes, name: str) -> Source:
    """Decode rule-file bytes as UTF-8 (a BOM is allowed), or raise `RulesError` E104."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", errors="replace")
        source = Source(name, prefix + "\ufffd")
        span = source.span(len(prefix), len(prefix) + 1)
        raise RulesError((error("E104", f"le fichier n'est pas en UTF-8 (octet 0x{data[exc.start]:02x} "
                                        f"à la position {exc.start})", span,
                                "enregistrez le fichier en UTF-8 depuis votre éditeur"),),
                         {name: source}) from None
    return Source(name, text)


def parse(source: Source, start: str = "start") -> Parsed:
    """Parse a source (or one table cell with `start="cell"`/`"key"`) into a lark tree.

    Raises:
        RulesError: with one diagnostic, the first syntax error.
    """
    if start == "start" and not source.text.strip():
        raise RulesError((error("E103", "le fichier est vide", source.span(0, 0),
                                'un fichier de règles commence par : règles "Titre"'),),
                         {source.name: source})
    _check_brackets(source, start)
    found: list[Token] = []
    _state.comments = found
    try:
        tree = parser().parse(source.text, start=start)
    except UnexpectedInput as exc:
        raise RulesError((_diagnose(exc, source, start),), {source.name: source}) from None
    except RecursionError:  # pragma: no cover - guarded by _check_brackets
        raise RulesError((_too_deep(source, 0),), {source.name: source}) from None
    finally:
        _state.comments = None
    comments = tuple(found)
    _check_depth(tree, source)
    return Parsed(tree, comments)


# ─── Depth guards ──────────────────────────────────────────────────────────────────────────────

def _too_deep(source: Source, offset: int) -> Diagnostic:
    return error("E105", f"expression imbriquée trop profondément (plus de {MAX_DEPTH} niveaux)",
                 source.span(offset, offset + 1),
                 "découpez l'expression en règles intermédiaires nommées")


def _check_brackets(source: Source, start: str) -> None:
    """Reject absurd parenthesis nesting before the parser builds a tree that deep."""
    depth = 0
    text = source.text
    offset, end = 0, len(text)
    while offset < end:
        ch = text[offset]
        if ch == "#":  # a comment runs to the end of the line: its brackets are prose
            found = text.find("\n", offset)
            offset = end if found < 0 else found
        elif ch == '"':  # so are a text's
            found = text.find('"', offset + 1)
            offset = end if found < 0 else found
        elif ch in "({":
            depth += 1
            if depth > MAX_DEPTH:
                raise RulesError((_too_deep(source, offset),), {source.name: source})
        elif ch in ")}":
            depth = max(0, depth - 1)
        offset += 1


def _check_depth(tree: Tree, source: Source) -> None:
    """Walk the tree iteratively and reject nesting deeper than MAX_DEPTH (e.g. `si` chains)."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH * 3:
            offset = node.meta.start_pos if not node.meta.empty else 0
            raise RulesError((_too_deep(source, offset),), {source.name: source})
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


# ─── Error translation ─────────────────────────────────────────────────────────────────────────

_TERMINAL_WORDS = {
    "NAME": "un nom", "NUMBER": "un nombre", "DATE": "une date (jj/mm/aaaa)",
    "STRING": "un texte entre guillemets", "TABLE_ROW": "une ligne de tableau « | … | »",
    "$END": "la fin du fichier", "L_APOS": "« l' »", "JUSQU": "« jusqu' »",
}

SYNTAX_ERRORS: list[tuple[str, str, str, list[str]]] = [
    ("E110", "bloc non fermé : « fin » manquant avant la déclaration suivante",
     "terminez chaque bloc (fait, paramètre, règle, table, exemple) par « fin »",
     ['règles "t"\nrègle a : entier = 1\nrègle b : entier = 2 fin',
      'règles "t"\nfait a : entier\nfait b : entier fin',
      'règles "t"\nparamètre a = 1\nparamètre b = 2 fin',
      'règles "t"\nrègle a : entier = 1\nfait b : entier fin',
      'règles "t"\nfait a : entier\nrègle b : entier = 1 fin',
      'règles "t"\nrègle a : entier = 1\nparamètre b = 2 fin',
      'règles "t"\nrègle a : entier = 1\ntable b (x : entier) : entier fin',
      'règles "t"\nrègle a : entier = 1\nexemple "e" attendu fin',
      'règles "t"\nfait a : entier "d"\nrègle b : entier = 1 fin',
      'règles "t"\nfait a : entier parmi {1}\nrègle b : entier = 1 fin',
      'règles "t"\nfait a : entier parmi {1, 2}\nrègle b : entier = 1 fin',
      'règles "t"\nfait a : entier au moins 1\nrègle b : entier = 1 fin',
      'règles "t"\nfait a : entier question "q"\nrésultat b : entier = 1 fin',
      'règles "t"\nparamètre a = 1 source "s"\nrègle b : entier = 1 fin',
      'règles "t"\ntable a (x : entier) : entier\n| x | a |\n| 1 | 2 |\nrègle b : entier = 1 fin']),
    ("E111", "la formule « = … » doit être le dernier élément de la règle",
     "placez source, description et statut avant la ligne « = … »",
     ['règles "t"\nrègle a : entier = 1 source "s" fin',
      'règles "t"\nrègle a : entier = 1 "description" fin',
      'règles "t"\nrègle a : entier = 1 applicable si b fin',
      'règles "t"\nrègle a : entier = 1 à confirmer fin',
      'règles "t"\nrègle a : entier = 1 choix de modélisation fin',
      'règles "t"\nrègle a : entier = 1 unité "u" fin',
      'règles "t"\nrègle a : entier = b question "q" fin',
      'règles "t"\nrègle a : entier = b source "s" fin',
      'règles "t"\nrègle a : entier = 1 remplace f.a fin']),
    ("E112", "comparaisons enchaînées : une comparaison ne peut pas en suivre une autre",
     "reliez les deux comparaisons par « et » : a < b et b < c",
     ['règles "t"\nrègle a : booléen = 1 < 2 < 3 fin',
      'règles "t"\nrègle a : booléen = 1 = 2 > 3 fin']),
    ("E113", "« si » sans « sinon » : une condition doit dire que faire dans les deux cas",
     'ajoutez « sinon … » (par exemple « sinon non applicable "raison" »)',
     ['règles "t"\nrègle a : entier = si vrai alors 1 fin',
      'règles "t"\nrègle a : entier = si vrai alors 1 + 2 fin']),
    ("E114", "« alors » manquant après la condition d'un « si »",
     "écrivez : si condition alors valeur sinon autre valeur",
     ['règles "t"\nrègle a : entier = si vrai 1 sinon 2 fin',
      'règles "t"\nrègle a : entier = si a = 1 1 sinon 2 fin',
      'règles "t"\nrègle a : entier = si a 1 sinon 2 fin']),
    ("E115", "type manquant après « : »",
     "indiquez un type : montant, taux, entier, décimal, booléen, date, durée, texte ou énumération {…}",
     ['règles "t"\nrègle a : = 1 fin', 'règles "t"\nfait a : fin', 'règles "t"\nfait a : "description" fin']),
    ("E116", "formule manquante : une règle se termine par « = expression » puis « fin »",
     "ajoutez la ligne « = … » qui définit la valeur de la règle",
     ['règles "t"\nrègle a : entier fin', 'règles "t"\nrègle a : entier source "s" fin']),
    ("E117", "« attendu » manquant : un exemple donne des faits puis « attendu » et les résultats",
     "ajoutez « attendu » avant les résultats attendus",
     ['règles "t"\nexemple "e" a = 1 fin']),
    ("E118", "un fichier de règles commence par son titre : règles \"Titre\"",
     'ajoutez en première ligne : règles "Titre du texte encodé"',
     ['fait a : entier fin', 'règle a : entier = 1 fin', 'paramètre a = 1 fin']),
]


def _diagnose(exc: UnexpectedInput, source: Source, start: str) -> Diagnostic:
    """Turn a lark exception into a diagnostic: curated message if one matches, else generic."""
    span = _error_span(exc, source)
    keyword_as_name = _keyword_where_name_expected(exc)
    if keyword_as_name is not None:
        return error("E119", f"« {keyword_as_name} » est lu ici comme un mot-clé du langage, pas comme un nom", span,
                     "s'il s'agit d'un nom, séparez-le de ce qui précède par une virgule, ou renommez-le")
    if start == "start":
        curated = _match_curated(exc, source)
        if curated is not None:
            code, message, hint = curated
            return error(code, message, span, hint)
    eaten = _keyword_read_as_name(exc) if _at_end(exc) else None
    if eaten is not None:
        start_pos = eaten.start_pos or 0
        return error("E101", f"« {eaten} » inattendu ici", source.span(start_pos, eaten.end_pos or start_pos + 1),
                     f"une valeur manque avant « {eaten} » : complétez l'expression")
    if isinstance(exc, UnexpectedCharacters):
        pos = cast("int", exc.pos_in_stream)  # lark types the attribute on the base class as None
        char = source.text[pos] if pos < len(source.text) else ""
        return error("E100", f"caractère inattendu « {char} »", span,
                     _expected_hint(exc.allowed or set()))
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return error("E102", "fin du fichier inattendue", span, _expected_hint({str(name) for name in exc.expected}))
    assert isinstance(exc, UnexpectedToken)
    found = str(exc.token).strip() or exc.token.type
    if found == "{":
        return error("E101", "« { » inattendu ici", span, SET_PLACES)
    return error("E101", f"« {_shorten(found)} » inattendu ici", span, _expected_hint(exc.expected))


SET_PLACES = ("un ensemble {…} s'écrit après « dans » ou « pas dans » (couleur dans {rouge, vert}), "
              "comme valeur d'un paramètre (paramètre exclues = {rouge, vert} fin), lu ensuite par "
              "« dans exclues », ou après « parmi » dans le type d'un fait")


def _keyword_where_name_expected(exc: UnexpectedInput) -> str | None:
    """The word, when the lexer read a keyword where a name was expected (`a` read as `à`)."""
    if not isinstance(exc, UnexpectedToken) or exc.token.type in {"NAME", "$END"}:
        return None
    word = str(exc.token)
    if word.isidentifier() and word not in RESERVED and "NAME" in (exc.expected or ()):
        return word
    return None


def _match_curated(exc: UnexpectedInput, source: Source) -> tuple[str, str, str] | None:
    """The curated message whose example fails in the same parser state.

    Unlike lark's `match_examples`, states are compared by their LALR state only, not by stack
    depth (which differs between the first declaration of a file and the others), and an error
    at the end of the file never matches an example that fails elsewhere, or the reverse ("bloc
    non fermé … avant la déclaration suivante" is wrong when the file simply ends). The example
    errors are computed once.
    """
    if isinstance(exc, UnexpectedCharacters) or getattr(exc, "state", None) is None:
        return None  # a stray character is a lexical slip: "caractère inattendu" says it best
    at_end = _at_end(exc)
    open_si = any(isinstance(v, Tree) and v.data == "_si" for v in exc.state.value_stack)
    same_type = same_state = None
    for label, example in _curated_examples():
        if example.state.position != exc.state.position or _at_end(example) != at_end:
            continue
        if label[0] in {"E113", "E114"} and not open_si:
            continue  # LALR states are shared: only speak of « si » when one is open
        if isinstance(exc, UnexpectedToken) and isinstance(example, UnexpectedToken):
            if example.accepts != exc.accepts:
                continue
            if example.token == exc.token:
                return label
            if example.token.type == exc.token.type:
                same_type = same_type or label
        same_state = same_state or label
    return same_type or same_state


def _keyword_read_as_name(exc: UnexpectedInput) -> Token | None:
    """The keyword (`fin`…) read as a name just before the end of the file, if that is what happened.

    The contextual lexer reads `fin` as a name where a value is expected (`x +` then `fin`), so the
    parser only fails at the end of the file; the mistake is at that keyword.
    """
    stack = getattr(getattr(exc, "state", None), "value_stack", None)
    node = stack[-1] if stack else None
    while isinstance(node, Tree) and node.children:
        node = node.children[-1]
    if isinstance(node, Token) and node.type == "NAME" and str(node) in RESERVED:
        return node
    return None


def _at_end(exc: UnexpectedInput) -> bool:
    return isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END")


@functools.cache
def _curated_examples() -> tuple[tuple[tuple[str, str, str], UnexpectedInput], ...]:
    found = []
    for code, message, hint, cases in SYNTAX_ERRORS:
        for case in cases:
            try:
                parser().parse(case, start="start")
            except UnexpectedInput as example:
                found.append(((code, message, hint), example))
    return tuple(found)


def _error_span(exc: UnexpectedInput, source: Source) -> Span:
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token = exc.token
        start = token.start_pos if token.start_pos is not None else 0
        return source.span(start, max(start + 1, token.end_pos or start + 1))
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None or _at_end(exc):
        pos = len(source.text.rstrip())  # just after the last word: where the missing text goes
    return source.span(pos, min(pos + 1, len(source.text)))


def _expected_hint(expected: set[str] | frozenset[str]) -> str | None:
    words = sorted({_describe(name) for name in expected if not name.startswith("_")} - {""})
    if not words:
        return None
    shown = words[:10]
    more = ", …" if len(words) > 10 else ""
    return "attendu : " + ", ".join(shown) + more


@functools.cache
def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    try:
        pattern = parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    if pattern.type == "str":
        return f"« {pattern.value} »"
    return terminal.lower()


def _shorten(text: str, width: int = 40) -> str:
    text = text.splitlines()[0] if text else text
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_fragment(source: Source, offset: int, text: str, start: str) -> Tree:
    """Parse a piece of one line (a table cell) that starts at `offset` in `source`.

    The fragment is parsed on its own: token positions are offsets from the start of the cell, so
    add `offset` to get positions in the source. (Padding the cell to its column, as this once did,
    made checking a row quadratic in its length: every cell re-read the whole line before it.)

    Raises:
        RulesError: with the diagnostic positioned in the whole source.
    """
    local = Source(source.name, text)
    try:
        tree = parser().parse(text, start=start)
        _check_depth(tree, local)  # a cell is parsed on its own: the file's depth check did not see it
        return tree
    except UnexpectedInput as exc:
        diagnostic = _diagnose(exc, local, start)
    except RulesError as exc:
        diagnostic = exc.diagnostics[0]
    s = diagnostic.span  # positioned in the cell
    absolute = source.span(offset + s.start, offset + s.end)
    message = diagnostic.message
    if start == "key":
        message = f"clé de tableau illisible : {message}"
    raise RulesError((error(diagnostic.code, message, absolute, diagnostic.hint),), {source.name: source})


RESERVED = frozenset({
    "si", "alors", "sinon", "et", "ou", "non", "vrai", "faux", "dans", "pas", "fin", "texte",
    "indéterminé", "indetermine", "arrondi", "tronqué", "tronque", "au", "jour", "jours", "mois",
    "an", "ans", "année", "années", "annee", "annees", "euro", "euros", "applicable", "attendu",
    "manquant",
})
"""Keywords that can start or continue an expression (or an example's entries).

The contextual lexer treats a word as a keyword only where the grammar expects that keyword, so
`montant`, `taux` or `date` can name a rule. These words, though, are expected exactly where a
name could also stand, so a rule named `si` or `jours` would silently change the meaning of a
formula: the builder refuses them as names (E107). Other keywords stay usable as names; where one
is read as a keyword (an example entry named `a` right after a value, without a comma), the syntax
error says so.
"""


def reserved_words() -> frozenset[str]:
    """Words that cannot name a fact, parameter, rule, function or table."""
    return RESERVED
