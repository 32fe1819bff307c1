/* Tables: « Ajouter une ligne » and « Supprimer la ligne N » without a round trip (the buttons
 * post the form without JS), rows renumbered, the focus kept; a "portail:rows" event tells the
 * live form and the autosave. */
(function () {
  "use strict";

  var Portail = window.Portail;

  function renumberRows(table) {
    var id = table.getAttribute("data-table");
    var pattern = new RegExp("^" + id + "-(\\d+|__index__)-");
    table.querySelectorAll("tbody[data-rows] tr[data-row]").forEach(function (tr, index) {
      var prefix = id + "-" + index + "-";
      tr.querySelectorAll("[name], [id], [for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && pattern.test(value)) el.setAttribute(attr, value.replace(pattern, prefix));
        });
      });
      tr.querySelectorAll("label, .govuk-visually-hidden").forEach(function (el) {
        el.textContent = el.textContent.replace(/ligne (\d+|__number__)/, "ligne " + (index + 1));
      });
      tr.querySelectorAll(".govuk-error-message").forEach(function (el) {
        replaceInText(el, /ligne \d+ :/, "ligne " + (index + 1) + " :");
      });
      var remove = tr.querySelector(".portail-table__remove");
      if (remove) remove.value = "remove:" + id + ":" + index;
    });
    var add = table.querySelector(".portail-table__add");
    var max = parseInt(table.getAttribute("data-max-rows") || "0", 10);
    if (add) add.hidden = max > 0 && table.querySelectorAll("tbody[data-rows] tr[data-row]").length >= max;
  }

  function replaceInText(element, pattern, replacement) {
    // text nodes only: an error message holds a visually hidden « Erreur : » element
    var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      node.nodeValue = node.nodeValue.replace(pattern, replacement);
    }
  }

  /* The error summary after row ``removed`` of table ``id`` is gone: its errors are dropped,
   * those of the rows below follow them up one line (link and « ligne N »). Messages beside the
   * fields follow their row in renumberRows. */
  function followRemovedRow(id, removed) {
    var row = new RegExp("^#" + id + "-(\\d+)-");
    document.querySelectorAll(".govuk-error-summary a[href^='#" + id + "-']").forEach(function (link) {
      var found = row.exec(link.getAttribute("href"));
      if (!found) return;
      var index = parseInt(found[1], 10);
      if (index === removed) {
        link.closest("li").remove();
      } else if (index > removed) {
        link.setAttribute("href", link.getAttribute("href").replace(row, "#" + id + "-" + (index - 1) + "-"));
        replaceInText(link, /ligne \d+ :/, "ligne " + index + " :");
      }
    });
  }

  function initTable(table) {
    var template = table.querySelector("template[data-row-template]");
    var body = table.querySelector("tbody[data-rows]");
    if (!template || !body) return;
    table.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.classList.contains("portail-table__add")) {
        event.preventDefault();
        var row = template.content.firstElementChild.cloneNode(true);
        body.appendChild(row);
        renumberRows(table);
        var first = row.querySelector("input, select");
        if (first) first.focus();
      } else if (button.classList.contains("portail-table__remove")) {
        event.preventDefault();
        var tr = button.closest("tr");
        var next = tr.nextElementSibling || tr.previousElementSibling;
        var removed = Array.prototype.indexOf.call(body.children, tr);
        tr.parentNode.removeChild(tr);
        renumberRows(table);
        followRemovedRow(table.getAttribute("data-table"), removed);
        var target = next ? next.querySelector("input, select") : table.querySelector(".portail-table__add");
        if (target) target.focus();
      } else {
        return;
      }
      table.dispatchEvent(new CustomEvent("portail:rows", { bubbles: true }));
    });
    renumberRows(table);
    // A control reached with Tab in a table wider than a phone is shown whole, not cut at the edge
    // of the box that scrolls (the browser only scrolls to an element that is not visible at all).
    table.addEventListener("focusin", function (event) {
      if (event.target.matches("input, select, button")) {
        event.target.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    });
  }

  Portail.register(function (root) {
    root.querySelectorAll("[data-table]").forEach(initTable);
  });
})();
