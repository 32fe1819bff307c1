// ESLint (flat config) for static/js: run by tests/test_code_quality.py (npm ci, then eslint).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      "no-var": "off",
      strict: ["error", "function"],
      eqeqeq: ["error", "always"],
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { caughtErrors: "none" }],
    },
  },
  {
    // The modules of static/js/portail/ (classic scripts on one namespace, see core.js): each
    // registers its init with Portail.register; only start.js waits for the document.
    files: ["static/js/portail/*.js"],
    ignores: ["static/js/portail/start.js"],
    rules: {
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.property.name='addEventListener'][arguments.0.value='DOMContentLoaded']",
        message: "Register an init with Portail.register(fn): start.js runs every init once the page is parsed.",
      }, {
        selector: "AssignmentExpression[left.object.name='window'][left.property.name='Portail']",
        message: "Only core.js creates window.Portail; a module reads it (var Portail = window.Portail).",
      }],
    },
  },
  {
    files: ["static/js/portail/core.js"],
    rules: { "no-restricted-syntax": "off" },
  },
];
