"""`regles lsp` driven through the protocol: a JSON-RPC exchange over the standard input and output
of a `python -m engine lsp` process this test starts and stops, as an editor would."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from tests.test_reports import THREE_ERRORS  # noqa: E402 - after the skip, like the server it needs

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
TIMEOUT = 60


class Client:
    """A minimal LSP client: Content-Length framed JSON-RPC over a subprocess's pipes."""

    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-m", "engine", "lsp"], cwd=cwd, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages: queue.Queue[dict] = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict) -> dict:
        """Send a request and return its whole response (result or error)."""
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if message.get("id") == self.next_id and "method" not in message:
                return message
            self.notifications.append(message)

    def diagnostics(self, uri: str) -> list[dict]:
        """The next diagnostics published for a document."""
        for i, message in enumerate(self.notifications):
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                del self.notifications[i]
                return message["params"]["diagnostics"]
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return message["params"]["diagnostics"]
            self.notifications.append(message)

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "regles", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture(scope="module")
def client():
    c = Client(ROOT)
    response = c.request("initialize", {"processId": os.getpid(), "rootUri": ROOT.as_uri(),
                                        "capabilities": {}})
    c.capabilities = response["result"]["capabilities"]
    c.notify("initialized", {})
    yield c
    c.close()
    assert c.process.returncode == 0


def position_of(path: Path, needle: str, occurrence: int = 0, offset: int = 0) -> dict:
    """The protocol position of the `occurrence`-th `needle` in a file (plus `offset` characters)."""
    text = path.read_text(encoding="utf-8")
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    column = at - (text.rfind("\n", 0, at) + 1)
    line_text = text.split("\n")[line]
    return {"line": line, "character": len(line_text[:column].encode("utf-16-le")) // 2}


def test_initialize_announces_the_features(client):
    caps = client.capabilities
    for feature in ("hoverProvider", "definitionProvider", "referencesProvider", "completionProvider",
                    "documentSymbolProvider", "codeActionProvider", "documentFormattingProvider", "renameProvider"):
        assert caps.get(feature), feature
    assert caps["textDocumentSync"]["openClose"] is True


def test_three_errors_then_two_after_a_fix(client, tmp_path):
    path = tmp_path / "essai.rules"
    path.write_text(THREE_ERRORS, encoding="utf-8")
    uri = client.open(path)
    diagnostics = client.diagnostics(uri)
    assert [(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in diagnostics] == [
        ("E201", 13, 4), ("E201", 18, 23), ("E201", 23, 4)]
    first = diagnostics[0]
    assert first["message"].startswith("nom inconnu « agee »")
    assert "vouliez-vous dire « age » ?" in first["message"]
    assert first["severity"] == 1 and first["source"] == "regles"
    assert first["range"]["end"] == {"line": 13, "character": 8}
    fixed = THREE_ERRORS.replace("agee >= 18", "age >= 18")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                              "contentChanges": [{"text": fixed}]})
    diagnostics = client.diagnostics(uri)
    assert [d["code"] for d in diagnostics] == ["E201", "E201"]
    assert ["salarei" in diagnostics[0]["message"], "« ag »" in diagnostics[1]["message"]] == [True, True]
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
        {"text": fixed.replace("salarei", "salarie").replace("ag ×", "age ×")}]})
    assert client.diagnostics(uri) == []


