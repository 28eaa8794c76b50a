"""Checking table grids: keys against the table's key types, band coverage, cell types.

Called by `engine.check.checker` for each table (and each dated version of one). A grid's first row
holds the column keys (two-key tables) or labels (one-key tables); every other row starts with
its row key. Bands on a numeric key must neither overlap nor leave a gap, and an enumeration key
must cover every word (or have an `autre` row), so that a lookup can never fall through.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from engine.base.diagnostics import Diagnostic, Label, error, suggest
from engine.base.source import Span
from engine.check import model
from engine.check.expressions import literal_type
from engine.lang.kinds import KeyKind, TypeKind
from engine.lang.types import ANY, Type, assignable, literal_hint
from engine.syntax import ast

CheckCell = Callable[[ast.Expr, Type], model.Expr]


def build_grid(table: ast.Table, rows: list[ast.Row], key_types: tuple[Type, ...], result: Type,
               check_cell: CheckCell, report: Callable[[Diagnostic], None]) -> model.Grid | None:
    """Turn the rows of a table into a checked Grid, reporting every problem found."""
    if len(key_types) not in (1, 2):
        report(error("E506", f"une table a une ou deux clés, « {table.name} » en a {len(key_types)}",
                     table.span, "découpez la table en plusieurs tables de deux clés au plus"))
        return None
    if len(rows) < 2:
        report(error("E507", f"la table « {table.name} » n'a pas de ligne de valeurs", table.span,
                     "écrivez une ligne d'en-tête puis une ligne « | clé | valeur | » par cas"))
        return None
    header, body = rows[0], rows[1:]
    width = len(header.cells)
    if len(key_types) == 1 and width != 2:
        report(error("E504", f"l'en-tête d'une table à une clé a deux colonnes, celle-ci en a {width}",
                     header.span, "écrivez « | clé | valeur | »"))
        return None
    columns = None
    if len(key_types) == 2:
        columns = tuple(_key(c, key_types[1], report) for c in header.cells[1:])
        _check_coverage(columns, key_types[1], header.span, "colonne", report)
    row_keys = []
    cells = []
    dropped = False
    for row in body:
        if len(row.cells) != width:
            report(error("E504", f"cette ligne a {len(row.cells)} cellules, l'en-tête en a {width}",
                         row.span, "chaque ligne a autant de cellules que la ligne d'en-tête"))
            dropped = True  # its key is unknown: coverage of the rows cannot be judged
            continue
        row_keys.append(_key(row.cells[0], key_types[0], report))
        cells.append(tuple(_cell(c, result, check_cell, report) for c in row.cells[1:]))
    keys = tuple(row_keys)
    if not dropped:
        _check_coverage(keys, key_types[0], table.span, "ligne", report)
    return model.Grid(keys, columns, tuple(cells), span=table.span)


def _cell(cell: ast.Cell, result: Type, check_cell: CheckCell,
          report: Callable[[Diagnostic], None]) -> model.CellInfo:
    if cell.value is None:
        if not cell.text:
            report(error("E508", "cellule vide", cell.span,
                         'écrivez une valeur, ou non applicable "raison" si le cas ne se présente pas'))
        return model.CellInfo(model.Const(None, ANY), cell.text, span=cell.span)
    expr = check_cell(cell.value, result)
    if not assignable(result, _type_of(expr)):
        report(error("E303", f"cette cellule vaut un {_type_of(expr)}, la table donne un {result}",
                     cell.span, literal_hint(result, _type_of(expr))))
    status = None
    if cell.status is not None:
        status = model.StatusInfo(cell.status.kind, cell.status.note, span=cell.status.span)
    return model.CellInfo(expr, cell.text, status, span=cell.span)


def _type_of(expr: model.Expr) -> Type:
    return expr.type


def _key(cell: ast.Cell, key_type: Type, report: Callable[[Diagnostic], None]) -> model.Key:
    key = cell.key
    span = cell.span
    if key is None:
        return model.Key(KeyKind.INVALID, text=cell.text, span=span)
    if isinstance(key, ast.KeyName):
        if key.name in {"autre", "autres"}:
            return model.Key(KeyKind.OTHER, text=cell.text, span=span)
        if key_type.kind is not TypeKind.ENUM or key.name not in key_type.values:
            hint = suggest(key.name, key_type.values) if key_type.kind is TypeKind.ENUM else None
            expected = f"un mot de l'{key_type}" if key_type.kind is TypeKind.ENUM else f"une clé de type {key_type}"
            report(error("E204", f"clé inconnue « {key.name} » : attendu {expected}", span, hint))
            return model.Key(KeyKind.INVALID, text=cell.text, span=span)
        return model.Key(KeyKind.ENUM, key.name, text=cell.text, span=span)
    if isinstance(key, ast.KeyValue):
        if not _literal_fits(key.value, key_type):
            report(error("E302", f"la clé « {cell.text} » n'est pas du type de la clé ({key_type})", span))
        return model.Key(KeyKind.VALUE, key.value.value, text=cell.text, span=span)
    low: model.Ordered | None = key.low.value if key.low is not None else None
    high: model.Ordered | None = key.high.value if key.high is not None else None
    if not key_type.is_numeric and key_type.kind not in {TypeKind.DATE, TypeKind.ANY}:
        report(error("E509", f"une tranche demande une clé numérique ou date, pas un {key_type}", span))
        return model.Key(KeyKind.INVALID, text=cell.text, span=span)
    for bound in (key.low, key.high):
        if bound is not None and not _literal_fits(bound, key_type):
            report(error("E302", f"la tranche « {cell.text} » n'est pas du type de la clé ({key_type})", span,
                         literal_hint(key_type, literal_type(bound))))
            return model.Key(KeyKind.INVALID, text=cell.text, span=span)  # its bounds cannot be compared
    if low is not None and high is not None and (low > high or (low == high and not key.high_inclusive)):
        report(error("E510", f"tranche vide « {cell.text} » : la borne basse dépasse la borne haute", span))
        return model.Key(KeyKind.INVALID, text=cell.text, span=span)  # no gap or overlap reported around it
    return model.Key(KeyKind.BAND, low=low, low_inclusive=key.low_inclusive, high=high,
                     high_inclusive=key.high_inclusive, text=cell.text, span=span)


def _literal_fits(lit: ast.Literal, key_type: Type) -> bool:
    return assignable(key_type, literal_type(lit))


def _check_coverage(keys: tuple[model.Key, ...], key_type: Type, span: Span, where: str,
                    report: Callable[[Diagnostic], None]) -> None:
    """Duplicates, enumeration coverage, and band gaps/overlaps for one axis of a grid."""
    if any(k.kind is KeyKind.INVALID for k in keys):
        return
    has_other = any(k.kind is KeyKind.OTHER for k in keys)
    seen: dict[object, model.Key] = {}
    for key in keys:
        if key.kind in {KeyKind.ENUM, KeyKind.VALUE}:
            if key.value in seen:
                report(error("E505", f"clé « {key.text} » en double", key.span,
                             labels=[Label(seen[key.value].span, "première occurrence")]))
            seen[key.value] = key
    if key_type.kind is TypeKind.ENUM and not has_other:
        missing = [v for v in key_type.values if v not in seen]
        if missing and not any(k.kind is KeyKind.BAND for k in keys):
            listed = ", ".join(missing)
            report(error("E503", f"cas non couverts par les {where}s de la table : {listed}", span,
                         f"ajoutez une {where} par cas, ou une {where} « autre »"))
    bands = [k for k in keys if k.kind is KeyKind.BAND]
    if bands:
        _check_bands(bands, span, report, has_other, integer=key_type.kind is TypeKind.ENTIER)


def _check_bands(bands: list[model.Key], span: Span, report: Callable[[Diagnostic], None], has_other: bool,
                 integer: bool = False) -> None:
    """Sort bands by lower bound and check that each starts exactly where the previous ended.

    On an `entier` key, `jusqu'à 40` and `41 et plus` leave no gap: no integer lies between them.
    """
    def low_key(k: model.Key) -> tuple[bool, object, int]:
        """Unbounded first, then by lower bound (numbers or dates, all of one type), inclusive first."""
        return (k.low is not None, k.low if k.low is not None else 0, 0 if k.low_inclusive else 1)

    ordered = sorted(bands, key=low_key)
    first = ordered[0]
    if first.low is not None and not has_other:
        below = "jusqu'à" if not first.low_inclusive else "moins de"
        report(error("E502", f"trou avant la première tranche « {first.text} » : les valeurs en dessous "
                             "ne sont couvertes par aucune tranche", first.span,
                     f"commencez par une tranche « {below} {_show(first.low)} »"))
    for previous, current in itertools.pairwise(ordered):
        if previous.high is None or _starts_before_end(current, previous):
            report(error("E501", f"les tranches « {previous.text} » et « {current.text} » se chevauchent",
                         current.span, "une valeur ne doit tomber que dans une seule tranche",
                         [Label(previous.span, "tranche précédente")]))
        elif not _adjacent(previous, current, integer) and not has_other:
            high = _show(previous.high)
            hint = (f"la tranche suivante doit commencer juste après {high} : « plus de {high} »"
                    if previous.high_inclusive else
                    f"la tranche suivante doit commencer à {high} : « de {high} à … » ou « {high} et plus »")
            report(error("E502", f"trou entre les tranches « {previous.text} » et « {current.text} »",
                         current.span, hint, [Label(previous.span, "tranche précédente")]))
    last = ordered[-1]
    if last.high is not None and not has_other:
        above = f"plus de {_show(last.high)}" if last.high_inclusive else f"{_show(last.high)} et plus"
        report(error("E502", f"trou après la dernière tranche « {last.text} » : les valeurs au-dessus "
                             "ne sont couvertes par aucune tranche", last.span,
                     f"terminez par une tranche « {above} »"))


def _starts_before_end(current: model.Key, previous: model.Key) -> bool:
    if current.low is None:
        return True
    if previous.high is not None and current.low < previous.high:
        return True
    return current.low == previous.high and current.low_inclusive and previous.high_inclusive


def _adjacent(previous: model.Key, current: model.Key, integer: bool = False) -> bool:
    if (integer and previous.high_inclusive and current.low_inclusive and isinstance(previous.high, int)
            and current.low == previous.high + 1):
        return True
    return current.low == previous.high and (current.low_inclusive != previous.high_inclusive)


def _show(value: object) -> str:
    return str(value).replace(".", ",")
