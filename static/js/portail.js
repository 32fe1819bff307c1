/* Portail des subventions: progressive enhancement only (every page works without it).
 * No inline script: the CSP forbids it. Linted by ESLint (eslint.config.js).
 *
 * Modules, in this order; each is a section of this file and publishes what others or
 * the tests use on window.Portail:
 *   conditions       Portail.conditions  mirror of runtime/spec/conditions.py
 *   reading values   Portail.values      typed text -> answer value (mirror of the field types)
 *   computed values  Portail.computed    mirror of runtime/spec/computed.py
 *   live form        (init)              conditions, totals and rules as the applicant types
 *   tables, error summary, autosave (Portail.autosave), start
 *   accounts         (own IIFE)          password checker, captcha solver
 *   SIRET look-up    (own IIFE)          company directory look-up on the Tiers pages
 * The three mirrors are checked against the server with tests/forms/parity_corpus.json.
 * A module with something to do on a page registers an init with Portail.register(fn);
 * every init is called on DOMContentLoaded with the document. */
(function () {
  "use strict";

  var inits = [];
  var Portail = (window.Portail = window.Portail || {});
  Portail.register = function (init) {
    inits.push(init);
  };

  /* ------------------------------------------------------------------ conditions
   * Mirror of runtime/spec/conditions.py: same operators, same meaning. A missing
   * value (absent, null, empty text, list or object) makes every comparison false;
   * only is_filled looks at emptiness itself. */
  var OPERATORS = ["equals", "not_equals", "in", "not_in", "greater_than", "less_than", "at_least",
    "at_most", "before", "after", "is_filled", "contains"];
  var NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

  function isMissing(value) {
    if (value === null || value === undefined) return true;
    if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
    if (typeof value === "object") return Object.keys(value).length === 0;
    return false;
  }

  function isFieldRef(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value) &&
      Object.keys(value).length === 1 && typeof value.field === "string";
  }

  function toNumber(value) {
    if (typeof value === "boolean" || value === null || value === undefined) return null;
    if (typeof value === "number") return value;
    if (typeof value === "string") {
      var text = value.trim().replace(/,/g, ".").replace(/[\s\u00a0\u202f]/g, "");
      return NUMBER.test(text) ? Number(text) : null;
    }
    return null;
  }

  function same(actual, expected) {
    if (typeof actual === "number" || typeof expected === "number") {
      var a = toNumber(actual), b = toNumber(expected);
      return a !== null && b !== null && a === b;
    }
    if (typeof actual === "boolean" || typeof expected === "boolean") return actual === expected;
    if (typeof actual === "object" || typeof expected === "object") {
      return JSON.stringify(actual) === JSON.stringify(expected);
    }
    return actual === expected;
  }

  function pyStr(value) {
    if (value === true) return "True";
    if (value === false) return "False";
    return String(value);
  }

  function equals(actual, expected) {
    if (Array.isArray(actual)) {
      var other = Array.isArray(expected) ? expected : [expected];
      return JSON.stringify(actual.map(pyStr).sort()) === JSON.stringify(other.map(pyStr).sort());
    }
    return same(actual, expected);
  }

  function member(actual, options) {
    var list = Array.isArray(options) ? options : [options];
    var items = Array.isArray(actual) ? actual : [actual];
    return items.some(function (item) {
      return list.some(function (option) { return same(item, option); });
    });
  }

  function ordered(test, numeric) {
    return function (actual, expected) {
      var a, b;
      if (numeric) {
        a = toNumber(actual);
        b = toNumber(expected);
      } else {
        a = actual;
        b = expected;
        if (typeof a !== "string" || typeof b !== "string") return false;
      }
      if (a === null || b === null) return false;
      return test(a, b);
    };
  }

  var COMPARISONS = {
    equals: equals,
    not_equals: function (a, b) { return !equals(a, b); },
    in: member,
    not_in: function (a, b) { return !member(a, b); },
    greater_than: ordered(function (a, b) { return a > b; }, true),
    less_than: ordered(function (a, b) { return a < b; }, true),
    at_least: ordered(function (a, b) { return a >= b; }, true),
    at_most: ordered(function (a, b) { return a <= b; }, true),
    before: ordered(function (a, b) { return a < b; }, false),
    after: ordered(function (a, b) { return a > b; }, false),
    contains: function (actual, expected) {
      if (Array.isArray(actual)) return actual.some(function (item) { return same(item, expected); });
      if (typeof actual === "string" && typeof expected === "string") return actual.indexOf(expected) >= 0;
      return false;
    }
  };

  function operatorOf(condition) {
    for (var key in condition) {
      if (OPERATORS.indexOf(key) >= 0) return key;
    }
    throw new Error("condition sans opérateur");
  }

  function evaluate(condition, values) {
    if (condition === null || condition === undefined) return true;
    if (condition.all) return condition.all.every(function (c) { return evaluate(c, values); });
    if (condition.any) return condition.any.some(function (c) { return evaluate(c, values); });
    if (condition.not) return !evaluate(condition.not, values);
    if (condition.formula) return Portail.formulas.holds(condition.formula, values);  // static/js/formulas.js
    var operator = operatorOf(condition);
    var actual = values[condition.field];
    var expected = condition[operator];
    if (operator === "is_filled") return isMissing(actual) !== Boolean(expected);
    if (isFieldRef(expected)) {
      expected = values[expected.field];
      if (isMissing(expected)) return false;
    }
    if (isMissing(actual)) return false;
    return COMPARISONS[operator](actual, expected);
  }

  function referencedFields(condition, out) {
    out = out || [];
    if (!condition || typeof condition !== "object") return out;
    ["all", "any"].forEach(function (key) {
      (condition[key] || []).forEach(function (sub) { referencedFields(sub, out); });
    });
    if (condition.not) referencedFields(condition.not, out);
    if (condition.formula) Array.prototype.push.apply(out, Portail.formulas.references(condition.formula));
    if (typeof condition.field === "string") out.push(condition.field);
    OPERATORS.forEach(function (op) {
      if (isFieldRef(condition[op])) out.push(condition[op].field);
    });
    return out;
  }

  Portail.conditions = { evaluate: evaluate, isMissing: isMissing, referencedFields: referencedFields };

  /* ------------------------------------------------------------------ reading values
   * The same converted values as the server's answers (amounts "1234.50", yes/no as
   * booleans, tables as lists of rows); text that does not convert is kept as typed.
   * Which types are numbers or static blocks comes from the page (data-numeric,
   * data-static, data-number), written from runtime/spec/field_types.py. */

  function normaliseNumber(type, raw) {
    var text = raw.trim();
    if (!text) return null;
    var compact = text.replace(/[\s\u00a0\u202f€%]/g, "").replace(/,/g, ".");
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

  /* ------------------------------------------------------------------ computed values
   * Mirror of runtime/spec/computed.py (sum of a column, difference of two values; formulas are
   * evaluated by static/js/formulas.js). */
  function round6(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function compute(items, values) {
    var results = {};
    function valueOf(name, seen) {
      var item = items.filter(function (c) { return c.id === name; })[0];
      if (!item) return toNumber(values[name]);
      if (!(name in results)) {
        if (seen.indexOf(name) >= 0) return null;
        results[name] = evaluateOne(item, seen.concat([name]));
      }
      return results[name];
    }
    function evaluateOne(item, seen) {
      if (item.formula) {  // static/js/formulas.js: the server's AST, the server's arithmetic
        return Portail.formulas.number(item.formula, function (name) {
          return items.some(function (c) { return c.id === name; }) ? valueOf(name, seen) : values[name];
        });
      }
      if (item.sum) {
        var parts = item.sum.split(".");
        var rows = Array.isArray(values[parts[0]]) ? values[parts[0]] : [];
        return rows.reduce(function (total, row) {
          var amount = row && typeof row === "object" ? toNumber(row[parts[1]]) : null;
          return amount === null ? total : round6(total + amount);
        }, 0);
      }
      if (item.difference) {
        var a = valueOf(item.difference[0], seen), b = valueOf(item.difference[1], seen);
        return a === null || b === null ? null : round6(a - b);
      }
      return null;
    }
    items.forEach(function (item) { valueOf(item.id, []); });
    return results;
  }

  Portail.computed = { compute: compute };
  Portail.values = { normalise: scalar };

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

  /* ------------------------------------------------------------------ tables */
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

  /* ------------------------------------------------------------------ error summary
   * Focus the summary on load; a link focuses its field (or the first input of a group). */
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

  /* ------------------------------------------------------------------ autosave
   * A form with data-autosave-url is posted in the background every 30 s when it
   * changed, and when the page is hidden. The server answers {"saved_at": "HH:MM"}. */
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

  /* ------------------------------------------------------------------ start */
  function start() {
    inits.forEach(function (init) {
      try {
        init(document);
      } catch (error) {
        if (window.console) window.console.error(error); // one broken module never stops the others
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  /* Other modules register below with Portail.register(function (root) { ... }). */
})();

/* ------------------------------------------------------------------ accounts
 * Owner: accounts domain. Self-starting, because this deferred file runs after the
 * document is parsed: Portail.register above has already been called by then.
 * - Live password check: the rule of runtime/passwords.py (same numbers, from data-*,
 *   same French messages); the server checks again.
 * - Anti-robot proof of work (runtime/web/captcha.py, "altcha"): find the number whose
 *   SHA-256 with the salt matches, put it in the hidden field; the arithmetic question
 *   stays for whoever prefers to answer it. */
(function () {
  "use strict";

  var KINDS_MESSAGE = " des 4 types de caractères suivants : majuscule, minuscule, chiffre, caractère spécial.";

  function characterKinds(password) {
    var kinds = {};
    Array.from(password).forEach(function (ch) {
      if (/\p{Lu}|\p{Lt}/u.test(ch)) kinds.upper = true;
      else if (/\p{Ll}/u.test(ch)) kinds.lower = true;
      else if (/\p{Nd}/u.test(ch)) kinds.digit = true;
      else kinds.special = true;
    });
    return Object.keys(kinds).length;
  }

  function passwordError(password, input) {
    var min = Number(input.getAttribute("data-min-length"));
    var max = Number(input.getAttribute("data-max-length"));
    var minKinds = Number(input.getAttribute("data-min-kinds"));
    var length = Array.from(password).length;
    if (length < min) return "Le mot de passe doit contenir au moins " + min + " caractères.";
    if (length > max) return "Le mot de passe doit contenir au plus " + max + " caractères.";
    if (characterKinds(password) < minKinds) return "Le mot de passe doit contenir au moins " + minKinds + KINDS_MESSAGE;
    return null;
  }

  function initPasswordCheck(input) {
    var status = document.createElement("p");
    status.className = "govuk-body-s portail-password-check";
    status.id = input.id + "-check";
    status.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", status);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + status.id);
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (!input.value) {
          status.textContent = "";
          return;
        }
        var error = passwordError(input.value, input);
        status.textContent = error || "Le mot de passe respecte la règle.";
        status.classList.toggle("portail-password-check--ok", !error);
      }, 400);
    });
  }

  function toHex(buffer) {
    return Array.from(new Uint8Array(buffer)).map(function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  async function solveChallenge(challenge) {
    var encoder = new TextEncoder();
    for (var number = 0; number <= challenge.maxnumber; number += 1) {
      var digest = await window.crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + number));
      if (toHex(digest) === challenge.challenge) return number;
    }
    return null;
  }

  function initCaptcha(group) {
    if (!(window.crypto && window.crypto.subtle && window.TextEncoder)) return;
    var solution = group.querySelector("[data-captcha-solution]");
    var status = group.querySelector("[data-captcha-status]");
    var hint = group.querySelector(".portail-captcha__js-hint");
    if (hint) hint.hidden = false;
    status.textContent = "Vérification automatique en cours…";
    solveChallenge(JSON.parse(group.getAttribute("data-captcha"))).then(function (number) {
      if (number === null) {
        status.textContent = "La vérification automatique n'a pas abouti : répondez à la question.";
        return;
      }
      solution.value = String(number);
      // solved: the question (and its hint) is no longer asked; without JS it stays
      group.querySelectorAll("[data-captcha-question], .govuk-hint").forEach(function (el) { el.hidden = true; });
      status.textContent = "Vérification automatique réussie : vous n'avez rien à saisir.";
    }, function () {
      status.textContent = "La vérification automatique n'a pas abouti : répondez à la question.";
    });
  }

  function initAccounts(root) {
    root.querySelectorAll("input[data-password-policy]").forEach(initPasswordCheck);
    root.querySelectorAll("[data-captcha]").forEach(initCaptcha);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAccounts(document); });
  } else {
    initAccounts(document);
  }
})();

