"""JSON in and out of the public API: the JSON view of an outcome, and strict reading of a JSON object.

Stage: tools, just above `engine.api`. The command line (`regles eval --format json`, a facts file)
and the server (its JSON answers, a request body) are siblings on top and both go through here, so
an outcome reads the same and a bad document is refused for the same reasons wherever it comes from.
"""

from __future__ import annotations

import json

from engine import api
from engine.evaluate.trace import result_json
from engine.lang.results import Result


def outcome_json(outcome: api.Outcome) -> dict[str, object]:
    """An outcome as JSON: each result with its status, value or reason (a false result with its
    `unmet` conditions: name, text, margin, children), and the missing facts."""
    facts = outcome.ruleset.facts
    return {
        "results": {name: result_with_unmet(outcome, name, r) for name, r in outcome.results.items()},
        "missing": [{"fact": n, "question": facts[n].question, "description": facts[n].description}
                    for n in sorted(outcome.missing)],
    }


def result_with_unmet(outcome: api.Outcome, name: str, result: Result) -> dict[str, object]:
    """One result of `outcome` as JSON (`result_json`), with its unmet conditions when it is false."""
    out = result_json(result, outcome.ruleset.program.definitions[name].type)
    if api.is_false(result):
        out["unmet"] = [u.to_json() for u in outcome.unmet(name)]
    return out


class InvalidJSON(ValueError):
    """A document that is not strict JSON: `reason` says why in French, `line` and `column` where (from 1),
    when the decoder knows."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def loads_strict(text: str) -> object:
    """Decode JSON text, refusing a key written twice in one object (`json` would keep the last value
    silently), a number of thousands of digits and a nesting too deep to read, as `InvalidJSON`."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(exc.msg, exc.lineno, exc.colno) from None
    except _DuplicateKey as exc:
        raise InvalidJSON(f"la clé « {exc.key} » est écrite deux fois dans un même objet : laquelle vaut ?") from None
    except ValueError:  # an integer of thousands of digits
        raise InvalidJSON("nombre trop long") from None
    except RecursionError:  # [[[[…]]]] nested a hundred thousand deep
        raise InvalidJSON("imbriqué trop profondément") from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key if len(key) <= 60 else key[:60] + "…"


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object, refusing a key written twice."""
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found