def test_diagnostics_from_the_amended_file(client, tmp_path):
    """An error in the amended file shows on the `modifie` line and in the amended file itself."""
    shutil.copy(RULESETS / "avenant7.rules", tmp_path / "avenant7.rules")
    amended = tmp_path / "avenant7.rules"
    amended.write_text(amended.read_text(encoding="utf-8").replace(
        "= date_signature >= debut_avenant7", "= date_signature >= debut_avenant", 1), encoding="utf-8")
    uri = client.open(tmp_path / "convention2024.rules", (RULESETS / "convention2024.rules").read_text(encoding="utf-8"))
    own = client.diagnostics(uri)
    assert [d["code"] for d in own] == ["E600"]
    assert own[0]["range"]["start"]["line"] == 2  # the `modifie "avenant7.rules"` line
    other = client.diagnostics(amended.resolve().as_uri())
    assert [d["code"] for d in other] == ["E201"]
    assert "vouliez-vous dire « debut_avenant7 »" in other[0]["message"]
    # the amended file is fixed and saved: both files are cleared
    shutil.copy(RULESETS / "avenant7.rules", amended)
    amended_uri = client.open(amended)
    assert client.diagnostics(amended_uri) == []
    client.notify("textDocument/didSave", {"textDocument": {"uri": amended_uri}})
    assert client.diagnostics(uri) == []
    client.notify("textDocument/didClose", {"textDocument": {"uri": amended_uri}})
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def test_hover_on_a_replaced_result(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    assert client.diagnostics(uri) == []
    response = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                     "position": position_of(path, "sinon avenant7.montant_maximal", 0, 20)})
    text = response["result"]["contents"]["value"]
    assert text.startswith("**avenant7.montant_maximal** — résultat : montant")
    assert "Montant maximal de l'aide pour l'année de contrat évaluée, avant modulation" in text
    assert "Remplacé par : montant_maximal (convention 2024)" in text
    assert "Texte : avenant 7" in text
    assert "Source : Avenant 7, article 9-5-2-2 (option 1), reproduit en annexe d'une thèse (123dok) — <https://" in text
    response = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                     "position": position_of(path, "résultat montant_maximal", 0, 10)})
    text = response["result"]["contents"]["value"]
    assert "Remplace : avenant7.montant_maximal (avenant 7, rulesets/avenant7.rules:" in text
    assert "Texte : convention 2024" in text


def test_hover_on_a_fact_and_an_enumeration_word(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    text = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position_of(
        path, "si option dans {temps_plein_et_mi_temps", 0, 4)})["result"]["contents"]["value"]
    assert text.startswith("**option** — fait : énumération « option »")
    assert "Question : « Quelle option de financement le contrat prévoit-il ? »" in text
    assert "`mi_temps` (mi-temps (1/2 ETP))" in text
    text = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position_of(
        path, "temps_plein_et_mi_temps, double", 0, 3)})["result"]["contents"]["value"]
    assert "« option » : temps plein et mi-temps (1,5 ETP)" in text


def test_hover_and_definition_of_a_cited_source(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    position = position_of(path, "source AMELI_CHANGE :", 0, len("source "))
    text = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position})["result"]["contents"]["value"]
    assert text.startswith("**AMELI_CHANGE** — source : Aide à l'emploi d'un assistant médical : ce qui change dès juin 2024")
    assert "Éditeur : ameli" in text
    assert "Lien : <https://www.ameli.fr/medecin/actualites/aide-l-emploi-d-un-assistant-medical-ce-qui-change-des-juin-2024>" in text
    [location] = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": position})["result"]
    line = path.read_text(encoding="utf-8").split("\n")[location["range"]["start"]["line"]]
    assert line.startswith("source AMELI_CHANGE \"") and location["range"]["start"]["character"] == len("source ")


def test_definition_across_modifie(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    # `signature_avenant7` is used in convention2024.rules and declared in avenant7.rules
    response = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                          "position": position_of(path, "si signature_avenant7", 0, 5)})
    [location] = response["result"]
    assert location["uri"] == (RULESETS / "avenant7.rules").resolve().as_uri()
    target = (RULESETS / "avenant7.rules").read_text(encoding="utf-8").split("\n")[location["range"]["start"]["line"]]
    assert target.startswith("règle signature_avenant7 : booléen")
    assert location["range"]["start"]["character"] == len("règle ")
    # `avenant7.montant_maximal` goes to the original, the plain name to the replacement
    [original] = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": position_of(
        path, "sinon avenant7.montant_maximal", 0, 20)})["result"]
    assert original["uri"].endswith("/avenant7.rules")
    [replacement] = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": position_of(
        path, "montant_maximal", 3)})["result"]
    assert replacement["uri"].endswith("/convention2024.rules")


