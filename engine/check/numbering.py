"""Stable node ids: the checker's last step gives each new node of a program its `Node.nid`.

Caches of what a program node says (the trace sites of `engine.evaluate.sites`, the branches of
`engine.tools.coverage`) need a key per program position that means the same in every process and
survives the program cache's pickling, which `id()` does not. Numbering happens once the program is
built, in a fixed order (the program's fields, mappings by sorted key, each node before what it
holds), so the same rule file always gets the same ids, and the pickled program carries them (the
generated code cached beside it, `engine.evaluate.codecache`, is keyed by that entry).

Only nodes without an id are numbered, as `fichier#n` where `fichier` is the name of the file being
checked: nodes inherited unchanged from an amended or reused file keep the id that file's own check
gave them (the file is named in it, so ids of two files never meet), and a node an amendment
rewrote (`attrs.evolve` yields it unnumbered) gets an id of this file. The numbering writes a field
no equality reads, on nodes no one else has seen yet: it completes their construction.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping

import attrs

from engine.check.model import Program
from engine.check.node import Node


def number(program: Program, file: str) -> None:
    """Give every node of `program` that has no id yet one of `file`'s, in the fixed order."""
    taken: set[str] = set()
    fresh: list[Node] = []
    for node in nodes(program):
        if node.nid:
            taken.add(node.nid)
        else:
            fresh.append(node)
    count = 0
    for node in fresh:
        count += 1
        while f"{file}#{count}" in taken:  # never an id already given (a program numbered again)
            count += 1
        object.__setattr__(node, "nid", f"{file}#{count}")  # frozen: completing the checker's own nodes


def nodes(program: Program) -> Iterator[Node]:
    """Every distinct node of a program once, each before the nodes it holds, in a fixed order."""
    stack: list[object] = list(reversed([getattr(program, name) for name in _fields(Program)]))
    seen: set[int] = set()  # the live objects of this walk (a shared node is one node, numbered once)
    while stack:
        item = stack.pop()
        shape = _shape(type(item))
        if shape is _Shape.NODE:
            assert isinstance(item, Node)
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield item
            stack.extend(reversed([getattr(item, name) for name in _fields(type(item))]))
        elif shape is _Shape.TUPLE:
            assert isinstance(item, tuple)
            stack.extend(reversed(item))
        elif shape is _Shape.MAPPING:
            assert isinstance(item, Mapping)
            stack.extend(value for _, value in sorted(item.items(), key=_by_key, reverse=True))


class _Shape(enum.Enum):
    """What the walk does with a value: look inside a node, a tuple or a mapping; pass anything else."""

    NODE = enum.auto()
    TUPLE = enum.auto()
    MAPPING = enum.auto()
    ATOM = enum.auto()


_SHAPES: dict[type, _Shape] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _shape(cls: type) -> _Shape:
    """The shape of a class's values, found once per class (a string is tested thousands of times)."""
    found = _SHAPES.get(cls)
    if found is None:
        if issubclass(cls, Node):
            found = _Shape.NODE
        elif issubclass(cls, tuple):
            found = _Shape.TUPLE
        else:
            found = _Shape.MAPPING if issubclass(cls, Mapping) else _Shape.ATOM
        _SHAPES[cls] = found
    return found


def _by_key(item: tuple[object, object]) -> str:
    """Mappings of the program are keyed by names (or pairs of names): their text orders them."""
    return repr(item[0])


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of a node (or of the program) that may hold nodes: not the span, the id or what
    `__attrs_post_init__` derives."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls) if f.init and f.name not in {"span", "nid"})
    return found
