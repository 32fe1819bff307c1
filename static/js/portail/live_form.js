/* Live form: on a spec page (form.portail-form), conditions show and hide fields, computed
 * values and table totals follow what is typed, rule warnings appear once something was typed
 * (the server stays the authority: it checks everything again). */
(function () {
  "use strict";

  var Portail = window.Portail;
  var evaluate = Portail.conditions.evaluate;
  var isMissing = Portail.conditions.isMissing;
  var referencedFields = Portail.conditions.referencedFields;
  var fieldValue = Portail.values.read;
  var compute = Portail.computed.compute;

  function frenchNumber(value, places) {
    var fixed = places === undefined ? String(value) : Number(value).toFixed(places);
    var negative = fixed.charAt(0) === "-";
    var parts = (negative ? fixed.slice(1) : fixed).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return (negative ? "-" : "") + whole + (parts[1] ? "," + parts[1] : "");
  }

  function display(type, value) {
    if (value === null || value === undefined) return "";
    if (type === "amount") return frenchNumber(value, 2) + "\u202f€";
    if (type === "percentage") return frenchNumber(value) + "\u202f%";
    return frenchNumber(value);
  }

  /* ------------------------------------------------------------------ live form */
  function readJson(element, attribute) {
    try {
      return JSON.parse(element.getAttribute(attribute));
    } catch (error) {
      return null;
    }
  }

  function liveForm(form) {
    var wrappers = Array.prototype.slice.call(form.querySelectorAll(".portail-field[data-field]"));
    var base = readJson(form, "data-values") || {};
    var computedDefs = readJson(form, "data-computed-defs") || [];
    var computedItems = Array.prototype.map.call(form.querySelectorAll("[data-computed]"), function (el) {
      return { element: el, item: readJson(el, "data-computed") };
    });
    // A rule warning waits for the applicant: shown once something was typed (or when
    // the server showed it after a post), never on arrival.
    var rules = Array.prototype.map.call(form.querySelectorAll("[data-rule]"), function (el) {
      return { element: el, rule: readJson(el, "data-rule"), shown: !el.hidden };
    });
    var touched = false;

    function currentValues(hidden) {
      var values = Object.assign({}, base);
      wrappers.forEach(function (wrapper) {
        var id = wrapper.getAttribute("data-field");
        var value = fieldValue(form, wrapper);
        if (value === undefined) return;
        if (hidden[id] || value === null) delete values[id];
        else values[id] = value;
      });
      var computed = compute(computedDefs, values);
      return Object.assign(values, computed);
    }

    function refresh() {
      // as on the server: a hidden field counts as unanswered, repeated until stable
      var hidden = {}, values, changed = true, guard = 0;
      while (changed && guard++ < 10) {
        values = currentValues(hidden);
        changed = false;
        wrappers.forEach(function (wrapper) {
          var when = readJson(wrapper, "data-when");
          if (!when) return;
          var id = wrapper.getAttribute("data-field");
          var hide = !evaluate(when, values);
          if (Boolean(hidden[id]) !== hide) {
            hidden[id] = hide;
            changed = true;
          }
        });
      }
      wrappers.forEach(function (wrapper) {
        wrapper.hidden = Boolean(hidden[wrapper.getAttribute("data-field")]);
        wrapper.removeAttribute("data-unasked"); // the server's first-paint guess (see .js [data-unasked])
      });
      computedItems.forEach(function (c) {
        var output = c.element.querySelector("output");
        if (output) output.textContent = display(c.item.type || "amount", values[c.item.id]);
      });
      form.querySelectorAll("[data-total]").forEach(function (cell) {
        var table = cell.closest("[data-table]");
        var column = cell.getAttribute("data-total");
        var sum = compute([{ id: "t", sum: table.getAttribute("data-table") + "." + column }], values).t;
        var output = cell.querySelector("output");
        if (output) output.textContent = display(cell.getAttribute("data-total-type"), sum);
      });
      rules.forEach(function (r) {
        var rule = r.rule;
        if (!rule) return;
        var applies = evaluate(rule.when, values) &&
          referencedFields(rule.require).every(function (name) { return !isMissing(values[name]); });
        r.element.hidden = !(touched || r.shown) || !applies || evaluate(rule.require, values);
      });
    }

    function edited() {
      touched = true;
      refresh();
    }

    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    form.addEventListener("portail:rows", refresh);
    form.addEventListener("submit", function (event) { announceRules(event, rules); });
    refresh();
  }

  /* A rule warning showing when the applicant moves on ("Suivant"): the server saves the
   * page anyway (it is the authority), but the first press moves the focus to the warning
   * so that screen-reader users hear it; the next press submits. */
  function movesForward(submitter) {
    return !submitter || (submitter.classList.contains("govuk-button") &&
      !submitter.classList.contains("govuk-button--secondary"));
  }

  function announceRules(event, rules) {
    if (!movesForward(event.submitter)) return;
    var unheard = rules.filter(function (r) { return !r.element.hidden && !r.heard; });
    if (!unheard.length) return;
    unheard.forEach(function (r) { r.heard = true; });
    event.preventDefault();
    var warning = unheard[0].element;
    warning.setAttribute("tabindex", "-1");
    warning.focus();
  }

  Portail.register(function (root) {
    root.querySelectorAll("form.portail-form").forEach(liveForm);
  });
})();
