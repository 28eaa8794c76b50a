"""Typesetting: a Typst source to a PDF, for the letters and the review sheets.

Stage: Typst source (written by `engine.letters.render` or `engine.letters.review_sheet`) → PDF bytes. The
compilation reads nothing but what it is given: its root is a fresh temporary directory.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typst import PDFStandard

PDF_STANDARDS: list[PDFStandard] = ["a-2b", "ua-1"]
"""The PDFs are PDF/A-2b (archivable: fonts embedded, metadata in XMP) and PDF/UA-1 (tagged, accessible)."""


def typeset(source: str, when: dt.date, files: dict[str, bytes] | None = None) -> bytes:
    """The PDF/A-2b and PDF/UA-1 of a Typst source, dated `when`, with embedded fonts only.

    The compilation's root, the only directory Typst may read, is a fresh temporary directory
    holding the source and `files` (the caisse's logo), nothing else: no template can reach the
    rule files, the caisse's settings or anything beside them.

    Raises:
        typst.TypstError: the source does not compile.
    """
    import typst  # loaded on use: the package is large and most commands never compose a PDF
    stamp = dt.datetime(when.year, when.month, when.day, 12, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory(prefix="regles-typst-") as root:
        for name, data in (files or {}).items():
            (Path(root) / name).write_bytes(data)
        main = Path(root) / "courrier.typ"
        main.write_text(source, encoding="utf-8")
        return typst.compile(str(main), root=root, ignore_system_fonts=True, format="pdf", timestamp=stamp,
                             pdf_standards=PDF_STANDARDS)