def test_references_span_both_files(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    response = client.request("textDocument/references", {"textDocument": {"uri": uri}, "context": {"includeDeclaration": True},
                                                          "position": position_of(path, "si signature_avenant7", 0, 5)})
    files = {loc["uri"].rsplit("/", 1)[1] for loc in response["result"]}
    assert files == {"avenant7.rules", "convention2024.rules"}
    avenant7 = (RULESETS / "avenant7.rules").read_text(encoding="utf-8")
    expected = sum(line.split("#")[0].count("signature_avenant7") for line in avenant7.split("\n"))
    assert len([loc for loc in response["result"] if loc["uri"].endswith("/avenant7.rules")]) == expected


def test_completion_offers_names_keywords_and_enumeration_words(client, tmp_path):
    path = RULESETS / "convention2024.rules"
    text = path.read_text(encoding="utf-8")
    line = text.split("\n").index("  = si option dans {temps_plein_et_mi_temps, double_temps_plein}")
    edited = text.split("\n")
    edited[line] = "  = si option = "
    uri = client.open(path, "\n".join(edited))
    client.diagnostics(uri)
    response = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                          "position": {"line": line, "character": len("  = si option = ")}})
    items = {item["label"]: item for item in response["result"]["items"]}
    assert items["mi_temps"]["preselect"] is True and items["mi_temps"]["sortText"].startswith("0")
    assert "mi-temps (1/2 ETP)" in items["mi_temps"]["documentation"]["value"]
    assert items["patientele_mt"]["detail"] == "fait : entier"
    assert "médecin traitant" in items["patientele_mt"]["documentation"]["value"]
    assert items["champ_signature"]["detail"] == "règle : booléen"
    assert "avenant7.montant_maximal" in items
    assert items["sinon"]["kind"] == 14  # keyword
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]})
    client.diagnostics(uri)


def test_formatting_through_regles_fmt(client, tmp_path):
    path = RULESETS / "convention2024.rules"
    text = path.read_text(encoding="utf-8")
    messy = text.replace("résultat montant_maximal : montant\n", "résultat   montant_maximal :   montant\n")
    messy = messy.replace("\u00a0%", " %")  # W120: formatting ties a number and its unit again, as `regles fmt`
    uri = client.open(path, messy)
    client.diagnostics(uri)
    [edit] = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                        "options": {"tabSize": 2, "insertSpaces": True}})["result"]
    from engine.syntax.build import parse_file
    from engine.syntax.fmt import format_rule_file
    from engine.base.source import Source
    assert edit["newText"] == format_rule_file(parse_file(Source("x", text)), text)
    assert "résultat montant_maximal : montant\n" in edit["newText"]
    assert edit["range"]["start"] == {"line": 0, "character": 0}
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]})
    client.diagnostics(uri)


def test_rename_across_files(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    response = client.request("textDocument/rename", {"textDocument": {"uri": uri}, "newName": "champ_du_contrat",
                                                      "position": position_of(path, "applicable si champ_signature", 0, 16)})
    changes = response["result"]["changes"]
    assert set(changes) == {uri, (RULESETS / "avenant7.rules").resolve().as_uri()}
    for file_uri, edits in changes.items():
        text = (RULESETS / file_uri.rsplit("/", 1)[1]).read_text(encoding="utf-8").split("\n")
        for edit in edits:
            r = edit["range"]
            assert edit["newText"] == "champ_du_contrat"
            assert text[r["start"]["line"]][r["start"]["character"]:r["end"]["character"]] == "champ_signature"
    refused = client.request("textDocument/rename", {"textDocument": {"uri": uri}, "newName": "option",
                                                     "position": position_of(path, "applicable si champ_signature", 0, 16)})
    assert "« option » est déjà un nom" in refused["error"]["message"]


def test_rename_from_the_amended_file_reaches_the_amending_one(client):
    path = RULESETS / "avenant7.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    response = client.request("textDocument/rename", {"textDocument": {"uri": uri}, "newName": "montant_plafond",
                                                      "position": position_of(path, "résultat montant_maximal", 0, 10)})
    changes = response["result"]["changes"]
    convention = (RULESETS / "convention2024.rules").resolve().as_uri()
    lines = (RULESETS / "convention2024.rules").read_text(encoding="utf-8").split("\n")
    renamed = [lines[e["range"]["start"]["line"]][:e["range"]["end"]["character"]] for e in changes[convention]]
    assert any(line.endswith("remplace avenant7.montant_maximal") for line in renamed)
    assert any(line.endswith("résultat montant_maximal") for line in renamed)


