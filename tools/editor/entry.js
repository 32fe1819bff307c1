// Entry of the vendored CodeMirror bundle (static/vendor/codemirror.js): the pieces the staff
// editor (static/js/editor.js) uses, exposed as window.PortailCodeMirror.
export { EditorState } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
export { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
export { yaml } from "@codemirror/lang-yaml";
export { syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching } from "@codemirror/language";
export { linter, lintGutter, forceLinting, setDiagnostics } from "@codemirror/lint";
export { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
export { autocompletion, completionKeymap, startCompletion, closeCompletion, currentCompletions, completionStatus } from "@codemirror/autocomplete";
