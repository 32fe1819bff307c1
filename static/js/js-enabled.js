/* Portail des subventions: loaded in <head> without defer, so it runs before the page is first
 * drawn. It marks the page as scripted (class "js" instead of "no-js") for the style sheet's
 * ".js" rules: what static/js/portail/ manages (a conditional question that is not asked, the notes
 * written for pages seen without JavaScript) is then right from the first paint, not only once
 * the deferred scripts have run. If this file does not load, the page stays the no-JavaScript
 * one, which works. No inline script: the CSP forbids it. */
document.documentElement.classList.remove("no-js");
document.documentElement.classList.add("js");