def test_columns_are_utf16_code_units(client, tmp_path):
    """A character outside the BMP counts two units in the protocol and one in the engine."""
    line = '  = si a = 1 alors "😀" sinon si ab = 2 alors "x" sinon "y"'
    text = f'règles "Essai"\n\nfait a : entier\n  "A"\nfin\n\nrésultat b : texte\n  "B"\n{line}\nfin\n'
    path = tmp_path / "emoji.rules"
    path.write_text(text, encoding="utf-8")
    uri = client.open(path)
    [diagnostic] = client.diagnostics(uri)
    start = line.index("ab")
    assert diagnostic["code"] == "E201"
    assert diagnostic["range"]["start"] == {"line": 8, "character": start + 1}
    assert diagnostic["range"]["end"] == {"line": 8, "character": start + 3}
    fixed = text.replace("si ab =", "si a =")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]})
    assert client.diagnostics(uri) == []
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": 8, "character": start + 1}})["result"]
    assert hover["contents"]["value"].startswith("**a** — fait : entier")
    assert hover["range"] == {"start": {"line": 8, "character": start + 1}, "end": {"line": 8, "character": start + 2}}


def test_document_symbols_outline_the_file(client):
    path = RULESETS / "convention2024.rules"
    uri = client.open(path)
    client.diagnostics(uri)
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})["result"]
    names = [s["name"] for s in symbols]
    text = path.read_text(encoding="utf-8")
    declared = re.findall(r"^(?:fait|paramètre|règle|résultat(?! principal :)|table|fonction|source) ([^\W\d]\w*)", text, re.M)
    assert names == declared
    montant = symbols[names.index("montant_maximal")]
    assert montant["detail"] == "résultat : montant"
    lines = text.split("\n")
    assert lines[montant["range"]["start"]["line"]].startswith("résultat montant_maximal")
    assert lines[montant["range"]["end"]["line"]] == "fin"


def test_did_you_mean_is_a_quick_fix(client, tmp_path):
    path = tmp_path / "essai.rules"
    path.write_text(THREE_ERRORS, encoding="utf-8")
    uri = client.open(path)
    diagnostics = client.diagnostics(uri)
    assert [d["data"] for d in diagnostics] == [{"remplacements": ["age"]}, {"remplacements": ["salarie"]},
                                                {"remplacements": ["age"]}]
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostics[1]["range"],
        "context": {"diagnostics": [diagnostics[1]]}})["result"]
    [action] = actions
    assert action["title"] == "Remplacer par « salarie »" and action["kind"] == "quickfix" and action["isPreferred"]
    [edit] = action["edit"]["changes"][uri]
    lines = THREE_ERRORS.split("\n")
    r = edit["range"]
    line = lines[r["start"]["line"]]
    lines[r["start"]["line"]] = line[:r["start"]["character"]] + edit["newText"] + line[r["end"]["character"]:]
    assert lines[r["start"]["line"]] == "  = majeur et statut = salarie"
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                              "contentChanges": [{"text": "\n".join(lines)}]})
    assert [d["code"] for d in client.diagnostics(uri)] == ["E201", "E201"]
