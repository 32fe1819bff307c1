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
      var remove = tr.querySelector(".portail-table__remove");
      if (remove) remove.value = "remove:" + id + ":" + index;
    });
    var add = table.querySelector(".portail-table__add");
    var max = parseInt(table.getAttribute("data-max-rows") || "0", 10);
    if (add) add.hidden = max > 0 && table.querySelectorAll("tbody[data-rows] tr[data-row]").length >= max;
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
        tr.parentNode.removeChild(tr);
        renumberRows(table);
        var target = next ? next.querySelector("input, select") : table.querySelector(".portail-table__add");
        if (target) target.focus();
      } else {
        return;
      }
      table.dispatchEvent(new CustomEvent("portail:rows", { bubbles: true }));
    });
    renumberRows(table);
  }

  Portail.register(function (root) {
    root.querySelectorAll("[data-table]").forEach(initTable);
  });
})();
