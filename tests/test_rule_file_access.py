"""A rule file reads only rule files of its own rule set (issue 13, item 2).

`modifie "/proc/self/environ"` made `regles check` print the environment in a diagnostic, and
`/etc/passwd` or `../` paths worked too. Now `modifie` resolves inside the rule set's folder (E003),
names a `.rules` file (E004), and sizes are checked with stat before reading.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine
from engine.cli import main as cli
from engine.check import files, loader

ROOT = Path(__file__).resolve().parent.parent
SECRET = "JETON_SECRET_4f1c9a"
HEAD = 'règles "Essai"\nmodifie "{}"\n\nrésultat r : booléen = vrai fin\n'


@pytest.fixture
def rule_set(tmp_path: Path) -> Path:
    """A rule set folder `ensemble/`, beside a secret rule file and a secret text outside it."""
    folder = tmp_path / "ensemble"
    folder.mkdir()
    (tmp_path / "secret.rules").write_text(f'règles "{SECRET}"\nrésultat x : booléen = {SECRET} fin\n',
                                           encoding="utf-8")
    (tmp_path / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    return folder


def _amending(folder: Path, target: str, name: str = "modif.rules") -> Path:
    path = folder / name
    path.write_text(HEAD.format(target), encoding="utf-8")
    return path


def _codes(path: Path, **kwargs: object) -> tuple[list[str], str]:
    with pytest.raises(engine.RulesError) as caught:
        engine.load(path, **kwargs)  # type: ignore[arg-type]
    return [d.code for d in caught.value.diagnostics], str(caught.value)


class TestPaths:
    """Absolute paths and escapes upward are refused before anything is read."""

    def test_proc_environ_is_never_printed(self, rule_set: Path) -> None:
        """The reported attack: `regles check` no longer prints the environment."""
        path = _amending(rule_set, "/proc/self/environ")
        env = dict(os.environ, PYTHONPATH=str(ROOT), REGLES_NO_CACHE="1", SECRET_VAR=SECRET)
        run = subprocess.run([sys.executable, "-m", "engine", "check", str(path)], env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 1
        assert SECRET not in run.stdout + run.stderr
        assert "erreur[E003]: chemin absolu interdit : « /proc/self/environ »" in run.stderr

    @pytest.mark.parametrize("target", ["/etc/passwd", "/etc/passwd.rules", "C:/Windows/win.ini", "\\\\serveur\\x.rules"])
    def test_absolute_paths(self, rule_set: Path, target: str) -> None:
        codes, text = _codes(_amending(rule_set, target.replace("\\", "\\\\")))
        assert codes == ["E003"]
        assert "root:" not in text

    @pytest.mark.parametrize("target", ["../secret.rules", "../secret.txt", "../absent.rules", "sous/../../secret.rules",
                                        "../../../../../../../../etc/passwd"])
    def test_escapes_upward(self, rule_set: Path, target: str) -> None:
        """`..` out of the rule set is E003, whether the file exists or not (no existence oracle)."""
        codes, text = _codes(_amending(rule_set, target))
        assert codes == ["E003"]
        assert SECRET not in text
        assert f"« {target} » sort du dossier des règles" in text

    def test_symlinked_file_out_of_the_rule_set(self, rule_set: Path) -> None:
        (rule_set / "lien.rules").symlink_to(rule_set.parent / "secret.rules")
        codes, text = _codes(_amending(rule_set, "lien.rules"))
        assert codes == ["E003"]
        assert SECRET not in text

    def test_symlinked_folder_out_of_the_rule_set(self, rule_set: Path) -> None:
        (rule_set / "sous").symlink_to(rule_set.parent)
        codes, text = _codes(_amending(rule_set, "sous/secret.rules"))
        assert codes == ["E003"]
        assert SECRET not in text

    def test_amended_file_cannot_escape_either(self, rule_set: Path) -> None:
        """The root is the top file's folder: a file in a sub-folder cannot climb above it."""
        (rule_set / "sous").mkdir()
        _amending(rule_set / "sous", "../../secret.rules", "base.rules")
        codes, text = _codes(_amending(rule_set, "sous/base.rules"))
        assert codes == ["E600", "E003"]
        assert SECRET not in text

    def test_sub_folders_and_siblings_inside_the_root(self, rule_set: Path) -> None:
        """Inside the rule set, sub-folders and `..` back into it are fine."""
        (rule_set / "a").mkdir()
        (rule_set / "b").mkdir()
        (rule_set / "b" / "base.rules").write_text('règles "Base"\nrésultat x : booléen = vrai fin\n',
                                                   encoding="utf-8")
        path = _amending(rule_set / "a", "../b/base.rules")
        assert _codes(path)[0] == ["E003"]  # a/ is the root when a/modif.rules is loaded
        assert engine.load(path, root=rule_set).evaluate({}).values["r"] is True

    def test_loads_uses_the_folder_of_filename(self, rule_set: Path) -> None:
        with pytest.raises(engine.RulesError) as caught:
            engine.loads(HEAD.format("../secret.rules"), filename=str(rule_set / "texte.rules"))
        assert [d.code for d in caught.value.diagnostics] == ["E003"]


