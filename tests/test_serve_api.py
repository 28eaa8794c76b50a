"""The JSON API of `regles serve`: the same answers as the command line, and its limits.

The app runs on a real port (uvicorn on 127.0.0.1, started and stopped here); requests go
through `urllib`, as any client's would.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import engine  # noqa: E402
from engine.serve.server import MAX_BODY, create_app  # noqa: E402
from webtools import request, running  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.fixture(scope="module")
def base() -> str:
    from engine.letters import issuance
    caisse = issuance.letter_options(issuance.load_caisse(str(ROOT / "examples" / "caisse.toml")))
    with running(create_app(ROOT / "rulesets", caisse=caisse)) as url:
        yield url


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=ROOT)


def _post(url: str, body: object | bytes) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, answer, _ = request(url, data)
    return status, json.loads(answer)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_evaluate_is_exactly_the_json_of_regles_eval(base: str, example: Path) -> None:
    """For each file of examples/, the body is byte for byte what `regles eval --json` prints (or, for
    facts the file refuses, 422 with the lines it prints)."""
    status, body, headers = request(base + "/api/convention2024/evaluate", example.read_bytes())
    printed = _cli("eval", "rulesets/convention2024.rules", "--facts", str(example), "--json")
    if printed.returncode == 2:  # cardiologue_echeancier.json is for `regles echeancier`
        answer = json.loads(body)
        assert status == 422 and ["faits invalides :", *(f"  - {p}" for p in answer["problemes"])] == printed.stderr.splitlines()
        return
    assert printed.returncode == 0
    assert status == 200 and headers["content-type"] == "application/json"
    assert body.decode("utf-8") == printed.stdout.removesuffix("\n")


def test_evaluate_partial_facts_lists_missing_facts_with_questions(base: str) -> None:
    """Facts not given come back with their French question; `resultat` narrows the results."""
    status, body = _post(base + "/api/convention2024/evaluate?resultat=eligible", {"date_signature": "2024-10-01"})
    assert status == 200 and list(body["results"]) == ["eligible"]
    missing = {m["fact"]: m["question"] for m in body["missing"]}
    assert missing["secteur"] == engine.load(ROOT / "rulesets/convention2024.rules").facts["secteur"].question


def test_bad_facts_are_422_with_the_messages_of_the_cli(base: str, tmp_path: Path) -> None:
    facts = {"secteur": "x", "specialite": "cardiolgie"}
    status, body = _post(base + "/api/convention2024/evaluate", facts)
    (tmp_path / "f.json").write_text(json.dumps(facts))
    printed = _cli("eval", "rulesets/convention2024.rules", "--facts", str(tmp_path / "f.json"))
    assert printed.returncode == 2
    assert status == 422 and body["erreur"] == "faits invalides"
    assert ["faits invalides :", *(f"  - {p}" for p in body["problemes"])] == printed.stderr.splitlines()
    assert any("vouliez-vous dire « cardiologie »" in p for p in body["problemes"])


@pytest.mark.parametrize("body, message", [
    (b"{", "les faits : JSON invalide (Expecting property name enclosed in double quotes, ligne 1, colonne 2)"),
    (b"[1, 2]", "les faits doit être un objet JSON {\"fait\": valeur, …}"),
    (b'{"secteur": 1, "secteur": 2}', "les faits : JSON invalide (la clé « secteur » est écrite deux fois dans un même "
                                      "objet : laquelle vaut ?)"),
    (b"[" * 200_000 + b"]" * 200_000, "les faits : JSON invalide (imbriqué trop profondément)"),
    (b'{"secteur": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", None),
    (b"\xff\xfe", "les faits : le corps n'est pas du texte UTF-8"),
])
def test_malformed_bodies_are_422_in_french(base: str, body: bytes, message: str | None) -> None:
    status, answer = _post(base + "/api/convention2024/evaluate", body)
    assert status == 422
    if message is None:  # deep JSON inside a fact: refused by the facts' own bounds or by the parser
        assert answer["erreur"] in ("faits invalides", "les faits : JSON invalide (imbriqué trop profondément)")
    else:
        assert answer["erreur"] == message


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/inconnu/evaluate"), ("POST", "/api/..%2Favenant7/evaluate"), ("GET", "/api/..%2F..%2Fetc%2Fpasswd/schema"),
    ("POST", "/api/convention2024/explain/inconnu"), ("POST", "/api/convention2024/letter/inconnu"),
    ("GET", "/api/convention2024.rules/schema"), ("GET", "/nulle/part"), ("GET", "/atelier?fichier=../avenant7"),
    ("GET", "/static/../server.py"),
])
def test_unknown_names_are_404(base: str, method: str, path: str) -> None:
    """Unknown files, results, letters and addresses are 404; no path leaves the served folder."""
    status, body, _ = request(base + path, b"{}" if method == "POST" else None, method)
    assert status == 404
    assert b"Traceback" not in body and b"def " not in body


def test_an_unknown_file_names_the_served_ones(base: str) -> None:
    status, body = _post(base + "/api/convention2025/evaluate", {})
    assert body["erreur"] == "fichier de règles inconnu « convention2025 » ; fichiers servis : avenant7, convention2024"


def _raw(base: str, head: bytes, body: bytes = b"") -> bytes:
    """The answer to a request written byte for byte (the server may answer before the body is sent)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except OSError:
            pass  # the server may close before the whole body
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
        return answer


