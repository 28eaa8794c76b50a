"""`regles lsp`: a Language Server Protocol server on standard input and output (pygls).

The protocol layer only: `engine.tools.editor` answers what a name is, where it is declared and used,
what to complete and how to rename; `engine.syntax.fmt` lays files out; diagnostics are those of
`regles check`. Each open document is loaded from its editor text (the file it amends is read from
disk, as `regles check` would) on open and on every change.

While a document does not load, navigation answers from the last version that did, re-read on
the current text: names keep resolving as the user types, and a declaration that moved is found
again when the file loads. pygls is an optional dependency (`pip install regles[lsp]`): this module
imports it at the top, and `engine.cli.commands.lsp` imports this module only when `regles lsp` runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from engine.base.diagnostics import Diagnostic, RulesError, Severity
from engine.base.source import Source
from engine.check.loader import display_name
from engine.check.typography import tie_units
from engine.tools.editor import (
    Completion,
    CompletionKind,
    Index,
    Location,
    Occurrence,
    RenameRefused,
    replacements,
    span_location,
)

_KIND = {CompletionKind.FACT: lsp.CompletionItemKind.Field, CompletionKind.PARAMETER: lsp.CompletionItemKind.Constant,
         CompletionKind.RULE: lsp.CompletionItemKind.Variable, CompletionKind.OUTPUT: lsp.CompletionItemKind.Variable,
         CompletionKind.TABLE: lsp.CompletionItemKind.Struct, CompletionKind.FUNCTION: lsp.CompletionItemKind.Function,
         CompletionKind.LOCAL: lsp.CompletionItemKind.Variable, CompletionKind.VALUE: lsp.CompletionItemKind.EnumMember,
         CompletionKind.KEYWORD: lsp.CompletionItemKind.Keyword,
         CompletionKind.SOURCE: lsp.CompletionItemKind.Reference}


_SYMBOL_KIND = {CompletionKind.FACT: lsp.SymbolKind.Field, CompletionKind.PARAMETER: lsp.SymbolKind.Constant,
                CompletionKind.RULE: lsp.SymbolKind.Variable, CompletionKind.OUTPUT: lsp.SymbolKind.Property,
                CompletionKind.TABLE: lsp.SymbolKind.Struct, CompletionKind.FUNCTION: lsp.SymbolKind.Function,
                CompletionKind.SOURCE: lsp.SymbolKind.File}


class RulesServer(LanguageServer):
    """The language server, with the last index of each open document."""

    def __init__(self) -> None:
        super().__init__("regles", "0.1.0", text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.indexes: dict[str, Index] = {}
        self.published: dict[str, set[str]] = {}
        self.uris: dict[str, str] = {}
        """File name as in spans → the URI the editor opened it with (an unsaved `untitled:` one too)."""

    # ─── Paths and positions ─────────────────────────────────────────────────────────────────

    @staticmethod
    def file_of(uri: str) -> str:
        """The file name diagnostics and spans use for a document (relative to the working directory)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return display_name(Path(path)) if path else uri

    def uri_of(self, file: str) -> str:
        """The URI of a file named as in spans: the editor's own for an open document."""
        return self.uris.get(file) or from_fs_path(str(Path(file).resolve())) or file

    def units(self, text: str) -> int:
        """The length of a text in the client's position units (UTF-16 unless negotiated otherwise)."""
        encoding = str(self.workspace.position_encoding or "utf-16")
        if encoding == "utf-8":
            return len(text.encode("utf-8"))
        if encoding == "utf-32":
            return len(text)
        return len(text.encode("utf-16-le")) // 2

    def column_in_chars(self, line_text: str, units: int) -> int:
        """A client column (code units) as a column in characters."""
        count = 0
        for i, ch in enumerate(line_text):
            if count >= units:
                return i
            count += self.units(ch)
        return len(line_text)

    def range_of(self, loc: Location, source: Source | None) -> lsp.Range:
        """A 0-based character location as a protocol range."""
        def position(line: int, column: int) -> lsp.Position:
            text = source.line_text(line + 1) if source is not None else ""
            return lsp.Position(line=line, character=self.units(text[:column]) if source else column)
        return lsp.Range(start=position(loc.line, loc.column), end=position(loc.end_line, loc.end_column))

    def cursor(self, uri: str, position: lsp.Position) -> tuple[str, int, int]:
        """The file, 0-based line and character column of a client position."""
        document = self.workspace.get_text_document(uri)
        lines = document.source.split("\n")
        line_text = lines[position.line] if position.line < len(lines) else ""
        return self.file_of(uri), position.line, self.column_in_chars(line_text.rstrip("\r"), position.character)

    # ─── Loading ─────────────────────────────────────────────────────────────────────────────

    def analyse(self, uri: str) -> None:
        """Load a document from its current text, publish its diagnostics (and those of the files it
        amends, where they are), and keep its index for navigation."""
        from engine import api
        document = self.workspace.get_text_document(uri)
        file = self.file_of(uri)
        self.uris[file] = uri
        diagnostics: tuple[Diagnostic, ...]
        sources: dict[str, Source]
        try:
            ruleset = api.loads(document.source, filename=file)
        except RulesError as exc:
            diagnostics, sources = exc.diagnostics, dict(exc.sources)
            previous = self.indexes.get(uri)
            if previous is not None:
                self.indexes[uri] = Index(previous.program, {file: Source(file, document.source)})
        else:
            diagnostics, sources = ruleset.warnings, dict(ruleset.program.sources)
            self.indexes[uri] = Index(ruleset.program)
        sources.setdefault(file, Source(file, document.source))
        self.publish(uri, file, diagnostics, sources)

    def publish(self, uri: str, file: str, diagnostics: tuple[Diagnostic, ...], sources: dict[str, Source]) -> None:
        """Send diagnostics grouped by file; clear files that had some from this document before."""
        by_file: dict[str, list[lsp.Diagnostic]] = {file: []}
        for d in diagnostics:
            by_file.setdefault(d.span.file, []).append(to_lsp(d, self, sources))
        targets = {self.uri_of(f) if f != file else uri: items for f, items in by_file.items()}
        for stale in self.published.get(uri, set()) - set(targets):
            targets[stale] = []
        for target, items in targets.items():
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=target, diagnostics=items))
        self.published[uri] = {t for t, items in targets.items() if items}

    def related(self, uri: str) -> list[Index]:
        """This document's index, and those of the other rule files of its folder whose amendment
        chain contains it (they use its names, so a rename or a search must reach them)."""
        from engine import api
        own = self.indexes.get(uri)
        if own is None:
            return []
        out = [own]
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        if not fs_path:
            return out  # an unsaved document: no folder to look in
        path = Path(fs_path)
        file = self.file_of(uri)
        for other in sorted(path.parent.glob("*.rules")):
            if other.resolve() == path.resolve():
                continue
            opened = self.indexes.get(self.uri_of(str(other)))
            try:
                index = opened or Index(api.load(other).program)
            except RulesError:
                continue
            if file in index.sources and file != display_name(other):
                out.append(index)
        return out


