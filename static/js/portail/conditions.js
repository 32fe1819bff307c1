/* Conditions: mirror of runtime/spec/conditions.py (same operators, same meaning), published as
 * Portail.conditions {evaluate, isMissing, referencedFields, toNumber}. A missing value (absent,
 * null, empty text, list or object) makes every comparison false; only is_filled looks at
 * emptiness itself. Checked against the server with tests/forms/parity_corpus.json. */
(function () {
  "use strict";

  var Portail = window.Portail;

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


  Portail.conditions = { evaluate: evaluate, isMissing: isMissing, referencedFields: referencedFields,
    toNumber: toNumber };
})();
