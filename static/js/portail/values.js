/* Reading values: the same converted values as the server's answers (amounts "1234.50", yes/no
 * as booleans, tables as lists of rows); text that does not convert is kept as typed. Which
 * types are numbers or static blocks comes from the page (data-numeric, data-static,
 * data-number), written from runtime/spec/field_types.py. Published as Portail.values
 * {normalise(type, raw, numeric), read(form, wrapper)}; normalise is checked against the
 * server with tests/forms/parity_corpus.json. */
(function () {
  "use strict";

  var Portail = window.Portail;

  function normaliseNumber(type, raw) {
    var text = raw.trim();
    if (!text) return null;
    var compact = text.replace(/[\s\u00a0\u202f€%]/g, "");
    // both separators, grouped by three: « 1.234,50 » (French) or « 1,234.50 » (as runtime/formatting.py)
    if (/^[-+]?\d{1,3}(\.\d{3})+,\d+$/.test(compact)) compact = compact.replace(/\./g, "");
    else if (/^[-+]?\d{1,3}(,\d{3})+\.\d+$/.test(compact)) compact = compact.replace(/,/g, "");
    compact = compact.replace(/,/g, ".");
    if (!/^[-+]?(\d+(\.\d+)?|\.\d+)$/.test(compact)) return text;
    if (type === "integer") return /^[-+]?\d+$/.test(compact) ? parseInt(compact, 10) : text;
    if (type === "amount") return /\.\d{3,}$/.test(compact) ? text : Number(compact).toFixed(2);
    return compact.replace(/^\+/, "");
  }

  function normaliseDate(raw) {
    var text = raw.trim();
    var french = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
    if (!french) return text || null;
    var day = Number(french[1]), month = Number(french[2]), year = Number(french[3]);
    var date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return text; // no such day: kept as typed
    return french[3] + "-" + ("0" + french[2]).slice(-2) + "-" + ("0" + french[1]).slice(-2);
  }

  function scalar(type, raw, numeric) {
    if (numeric) return normaliseNumber(type, raw);
    if (type === "date") return normaliseDate(raw);
    var text = raw.trim();
    return text || null;
  }

  function namedValue(form, name) {
    var element = form.elements.namedItem(name);
    return element && typeof element.value === "string" ? element.value : "";
  }

  function tableRows(form, wrapper, id) {
    var rows = [];
    wrapper.querySelectorAll("tbody[data-rows] tr[data-row]").forEach(function (tr) {
      var row = {};
      tr.querySelectorAll("input, select").forEach(function (input) {
        var match = new RegExp("^" + id + "-\\d+-(.+)$").exec(input.name || "");
        if (!match) return;
        var numeric = Boolean(input.getAttribute("data-number"));
        var value = scalar(numeric ? "amount" : "text", input.value, numeric);
        if (value !== null) row[match[1]] = value;
      });
      if (Object.keys(row).length) rows.push(row);
    });
    return rows.length ? rows : null;
  }

  function fieldValue(form, wrapper) {
    var id = wrapper.getAttribute("data-field");
    var type = wrapper.getAttribute("data-type");
    if (wrapper.hasAttribute("data-static")) return undefined;
    if (wrapper.querySelector(".portail-locked")) return undefined; // the server's value stays
    if (type === "yes_no") {
      var yn = wrapper.querySelector("input[type=radio]:checked");
      return yn ? yn.value === "true" : null;
    }
    if (type === "choice") {
      var picked = wrapper.querySelector("input[type=radio]:checked");
      if (picked) return picked.value;
      var select = wrapper.querySelector("select");
      return select && select.value ? select.value : null;
    }
    if (type === "multiple_choice") {
      var checked = [];
      wrapper.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) { checked.push(box.value); });
      return checked.length ? checked : null;
    }
    if (type === "checkbox") {
      var box = wrapper.querySelector("input[type=checkbox]");
      return Boolean(box && box.checked);
    }
    if (type === "address") {
      var address = {};
      ["street", "postcode", "commune"].forEach(function (part) {
        var value = namedValue(form, id + "-" + part).trim();
        if (value) address[part] = value;
      });
      return Object.keys(address).length ? address : null;
    }
    if (type === "table") return tableRows(form, wrapper, id);
    if (type === "file") {
      var input = wrapper.querySelector("input[type=file]");
      var current = wrapper.querySelector(".portail-file__current");
      var removed = wrapper.querySelector(".portail-file__remove input:checked");
      if (input && input.files && input.files.length) return { filename: input.files[0].name };
      return current && !removed ? { filename: current.textContent } : null;
    }
    return scalar(type, namedValue(form, id), wrapper.hasAttribute("data-numeric"));
  }

  Portail.values = { normalise: scalar, read: fieldValue };
})();
