/* Pointage: each tap is saved at once; a save that fails is shown and retried until it
   goes through, kept in localStorage so that a reload or a weak Wi-Fi never loses a mark. */
(function () {
  "use strict";
  var sheet = document.getElementById("pointage");
  if (!sheet) { return; }
  var url = sheet.dataset.url;
  var csrf = sheet.querySelector("input[name=csrfmiddlewaretoken]").value;
  var banner = document.getElementById("pointage-etat");
  var KEY = "pointage-en-attente";
  var LABELS = { present: "Présent", absent_justified: "Absent justifié", absent_unjustified: "Absent non justifié" };

  function pending() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function store(list) { localStorage.setItem(KEY, JSON.stringify(list)); }
  function say(text, kind) {
    banner.textContent = text;
    banner.className = "pointage-etat " + (kind || "");
  }
  function rowOf(mark) {
    return sheet.querySelector('[data-child="' + mark.child + '"][data-day="' + mark.day + '"][data-prestation="' + mark.prestation + '"]');
  }
  function show(mark, state) {
    var row = rowOf(mark);
    if (!row) { return; }
    row.dataset.state = state;
    row.querySelectorAll("button[data-status]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.status === mark.status ? "true" : "false");
    });
    var note = row.querySelector(".pointage-note");
    if (state === "waiting") { note.textContent = "Non enregistré : nouvel essai…"; }
    else if (state === "saved") { note.textContent = "Enregistré : " + LABELS[mark.status]; }
  }
  function send(mark) {
    var body = new URLSearchParams(mark);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      if (response.status >= 500) { throw new Error("server"); }
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }
  function flush() {
    var list = pending();
    if (!list.length) { return; }
    var mark = list[0];
    send(mark).then(function (result) {
      store(pending().slice(1));
      if (result.ok) { show(mark, "saved"); }
      else {
        var row = rowOf(mark);
        if (row) { row.querySelector(".pointage-note").textContent = result.data.message; row.dataset.state = "refused"; }
      }
      var left = pending().length;
      say(left ? left + " pointage(s) en attente d'envoi" : "Tout est enregistré.", left ? "waiting" : "ok");
      if (left) { flush(); }
    }).catch(function () {
      show(mark, "waiting");
      say(pending().length + " pointage(s) en attente d'envoi : la connexion est perdue, nouvel essai dans quelques secondes.", "waiting");
    });
  }
  sheet.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-status]");
    if (!button) { return; }
    event.preventDefault();
    var row = button.closest("[data-child]");
    var mark = { child: row.dataset.child, prestation: row.dataset.prestation, day: row.dataset.day, status: button.dataset.status };
    var list = pending().filter(function (m) { return !(m.child === mark.child && m.day === mark.day && m.prestation === mark.prestation); });
    list.push(mark);
    store(list);
    show(mark, "sending");
    flush();
  });
  pending().forEach(function (mark) { show(mark, "waiting"); });
  window.setInterval(flush, 3000);
  window.addEventListener("online", flush);
  flush();
})();
