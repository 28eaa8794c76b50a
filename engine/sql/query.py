"""One SQL query for a whole rule file: facts in, three columns per output out.

The query reads a relation with one column per declared fact, typed as `FACT_TYPES` says (the
exact decimal text for décimal, taux and montant, so that `0,80` stays `0.80`), NULL for a fact
not given. It returns, per output `O` of the rule file, `O` (the value: BOOLEAN, HUGEINT, DATE,
or the exact text the reference path prints), `O__statut` (`valeur`, `non applicable`,
`indéterminé`, `manquant`: the words of `engine.lang.results.STATUS_FRENCH`, as `regles batch` writes)
and `O__raison` (the reason, or `faits manquants : a, b`), then `faits_manquants`. Its body is one
CTE layer per depth of the computation (`engine.sql.code.Layers`).
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from engine.check import model
from engine.lang.kinds import TypeKind
from engine.lang.results import STATUS_FRENCH
from engine.sql import numbers as num
from engine.sql.code import NUMBER_KINDS, STATUS_CODES, Code, Layers, bor, text
from engine.sql.dates import duration_text
from engine.sql.exprs import SqlUnsupported
from engine.sql.nodes import Generator

FACT_TYPES = {"booleen": "BOOLEAN", "entier": "BIGINT", "date": "DATE", "texte": "VARCHAR", "enum": "VARCHAR",
              "decimal": "VARCHAR", "taux": "VARCHAR", "montant": "VARCHAR"}
"""The SQL type of a fact column, by type kind (exact numbers as their decimal text: `0.80`)."""
MAX_FACTS = 62
"""Facts a rule file may declare: the missing facts of a result are a BIGINT bit set."""


@frozen
class Query:
    """A generated query and what it returns."""

    sql: str
    outputs: tuple[str, ...]
    kinds: tuple[str, ...]
    """The type kind of each output."""


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def generate(program: model.Program, table: str = "faits", keep: Sequence[str] = (), nested: bool = False,
             given: frozenset[str] = frozenset(), wide: bool = True) -> Query:
    """The query computing every output of `program` over the relation `table`.

    The query prints alone (`regles sql`) with the defaults. `regles batch` and `regles diff` on DuckDB
    specialise it to the rows they read: `given` and `wide=False` make it a fifth faster on the 2024
    rule file, the same cells.

    Args:
        program: the checked rule file.
        table: the relation (table, view or subquery in parentheses) holding one column per fact.
        keep: columns of the relation to repeat first in the result (`ligne`, `id`…).
        nested: layers as nested subqueries rather than a WITH clause, each passing on its
            predecessor's columns as `* EXCLUDE (…)` (the same query, for DuckDB).
        given: facts whose column is never NULL in `table` (the caller has counted): their status is the
            constant `0`, and every status test, reason and missing set that reads only such facts
            folds away when the query is generated.
        wide: integers of 128 bits; `False`, of 64 bits, which only DuckDB checks: the query then raises
            rather than give another cell than the wide one (`engine.sql.numbers.WIDE`).

    Raises:
        SqlUnsupported: a construct is not translated (the message names it and its rule).
        TooWide: on 64 bits, a constant of the rule file does not fit.
    """
    names = sorted(program.facts)
    if len(names) > MAX_FACTS:
        raise SqlUnsupported(f"{len(names)} faits déclarés : le SQL en lit au plus {MAX_FACTS}")
    layers = Layers()
    facts: dict[str, Code] = {}
    for index, name in enumerate(names):
        kind = program.facts[name].type.kind
        if kind in FACT_TYPES:
            facts[name] = _fact_code(layers, index, quote(name), kind, name in given, wide)
    generator = Generator(program, layers, facts, wide)
    selected: list[str] = [quote(k) for k in keep]
    masks: list[str] = []
    kinds: list[str] = []
    for output in program.outputs:
        code = generator.result(output)
        kind = program.definitions[output].type.kind
        kinds.append(kind)
        s = code.status
        shown = _shown(layers, code, kind)
        read = facts_read(program, output)
        missing_words = f"'faits manquants : ' || {_fact_list(code.missing, names, read)}"
        words = " ".join(f"WHEN {STATUS_CODES[k]} THEN {text(STATUS_FRENCH[w])}" for k, w in _STATUS_CODES.items())
        selected += [f"CASE WHEN {s} = 0 THEN {shown} END AS {quote(output)}",
                     f"CASE {s} {words} END AS {quote(output + '__statut')}",
                     f"CASE WHEN {s} = 3 THEN {missing_words} ELSE {code.reason} END AS {quote(output + '__raison')}"]
        masks.append(code.missing)
    union = bor(*masks)  # the facts some output misses (an output never missing adds nothing)
    union_name, _ = layers.column(union, layers.depth)
    everything = set().union(*(facts_read(program, o) for o in program.outputs))
    missing = _fact_list(union_name, names, everything)
    selected.append(f"CASE WHEN {union_name} <> 0 THEN {missing} END AS faits_manquants")
    final = ",\n  ".join(selected)
    base = [quote(c) for c in keep]
    ctes = layers.ctes(base, final, star=nested)
    if nested:  # DuckDB plans nested subqueries about twice as fast as the same CTEs
        source = table
        for name, items in ctes:
            source = f"(SELECT {items}\n FROM {source}) AS {name}"
        sql = f"SELECT\n  {final}\nFROM {source}"
    else:
        sources = [table] + [name for name, _ in ctes]
        body = ",\n".join(f"{name} AS (\n  SELECT {items}\n  FROM {src}\n)"
                           for (name, items), src in zip(ctes, sources[:-1], strict=True))
        sql = f"WITH {body}\nSELECT\n  {final}\nFROM {sources[-1]}"
    return Query(sql, tuple(program.outputs), tuple(kinds))


_STATUS_CODES = {"V": "value", "N": "not_applicable", "U": "undetermined", "M": "missing"}


def _fact_code(layers: Layers, index: int, column: str, kind: str, given: bool, wide: bool) -> Code:
    """A fact read from its column: its status, value components and missing bit as layer-0 columns
    (a decimal's denominator 10^-e in layer 1, from its exponent's column: a power of ten is chosen
    among nineteen, and its exponent would be computed again for each); a fact never NULL (`given`) has
    the status `0` and no missing bit, as literals."""
    integer = num.integer_type(wide)
    if kind not in NUMBER_KINDS:
        parts = [column]
    elif kind == TypeKind.ENTIER:  # an integer is n/1, exponent 0: the operations on it fold
        parts = [f"CAST({column} AS {integer})"]
    else:
        dot = f"strpos({column}, '.')"
        parts = [f"CAST(replace({column}, '.', '') AS {integer})",
                 f"CASE WHEN {dot} > 0 THEN {dot} - length({column}) ELSE 0 END"]
    names = []
    for part, suffix in zip(parts, "ne", strict=False):  # one part (not a number) or two (n, e)
        name = f"__f{index}{suffix}"
        layers.layers[0].append((name, part))
        names.append(name)
    if given:
        status, mask = "0", "0"
    else:
        status, mask = f"__f{index}s", f"__f{index}m"
        layers.layers[0].append((status, f"CASE WHEN {column} IS NULL THEN 3 ELSE 0 END"))
        layers.layers[0].append((mask, f"CASE WHEN {column} IS NULL THEN {1 << index} ELSE 0 END"))
    if kind == TypeKind.ENTIER:
        return Code(status, (names[0], "1", "0"), "NULL", mask)
    if len(names) == 1:
        return Code(status, tuple(names), "NULL", mask)
    while len(layers.layers) < 2:
        layers.layers.append([])
    denominator = f"__f{index}d"
    layers.layers[1].append((denominator, num.pow10(f"-{names[1]}", wide)))
    return Code(status, (names[0], denominator, names[1]), "NULL", mask, layer=1)


def facts_read(program: model.Program, name: str) -> set[str]:
    """The facts the evaluation of a definition may read (and so report missing)."""
    found: set[str] = set()
    seen: set[tuple[str | None, str]] = set()
    stack: list[tuple[str | None, str]] = [(None, name)]
    while stack:
        origin, current = stack.pop()
        if (origin, current) in seen:
            continue
        seen.add((origin, current))
        if current in program.facts and origin is None:
            found.add(current)
            continue
        d = program.definition(current, origin)
        if d.guard is not None:
            stack.append((None, d.guard.name))
        for expr in model.definition_exprs(d):
            for node in model.walk(expr):
                if isinstance(node, model.FactRef):
                    found.add(node.name)
                elif isinstance(node, (model.DefRef, model.TableCall, model.FuncCall)):
                    stack.append((node.origin, node.name))
    return found


def _fact_list(mask: str, names: Sequence[str], read: set[str]) -> str:
    """`a, b`: the names of the facts in a bit set (of those that may be in it), in sorted order."""
    parts = ", ".join(f"CASE WHEN ({mask}) & {1 << i} <> 0 THEN {text(n)} END"
                      for i, n in enumerate(names) if n in read)
    if not parts:
        return "CAST(NULL AS VARCHAR)"
    return f"concat_ws(', ', {parts})"


def _shown(layers: Layers, code: Code, kind: str) -> str:
    if kind in NUMBER_KINDS:
        n, d, e = code.components(3)
        return n if kind == TypeKind.ENTIER else num.number_text(layers, (n, d, e), kind, code.fraction, code.layer)
    if kind == TypeKind.DUREE:
        return duration_text(*code.components(3))
    return code.components(1)[0]
