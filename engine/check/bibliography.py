"""The sources a rule file declares and cites: `SourceDecl` (declared once by key) and `Citation`
(one use of it in a definition, or free text).

Stage: check. The checked program (`engine.check.model`) refers to these nodes; they live apart so
that the model stays one screenful of nodes per concern.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from attrs import frozen

from engine.check.node import Node


@frozen
class SourceDecl(Node):
    """A source a rule file declares once (`source CLE "titre" … fin`) and cites by its key."""

    key: str
    title: str
    publisher: str | None = None
    date: dt.date | str | None = None
    """A calendar date, or the date as the source gives it (`"janvier-février 2022"`)."""
    url: str | None = None
    text: str = ""
    """The short name of the text (rule file) that declares it."""

    @property
    def date_text(self) -> str | None:
        """The date as a reader reads it: `01/12/2022`, or the text as written."""
        return _date_text(self.date)

    def fields(self) -> list[tuple[str, str]]:
        """The declared details a reader may want beside the title, labelled in French, in order:
        every page, hover and sheet that shows a source lists these and nothing else."""
        found = [("Éditeur", self.publisher), ("Date", self.date_text), ("Lien", self.url)]
        return [(label, value) for label, value in found if value]

    def __str__(self) -> str:
        """`Titre (éditeur, date)`; the publisher is left out when the title already names it."""
        return _reads_as(self.title, self.publisher, self.date)


def _date_text(date: dt.date | str | None) -> str | None:
    if isinstance(date, dt.date):
        return f"{date.day:02d}/{date.month:02d}/{date.year}"
    return date


@functools.lru_cache(maxsize=1024)
def _reads_as(title: str, publisher: str | None, date: dt.date | str | None) -> str:
    """A source as `SourceDecl.__str__` writes it. Cached: an explanation cites the same few sources
    at every step, and the test for a publisher the title names is a regular expression."""
    extra = [p for p in (publisher, _date_text(date)) if p]
    if publisher and re.search(rf"(?<!\w){re.escape(publisher)}(?!\w)", title, re.IGNORECASE):
        extra = extra[1:]
    return title + (f" ({', '.join(extra)})" if extra else "")


@frozen
class Citation(Node):
    """One citation in a definition: a declared source and what this use of it points at.

    `source` is None for a citation in free text (`source "…"`, warning W106): it then has no key,
    title or link, and reads as its text. `str()` is the citation as a French reader reads it.
    """

    source: SourceDecl | None
    detail: str | None = None

    @property
    def key(self) -> str | None:
        """The key of the declared source (None for free text)."""
        return self.source.key if self.source else None

    @property
    def title(self) -> str | None:
        """The title of the declared source (None for free text)."""
        return self.source.title if self.source else None

    @property
    def url(self) -> str | None:
        """The address of the declared source, when it has one."""
        return self.source.url if self.source else None

    def __str__(self) -> str:
        """`Titre (éditeur, date) : précision`, or the free text."""
        if self.source is None:
            return self.detail or ""
        return str(self.source) + (f" : {self.detail}" if self.detail else "")

    @property
    def with_link(self) -> str:
        """The citation followed by its address, when the source has one."""
        return f"{self} — {self.url}" if self.url else str(self)

    def to_json(self) -> dict[str, object]:
        """The citation as trace JSON writes it: every field of the source, and the precision."""
        d = self.source
        date = d.date.isoformat() if d is not None and isinstance(d.date, dt.date) else (d.date if d else None)
        return {"key": self.key, "title": self.title, "publisher": d.publisher if d else None, "date": date,
                "url": self.url, "detail": self.detail}
