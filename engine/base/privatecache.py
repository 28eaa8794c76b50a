"""The user's private cache directory, where nothing another user wrote is ever loaded.

Two caches live here: checked rule files (`engine.check.cache`) and the parser's tables
(`engine.syntax.parser`). Both used to trust any file they found: lark unpickled a predictable name in the
shared temporary directory, and the rule cache unpickled any entry, so a file planted by another
user, or an edited entry, ran code or changed amounts. Now:

- the directory (the platform's user cache directory, `cache_dir`: `$XDG_CACHE_HOME/regles`, default
  `~/.cache/regles`, on Linux) is created 0700 and used
  only if it is a real directory (not a symlink) owned by the user, writable by no one else, in a
  parent that no one else can rename it out of (writable by others only with the sticky bit);
- every entry is sealed: HMAC-SHA256, over the entry's name and bytes, with a 32-byte key kept in
  that directory (`key`, created 0600); the seal is checked BEFORE anything is unpickled, and a
  missing, wrong or foreign seal makes the entry a miss that the caller rebuilds;
- unpickling goes through `RestrictedUnpickler`, which builds only the classes its caller allows
  (defence in depth: a leaked key still cannot name `os.system`);
- files are opened without following symlinks, and written through a fresh temporary file
  (O_EXCL) renamed into place, so a planted symlink is never written through.

Problems are logged as warnings on the `engine.check.cache` logger (`regles --verbose` shows them) and
are never errors: without a usable directory, nothing is cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib
import io
import logging
import os
import pickle
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["VALUE_TYPES", "RestrictedUnpickler", "cache_dir", "classes_of", "directory", "enabled", "log", "read",
           "unpickle_entry", "write"]

log = logging.getLogger("engine.check.cache")
logging.getLogger("engine").addHandler(logging.NullHandler())  # a library is silent unless asked (--verbose)

MAGIC = b"regles-hmac-sha256\n"
KEY_NAME = "key"
KEY_BYTES = 32
MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""A checked program is a few hundred kilobytes; a bigger file is not one of ours."""

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def enabled() -> bool:
    """Whether the caches are in use (`REGLES_NO_CACHE=1` turns them off)."""
    return os.environ.get("REGLES_NO_CACHE", "") not in {"1", "oui", "true", "yes"}


def cache_dir() -> Path:
    """The platform's user cache directory for `regles`: `$XDG_CACHE_HOME/regles` or `~/.cache/regles` on
    Linux and other Unix systems (a relative XDG_CACHE_HOME is ignored, per XDG), `~/Library/Caches/regles`
    on macOS, `%LOCALAPPDATA%\\regles\\Cache` on Windows (platformdirs)."""
    if sys.platform in {"darwin", "win32"}:
        import platformdirs
        return Path(platformdirs.user_cache_dir("regles", appauthor=False))
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "regles"


def directory() -> Path | None:
    """The private cache directory, created if needed; None when it is not safe to use."""
    path = cache_dir()
    if not hasattr(os, "geteuid"):
        return None  # no owner to check (Windows): no cache rather than a cache anyone could fill
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        problem = _unsafe(path)
    except OSError as exc:
        problem = f"impossible de le créer ({exc.strerror or exc})"
    if problem:
        if (path, problem) not in _warned:  # said once per process, though every access checks again
            _warned.add((path, problem))
            log.warning("cache : dossier « %s » non utilisé : %s", path, problem)
        return None
    return path


_warned: set[tuple[Path, str]] = set()


def _unsafe(path: Path) -> str | None:
    """Why `path` is not a private directory of this user, or None when it is one."""
    uid = os.geteuid()
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return "c'est un lien symbolique"
    if not stat.S_ISDIR(info.st_mode):
        return "ce n'est pas un dossier"
    if info.st_uid != uid:
        return f"il appartient à un autre utilisateur (uid {info.st_uid})"
    if info.st_mode & 0o022:
        return "d'autres utilisateurs peuvent y écrire"
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)  # ours and written by us alone (an older version made it 0755): close it
    parent = os.stat(path.parent)
    if parent.st_mode & 0o022 and not parent.st_mode & stat.S_ISVTX:
        return "d'autres utilisateurs peuvent écrire dans son dossier parent et le remplacer"
    return None


