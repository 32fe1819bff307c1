/* Error summary (templates/macros/forms.html, error_summary): focused on load; a link focuses
 * its field (or the first input of a group) and scrolls to its legend. */
(function () {
  "use strict";

  var Portail = window.Portail;

  Portail.register(function (root) {
    var summary = root.querySelector(".govuk-error-summary");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!target) return;
      var input = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      if (!input) return;
      event.preventDefault();
      var group = input.closest("fieldset") || input;
      var legend = group.querySelector && group.querySelector("legend");
      (legend || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  });
})();