def test_a_body_over_the_cap_is_413(base: str) -> None:
    """A body announced over 1 MB is refused before it is read; one of exactly 1 MB is read."""
    answer = _raw(base, b"POST /api/convention2024/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (MAX_BODY + 1))
    assert answer.startswith(b"HTTP/1.1 413")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["erreur"] == "corps de requête trop grand : au plus 1\u202f000\u202f000 octets"
    status, body = _post(base + "/api/convention2024/evaluate", b"{}" + b" " * (MAX_BODY - 2))
    assert status == 200


def test_a_chunked_body_over_the_cap_is_cut_at_413(base: str) -> None:
    """Without Content-Length, the body is counted as it arrives and refused past the cap."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /api/convention2024/evaluate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\n\r\n")
        chunk = b" " * 65536
        try:
            for _ in range(MAX_BODY // len(chunk) + 2):
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        except OSError:
            pass  # the server may close before the last chunk
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_check_past_the_time_limit_is_503() -> None:
    """A 250 kB rule line from the reliability corpus takes longer than a 10 ms limit: 503, in French."""
    from test_bounds import _long_row_file
    with running(create_app(ROOT / "rulesets", time_limit=0.01)) as url:
        status, body = _post(url + "/api/atelier/check", {"text": _long_row_file(22_000)})
        assert status == 503 and body["erreur"].startswith("calcul interrompu : plus de 0.01 s")
        status, body = _post(url + "/api/convention2024/explain/eligible",
                             json.loads((ROOT / "examples/non_eligible.json").read_text()))
        assert status in (200, 503)  # the server keeps answering after a refusal


def test_hostile_rule_texts_get_diagnostics_not_errors(base: str) -> None:
    """Texts from the reliability corpus answer 200 with the diagnostics `regles check` gives."""
    from test_bounds import TestEvaluationCost, TestChainLimitMessage, _long_row_file
    cases = {"E504": _long_row_file(22_000), "E403": TestEvaluationCost._doubling(30),
             "chaîne": TestChainLimitMessage._chain(101), "profond": 'règles "P"\nrésultat r : entier = ' + "(" * 5000 + "1"
             + ")" * 5000 + " fin\n", "binaire": "\x00\x01règles\ufffe" * 1000}
    for name, text in cases.items():
        status, body = _post(base + "/api/atelier/check", {"text": text})
        assert status == 200, name
        assert body["ok"] is False and body["diagnostics"], name
        try:
            engine.loads(text, filename=str(ROOT / "rulesets" / "atelier.rules"), root=ROOT / "rulesets")
        except engine.RulesError as exc:
            assert [d["code"] for d in body["diagnostics"]] == [d.code for d in exc.diagnostics], name


def test_explain_is_the_summary_of_regles_explain(base: str) -> None:
    example = ROOT / "examples" / "non_eligible.json"
    status, body = _post(base + "/api/convention2024/explain/eligible", example.read_bytes())
    printed = _cli("explain", "rulesets/convention2024.rules", "eligible", "--facts", str(example))
    assert status == 200
    # the command line adds French typography's no-break spaces (`Pourquoi\u00a0:`); the words are the same
    assert "\n".join(body["summary"]["lines"]).replace("\u00a0", " ") == \
        printed.stdout.removesuffix("\n").replace("\u00a0", " ")
    assert body["summary"]["value"] == "faux" and body["trace"]["label"] == "eligible"


def test_schema_is_the_one_regles_schema_writes(base: str) -> None:
    status, body, _ = request(base + "/api/convention2024/schema")
    assert status == 200
    assert json.loads(body) == json.loads(_cli("schema", "rulesets/convention2024.rules").stdout)


def test_letter_is_a_pdf(base: str) -> None:
    pytest.importorskip("pypdf")
    import io

    import pypdf
    status, body, headers = request(base + "/api/convention2024/letter/decision",
                                    (ROOT / "examples/non_eligible.json").read_bytes())
    assert status == 200 and headers["content-type"] == "application/pdf" and body.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "refus de votre demande" in text


def test_the_interview_letter_link_downloads_the_pdf(base: str) -> None:
    """The letter the interview offers is the PDF of the answers in its address."""
    facts = json.loads((ROOT / "examples/non_eligible.json").read_text())
    query = "&".join(f"{k}={('oui' if v else 'non') if isinstance(v, bool) else v}" for k, v in facts.items())
    status, page, _ = request(f"{base}/entretien/convention2024?r=eligible&{query}")
    assert status == 200 and "/entretien/convention2024/courrier/decision?" in page.decode()
    status, body, headers = request(f"{base}/entretien/convention2024/courrier/decision?r=eligible&{query}")
    assert status == 200 and body.startswith(b"%PDF")
    assert headers["content-disposition"] == 'attachment; filename="decision.pdf"'


def test_letter_without_the_facts_it_needs_is_422(base: str) -> None:
    status, body = _post(base + "/api/convention2024/letter/decision?format=txt", {"secteur": 1})
    assert status == 422 and "date_signature" in body["erreur"]


def test_openapi_describes_the_four_routes(base: str) -> None:
    status, body, _ = request(base + "/openapi.json")
    doc = json.loads(body)
    assert status == 200 and doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/{nom}/evaluate", "/api/{nom}/explain/{resultat}",
                                 "/api/{nom}/letter/{modele}", "/api/{nom}/schema"}
    assert doc["paths"]["/api/{nom}/evaluate"]["post"]["parameters"][0]["schema"]["enum"] == ["avenant7", "convention2024"]


def test_the_playground_evaluates_the_edited_text_without_writing(base: str) -> None:
    text = (ROOT / "rulesets/convention2024.rules").read_text(encoding="utf-8")
    before = sorted(p.name for p in (ROOT / "rulesets").iterdir())
    facts = json.loads((ROOT / "examples/non_eligible.json").read_text())
    status, body = _post(base + "/api/atelier/evaluate", {"text": text, "fichier": "convention2024", "facts": facts})
    assert status == 200
    assert body == json.loads(_cli("eval", "rulesets/convention2024.rules", "--facts", "examples/non_eligible.json", "--json").stdout)
    status, body = _post(base + "/api/atelier/examples", {"text": text, "fichier": "convention2024"})
    assert status == 200 and body["ok"] and len(body["exemples"]) == len(engine.load(ROOT / "rulesets/convention2024.rules").program.examples)
    assert sorted(p.name for p in (ROOT / "rulesets").iterdir()) == before


def test_regles_starts_without_the_web_packages(tmp_path: Path) -> None:
    """Without the `serve` extra, `regles` works and `regles serve` says, in one line, what to install."""
    code = ("import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
            "from engine.cli.main import main; sys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, "serve"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2
    assert run.stderr == ("regles : « regles serve » demande l'extra « serve » (starlette manquant) : "
                          "pip install 'regles[serve]'\n")
    run = subprocess.run([sys.executable, "-c", code, "check", "rulesets/convention2024.rules"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0
    imported = subprocess.run([sys.executable, "-c", "import sys, engine.cli.main, engine.cli.commands; "
                               "print([m for m in ('starlette', 'uvicorn', 'engine.serve.server') if m in sys.modules])"],
                              capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert imported.strip() == "[]"


def test_the_readme_command_serves_the_pages(tmp_path: Path) -> None:
    """`regles serve rulesets --caisse examples/caisse.toml` (the README's command) serves the home page,
    both interviews, the playground and a signed decision letter on 127.0.0.1, and stops on Ctrl-C."""
    import signal
    import time
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "engine", "serve", "rulesets", "--caisse", "examples/caisse.toml",
                               "--port", str(port)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, home, _ = request(base + "/")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "regles serve n'a pas démarré"
                time.sleep(0.1)
        assert status == 200 and "/entretien/convention2024" in home.decode()
        for path in ("/entretien/avenant7", "/entretien/convention2024?r=eligible", "/atelier?fichier=avenant7"):
            status, page, _ = request(base + path)
            assert status == 200 and page.decode().startswith("<!DOCTYPE html>"), path
        status, letter, _ = request(base + "/api/convention2024/letter/decision?format=txt",
                                    (ROOT / "examples/non_eligible.json").read_bytes())
        assert status == 200 and "délégation" in letter.decode(), letter.decode()[-600:]
    finally:
        server.send_signal(signal.SIGINT)
        _, said = server.communicate(timeout=20)
    assert f"servies sur http://127.0.0.1:{port}/" in said


@pytest.mark.parametrize("directory, message", [("nulle_part", "« nulle_part » n'est pas un dossier"),
                                                ("docs", "aucun fichier .rules dans « docs »")])
def test_serve_refuses_a_folder_without_rules(directory: str, message: str) -> None:
    run = _cli("serve", directory)
    assert run.returncode == 2 and run.stderr == f"regles : {message}\n"
