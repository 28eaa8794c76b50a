"""Diagnostics: what every stage reports about a bad rule file, and how it is rendered.

A stage collects `Diagnostic`s and raises one `RulesError` at its end, so an editor sees every
error at once. Codes are stable: E1xx syntax, E2xx names, E3xx types, E4xx cycles, E5xx tables,
E6xx amendments, E7xx examples and schedules, W1xx warnings. Messages are French, start lowercase
and have no final period; the "did you mean" goes in the hint, never in the message.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable, Mapping

from attrs import field, frozen

from engine.base.source import Source, Span


class Severity(enum.Enum):
    """How serious a diagnostic is: errors stop loading, warnings do not."""

    ERROR = "erreur"
    WARNING = "avertissement"


@frozen
class Label:
    """A secondary location of a diagnostic, with what it shows."""

    span: Span
    note: str = ""


@frozen
class Diagnostic:
    """One problem in a rule file, at one place, with an actionable hint."""

    severity: Severity
    code: str
    message: str
    span: Span
    hint: str | None = None
    labels: tuple[Label, ...] = ()
    citation: str | None = None

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic prevents the file from loading."""
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        """Return the diagnostic as a JSON-serialisable mapping."""
        return {
            "severity": self.severity.name.lower(), "code": self.code, "message": self.message,
            "span": self.span.to_json(), "hint": self.hint,
            "labels": [{"span": label.span.to_json(), "note": label.note} for label in self.labels],
        }


def error(code: str, message: str, span: Span, hint: str | None = None,
          labels: Iterable[Label] = (), citation: str | None = None) -> Diagnostic:
    """Build an error diagnostic."""
    return Diagnostic(Severity.ERROR, code, agree(message), span, hint, tuple(labels), citation)


def warning(code: str, message: str, span: Span, hint: str | None = None,
            labels: Iterable[Label] = ()) -> Diagnostic:
    """Build a warning diagnostic."""
    return Diagnostic(Severity.WARNING, code, agree(message), span, hint, tuple(labels))


_FEMININE_TYPE = re.compile(r"\bun (date|durée|énumération)\b")


def agree(message: str) -> str:
    """Make the article agree with a feminine type name inserted into a message.

    Messages are written `est un {type}`; three type names are feminine in French.

        >>> agree("« au » attend une date, pas un durée")
        '« au » attend une date, pas une durée'
    """
    return _FEMININE_TYPE.sub(r"une \1", message)


class EngineError(Exception):
    """Base of every error `regles` raises on purpose."""


@frozen(eq=False)
class RulesError(EngineError):
    """A rule file could not be loaded; `diagnostics` says every reason, in file order."""

    diagnostics: tuple[Diagnostic, ...]
    sources: Mapping[str, Source] = field(factory=dict, repr=False)

    def __str__(self) -> str:
        return render_all(self.diagnostics, self.sources)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that are errors."""
        return tuple(d for d in self.diagnostics if d.is_error)


def os_reason(exc: OSError) -> str:
    """A French reason for a file or folder that cannot be read or written."""
    import errno
    reasons = {errno.ENOENT: "fichier introuvable", errno.EACCES: "accès refusé",
               errno.EPERM: "accès refusé", errno.EISDIR: "c'est un dossier, pas un fichier",
               errno.ENOTDIR: "un élément du chemin n'est pas un dossier", errno.ENOSPC: "disque plein",
               errno.EROFS: "système de fichiers en lecture seule"}
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Return a "did you mean" hint for an unknown name, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not matches:
        return None
    quoted = " ou ".join(f"« {m} »" for m in matches)
    return f"vouliez-vous dire {quoted} ?"


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    """Order diagnostics by file, position, then code."""
    s = diagnostic.span
    return (s.file, s.line, s.column, diagnostic.code)


def render(diagnostic: Diagnostic, sources: Mapping[str, Source]) -> str:
    """Render one diagnostic as plain text: header, location, underlined line, labels, hint."""
    d = diagnostic
    lines = [f"{d.severity.value}[{d.code}]: {d.message}"]
    lines += _excerpt(d.span, sources, "")
    for label in d.labels:
        lines += _excerpt(label.span, sources, label.note)
    if d.citation:
        lines.append(f"  = source : {d.citation}")
    if d.hint:
        lines.append(f"  = aide : {d.hint}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, Source]) -> str:
    """Render diagnostics separated by blank lines, followed by a one-line count."""
    diagnostics = list(diagnostics)
    blocks = [render(d, sources) for d in diagnostics]
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    blocks.append(_count_line(errors, warnings))
    return "\n\n".join(blocks)


def _count_line(errors: int, warnings: int) -> str:
    parts = []
    if errors:
        parts.append(f"{errors} erreur{'s' if errors > 1 else ''}")
    if warnings:
        parts.append(f"{warnings} avertissement{'s' if warnings > 1 else ''}")
    return " et ".join(parts) if parts else "aucun problème"


_WINDOW = 400
"""Longest source line quoted whole (characters); a longer one is quoted around the span, cut with `…`."""


def _window(text: str, span: Span) -> tuple[str, int, int]:
    """The part of a long line to quote, with the span's columns in it. A diagnostic quoting a whole
    250 KB table row, once per bad cell, made the output of one file gigabytes long."""
    end_column = span.end_column if span.end_line == span.line else len(text) + 1
    if len(text) <= _WINDOW:
        return text, span.column, end_column
    left = max(0, span.column - 1 - 100)
    right = min(len(text), left + _WINDOW)
    shown = ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")
    shift = left - (1 if left else 0)
    return shown, span.column - shift, min(end_column, right + 1) - shift


def _excerpt(span: Span, sources: Mapping[str, Source], note: str) -> list[str]:
    """The ` --> file:line:col` block with the source line and a caret underline."""
    out = [f" --> {span}" if span.line else f" --> {span.file}"]
    source = sources.get(span.file)
    if source is None or span.line < 1:
        if note:
            out.append(f"  = note : {note}")
        return out
    text, column, end_column = _window(source.line_text(span.line), span)
    gutter = str(span.line)
    pad = " " * len(gutter)
    prefix = text[: column - 1].expandtabs()
    width = max(1, end_column - column) if span.end_line == span.line else max(1, len(text) - column + 1)
    width = min(width, max(1, len(text.expandtabs()) - len(prefix))) if text else 1
    underline = " " * len(prefix) + "^" * width
    if note:
        underline += f" {note}"
    out += [f"{pad} |", f"{gutter} | {text.expandtabs()}", f"{pad} | {underline}"]
    return out
