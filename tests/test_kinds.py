"""The kinds of the language are enums that still behave as the strings they replaced."""

from __future__ import annotations

import json
import pickle

import pytest

from engine.lang import kinds
from engine.lang.kinds import DeclarationKind, EventKind, KeyKind, Kind, LiteralKind, TypeKind
from engine.lang.types import DATE, Type

ENUMS = [cls for cls in vars(kinds).values() if isinstance(cls, type) and issubclass(cls, Kind) and cls is not Kind]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_french_label(enum: type[Kind]) -> None:
    for member in enum:
        assert member.label and member.label == member.label.strip()


def test_members_sharing_a_value_keep_their_own_label() -> None:
    assert TypeKind.ENUM.label == "énumération"
    assert KeyKind.ENUM.label == "mot d'énumération"
    assert TypeKind.DECIMAL.label == "décimal"
    assert LiteralKind.PERCENT.label == "pourcentage"


def test_a_member_is_its_string() -> None:
    assert TypeKind.DATE == "date" and {"date": 1}[TypeKind.DATE] == 1
    assert json.dumps({"kind": TypeKind.DATE}) == '{"kind": "date"}'
    assert f"{DeclarationKind.RULE}" == "rule"
    assert repr(DeclarationKind.RULE) == "'rule'"  # generated code that writes {kind!r} stays valid


def test_fields_convert_strings_to_members() -> None:
    assert Type("date") == DATE and Type("date").kind is TypeKind.DATE
    assert str(Type("decimal")) == "décimal"


def test_members_survive_pickling() -> None:
    assert pickle.loads(pickle.dumps(Type("taux"))).kind is TypeKind.TAUX


def test_article_agrees_with_the_word() -> None:
    assert [k.with_article for k in DeclarationKind] == ["un paramètre", "une règle", "une fonction", "une table",
                                                         "un fait"]


def test_every_event_kind_has_a_french_label_and_is_its_string() -> None:
    assert all(kind.label and kind.label == kind.label.strip() for kind in EventKind)
    assert EventKind.ROUNDING.label == "arrondi" and EventKind.RULE == DeclarationKind.RULE == "rule"
    assert json.dumps({"kind": EventKind.TEXT_OF}) == '{"kind": "text_of"}'
