"""Machine-readable reports for CI systems and editors: `regles check --format json|sarif` and
`regles test --format junit`.

The same diagnostics and example runs as the text output, in formats tools read without parsing
French prose: a plain JSON document, SARIF 2.1.0 (code-scanning dashboards, editors' SARIF
viewers; columns are in Unicode characters, as `Span` counts them) and JUnit XML (one testcase per
example). Messages stay French: they are what a person reads in the dashboard.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from attrs import frozen

from engine.base.diagnostics import Diagnostic, Severity
from engine.base.source import Span

if TYPE_CHECKING:
    from engine.tools.examples import ExampleRun

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


@frozen
class FileCheck:
    """What `regles check` found in one file: its diagnostics, and its counts when it loaded."""

    file: str
    diagnostics: tuple[Diagnostic, ...]
    loaded: bool
    outputs: int = 0
    examples: int = 0


def check_json(checks: Sequence[FileCheck]) -> dict[str, object]:
    """`regles check --format json`: per file, whether it loads and every diagnostic."""
    errors = sum(d.is_error for c in checks for d in c.diagnostics)
    return {
        "files": [{"file": c.file, "correct": c.loaded, "outputs": c.outputs, "examples": c.examples,
                   "diagnostics": [{**d.to_json(), "citation": d.citation} for d in c.diagnostics]}
                  for c in checks],
        "errors": errors,
        "warnings": sum(len(c.diagnostics) for c in checks) - errors,
    }


def tool_version() -> str:
    """The installed version of regles (the project's own when run from a checkout)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("regles")
    except PackageNotFoundError:
        return "0.0.0"


def check_sarif(checks: Sequence[FileCheck], version: str | None = None) -> dict[str, object]:
    """`regles check --format sarif`: one SARIF 2.1.0 run whose results are the diagnostics."""
    version = version or tool_version()
    diagnostics = [d for c in checks for d in c.diagnostics]
    codes = sorted({d.code for d in diagnostics})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "regles", "version": version, "semanticVersion": version,
                                "rules": [{"id": code} for code in codes]}},
            "columnKind": "unicodeCodePoints",
            "artifacts": [{"location": {"uri": file_uri(c.file)}} for c in checks],
            "results": [_sarif_result(d, codes.index(d.code)) for d in diagnostics],
        }],
    }


def _sarif_result(d: Diagnostic, rule_index: int) -> dict[str, object]:
    text = d.message + (f" ; source : {d.citation}" if d.citation else "") + (f" ; aide : {d.hint}" if d.hint else "")
    result: dict[str, object] = {
        "ruleId": d.code, "ruleIndex": rule_index,
        "level": "error" if d.severity is Severity.ERROR else "warning",
        "message": {"text": text},
        "locations": [_sarif_location(d.span)],
    }
    if d.labels:
        result["relatedLocations"] = [{**_sarif_location(label.span), "id": i,
                                       "message": {"text": label.note or d.message}}
                                      for i, label in enumerate(d.labels)]
    return result


def _sarif_location(span: Span) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": file_uri(span.file)}}
    if span.line >= 1:
        physical["region"] = {"startLine": span.line, "startColumn": max(1, span.column),
                              "endLine": max(span.line, span.end_line),
                              "endColumn": max(1, span.end_column)}
    return {"physicalLocation": physical}


def file_uri(file: str) -> str:
    """A file name as a SARIF URI reference: relative names stay relative (`rulesets/x.rules`), with
    spaces and accents percent-encoded."""
    return quote(file.replace("\\", "/"), safe="/:")


@frozen
class SuiteRun:
    """The examples of one rule file as `regles test` ran them, or why the file did not load."""

    file: str
    runs: tuple[ExampleRun, ...] = ()
    load_error: str | None = None


def junit_xml(suites: Sequence[SuiteRun]) -> str:
    """`regles test --format junit`: one testsuite per file, one testcase per example."""
    root = ET.Element("testsuites", name="regles test")
    total = failures = errors = 0
    for suite in suites:
        element = ET.SubElement(root, "testsuite", name=suite.file)
        cases = failed = broken = 0
        if suite.load_error is not None:
            case = ET.SubElement(element, "testcase", classname=suite.file, name="chargement du fichier",
                                 file=suite.file)
            ET.SubElement(case, "error", message="le fichier ne se charge pas").text = suite.load_error
            cases, broken = 1, 1
        for run in suite.runs:
            cases += 1
            case = ET.SubElement(element, "testcase", classname=suite.file, name=run.case.title,
                                 file=suite.file, line=str(run.case.span.line))
            if run.error:
                broken += 1
                ET.SubElement(case, "error", message=f"faits invalides : {run.error}").text = run.error
            elif run.mismatches:
                failed += 1
                lines = [f"{m.name} : attendu {m.expected}, obtenu {m.obtained}" for m in run.mismatches]
                ET.SubElement(case, "failure", message=lines[0]).text = "\n".join(lines)
        element.set("tests", str(cases))
        element.set("failures", str(failed))
        element.set("errors", str(broken))
        total, failures, errors = total + cases, failures + failed, errors + broken
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def test_json(suites: Sequence[SuiteRun]) -> dict[str, object]:
    """`regles test --format json`: per file, each example with whether it passed and every mismatch."""
    files = []
    for suite in suites:
        examples = [{"title": run.case.title, "line": run.case.span.line, "passed": run.passed,
                     "error": run.error or None,
                     "mismatches": [{"name": m.name, "expected": str(m.expected), "obtained": str(m.obtained)}
                                    for m in run.mismatches]}
                    for run in suite.runs]
        files.append({"file": suite.file, "loaded": suite.load_error is None, "load_error": suite.load_error,
                      "examples": examples})
    passed = sum(run.passed for s in suites for run in s.runs)
    failed = sum(not run.passed for s in suites for run in s.runs) + sum(s.load_error is not None for s in suites)
    return {"passed": passed, "failed": failed, "files": files}
