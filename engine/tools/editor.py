"""Editor features over a checked program: what the name under the cursor is, where it is declared
and used, what hover says about it, what to complete, and how to rename it.

Pure Python with no protocol library: `engine.tools.lsp` turns these answers into Language Server
Protocol messages, and the tests check them both directly and through the server. Names are
found lexically — identifiers outside comments and strings, in every file of the amendment chain
— then resolved against the checked program, which knows every fact, definition, original
(`avenant7.x`), function or table parameter and enumeration word. A lexical scan sees the names in
examples, guards and schedules too, which the model's expressions do not carry.

Positions here are (file name as in `Span.file`, 0-based line, 0-based column in characters);
the protocol layer converts columns to UTF-16 units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from attrs import frozen

from engine.base.diagnostics import Diagnostic
from engine.base.source import Source, Span
from engine.check import bibliography, model
from engine.lang.kinds import DeclarationKind, TypeKind
from engine.lang.types import Type

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|«[^»\n]*»)
  | (?P<number>\d\w*)
  | (?P<name>(?:(?P<prefix>[^\W\d]\w*)\.)?(?P<word>[^\W\d]\w*))
""", re.VERBOSE)

NAME = re.compile(r"[^\W\d]\w*")



class CompletionKind(StrEnum):
    """What a completion or a document symbol names, as the editor shows it (in French)."""

    FACT = "fait"
    PARAMETER = "paramètre"
    RULE = "règle"
    OUTPUT = "résultat"
    TABLE = "table"
    FUNCTION = "fonction"
    LOCAL = "paramètre local"
    VALUE = "valeur"
    KEYWORD = "mot-clé"
    SOURCE = "source"


_DECLARED = {DeclarationKind.PARAMETER: CompletionKind.PARAMETER, DeclarationKind.RULE: CompletionKind.RULE,
             DeclarationKind.TABLE: CompletionKind.TABLE, DeclarationKind.FUNCTION: CompletionKind.FUNCTION}


def kind_french(definition: model.Definition) -> CompletionKind:
    """The keyword that declares a definition (`résultat` for an output rule)."""
    return CompletionKind.OUTPUT if definition.is_output else _DECLARED[definition.kind]


class OccurrenceKind(StrEnum):
    """What an identifier names, the first element of `Occurrence.key`."""

    NAME = "name"
    """A fact or a definition (the rest of the key is its name)."""
    LOCAL = "local"
    """A parameter of a table or a function, within its declaration (file, offset, owner, name)."""
    SOURCE = "source"
    """A source of the bibliography, by its key."""
    ENUM = "enum"
    """A word of an enumeration."""


@frozen
class Occurrence:
    """One identifier in a file, resolved: `key` says what it names, `start`/`end` are character
    offsets of the name itself (after `prefix.` for a qualified name such as `avenant7.x`)."""

    file: str
    start: int
    end: int
    key: tuple[str, ...]
    prefix: str | None = None
    declaration: bool = False

    @property
    def kind(self) -> OccurrenceKind:
        """What the identifier names (the key's first element)."""
        return OccurrenceKind(self.key[0])


