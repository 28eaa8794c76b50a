"""engine.tools.editor on the shipped rule files, without the protocol: every name it resolves has a
declaration and a hover, and a rename it proposes leaves files that load and whose examples pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import api
from engine.tools.editor import Index, RenameRefused
from engine.tools.examples import run_examples

ROOT = Path(__file__).resolve().parent.parent
CONVENTION = "rulesets/convention2024.rules"


@pytest.fixture(scope="module")
def index() -> Index:
    return Index(api.load(ROOT / CONVENTION).program)


def test_every_resolved_name_has_a_declaration_and_a_hover(index):
    files = set(index.sources)
    assert {Path(f).name for f in files} == {"avenant7.rules", "convention2024.rules"}
    for occ in index.occurrences:
        assert index.definitions(occ), (occ, index.location(occ))
        assert index.hover(occ).startswith("**"), occ


def test_names_in_comments_and_strings_are_not_names(index):
    text = index.sources[next(f for f in index.sources if f.endswith("convention2024.rules"))].text
    for occ in index.occurrences:
        if not occ.file.endswith("convention2024.rules"):
            continue
        line_start = text.rfind("\n", 0, occ.start) + 1
        before = text[line_start:occ.start]
        assert "#" not in before.replace('"#', ""), text[line_start:occ.end]
        assert before.count('"') % 2 == 0, text[line_start:occ.end]


def rename_on_disk(tmp_path: Path, line_text: str, offset: int, new_name: str) -> Path:
    """Copy the two files, apply the rename proposed at `line_text` (+offset; convention2024.rules is
    searched first), and return the new convention file."""
    for name in ("avenant7.rules", "convention2024.rules"):
        shutil.copy(ROOT / "rulesets" / name, tmp_path / name)
    program = api.load(tmp_path / "convention2024.rules").program
    index = Index(program)
    file = next(f for f in sorted(index.sources, reverse=True) if line_text in index.sources[f].text)
    lines = index.sources[file].text.split("\n")
    line = next(i for i, text in enumerate(lines) if line_text in text)
    occ = index.at(file, line, lines[line].index(line_text) + offset)
    assert occ is not None
    for edited, edits in index.rename(occ, new_name).items():
        path = Path(edited) if Path(edited).is_absolute() else Path.cwd() / edited
        text_lines = path.read_text(encoding="utf-8").split("\n")
        for loc, new_text in sorted(edits, key=lambda e: (e[0].line, e[0].column), reverse=True):
            row = text_lines[loc.line]
            text_lines[loc.line] = row[:loc.column] + new_text + row[loc.end_column:]
        path.write_text("\n".join(text_lines), encoding="utf-8")
    return tmp_path / "convention2024.rules"


@pytest.mark.parametrize(("where", "offset", "new_name", "old_name"), [
    ("si signature_avenant7 alors", 3, "signature_sous_avenant7", "signature_avenant7"),  # a rule of the amended file
    ("= date_signature >= debut_convention2024", 2, "date_du_contrat", "date_signature"),  # a fact, used in examples
    ("sinon avenant7.montant_maximal", 15, "plafond_annuel", "montant_maximal"),  # a replaced result
    ("source AMELI_CHANGE :", 8, "AMELI_JUIN_2024", "AMELI_CHANGE"),  # a declared source
    ("fonction objectif_indicateur (depart", 30, "niveau_depart", "depart"),  # a function's parameter
])
def test_a_rename_keeps_both_files_loading_and_their_examples_passing(tmp_path, where, offset, new_name, old_name):
    renamed = rename_on_disk(tmp_path, where, offset, new_name)
    code = "\n".join(line.split("#")[0] for path in (tmp_path / "avenant7.rules", renamed)
                     for line in path.read_text(encoding="utf-8").split("\n"))
    assert new_name in code
    for path in (tmp_path / "avenant7.rules", renamed):
        ruleset = api.load(path)
        assert [run.case.title for run in run_examples(ruleset) if not run.passed] == []
    if old_name == "depart":  # a parameter is renamed in its own function only
        assert "fonction atteinte_indicateur (depart : entier" in code
    program = api.load(renamed).program
    assert old_name not in {**program.definitions, **program.facts, **program.bibliography}


def test_rename_refusals(index):
    file = next(f for f in index.sources if f.endswith("convention2024.rules"))
    occ = next(o for o in index.occurrences if o.file == file and o.key == ("name", "signature_avenant7"))
    with pytest.raises(RenameRefused, match="mot-clé"):
        index.rename(occ, "sinon")
    with pytest.raises(RenameRefused, match="n'est pas un nom"):
        index.rename(occ, "2x")
    with pytest.raises(RenameRefused, match="déjà un nom"):
        index.rename(occ, "date_signature")
    word = next(o for o in index.occurrences if o.key[0] == "enum")
    with pytest.raises(RenameRefused, match="valeur d'énumération"):
        index.rename(word, "autre_mot")


def test_hover_on_a_dated_table_names_each_version_and_where_it_is_written(index):
    occ = next(o for o in index.occurrences if o.key == ("name", "montant_annuel") and not o.declaration)
    lines = [line for line in index.hover(occ).split("\n\n") if line.startswith("Texte : ")]
    assert [line.split(" (")[0] for line in lines] == ["Texte : avant le 22/06/2024 — avenant 7",
                                                       "Texte : à partir du 22/06/2024 — convention 2024"]
    assert "avenant7.rules:" in lines[0]
    assert "convention2024.rules:" in lines[1]


def test_completion_puts_the_compared_enumeration_first(index):
    file = next(f for f in index.sources if f.endswith("convention2024.rules"))
    lines = index.sources[file].text.split("\n")
    line = next(i for i, text in enumerate(lines) if "si option dans {" in text)
    column = lines[line].index("{") + 1
    preferred = {c.label for c in index.completions(file, line, column) if c.preferred}
    assert preferred == set(index.program.facts["option"].type.values)
