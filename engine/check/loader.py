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

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from engine.check import model
from engine.base.diagnostics import RulesError, error, os_reason
from engine.base.source import NOWHERE, Source

# The parser and checker (lark and the grammar) are imported when a file is actually parsed: a
# file found in the cache (engine.check.cache) needs neither, which keeps `regles eval` quick to start.

MAX_BYTES = 256 * 1024
"""Rule files are a few tens of kilobytes (avenant7.rules: 45 KB); refusing what is clearly not one
keeps every diagnostic within a few seconds (the parser handles about 100 KB per second)."""

SUFFIX = ".rules"


def display_name(path: Path) -> str:
    """The name diagnostics show: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_path(path: str | Path, _chain: tuple[Path, ...] = (), root: str | Path | None = None) -> model.Program:
    """Load, parse and check a rule file and the files it amends (through the cache, engine.check.cache).

    `root` bounds what `modifie` may read: by default, the directory of this file.

    Raises:
        RulesError: for a file that cannot be read, parsed or checked.
    """
    path = Path(path)
    bound = Path(root).resolve() if root is not None else path.parent.resolve()
    if not _chain:
        from engine.check import cache
        return cache.load(path, lambda p: _load_path(p, (), bound), salt=str(bound))  # type: ignore[return-value]
    return _load_path(path, _chain, bound)


def _load_path(path: Path, _chain: tuple[Path, ...], root: Path) -> model.Program:
    name = display_name(path)
    try:
        data = read_limited(path, name)
    except OSError as exc:
        raise RulesError((error("E001", f"impossible de lire « {name} » : {os_reason(exc)}", _nowhere(name),
                                "vérifiez le chemin du fichier de règles"),)) from None
    return load_source(decode_checked(data, name), base_dir=path.parent, _chain=_chain + (path.resolve(),),
                       root=root)


class NotARegularFile(OSError):
    """A FIFO, a device or a folder given as a rule file (reading it could block or never end)."""


def read_limited(path: Path, name: str) -> bytes:
    """The bytes of a regular file, its size checked with `stat` first, reading at most the limit.

    Raises:
        OSError: the file cannot be read or is not a regular file.
        RulesError: E002, the file is larger than `MAX_BYTES`.
    """
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(0, "ce n'est pas un fichier ordinaire")
    _check_size(info.st_size, name)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped for a FIFO since the stat
            raise NotARegularFile(0, "ce n'est pas un fichier ordinaire")
        data = f.read(MAX_BYTES + 1)  # files under /proc say 0 bytes: the read itself is bounded
    _check_size(len(data), name)
    return data


def decode_checked(data: bytes, name: str) -> Source:
    """Decode bytes to a Source, refusing oversized input with a diagnostic."""
    _check_size(len(data), name)
    from engine.syntax.parser import decode
    return decode(data, name)


def _check_size(size: int, name: str) -> None:
    if size > MAX_BYTES:
        shown = f"{size // 1024} Kio" if size > MAX_BYTES + 1 else f"plus de {MAX_BYTES // 1024} Kio"
        raise RulesError((error("E002", f"fichier trop volumineux ({shown} ; au plus {MAX_BYTES // 1024} Kio)",
                                _nowhere(name),
                                "un fichier de règles fait quelques dizaines de kilo-octets : découpez le texte en "
                                "plusieurs fichiers (modifie \"…\")"),))


def load_source(source: Source, base_dir: Path | None = None, _chain: tuple[Path, ...] = (),
                root: Path | None = None) -> model.Program:
    """Parse and check a Source; its `modifie` file is looked up relative to `base_dir`, inside `root`
    (by default `base_dir` itself)."""
    from engine.check import checker
    from engine.syntax.build import parse_file
    _check_size(len(source.text.encode("utf-8", errors="replace")), source.name)
    rule_file = parse_file(source)
    parent = None
    amends = rule_file.header.amends
    base = base_dir or Path.cwd()
    if amends is not None:
        parent = _load_parent(source, rule_file, base, _chain, (root or base).resolve())
    reused = _load_reused(source, rule_file, base, _chain, (root or base).resolve())
    directory = str(base.resolve())
    return checker.check(rule_file, source, parent, directory, reused)


def _load_reused(source: Source, rule_file, base_dir: Path, chain: tuple[Path, ...],  # type: ignore[no-untyped-def]
                 root: Path) -> dict[str, model.Program]:
    """The programs of the files named by `reprend … de "fichier.rules"`, read under the same rules as
    an amended file (relative path, inside the root, `.rules`, no cycle)."""
    from engine.syntax import ast
    found: dict[str, model.Program] = {}
    for decl in rule_file.declarations:
        if isinstance(decl, ast.Reuse) and decl.file not in found:
            found[decl.file] = _load_rule_file(source, decl.file, decl.file_span, base_dir, chain, root,
                                               "repris", "E609")
    return found


def _load_parent(source: Source, rule_file, base_dir: Path, chain: tuple[Path, ...],  # type: ignore[no-untyped-def]
                 root: Path) -> model.Program:
    header = rule_file.header
    return _load_rule_file(source, header.amends, header.amends_span, base_dir, chain, root, "modifié", "E604")


def _load_rule_file(source: Source, written: str, span, base_dir: Path,  # type: ignore[no-untyped-def]
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
                                span, "un texte ne peut pas se modifier ni se reprendre lui-même, même indirectement"),),
                         {source.name: source})
    if not target.is_file():
        raise RulesError((error(missing, f"fichier {role} introuvable : « {written} »", span,
                                f"le chemin est relatif au dossier du fichier ({display_name(base_dir)})"),),
                         {source.name: source})
    try:
        return load_path(target, chain, root)
    except RulesError as exc:
        note = error("E600", f"le fichier {role} « {written} » contient des erreurs", span)
        raise RulesError((note,) + exc.diagnostics, {**exc.sources, source.name: source}) from None


def _nowhere(name: str):  # type: ignore[no-untyped-def]
    import attrs
    return attrs.evolve(NOWHERE, file=name, line=0)
