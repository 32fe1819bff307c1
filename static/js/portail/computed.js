/* Computed values: mirror of runtime/spec/computed.py (sum of a column, difference of two values;
 * formulas are evaluated by static/js/formulas.js, loaded before). Published as
 * Portail.computed {compute(items, values)}; checked with tests/forms/parity_corpus.json. */
(function () {
  "use strict";

  var Portail = window.Portail;
  var toNumber = Portail.conditions.toNumber;

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
})();
