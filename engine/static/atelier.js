// The playground of `regles serve`: checks the edited text as you type (POST /api/atelier/check),
// colours it and underlines each diagnostic in place, runs the examples and evaluates facts.
// The text is sent to the server, which only loads it with engine.loads: nothing is written there.
"use strict";
(function () {
  const root = document.querySelector(".atelier");
  const source = document.getElementById("source");
  const colours = document.querySelector(".surlignage");
  const underline = document.querySelector(".soulignage");
  const panel = document.getElementById("diagnostics");
  const file = root.dataset.fichier;
  let timer = null;
  let sent = 0;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function post(path, body) {
    const answer = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
    const data = await answer.json();
    return {status: answer.status, data: data};
  }

  // Offsets from the server count characters (code points); JavaScript strings count UTF-16 units.
  function underlined(text, diagnostics) {
    const chars = Array.from(text);
    const marks = diagnostics.filter(d => d.end >= d.start).sort((a, b) => a.start - b.start);
    const out = document.createDocumentFragment();
    let pos = 0;
    for (const d of marks) {
      const start = Math.max(d.start, pos);
      let end = Math.max(d.end, start + 1);   // an empty span still shows one character
      if (start >= chars.length) { end = start; }
      out.append(chars.slice(pos, start).join(""));
      const mark = el("span", {"class": "diag " + d.severity, "data-code": d.code,
                               "title": d.code + " : " + d.message});
      mark.textContent = chars.slice(start, Math.min(end, chars.length)).join("") || " ";
      out.append(mark);
      pos = Math.max(pos, Math.min(end, chars.length));
    }
    out.append(chars.slice(pos).join("") + "\n");
    underline.replaceChildren(out);
  }

  function showDiagnostics(data) {
    const list = el("ul");
    for (const d of data.diagnostics.concat(data.ailleurs)) {
      const item = el("li", {"class": d.severity});
      const where = d.span.file.split("/").pop() + ":" + d.span.line + ":" + d.span.column;
      item.append(el("strong", {}, d.code), " " + where + " — " + d.message);
      if (d.hint) item.append(el("br"), el("span", {"class": "petit"}, d.hint));
      list.append(item);
    }
    panel.replaceChildren(el("p", {"class": data.ok ? "fini" : "erreur"}, data.resume));
    if (list.children.length) panel.append(list);
  }

  async function check() {
    const text = source.value;
    const mine = ++sent;
    let answer;
    try {
      answer = await post("/api/atelier/check", {text: text, fichier: file});
    } catch (e) {
      panel.replaceChildren(el("p", {"class": "erreur"}, "Serveur injoignable : vérification impossible."));
      return;
    }
    if (mine !== sent || text !== source.value) return;   // a newer text is on its way
    if (answer.status !== 200) {
      panel.replaceChildren(el("p", {"class": "erreur"}, answer.data.erreur));
      return;
    }
    colours.innerHTML = answer.data.html + "\n";
    underlined(text, answer.data.diagnostics);
    showDiagnostics(answer.data);
    root.dataset.verifie = String(mine);
  }

  source.addEventListener("input", function () {
    colours.textContent = source.value + "\n";   // visible at once; coloured when the check answers
    underline.textContent = source.value + "\n";
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  source.addEventListener("scroll", function () {
    for (const layer of [colours, underline]) {
      layer.scrollTop = source.scrollTop;
      layer.scrollLeft = source.scrollLeft;
    }
  });

  document.getElementById("lancer-exemples").addEventListener("click", async function () {
    const out = document.getElementById("exemples");
    out.replaceChildren(el("p", {"class": "petit"}, "Exécution…"));
    const answer = await post("/api/atelier/examples", {text: source.value, fichier: file});
    if (answer.status !== 200) { out.replaceChildren(el("p", {"class": "erreur"}, answer.data.erreur)); return; }
    const list = el("ul");
    for (const run of answer.data.exemples) {
      const item = el("li", {"class": run.reussi ? "ok" : "erreur"},
                      (run.reussi ? "réussi — " : "ÉCHEC — ") + run.titre + " (ligne " + run.ligne + ")");
      if (run.erreur) item.append(el("br"), "faits invalides : " + run.erreur);
      for (const m of run.ecarts) item.append(el("br"), m.resultat + " : attendu " + m.attendu + ", obtenu " + m.obtenu);
      list.append(item);
    }
    out.replaceChildren(el("p", {"class": answer.data.ok ? "fini" : "erreur"}, answer.data.resume), list);
  });

  document.getElementById("evaluer").addEventListener("click", async function () {
    const out = document.getElementById("evaluation");
    let facts;
    try {
      facts = JSON.parse(document.getElementById("faits").value || "{}");
    } catch (e) {
      out.replaceChildren(el("p", {"class": "erreur"}, "Les faits ne sont pas un JSON valide : " + e.message));
      return;
    }
    const answer = await post("/api/atelier/evaluate", {text: source.value, fichier: file, facts: facts});
    if (answer.status !== 200) {
      const box = el("div", {}, "");
      box.append(el("p", {"class": "erreur"}, answer.data.erreur));
      const more = (answer.data.problemes || []).concat((answer.data.diagnostics || []).map(d => d.code + " " + d.message));
      if (more.length) { const ul = el("ul"); more.forEach(t => ul.append(el("li", {}, t))); box.append(ul); }
      out.replaceChildren(box);
      return;
    }
    const list = el("ul");
    for (const [name, r] of Object.entries(answer.data.results)) {
      const shown = r.status === "value" ? JSON.stringify(r.value)
                  : r.status === "missing" ? "faits manquants : " + r.missing.join(", ") : r.reason;
      list.append(el("li", {"data-resultat": name}, name + " : " + shown));
    }
    out.replaceChildren(list);
  });

  check();
})();
