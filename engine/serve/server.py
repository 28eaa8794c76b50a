"""`regles serve`: the rule files of a folder behind a JSON API, an interview and a playground.

Stage: top of the flow, beside `engine.cli` (rule files → `engine.api` → JSON or HTML pages). The
web framework is Starlette (served by uvicorn): a small router with no data-validation layer of its
own, so every fact goes through `engine.inputs.facts` exactly as `regles eval --facts` does, and the JSON
answers are built by the functions the command line prints with (`engine.tools.jsonio.outcome_json`).

Safety: only the `.rules` files found directly in the served folder are reachable, by their stem
(a `nom` is looked up in that listing, never joined to a path); `modifie` stays confined to the
folder (`engine.check.loader`); request bodies are capped (`MAX_BODY`); every evaluation, check or letter
runs in a bounded worker pool and answers 503 past `time_limit` seconds; text from the playground
goes through `engine.loads` only and nothing is written on the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from engine import api
from engine.base.diagnostics import RulesError
from engine.inputs.facts import FactsError
from engine.tools.jsonio import InvalidJSON, loads_strict, outcome_json

T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]
"""A route's function: a request in, a response out."""

MAX_BODY = 1_000_000
"""Largest request body, in bytes: a facts object is a few hundred bytes, a rule file some 50 kB."""
TIME_LIMIT = 5.0
"""Seconds an evaluation, a check or a letter may take before the answer is 503."""
QUEUE_LIMIT = 30.0
"""Seconds a request may wait for a free worker (under load) before the answer is 503."""
WORKERS = 4
"""Threads that evaluate; a request that finds them all busy past its time limit gets 503 too."""
STATIC = Path(__file__).resolve().parents[1] / "static"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class Problem(Exception):
    """An answer other than 200: its HTTP status and its JSON body."""

    def __init__(self, status: int, message: str, **more: object) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"erreur": message, **more}


class Catalog:
    """The rule files directly in a folder, by stem, loaded once (and again when a file changes)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._loaded: dict[str, tuple[float, api.Ruleset]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """The stems of the `.rules` files of the folder, sorted."""
        return sorted(p.stem for p in self.directory.glob("*.rules") if p.is_file() and _NAME.match(p.stem))

    def path(self, name: str) -> Path:
        """The file of `name`, or 404: the name is looked up in the listing, never used as a path."""
        if not _NAME.match(name) or name not in self.names():
            raise Problem(404, f"fichier de règles inconnu « {name[:60]} » ; fichiers servis : "
                               + ", ".join(self.names()))
        return self.directory / f"{name}.rules"

    def ruleset(self, name: str) -> api.Ruleset:
        """The loaded rule file `name` (404 if there is none; 500 with its diagnostics if it has errors)."""
        path = self.path(name)
        stamp = max(p.stat().st_mtime for p in self.directory.glob("*.rules"))
        with self._lock:
            known = self._loaded.get(name)
            if known is not None and known[0] == stamp:
                return known[1]
        try:
            ruleset = api.load(path, root=self.directory)
        except RulesError as exc:
            raise Problem(500, f"le fichier de règles « {name} » contient des erreurs",
                          diagnostics=[d.to_json() for d in exc.diagnostics]) from None
        with self._lock:
            self._loaded[name] = (stamp, ruleset)
        return ruleset


class Limits:
    """The worker pool every evaluation runs in, and its time limit."""

    def __init__(self, time_limit: float = TIME_LIMIT, workers: int = WORKERS) -> None:
        self.time_limit = time_limit
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="regles-serve")

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in the pool; 503 if it has not finished within the time limit once started, or
        has waited more than QUEUE_LIMIT seconds for a free worker.

        A thread cannot be stopped: past the limit its answer is dropped and the thread finishes on
        its own (the engine bounds facts, numbers and rule texts, so it does finish).
        """
        loop = asyncio.get_running_loop()
        started = asyncio.Event()

        def begin() -> T:
            loop.call_soon_threadsafe(started.set)
            return work()
        future = loop.run_in_executor(self.pool, begin)
        try:
            await asyncio.wait_for(started.wait(), QUEUE_LIMIT)
        except TimeoutError:
            future.cancel()
            raise Problem(503, f"serveur occupé : aucun calcul libre depuis {QUEUE_LIMIT:g} s ; "
                               "réessayer plus tard") from None
        try:
            return await asyncio.wait_for(future, self.time_limit)
        except TimeoutError:
            raise Problem(503, f"calcul interrompu : plus de {self.time_limit:g} s ; réessayer plus tard "
                               "ou simplifier la demande") from None


