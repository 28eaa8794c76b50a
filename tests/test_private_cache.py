"""No pickle from a place another user can write (issue 13, items 1 and 7).

lark's own cache (`cache=True`) unpickled a predictable file in the shared temporary directory and
wrote it through planted symlinks; the rule cache unpickled any entry. Both now keep their data in
the private cache directory (`engine.base.privatecache`), sealed by an HMAC checked before unpickling.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.cli import main as cli
from engine.base import privatecache
from engine.syntax import parser as syntax

ROOT = Path(__file__).resolve().parent.parent
FACTS = {"specialite": "cardiologie", "secteur": 1, "option": "tiers_temps", "annee_contrat": 2,
         "date_signature": "2022-02-01", "date_embauche": "2022-01-17", "rqth": False, "nouvel_installe": False,
         "exercice_regroupe": True, "exercice_coordonne": True, "percentile_file_active": 92, "file_active": 3400}


class Plant:
    """Unpickling this creates the marker file: the proof that a planted pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh XDG_CACHE_HOME (in a private parent) and a copy of the rule files."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("REGLES_NO_CACHE", raising=False)
    for name in ("avenant7.rules", "convention2024.rules"):
        shutil.copy(ROOT / "rulesets" / name, tmp_path / name)
    return tmp_path


def _entries(home: Path) -> list[Path]:
    return sorted((home / "xdg" / "regles").glob("*.pickle"))


def _seuil(home: Path) -> int:
    return engine.load(home / "convention2024.rules").program.definitions["seuil_patientele_mt"].latest.body.value


# ─── Item 1: the parser's tables ───────────────────────────────────────────────────────────────

def _old_lark_cache(tmp: Path) -> Path:
    """The file lark's `cache=True` reads, with the options `syntax.parser` gave lark before the fix."""
    code = ("import sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
            "from lark import Lark\nfrom engine.syntax import parser as syntax\n"
            "Lark.open(str(syntax.grammar_path()), parser='lalr', propagate_positions=True, maybe_placeholders=True,"
            " strict=False, start=['start', 'cell', 'key'], lexer_callbacks={'COMMENT': syntax._collect_comment},"
            " cache=True)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp)], check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    (found,) = tmp.glob(".lark_cache_*.tmp")
    return found


def _check_in_subprocess(home: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp), XDG_CACHE_HOME=str(home / "xdg"))
    env.pop("REGLES_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "engine", "check", str(home / "avenant7.rules")], env=env,
                          capture_output=True, text=True, timeout=120)


