"""The file names of the pages `regles doc` writes, shared by everything that links to them.

Explanations (`engine.explain.html`, `engine.explain.summary`) link each definition to its doc page
without depending on the site generator (`engine.tools.docsite`): both read the names here.
"""

from __future__ import annotations

from urllib.parse import quote

SOURCES_PAGE = "sources.html"
"""The page listing every declared source, one anchor per key."""


def page_name(name: str) -> str:
    """The file of an effective definition's page."""
    return f"def-{name}.html"


def fact_page(name: str) -> str:
    """The file of a fact's page."""
    return f"fait-{name}.html"


def original_page(prefix: str, name: str) -> str:
    """The file of the page of a definition as an amended file wrote it."""
    return f"ancien-{prefix}-{name}.html"


def href(page: str, fragment: str = "") -> str:
    """A relative link to a page of the site (and an anchor in it), percent-encoded: names may carry
    accents (`def-barème.html`)."""
    return quote(page) + (f"#{quote(fragment)}" if fragment else "")
