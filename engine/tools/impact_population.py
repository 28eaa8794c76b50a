"""Reading a population for `regles diff`: CSV, JSON Lines or Parquet → (line number, facts) rows.

A row that cannot be read is not dropped: it comes with the key `""` giving the reason, so the
impact report counts it and says why (`engine.tools.impact`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from engine.base.diagnostics import EngineError, os_reason
from engine.tools.batch import csv_delimiter


class PopulationError(EngineError):
    """The population file cannot be read (exit 2)."""



def read_population(path: str | Path) -> tuple[list[str], Iterator[tuple[int, dict[str, object]]]]:
    """The columns of a population file and its rows as (line number, facts); empty cells are dropped.

    CSV (header row of fact names; booleans `true`/`false`, ISO dates, decimal points), JSON
    Lines (`.jsonl`, one object a line) or Parquet (`.parquet`, as `regles batch` reads it: a row's
    number is its rank; needs the `parquet` extra). A row that cannot be read comes with the key `""` giving
    the reason. Raises PopulationError for a file that cannot be read at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return _parquet_population(path)
    jsonl = suffix in {".jsonl", ".ndjson"}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            delimiter = csv_delimiter(first)
            columns = _jsonl_columns(handle, first) if jsonl else [
                h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
    except OSError as exc:
        raise PopulationError(f"impossible de lire la population « {path} » : {os_reason(exc)}") from None
    except UnicodeDecodeError:
        raise PopulationError(f"la population « {path} » n'est pas en UTF-8") from None
    if not first.strip():
        raise PopulationError(f"la population « {path} » est vide : il faut une ligne d'en-tête avec les noms "
                              "des faits")
    return columns, (_jsonl_rows(path) if jsonl else _csv_rows(path, columns, delimiter))


def _parquet_population(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, object]]]]:
    import pyarrow.parquet as pq  # the `parquet` extra; the command line names it when absent
    try:
        table = pq.ParquetFile(path)
        columns = list(table.schema_arrow.names)
    except OSError as exc:
        raise PopulationError(f"impossible de lire la population « {path} » : {os_reason(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own errors for a file that is not Parquet
        raise PopulationError(f"la population « {path} » n'est pas un fichier Parquet lisible ({exc})") from None

    def rows() -> Iterator[tuple[int, dict[str, object]]]:
        rank = 0
        for batch in table.iter_batches():
            for data in batch.to_pylist():
                rank += 1
                yield rank, {str(k): v for k, v in data.items() if v is not None and v != ""}
    return columns, rows()


def _csv_rows(path: Path, header: list[str], delimiter: str) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield reader.line_num, csv_row(header, cells)
        except UnicodeDecodeError:
            raise PopulationError(f"la population « {path} » n'est pas en UTF-8") from None
        except csv.Error as exc:
            raise PopulationError(f"{path}:{reader.line_num} : CSV illisible ({exc})") from None


def csv_row(header: Sequence[str], cells: Sequence[str]) -> dict[str, object]:
    """The facts of a CSV record that is not blank: its stripped cells, empty ones dropped; a record
    whose number of cells is not the header's comes with the key `""` giving the reason."""
    if len(cells) != len(header):
        return {**dict(zip(header, cells, strict=False)),
                "": f"la ligne a {len(cells)} colonnes, l'en-tête en a {len(header)}"}
    return {h: c.strip() for h, c in zip(header, cells, strict=True) if c.strip() != ""}


def _jsonl_columns(handle: Iterable[str], first: str) -> list[str]:
    columns: dict[str, None] = {}
    for line in [first, *handle]:
        try:
            data = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            columns.update(dict.fromkeys(str(k) for k in data))
    return list(columns)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"": f"JSON invalide ({exc.msg}, colonne {exc.colno})"}
                continue
            if not isinstance(data, dict):
                yield number, {"": "la ligne doit être un objet JSON {\"fait\": valeur, …}"}
                continue
            yield number, {str(k): v for k, v in data.items() if v is not None and v != ""}
