"""The Jinja2 sandbox letters render in, with resource limits and a loader confined to `lettres/`.

Jinja's `SandboxedEnvironment` stops a template from reaching Python internals, but not from
working forever: nested loops, `10**100000000`, or a 588 MB letter. A template here gets a budget
per rendering:

- `MAX_ITERATIONS` loop iterations in all (every `{% for %}` iterates through `_Budget.iterate`,
  wired in by rewriting the template's tree: a template cannot name or shadow it);
- `range()` of at most `MAX_RANGE` items;
- arithmetic on integers and fractions of at most `MAX_BITS` bits (a power is refused before it is
  computed), strings and lists of at most `MAX_LENGTH` items from `*`, `+`, `%`, `~` and filters;
- numeric arguments of filters and of string and list methods at most `MAX_LENGTH` (`center(10**9)`);
- `MAX_OUTPUT` characters of output, and `MAX_SECONDS` of rendering, checked at every loop
  iteration, every call and every chunk of output.

The limits are about a hundred times what the bundled letters use (see docs/security.md), so no
real letter comes near them. Crossing one raises `LimitExceeded`, which `engine.letters.render` reports as a
`LetterTemplateError` naming the template and line.

`ConfinedLoader` reads templates from `lettres/` only: a template that is, or leads through, a
symbolic link out of the folder is not found, and neither is a file larger than `MAX_TEMPLATE_BYTES`.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from jinja2 import nodes
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SecurityError

# The bundled letters, over every golden case and format, use at most 89 loop iterations, no range,
# 10 057 characters of output and 0.7 s (the first rendering, which compiles the templates, on a
# loaded machine). The limits leave about a hundred times that.
MAX_ITERATIONS = 10_000
MAX_RANGE = 1_000
MAX_BITS = 4_096
"""About 10^1233: no amount, count or date needs more, and big-integer work stays microseconds."""
MAX_LENGTH = 1_000_000
MAX_OUTPUT = 1_000_000
MAX_SECONDS = 10.0
MAX_TEMPLATE_BYTES = 1_000_000


_T = TypeVar("_T")


class LimitExceeded(SecurityError):
    """A template went past one of the rendering limits."""


class _Budget:
    """What one rendering may still spend."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.iterations = MAX_ITERATIONS
        self.output = MAX_OUTPUT

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"rendu trop long (plus de {MAX_SECONDS:g} s)")

    def iterate(self, iterable: Iterable[object]) -> Iterator[object]:
        for item in iterable:
            self.iterations -= 1
            if self.iterations < 0:
                raise LimitExceeded(f"trop de tours de boucle (plus de {MAX_ITERATIONS} en tout)")
            self.tick()
            yield item

    def write(self, chunk: str) -> None:
        self.output -= len(chunk)
        if self.output < 0:
            raise LimitExceeded(f"courrier trop long (plus de {MAX_OUTPUT} caractères)")
        self.tick()


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("regles_template_budget", default=None)


def _budget() -> _Budget:
    """The budget of the rendering under way; a fresh one (full limits) outside `render`."""
    budget = _BUDGET.get()
    if budget is None:
        budget = _Budget()
        _BUDGET.set(budget)
    return budget


def render(template: jinja2.Template, context: Mapping[str, object], allowance: int = 0) -> str:
    """Render a template within a fresh budget: output size and time are checked at every chunk.

    `allowance` raises the output limit by what the caller knows the letter must carry (an HTML
    letter's logo, embedded as a `data:` URI of up to 1.4 million characters)."""
    token = _BUDGET.set(_Budget())
    try:
        budget = _budget()
        budget.output += allowance
        chunks = []
        for chunk in template.generate(context):
            budget.write(chunk)
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _BUDGET.reset(token)


def _number_bits(value: object) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value.bit_length()
    if isinstance(value, Fraction):
        return max(value.numerator.bit_length(), value.denominator.bit_length())
    return 0


def _length(value: object) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


def _check_result(value: _T) -> _T:
    if _length(value) > MAX_LENGTH:
        raise LimitExceeded(f"texte ou liste trop long (plus de {MAX_LENGTH} éléments)")
    if _number_bits(value) > MAX_BITS:
        raise LimitExceeded(f"nombre trop grand (plus de {MAX_BITS} bits)")
    return value


def _check_arguments(args: Iterable[object]) -> None:
    for arg in args:
        if isinstance(arg, (int, float)) and not isinstance(arg, bool) and abs(arg) > MAX_LENGTH:
            raise LimitExceeded(f"argument numérique trop grand ({arg:.3g} ; au plus {MAX_LENGTH})")


