"""The caisse's logo (`[marque] logo = "chemin/vers/logo.svg"` in its settings), read and checked once.

Stage: a path from the caisse's settings → `Logo` (its bytes and kind) → the letter context, where
the HTML layout embeds it as a `data:` URI (the HTML letter stays one standalone file) and the
Typst layout reads it as `logo.png` or `logo.svg` from the compilation's root. That root is a fresh
temporary directory holding only this copy (`engine.letters.render`): the Typst compiler never sees the
caisse's own directories, wherever the settings point.

A logo is a PNG or an SVG file of at most `MAX_LOGO_BYTES`, whose bytes match its extension (the
PNG signature; SVG text starting with `<svg` or `<?xml` and holding an `<svg` element). Anything
else is a `LogoError` with the reason in French, which the settings reader reports with the file
and the key.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Literal

from attrs import frozen

from engine.base.diagnostics import os_reason

MAX_LOGO_BYTES = 1_000_000
"""A letterhead logo is a few kilobytes; a megabyte is already a photograph."""
MAX_LOGO_PIXELS = 4096
"""Width and height of a PNG logo at most: a small file can still declare a huge image to decode."""
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LogoKind = Literal["png", "svg"]

_MEDIA_TYPES: dict[LogoKind, str] = {"png": "image/png", "svg": "image/svg+xml"}
_KINDS: dict[str, LogoKind] = {".png": "png", ".svg": "svg"}
"""A logo's kind by its file's extension (lower case)."""


class LogoError(Exception):
    """The logo file cannot be used; `reason` says why, in French."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@frozen
class Logo:
    """A checked logo: its bytes, its kind and the path it was read from (for messages)."""

    data: bytes
    kind: LogoKind
    source: str

    @property
    def filename(self) -> str:
        """The name of its copy in the Typst compilation root."""
        return f"logo.{self.kind}"

    def data_uri(self) -> str:
        """`data:image/svg+xml;base64,…`: the logo inside an HTML letter, with no file beside it."""
        return f"data:{_MEDIA_TYPES[self.kind]};base64,{base64.b64encode(self.data).decode('ascii')}"


def read_logo(path: Path) -> Logo:
    """Read and check a logo file.

    Raises:
        LogoError: the file is missing or unreadable, is neither .png nor .svg, its bytes are not
            of its kind, or it is larger than `MAX_LOGO_BYTES`.
    """
    shown = str(path)
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        raise LogoError(f"« {shown} » : extension « {path.suffix or '(aucune)'} » non prise en charge ; "
                        "un logo est un fichier .png ou .svg")
    if not path.exists():
        raise LogoError(f"le fichier « {shown} » n'existe pas")
    if not path.is_file():
        raise LogoError(f"« {shown} » n'est pas un fichier")
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise LogoError(f"« {shown} » fait {size} octets ; un logo ne doit pas dépasser {MAX_LOGO_BYTES} octets")
        data = path.read_bytes()
    except OSError as exc:
        raise LogoError(f"impossible de lire « {shown} » : {os_reason(exc)}") from None
    if len(data) > MAX_LOGO_BYTES:  # the file grew between the two reads
        raise LogoError(f"« {shown} » dépasse {MAX_LOGO_BYTES} octets")
    if kind == "png":
        _check_png(shown, data)
    else:
        _check_svg(shown, data)
    return Logo(data, kind, shown)


def _check_png(shown: str, data: bytes) -> None:
    if not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        raise LogoError(f"« {shown} » n'est pas une image PNG (sa signature manque)")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise LogoError(f"« {shown} » mesure {width} × {height} pixels ; un logo ne doit pas dépasser "
                        f"{MAX_LOGO_PIXELS} pixels de côté")


def _check_svg(shown: str, data: bytes) -> None:
    try:
        text = data.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        raise LogoError(f"« {shown} » n'est pas un SVG (ce n'est pas du texte UTF-8)") from None
    if not text.startswith(("<svg", "<?xml")) or "<svg" not in text:
        raise LogoError(f"« {shown} » n'est pas un SVG (le texte doit commencer par <svg ou <?xml et "
                        "contenir un élément <svg>)")


def logo_option(value: object) -> Logo | None:
    """The `logo` of the `marque` option of `render_letter`: a `Logo` (from `load_caisse`), a path
    (read and checked here, relative to the working directory), or None."""
    if value is None or isinstance(value, Logo):
        return value
    if isinstance(value, (str, Path)):
        return read_logo(Path(value))
    raise LogoError(f"un chemin de fichier .png ou .svg est attendu, reçu {type(value).__name__}")


class LogoView:
    """`marque.logo` in a template: `fichier` (its name beside the Typst source) and `uri` (a `data:`
    URI for HTML, built when read); `logo` is the checked file, which the PDF compilation copies."""

    def __init__(self, logo: Logo) -> None:
        self.logo = logo
        self.fichier = logo.filename

    @property
    def uri(self) -> str:
        return self.logo.data_uri()
