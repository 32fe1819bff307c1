/* Accounts (owner: accounts domain).
 * - Live password check: the rule of runtime/passwords.py (same numbers, from data-*,
 *   same French messages); the server checks again.
 * - Anti-robot proof of work (runtime/captcha.py, "altcha"): find the number whose
 *   SHA-256 with the salt matches, put it in the hidden field; the arithmetic question
 *   stays for whoever prefers to answer it. */
(function () {
  "use strict";

  var Portail = window.Portail;

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

  Portail.register(initAccounts);
})();