# ─── Reading requests ────────────────────────────────────────────────────────────────────────

async def read_body(request: Request) -> bytes:
    """The request body, or 413 past MAX_BODY bytes (announced or actually sent)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise Problem(413, f"corps de requête trop grand : au plus {MAX_BODY:,} octets".replace(",", "\u202f"))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Problem(413, f"corps de requête trop grand : au plus {MAX_BODY:,} octets".replace(",", "\u202f"))
        chunks.append(chunk)
    return b"".join(chunks)


def parse_object(data: bytes, what: str) -> dict[str, object]:
    """A JSON object from a body, or 422 naming the problem in French (as `regles eval` does for a file)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(422, f"{what} : le corps n'est pas du texte UTF-8") from None
    try:
        found = loads_strict(text)
    except InvalidJSON as exc:
        where = f", ligne {exc.line}, colonne {exc.column}" if exc.line is not None else ""
        raise Problem(422, f"{what} : JSON invalide ({exc.reason}{where})") from None
    if not isinstance(found, dict):
        raise Problem(422, f"{what} doit être un objet JSON {{\"fait\": valeur, …}}")
    return found


def facts_problem(exc: FactsError) -> Problem:
    """422 with the messages `regles eval` prints for bad facts."""
    return Problem(422, "faits invalides", problemes=[str(p) for p in exc.problems])


def evaluate(ruleset: api.Ruleset, facts: Mapping[str, object], outputs: list[str] | None = None) -> api.Outcome:
    """`Ruleset.evaluate`, bad facts and unknown results becoming 422 and 404."""
    try:
        return ruleset.evaluate(facts, outputs=outputs or None)
    except FactsError as exc:
        raise facts_problem(exc) from None
    except ValueError as exc:  # an unknown result name
        raise Problem(404, str(exc)) from None


# ─── The JSON API ────────────────────────────────────────────────────────────────────────────

