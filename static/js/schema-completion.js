/* Completion of the téléservice editor from the spec JSON Schema (the lint's own schema, served by
   the app at the editor's data-schema-url: field types, kinds, widgets..., shared list ids and
   pre-fill sources as "examples"). The YAML path at the cursor is read from indentation, line by
   line (the spec language forbids anchors, tabs and multi-document files, so indentation is the
   structure). Exposed as window.PortailSchemaCompletion:
   - keysAndValues(schema, linesAbove, before) → {keys: [...], values: [...]} (pure, tested in Chromium);
   - source(schema) → a CodeMirror completion source (static/js/editor.js adds it). */
(function () {
  "use strict";
  var KEY = /^([A-Za-z_][\w-]*)[ \t]*:(?=[ \t]|$)/;

  function describe(line) {
    var match = /^( *)(- *)?(.*)$/.exec(line);
    var rest = match[3];
    var item = match[2] !== undefined;
    var key = KEY.exec(rest);
    return {
      indent: match[1].length,
      item: item,
      keyCol: match[1].length + (item ? match[2].length : 0),
      key: key ? key[1] : null,
      blank: !item && (rest.trim() === "" || rest.trim().charAt(0) === "#")
    };
  }

  /* The path (keys, and "[]" for an array item) of the mapping whose keys start at ``column``,
     read upwards from the lines above the cursor's. */
  function pathAbove(lines, column) {
    var path = [];
    var c = column;
    var inItem = false; // went up to an item's dash: its array's key may sit at the dash's column
    for (var r = lines.length - 1; r >= 0 && (c > 0 || inItem); r--) {
      var d = describe(lines[r]);
      if (d.blank || d.indent > c) continue;
      if (d.indent === c) { // a sibling, an earlier item of the same array, or the array's key
        if (inItem && !d.item && d.key !== null) {
          path.unshift(d.key);
          inItem = false;
        }
        continue;
      }
      if (d.item && d.keyCol === c) { // the dash that opens the mapping we are in
        path.unshift("[]");
      } else if (d.key !== null && d.keyCol < c) {
        path.unshift(d.key);
        if (d.item) path.unshift("[]");
      } else if (d.item) {
        path.unshift("[]");
      } else {
        continue;
      }
      inItem = d.item;
      c = d.indent;
    }
    return path;
  }

  function resolve(root, node) {
    var seen = 0;
    while (node && typeof node.$ref === "string" && seen++ < 20) {
      var target = root;
      node.$ref.replace(/^#\//, "").split("/").forEach(function (part) { target = target && target[part]; });
      node = target;
    }
    return node || {};
  }

  /* A schema node and every branch it may take (anyOf, oneOf, allOf, if/then/else). */
  function branches(root, node, out) {
    node = resolve(root, node);
    out = out || [];
    if (out.indexOf(node) >= 0) return out;
    out.push(node);
    ["anyOf", "oneOf", "allOf"].forEach(function (word) {
      (node[word] || []).forEach(function (branch) { branches(root, branch, out); });
    });
    ["then", "else"].forEach(function (word) { if (node[word]) branches(root, node[word], out); });
    return out;
  }

  function at(root, path) {
    var nodes = branches(root, root);
    path.forEach(function (segment) {
      var next = [];
      nodes.forEach(function (node) {
        var child = segment === "[]" ? node.items : (node.properties || {})[segment];
        if (child && typeof child === "object") branches(root, child, next);
      });
      nodes = next;
    });
    return nodes;
  }

  function keysOf(nodes) {
    var keys = {};
    nodes.forEach(function (node) {
      Object.keys(node.properties || {}).forEach(function (name) {
        if (!keys[name]) keys[name] = node.properties[name].description || "";
      });
    });
    return Object.keys(keys).map(function (name) { return { label: name, info: keys[name] }; });
  }

  function valuesOf(root, nodes) {
    var values = [];
    function add(value) {
      var label = String(value);
      if (values.indexOf(label) < 0) values.push(label);
    }
    nodes.forEach(function (node) {
      (node.enum || []).forEach(add);
      if (node.const !== undefined) add(node.const);
      (node.examples || []).forEach(add);
      if (node.type === "boolean") { add("true"); add("false"); }
    });
    return values;
  }

  /* What may be written at the end of ``before`` (the cursor's line up to the cursor), below ``linesAbove``. */
  function keysAndValues(schema, linesAbove, before) {
    var d = describe(before);
    if (d.key !== null) {
      var valuePath = (d.item ? pathAbove(linesAbove, d.indent).concat(["[]"]) : pathAbove(linesAbove, d.keyCol))
        .concat([d.key]);
      var nodes = at(schema, valuePath);
      if (/\[[^\]]*$/.test(before.slice(before.indexOf(":") + 1))) nodes = at(schema, valuePath.concat(["[]"]));
      return { keys: [], values: valuesOf(schema, nodes) };
    }
    if (d.item) {
      var items = at(schema, pathAbove(linesAbove, d.indent).concat(["[]"]));
      return { keys: keysOf(items), values: valuesOf(schema, items) };
    }
    var written = siblingsAbove(linesAbove, d.keyCol);
    var keys = keysOf(at(schema, pathAbove(linesAbove, d.keyCol))).filter(function (key) {
      return written.indexOf(key.label) < 0;
    });
    return { keys: keys, values: [] };
  }

  /* The keys already written above the cursor in the mapping whose keys start at ``column``. */
  function siblingsAbove(lines, column) {
    var keys = [];
    for (var r = lines.length - 1; r >= 0; r--) {
      var d = describe(lines[r]);
      if (d.blank || d.keyCol > column) continue;
      if (d.keyCol < column) break;
      if (d.key !== null) keys.push(d.key);
      if (d.item) break;
    }
    return keys;
  }

  /* A CodeMirror completion source: keys (written with their « : ») and values, with the
     schema's French description as the option's information. */
  function source(schema) {
    return function (context) {
      var line = context.state.doc.lineAt(context.pos);
      var before = line.text.slice(0, context.pos - line.from);
      if (/^\s*#/.test(before)) return null;
      var word = context.matchBefore(/[\w.-]*$/);
      if (!context.explicit && (!word || word.from === word.to)) return null;
      var lines = [];
      for (var n = 1; n < line.number; n++) lines.push(context.state.doc.line(n).text);
      var found = keysAndValues(schema, lines, before.slice(0, word.from - line.from));
      var options = found.keys.map(function (key) {
        return { label: key.label, apply: key.label + ": ", type: "property", info: key.info || undefined };
      }).concat(found.values.map(function (value) {
        return { label: value, type: "enum" };
      }));
      if (!options.length) return null;
      return { from: word.from, options: options, validFor: /^[\w.-]*$/ };
    };
  }

  window.PortailSchemaCompletion = { keysAndValues: keysAndValues, source: source };
})();
