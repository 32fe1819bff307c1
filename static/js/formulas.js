/* Formulas in the browser: evaluates the SAME AST as runtime/spec/formulas.py (serialised by the
 * server into the page), with the same fixed-point decimal arithmetic: numbers are BigInt counts of
 * 10^-10, products and quotients rounded half away from zero, additions exact. No float, no eval.
 * Loaded before static/js/portail/*.js, whose computed.js and conditions call Portail.formulas for computed values and conditions.
 * tests/formulas_corpus.json runs here (tests/browser/test_browser_formulas.py) and in pytest. */
(function () {
  "use strict";

  var PLACES = 10;
  var MAX_DIGITS = 30;  // numbers of 10^30 and more are refused, as by the server
  var SCALE = BigInt("1" + "0".repeat(PLACES));
  var ZERO = BigInt(0), ONE = BigInt(1), TWO = BigInt(2), HUNDRED = BigInt(100);

  function abs(n) { return n < ZERO ? -n : n; }

  // n / d rounded half away from zero (both BigInt, d != 0)
  function roundDiv(n, d) {
    var negative = (n < ZERO) !== (d < ZERO);
    var a = abs(n), b = abs(d);
    var q = a / b, r = a % b;
    if (r * TWO >= b) q += ONE;
    return negative ? -q : q;
  }

  function pow10(k) { return BigInt("1" + "0".repeat(k)); }

  // Decimal text -> scaled BigInt (rounded to PLACES), or null
  function parseDecimal(text) {
    var m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!m || (m[2] + (m[3] || "")) === "") return null;
    var digits = ((m[2] || "") + (m[3] || "")).replace(/^0+/, "");
    if (!digits) return ZERO;
    var exponent = (m[4] ? parseInt(m[4], 10) : 0) - (m[3] || "").length;
    if (!isFinite(exponent) || digits.length - 1 + exponent >= MAX_DIGITS) return null;
    exponent += PLACES;
    if (-exponent > digits.length + 1) return ZERO;  // below half of 10^-PLACES
    var n = BigInt(digits);
    n = exponent >= 0 ? n * pow10(exponent) : roundDiv(n, pow10(-exponent));
    return m[1] === "-" ? -n : n;
  }

  function toNumber(value) {
    if (value === null || value === undefined || typeof value === "boolean") return null;
    if (typeof value === "bigint") return value;
    if (typeof value === "number") return isFinite(value) ? parseDecimal(String(value)) : null;
    if (typeof value === "string") {
      var text = value.trim().replace(/[\u00a0\u202f ]/g, "").replace(/,/g, ".");
      return text ? parseDecimal(text) : null;
    }
    return null;
  }

  function toDate(value) {
    if (typeof value !== "string") return null;
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
    if (!m) return null;
    var time = Date.UTC(+m[1], +m[2] - 1, +m[3]);
    var check = new Date(time);
    if (check.getUTCFullYear() !== +m[1] || check.getUTCMonth() !== +m[2] - 1 || check.getUTCDate() !== +m[3]) {
      return null;
    }
    return time;
  }

  function isMissing(value) {
    if (value === null || value === undefined) return true;
    if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
    return typeof value === "object" && Object.keys(value).length === 0;
  }

  function reference(raw) {
    if (isMissing(raw)) return null;
    if (typeof raw === "number") return toNumber(raw);
    return raw;
  }

  /* The shortest decimal text of a scaled BigInt: "12.5", "-3", "0". */
  function canonical(value) {
    if (typeof value !== "bigint") return value === undefined ? null : value;
    var negative = value < ZERO, a = abs(value);
    var whole = (a / SCALE).toString(), fraction = (a % SCALE).toString().padStart(PLACES, "0").replace(/0+$/, "");
    var text = whole + (fraction ? "." + fraction : "");
    return negative && text !== "0" ? "-" + text : text;
  }

  function compare(op, left, right) {
    if (left === null || right === null) return false;
    var a, b;
    if (typeof left === "boolean" || typeof right === "boolean") {
      if (typeof left !== "boolean" || typeof right !== "boolean") return false;
      a = left; b = right;
      if (op === "=") return a === b;
      if (op === "<>") return a !== b;
      return false;
    }
    if (typeof left === "bigint" || typeof right === "bigint") {
      a = toNumber(left); b = toNumber(right);
      if (a === null || b === null) return false;
    } else {
      a = String(left); b = String(right);
    }
    switch (op) {
      case "=": return a === b;
      case "<>": return a !== b;
      case "<": return a < b;
      case "<=": return a <= b;
      case ">": return a > b;
      case ">=": return a >= b;
    }
    return false;
  }

  function Evaluator(lookup, row, table) {
    this.lookup = lookup;
    this.row = row || null;
    this.table = table || null;
  }

  Evaluator.prototype.value = function (node) {
    if ("n" in node) return toNumber(node.n);
    if ("s" in node) return node.s;
    if ("b" in node) return node.b;
    if ("ref" in node) return reference(this.lookup(node.ref));
    if ("col" in node) {
      if (this.row !== null && node.col[0] === this.table) return reference(this.row[node.col[1]]);
      return null;
    }
    if ("fn" in node) return this["fn_" + node.fn](node.a);
    return this.operation(node.op, node.a);
  };

  Evaluator.prototype.number = function (node) {
    var value = this.value(node);
    if (typeof value === "bigint") return value;
    return typeof value === "string" ? toNumber(value) : null;
  };

  Evaluator.prototype.operation = function (op, args) {
    var self = this;
    if (op === "and" || op === "or") {
      var left = this.value(args[0]) === true, right = this.value(args[1]) === true;
      return op === "and" ? left && right : left || right;
    }
    if (op === "not") return !(this.value(args[0]) === true);
    if (["=", "<>", "<", "<=", ">", ">="].indexOf(op) >= 0) {
      return compare(op, this.value(args[0]), this.value(args[1]));
    }
    var numbers = args.map(function (a) { return self.number(a); });
    if (numbers.some(function (n) { return n === null; })) return null;
    var a = numbers[0], b = numbers[1];
    switch (op) {
      case "neg": return -a;
      case "%": return roundDiv(a, HUNDRED);
      case "+": return a + b;
      case "-": return a - b;
      case "*": return roundDiv(a * b, SCALE);
      case "/": return b === ZERO ? null : roundDiv(a * SCALE, b);
    }
    return null;
  };

  Evaluator.prototype.extreme = function (args, pickFirst) {
    var self = this;
    var values = args.map(function (a) { return self.value(a); });
    if (values.some(function (v) { return v === null; })) return null;
    if (values.every(function (v) { return typeof v === "bigint"; })) {
      return values.reduce(function (best, v) { return pickFirst(v, best) ? v : best; });
    }
    if (values.every(function (v) { return toDate(v) !== null; })) {
      return values.reduce(function (best, v) { return pickFirst(toDate(v), toDate(best)) ? v : best; });
    }
    return null;
  };

  Evaluator.prototype.fn_min = function (args) { return this.extreme(args, function (a, b) { return a < b; }); };
  Evaluator.prototype.fn_max = function (args) { return this.extreme(args, function (a, b) { return a > b; }); };

  Evaluator.prototype.fn_round = function (args) {
    var value = this.number(args[0]);
    var places = args.length > 1 ? this.number(args[1]) : ZERO;
    if (value === null || places === null) return null;
    var factor = pow10(PLACES - Number(places / SCALE));
    return roundDiv(value, factor) * factor;
  };

  Evaluator.prototype.fn_sum = function (args) {
    var table = args[0].col[0], column = args[0].col[1];
    var rows = this.lookup(table), total = ZERO, self = this;
    (Array.isArray(rows) ? rows : []).forEach(function (row) {
      if (!row || typeof row !== "object") return;
      if (args.length > 1 && new Evaluator(self.lookup, row, table).value(args[1]) !== true) return;
      var amount = toNumber(row[column]);
      if (amount !== null) total += amount;
    });
    return total;
  };

  Evaluator.prototype.fn_days = function (args) {
    var start = toDate(this.value(args[0])), end = toDate(this.value(args[1]));
    if (start === null || end === null) return null;
    return BigInt(Math.round((end - start) / 86400000)) * SCALE;
  };

  Evaluator.prototype.fn_date = function (args) {
    var value = this.value(args[0]);
    return toDate(value) === null ? null : value.trim();
  };

  function lookupOf(values) {
    if (typeof values === "function") return values;
    return function (name) { return values ? values[name] : undefined; };
  }

  function evaluate(ast, values) {
    return new Evaluator(lookupOf(values)).value(ast);
  }

  function references(node, out) {
    out = out || [];
    if (!node || typeof node !== "object") return out;
    var name = node.ref || (node.col ? node.col[0] : null);
    if (name && out.indexOf(name) < 0) out.push(name);
    (node.a || []).forEach(function (child) { references(child, out); });
    return out;
  }

  var Portail = (window.Portail = window.Portail || {});
  Portail.formulas = {
    /* Any result as the shared corpus writes it (numbers as text, true/false, text, null). */
    evaluate: function (ast, values) { return canonical(evaluate(ast, values)); },
    /* A computed value for static/js/portail/computed.js: a JS number (for display only) or null. */
    number: function (ast, values) {
      var result = evaluate(ast, values);
      return typeof result === "bigint" ? Number(canonical(result)) : null;
    },
    holds: function (ast, values) { return evaluate(ast, values) === true; },
    references: function (ast) { return references(ast, []); }
  };
})();
