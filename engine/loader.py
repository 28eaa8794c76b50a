"""Reading rule files from disk: decoding, the amendment chain, and the checked-file cache.

`load_path` reads a file, loads the file it amends first (by the relative path of its
`modifie` header, so a file and the file it amends travel together), then parses and checks it
on top. Problems reading or finding files are diagnostics like any other.
"""

from __future__ import annotations

from pathlib import Path

from engine import model
from engine.diagnostics import RulesError, error, os_reason
from engine.source import NOWHERE, Source

# The parser and checker (lark and the grammar) are imported when a file is actually parsed: a
# file found in the cache (engine.cache) needs neither, which keeps `regles eval` quick to start.

MAX_BYTES = 256 * 1024
"""Rule files are a few tens of kilobytes (avenant7.rules: 45 KB); refusing what is clearly not one
keeps every diagnostic within a few seconds (the parser handles about 100 KB per second)."""


def display_name(path: Path) -> str:
    """The name diagnostics show: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_path(path: str | Path, _chain: tuple[Path, ...] = ()) -> model.Program:
    """Load, parse and check a rule file and the files it amends (through the cache, engine.cache).

    Raises:
        RulesError: for a file that cannot be read, parsed or checked.
    """
    if not _chain:
        from engine import cache
        return cache.load(Path(path), _load_path)  # type: ignore[return-value]
    return _load_path(path, _chain)


def _load_path(path: str | Path, _chain: tuple[Path, ...] = ()) -> model.Program:
    path = Path(path)
    name = display_name(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RulesError((error("E001", f"impossible de lire « {name} » : {os_reason(exc)}", _nowhere(name),
                                "vérifiez le chemin du fichier de règles"),)) from None
    return load_source(decode_checked(data, name), base_dir=path.parent, _chain=_chain + (path.resolve(),))


def decode_checked(data: bytes, name: str) -> Source:
    """Decode bytes to a Source, refusing oversized input with a diagnostic."""
    _check_size(len(data), name)
    from engine.syntax import decode
    return decode(data, name)


def _check_size(size: int, name: str) -> None:
    if size > MAX_BYTES:
        raise RulesError((error("E002", f"fichier trop volumineux ({size // 1024} Kio ; au plus {MAX_BYTES // 1024} Kio)",
                                _nowhere(name),
                                "un fichier de règles fait quelques dizaines de kilo-octets : découpez le texte en "
                                "plusieurs fichiers (modifie \"…\")"),))


def load_source(source: Source, base_dir: Path | None = None, _chain: tuple[Path, ...] = ()) -> model.Program:
    """Parse and check a Source; its `modifie` file is looked up relative to `base_dir`."""
    from engine import checker
    from engine.build import parse_file
    _check_size(len(source.text.encode("utf-8", errors="replace")), source.name)
    rule_file = parse_file(source)
    parent = None
    amends = rule_file.header.amends
    if amends is not None:
        parent = _load_parent(source, rule_file, base_dir or Path.cwd(), _chain)
    directory = str((base_dir or Path.cwd()).resolve())
    return checker.check(rule_file, source, parent, directory)


def _load_parent(source: Source, rule_file, base_dir: Path, chain: tuple[Path, ...]) -> model.Program:  # type: ignore[no-untyped-def]
    header = rule_file.header
    span = header.amends_span
    try:
        target = (base_dir / header.amends).resolve()
        found = target.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL character…
        reason = os_reason(exc) if isinstance(exc, OSError) else "nom de fichier invalide"
        raise RulesError((error("E604", f"fichier modifié illisible : « {header.amends} » ({reason})", span),),
                         {source.name: source}) from None
    if target in chain:
        raise RulesError((error("E605", f"modification circulaire : « {header.amends} » modifie déjà ce fichier",
                                span, "un texte ne peut pas se modifier lui-même, même indirectement"),),
                         {source.name: source})
    if not found:
        raise RulesError((error("E604", f"fichier modifié introuvable : « {header.amends} »", span,
                                f"le chemin est relatif au dossier du fichier ({display_name(base_dir)})"),),
                         {source.name: source})
    try:
        return load_path(target, chain)
    except RulesError as exc:
        note = error("E600", f"le fichier modifié « {header.amends} » contient des erreurs", span)
        raise RulesError((note,) + exc.diagnostics, {**exc.sources, source.name: source}) from None


def _nowhere(name: str):  # type: ignore[no-untyped-def]
    import attrs
    return attrs.evolve(NOWHERE, file=name, line=0)
