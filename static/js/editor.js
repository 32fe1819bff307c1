/* Téléservice editor (templates/staff/editor.html): turns the YAML <textarea> into CodeMirror 6
   (static/vendor/codemirror.js, built by tools/editor/) with lint markers placed at the line and
   column the server's lint gives (a debounced POST of the text to data-lint-url, CSRF token in the
   X-CSRFToken header), and completion of keys and values from the spec JSON Schema
   (static/js/schema-completion.js, schema read from data-schema-url; Ctrl+Espace opens it,
   Entrée accepts, Échap closes). Without JavaScript the textarea and « Vérifier » do the same job.
   Keyboard: Tab indents inside the editor; Escape then Tab (or Shift+Tab) leaves it. */
(function () {
  "use strict";
  var DELAY = 600; // ms of quiet typing before the text is checked

  function init() {
    var CM = window.PortailCodeMirror;
    var textarea = document.getElementById("yaml");
    if (!CM || !textarea || !textarea.form) return;
    var form = textarea.form;
    var token = form.querySelector("input[name=csrf_token]");
    var lintUrl = textarea.getAttribute("data-lint-url");
    var schema = null; // the spec JSON Schema, once fetched: completion waits for it
    var completeFromSchema = null;
    if (window.PortailSchemaCompletion && textarea.getAttribute("data-schema-url")) {
      fetch(textarea.getAttribute("data-schema-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          schema = data;
          if (data) completeFromSchema = window.PortailSchemaCompletion.source(data);
        })
        .catch(function () { schema = null; });
    }

    function completion(context) {
      return schema && completeFromSchema ? completeFromSchema(context) : null;
    }

    function position(doc, line, column) {
      var number = Math.min(Math.max(line || 1, 1), doc.lines);
      var row = doc.line(number);
      return Math.min(row.from + Math.max((column || 1) - 1, 0), row.to);
    }

    // The marker covers the faulty token (a name, a key, a value), else the rest of the line.
    function tokenEnd(doc, from) {
      var line = doc.lineAt(from);
      var word = /^[\p{L}\p{N}_.-]+/u.exec(line.text.slice(from - line.from));
      var to = word ? from + word[0].length : line.to;
      return to > from ? to : Math.min(from + 1, doc.length);
    }

    function serverLint(view) {
      var body = new FormData();
      body.append("yaml", view.state.doc.toString());
      return fetch(lintUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (data) {
        var doc = view.state.doc;
        return (data.errors || []).map(function (error) {
          var from = position(doc, error.line, error.column);
          var to = tokenEnd(doc, from);
          return {
            from: from,
            to: to,
            severity: "error",
            message: "Ligne " + error.line + ", colonne " + error.column + " : " + error.message
          };
        });
      }).catch(function () {
        return [{ from: 0, to: 0, severity: "warning",
                  message: "La vérification n'a pas pu être faite (connexion ?) : utilisez le bouton « Vérifier »." }];
      });
    }

    var holder = document.createElement("div");
    holder.className = "portail-editor";
    textarea.parentNode.insertBefore(holder, textarea.nextSibling);
    var view = new CM.EditorView({
      parent: holder,
      state: CM.EditorState.create({
        doc: textarea.value,
        extensions: [
          CM.lineNumbers(),
          CM.EditorView.lineWrapping, // long lines wrap: no horizontal scrolling, even beside the preview
          CM.history(),
          CM.drawSelection(),
          CM.highlightActiveLine(),
          CM.indentOnInput(),
          CM.bracketMatching(),
          CM.highlightSelectionMatches(),
          CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
          CM.EditorView.cspNonce.of(textarea.getAttribute("data-style-nonce") || ""),
          CM.yaml(),
          CM.lintGutter(),
          CM.autocompletion({ override: [completion], icons: false }),
          CM.linter(serverLint, { delay: DELAY }),
          CM.keymap.of([].concat(CM.defaultKeymap, CM.historyKeymap, CM.searchKeymap, [CM.indentWithTab])),
          CM.EditorView.contentAttributes.of({
            "aria-label": "Texte YAML du téléservice",
            "aria-describedby": "yaml-hint"
          }),
          CM.EditorView.updateListener.of(function (update) {
            if (update.docChanged) textarea.value = update.state.doc.toString();
          })
        ]
      })
    });
    textarea.hidden = true;
    // The label and the error summary's links lead into the editor, at the error's place.
    var label = document.querySelector("label[for=yaml]");
    if (label) label.addEventListener("click", function () { view.focus(); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-lint-errors] a[data-line]"), function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var at = position(view.state.doc, +link.getAttribute("data-line"), +link.getAttribute("data-column"));
        view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
        view.focus();
      });
    });
    form.addEventListener("submit", function () { textarea.value = view.state.doc.toString(); });
    // The preview's step forms carry the text being edited: never lose what was typed.
    Array.prototype.forEach.call(document.querySelectorAll("input[data-draft-text]"), function (input) {
      if (input.form) input.form.addEventListener("submit", function () { input.value = view.state.doc.toString(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
