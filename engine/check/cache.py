"""The cache of checked rule files: unchanged files are not parsed and checked again.

`load(path, loader)` returns the checked program of a rule file from the private cache directory
(the platform's user cache directory, `~/.cache/regles` on Linux, see `engine.base.privatecache`) when an entry
matches, else runs `loader(path)` and stores its result. An entry is keyed by a SHA-256 of:
- the bytes of the file, its resolved path, the name diagnostics give it and the working
  directory (the checked program records names and directories);
- the engine: the bytes of every `engine/*.py` and `grammar/*` file, and the Python version
  (pickles and checked programs depend on both);
and it lists the files the rule file amends with the SHA-256 of their bytes, checked before the
entry is used. So editing an amended file, or the engine, misses the cache.

Entries are pickles, but only sealed ones are read: `privatecache.read` checks the entry's HMAC
before anything is unpickled, and the unpickler builds only the engine's model classes and a few
value types. An entry that was edited, written by someone else or planted is ignored and rebuilt
(a warning on `regles --verbose`).

The cache never makes loading fail: an unreadable, corrupt or stale entry is a miss, an
unwritable or unsafe directory is ignored. `REGLES_NO_CACHE=1` turns it off. Errors are not cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import sys
import weakref
from collections.abc import Callable
from pathlib import Path

from engine.base import privatecache
from engine.base.diagnostics import RulesError
from engine.base.privatecache import cache_dir, enabled
from engine.check.files import display_name, read_limited
from engine.check.model import Program

__all__ = ["cache_dir", "enabled", "identity", "load"]

FORMAT = 2
"""Bumped when the layout of an entry changes (2: sealed by an HMAC)."""

MAX_ENTRIES = 256
"""Beyond this many entries, the least recently written half is removed."""

_ENGINE = Path(__file__).resolve().parents[1]

MODEL_MODULES = frozenset({"engine.check.model", "engine.check.node", "engine.check.bibliography",
                           "engine.base.source", "engine.lang.types", "engine.lang.kinds", "engine.lang.statuses",
                           "engine.base.diagnostics"})
"""The modules whose classes a checked program is made of."""

_allowed = privatecache.classes_of(MODEL_MODULES)
"""What an entry may contain: the engine's model classes (attrs, enums) and plain values."""


_IDENTITIES: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


def identity(program: object) -> str | None:
    """The SHA-256 of the sealed entry a program was read from or stored as, or None (not cached).

    What is derived from a program alone, such as its generated code (`engine.evaluate.codecache`),
    is cached under this name: it changes whenever the stored program does.
    """
    return _IDENTITIES.get(program)


def load(path: Path, loader: Callable[[Path], Program], salt: str = "") -> Program:
    """The checked program of `path`, from the cache or from `loader(path)` (then stored).

    `salt` is whatever else the result depends on (the root `modifie` may read from).
    """
    if not enabled():
        return loader(path)
    try:
        data = read_limited(path, display_name(path))
        key = _key(path, data + b"\0" + salt.encode("utf-8", "surrogateescape"))
    except (OSError, RuntimeError, ValueError, RulesError):
        return loader(path)  # the loader reports the unreadable or oversized file
    found = _read(key, path)
    if found is not None:
        return found
    program = loader(path)
    _write(key, path, program)
    return program


def _key(path: Path, data: bytes) -> str:
    h = hashlib.sha256()
    for part in (f"regles-cache/{FORMAT}", sys.version, sys.implementation.cache_tag or "", str(Path.cwd()),
                 str(path.resolve()), display_name(path), _engine_fingerprint()):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


_FINGERPRINT: str | None = None


def _engine_fingerprint() -> str:
    """A hash of the engine's source and grammar files (computed once per process)."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.sha256()
        files = sorted(_ENGINE.rglob("*.py"))
        for grammar in (_ENGINE / "_grammar", _ENGINE.parent / "grammar"):
            if grammar.is_dir():
                files += sorted(p for p in grammar.iterdir() if p.is_file())
        for file in files:
            try:
                h.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
            except OSError:
                h.update(file.name.encode() + b"\0?\0")
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def _name(key: str) -> str:
    return f"{key}.pickle"


def _read(key: str, path: Path) -> Program | None:
    """The program of a valid entry, or None (missing, tampered, corrupt, or an amended file changed)."""
    payload = privatecache.read(_name(key))
    if payload is None:
        return None
    try:
        stored = privatecache.unpickle_entry(payload, _allowed, FORMAT)
        for dependency, digest in stored["amends"]:
            if hashlib.sha256(Path(dependency).read_bytes()).hexdigest() != digest:
                return None
        program = stored["program"]
        _IDENTITIES[program] = hashlib.sha256(payload).hexdigest()
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a sealed but unreadable entry (another engine's) is a miss
        privatecache.log.warning("cache : entrée %s illisible (%s) ; elle est reconstruite", key[:12], exc)
        _remove(cache_dir() / _name(key))
        return None
    return program if isinstance(program, Program) else None


def _write(key: str, path: Path, program: Program) -> None:
    """Store a sealed entry atomically; any failure is ignored (the cache is an optimisation)."""
    try:
        amends = _amended_files(path, program)
        payload = pickle.dumps({"format": FORMAT, "file": str(path.resolve()), "amends": amends, "program": program},
                               protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable program, a vanished source: no cache
        return
    if privatecache.write(_name(key), payload):
        _IDENTITIES[program] = hashlib.sha256(payload).hexdigest()
        _prune(cache_dir())


def _amended_files(path: Path, program: Program) -> list[tuple[str, str]]:
    """Every file the program was built from except `path` itself, with the SHA-256 of its bytes."""
    root = path.resolve()
    found = []
    for name in program.sources:
        file = Path(name)
        if not file.is_file():
            raise ValueError(f"source introuvable : {name}")
        resolved = file.resolve()
        if resolved != root:
            found.append((str(resolved), hashlib.sha256(resolved.read_bytes()).hexdigest()))
    return found


def _prune(directory: Path) -> None:
    entries = list(directory.glob("*.pickle"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) // 2]:
        _remove(old)


def _remove(file: Path) -> None:
    with contextlib.suppress(OSError):
        file.unlink()
