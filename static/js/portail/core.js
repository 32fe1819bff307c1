/* Portail des subventions: progressive enhancement only (every page works without it).
 * No inline script: the CSP forbids it. No build step: classic scripts, loaded with `defer` in
 * this order by templates/base.html (they run in order, after the page is parsed), sharing one
 * namespace, window.Portail. Linted by ESLint (eslint.config.js).
 *
 *   core.js               Portail.register(init), Portail.start(root)      (this file)
 *   conditions.js         Portail.conditions  mirror of runtime/spec/conditions.py
 *   values.js             Portail.values      typed text -> answer value (mirror of the field types)
 *   computed.js           Portail.computed    mirror of runtime/spec/computed.py (formulas:
 *                                             static/js/formulas.js, loaded before)
 *   live_form.js          conditions, totals and rules as the applicant types
 *   tables.js, error_summary.js, autosave.js (Portail.autosave)
 *   teleservice_filter.js live filter of « Choix du téléservice »
 *   accounts.js           password checker, captcha solver
 *   siret_lookup.js       company directory look-up on the Tiers pages
 *   jobs.js               a job in progress follows its « Actualiser » link
 *   start.js              runs every init, then marks <html data-portail-ready> (last)
 *
 * The three mirrors are checked against the server with tests/forms/parity_corpus.json.
 * A module with something to do on a page registers an init with Portail.register(fn); start.js
 * calls every init, in the order of registration, with the document. A module never starts
 * itself (ESLint refuses a DOMContentLoaded listener outside start.js). */
(function () {
  "use strict";

  var inits = [];
  var Portail = (window.Portail = window.Portail || {});

  Portail.register = function (init) {
    inits.push(init);
  };

  Portail.start = function (root) {
    inits.forEach(function (init) {
      try {
        init(root);
      } catch (error) {
        if (window.console) window.console.error(error); // one broken module never stops the others
      }
    });
  };
})();