class JSONAnswer(JSONResponse):
    """JSON as `regles eval --json` writes it: UTF-8, accents unescaped."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, indent=2).encode("utf-8")


def create_app(directory: str | Path = "rulesets", *, time_limit: float = TIME_LIMIT, workers: int = WORKERS,
               caisse: Mapping[str, object] | None = None) -> Starlette:
    """The web application serving the rule files of `directory`; `caisse` is the letter options a
    caisse's settings give (`issuance.letter_options(issuance.load_caisse(path))`): without them, a
    decision letter is refused (no named signatory, no recourse route), as `regles letter` refuses it."""
    from engine.serve import pages

    catalog = Catalog(Path(directory))
    limits = Limits(time_limit, workers)
    letter_options = dict(caisse or {})

    async def guarded(request: Request, handler: Handler) -> Response:
        try:
            return await handler(request)
        except Problem as exc:
            return JSONAnswer(exc.body, status_code=exc.status)

    def endpoint(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            return await guarded(request, handler)
        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    async def evaluate_facts(request: Request) -> Response:
        """POST /api/{nom}/evaluate: a facts object → the JSON of `regles eval --json`."""
        ruleset = catalog.ruleset(request.path_params["nom"])
        facts = parse_object(await read_body(request), "les faits")
        outputs = request.query_params.getlist("resultat")
        return JSONAnswer(await limits.run(lambda: outcome_json(evaluate(ruleset, facts, outputs))))

    async def explain(request: Request) -> Response:
        """POST /api/{nom}/explain/{resultat}: the summary and the structured explanation."""
        from engine.explain.html import explanation_json
        ruleset = catalog.ruleset(request.path_params["nom"])
        facts = parse_object(await read_body(request), "les faits")
        name = request.path_params["resultat"]
        doc_base = request.query_params.get("doc", "doc/")
        return JSONAnswer(await limits.run(
            lambda: explanation_json(evaluate(ruleset, facts, [name]), name, doc_base)))

    async def letter(request: Request) -> Response:
        """POST /api/{nom}/letter/{modele}: the letter as PDF (or txt, html with ?format=), or 422 with the reason."""
        ruleset = catalog.ruleset(request.path_params["nom"])
        facts = parse_object(await read_body(request), "les faits")
        return await letter_response(ruleset, facts, request.path_params["modele"],
                                     request.query_params.get("format", "pdf"), limits, letter_options)

    async def schema(request: Request) -> Response:
        """GET /api/{nom}/schema: the JSON Schema of the facts."""
        from engine.inputs.jsonschema import facts_schema
        return JSONAnswer(facts_schema(catalog.ruleset(request.path_params["nom"]).program))

    async def listing(request: Request) -> Response:
        """GET /api: the served rule files with their titles, results and letters."""
        from engine.letters.render import available_letters
        out = {}
        for name in catalog.names():
            try:
                rs = catalog.ruleset(name)
            except Problem as exc:
                out[name] = {"erreur": exc.body["erreur"]}
                continue
            out[name] = {"titre": rs.title, "resultats": list(rs.program.outputs), "courriers": available_letters(rs)}
        return JSONAnswer(out)

    async def check_text(request: Request) -> Response:
        """POST /api/atelier/check: {"text", "fichier"?} → diagnostics (as `regles check`) and highlighted HTML."""
        text, name = await _atelier_input(request, catalog)
        return JSONAnswer(await limits.run(lambda: pages.check_json(text, name, catalog.directory)))

    async def run_text_examples(request: Request) -> Response:
        """POST /api/atelier/examples: {"text"} → each example passed or not (as `regles test`)."""
        text, name = await _atelier_input(request, catalog)
        return JSONAnswer(await limits.run(lambda: pages.examples_json(text, name, catalog.directory)))

    async def evaluate_text(request: Request) -> Response:
        """POST /api/atelier/evaluate: {"text", "facts"} → the JSON of `regles eval --json` for the edited text."""
        body = parse_object(await read_body(request), "la demande")
        text, name = _atelier_fields(body, catalog)
        facts = body.get("facts", {})
        if not isinstance(facts, dict):
            raise Problem(422, "« facts » doit être un objet JSON {\"fait\": valeur, …}")

        def work() -> object:
            try:
                ruleset = api.loads(text, filename=str(catalog.directory / f"{name}.rules"), root=catalog.directory)
            except RulesError as exc:
                raise Problem(422, "le texte contient des erreurs",
                              diagnostics=[d.to_json() for d in exc.diagnostics]) from None
            return outcome_json(evaluate(ruleset, facts))
        return JSONAnswer(await limits.run(work))

    async def openapi(request: Request) -> Response:
        return JSONAnswer(openapi_document(catalog.names()))

    async def index(request: Request) -> Response:
        return HTMLResponse(pages.index_page(catalog))

    async def interview(request: Request) -> Response:
        """GET /entretien/{nom}: the interview, its answers in the URL."""
        ruleset = catalog.ruleset(request.path_params["nom"])
        query = list(request.query_params.multi_items())
        return HTMLResponse(await limits.run(lambda: pages.interview_page(request.path_params["nom"], ruleset, query)))

    async def interview_letter(request: Request) -> Response:
        """GET /entretien/{nom}/courrier/{modele}: the letter for the answers in the URL, as PDF."""
        ruleset = catalog.ruleset(request.path_params["nom"])
        answers, _ = pages.answers_of(ruleset, list(request.query_params.multi_items()))
        return await letter_response(ruleset, answers, request.path_params["modele"], "pdf", limits, letter_options)

    async def atelier(request: Request) -> Response:
        """GET /atelier: the playground, on the file `?fichier=` (the first served file by default)."""
        names = catalog.names()
        name = request.query_params.get("fichier") or (names[0] if names else "")
        path = catalog.path(name)
        return HTMLResponse(pages.atelier_page(name, names, path.read_text(encoding="utf-8")))

    async def html_problem(request: Request, handler: Handler) -> Response:
        try:
            return await handler(request)
        except Problem as exc:
            return HTMLResponse(pages.problem_page(exc.status, str(exc), exc.body), status_code=exc.status)

    def page(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            return await html_problem(request, handler)
        wrapped.__name__ = handler.__name__
        return wrapped

    routes = [
        Route("/", page(index)),
        Route("/openapi.json", endpoint(openapi)),
        Route("/api", endpoint(listing)),
        Route("/api/atelier/check", endpoint(check_text), methods=["POST"]),
        Route("/api/atelier/examples", endpoint(run_text_examples), methods=["POST"]),
        Route("/api/atelier/evaluate", endpoint(evaluate_text), methods=["POST"]),
        Route("/api/{nom}/evaluate", endpoint(evaluate_facts), methods=["POST"]),
        Route("/api/{nom}/explain/{resultat}", endpoint(explain), methods=["POST"]),
        Route("/api/{nom}/letter/{modele}", endpoint(letter), methods=["POST"]),
        Route("/api/{nom}/schema", endpoint(schema), methods=["GET"]),
        Route("/entretien/{nom}", page(interview)),
        Route("/entretien/{nom}/courrier/{modele}", endpoint(interview_letter)),
        Route("/atelier", page(atelier)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.catalog = catalog
    app.state.limits = limits
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONAnswer({"erreur": f"adresse inconnue : {request.url.path[:200]}"}, status_code=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return JSONAnswer({"erreur": f"méthode {request.method} non permise ici"}, status_code=405)


async def _atelier_input(request: Request, catalog: Catalog) -> tuple[str, str]:
    return _atelier_fields(parse_object(await read_body(request), "la demande"), catalog)


def _atelier_fields(body: Mapping[str, object], catalog: Catalog) -> tuple[str, str]:
    """The edited text and the served file it stands for (so that `modifie` finds the file it amends)."""
    text = body.get("text")
    if not isinstance(text, str):
        raise Problem(422, "« text » doit être le texte du fichier de règles")
    name = body.get("fichier", "atelier")
    if not isinstance(name, str) or not _NAME.match(name):
        raise Problem(422, "« fichier » doit être un nom de fichier de règles (lettres, chiffres, _ et -)")
    return text, name


async def letter_response(ruleset: api.Ruleset, facts: Mapping[str, object], name: str, fmt: str,
                          limits: Limits, options: Mapping[str, object]) -> Response:
    """A letter as a download, or 404 (no such letter) / 422 (facts missing, or a refusal to issue it)."""
    from engine.letters.render import (
        FORMATS,
        LetterError,
        LetterTemplateError,
        MissingFactsError,
        available_letters,
        render_letter,
    )
    if name not in available_letters(ruleset):
        raise Problem(404, f"courrier inconnu « {name[:60]} » ; courriers : {', '.join(available_letters(ruleset))}")
    if fmt not in FORMATS:
        raise Problem(422, f"format « {fmt[:20]} » inconnu ; formats possibles : {', '.join(FORMATS)}")

    def work() -> str | bytes:
        outcome = evaluate(ruleset, facts)
        try:
            return render_letter(outcome, name, format=fmt, **options)
        except MissingFactsError as exc:
            raise Problem(422, str(exc)) from None
        except LetterTemplateError as exc:
            raise Problem(500, f"erreur dans le modèle de courrier : {exc}") from None
        except LetterError as exc:  # a refusal to issue the letter for these facts (`NotIssuedError`, its `reason`)
            reason = getattr(exc, "reason", None)
            more = {"raison": reason} if isinstance(reason, str) else {}
            raise Problem(422, str(exc), **more) from None
    letter = await limits.run(work)
    media = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "txt": "text/plain; charset=utf-8"}[fmt]
    return Response(letter, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


# ─── OpenAPI ─────────────────────────────────────────────────────────────────────────────────

def _responses(ok: object, errors: Mapping[str, object]) -> dict[str, object]:
    """An operation's responses: `200` first, then the errors it shares with the others."""
    return {"200": ok, **errors}


