/* SIRET look-up (Tiers domain).
 * On a page holding #siret-lookup-config (templates/tiers/_siret_lookup.html, rendered only when
 * the company-directory look-up is configured), ask the portal what the directory says of the
 * SIRET typed in the input named "siret" (or of the element's data-siret on a later step), then
 * fill the raison sociale and address inputs that are still empty and say so in the live region.
 * What the applicant typed is never overwritten; any failure leaves manual entry as it was. */
(function () {
  "use strict";

  var Portail = window.Portail;

  var TARGETS = {
    raison_sociale: function (answer) { return answer.raison_sociale; },
    "adresse-street": function (answer) { return answer.adresse && answer.adresse.street; },
    "adresse-postcode": function (answer) { return answer.adresse && answer.adresse.postcode; },
    "adresse-commune": function (answer) { return answer.adresse && answer.adresse.commune; }
  };
  var SOURCE = " depuis l'annuaire des entreprises : vérifiez-";

  function siretOf(text) {
    var digits = (text || "").replace(/\s+/g, "");
    return /^[0-9]{14}$/.test(digits) ? digits : null;
  }

  function fillEmptyInputs(root, answer) {
    var filled = {};
    Object.keys(TARGETS).forEach(function (name) {
      var input = root.querySelector('input[name="' + name + '"]');
      var value = TARGETS[name](answer);
      if (!input || !value || input.readOnly || input.disabled || input.value.trim()) return;
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      filled[name === "raison_sociale" ? "name" : "address"] = true;
    });
    return filled;
  }

  function announcement(filled) {
    if (filled.name && filled.address) return "Raison sociale et adresse pré-remplies" + SOURCE + "les.";
    if (filled.name) return "Raison sociale pré-remplie" + SOURCE + "la.";
    if (filled.address) return "Adresse pré-remplie" + SOURCE + "la.";
    return "";
  }

  function lookUp(root, config, siret) {
    if (!siret || siret === config.getAttribute("data-looked-up")) return;
    config.setAttribute("data-looked-up", siret);
    var url = config.getAttribute("data-url").replace(/SIRET$/, encodeURIComponent(siret));
    var status = config.querySelector("[data-siret-lookup-status]");
    window.fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || !answer.found) return;
        var message = announcement(fillEmptyInputs(root, answer));
        if (message && status) status.textContent = message;
      })
      .catch(function () { /* the directory is a convenience: manual entry stays the path */ });
  }

  function initSiretLookup(root) {
    var config = root.querySelector("#siret-lookup-config");
    if (!config || !window.fetch) return;
    var input = root.querySelector('input[name="siret"]');
    if (!input) {
      lookUp(root, config, siretOf(config.getAttribute("data-siret")));
      return;
    }
    var onChange = function () { lookUp(root, config, siretOf(input.value)); };
    input.addEventListener("input", onChange);
    input.addEventListener("change", onChange);
    onChange();
  }

  Portail.register(initSiretLookup);
})();
