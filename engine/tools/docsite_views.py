"""What the doc site's templates show: plain frozen view objects that `engine.tools.docsite` builds from a
checked program, so the templates (`engine/tools/templates/docsite/`) read data, never the model."""

from __future__ import annotations

from attrs import frozen


@frozen
class Link:
    """A name shown as code, linked to its page when it has one."""

    text: str
    href: str | None = None


@frozen
class Item:
    """One entry in a list of names: the name and, for a definition, its description."""

    link: Link
    detail: str | None = None


@frozen
class Badge:
    """A status in words (`À confirmer`) and its CSS class: never shown by colour alone."""

    label: str
    css: str


@frozen
class StatusView:
    """A status of a definition and what its note says."""

    badge: Badge
    note: str | None


@frozen
class EnumValue:
    """A word of an enumeration and its label, when the label says more than the word."""

    value: str
    label: str | None


@frozen
class TypeView:
    """A value type: its French name, or an enumeration with its words or (short) a link to it."""

    text: str
    link: Link | None = None
    enum: str | None = None
    values: tuple[EnumValue, ...] = ()


@frozen
class Param:
    """A parameter of a function, or a key of a table."""

    name: str
    type: TypeView


@frozen
class SourceView:
    """A declared source: key, title with its address, the details a reader may want, its file."""

    key: str
    title: str
    url: str | None
    fields: tuple[tuple[str, str], ...]
    text: str


@frozen
class CitationView:
    """One citation: a declared source with what it points at, or (free text) its text alone."""

    text: str
    source: SourceView | None = None
    extra: str = ""
    detail: str | None = None
    key_href: str = ""


@frozen
class Piece:
    """A piece of a line of formatted rule text: plain, coloured by its CSS class, or a link."""

    text: str
    href: str | None = None
    css: str | None = None


Code = tuple[tuple[Piece, ...], ...]
"""Formatted rule text, line by line."""


@frozen
class Cell:
    """A table cell: its text, whether it is short enough to stay on one line, its status."""

    text: str
    short: bool
    badge: Badge | None


@frozen
class GridView:
    """One dated version of a table: caption, column headers, and rows (key, cells)."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]


@frozen
class VersionRow:
    """One value of a definition that changes over time: from when, the value, which text."""

    start: str
    value: str
    text: str


@frozen
class Sheet:
    """Everything a definition's page shows of the definition itself."""

    statuses: tuple[StatusView, ...]
    description: str | None
    is_set: bool
    type: TypeView
    params_label: str
    params: tuple[Param, ...]
    citations: tuple[CitationView, ...]
    text_short: str
    text_file: str
    reused_from: str | None
    amended_by: str | None
    unit: str | None
    guard: Link | None
    guard_reason: str | None
    is_output: bool
    internal: bool
    grids: tuple[GridView, ...]
    versions: tuple[VersionRow, ...]
    code_label: str
    code: Code | None


@frozen
class Comparison:
    """A definition that replaces one of the amended file: the old and the new text side by side."""

    old: Link
    old_label: str
    new_label: str
    old_code: Code | None
    new_code: Code | None


@frozen
class Allowed:
    """The values a fact accepts: a list, or bounds in words."""

    values: tuple[str, ...] = ()
    bounds: str = ""
