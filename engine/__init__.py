"""regles: French health-insurance conventions as rule files, evaluated with explanations.

    >>> import engine
    >>> rs = engine.loads('''règles "Démo"
    ... fait secteur : entier parmi {1, 2, 3} fin
    ... résultat conventionne : booléen = secteur = 1 fin''')
    >>> rs.evaluate({"secteur": 1}).values
    {'conventionne': True}

The two entry points are `load`/`loads` (rule text → `Ruleset`) and `Ruleset.evaluate`
(facts → `Outcome`). Everything else (`engine.syntax.ast`, `engine.check.model`, the passes) is internal.
"""

from engine.api import Outcome, Ruleset, load, loads
from engine.base.diagnostics import Diagnostic, EngineError, RulesError, Severity
from engine.inputs.facts import FactsError
from engine.lang.results import Missing, NotApplicable, Undetermined, Value


def render_letter(outcome: Outcome, template: str, *, format: str = "txt", **options: object) -> bytes | str:
    """Render a letter template stored beside the rule file (`lettres/`) for an outcome.

    Returns text for `format="txt"` or `"html"`, PDF bytes for `"pdf"` (see `engine.letters.render`).

    Raises:
        MissingFactsError: the letter needs facts the outcome lacks; it lists them with their questions.
        LetterTemplateError: the template is broken (its name and line are given).
        LetterError: unknown template or format.
    """
    from engine.letters.render import render_letter as _render
    return _render(outcome, template, format=format, **options)


def __getattr__(name: str) -> object:
    """The letter errors, imported lazily so that `import engine` does not load Jinja."""
    if name in {"LetterError", "LetterTemplateError", "MissingFactsError"}:
        from engine.letters import render as letters
        return getattr(letters, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


__all__ = ["Diagnostic", "EngineError", "FactsError", "LetterError", "LetterTemplateError", "Missing",
           "MissingFactsError", "NotApplicable", "Outcome", "RulesError", "Ruleset", "Severity", "Undetermined",
           "Value", "load", "loads", "render_letter"]
