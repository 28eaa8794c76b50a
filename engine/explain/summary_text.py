"""A summary's parts and its two forms: the items it shows, its sources, and its text (one screen) and JSON.

Stage: explain. `engine.explain.summary` builds a `Summary` from a trace; this module only holds it
and lays it out: the text form fits `MAX_LINES` lines, cutting the longer lists with a line that says
how many items the `--detail` view adds.
"""

from __future__ import annotations

from enum import StrEnum

from attrs import field, frozen

from engine.lang.statuses import Status

MAX_LINES = 15
"""A summary fits one screen."""

class ItemKind(StrEnum):
    """What a summary item shows; its value is the `kind` of the item's JSON form."""

    FACT = "fact"
    VALUE = "value"
    CONDITION = "condition"


@frozen
class Item:
    """A fact, a value or a condition a summary shows: its name (for links and JSON, never printed in
    text), its label in the doctor's terms and its value as text."""

    kind: ItemKind
    name: str
    label: str
    value: str
    held: bool | None = None
    detail: tuple[str, ...] = ()
    calculation: str | None = None
    page: str | None = None
    result: dict[str, object] | None = None
    """The value in JSON form (`engine.evaluate.trace.result_json`), for the JSON output."""

    def text(self) -> str:
        """The item as one line of text (without its bullet)."""
        if self.kind == ItemKind.CONDITION:
            word = {True: "remplie", False: "non remplie", None: "non déterminée"}[self.held]
            head = f"{word} : {self.label}"
            if self.held is None:
                head += f" ({self.value})"
            return head + (" — " + " ; ".join(self.detail) if self.detail else "")
        shown = f"{self.label} : {self.value}"
        return shown + (f" = {self.calculation}" if self.calculation else "")

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "name": self.name, "label": self.label, "value": self.value}
        if self.kind == ItemKind.CONDITION:
            out["held"] = self.held
            out["unmet"] = list(self.detail)
        if self.calculation:
            out["calculation"] = self.calculation
        if self.page:
            out["page"] = self.page
        if self.result is not None:
            out["result"] = self.result
        return out


@frozen
class Citation:
    """A source as a reader sees it: its text, and its address when the rule file declares one;
    `fields` are the declared source's key, title, publisher, date, URL and precision, as the trace
    JSON writes them (`engine.check.bibliography.Citation.to_json`), for the JSON summary."""

    text: str
    url: str | None = None
    fields: tuple[tuple[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "url": self.url, **dict(self.fields)}


@frozen
class Summary:
    """What `regles explain` says first about one result."""

    name: str
    label: str
    status: str
    value: str
    result: dict[str, object]
    why: str | None
    rule: str | None
    calculation: str | None
    values: tuple[Item, ...] = ()
    conditions: tuple[Item, ...] = ()
    facts: tuple[Item, ...] = ()
    questions: tuple[str, ...] = ()
    sources: tuple[Citation, ...] = ()
    flags: tuple[int, int] = (0, 0)
    page: str | None = field(default=None)

    def reasons(self) -> list[tuple[str, str]]:
        """The reasons under the value, each with its French heading (`Pourquoi`, `Règle`, `Calcul`), those
        the summary has, in order: the text and the HTML forms print the same ones."""
        found = (("Pourquoi", self.why), ("Règle", self.rule), ("Calcul", self.calculation))
        return [(heading, text) for heading, text in found if text]

    def lines(self, limit: int = MAX_LINES) -> list[str]:
        """The summary as text lines, at most `limit` (at least 14: four head lines, four sections of a
        heading and one item, two tail lines): the lists share what room is left, in order, so the
        facts are cut first, each cut list saying how many items `--detail` adds."""
        head = [f"{self.label} : {self.value}", *(f"{heading} : {text}" for heading, text in self.reasons())]
        tail = []
        warning = _flags_text(self.flags)
        if warning:
            tail.append(warning)
        if self.sources:
            tail.append("Source" + ("s" if len(self.sources) > 1 else "") + " : "
                        + " ; ".join(c.text + (f" <{c.url}>" if c.url else "") for c in self.sources))
        sections = [("Questions à poser :", list(self.questions)),
                    ("Conditions :", [i.text() for i in self.conditions]),
                    ("Valeurs utilisées :", [i.text() for i in self.values]),
                    ("Faits déterminants :", [i.text() for i in self.facts])]
        room = limit - len(head) - len(tail)
        body = _fit(sections, room)
        return head + body + tail

    def text(self, limit: int = MAX_LINES) -> str:
        return "\n".join(self.lines(limit))

    def to_json(self) -> dict[str, object]:
        """The summary as JSON: every item, uncut, and the text lines as printed."""
        return {
            "name": self.name, "label": self.label, "status": self.status, "value": self.value,
            "result": self.result, "why": self.why, "rule": self.rule, "calculation": self.calculation,
            "values": [i.to_json() for i in self.values],
            "conditions": [i.to_json() for i in self.conditions],
            "facts": [i.to_json() for i in self.facts],
            "questions": list(self.questions),
            "sources": [c.to_json() for c in self.sources],
            "flags": {Status.TO_CONFIRM.value: self.flags[0], Status.MODELLING_CHOICE.value: self.flags[1]},
            "lines": self.lines(), "page": self.page,
        }


def _flags_text(flags: tuple[int, int]) -> str | None:
    confirm, choices = flags
    parts = []
    if confirm:
        parts.append(f"{confirm} valeur{'s' if confirm > 1 else ''} {Status.TO_CONFIRM.label}")
    if choices:
        parts.append(f"{choices} {Status.MODELLING_CHOICE.label}")
    if not parts:
        return None
    return "Points d'attention : " + " et ".join(parts) + " (voir --detail)"


def _fit(sections: list[tuple[str, list[str]]], room: int) -> list[str]:
    """The sections' lines within `room` lines: each non-empty section keeps its heading and at least
    one item; the rest of the room goes to sections in order; a cut list ends with how many it hides."""
    present = [(h, items) for h, items in sections if items]
    if not present:
        return []
    keep = {h: 1 for h, _ in present}
    spare = max(room - 2 * len(present), 0)
    for h, items in present:
        extra = min(len(items) - 1, spare)
        keep[h] += extra
        spare -= extra
    out = []
    for h, items in present:
        n = keep[h]
        if n < len(items):
            n = max(n - 1, 0) if n > 1 else n
            shown = items[:n]
            hidden = len(items) - n
            out.append(h)
            out += [f"  - {i}" for i in shown]
            if n < keep[h] or n == 0:
                out.append(f"  - … et {hidden} autre{'s' if hidden > 1 else ''} (voir --detail)")
            else:
                out[-1] += f" (et {hidden} autre{'s' if hidden > 1 else ''}, voir --detail)"
        else:
            out.append(h)
            out += [f"  - {i}" for i in items]
    return out
