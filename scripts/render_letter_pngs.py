"""Regenerate docs/letters/*.png: each letter rendered to PDF, then to PNG with pypdfium2.

Usage: python scripts/render_letter_pngs.py [OUTPUT_DIR]

Each image shows every page of one letter side by side, from the facts of a golden case in
tests/cases/letters/, with the fictional caisse of examples/caisse.toml; the addressee is a bracketed
placeholder: the letters never invent personal data. PNG files are written with zlib, so no imaging library is needed.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.letters.issuance import letter_options, load_caisse  # noqa: E402
from engine.letters.render import review_sheet  # noqa: E402

CASES = ROOT / "tests" / "cases" / "letters"
LETTERS = {
    "decision-acceptation": "decision_ex1_cardiologue_acceptation",
    "decision-refus": "decision_ex2_generaliste_refus",
    "notification_annuelle": "notification_ex7_generaliste_annee3",
    "revalorisation_2024": "revalorisation_ex6_cardiologue_2022",
    "pieces_manquantes": "pieces_manquantes_ex1_cardiologue",
    "fiche-decision-acceptation": "decision_ex1_cardiologue_acceptation",
}
"""Image name → golden case; a name starting with `fiche-` shows the agent's review sheet of the case."""
PLACEHOLDERS = {
    "destinataire": {"civilite": "Docteur", "nom": "[Nom du médecin]",
                     "adresse": ["[Adresse du cabinet]", "[Code postal] [Commune]"]},
}
CAISSE = letter_options(load_caisse(str(ROOT / "examples" / "caisse.toml")))  # a fictional caisse
SCALE = 1.5          # 72 dpi × 1.5 = 108 dpi: a readable A4 page about 890 pixels wide
GAP, BACKGROUND = 28, (214, 214, 214)


def render_pdf(case: str, sheet: bool = False) -> bytes:
    """The PDF of a golden case's letter (or its review sheet), dated as the case is."""
    header = (CASES / case / "expected.txt").read_text(encoding="utf-8").partition("\n\n")[0]
    meta = dict(line[2:].split(": ", 1) for line in header.splitlines() if line.startswith("# "))
    facts = json.loads((CASES / case / "facts.json").read_text(encoding="utf-8"))
    outcome = engine.load(ROOT / meta["regles"]).evaluate(facts)
    render = review_sheet if sheet else engine.render_letter
    return render(outcome, meta["courrier"], format="pdf", date=meta["date"],  # type: ignore[return-value]
                  dossier=meta.get("dossier"), **PLACEHOLDERS, **CAISSE)


def pages_rgb(pdf: bytes) -> list[tuple[int, int, bytes]]:
    """Each page as (width, height, RGB bytes)."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        bitmap = page.render(scale=SCALE, rev_byteorder=True)  # RGB order
        width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
        buffer = bytes(bitmap.buffer)
        rows = [buffer[y * stride: y * stride + width * channels] for y in range(height)]
        if channels == 4:
            rows = [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]
        pages.append((width, height, b"".join(rows)))
    return pages


def side_by_side(pages: list[tuple[int, int, bytes]]) -> tuple[int, int, bytes]:
    """The pages on one canvas, separated and framed by a grey margin."""
    height = max(h for _, h, _ in pages) + 2 * GAP
    width = sum(w for w, _, _ in pages) + GAP * (len(pages) + 1)
    fill = bytes(BACKGROUND)
    lines = []
    for y in range(height):
        line = [fill * GAP]
        for w, h, rgb in pages:
            py = y - GAP
            line.append(rgb[py * w * 3:(py + 1) * w * 3] if 0 <= py < h else fill * w)
            line.append(fill * GAP)
        lines.append(b"".join(line))
    return width, height, b"".join(lines)


def png(width: int, height: int, rgb: bytes) -> bytes:
    """A truecolour PNG file."""
    raw = b"".join(b"\x00" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "letters"
    out.mkdir(parents=True, exist_ok=True)
    for name, case in LETTERS.items():
        path = out / f"{name}.png"
        path.write_bytes(png(*side_by_side(pages_rgb(render_pdf(case, name.startswith("fiche-"))))))
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