@frozen
class Location:
    """A place in a file, as 0-based line and character columns (end exclusive)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


@frozen
class Completion:
    """A completion proposal: the word, its kind, a one-line detail and its documentation."""

    label: str
    kind: CompletionKind
    detail: str = ""
    documentation: str = ""
    preferred: bool = False


class RenameRefused(ValueError):
    """A rename that would break the files: the message says why, in French."""


class Index:
    """Every resolved name of a program's files, with the lookups an editor asks for."""

    def __init__(self, program: model.Program, overrides: Mapping[str, Source] | None = None) -> None:
        """Index a program's files; `overrides` replaces the text of some of them (an editor's
        current text, read with the names of the last version that loaded)."""
        self.program = program
        self.sources: dict[str, Source] = {**program.sources, **(overrides or {})}
        self.prefixes = {t.prefix for t in program.texts}
        self.enums = _enum_types(program)
        self.enum_words: dict[str, list[Type]] = {}
        for t in self.enums.values():
            for word in t.values:
                self.enum_words.setdefault(word, []).append(t)
        self._blocks = _parameter_blocks(program)
        self.occurrences: list[Occurrence] = []
        for name, source in self.sources.items():
            self.occurrences += self._scan(name, source.text)
        self._mark_declarations()

    # ─── Building ────────────────────────────────────────────────────────────────────────────

    def _scan(self, file: str, text: str) -> list[Occurrence]:
        found = []
        blocks = [b for b in self._blocks if b[0] == file]
        for m in _TOKEN.finditer(text):
            if m.group("name") is None:
                continue
            prefix, word = m.group("prefix"), m.group("word")
            start, end = m.start("word"), m.end("word")
            key = self._resolve(file, start, prefix, word, blocks)
            if key is None and prefix is not None:  # `a.b` that is not `texte.nom`: two plain words
                for part, pstart in ((prefix, m.start("prefix")), (word, start)):
                    k = self._resolve(file, pstart, None, part, blocks)
                    if k is not None:
                        found.append(Occurrence(file, pstart, pstart + len(part), k))
                continue
            if key is not None:
                found.append(Occurrence(file, start, end, key, prefix))
        return found

    def _resolve(self, file: str, offset: int, prefix: str | None, word: str,
                 blocks: list[tuple[str, int, int, str, frozenset[str]]]) -> tuple[str, ...] | None:
        p = self.program
        if prefix is not None:
            if prefix in self.prefixes and (prefix, word) in p.originals:
                return (OccurrenceKind.NAME, word)
            return None
        for _, start, end, owner, params in blocks:
            if start <= offset < end and word in params:
                return (OccurrenceKind.LOCAL, file, str(start), owner, word)
        if word in p.facts or word in p.definitions:
            return (OccurrenceKind.NAME, word)
        if word in p.bibliography:
            return (OccurrenceKind.SOURCE, word)
        if word in self.enum_words:
            return (OccurrenceKind.ENUM, word)
        return None

    def _mark_declarations(self) -> None:
        """Flag the occurrence that declares each fact, definition, original and parameter."""
        p = self.program
        decl_starts: dict[tuple[str, int], str] = {}  # (file, offset of the block) → name
        declared: list[model.FactDecl | model.Definition] = [*p.facts.values(), *p.definitions.values(),
                                                              *p.originals.values()]
        for node in declared:
            decl_starts[(node.span.file, node.span.start)] = node.name
        by_file: dict[str, list[int]] = {}
        for i, occ in enumerate(self.occurrences):
            by_file.setdefault(occ.file, []).append(i)
        for decl in p.bibliography.values():  # the span of a source declaration is its key
            for i in by_file.get(decl.span.file, ()):
                occ = self.occurrences[i]
                if occ.start == decl.span.start and occ.key == (OccurrenceKind.SOURCE, decl.key):
                    self.occurrences[i] = _declared(occ)
        for (file, block_start), name in decl_starts.items():
            for i in by_file.get(file, ()):
                occ = self.occurrences[i]
                if occ.start >= block_start and occ.key == (OccurrenceKind.NAME, name) and occ.prefix is None:
                    self.occurrences[i] = _declared(occ)
                    break
        seen_locals: set[tuple[str, ...]] = set()
        for i, occ in enumerate(self.occurrences):
            if occ.kind == OccurrenceKind.LOCAL and occ.key not in seen_locals:
                seen_locals.add(occ.key)
                self.occurrences[i] = _declared(occ)

    # ─── Queries ─────────────────────────────────────────────────────────────────────────────

    def at(self, file: str, line: int, column: int) -> Occurrence | None:
        """The resolved name at a 0-based position (the cursor may be just after its last letter)."""
        source = self.sources.get(file)
        if source is None:
            return None
        offset = offset_of(source, line, column)
        for occ in self.occurrences:
            first = occ.start - (len(occ.prefix) + 1 if occ.prefix else 0)
            if occ.file == file and first <= offset <= occ.end:
                return occ
        return None

    def symbols(self, file: str) -> list[tuple[str, CompletionKind, str, Location, Location]]:
        """The declarations of one file, in order: (name, keyword, detail, whole block, name)."""
        p = self.program
        source = self.sources.get(file)
        if source is None:
            return []
        out = []
        nodes: list[model.FactDecl | model.Definition | bibliography.SourceDecl] = [
            *p.facts.values(), *p.definitions.values(), *p.originals.values(), *p.bibliography.values()]
        for node in nodes:
            if node.span.file != file:
                continue
            if isinstance(node, bibliography.SourceDecl):
                key = (OccurrenceKind.SOURCE, node.key)
                name, keyword, detail = node.key, CompletionKind.SOURCE, node.title
            else:
                key = (OccurrenceKind.NAME, node.name)
                name = node.name
                keyword = CompletionKind.FACT if isinstance(node, model.FactDecl) else kind_french(node)
                detail = f"{keyword} : {node.type}"
            decl = next((o for o in self.occurrences if o.file == file and o.declaration and o.key == key
                         and node.span.start <= o.start <= max(node.span.end, node.span.start)), None)
            if decl is None:
                continue
            whole = location(source, min(node.span.start, decl.start), max(node.span.end, decl.end))
            out.append((name, keyword, detail, whole, self.location(decl)))
        return sorted(out, key=lambda s: (s[4].line, s[4].column))

    def location(self, occ: Occurrence) -> Location:
        """Where an occurrence is, as 0-based lines and columns."""
        return location(self.sources[occ.file], occ.start, occ.end)

    def definitions(self, occ: Occurrence) -> list[Occurrence]:
        """Where the name at `occ` is declared: the effective definition, or the original one for
        `texte.nom` and for the replaced name of `remplace texte.nom`; every enumeration declaring a word."""
        kind = occ.kind
        decls = [o for o in self.occurrences if o.key == occ.key and o.declaration]
        if kind in {OccurrenceKind.LOCAL, OccurrenceKind.SOURCE}:
            return decls
        if kind == OccurrenceKind.ENUM:
            return self._enum_declarations(occ.key[1])
        name = occ.key[1]
        target: model.FactDecl | model.Definition
        if occ.prefix is not None:
            target = self.program.originals[(occ.prefix, name)]
        else:
            target = self.program.facts.get(name) or self.program.definitions[name]
        return [o for o in decls if o.file == target.span.file and target.span.start <= o.start < target.span.end]

    def references(self, occ: Occurrence, include_declaration: bool = True) -> list[Occurrence]:
        """Every occurrence of the same name in every file, qualified (`avenant7.x`) or not."""
        return [o for o in self.occurrences if o.key == occ.key and (include_declaration or not o.declaration)]

    def _enum_declarations(self, word: str) -> list[Occurrence]:
        """The word inside each enumeration type that lists it (an enumeration is written in the
        declaration it is named after, or in a table or function parameter)."""
        out = []
        for t in self.enum_words.get(word, []):
            owner = None if t.name is None else self.program.facts.get(t.name) or self.program.definitions.get(t.name)
            if owner is None:
                continue
            span = owner.span
            text = self.sources[span.file].text
            m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text[span.start:span.end])
            if m:
                key = (OccurrenceKind.ENUM, word)
                out.append(Occurrence(span.file, span.start + m.start(), span.start + m.end(), key, declaration=True))
        return out

    # ─── Hover ───────────────────────────────────────────────────────────────────────────────

    def hover(self, occ: Occurrence) -> str:
        """Markdown describing the name at `occ`, in French."""
        kind = occ.kind
        if kind == OccurrenceKind.LOCAL:
            return self._hover_local(occ)
        if kind == OccurrenceKind.ENUM:
            return self._hover_enum(occ.key[1])
        if kind == OccurrenceKind.SOURCE:
            return self._hover_source(self.program.bibliography[occ.key[1]])
        name = occ.key[1]
        p = self.program
        if occ.prefix is not None:
            return self._hover_definition(p.originals[(occ.prefix, name)], original_of=occ.prefix)
        if name in p.facts:
            return self._hover_fact(p.facts[name])
        return self._hover_definition(p.definitions[name])

    def _hover_fact(self, fact: model.FactDecl) -> str:
        lines = [f"**{fact.name}** — fait : {fact.type}"]
        if fact.description:
            lines.append(fact.description)
        if fact.question:
            lines.append(f"Question : « {fact.question} »")
        if fact.unit:
            lines.append(f"Unité : {fact.unit}")
        if fact.low is not None or fact.high is not None:
            lines.append("Valeurs : " + _bounds(fact))
        if fact.type.kind == TypeKind.ENUM:
            lines.append("Valeurs : " + _enum_values(fact.type))
        lines += [f"Source : {citation_markdown(c)}" for c in fact.sources]
        if fact.text:
            lines.append(f"Texte : {fact.text}")
        if fact.ignored:
            lines.append(f"Ignoré : {fact.ignored}")
        lines.append(f"Déclaré : {fact.span.file}:{fact.span.line}")
        return "\n\n".join(lines)

    def _hover_definition(self, d: model.Definition, original_of: str | None = None) -> str:
        head = f"**{original_of + '.' if original_of else ''}{d.name}** — {kind_french(d)}"
        if d.params:
            head += " (" + ", ".join(f"{prm.name} : {prm.type}" for prm in d.params) + ")"
        lines = [head + f" : {d.type}"]
        if d.description:
            lines.append(d.description)
        if d.unit:
            lines.append(f"Unité : {d.unit}")
        if d.type.kind == TypeKind.ENUM and d.type.name == d.name:
            lines.append("Valeurs : " + _enum_values(d.type))
        if d.internal:
            lines.append("Interne : les résumés d'explication montrent ce à quoi cette définition mène, "
                         "pas la définition elle-même")
        for i, version in enumerate(d.versions):
            later = d.versions[i + 1].start if i + 1 < len(d.versions) else None
            if version.start:
                where = f"à partir du {version.start:%d/%m/%Y} — "
            else:
                where = f"avant le {later:%d/%m/%Y} — " if later else ""
            at = f", {version.span.file}:{version.span.line}" if len(d.versions) > 1 and version.span.line else ""
            lines.append(f"Texte : {where}{version.text.short} ({version.text.title}{at})")
            lines += [f"Source : {citation_markdown(c)}" for c in version.sources]
            for status in version.statuses:
                lines.append(status.kind.heading + (f" : {status.note}" if status.note else ""))
        if original_of:
            replacement = self.program.definitions.get(d.name)
            if replacement is not None and replacement.replaces == f"{original_of}.{d.name}":
                lines.append(f"Remplacé par : {d.name} ({replacement.latest.text.short})")
        if d.replaces:
            prefix, _, name = d.replaces.partition(".")
            replaced = self.program.originals.get((prefix, name))
            where = f" ({replaced.latest.text.short}, {replaced.span.file}:{replaced.span.line})" if replaced else ""
            lines.append(f"Remplace : {d.replaces}{where}")
        lines.append(f"Déclaré : {d.span.file}:{d.span.line}")
        return "\n\n".join(lines)

    def _hover_source(self, decl: bibliography.SourceDecl) -> str:
        lines = [f"**{decl.key}** — source : {decl.title}"]
        lines += [f"{label} : <{value}>" if value == decl.url else f"{label} : {value}"
                  for label, value in decl.fields()]
        lines.append(f"Déclarée : {decl.span.file}:{decl.span.line} ({decl.text})")
        return "\n\n".join(lines)

    def _hover_local(self, occ: Occurrence) -> str:
        _, _, _, owner, name = occ.key
        definition = self.program.definitions.get(owner)
        candidates = [definition] if definition is not None else []
        candidates += [d for (_, n), d in self.program.originals.items() if n == owner]
        for d in candidates:
            for prm in d.params:
                if prm.name == name:
                    return f"**{name}** — paramètre de {kind_french(d)} « {owner} » : {prm.type}"
        return f"**{name}** — paramètre de « {owner} »"

    def _hover_enum(self, word: str) -> str:
        lines = [f"**{word}** — valeur d'énumération"]
        for t in self.enum_words.get(word, []):
            lines.append(f"« {t.name} » : {t.label(word)}")
        return "\n\n".join(lines)

    # ─── Completion ──────────────────────────────────────────────────────────────────────────

    def completions(self, file: str, line: int, column: int) -> list[Completion]:
        """Names in scope, keywords and enumeration words at a position; when the text before the
        cursor compares or tests an enumeration (`option = `, `zone dans {`), its words come first."""
        from engine.syntax.parser import reserved_words
        p = self.program
        source = self.sources.get(file)
        expected = self._expected_enum(source, line, column) if source is not None else None
        items: list[Completion] = []
        for fact in p.facts.values():
            items.append(Completion(fact.name, CompletionKind.FACT, f"fait : {fact.type}", fact.description or ""))
        for d in p.definitions.values():
            items.append(Completion(d.name, kind_french(d), f"{kind_french(d)} : {d.type}", d.description or ""))
        for decl in p.bibliography.values():
            items.append(Completion(decl.key, CompletionKind.SOURCE, f"source : {decl}", decl.url or ""))
        for (prefix, name), d in p.originals.items():
            items.append(Completion(f"{prefix}.{name}", kind_french(d),
                                    f"{kind_french(d)} de {d.latest.text.short} : {d.type}", d.description or ""))
        if source is not None:
            offset = offset_of(source, line, column)
            for block_file, start, end, owner, params in self._blocks:
                if block_file == file and start <= offset < end:
                    for name in sorted(params):
                        items.append(Completion(name, CompletionKind.LOCAL, f"paramètre de « {owner} »", ""))
        for word, types in self.enum_words.items():
            preferred = expected is not None and expected in types
            labels = " ; ".join(f"« {t.name} » : {t.label(word)}" for t in types)
            items.append(Completion(word, CompletionKind.VALUE, labels, labels, preferred))
        for word in sorted(reserved_words()):
            items.append(Completion(word, CompletionKind.KEYWORD))
        return items

    def _expected_enum(self, source: Source, line: int, column: int) -> Type | None:
        before = source.line_text(line + 1)[:column]
        m = re.search(r"(?:(?P<prefix>[^\W\d]\w*)\.)?(?P<name>[^\W\d]\w*)\s*(?:=|≠|!=|dans\s*\{[^}]*)\s*\w*$", before)
        if m is None:
            return None
        name = m.group("name")
        p = self.program
        node = p.facts.get(name) or p.definitions.get(name)
        if node is not None and node.type.kind == TypeKind.ENUM:
            return node.type
        return None

    # ─── Rename ──────────────────────────────────────────────────────────────────────────────

    def rename(self, occ: Occurrence, new_name: str) -> dict[str, list[tuple[Location, str]]]:
        """The edits, file by file, that rename the name at `occ` everywhere it is used.

        Raises:
            RenameRefused: the new name is not a name, is a keyword, or is already taken.
        """
        from engine.syntax.parser import reserved_words
        if not NAME.fullmatch(new_name):
            raise RenameRefused(f"« {new_name} » n'est pas un nom (une lettre, puis lettres, chiffres ou _)")
        if new_name in reserved_words():
            raise RenameRefused(f"« {new_name} » est un mot-clé du langage")
        if occ.kind == OccurrenceKind.ENUM:
            raise RenameRefused("renommer une valeur d'énumération n'est pas pris en charge : "
                                "renommez-la dans sa déclaration et dans chaque emploi")
        if new_name == occ.key[-1]:
            return {}
        taken = (set(self.program.facts) | set(self.program.definitions) | set(self.enum_words)
                 | set(self.program.bibliography))
        if occ.kind == OccurrenceKind.LOCAL:
            taken = {o.key[-1] for o in self.occurrences if o.key[:4] == occ.key[:4]} | taken
        if new_name in taken:
            raise RenameRefused(f"« {new_name} » est déjà un nom de ce fichier ou du fichier qu'il modifie")
        edits: dict[str, list[tuple[Location, str]]] = {}
        for o in self.references(occ):
            edits.setdefault(o.file, []).append((self.location(o), new_name))
        return edits


# ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

def _declared(occ: Occurrence) -> Occurrence:
    return Occurrence(occ.file, occ.start, occ.end, occ.key, occ.prefix, True)


def _enum_types(program: model.Program) -> dict[str, Type]:
    """Every enumeration type of the program, by name."""
    found: dict[str, Type] = {}
    nodes: Iterable[model.FactDecl | model.Definition] = [*program.facts.values(), *program.definitions.values(),
                                                          *program.originals.values()]
    for node in nodes:
        types = [node.type] + [prm.type for prm in getattr(node, "params", ())]
        for t in types:
            if t.kind == TypeKind.ENUM and t.name:
                found.setdefault(t.name, t)
    return found


def _parameter_blocks(program: model.Program) -> list[tuple[str, int, int, str, frozenset[str]]]:
    """(file, start, end, owner, parameter names) of every function and table declaration."""
    blocks = []
    for d in [*program.definitions.values(), *program.originals.values()]:
        if d.params:
            blocks.append((d.span.file, d.span.start, d.span.end, d.name, frozenset(prm.name for prm in d.params)))
    return sorted(set(blocks))


def replacements(diagnostic: Diagnostic, sources: Mapping[str, Source]) -> list[str]:
    """The names a "vouliez-vous dire" hint proposes for the misspelled name a diagnostic underlines.

    Only when the underlined text is exactly the name the message quotes, so that replacing it with a
    proposal is the whole fix (an underlined call or `texte.nom` is left to the user)."""
    if not diagnostic.hint or not diagnostic.hint.startswith("vouliez-vous dire"):
        return []
    source = sources.get(diagnostic.span.file)
    if source is None or diagnostic.span.line < 1:
        return []
    text = source.slice(diagnostic.span)
    if not NAME.fullmatch(text) or f"« {text} »" not in diagnostic.message:
        return []
    return [word for word in re.findall(r"« ([^»]+) »", diagnostic.hint) if NAME.fullmatch(word)]