def _key(folder: Path) -> bytes | None:
    """The sealing key of the directory, created on first use; None if it is not ours alone."""
    path = folder / KEY_NAME
    for _ in range(2):
        data = _read_own(path, KEY_BYTES)
        if data is not None:
            if len(data) != KEY_BYTES:
                log.warning("cache : clé « %s » invalide, cache non utilisé", path)
                return None
            return data
        if path.exists() or path.is_symlink():
            log.warning("cache : clé « %s » illisible ou étrangère, cache non utilisé", path)
            return None
        _create_key(folder, path)
    return None


def _create_key(folder: Path, path: Path) -> None:
    """Write a new key atomically: a temporary file (0600) hard-linked to `key`, never overwritten."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(temporary, path)
    finally:
        _remove(Path(temporary))


def _read_own(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file owned by the user and private to them, or None (missing, foreign…)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            return None
        if info.st_size > limit:
            return None
        return f.read(limit + 1)


def _seal(key: bytes, name: str, payload: bytes) -> bytes:
    return hmac.new(key, name.encode("utf-8") + b"\0" + payload, hashlib.sha256).digest()


def read(name: str) -> bytes | None:
    """The payload of entry `name` if its seal is valid; None (with a warning if it was not) otherwise."""
    folder = directory()
    if folder is None:
        return None
    entry = folder / name
    if not (entry.exists() or entry.is_symlink()):
        return None
    key = _key(folder)
    if key is None:
        return None
    data = _read_own(entry, MAX_ENTRY_BYTES)
    size = len(MAGIC) + hashlib.sha256().digest_size
    if data is None or not data.startswith(MAGIC) or len(data) < size:
        _reject(entry, "illisible, étrangère ou d'un ancien format")
        return None
    tag, payload = data[len(MAGIC):size], data[size:]
    if not hmac.compare_digest(tag, _seal(key, name, payload)):
        _reject(entry, "son sceau ne correspond pas (modifiée ou écrite par un autre)")
        return None
    return payload


def _reject(entry: Path, why: str) -> None:
    log.warning("cache : entrée « %s » ignorée : %s ; elle est reconstruite", entry.name, why)
    _remove(entry)
    return None


def write(name: str, payload: bytes) -> bool:
    """Store a sealed entry atomically; False when there is no usable directory or the write failed."""
    folder = directory()
    if folder is None:
        return False
    key = _key(folder)
    if key is None:
        return False
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # O_EXCL, 0600: no symlink followed
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + _seal(key, name, payload) + payload)
            os.replace(temporary, folder / name)
        except BaseException:
            _remove(Path(temporary))
            raise
    except OSError as exc:
        log.warning("cache : écriture de « %s » impossible (%s)", name, exc.strerror or exc)
        return False
    return True


VALUE_TYPES = frozenset({("decimal", "Decimal"), ("fractions", "Fraction"), ("datetime", "date"),
                         ("builtins", "set"), ("builtins", "frozenset")})
"""The plain value types every cache entry may hold."""


def classes_of(modules: frozenset[str]) -> Callable[[str, str], bool]:
    """An `allowed(module, name)` for `RestrictedUnpickler`: the plain value types, and the classes
    (attrs, enums) defined in `modules`, nothing else (no function, no builtin but sets)."""
    def allowed(module: str, name: str) -> bool:
        if (module, name) in VALUE_TYPES:
            return True
        if module not in modules or not name.isidentifier():
            return False
        return isinstance(getattr(importlib.import_module(module), name, None), type)
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only the globals `allowed(module, name)` accepts."""

    def __init__(self, data: bytes, allowed: Callable[[str, str], bool]) -> None:
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> object:
        if not self._allowed(module, name):
            raise pickle.UnpicklingError(f"classe refusée dans le cache : {module}.{name}")
        return super().find_class(module, name)


def unpickle_entry(payload: bytes, allowed: Callable[[str, str], bool], layout: int) -> dict[str, Any]:
    """The mapping a sealed entry holds, built by `RestrictedUnpickler`; ValueError unless it is one
    of layout `layout` (its "format" key). Its values are whatever the caller stored (hence `Any`)."""
    stored = RestrictedUnpickler(payload, allowed).load()
    if not isinstance(stored, dict) or stored.get("format") != layout:
        raise ValueError("format")
    return stored


def _remove(file: Path) -> None:
    with contextlib.suppress(OSError):
        file.unlink()
