"""Generate docs/diagnostics.md: one entry per diagnostic code, with examples from the golden files.

The golden files are `tests/cases/diagnostics/CODE_name.rules` (input) and `CODE_name.expected` (the
exact rendered text). This script renders them the same way the golden test does, and writes the
page; `tests/test_golden.py` fails when the page is out of date or misses a code that appears in
`engine/`.

    python scripts/make_diagnostics_doc.py            # rewrite docs/diagnostics.md
    python scripts/make_diagnostics_doc.py --check    # exit 1 if it is out of date
    pytest tests/test_golden.py --update-golden        # rewrite the .expected files and this page
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "cases" / "diagnostics"
PAGE = ROOT / "docs" / "diagnostics.md"
CODE_IN_SOURCE = re.compile(r"""["']([EW]\d{3})["']""")
METADATA = re.compile(r"^# ([\w-]+): (.*)$", re.M)

FAMILIES = [
    ("E0", "Reading files"), ("E1", "Syntax"), ("E2", "Names"), ("E3", "Types and units"), ("E4", "Cycles"),
    ("E5", "Tables"), ("E6", "Amendments"), ("E7", "Examples, schedules and reports"), ("W", "Warnings"),
]

# code: (title, what it means, how to fix it)
ENTRIES: dict[str, tuple[str, str, str]] = {
    "E001": ("file cannot be read",
             "The rule file does not exist, is a folder, or cannot be read. Reported with no position.",
             "Check the path given to `regles` or `engine.load`. The command line exits with code 2."),
    "E002": ("file too large",
             "The file is larger than 256 KiB. Real rule files are a few tens of kilobytes; refusing larger "
             "input keeps every diagnostic within seconds. The size is checked with `stat` before the file "
             "is read, and reading stops at the limit (files under `/proc` report no size).",
             "Split the text into several files, one amending the other (`modifie \"…\"`)."),
    "E003": ("amended file outside the rule set",
             "The path after `modifie` is absolute, or leads out of the rule set's folder (with `..` or "
             "through a symbolic link). The rule set's folder is the folder of the file given to `regles` "
             "(or the `root` given to `engine.load`/`engine.loads`). The check comes before the file is "
             "looked for: the message says nothing about files outside, not even whether they exist.",
             "Keep the amended file in the same folder as the amending one, or in a sub-folder, and write "
             "its path relative to the amending file."),
    "E004": ("amended file is not a rule file",
             "The path after `modifie` does not name a `.rules` file (or is a link to a file that is not "
             "one). Only rule files are ever read.",
             "Name the `.rules` file of the amended text."),
    "E100": ("unexpected character",
             "A character that starts no token of the language, such as `$`.",
             "Remove the character or replace it; the hint lists what could come at that place."),
    "E101": ("unexpected word",
             "A token the grammar does not allow here. Also reported when a keyword such as `fin` stands "
             "where a value is missing (`x +` then `fin`).",
             "Read the hint: it lists what the parser was waiting for."),
    "E102": ("unexpected end of file",
             "The file stops inside a block or an expression. The caret is just after the last word.",
             "Complete the block, usually with the missing `fin`."),
    "E103": ("empty file",
             "The file is empty or contains only blanks.",
             "A rule file starts with `règles \"Titre\"`."),
    "E104": ("not UTF-8",
             "The file contains bytes that are not UTF-8 (often a Latin-1 file). The position is the first "
             "bad byte.",
             "Save the file as UTF-8 from the editor."),
    "E105": ("nesting too deep",
             "An expression nests more than 100 levels deep (parentheses, or a very long `si … sinon si` "
             "chain).",
             "Split the expression into named intermediate rules."),
    "E107": ("keyword used as a name",
             "A word that may stand where a name stands (`si`, `fin`, `jours`, `annee`, `au`…) cannot name a "
             "fact, parameter, rule, function or table: it would change the meaning of formulas.",
             "Choose another name, e.g. `annee_contrat`."),
    "E108": ("impossible date",
             "A date such as `31/02/2024` that is not in the calendar.",
             "Fix the day or the month; dates are written `jj/mm/aaaa`."),
    "E109": ("item written twice",
             "A block item that may appear once (description, question, unit, `applicable si`, `à partir "
             "du`) is written twice. The first occurrence is shown as a label.",
             "Keep one of the two."),
    "E110": ("block not closed",
             "A block (fait, paramètre, règle, table, exemple) is missing its `fin`: the next declaration "
             "starts inside it.",
             "Add `fin` at the end of the previous block."),
    "E111": ("formula not last",
             "An item (source, description, status, guard, unit) is written after the `= …` formula of a "
             "rule.",
             "Move the item above the formula: the formula is always the last item."),
    "E112": ("chained comparison",
             "`a < b < c`: a comparison cannot follow another.",
             "Join two comparisons with `et`: `a < b et b < c`."),
    "E113": ("`si` without `sinon`",
             "A condition must say what to do in both cases.",
             "Add `sinon …`, for example `sinon non applicable \"raison\"`."),
    "E114": ("`alors` missing",
             "A `si` condition is followed by a value without `alors`.",
             "Write `si condition alors valeur sinon autre valeur`."),
    "E115": ("type missing",
             "Nothing (or a description) follows the `:` that introduces a type.",
             "Write a type: montant, taux, entier, décimal, booléen, date, durée, texte or énumération {…}."),
    "E116": ("formula or value missing",
             "A rule has no `= …` formula, or a parameter has neither a value nor dated values.",
             "Add the `= …` line (last in the block), or `paramètre nom = valeur`."),
    "E117": ("`attendu` missing",
             "An example lists facts and results without `attendu` between them.",
             "Write the given facts, then `attendu`, then the expected results."),
    "E118": ("title missing",
             "The file does not start with its title.",
             "Add `règles \"Titre du texte encodé\"` as the first line."),
    "E120": ("number too long",
             "A number written with more than 28 digits, or of 10²⁰ or more: no amount, count or rate of a rule "
             "file needs as many, and exact arithmetic computes below 10²⁰ with at most 40 significant digits "
             "(docs/security.md).",
             "Check the number; write a smaller one."),
    "E119": ("keyword read where a name is expected",
             "A short name that is also a keyword (`a` is the keyword `à` without its accent) stands where "
             "the parser can read it as the keyword, for instance two facts of an example on one line "
             "without a comma.",
             "Separate the entries with a comma, or rename the fact."),
    "E121": ("text after a source key",
             "`source CLE \"…\"` on one line: the grammar reads the string as the block's description, while "
             "its writer most likely meant the precision of the citation. Refused rather than guessed.",
             "For a precision write `source CLE : \"…\"`; for a description, put the string on its own line."),
    "E201": ("unknown name",
             "A name that is not a fact, parameter, rule, table, function, enumeration word or type. The "
             "hint suggests close names, or lists the words of the expected enumeration.",
             "Fix the spelling, or declare the name."),
    "E202": ("name already defined",
             "Two declarations share a name (a rule and a fact too), or a file has two schedules. The "
             "first definition is shown as a label.",
             "Rename one of the two, or remove the duplicate. The same code reports a source key declared "
             "twice, in one file or again in a file that amends the one declaring it (which already sees it)."),
    "E203": ("unknown file prefix",
             "`fichier.nom` or `remplace fichier.nom` names a file that is not amended by this one.",
             "Use the stem of the amended file (`avenant7` for `avenant7.rules`); the hint lists them."),
    "E204": ("unknown table key",
             "A table row or column key is not a word of the key's enumeration.",
             "Fix the word (the hint suggests close ones), or use `autre`."),
    "E206": ("call of the wrong kind",
             "A table or function is named without its arguments, or a rule or parameter is given "
             "arguments.",
             "Write `table(clés…)` for tables and functions; write a rule's name alone."),
    "E207": ("wrong number of arguments",
             "A table or function is called with a different number of arguments than it declares, or "
             "`min`/`max` get fewer than two values.",
             "Give one argument per declared key or parameter."),
    "E208": ("unknown source",
             "A citation `source CLE` names a key that no `source CLE \"titre\" … fin` declares, in this file "
             "or in the file it amends. The key is underlined; the hint suggests close keys, or lists the "
             "declared ones.",
             "Fix the key, or declare the source once (title, `éditeur`, `date`, `lien`) and cite it by key."),
    "E209": ("source without a title",
             "A source declaration has no title, or a blank one: citations print the title, so a source "
             "without one would print nothing a reader can look up.",
             "Write the title after the key: `source CLE \"Titre de la publication\" … fin`."),
    "E301": ("impossible operation",
             "An arithmetic operation whose units do not combine: money + date, a date + a number, the "
             "opposite of a date, a duration counted in a non-integer.",
             "Check the units; to move a date, add a duration (`+ 15 jours`, `+ 1 mois`, `+ 3 ans`)."),
    "E302": ("values of incompatible types",
             "A comparison, argument, bound, set item or key whose type does not fit, typically a "
             "percentage compared with a bare number (`part > 20`).",
             "Write the value with its unit: `20 %`, `12 000 €`."),
    "E303": ("formula of the wrong type",
             "A rule's formula, or a table cell, gives another type than the one declared.",
             "Fix the formula or the declared type; the hint spots a missing `%` or `€`."),
    "E304": ("condition is not a boolean",
             "`si`, `et`, `ou`, `non` or `applicable si` is given something that is not true or false.",
             "Write a comparison (`patientele > 640`), a boolean fact or rule, or a combination of them."),
    "E305": ("impossible rounding",
             "An unknown rounding unit (`au centimes`), rounding a non-number, or `à l'euro` on something "
             "that is not money.",
             "Use `au centime`, `à l'euro`, `à l'entier`, `à la dizaine`, `à la centaine` or `au millier`, "
             "on a number of the right kind."),
    "E306": ("`au` or `texte de` on a rule",
             "`x au date` and `texte de x au date` apply to parameters and tables, which have dated "
             "versions; a rule is computed from the facts of the case.",
             "Remove `au …`, or read the dated parameter or table the rule uses."),
    "E307": ("dated definition read without a date",
             "A parameter or table with dated versions is read without `au`. Each version is shown as a "
             "label.",
             "Say at which date to read it: `seuil au date_signature`."),
    "E308": ("empty reason",
             "`non applicable \"\"` or `indéterminé \"\"`: the reason appears in explanations and letters.",
             "Say in one sentence why there is no value."),
    "E309": ("branches of different types",
             "The `alors` and `sinon` branches of a `si` do not have the same type.",
             "Make both branches give the same kind of value."),
    "E310": ("`au` without a date",
             "The value after `au` is not a date.",
             "Give a date: a date fact, rule or literal."),
    "E311": ("version date not constant",
             "`à partir du …` (a version, or the header's period) must be a written date or a date parameter "
             "with one value, not a fact or a computed value.",
             "Write the date, or declare it as a parameter."),
    "E312": ("set of non-constants",
             "A set `{…}` after `dans` contains something other than written values (words, numbers).",
             "Write the values; compare with other rules using `=` and `ou`."),
    "E313": ("empty period in force",
             "The header's period ends before it starts (`en vigueur du … au …`).",
             "Check the order and the year of the two dates."),
    "E314": ("`en vigueur au` without a period",
             "A formula reads the period in force, but the header declares none.",
             "Declare it in the header: `en vigueur du … au …`, `à partir du …` or `jusqu'au …`."),
    "E315": ("not a set",
             "`dans nom` names something that is not a set parameter, or a set parameter is read outside "
             "`dans` / `pas dans`.",
             "Declare the set as a parameter (`paramètre exclues = {a, b} fin`) and read it with `x dans exclues`."),
    "E401": ("circular dependency",
             "Rules that depend on each other, directly or through functions, tables and guards. The path "
             "is in the message; each step is a label.",
             "Break the cycle: one of the rules must be computed without the other."),
    "E402": ("dependency chain too long",
             "More than 100 rules each use the next one. Evaluation and explanations walk such a chain "
             "recursively, so it is refused before anything runs (the bundled files are about 15 rules deep).",
             "Merge intermediate steps into one formula, or group them in a function."),
    "E403": ("evaluation too long",
             "One evaluation could take more than a million formula steps, each function call expanded: "
             "rules are computed once per evaluation, but a function at each call, so functions that call "
             "the next one twice double the work at each level (24 levels: 16 million calls). The bundled "
             "rule files take fewer than 600 steps.",
             "Compute the repeated value once, in a rule, and pass it as an argument."),
    "E404": ("formulas nested too deep along rules",
             "The deepest path of nested formula nodes, through the rules, functions and tables a definition "
             "reads, exceeds 200 levels. E105 bounds one formula and E402 the chain of rules, but evaluation "
             "and explanations recurse through both at once. The bundled rule files reach 25.",
             "Name simpler intermediate steps, or shorten the chain of rules."),
    "E501": ("overlapping bands",
             "Two bands of a numeric key cover a common value, so a lookup would be ambiguous.",
             "Make each band start where the previous one ends (`moins de 50`, `de 50 à moins de 70`)."),
    "E502": ("gap between bands",
             "Some values fall in no band: between two bands, below the first or above the last. On an "
             "`entier` key, `jusqu'à 40` then `41 et plus` leave no gap.",
             "Add or widen a band; the hint says where the next band must start. An `autre` row also "
             "covers the rest."),
    "E503": ("enumeration not covered",
             "Some words of an enumeration key have no row (or column).",
             "Add a row per word, or an `autre` row."),
    "E504": ("wrong number of cells",
             "A row has a different number of cells than the header, or a one-key table's header does not "
             "have two cells.",
             "Give every row as many cells as the header."),
    "E505": ("duplicate key or date",
             "A table key written twice, a word twice in an enumeration, or two versions of a parameter "
             "starting on the same date.",
             "Remove or fix the duplicate."),
    "E506": ("too many keys",
             "A table has more than two keys.",
             "Split the table into tables of at most two keys."),
    "E507": ("table without rows",
             "A table has a header but no row of values.",
             "Write a header, then one `| clé | valeur |` row per case."),
    "E508": ("empty cell",
             "A table cell is blank.",
             "Write a value, `—` for a case the published table leaves empty, or `non applicable "
             "\"raison\"`."),
    "E509": ("band on a non-numeric key",
             "A band (`moins de 2`) on a key that is neither a number nor a date.",
             "Use the words of the enumeration as keys."),
    "E510": ("empty band",
             "A band whose lower bound passes its upper bound (`de 50 à 40`).",
             "Swap or fix the bounds."),
    "E600": ("amended file has errors",
             "The file named by `modifie` does not load; its own diagnostics follow.",
             "Fix the amended file first."),
    "E601": ("nothing to replace",
             "`remplace fichier.nom` names a definition the amended file does not have.",
             "Fix the name (the hint suggests close ones), or remove `remplace` for a new definition."),
    "E602": ("replacement changes type or kind",
             "A replacement must keep the type, the kind (rule, parameter, table, function) and the "
             "parameters of the definition it replaces, which is shown as a label.",
             "Keep the same declaration line; change only the formula or the grid."),
    "E603": ("redefinition without `remplace`",
             "An amending file defines a name the amended file already defines, or redeclares an "
             "inherited fact with another type.",
             "Add `remplace fichier.nom` to replace the definition; redeclare a fact only with its type."),
    "E604": ("amended file not found, or renamed replacement",
             "The file named by `modifie` does not exist (the path is relative to the amending file's "
             "folder), or a replacement has another name than what it replaces.",
             "Fix the path; keep the replaced name."),
    "E605": ("circular amendment",
             "Files that amend each other, directly or indirectly.",
             "A text amends an older one; remove the `modifie` that closes the loop."),
    "E606": ("`remplace` without `modifie`",
             "A definition says what it replaces in a file that amends nothing.",
             "Add `modifie \"fichier.rules\"` to the header, or remove `remplace`."),
    "E607": ("second `modifie`",
             "A file amends exactly one text; a second `modifie` line used to replace the first in silence.",
             "Keep one `modifie`: the amended file brings the texts it amends itself."),
    "E608": ("`précise` that changes nothing, or more than metadata",
             "A `précise fichier.nom` block keeps the inherited formula: it may change the description, "
             "citations, statuses, `interne`, the unit or the reason of `applicable si`, not the guard's "
             "condition, and it has no `remplace`. An empty block is refused too.",
             "To change the formula or the condition, replace the definition (`remplace fichier.nom`)."),
    "E609": ("reuse from another text",
             "`reprend a de \"f.rules\"`: `a` does not exist in f, f is the amended file itself or cannot be "
             "found, or the reused definition reads a name, a fact or an original (`fichier.nom`) this file "
             "does not have, or has with another type.",
             "Reuse what it reads too (`reprend a, b de …`), declare the facts it reads, or define the name."),
    "E610": ("withdrawal",
             "`abroge x`: x is not a definition of the amended file, is also redefined here, or is still read "
             "(by a formula of this file, an example, or an inherited definition, reported at the withdrawal).",
             "Remove the reference, replace the inherited definition that reads it, or keep x."),
    "E701": ("unknown fact in an example",
             "An example gives (or expects missing) a fact that is not declared.",
             "Fix the name; the hint suggests close ones."),
    "E702": ("unknown result",
             "An example expects, or a schedule shows, a result that is not a rule of the file.",
             "Fix the name; the hint suggests close ones."),
    "E703": ("example value of the wrong type",
             "A value in an example does not fit the fact or the result, e.g. `25` for a taux.",
             "Write the value with its unit (`25 %`, `12 000 €`)."),
    "E704": ("unknown base example",
             "`reprend \"titre\"` names no example written above it.",
             "Copy the exact title of an earlier example."),
    "E705": ("invalid schedule",
             "The schedule's axis is not an integer fact, its range is empty, or it totals something that "
             "is not money or a number.",
             "Use an `entier` fact as the axis, `de 1 à 5`, and total amounts."),
    "E706": ("invalid headline result",
             "`résultat principal : nom` in the header names something that is not a boolean `résultat` of "
             "the file: an unknown name, a result of another type, or an intermediate `règle`. In an amending "
             "file, the inherited headline is checked too (reported at `modifie`) when the file withdraws it. "
             "Batch counts the headline's values, the impact report sorts rows on it and letters read it.",
             "Name the boolean result that decides a case; the hint suggests close ones or lists them."),
    "E707": ("invalid breakdown fact",
             "`ventilation : a, b` in the header names something that is not a fact of enumeration, boolean or "
             "integer type (the impact report groups cases by their values), or names a fact twice.",
             "Name facts with few values; the hint suggests close ones or lists them."),
    "W101": ("unused fact",
             "A declared fact that no rule reads. The file still loads.",
             "Remove it, use it, or mark it `ignoré` if fact files may still give it."),
    "W102": ("unused parameter",
             "A parameter no rule reads.",
             "Remove it or use it."),
    "W103": ("unused rule",
             "A `règle` no other rule reads and that is not a `résultat`.",
             "Remove it, use it, or declare it `résultat`."),
    "W104": ("unused table or function",
             "A table or function no rule calls.",
             "Remove it or use it."),
    "W105": ("ignored fact is read",
             "A fact marked `ignoré` is read by a rule.",
             "Remove `ignoré`, or the rule that reads the fact."),
    "W108": ("amending file reads an ignored inherited fact",
             "A rule of an amending file reads a fact the amended file marks `ignoré`, without declaring it "
             "again. The fact is then treated as used (the JSON schema no longer says \"accepté mais non "
             "utilisé\").",
             "Declare the fact again with its type (`fait x : type fin`) to say this text reads it."),
    "W109": ("inherited facts no rule reads any more",
             "Facts of the amended file that no rule of the merged program reads any more (their rules were "
             "all replaced), listed in one warning at `modifie`.",
             "Declare each again with `ignoré : \"raison\"` if it is accepted without being read, or check the "
             "replacements that stopped reading it."),
    "W113": ("period in force that does nothing",
             "The header's period is written with dates that no formula of the file reads (`en vigueur au …`). "
             "Changing it would change no result.",
             "Read it in a rule (`en vigueur au date_signature`), or write its bounds as date parameters that "
             "the rules read (`en vigueur du debut au fin`)."),
    "W114": ("output replaced by a `règle`",
             "A replacement written `règle` of an inherited `résultat` stays an output: the word `règle` "
             "used to be accepted in silence with no effect.",
             "Write `résultat`; to take it out of the outputs, withdraw it (`abroge x`)."),
    "W120": ("ordinary space between a number and its unit",
             "A quoted text of the rule file writes a number and `%` or `€` with an ordinary space (`70 %`). "
             "Explanations, letters and pages quote the text word for word, and a terminal or a browser may "
             "then end a line after `70` and start the next with `%`. Comments and table rows are not read.",
             "Write a no-break space (U+00A0), as the engine writes `7 000,00 €`: `regles fmt` replaces "
             "every such space in place (`engine.check.typography`)."),
    "W106": ("citation in free text",
             "`source \"…\"` cites no declared source: explanations and the doc site can print only the "
             "text, with no title, publisher, date or link. Kept loadable so that older files still run.",
             "Declare the source (`source CLE \"Titre\" … fin`) and cite it by key; what the text added goes "
             "in the precision: `source CLE : \"art. 9-5-2-2\"`."),
    "W107": ("unused source",
             "A declared source that no definition or fact of the file cites.",
             "Remove the declaration, or cite it where the rule file relies on it."),
    "W110": ("look-alike names",
             "Two names in the same scope look the same: they have the same skeleton (Unicode UTS #39: NFKC, "
             "then each character mapped to the Latin letter it is drawn like, `о` Cyrillic as `o`, `rn` as "
             "`m`). A reviewer reads one name while the other applies. Scopes: the file's declarations with "
             "the names it inherits, each enumeration's words, each function's parameters.",
             "Rename one of the two, in Latin letters."),
    "W111": ("name mixing scripts",
             "A name mixes letters of several scripts (Latin and Cyrillic, Latin and Greek): usually a "
             "letter typed on another keyboard layout or pasted from elsewhere, invisible on screen.",
             "Retype the name in Latin letters."),
    "W112": ("rate over 100 %",
             "A parameter of type `taux` is over 100 % (`250 %`, or `1,5` where `1,5 %` was meant), or a "
             "`taux` fact declares no upper bound, so a value of 150 % would be accepted without a word. A "
             "fact whose declared range goes above 100 % (`taux de 0 % à 200 %`) says it is meant; a "
             "percentage inside a formula (`8 350 € × 105 %`, a revaluation) is not reported.",
             "Check the value; give the fact its bounds, e.g. `taux de 0 % à 100 %`."),
}


def engine_codes() -> set[str]:
    """Every diagnostic code written in the engine's source."""
    found: set[str] = set()
    for path in (ROOT / "engine").rglob("*.py"):
        found |= set(CODE_IN_SOURCE.findall(path.read_text(encoding="utf-8")))
    return found


def golden_cases() -> list[Path]:
    """The golden inputs, in code order."""
    return sorted(GOLDEN.glob("*.rules"))


def code_of(case: Path) -> str:
    """The code a golden case is about: the start of its file name."""
    return case.stem.split("_", 1)[0]


def metadata(case: Path) -> dict[str, str]:
    """`# key: value` lines of a golden input (sqlglot style)."""
    text = case.read_bytes().decode("utf-8", errors="replace")
    return dict(METADATA.findall(text))


def render_case(case: Path) -> str:
    """The rendered diagnostics for a golden input, exactly as `str(RulesError)` (or the warnings).

    Metadata: `# load: PATH` loads another file (relative to the repository root);
    `# pad-to-bytes: N` pads the text with a comment to N bytes and loads it with `engine.loads`.
    Must run from the repository root, so that paths in messages are relative to it.
    """
    import engine
    from engine.base.diagnostics import render_all
    meta = metadata(case)
    name = case.relative_to(ROOT).as_posix()
    try:
        if "load" in meta:
            ruleset = engine.load(meta["load"])
        elif "pad-to-bytes" in meta:
            text = case.read_text(encoding="utf-8")
            ruleset = engine.loads(text + "#" * (int(meta["pad-to-bytes"]) - len(text.encode())), filename=name)
        else:
            ruleset = engine.load(name)
    except engine.RulesError as exc:
        return str(exc) + "\n"
    return render_all(ruleset.warnings, ruleset.program.sources) + "\n"


def _fence(text: str, language: str = "") -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def render_page() -> str:
    """The whole docs/diagnostics.md page."""
    cases: dict[str, list[Path]] = {}
    for case in golden_cases():
        cases.setdefault(code_of(case), []).append(case)
    out = [
        "# Diagnostics",
        "",
        "<!-- Generated by scripts/make_diagnostics_doc.py from tests/cases/diagnostics; do not edit by hand. -->",
        "",
        "Every problem `regles` finds in a rule file is a diagnostic with a stable code, a French message, "
        "the place as `file:line:column`, the offending text underlined, and usually a hint (`aide`). "
        "Errors (`E…`) stop loading; all of a file's errors are reported at once, except syntax errors "
        "(`E1…`), where parsing stops at the first. Warnings (`W…`) do not stop loading. Each example below "
        "is a golden file of the test suite (`tests/cases/diagnostics`), shown with its exact rendering.",
        "",
        "Exit codes of the command line: 1 for a rule file with errors (including `E003`, `E004`), 2 when "
        "no rule file could be read (`E001`, `E002`).",
        "",
        "## Machine-readable output",
        "",
        "The same diagnostics reach tools without parsing the French text:",
        "",
        "- `regles check --format json FICHIER…` prints one JSON document: `files` (per file: `file`, "
        "`correct`, `outputs`, `examples` and `diagnostics`, each with `severity`, `code`, `message`, `span` "
        "— 1-based `line`/`column`, end exclusive, in characters —, `hint`, `labels` and `citation`), then "
        "the `errors` and `warnings` counts. Nothing is printed on standard error; the exit code is the "
        "text mode's.",
        "- `regles check --format sarif FICHIER…` prints a SARIF 2.1.0 log (one run of the tool `regles`): "
        "one result per diagnostic, `ruleId` the code, `level` `error` or `warning`, the message followed "
        "by `; source : …` and `; aide : …`, the span as a region (`columnKind` `unicodeCodePoints`), "
        "labels as related locations; file names are URI references (relative when the file is under the "
        "working directory, percent-encoded); a file that cannot be read (`E001`, `E002`) has no region. "
        "`tests/test_reports.py` validates it against the OASIS schema.",
        "- `regles test --format junit [FICHIER|DOSSIER…]` prints JUnit XML: one `testsuite` per rule file, "
        "one `testcase` per example (named by its title, with `file` and `line`), a `failure` per failing "
        "example listing each `attendu … obtenu …`, an `error` for invalid facts or a file that does not "
        "load. The usual text goes to standard error.",
        "- `regles lsp` publishes the same diagnostics to an editor as it types (docs/editors.md).",
        "",
    ]
    for prefix, title in FAMILIES:
        codes = sorted(c for c in ENTRIES if c.startswith(prefix))
        out += [f"## {title}", ""]
        for code in codes:
            heading, meaning, fix = ENTRIES[code]
            out += [f"### {code}: {heading}", "", meaning, "", f"**Fix:** {fix}", ""]
            for case in cases.get(code, []):
                rel = case.relative_to(ROOT).as_posix()
                if not metadata(case) and case.stat().st_size:
                    kind = "regles-erreur" if code.startswith("E") else "regles-avertissement"
                    text = case.read_text(encoding="utf-8", errors="replace")
                    out += [f"`{rel}`:", "", _fence(text, f"{kind} {code}"), ""]
                expected = case.with_suffix(".expected")
                rendered = expected.read_text(encoding="utf-8") if expected.exists() else "(missing golden)"
                out += ["Rendered:", "", _fence(rendered, "text"), ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    """Write the page, or with --check report whether it is up to date."""
    page = render_page()
    if "--check" in argv:
        if PAGE.read_text(encoding="utf-8") != page:
            print("docs/diagnostics.md is out of date: run python scripts/make_diagnostics_doc.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
