"""The cache of checked rule files (`engine.check.cache`): hits, misses, corruption, and never failing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.check import cache, checker

ROOT = Path(__file__).resolve().parent.parent
FACTS = {"specialite": "cardiologie", "secteur": 1, "option": "tiers_temps", "annee_contrat": 2,
         "date_signature": "2022-02-01", "date_embauche": "2022-01-17", "rqth": False, "nouvel_installe": False,
         "exercice_regroupe": True, "exercice_coordonne": True, "percentile_file_active": 92, "file_active": 3400}


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache directory, and copies of the two rule files to edit."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("REGLES_NO_CACHE", raising=False)
    for name in ("avenant7.rules", "convention2024.rules"):
        shutil.copy(ROOT / "rulesets" / name, tmp_path / name)
    return tmp_path


def _entries(home: Path) -> list[Path]:
    return sorted((home / "xdg" / "regles").glob("*.pickle"))


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was checked again")
    monkeypatch.setattr(checker, "check", refuse)


class TestHitsAndMisses:
    """An unchanged file is not checked again; any change misses."""

    def test_second_load_is_a_hit(self, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The second load comes from the cache, with the same results."""
        first = engine.load(cache_home / "convention2024.rules")
        assert len(_entries(cache_home)) == 1
        _no_parsing(monkeypatch)
        second = engine.load(cache_home / "convention2024.rules")
        assert second.program is not first.program
        assert second.evaluate(FACTS).results == first.evaluate(FACTS).results
        assert second.program.outputs == first.program.outputs
        assert list(second.program.sources) == list(first.program.sources)

    def test_editing_the_file_misses(self, cache_home: Path) -> None:
        """A changed file is checked again and gives the new results."""
        path = cache_home / "convention2024.rules"
        engine.load(path)
        path.write_text(path.read_text(encoding="utf-8").replace("paramètre seuil_patientele_mt = 775",
                                                                 "paramètre seuil_patientele_mt = 776"), encoding="utf-8")
        program = engine.load(path).program
        assert program.definitions["seuil_patientele_mt"].latest.body.value == 776
        assert len(_entries(cache_home)) == 2

    def test_editing_the_amended_file_misses(self, cache_home: Path) -> None:
        """A change in the file a rule file amends is seen, though the rule file itself is unchanged."""
        engine.load(cache_home / "convention2024.rules")
        amended = cache_home / "avenant7.rules"
        amended.write_text(amended.read_text(encoding="utf-8").replace("paramètre taux_avance = 70 %",
                                                                       "paramètre taux_avance = 60 %"), encoding="utf-8")
        program = engine.load(cache_home / "convention2024.rules").program
        assert str(program.definitions["taux_avance"].latest.body.value) in {"0.6", "0.60"}

    def test_another_engine_misses(self, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Entries are keyed by the engine's code: another engine does not read them."""
        engine.load(cache_home / "avenant7.rules")
        monkeypatch.setattr(cache, "_FINGERPRINT", "un autre moteur")
        engine.load(cache_home / "avenant7.rules")
        assert len(_entries(cache_home)) == 2

    def test_errors_are_not_cached(self, cache_home: Path) -> None:
        """A file with errors raises every time, and leaves no entry."""
        bad = cache_home / "bad.rules"
        bad.write_text('règles "x"\nrésultat r : booléen = inconnu fin\n', encoding="utf-8")
        for _ in range(2):
            with pytest.raises(engine.RulesError):
                engine.load(bad)
        assert _entries(cache_home) == []

    def test_a_hit_does_not_import_the_parser(self, cache_home: Path) -> None:
        """Loading from the cache needs neither lark nor the checker (quick start of `regles eval`)."""
        env = dict(os.environ, XDG_CACHE_HOME=str(cache_home / "xdg"), PYTHONPATH=str(ROOT))
        code = ("import sys, engine; engine.load(sys.argv[1]).evaluate({}); "
                "print(sorted(m for m in ('lark', 'engine.check.checker', 'engine.syntax.build') if m in sys.modules))")
        path = str(cache_home / "convention2024.rules")
        runs = [subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True, text=True, check=True)
                for _ in range(2)]
        assert runs[0].stdout.strip() == "['engine.check.checker', 'engine.syntax.build', 'lark']"
        assert runs[1].stdout.strip() == "[]"


