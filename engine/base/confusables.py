"""Look-alike names: Unicode skeletons (after UTS #39) and mixed scripts.

`plafond` and `plafоnd` (the second `о` Cyrillic) are two names a reviewer cannot tell apart: the
file reads one value while the other applies. The checker warns (W110) when two names in scope have
the same skeleton, and (W111) when one name mixes scripts. The skeleton follows UTS #39 §4: NFD,
each character mapped to its prototype, NFD again; NFKC first, so that compatibility forms
(fullwidth letters, the ligature `ﬁ`) count too. The map holds the confusables of UTS #39's
`confusables.txt` that can stand in a name of this language: Cyrillic and Greek letters that look
like Latin ones, and the Latin and digit pairs of the same table (`0`/`o`, `1`/`l`, `rn`/`m`).
It is deliberately small: names are lowercase French words, so the whole table (6 000 entries, most
for scripts no rule file uses) would add nothing but size.
"""

from __future__ import annotations

import unicodedata

_PROTOTYPES = {
    # Cyrillic letters drawn like Latin ones (confusables.txt, "MA" entries)
    "а": "a", "в": "b", "е": "e", "ё": "ë", "һ": "h", "і": "i", "ї": "ï", "ј": "j", "к": "k", "ӏ": "l",
    "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "с": "c", "т": "t", "у": "y", "ԝ": "w",
    "х": "x", "ԁ": "d", "ɡ": "g",
    "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "χ": "x", "τ": "t", "ε": "e",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin and digits
    "0": "o", "1": "l", "ı": "i", "ℓ": "l", "ǀ": "l",
}


def skeleton(name: str) -> str:
    """The form two confusable names share: NFKC, NFD, prototypes (`m` as `rn`), NFD."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name))
    mapped = "".join(_PROTOTYPES.get(ch, ch) for ch in text).replace("m", "rn")
    return unicodedata.normalize("NFD", mapped)


def scripts(name: str) -> list[str]:
    """The scripts of a name's letters, in order of appearance (`LATIN`, `CYRILLIC`, `GREEK`…)."""
    found: list[str] = []
    for ch in unicodedata.normalize("NFD", name):
        if not unicodedata.category(ch).startswith("L"):
            continue  # digits, `_` and accents belong to every script
        script = unicodedata.name(ch, "INCONNUE").split()[0]
        if script not in found:
            found.append(script)
    return found


SCRIPT_FRENCH = {"LATIN": "latine", "CYRILLIC": "cyrillique", "GREEK": "grecque", "ARMENIAN": "arménienne",
                 "HEBREW": "hébraïque", "ARABIC": "arabe", "CJK": "chinoise", "HIRAGANA": "japonaise",
                 "KATAKANA": "japonaise", "HANGUL": "coréenne", "GEORGIAN": "géorgienne"}


def foreign_letters(name: str) -> list[str]:
    """The letters of a name outside its first script, described (`о cyrillique, U+043E`)."""
    found = scripts(name)
    if len(found) < 2:
        return []
    shown = []
    for ch in name:
        if unicodedata.category(ch).startswith("L"):
            script = unicodedata.name(ch, "INCONNUE").split()[0]
            if script != found[0]:
                shown.append(f"« {ch} » {SCRIPT_FRENCH.get(script, script.lower())} (U+{ord(ch):04X})")
    return list(dict.fromkeys(shown))


_SCRIPT_ADJECTIVE = {"LATIN": "latin", "CYRILLIC": "cyrillique", "GREEK": "grec", "DIGIT": "chiffre"}


def describe(ch: str) -> str:
    """A character for a message, `« о » cyrillique (U+043E)`; several, or none, just quoted."""
    if len(ch) != 1:
        return f"« {ch} »"
    script = unicodedata.name(ch, "INCONNU").split()[0]
    return f"« {ch} » {_SCRIPT_ADJECTIVE.get(script, script.lower())} (U+{ord(ch):04X})"
