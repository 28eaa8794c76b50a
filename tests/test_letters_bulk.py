"""`regles letters`: one letter per qualifying row, a register, the errors; rows in = letters + errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
C24 = "rulesets/convention2024.rules"
CAISSE = str(ROOT / "examples" / "caisse.toml")


def _population(tmp_path: Path, rows: int, extra: str = "") -> Path:
    """The first `rows` doctors of examples/population.csv, its `id` column renamed `dossier`."""
    lines = (ROOT / "examples" / "population.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cas.csv"
    path.write_text("\n".join([lines[0].replace("id,", "dossier,", 1), *lines[1:rows + 1]]) + "\n" + extra,
                    encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _run(cases: Path, out: Path, *more: str) -> int:
    return main(["letters", C24, "--input", str(cases), "--template", "decision", "--caisse", CAISSE,
                 "-o", str(out), "--date", "2025-11-03", *more])


class TestBulk:

    def test_rows_in_are_letters_plus_errors(self, tmp_path: Path) -> None:
        cases = _population(tmp_path, 60, extra="\n")
        out = tmp_path / "out"
        assert _run(cases, out, "--format", "txt") == 0
        register, errors = _read(out / "registre.csv"), _read(out / "erreurs.csv")
        assert len(register) + len(errors) == 60 and register and errors
        references = [r["reference"] for r in register]
        assert len(set(references)) == len(references)
        for row in register:
            text = (out / row["fichier"]).read_text(encoding="utf-8")
            assert f"Référence\u00a0: {row['reference']}" in text
            assert row["resultat_principal"] in ("vrai", "faux")
            record = json.loads((out / (row["fichier"] + ".json")).read_text(encoding="utf-8"))
            assert record["reference"] == row["reference"] and record["regles_sha256"] == row["sha256_regles"]
        assert all(e["motif"] for e in errors)
        assert sorted(p.name for p in out.glob("*.txt")) == sorted(r["fichier"] for r in register)

    def test_a_dossier_seen_twice_gets_one_letter(self, tmp_path: Path) -> None:
        cases = _population(tmp_path, 12)
        lines = cases.read_text(encoding="utf-8").splitlines()
        cases.write_text("\n".join(lines + lines[1:]) + "\n", encoding="utf-8")
        out = tmp_path / "out"
        assert _run(cases, out, "--format", "txt") == 0
        register, errors = _read(out / "registre.csv"), _read(out / "erreurs.csv")
        assert len(register) + len(errors) == 24
        assert len({r["reference"] for r in register}) == len(register)
        assert any("déjà traité à la ligne" in e["motif"] for e in errors)

    def test_no_dossier_column(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        cases = _population(tmp_path, 3)
        cases.write_text(cases.read_text(encoding="utf-8").replace("dossier,", "id,", 1), encoding="utf-8")
        assert _run(cases, tmp_path / "out") == 2
        assert "pas de colonne « dossier »" in capsys.readouterr().err
        assert _run(cases, tmp_path / "out", "--colonne-dossier", "id", "--format", "txt") == 0

    def test_pdf_a_on_two_workers(self, tmp_path: Path) -> None:
        from pypdf import PdfReader
        cases = _population(tmp_path, 16)
        out = tmp_path / "out"
        assert _run(cases, out, "--workers", "2") == 0
        register = _read(out / "registre.csv")
        assert len(register) + len(_read(out / "erreurs.csv")) == 16 and register
        for row in register:
            reader = PdfReader(out / row["fichier"])
            xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
            assert "pdfaid" in xmp and ("pdfaid:part>2<" in xmp or 'pdfaid:part="2"' in xmp)