def to_lsp(d: Diagnostic, server: RulesServer, sources: dict[str, Source]) -> lsp.Diagnostic:
    """One diagnostic as the protocol's: code, range, message with its hint and citation, labels."""
    message = d.message
    if d.citation:
        message += f"\nsource : {d.citation}"
    if d.hint:
        message += f"\naide : {d.hint}"
    related = [lsp.DiagnosticRelatedInformation(
        location=lsp.Location(uri=server.uri_of(label.span.file),
                              range=server.range_of(span_location(label.span), sources.get(label.span.file))),
        message=label.note or d.message) for label in d.labels]
    proposals = replacements(d, sources)
    return lsp.Diagnostic(
        range=server.range_of(span_location(d.span), sources.get(d.span.file)),
        message=message, code=d.code, source="regles", data={"remplacements": proposals} if proposals else None,
        severity=lsp.DiagnosticSeverity.Error if d.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
        related_information=related or None)


def completion_item(c: Completion) -> lsp.CompletionItem:
    """A completion proposal as the protocol's; preferred words sort first."""
    return lsp.CompletionItem(
        label=c.label, kind=_KIND.get(c.kind, lsp.CompletionItemKind.Text), detail=c.detail or None,
        documentation=(lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=c.documentation)
                       if c.documentation else None),
        sort_text=("0" if c.preferred else "1" if c.kind != CompletionKind.KEYWORD else "2") + c.label,
        preselect=c.preferred or None)


