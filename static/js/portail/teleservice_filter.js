/* Live filter of « Choix du téléservice » (templates/demandes/choose.html). Without JS the form
 * is sent (GET ?mots=&theme=) and the server filters (runtime/web/demandes.py,
 * filter_teleservices). With JS the list follows what is typed: an item stays when it is of the
 * chosen theme and its folded text (data-search: title, description and theme, lower case
 * without accents, written by the server) holds every word typed; the count and the « aucun »
 * message follow, in the live region the page already has. */
(function () {
  "use strict";

  var Portail = window.Portail;

  // As runtime/web/demandes.py _folded: lower case without accents (« Équipement » → « equipement »).
  function folded(text) {
    var lower = (text || "").toLowerCase();
    return lower.normalize ? lower.normalize("NFKD").replace(/[\u0300-\u036f]/g, "") : lower;
  }

  function matches(item, words, theme) {
    if (theme && item.getAttribute("data-theme") !== theme) return false;
    var text = item.getAttribute("data-search") || "";
    return words.every(function (word) { return text.indexOf(word) >= 0; });
  }

  function countText(shown, total) {
    return shown + " téléservice" + (shown > 1 ? "s" : "") + " sur " + total;
  }

  function initFilter(form) {
    var list = document.querySelector("[data-teleservice-list]");
    var count = document.querySelector("[data-filter-count]");
    var none = document.querySelector("[data-filter-none]");
    var words = form.querySelector("input[name=mots]");
    var theme = form.querySelector("select[name=theme]");
    if (!list || !words) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-search]"));

    function apply() {
      var wanted = folded(words.value).split(/\s+/).filter(Boolean);
      var chosen = theme ? theme.value : "";
      var shown = 0;
      items.forEach(function (item) {
        item.hidden = !matches(item, wanted, chosen);
        if (!item.hidden) shown += 1;
      });
      if (count) count.textContent = countText(shown, items.length);
      if (none) none.hidden = shown > 0;
    }

    words.addEventListener("input", apply);
    if (theme) theme.addEventListener("change", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault(); // already applied; the address keeps the list whole for a reload
      apply();
    });
    apply();
  }

  Portail.register(function (root) {
    root.querySelectorAll("form[data-teleservice-filter]").forEach(initFilter);
  });
})();
