"""The built wheel works outside the checkout (issue 20): rule files, templates and examples ship
with it, and a bundled rule file is named by its name.

The wheel is built from this checkout (`pip wheel`, hatchling) and installed into a fresh virtual
environment in a temporary folder, away from the repository. The environment has no pip of its
own: the running pip installs the wheel into it (`pip --python`), without its dependencies, which
the environment reads from the running interpreter's site-packages through a `.pth` file. So the
test needs no network beyond the build backend, and takes a few seconds. A check that the `engine`
it runs is the wheel's, not the checkout's or an installed copy, keeps the test honest.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _plain(text: str) -> str:
    """Text with French typography's non-breaking spaces read as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    run = _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--quiet", "-w", str(out)], out,
               dict(os.environ))
    assert run.returncode == 0, run.stderr
    [built] = out.glob("regles-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """A fresh virtual environment outside the checkout with the wheel installed: (bin folder, env, cwd)."""
    home = tmp_path_factory.mktemp("ailleurs")
    venv = home / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], home, dict(os.environ))
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], home,
                        dict(os.environ)).stdout.strip())
    install = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--ignore-installed", "--quiet", str(wheel)], home, dict(os.environ))
    assert install.returncode == 0, install.stderr
    # Then the dependencies (lark, attrs, jinja2…) come from the running interpreter: a path added by
    # a .pth file comes after the environment's own site-packages, so the wheel's `engine` wins over
    # a `regles` installed there (written after the install, which would otherwise see that one).
    ours = [p for p in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]} if Path(p).is_dir()]
    (purelib / "_regles_test_deps.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env.update(XDG_CACHE_HOME=str(home / "cache"), PATH=str(python.parent) + os.pathsep + env.get("PATH", ""))
    work = home / "travail"
    work.mkdir()
    return python.parent, env, work


def test_wheel_carries_rule_files_templates_examples_and_license(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("engine/_rulesets/convention2024.rules", "engine/_rulesets/avenant7.rules",
                     "engine/_rulesets/lettres/decision.j2", "engine/_examples/generaliste.json",
                     "engine/_grammar/regles.lark", "engine/static/atelier.js", "engine/static/style.css",
                     "engine/tools/templates/docsite/base.html.j2", "engine/tools/templates/docsite/style.css"):
        assert expected in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert "Requires-Dist: typst" in metadata and "extra == 'pdf'" in metadata
    assert "Requires-Dist: pyarrow" in metadata and "extra == 'parquet'" in metadata


def test_bundled_rule_file_by_name_outside_the_checkout(installed: tuple[Path, dict[str, str], Path]) -> None:
    """The issue's bar: `regles eval convention2024 --facts …` in a fresh environment, elsewhere."""
    bin_dir, env, work = installed
    regles = str(bin_dir / "regles")
    where = _run([str(bin_dir / "python"), "-c", "import engine; print(engine.__file__)"], work, env)
    assert Path(where.stdout.strip()).resolve().is_relative_to(bin_dir.parent.resolve()), where.stdout + where.stderr
    example = _run([str(bin_dir / "python"), "-c", "from engine.base import bundled; print(bundled.examples_dir())"],
                   work, env).stdout.strip()
    run = _run([regles, "eval", "convention2024", "--facts", str(Path(example) / "generaliste.json")], work, env)
    assert run.returncode == 0, run.stderr
    assert "montant_verse" in run.stdout and "8 250,00 €" in _plain(run.stdout)
    by_name = _run([regles, "eval", "convention2024", "--facts", "generaliste", "-r", "montant_verse"], work, env)
    assert by_name.returncode == 0, by_name.stderr
    assert "8 250,00 €" in _plain(by_name.stdout)


def test_letter_templates_ship_with_the_rule_file(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, work = installed
    example = _run([str(bin_dir / "python"), "-c", "from engine.base import bundled; print(bundled.examples_dir())"],
                   work, env).stdout.strip()
    run = _run([str(bin_dir / "regles"), "letter", "convention2024", "--facts", "generaliste", "--template",
                "decision", "--date", "2024-09-01", "--caisse", str(Path(example) / "caisse.toml")], work, env)
    assert run.returncode == 0, run.stderr
    assert "votre demande est acceptée" in _plain(run.stdout)


def test_init_and_version_from_the_wheel(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, work = installed
    version = _run([str(bin_dir / "regles"), "--version"], work, env)
    assert version.returncode == 0
    assert version.stdout.startswith("regles 0.") and "format des fichiers de règles : " in version.stdout
    init = _run([str(bin_dir / "regles"), "init", "mon_texte"], work, env)
    assert init.returncode == 0, init.stderr
    assert (work / "mon_texte" / "convention2024.rules").is_file()
    assert (work / "mon_texte" / "lettres" / "decision.j2").is_file()
    run = _run([str(bin_dir / "regles"), "eval", "mon_texte/convention2024.rules", "--facts",
                "mon_texte/exemples/generaliste.json", "-r", "montant_verse"], work, env)
    assert run.returncode == 0, run.stderr
    assert "8 250,00 €" in _plain(run.stdout)


def test_examples_of_the_bundled_rule_files(installed: tuple[Path, dict[str, str], Path]) -> None:
    """`regles test` with no argument, outside a checkout, runs the examples of the bundled files."""
    bin_dir, env, work = installed
    run = _run([str(bin_dir / "regles"), "test", "--format", "json"], work, env)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["failed"] == 0 and report["passed"] > 100
    assert sorted(Path(f["file"]).name for f in report["files"]) == ["avenant7.rules", "convention2024.rules"]
