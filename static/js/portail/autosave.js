/* Autosave: a form with data-autosave-url is posted in the background every 30 s when it
 * changed, and when the page is hidden. The server answers {"saved_at": "HH:MM"}; a refusal
 * comes with a French message in JSON, shown as is. Portail.autosave() saves now (tests). */
(function () {
  "use strict";

  var Portail = window.Portail;

  var AUTOSAVE_MS = 30000;

  function initAutosave(form) {
    var url = form.getAttribute("data-autosave-url");
    var status = form.querySelector("[data-autosave-status]");
    var dirty = false, busy = false;

    function formData() {
      var data = new FormData(form);
      var keep = new FormData();
      data.forEach(function (value, key) {
        if (typeof value === "string" && key !== "_action") keep.append(key, value); // files are sent on submit
      });
      return keep;
    }

    function save(keepalive) {
      if (!dirty || busy) return;
      busy = true;
      dirty = false;
      var token = form.elements.namedItem("csrf_token");
      fetch(url, {
        method: "POST",
        body: formData(),
        credentials: "same-origin",
        keepalive: Boolean(keepalive),
        headers: { "X-Autosave": "1", "X-CSRFToken": token ? token.value : "" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          // the server explains a refusal in JSON ({"saved": false, "message": ...})
          if (!response.ok) throw { message: body && body.message ? String(body.message) : "" };
          return body;
        });
      }).then(function (body) {
        var now = new Date();
        var time = body && body.saved_at ? body.saved_at :
          ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
        if (status) status.textContent = "Brouillon enregistré à " + time;
      }).catch(function (error) {
        dirty = true;
        // a network failure (TypeError) has an English message: only the server's is shown
        if (status) status.textContent = (error && !(error instanceof Error) && error.message) ||
          "Le brouillon n'a pas pu être enregistré automatiquement. Enregistrez la page avant de la quitter.";
      }).then(function () {
        busy = false;
      });
    }

    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("portail:rows", function () { dirty = true; });
    form.addEventListener("submit", function (event) {
      if (!event.defaultPrevented) dirty = false; // a rule warning may have held the submission
    });
    window.setInterval(function () { save(false); }, AUTOSAVE_MS);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") save(true);
    });
    Portail.autosave = save; // for tests: Portail.autosave() saves now
  }

  Portail.register(function (root) {
    root.querySelectorAll("form[data-autosave-url]").forEach(initAutosave);
  });
})();
