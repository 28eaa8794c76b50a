"""Stage 2, reading a rule file's bytes: the name diagnostics give a file, bounded reads, the size limit.

Both the loader (`loader`) and the checked-file cache (`cache`) read files; this module is what they
share, below both, so that the loader can use the cache and the cache never imports the loader.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import attrs

from engine.base.diagnostics import RulesError, error
from engine.base.source import NOWHERE, Span

MAX_BYTES = 256 * 1024
"""Rule files are a few tens of kilobytes (avenant7.rules: 45 KB); refusing what is clearly not one
keeps every diagnostic within a few seconds (the parser handles about 100 KB per second)."""

SUFFIX = ".rules"


def display_name(path: Path) -> str:
    """The name diagnostics show: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class NotARegularFile(OSError):
    """A FIFO, a device or a folder given as a rule file (reading it could block or never end)."""


def read_limited(path: Path, name: str) -> bytes:
    """The bytes of a regular file, its size checked with `stat` first, reading at most the limit.

    Raises:
        OSError: the file cannot be read or is not a regular file.
        RulesError: E002, the file is larger than `MAX_BYTES`.
    """
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(0, "ce n'est pas un fichier ordinaire")
    check_size(info.st_size, name)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped for a FIFO since the stat
            raise NotARegularFile(0, "ce n'est pas un fichier ordinaire")
        data = f.read(MAX_BYTES + 1)  # files under /proc say 0 bytes: the read itself is bounded
    check_size(len(data), name)
    return data


def check_size(size: int, name: str) -> None:
    """Raise E002 for a file larger than `MAX_BYTES`.

    Raises:
        RulesError: E002.
    """
    if size > MAX_BYTES:
        shown = f"{size // 1024} Kio" if size > MAX_BYTES + 1 else f"plus de {MAX_BYTES // 1024} Kio"
        raise RulesError((error("E002", f"fichier trop volumineux ({shown} ; au plus {MAX_BYTES // 1024} Kio)",
                                nowhere(name),
                                "un fichier de règles fait quelques dizaines de kilo-octets : découpez le texte en "
                                "plusieurs fichiers (modifie \"…\")"),))


def nowhere(name: str) -> Span:
    """The span of a diagnostic about a whole file (line 0: no line is underlined)."""
    return attrs.evolve(NOWHERE, file=name, line=0)