/* ------------------------------------------------------------------ SIRET look-up (Tiers domain)
 * On a page holding #siret-lookup-config (templates/tiers/_siret_lookup.html, rendered only when
 * the company-directory look-up is configured), ask the portal what the directory says of the
 * SIRET typed in the input named "siret" (or of the element's data-siret on a later step), then
 * fill the raison sociale and address inputs that are still empty and say so in the live region.
 * What the applicant typed is never overwritten; any failure leaves manual entry as it was. */
(function () {
  "use strict";

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

  // A job in progress (export, index rebuild): follow the "Actualiser" link by itself every 2 s.
  function initJobRefresh(root) {
    var link = root.querySelector("a[data-job-refresh]");
    if (link) window.setTimeout(function () { window.location.assign(link.href); }, 2000);
  }

  function initLate(root) {
    initSiretLookup(root);
    initJobRefresh(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initLate(document); });
  } else {
    initLate(document);
  }
})();

/* ------------------------------------------------------------------ ready
 * Last of this file: every module above has run (conditions, computed values and formulas
 * applied, tables, error summary, password check...). data-portail-ready on <html> says so,
 * for whoever must know that the page is in its scripted state (the browser tests wait for it
 * after each navigation instead of guessing with a delay). */
(function () {
  "use strict";

  function ready() {
    document.documentElement.setAttribute("data-portail-ready", "");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
