"""Reading rule files from disk: decoding, the amendment chain, and the checked-file cache.

`load_path` reads a file, loads the file it amends first (by the relative path of its
`modifie` header, so a file and the file it amends travel together), then parses and checks it
on top. Problems reading or finding files are diagnostics like any other.

A rule file reads only rule files of its own rule set: the `root` is the directory of the top file
loaded (or the one the caller gives); a `modifie` path is relative to the file that writes it, must
stay inside the root once symlinks are resolved (E003), and must name a `.rules` file (E004). These
checks come before the file is even looked for, so the answer says nothing about files outside.
Sizes are checked with `stat` before reading, and reading stops at the limit.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from engine.base.diagnostics import RulesError, error, os_reason
from engine.base.source import Source, Span
from engine.check import cache, model
from engine.check.files import MAX_BYTES, SUFFIX, NotARegularFile, check_size, display_name, nowhere, read_limited

if TYPE_CHECKING:  # the syntax tree's classes cost a tenth of a second to create: a load served by
    from engine.syntax import ast  # the cache never builds one, so they are imported where a file is parsed

__all__ = ["MAX_BYTES", "SUFFIX", "NotARegularFile", "decode_checked", "display_name", "load_path", "load_source",
           "read_limited"]

# The parser and checker (lark and the grammar) are imported when a file is actually parsed: a
# file found in the cache (engine.check.cache) needs neither, which keeps `regles eval` quick to start.

def load_path(path: str | Path, _chain: tuple[Path, ...] = (), root: str | Path | None = None) -> model.Program:
    """Load, parse and check a rule file and the files it amends (through the cache, engine.check.cache).

    `root` bounds what `modifie` may read: by default, the directory of this file.

    Raises:
        RulesError: for a file that cannot be read, parsed or checked.
    """
    path = Path(path)
    bound = Path(root).resolve() if root is not None else path.parent.resolve()
    if not _chain:
        return cache.load(path, lambda p: _load_path(p, (), bound), salt=str(bound))
    return _load_path(path, _chain, bound)


def _load_path(path: Path, _chain: tuple[Path, ...], root: Path) -> model.Program:
    name = display_name(path)
    try:
        data = read_limited(path, name)
    except OSError as exc:
        raise RulesError((error("E001", f"impossible de lire « {name} » : {os_reason(exc)}", nowhere(name),
                                "vérifiez le chemin du fichier de règles"),)) from None
    return load_source(decode_checked(data, name), base_dir=path.parent, _chain=(*_chain, path.resolve()),
                       root=root)


def decode_checked(data: bytes, name: str) -> Source:
    """Decode bytes to a Source, refusing oversized input with a diagnostic."""
    check_size(len(data), name)
    from engine.syntax.parser import decode
    return decode(data, name)


def load_source(source: Source, base_dir: Path | None = None, _chain: tuple[Path, ...] = (),
                root: Path | None = None) -> model.Program:
    """Parse and check a Source; its `modifie` file is looked up relative to `base_dir`, inside `root`
    (by default `base_dir` itself)."""
    from engine.check import checker
    from engine.syntax.build import parse_file
    check_size(len(source.text.encode("utf-8", errors="replace")), source.name)
    rule_file = parse_file(source)
    parent = None
    amends = rule_file.header.amends
    base = base_dir or Path.cwd()
    if amends is not None:
        parent = _load_parent(source, rule_file, base, _chain, (root or base).resolve())
    reused = _load_reused(source, rule_file, base, _chain, (root or base).resolve())
    directory = str(base.resolve())
    return checker.check(rule_file, source, parent, directory, reused)


def _load_reused(source: Source, rule_file: ast.RuleFile, base_dir: Path, chain: tuple[Path, ...],
                 root: Path) -> dict[str, model.Program]:
    """The programs of the files named by `reprend … de "fichier.rules"`, read under the same rules as
    an amended file (relative path, inside the root, `.rules`, no cycle)."""
    from engine.syntax import ast  # see the import at the top
    found: dict[str, model.Program] = {}
    for decl in rule_file.declarations:
        if isinstance(decl, ast.Reuse) and decl.file not in found:
            found[decl.file] = _load_rule_file(source, decl.file, decl.file_span, base_dir, chain, root,
                                               "repris", "E609")
    return found


def _load_parent(source: Source, rule_file: ast.RuleFile, base_dir: Path, chain: tuple[Path, ...],
                 root: Path) -> model.Program:
    header = rule_file.header
    assert header.amends is not None  # called for a file that amends another
    return _load_rule_file(source, header.amends, header.amends_span, base_dir, chain, root, "modifié", "E604")


def _load_rule_file(source: Source, written: str, span: Span, base_dir: Path,
                    chain: tuple[Path, ...], root: Path, role: str, missing: str) -> model.Program:
    """Load a rule file another one names (`modifie` or `reprend … de`), after the access checks."""
    if PurePosixPath(written).is_absolute() or PureWindowsPath(written).is_absolute() or PureWindowsPath(written).drive:
        raise RulesError((error("E003", f"chemin absolu interdit : « {written} »", span,
                                f"écrivez le chemin du fichier {role} relativement à ce fichier, "
                                "dans le dossier des règles"),), {source.name: source})
    try:
        target = (base_dir / written).resolve()
        inside = target.is_relative_to(root)
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a NUL character, a symlink loop…
        reason = os_reason(exc) if isinstance(exc, OSError) else "nom de fichier invalide"
        raise RulesError((error(missing, f"fichier {role} illisible : « {written} » ({reason})", span),),
                         {source.name: source}) from None
    if not inside:
        raise RulesError((error("E003", f"« {written} » sort du dossier des règles ({display_name(root)})", span,
                                f"un fichier ne peut {'modifier' if role == 'modifié' else 'reprendre'} qu'un fichier "
                                "de son dossier ou de ses sous-dossiers "
                                "(liens symboliques compris)"),), {source.name: source})
    if not written.endswith(SUFFIX) or target.suffix != SUFFIX:
        raise RulesError((error("E004", f"« {written} » n'est pas un fichier de règles ({SUFFIX})", span,
                                f"seuls les fichiers {SUFFIX} peuvent être {role}s"),), {source.name: source})
    if target in chain:
        raise RulesError((error("E605", f"modification circulaire : « {written} » modifie ou reprend déjà ce fichier",
                                span, "un texte ne peut pas se modifier ni se reprendre lui-même, même "
                                      "indirectement"),),
                         {source.name: source})
    if not target.is_file():
        raise RulesError((error(missing, f"fichier {role} introuvable : « {written} »", span,
                                f"le chemin est relatif au dossier du fichier ({display_name(base_dir)})"),),
                         {source.name: source})
    try:
        return load_path(target, chain, root)
    except RulesError as exc:
        note = error("E600", f"le fichier {role} « {written} » contient des erreurs", span)
        raise RulesError((note, *exc.diagnostics), {**exc.sources, source.name: source}) from None
