"""The caisse's logo (`[marque] logo` in its settings): shown at the head of PDF and HTML letters,
checked when the settings are read, and copied into the Typst root rather than exposing its folder."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import struct
import zlib
from pathlib import Path

import pypdf
import pytest

import engine
from engine.cli import main as cli
from engine.letters import render as letters
from engine.letters.issuance import letter_options, load_caisse
from engine.letters.inputs import LetterError
from engine.letters.logo import MAX_LOGO_BYTES, Logo, read_logo

ROOT = Path(__file__).resolve().parent.parent
CAISSE_FILE = ROOT / "examples" / "caisse.toml"
CASE = ROOT / "tests" / "cases" / "letters" / "decision_ex1_cardiologue_acceptation"
NAME = "Caisse primaire d'assurance maladie de Val-Fictif"


def _png(width: int, height: int, noise: bool = False) -> bytes:
    """A truecolour PNG (random pixels with `noise`, so that it does not compress)."""
    row = (os.urandom(width * 3) if noise else bytes([46, 93, 75]) * width)
    raw = b"".join(b"\x00" + (os.urandom(width * 3) if noise else row) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def _settings(tmp_path: Path, logo: str) -> Path:
    text = CAISSE_FILE.read_text(encoding="utf-8")
    text = re.sub(r'^logo = ".*"$', f'logo = "{logo}"', text, flags=re.MULTILINE)
    path = tmp_path / "caisse.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _outcome() -> engine.Outcome:
    return engine.load(ROOT / "rulesets" / "avenant7.rules").evaluate(
        json.loads((CASE / "facts.json").read_text(encoding="utf-8")))


def _letter(fmt: str, settings: dict[str, dict[str, object]]) -> str | bytes:
    return engine.render_letter(_outcome(), "decision", format=fmt, date="2019-10-01", dossier="AM-1",
                                **letter_options(settings))


def _xobjects(pdf: bytes) -> list[pypdf.generic.DictionaryObject]:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    found = page["/Resources"].get("/XObject") or {}
    return [found[k].get_object() for k in found]


def _alt_texts(pdf: bytes) -> list[str]:
    """The /Alt texts of the PDF's structure tree (what a screen reader says for an image)."""
    texts = []
    for raw in re.findall(rb"/Alt\s*<([0-9A-Fa-f]+)>", pdf):
        texts.append(bytes.fromhex(raw.decode()).decode("utf-16"))
    return texts


class TestShown:
    def test_example_settings_carry_the_fictional_svg(self) -> None:
        logo = load_caisse(str(CAISSE_FILE))["marque"]["logo"]
        assert isinstance(logo, Logo) and logo.kind == "svg"
        assert logo.data == (ROOT / "examples" / "logo-val-fictif.svg").read_bytes()

    def test_pdf_draws_the_svg_logo_with_its_alternative_text(self) -> None:
        settings = load_caisse(str(CAISSE_FILE))
        with_logo = _letter("pdf", settings)
        assert isinstance(with_logo, bytes)
        assert [x["/Subtype"] for x in _xobjects(with_logo)] == ["/Form"]  # an SVG stays vector
        assert NAME.replace("'", "\u2019") in _alt_texts(with_logo)
        settings["marque"].pop("logo")
        without = _letter("pdf", settings)
        assert isinstance(without, bytes) and _xobjects(without) == [] and _alt_texts(without) == []

    def test_pdf_embeds_a_png_logo_as_an_image(self, tmp_path: Path) -> None:
        (tmp_path / "logo.png").write_bytes(_png(60, 24))
        pdf = _letter("pdf", load_caisse(str(_settings(tmp_path, "logo.png"))))
        images = [x for x in _xobjects(pdf) if x["/Subtype"] == "/Image"]
        assert [(x["/Width"], x["/Height"]) for x in images] == [(60, 24)]
        assert pypdf.PdfReader(io.BytesIO(pdf)).xmp_metadata is not None  # still PDF/A

    def test_html_embeds_a_data_uri_with_the_caisse_name_as_alt(self) -> None:
        html = _letter("html", load_caisse(str(CAISSE_FILE)))
        assert isinstance(html, str)
        match = re.search(r'<img class="logo" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">', html)
        assert match is not None
        assert base64.b64decode(match.group(1)) == (ROOT / "examples" / "logo-val-fictif.svg").read_bytes()
        assert match.group(2) == NAME.replace("'", "&#39;")
        assert "src=\"http" not in html and "logo-val-fictif" not in html  # nothing outside the file

    def test_text_letter_has_no_logo(self) -> None:
        settings = load_caisse(str(CAISSE_FILE))
        text = _letter("txt", settings)
        settings["marque"].pop("logo")
        assert text == _letter("txt", settings)

    def test_a_large_png_fits_the_html_budget(self, tmp_path: Path) -> None:
        (tmp_path / "logo.png").write_bytes(_png(560, 500, noise=True))
        assert 800_000 < (tmp_path / "logo.png").stat().st_size <= MAX_LOGO_BYTES
        html = _letter("html", load_caisse(str(_settings(tmp_path, "logo.png"))))
        assert isinstance(html, str) and len(html) > MAX_LOGO_BYTES

    def test_logo_outside_the_settings_folder_is_copied_not_exposed(self, tmp_path: Path) -> None:
        shared = tmp_path / "partage"
        shared.mkdir()
        (shared / "logo.svg").write_bytes((ROOT / "examples" / "logo-val-fictif.svg").read_bytes())
        (shared / "secret.txt").write_text("ne pas lire", encoding="utf-8")
        (tmp_path / "reglages").mkdir()
        settings = load_caisse(str(_settings(tmp_path / "reglages", "../partage/logo.svg")))
        logo = settings["marque"]["logo"]
        assert isinstance(logo, Logo)
        pdf = _letter("pdf", settings)
        assert isinstance(pdf, bytes) and _xobjects(pdf)
        head = '#set document(title: "essai")\n#image("logo.svg", alt: "x")\n'
        day = dt.date(2019, 10, 1)
        assert letters._compile_pdf(head, "essai", None, day, logo).startswith(b"%PDF")
        for escape in ("../partage/secret.txt", str(shared / "secret.txt")):
            with pytest.raises(letters.LetterTemplateError, match="composition PDF.*(root|racine|not found|access)"):
                letters._compile_pdf(head + f'#read("{escape}")\n', "essai", None, day, logo)