class TestOnlyRuleFiles:
    """Only `.rules` files are read."""

    def test_text_file_inside_the_rule_set(self, rule_set: Path) -> None:
        (rule_set / "notes.txt").write_text(f"{SECRET}\n", encoding="utf-8")
        codes, text = _codes(_amending(rule_set, "notes.txt"))
        assert codes == ["E004"]
        assert SECRET not in text

    def test_rules_link_to_another_kind_of_file(self, rule_set: Path) -> None:
        (rule_set / "notes.txt").write_text(f"{SECRET}\n", encoding="utf-8")
        (rule_set / "notes.rules").symlink_to(rule_set / "notes.txt")
        codes, text = _codes(_amending(rule_set, "notes.rules"))
        assert codes == ["E004"]
        assert SECRET not in text

    def test_fifo_is_not_read(self, rule_set: Path) -> None:
        """A FIFO (reading it would block) is neither a rule file to amend nor one to load."""
        os.mkfifo(rule_set / "tube.rules")
        start = time.monotonic()
        assert _codes(_amending(rule_set, "tube.rules"))[0] == ["E604"]
        codes, text = _codes(rule_set / "tube.rules")
        assert codes == ["E001"]
        assert "ce n'est pas un fichier ordinaire" in text
        assert time.monotonic() - start < 10


class TestSizes:
    """The size limit is checked with stat before reading, and reading never goes past it."""

    def test_huge_amended_file_is_not_read(self, rule_set: Path) -> None:
        big = rule_set / "gros.rules"
        with big.open("wb") as f:
            f.truncate(4 * 1024**3)  # a sparse 4 GiB file: reading it whole would exhaust memory
        codes, text = _codes(_amending(rule_set, "gros.rules"))
        assert codes == ["E600", "E002"]
        assert "fichier trop volumineux (4194304 Kio ; au plus 256 Kio)" in text

    def test_reading_stops_at_the_limit(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file whose size stat does not tell (as under /proc) is read only up to the limit."""
        path = tmp_path / "x.rules"
        path.write_bytes(b"#" * (10 * loader.MAX_BYTES))
        real = os.stat

        def zero_size(target: object, *args: object, **kwargs: object) -> os.stat_result:
            info = real(target, *args, **kwargs)  # type: ignore[arg-type]
            if Path(str(target)) != path:
                return info
            return os.stat_result((info.st_mode, 0, 0, 1, 0, 0, 0, 0, 0, 0))

        monkeypatch.setattr(files.os, "stat", zero_size)
        with pytest.raises(engine.RulesError) as caught:
            files.read_limited(path, "x.rules")
        assert [d.code for d in caught.value.diagnostics] == ["E002"]
        assert "plus de 256 Kio" in caught.value.diagnostics[0].message  # read MAX_BYTES + 1, not 2.5 MB


class TestQuotes:
    """A diagnostic about an amended rule file quotes one line of it: the line at fault."""

    def test_one_line_of_the_amended_file(self, rule_set: Path) -> None:
        lines = [f"# {SECRET} ligne {i}" for i in range(20)]
        (rule_set / "base.rules").write_text('règles "Base"\n' + "\n".join(lines)
                                             + "\nrésultat x : booléen = inconnu fin\n", encoding="utf-8")
        codes, text = _codes(_amending(rule_set, "base.rules"))
        assert codes == ["E600", "E201"]
        assert SECRET not in text
        assert text.count("résultat x : booléen = inconnu fin") == 1

    def test_cli_exit_code_is_a_rule_error(self, rule_set: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """E003 is an error in the rule file (exit 1), not an unreadable file (exit 2)."""
        assert cli.main(["check", str(_amending(rule_set, "../secret.rules"))]) == 1
        assert "E003" in capsys.readouterr().err
