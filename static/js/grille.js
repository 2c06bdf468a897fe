/* Vue Période: what htmx does not say by itself. A refused request (400), a database that
   timed out (503) or a lost connection is told in the grid's message area, in French, instead
   of silence or a bare error page; in each case nothing was saved. */
(function () {
  "use strict";
  var GENERIC = "La demande n'a pas abouti : rien n'a été enregistré. Rechargez la page et réessayez.";
  var OFFLINE = "La connexion a été perdue : rien n'a été enregistré, réessayez.";
  var SAYS_WHY = [400, 429, 503];

  function say(text) {
    var region = document.getElementById("annonce-grille");
    if (!region) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible py-2 mb-0";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Fermer le message");
    alert.appendChild(close);
    region.replaceChildren(alert);
  }

  // The server's own French words: the 503 page's paragraph, a 400's text.
  function reason(xhr) {
    if (SAYS_WHY.indexOf(xhr.status) < 0) { return GENERIC; }
    var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var node = page.querySelector("main p") || page.body;
    var text = node ? node.textContent.trim() : "";
    return text && text.length < 500 ? text : GENERIC;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400) {
      event.detail.shouldSwap = false;
      say(reason(xhr));
    }
  });
  document.addEventListener("htmx:sendError", function () { say(OFFLINE); });
  document.addEventListener("htmx:timeout", function () { say(OFFLINE); });
})();