_FORMAT_WIDTH = re.compile(r"%[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_binop(operator: str, left: object, right: object) -> None:
    """Refuse, before computing it, an operation whose result would be huge."""
    if operator == "**":
        exponent = right if isinstance(right, int) else 0
        if isinstance(right, (int, float, Fraction)) and not -MAX_BITS <= right <= MAX_BITS:
            raise LimitExceeded(f"puissance trop grande (exposant au plus {MAX_BITS})")
        if abs(exponent) * max(1, _number_bits(left)) > MAX_BITS:
            raise LimitExceeded(f"puissance trop grande (plus de {MAX_BITS} bits)")
    elif operator == "*":
        for seq, count in ((left, right), (right, left)):
            if _length(seq) and isinstance(count, int) and _length(seq) * count > MAX_LENGTH:
                raise LimitExceeded(f"répétition trop longue (plus de {MAX_LENGTH} éléments)")
        if _number_bits(left) + _number_bits(right) > MAX_BITS:
            raise LimitExceeded(f"nombre trop grand (plus de {MAX_BITS} bits)")
    elif operator == "+":
        if _length(left) + _length(right) > MAX_LENGTH:
            raise LimitExceeded(f"texte ou liste trop long (plus de {MAX_LENGTH} éléments)")
    elif operator == "%" and isinstance(left, str):
        values = right if isinstance(right, tuple) else (right,)
        for width in _FORMAT_WIDTH.finditer(left):
            for part in width.groups():
                if part and part != "*" and int(part) > MAX_LENGTH:
                    raise LimitExceeded(f"largeur de format trop grande (au plus {MAX_LENGTH})")
        if "*" in left:
            _check_arguments(values)


class LimitedSandbox(SandboxedEnvironment):
    """A `SandboxedEnvironment` whose templates work within a budget (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/"})

    def __init__(self, **options: Any) -> None:
        """The options of `SandboxedEnvironment` (loader, undefined, autoescape…), passed on as given."""
        super().__init__(**options)
        self.globals["range"] = _range

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then route every loop through the budget and check every `~` result."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.EnvironmentAttribute("regles_iterate"), [loop.iter], [], None, None,
                                   lineno=loop.iter.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [nodes.Call(nodes.EnvironmentAttribute("regles_join"), [nodes.List(concat.nodes)],
                                       [], None, None, lineno=concat.lineno)]
        return tree

    def regles_iterate(self, iterable: Iterable[object]) -> Iterator[object]:
        """The iterable of a `{% for %}`, counted against the budget."""
        return _budget().iterate(iterable)

    def regles_join(self, parts: list[object]) -> str:
        """What `a ~ b` gives, refused past `MAX_LENGTH` characters."""
        joined = (markup_join if self.autoescape else str_join)(parts)
        return _check_result(joined)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: object, right: object) -> object:
        _budget().tick()
        _check_binop(operator, left, right)
        return _check_result(super().call_binop(context, operator, left, right))

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call `obj` from a template; a string or list method gets no huge numeric argument."""
        _budget().tick()
        if isinstance(getattr(obj, "__self__", None), (str, bytes, list, tuple)):  # "x".center(10**9)
            _check_arguments(args)
            _check_arguments(kwargs.values())
        return _check_result(SandboxedEnvironment.call(self, context, obj, *args, **kwargs))


def limit_filters(filters: dict[str, Callable[..., object]]) -> None:
    """Wrap every filter so that its numeric arguments and its result stay within the limits."""
    for name, function in list(filters.items()):
        filters[name] = _limited(function)


def _limited(function: Callable[..., object]) -> Callable[..., object]:
    passes_first = hasattr(function, "jinja_pass_arg")  # pass_context, pass_environment, pass_eval_context

    @functools.wraps(function)  # keeps `jinja_pass_arg`
    def limited(*args: object, **kwargs: object) -> object:
        _budget().tick()
        _check_arguments(args[2:] if passes_first else args[1:])  # the filtered value itself is not an argument
        _check_arguments(kwargs.values())
        return _check_result(function(*args, **kwargs))
    return limited


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise LimitExceeded(f"range() trop long ({len(numbers)} éléments ; au plus {MAX_RANGE})")
    return numbers


class ConfinedLoader(jinja2.FileSystemLoader):
    """A `FileSystemLoader` that serves only regular files inside its folders, symlinks resolved."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        path = Path(filename)
        if not any(_inside(path, Path(folder)) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(template, "le modèle est un lien hors du dossier lettres/")
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise jinja2.TemplateNotFound(template, f"modèle trop volumineux (au plus {MAX_TEMPLATE_BYTES} octets)")
        return source, filename, uptodate


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve()) and not folder.is_symlink()
    except (OSError, RuntimeError):
        return False


def links_out(folder: Path) -> list[Path]:
    """The symbolic links under `folder` (itself included) that lead out of it."""
    found = [folder] if folder.is_symlink() else []
    root = folder.resolve()
    for directory, subdirs, files in os.walk(folder):
        for name in subdirs + files:
            path = Path(directory) / name
            if path.is_symlink():
                try:
                    if not path.resolve().is_relative_to(root):
                        found.append(path)
                except (OSError, RuntimeError):
                    found.append(path)
    return found
