"""The statuses a rule file puts on a value: one enum, one French label each.

`à confirmer` (a value read in a secondary source, or reconstructed), `choix de modélisation` (no
source: a choice the note explains) and `ignoré` (a fact accepted but read by no rule). The syntax
tree, the checked model, explanations, letters and the doc site all use `Status`; its values are
the identifiers JSON output has always used (`a_confirmer`, `choix_de_modelisation`), so a
`StrEnum` keeps them stable. It lives with the other shared vocabulary of the language
(`engine.lang`) because the syntax stage, below the model, already needs it.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """A status mark of a definition, a table cell or a fact."""

    TO_CONFIRM = "a_confirmer"
    MODELLING_CHOICE = "choix_de_modelisation"
    IGNORED = "ignore"

    @property
    def label(self) -> str:
        """The status as the rule language writes it: « à confirmer »."""
        return _LABELS[self]

    @property
    def heading(self) -> str:
        """The label starting a sentence or a badge: « À confirmer »."""
        return self.label[0].upper() + self.label[1:]

    @classmethod
    def from_label(cls, label: str) -> Status:
        """The status whose label this is (as a trace records it).

        Raises:
            ValueError: no status has this label.
        """
        found = _BY_LABEL.get(label)
        if found is None:
            raise ValueError(f"statut inconnu « {label} »")
        return found


_LABELS = {Status.TO_CONFIRM: "à confirmer", Status.MODELLING_CHOICE: "choix de modélisation",
           Status.IGNORED: "ignoré"}
_BY_LABEL = {label: status for status, label in _LABELS.items()}


def mark_text(status: Status, note: str | None) -> str:
    """A status with its note, as traces record it: `à confirmer : note`."""
    return status.label + (f" : {note}" if note else "")


def parse_mark(text: str) -> tuple[Status, str | None]:
    """The status and note of a mark as traces record it (`mark_text`), the inverse of `mark_text`."""
    label, _, note = text.partition(" : ")
    return Status.from_label(label), note or None