def citation_markdown(citation: bibliography.Citation) -> str:
    """A citation as hover shows it: `Titre (éditeur, date) : précision`, with its link."""
    return f"{citation} — <{citation.url}>" if citation.url else str(citation)


def _bounds(fact: model.FactDecl) -> str:
    if fact.low is not None and fact.high is not None:
        return f"de {fact.low} à {fact.high}"
    if fact.low is not None:
        return f"au moins {fact.low}"
    return f"au plus {fact.high}"


def _enum_values(t: Type) -> str:
    return ", ".join(f"`{w}` ({t.label(w)})" for w in t.values)


def offset_of(source: Source, line: int, column: int) -> int:
    """The character offset of a 0-based line and column (clamped to the text)."""
    lines = source.text.split("\n")
    if line >= len(lines):
        return len(source.text)
    return sum(len(text) + 1 for text in lines[:line]) + min(column, len(lines[line]))


def location(source: Source, start: int, end: int) -> Location:
    """0-based line and column of character offsets."""
    line, column = source.line_col(start)
    end_line, end_column = source.line_col(end)
    return Location(source.name, line - 1, column - 1, end_line - 1, end_column - 1)


def span_location(span: Span) -> Location:
    """A diagnostic span as 0-based positions (a span with no line points at the file's start)."""
    if span.line < 1:
        return Location(span.file, 0, 0, 0, 0)
    return Location(span.file, span.line - 1, span.column - 1, span.end_line - 1, span.end_column - 1)