class TestParserTables:
    """The parser never reads or writes lark's cache in the shared temporary directory."""

    def test_planted_lark_cache_is_never_loaded(self, home: Path) -> None:
        """A pickle planted at lark's predictable cache name does not run during `regles check`."""
        tmp = home / "tmp"
        tmp.mkdir()
        planted = _old_lark_cache(tmp)
        marker = home / "exécuté"
        sha = planted.read_bytes().split(b"\n", 1)[0]
        planted.write_bytes(sha + b"\n" + pickle.dumps(Plant(marker)))
        run = _check_in_subprocess(home, tmp)
        assert run.returncode == 0, run.stderr
        assert "correct" in run.stdout
        assert not marker.exists()

    def test_planted_symlink_is_never_written_through(self, home: Path) -> None:
        """A symlink planted at lark's cache name does not make `regles check` overwrite its target."""
        tmp = home / "tmp"
        tmp.mkdir()
        planted = _old_lark_cache(tmp)
        victim = home / "victime.txt"
        victim.write_text("contenu à protéger\n", encoding="utf-8")
        planted.unlink()
        planted.symlink_to(victim)
        run = _check_in_subprocess(home, tmp)
        assert run.returncode == 0, run.stderr
        assert victim.read_text(encoding="utf-8") == "contenu à protéger\n"
        assert list(tmp.iterdir()) == [planted]

    def test_tables_are_kept_sealed_in_the_private_directory(self, home: Path) -> None:
        """The tables are stored in the private directory and a later run loads them (same parses)."""
        run = _check_in_subprocess(home, home)
        assert run.returncode == 0, run.stderr
        (tables,) = (home / "xdg" / "regles").glob("lark-*.tables")
        assert tables.read_bytes().startswith(privatecache.MAGIC)
        assert (tables.stat().st_mode & 0o777) == 0o600

    def test_tampered_tables_are_rebuilt(self, home: Path) -> None:
        """Tables edited after they were sealed are ignored: the parser is built again and parses right."""
        _check_in_subprocess(home, home)
        (tables,) = (home / "xdg" / "regles").glob("lark-*.tables")
        marker = home / "exécuté"
        tables.write_bytes(tables.read_bytes()[:len(privatecache.MAGIC) + 32] + pickle.dumps(Plant(marker)))
        run = _check_in_subprocess(home, home)
        assert run.returncode == 0, run.stderr
        assert "16 résultats" in run.stdout
        assert not marker.exists()

    def test_sealed_tables_may_name_no_class(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Even correctly sealed (a leaked key), tables that name a class are refused, not executed."""
        monkeypatch.setattr(syntax, "grammar_path", lambda: ROOT / "grammar" / "regles.lark")
        name = syntax._tables_name((ROOT / "grammar" / "regles.lark").read_bytes())
        marker = home / "exécuté"
        assert privatecache.write(name, pickle.dumps({"data": Plant(marker), "memo": {}}))
        assert syntax._cached_tables(name) is None
        assert not marker.exists()


# ─── Item 7: the rule cache ────────────────────────────────────────────────────────────────────

class TestSealedEntries:
    """An entry is used only if its seal, made with the user's key, matches."""

    def test_tampered_entry_is_rebuilt_with_the_right_value(self, home: Path) -> None:
        """Editing a value inside an entry (775 → 776) is detected: the file is checked again."""
        assert _seuil(home) == 775
        (entry,) = _entries(home)
        data = entry.read_bytes()
        original = b"M" + (775).to_bytes(2, "little")
        assert original in data
        entry.write_bytes(data.replace(original, b"M" + (776).to_bytes(2, "little")))
        assert _seuil(home) == 775
        assert original in entry.read_bytes()  # rebuilt and sealed again

    @pytest.mark.parametrize("sealed", [False, True], ids=["plain pickle", "wrong seal"])
    def test_crafted_entry_is_never_executed(self, home: Path, sealed: bool) -> None:
        """A crafted pickle at an entry's name is never unpickled, whatever header it carries."""
        engine.load(home / "convention2024.rules")
        (entry,) = _entries(home)
        marker = home / "exécuté"
        crafted = pickle.dumps(Plant(marker))
        entry.write_bytes(privatecache.MAGIC + b"\0" * 32 + crafted if sealed else crafted)
        assert _seuil(home) == 775
        assert not marker.exists()

    def test_leaked_key_still_cannot_run_code(self, home: Path) -> None:
        """A correctly sealed entry (the key leaked) still builds only the engine's model classes."""
        engine.load(home / "convention2024.rules")
        (entry,) = _entries(home)
        marker = home / "exécuté"
        assert privatecache.write(entry.name, pickle.dumps(Plant(marker)))
        assert _seuil(home) == 775
        assert not marker.exists()

    @pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
    def test_entry_of_another_user_is_rebuilt(self, home: Path) -> None:
        """An entry owned by someone else, even correctly sealed, is ignored and rebuilt as ours."""
        engine.load(home / "convention2024.rules")
        (entry,) = _entries(home)
        os.chown(entry, 4242, -1)
        assert _seuil(home) == 775
        assert entry.stat().st_uid == os.geteuid()

    def test_entries_and_key_are_private(self, home: Path) -> None:
        """The directory is 0700, the key and the entries 0600."""
        engine.load(home / "convention2024.rules")
        folder = home / "xdg" / "regles"
        assert folder.stat().st_mode & 0o777 == 0o700
        for file in [folder / "key", *_entries(home)]:
            assert file.stat().st_mode & 0o777 == 0o600

    def test_warning_on_verbose(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`regles --verbose` says an entry was tampered with; without it, nothing is said."""
        path = str(home / "convention2024.rules")
        assert cli.main(["check", path]) == 0
        (entry,) = _entries(home)
        entry.write_bytes(entry.read_bytes()[:-40] + b"x" * 40)
        assert cli.main(["check", path]) == 0
        assert "cache" not in capsys.readouterr().err
        entry.write_bytes(entry.read_bytes()[:-40] + b"x" * 40)
        assert cli.main(["--verbose", "check", path]) == 0
        err = capsys.readouterr().err
        assert f"entrée « {entry.name} » ignorée : son sceau ne correspond pas" in err
        assert "reconstruite" in err


class TestUnsafeDirectory:
    """A directory someone else could write is not used at all: nothing read, nothing written."""

    def _plant_plain_entry(self, home: Path) -> tuple[Path, Path]:
        engine.load(home / "convention2024.rules")
        (entry,) = _entries(home)
        marker = home / "exécuté"
        entry.write_bytes(pickle.dumps(Plant(marker)))
        return entry, marker

    def test_world_writable_directory_is_not_used(self, home: Path) -> None:
        entry, marker = self._plant_plain_entry(home)
        os.chmod(entry.parent, 0o777)
        assert _seuil(home) == 775
        assert not marker.exists()
        assert privatecache.directory() is None
        assert entry.read_bytes() == pickle.dumps(Plant(marker))  # neither read nor rewritten

    def test_foreign_directory_is_not_used(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A directory owned by another user (here: the process pretends to be uid 4242) is not used."""
        entry, marker = self._plant_plain_entry(home)
        real = os.geteuid()
        assert real != 4242
        monkeypatch.setattr(os, "geteuid", lambda: 4242)
        assert _seuil(home) == 775
        assert not marker.exists()
        assert privatecache.directory() is None
        assert entry.read_bytes() == pickle.dumps(Plant(marker))

    def test_shared_cache_home_of_another_user(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A shared XDG_CACHE_HOME whose `regles` another user made: their entries never run."""
        shared = home / "partage"
        shared.mkdir(mode=0o1777)
        os.chmod(shared, 0o1777)
        monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
        assert _seuil(home) == 775  # our entry, in our own 0700 directory
        (entry,) = (shared / "regles").glob("*.pickle")
        marker = home / "exécuté"
        entry.write_bytes(pickle.dumps(Plant(marker)))
        monkeypatch.setattr(os, "geteuid", lambda: 4242)  # now we are the other user
        assert _seuil(home) == 775
        assert not marker.exists()

    def test_symlinked_directory_is_not_used(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        elsewhere = home / "ailleurs"
        elsewhere.mkdir(mode=0o700)
        (home / "xdg").mkdir()
        (home / "xdg" / "regles").symlink_to(elsewhere)
        assert _seuil(home) == 775
        assert list(elsewhere.iterdir()) == []

    def test_parent_writable_by_others_is_not_used(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """In a parent that anyone may write without the sticky bit, our directory could be swapped."""
        parent = home / "ouvert"
        parent.mkdir()
        os.chmod(parent, 0o777)
        monkeypatch.setenv("XDG_CACHE_HOME", str(parent))
        assert _seuil(home) == 775
        assert not (parent / "regles" / "key").exists()

    def test_foreign_key_is_not_used(self, home: Path) -> None:
        """A key readable by others (or not ours) disables the cache rather than sealing with it."""
        engine.load(home / "convention2024.rules")
        key = home / "xdg" / "regles" / "key"
        os.chmod(key, 0o644)
        assert privatecache.read(_entries(home)[0].name) is None
        assert _seuil(home) == 775

    def test_old_directory_mode_is_closed(self, home: Path) -> None:
        """A directory an older version created 0755 (ours, written by no one else) is made 0700."""
        folder = home / "xdg" / "regles"
        folder.mkdir(parents=True, mode=0o755)
        os.chmod(folder, 0o755)
        assert _seuil(home) == 775
        assert folder.stat().st_mode & 0o777 == 0o700
        assert len(_entries(home)) == 1


def test_seal_covers_the_name(home: Path) -> None:
    """An entry renamed to another key's name does not verify (the seal covers the name)."""
    assert privatecache.write("a.pickle", b"payload")
    folder = home / "xdg" / "regles"
    os.replace(folder / "a.pickle", folder / "b.pickle")
    assert privatecache.read("b.pickle") is None
    assert privatecache.write("a.pickle", b"payload")
    assert privatecache.read("a.pickle") == b"payload"