def build_server() -> RulesServer:
    """The server with every feature registered."""
    server = RulesServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RulesServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RulesServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RulesServer, params: lsp.DidSaveTextDocumentParams) -> None:
        """A saved file may be the file another open document amends: reload them all."""
        ls.analyse(params.text_document.uri)
        for uri in list(ls.workspace.text_documents):
            if uri != params.text_document.uri:
                ls.analyse(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RulesServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.indexes.pop(uri, None)
        ls.uris = {f: u for f, u in ls.uris.items() if u != uri}
        for target in ls.published.pop(uri, set()):
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=target, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: RulesServer, params: lsp.HoverParams) -> lsp.Hover | None:
        index = ls.indexes.get(params.text_document.uri)
        if index is None:
            return None
        occ = index.at(*ls.cursor(params.text_document.uri, params.position))
        if occ is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=index.hover(occ)),
                         range=ls.range_of(index.location(occ), index.sources[occ.file]))

    def locations(ls: RulesServer, index: Index, occurrences: Iterable[Occurrence]) -> list[lsp.Location]:
        seen: set[tuple[str, int]] = set()
        out: list[lsp.Location] = []
        for o in occurrences:
            if (o.file, o.start) in seen:
                continue
            seen.add((o.file, o.start))
            out.append(lsp.Location(uri=ls.uri_of(o.file), range=ls.range_of(index.location(o), index.sources[o.file])))
        return out

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: RulesServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        index = ls.indexes.get(params.text_document.uri)
        occ = index.at(*ls.cursor(params.text_document.uri, params.position)) if index else None
        if index is None or occ is None:
            return None
        return locations(ls, index, index.definitions(occ))

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: RulesServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        uri = params.text_document.uri
        index = ls.indexes.get(uri)
        occ = index.at(*ls.cursor(uri, params.position)) if index else None
        if index is None or occ is None:
            return None
        out: list[lsp.Location] = []
        for other in ls.related(uri):
            same = [o for o in other.occurrences if o.key == occ.key]
            out += [loc for loc in locations(ls, other, [o for o in same if params.context.include_declaration
                                                          or not o.declaration]) if loc not in out]
        return out

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", "{", " "]))
    def completion(ls: RulesServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        index = ls.indexes.get(params.text_document.uri)
        if index is None:  # a file that never loaded: the keywords still help
            from engine.syntax.parser import reserved_words
            return lsp.CompletionList(is_incomplete=False, items=[
                completion_item(Completion(word, CompletionKind.KEYWORD)) for word in sorted(reserved_words())])
        items = index.completions(*ls.cursor(params.text_document.uri, params.position))
        return lsp.CompletionList(is_incomplete=False, items=[completion_item(c) for c in items])

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(ls: RulesServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        """"vouliez-vous dire" as quick fixes: replace the misspelled name by each proposal."""
        actions = []
        for diagnostic in params.context.diagnostics:
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            for i, word in enumerate(data.get("remplacements", [])):
                edit = lsp.TextEdit(range=diagnostic.range, new_text=str(word))
                actions.append(lsp.CodeAction(
                    title=f"Remplacer par « {word} »", kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                    edit=lsp.WorkspaceEdit(changes={params.text_document.uri: [edit]}), is_preferred=i == 0))
        return actions

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: RulesServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
        uri = params.text_document.uri
        index = ls.indexes.get(uri)
        if index is None:
            return None
        file = ls.file_of(uri)
        source = index.sources[file]
        return [lsp.DocumentSymbol(name=name, detail=detail, kind=_SYMBOL_KIND.get(keyword, lsp.SymbolKind.Variable),
                                   range=ls.range_of(whole, source), selection_range=ls.range_of(at, source))
                for name, keyword, detail, whole, at in index.symbols(file)]

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: RulesServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from engine.syntax.build import parse_file
        from engine.syntax.fmt import format_rule_file
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source
        source = Source(ls.file_of(uri), tie_units(text))  # as `regles fmt`: `70 %` tied in texts (W120)
        try:
            rule_file = parse_file(source)
            formatted = format_rule_file(rule_file, source.text)
            if parse_file(Source(source.name, formatted)) != rule_file:
                return None  # formatting must never change what a file says (as `regles fmt`)
        except RulesError:
            return None  # a file that does not parse is left as it is; its diagnostics say why
        if formatted == text:
            return []
        lines = text.split("\n")
        end = lsp.Position(line=len(lines) - 1, character=ls.units(lines[-1]))
        return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    def rename(ls: RulesServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        uri = params.text_document.uri
        index = ls.indexes.get(uri)
        occ = index.at(*ls.cursor(uri, params.position)) if index else None
        if index is None or occ is None:
            return None
        changes: dict[str, list[lsp.TextEdit]] = {}
        seen: set[tuple[str, int, int]] = set()
        for other in ls.related(uri):
            same = next((o for o in other.occurrences if o.key == occ.key), None)
            if same is None:
                continue
            try:
                edits = other.rename(same, params.new_name)
            except RenameRefused as exc:
                raise JsonRpcInvalidParams(str(exc)) from None
            for file, file_edits in edits.items():
                for loc, new_text in file_edits:
                    if (file, loc.line, loc.column) in seen:
                        continue
                    seen.add((file, loc.line, loc.column))
                    changes.setdefault(ls.uri_of(file), []).append(
                        lsp.TextEdit(range=ls.range_of(loc, other.sources[file]), new_text=new_text))
        return lsp.WorkspaceEdit(changes=changes)

    return server


def serve() -> None:
    """Run the server on standard input and output until the client asks it to exit."""
    build_server().start_io()
