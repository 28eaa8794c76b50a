"""The package version and the version of the rule-file format it reads.

The package version comes from the installed distribution's metadata (pyproject.toml is the one
place it is written); a checkout run without an install says so rather than guess a number.
`RULES_FORMAT` names the rule language `docs/language.md` describes: it changes when a rule file
written for one version may be read differently, or refused, by another.
"""

from __future__ import annotations

RULES_FORMAT = "1"
"""The rule-file format this engine reads (docs/language.md)."""


def package_version() -> str:
    """The installed `regles` version, or a note that this is an uninstalled checkout."""
    from importlib import metadata
    try:
        return metadata.version("regles")
    except metadata.PackageNotFoundError:
        return "non installé (copie de travail)"


def version_text() -> str:
    """The one line `regles --version` prints."""
    import sys
    python = ".".join(str(n) for n in sys.version_info[:3])
    return f"regles {package_version()} (format des fichiers de règles : {RULES_FORMAT} ; Python {python})"
