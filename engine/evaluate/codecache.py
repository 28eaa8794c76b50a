"""Generated code cached beside the checked program, so a rule file's code is generated once.

Generating and compiling the module of the 2024 file takes about 0.1 s (0.2 s for its traced form),
more than the rest of a cold `regles eval`. Its code object (marshalled) and what running it needs
(the constants, the entry points) are stored in the private cache directory next to the pickled
program (`engine.check.cache`), under the name of that program's entry: `identity(program)`, the
SHA-256 of the sealed entry, which changes whenever the program, the engine or Python changes.
The same rules as the program's apply: entries are sealed (`engine.base.privatecache`), checked
before anything is read, unpickled by a restricted unpickler that builds only the engine's value,
result, trace and model classes, and any problem is a miss. A program not read through the cache
(`engine.loads`, `REGLES_NO_CACHE=1`) has no identity: its code is generated each time.
"""

from __future__ import annotations

import contextlib
import marshal
import pickle
from types import CodeType

from attrs import asdict

from engine.base import privatecache
from engine.check import cache, model
from engine.evaluate.generated import GeneratedModule

FORMAT = 1
"""Bumped when the layout of an entry changes."""

MAX_ENTRIES = 512
"""Beyond this many code entries, the least recently written half is removed."""

_allowed = privatecache.classes_of(cache.MODEL_MODULES | {"engine.lang.results", "engine.lang.values",
                                                           "engine.evaluate.trace"})
"""What an entry may contain: plain values and the engine's own classes (model, results, trace sites)."""


def _name(program: model.Program, kind: str) -> str | None:
    identity = cache.identity(program)
    return None if identity is None else f"{identity}.{kind}.code"


def read(program: model.Program, kind: str) -> tuple[GeneratedModule, CodeType] | None:
    """The generated module of `kind` ("plain" or "traced") stored for this program, or None."""
    name = _name(program, kind)
    if name is None:
        return None
    payload = privatecache.read(name)
    if payload is None:
        return None
    try:
        stored = privatecache.unpickle_entry(payload, _allowed, FORMAT)
        code = marshal.loads(stored["code"])
        if not isinstance(code, CodeType):
            raise TypeError("code")
        module = GeneratedModule(**stored["module"])
    except Exception as exc:  # noqa: BLE001 - a sealed but unreadable entry (another engine's) is a miss
        privatecache.log.warning("cache : code %s illisible (%s) ; il est régénéré", name[:12], exc)
        return None
    return module, code


def write(program: model.Program, kind: str, module: GeneratedModule, code: CodeType) -> None:
    """Store the generated module of `kind` for this program; any failure is ignored."""
    name = _name(program, kind)
    if name is None:
        return
    try:
        payload = pickle.dumps({"format": FORMAT, "module": asdict(module, recurse=False),
                                "code": marshal.dumps(code)}, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable constant: no cache (the code still runs)
        return
    if privatecache.write(name, payload):
        _prune()


def _prune() -> None:
    directory = privatecache.cache_dir()
    entries = list(directory.glob("*.code"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) // 2]:
        with contextlib.suppress(OSError):
            old.unlink()
