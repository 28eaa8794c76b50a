"""The cache of checked rule files: unchanged files are not parsed and checked again.

`load(path, loader)` returns the checked program of a rule file from
`$XDG_CACHE_HOME/regles` (default `~/.cache/regles`) when an entry matches, else runs
`loader(path)` and stores its result. An entry is keyed by a SHA-256 of:
- the bytes of the file, its resolved path, the name diagnostics give it and the working
  directory (the checked program records names and directories);
- the engine: the bytes of every `engine/*.py` and `grammar/*` file, and the Python version
  (pickles and checked programs depend on both);
and it lists the files the rule file amends with the SHA-256 of their bytes, checked before the
entry is used. So editing an amended file, or the engine, misses the cache.

The cache never makes loading fail: an unreadable, corrupt or stale entry is a miss, an
unwritable directory is ignored. `REGLES_NO_CACHE=1` turns it off. Errors are not cached.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["cache_dir", "enabled", "load"]

FORMAT = 1
"""Bumped when the layout of an entry changes."""

MAX_ENTRIES = 256
"""Beyond this many entries, the least recently written half is removed."""

_ENGINE = Path(__file__).resolve().parent


def enabled() -> bool:
    """Whether the cache is in use (`REGLES_NO_CACHE=1` turns it off)."""
    return os.environ.get("REGLES_NO_CACHE", "") not in {"1", "oui", "true", "yes"}


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/regles`, or `~/.cache/regles`."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "regles"


def load(path: Path, loader: Callable[[Path], object]) -> object:
    """The checked program of `path`, from the cache or from `loader(path)` (then stored)."""
    if not enabled():
        return loader(path)
    try:
        data = path.read_bytes()
        key = _key(path, data)
    except (OSError, RuntimeError, ValueError):
        return loader(path)  # the loader reports the unreadable file
    found = _read(key, path)
    if found is not None:
        return found
    program = loader(path)
    _write(key, path, program)
    return program


def _key(path: Path, data: bytes) -> str:
    from engine.loader import display_name
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
        files = sorted(_ENGINE.glob("*.py"))
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


def _entry(key: str) -> Path:
    return cache_dir() / f"{key}.pickle"


def _read(key: str, path: Path) -> object | None:
    """The program of a valid entry, or None (missing, corrupt, or an amended file changed)."""
    entry = _entry(key)
    try:
        with entry.open("rb") as f:
            stored = pickle.load(f)
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise ValueError("format")
        for dependency, digest in stored["amends"]:
            if hashlib.sha256(Path(dependency).read_bytes()).hexdigest() != digest:
                return None
        program = stored["program"]
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a corrupt entry is a miss, and is removed
        _remove(entry)
        return None
    from engine.model import Program
    return program if isinstance(program, Program) else None


def _write(key: str, path: Path, program: object) -> None:
    """Store an entry atomically; any failure is ignored (the cache is an optimisation)."""
    try:
        amends = _amended_files(path, program)
        payload = pickle.dumps({"format": FORMAT, "file": str(path.resolve()), "amends": amends, "program": program},
                               protocol=pickle.HIGHEST_PROTOCOL)
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(temporary, _entry(key))
        except BaseException:
            _remove(Path(temporary))
            raise
        _prune(directory)
    except Exception:  # noqa: BLE001, S110 - unwritable cache, unpicklable program: no cache
        pass


def _amended_files(path: Path, program: object) -> list[tuple[str, str]]:
    """Every file the program was built from except `path` itself, with the SHA-256 of its bytes."""
    root = path.resolve()
    found = []
    for name in getattr(program, "sources", {}):
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
    try:
        file.unlink()
    except OSError:
        pass