class TestNeverFails:
    """A corrupt, unreadable or unwritable cache is a miss, never an error."""

    @pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05garbage", b"\x80\x04\x95\x05\x00"])
    def test_corrupt_entry_is_replaced(self, cache_home: Path, content: bytes) -> None:
        """A corrupt entry is ignored and written again."""
        engine.load(cache_home / "avenant7.rules")
        (entry,) = _entries(cache_home)
        entry.write_bytes(content)
        assert engine.load(cache_home / "avenant7.rules").evaluate(FACTS).values
        assert entry.stat().st_size > 1000

    def test_entry_of_another_kind_is_a_miss(self, cache_home: Path) -> None:
        """A well-formed pickle that is not an entry is ignored."""
        import pickle
        engine.load(cache_home / "avenant7.rules")
        (entry,) = _entries(cache_home)
        entry.write_bytes(pickle.dumps({"format": cache.FORMAT, "amends": [], "program": "pas un programme"}))
        assert engine.load(cache_home / "avenant7.rules").program.outputs

    def test_unwritable_cache_directory(self, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the cache directory cannot be created, loading works without it."""
        blocker = cache_home / "fichier"
        blocker.write_text("", encoding="utf-8")
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
        assert engine.load(cache_home / "convention2024.rules").evaluate(FACTS).values

    def test_disabled(self, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """`REGLES_NO_CACHE=1` neither reads nor writes the cache."""
        monkeypatch.setenv("REGLES_NO_CACHE", "1")
        engine.load(cache_home / "convention2024.rules")
        assert _entries(cache_home) == []

    def test_relative_xdg_cache_home_is_ignored(self, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A relative XDG_CACHE_HOME is invalid (XDG spec): the default ~/.cache is used."""
        monkeypatch.setenv("XDG_CACHE_HOME", "relatif")
        monkeypatch.setenv("HOME", str(cache_home / "maison"))
        assert cache.cache_dir() == cache_home / "maison" / ".cache" / "regles"

    def test_missing_rule_file_is_the_loader_error(self, cache_home: Path) -> None:
        """A file that cannot be read gives the usual diagnostic, not a cache error."""
        with pytest.raises(engine.RulesError) as caught:
            engine.load(cache_home / "absent.rules")
        assert [d.code for d in caught.value.diagnostics] == ["E001"]


class TestGeneratedCode:
    """The generated code is cached beside the program: generated once per version of the file."""

    def _refuse_generation(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from engine.evaluate import generator  # compiled.py imports it at a cache miss only

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("the code was generated again")
        monkeypatch.setattr(generator, "generate", refuse)

    def test_second_process_reads_the_code(self, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Results and trace of a program whose code (plain and traced) comes from the cache are the same."""
        first = engine.load(cache_home / "convention2024.rules").evaluate(FACTS)
        trace, explanation = first.trace, first.explain("montant_verse")
        codes = sorted(p.name.split(".", 1)[1] for p in (cache_home / "xdg" / "regles").glob("*.code"))
        assert codes == ["plain.code", "traced.code"]
        self._refuse_generation(monkeypatch)
        second = engine.load(cache_home / "convention2024.rules").evaluate(FACTS)
        assert second.results == first.results
        assert second.trace == trace and second.explain("montant_verse") == explanation

    def test_editing_the_file_generates_again(self, cache_home: Path) -> None:
        """The code is keyed by the stored program: another version of the file has other code."""
        path = cache_home / "convention2024.rules"
        engine.load(path).evaluate(FACTS)
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        engine.load(path).evaluate(FACTS)
        assert len(list((cache_home / "xdg" / "regles").glob("*.plain.code"))) == 2

    def test_a_tampered_entry_is_generated_again(self, cache_home: Path) -> None:
        """An entry whose bytes changed fails its seal: the code is generated again, results unchanged."""
        expected = engine.load(cache_home / "convention2024.rules").evaluate(FACTS).results
        [entry] = (cache_home / "xdg" / "regles").glob("*.plain.code")
        data = bytearray(entry.read_bytes())
        data[len(data) // 2] ^= 1
        entry.write_bytes(bytes(data))
        assert engine.load(cache_home / "convention2024.rules").evaluate(FACTS).results == expected
