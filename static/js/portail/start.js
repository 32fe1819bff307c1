/* Last of the modules (templates/base.html): runs every registered init once the document is
 * parsed, then sets data-portail-ready on <html>, for whoever must know that the page is in
 * its scripted state (the browser tests wait for it after each navigation instead of guessing
 * with a delay). */
(function () {
  "use strict";

  function start() {
    window.Portail.start(document);
    document.documentElement.setAttribute("data-portail-ready", "");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
