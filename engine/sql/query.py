"""One SQL query for a whole rule file: facts in, three columns per output out.

The query reads a relation with one column per declared fact, typed as `FACT_TYPES` says (the
exact decimal text for décimal, taux and montant, so that `0,80` stays `0.80`), NULL for a fact
not given. It returns, per output `O` of the rule file, `O` (the value: BOOLEAN, HUGEINT, DATE,
or the exact text the reference path prints), `O__statut` (`valeur`, `non applicable`,
`indéterminé`, `manquant`: the words of `engine.results.STATUS_FRENCH`, as `regles batch` writes)
and `O__raison` (the reason, or `faits manquants : a, b`), then `faits_manquants`. Its body is one
CTE layer per depth of the computation (`engine.sql.code.Layers`).
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from engine import model
from engine.results import STATUS_FRENCH
from engine.sql import numbers as num
from engine.sql.code import HUGE, NUMBER_KINDS, Layers, text
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


def generate(program: model.Program, table: str = "faits", keep: Sequence[str] = ()) -> Query:
    """The query computing every output of `program` over the relation `table`.

    Args:
        program: the checked rule file.
        table: the relation (table, view or subquery in parentheses) holding one column per fact.
        keep: columns of the relation to repeat first in the result (`ligne`, `id`…).

    Raises:
        SqlUnsupported: a construct is not translated (the message names it and its rule).
    """
    names = sorted(program.facts)
    if len(names) > MAX_FACTS:
        raise SqlUnsupported(f"{len(names)} faits déclarés : le SQL en lit au plus {MAX_FACTS}")
    layers = Layers()
    facts: dict[str, tuple[str, ...]] = {}
    for index, name in enumerate(names):
        kind = program.facts[name].type.kind
        if kind in FACT_TYPES:
            facts[name] = _fact_columns(layers, index, quote(name), kind)
    bits = {name: i for i, name in enumerate(names)}
    generator = Generator(program, layers, facts, bits)
    selected: list[str] = [quote(k) for k in keep]
    masks: list[str] = []
    kinds: list[str] = []
    for output in program.outputs:
        code = generator.result(output)
        kind = program.definitions[output].type.kind
        kinds.append(kind)
        s = code.status
        shown = _shown(code.components(3 if kind in NUMBER_KINDS or kind == "duree" else 1), kind, code.fraction)
        missing_words = f"'faits manquants : ' || {_fact_list(code.missing, names)}"
        words = " ".join(f"WHEN '{k}' THEN {text(STATUS_FRENCH[w])}" for k, w in _STATUS_CODES.items())
        selected += [f"CASE WHEN {s} = 'V' THEN {shown} END AS {quote(output)}",
                     f"CASE {s} {words} END AS {quote(output + '__statut')}",
                     f"CASE WHEN {s} = 'M' THEN {missing_words} ELSE {code.reason} END AS {quote(output + '__raison')}"]
        masks.append(f"({code.missing})")
    union = " | ".join(masks) or "0"
    selected.append(f"CASE WHEN ({union}) <> 0 THEN {_fact_list(union, names)} END AS faits_manquants")
    ctes = layers.ctes(table)
    body = ",\n".join(f"{name} AS (\n  {sql}\n)" for name, sql in ctes)
    sql = f"WITH {body}\nSELECT\n  " + ",\n  ".join(selected) + f"\nFROM {layers.last}"
    return Query(sql, tuple(program.outputs), tuple(kinds))


_STATUS_CODES = {"V": "value", "N": "not_applicable", "U": "undetermined", "M": "missing"}


def _fact_columns(layers: Layers, index: int, column: str, kind: str) -> tuple[str, ...]:
    """The layer-0 columns holding a fact's value components."""
    if kind not in NUMBER_KINDS:
        return (column,)
    if kind == "entier":
        sql = [f"CAST({column} AS {HUGE})", f"CASE WHEN {column} IS NOT NULL THEN 1 END",
               f"CASE WHEN {column} IS NOT NULL THEN 0 END"]
    else:
        dot = f"strpos({column}, '.')"
        exponent = f"CASE WHEN {dot} > 0 THEN {dot} - length({column}) ELSE 0 END"
        sql = [f"CAST(replace({column}, '.', '') AS {HUGE})", num.pow10(f"-({exponent})"), exponent]
    names = []
    for part, suffix in zip(sql, "nde"):
        name = f"__f{index}{suffix}"
        layers.layers[0].append((name, part))
        names.append(name)
    return tuple(names)


def _fact_list(mask: str, names: Sequence[str]) -> str:
    """`a, b`: the names of the facts in a bit set, in sorted order."""
    parts = ", ".join(f"CASE WHEN ({mask}) & {1 << i} <> 0 THEN {text(n)} END" for i, n in enumerate(names))
    return f"concat_ws(', ', {parts})"


def _shown(value: tuple[str, ...], kind: str, fraction: bool) -> str:
    if kind in NUMBER_KINDS:
        return value[0] if kind == "entier" else num.number_text((value[0], value[1], value[2]), kind, fraction)
    if kind == "duree":
        return duration_text(*value)
    return value[0]