class TestRefused:
    @pytest.mark.parametrize(("name", "content", "reason"), [
        ("absent.svg", None, "n'existe pas"),
        ("logo.png", b"GIF89a pas un png", "n'est pas une image PNG"),
        ("logo.svg", b"\x89PNG\r\n\x1a\n", "n'est pas un SVG"),
        ("logo.svg", b"<html><body>pas un svg</body></html>", "n'est pas un SVG"),
        ("logo.jpg", b"\xff\xd8\xff\xe0", "extension « .jpg » non prise en charge"),
        ("logo.svg", b"<svg" + b" " * MAX_LOGO_BYTES + b"/>", "ne doit pas dépasser 1000000 octets"),
        ("logo.png", _png(5000, 1), "5000 × 1 pixels"),
    ])
    def test_bad_logo_names_the_file_and_the_key(self, tmp_path: Path, name: str, content: bytes | None,
                                                 reason: str) -> None:
        if content is not None:
            (tmp_path / name).write_bytes(content)
        settings = _settings(tmp_path, name)
        with pytest.raises(LetterError) as caught:
            load_caisse(str(settings))
        message = str(caught.value)
        assert message.startswith(f"{settings} : [marque] logo : ")
        assert name in message and reason in message

    def test_command_line_exits_2_without_traceback(self, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
        settings = _settings(tmp_path, "manquant.png")
        code = cli.main(["letter", str(ROOT / "rulesets" / "avenant7.rules"), "--facts", str(CASE / "facts.json"),
                         "--template", "decision", "--caisse", str(settings), "--date", "2019-10-01",
                         "-o", str(tmp_path / "lettre.pdf")])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err
        assert "[marque] logo" in err and "manquant.png" in err and "n'existe pas" in err
        assert not (tmp_path / "lettre.pdf").exists()

    def test_option_given_as_a_path_is_checked_too(self, tmp_path: Path) -> None:
        (tmp_path / "logo.png").write_bytes(b"pas un png")
        with pytest.raises(LetterError, match=r"« marque » : « logo » : .*n'est pas une image PNG"):
            engine.render_letter(_outcome(), "decision", date="2019-10-01", dossier="AM-1",
                                 **{**letter_options(load_caisse(str(CAISSE_FILE))),
                                    "marque": {"logo": str(tmp_path / "logo.png")}})

    def test_read_logo_accepts_an_xml_prolog(self, tmp_path: Path) -> None:
        path = tmp_path / "l.svg"
        path.write_bytes(b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')
        assert read_logo(path).kind == "svg"