def openapi_document(names: list[str]) -> dict[str, object]:
    """The OpenAPI 3.1 description of the JSON API."""
    nom = {"name": "nom", "in": "path", "required": True, "schema": {"type": "string", "enum": names},
           "description": "nom du fichier de règles servi, sans .rules"}
    facts_body = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}},
                  "description": "les faits du dossier, comme `regles eval --facts` (voir /api/{nom}/schema)"}
    error: dict[str, object] = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}}
    errors: dict[str, object] = {"404": {"description": "fichier, résultat ou courrier inconnu", **error},
              "413": {"description": "corps de plus de 1 Mo", **error},
              "422": {"description": "faits invalides (messages de `regles eval`)", **error},
              "503": {"description": "calcul interrompu : limite de temps dépassée", **error}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "regles", "version": "0.1.0",
                 "description": "Évaluer, expliquer et rédiger les courriers des fichiers de règles servis."},
        "paths": {
            "/api/{nom}/evaluate": {"post": {
                "summary": "Évaluer les résultats sur des faits (la sortie de `regles eval --json`)",
                "parameters": [nom, {"name": "resultat", "in": "query", "required": False,
                                     "schema": {"type": "array", "items": {"type": "string"}},
                                     "description": "résultats à calculer (tous par défaut)"}],
                "requestBody": facts_body,
                "responses": _responses({"description": "résultats et faits manquants avec leurs questions",
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/Evaluation"}}}},
                              errors)}},
            "/api/{nom}/explain/{resultat}": {"post": {
                "summary": "Résumé et explication structurée d'un résultat (`regles explain --format json`)",
                "parameters": [nom, {"name": "resultat", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": facts_body,
                "responses": _responses({"description": "résumé et trace",
                                         "content": {"application/json": {"schema": {"type": "object"}}}},
                              errors)}},
            "/api/{nom}/letter/{modele}": {"post": {
                "summary": "Le courrier au médecin (PDF par défaut)",
                "parameters": [nom, {"name": "modele", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "format", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["pdf", "txt", "html"], "default": "pdf"}}],
                "requestBody": facts_body,
                "responses": _responses({"description": "le courrier", "content": {"application/pdf": {}}},
                              errors)}},
            "/api/{nom}/schema": {"get": {
                "summary": "Schéma JSON des faits acceptés (`regles schema`)",
                "parameters": [nom],
                "responses": {"200": {"description": "JSON Schema 2020-12",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "404": errors["404"]}}},
        },
        "components": {"schemas": {
            "Erreur": {"type": "object", "required": ["erreur"],
                       "properties": {"erreur": {"type": "string"},
                                      "problemes": {"type": "array", "items": {"type": "string"}},
                                      "diagnostics": {"type": "array", "items": {"type": "object"}}}},
            "Evaluation": {"type": "object", "required": ["results", "missing"], "properties": {
                "results": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["status"],
                    "properties": {"status": {"enum": ["value", "not_applicable", "undetermined", "missing"]},
                                   "value": {}, "reason": {"type": "string"},
                                   "missing": {"type": "array", "items": {"type": "string"}},
                                   "unmet": {"type": "array", "items": {"type": "object"}}}}},
                "missing": {"type": "array", "items": {"type": "object", "properties": {
                    "fact": {"type": "string"}, "question": {"type": ["string", "null"]},
                    "description": {"type": ["string", "null"]}}}}}},
        }},
    }
