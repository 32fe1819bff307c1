"""What the form templates need from Python, registered as the Jinja global
``portail_forms`` (see ``init_app``)."""
from __future__ import annotations

import copy
import functools
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import BytecodeCache, TemplateNotFound, nodes
from jinja2.bccache import Bucket
from jinja2.compiler import has_safe_repr
from jinja2.runtime import markup_join, str_join
from markupsafe import Markup

from ..formatting import paragraphs, quote
from ..spec.errors import Error, messages_by_path, summary_errors
from ..spec.model import Field, Page, Spec
from .code_folder import CodeFolder
from .registry import FieldType, computed_text, field_type
from .uploads import accept_attribute

log = logging.getLogger("portail.forms")


def anchor(path: str) -> str:
    """The HTML id an error path links to: ``depenses/2/montant`` → ``depenses-2-montant``."""
    return path.replace("/", "-")


class BlankCell:
    """Stands for a bound cell in the row template the browser clones."""

    def __init__(self, name: str):
        self.id = self.name = name

    def _value(self) -> str:
        return ""


WRAPPER = (
    '<div class="portail-field" id="champ-{{ f.id }}" data-field="{{ f.id }}" data-type="{{ f.type }}"'
    '{%- if portail_forms.ftype(f.type).kind.numeric %} data-numeric="true"{% endif %}'
    '{%- if portail_forms.ftype(f.type).static %} data-static="true"{% endif %}'
    "{%- if f.when %} data-when='{{ f.when|tojson }}'{% endif %}{% if f.id in hidden_ids %} hidden{% elif f.id in unasked_ids %} data-unasked{% endif %}>"
    '{%- if f.when %}{% set note = portail_forms.condition_note(spec, page, f) %}'
    '{% if note %}<p class="govuk-inset-text portail-nojs-only">{{ note }}</p>{% endif %}{% endif %}'
)
# the variables of fields/_input.html, reset before each field (one set each: the
# compiler drops those a field never reads)
INPUT_DEFAULTS = ('{% set kind = "text" %}{% set mode = none %}{% set suffix = none %}{% set width = none %}'
                  '{% set extra_hint = "" %}{% set spellcheck = none %}')
INCLUDE = re.compile(r'{%-?\s*include\s+"([\w/.-]+)"\s*-?%}')
LOCKED_NOTE = '<p class="govuk-hint">Information reprise de votre profil : elle ne peut pas être modifiée ici.</p>'


class Folder:
    """Evaluates, when a page is compiled, what depends only on the spec.

    The inlined page is parsed into Jinja's syntax tree; each expression that reads
    only known values (``fields``, ``page``, ``spec``, ``f``, the ``{% set %}``s of
    the field templates, field type attributes, the pure helpers below) is replaced
    by its value, which Jinja then writes as literal text; an ``{% if %}`` whose
    test is known keeps only the branch taken; the ``{% set %}``s and the import no
    longer read are dropped. A render then evaluates only what depends on the form,
    the errors and the answers; the output is the same as without folding.
    """

    #: FormsHelper methods and field type methods whose result depends only on their arguments
    HELPERS = frozenset({"condition_note", "depends_on_page", "ftype", "choice_pairs"})
    TYPE_METHODS = frozenset({"text", "accept", "accept_text", "max_rows"})
    #: expressions Jinja evaluates itself once their operands are constants
    JINJA_CONST = (nodes.Compare, nodes.Test, nodes.Filter, nodes.BinExpr, nodes.UnaryExpr, nodes.Tuple,
                   nodes.List, nodes.Dict)

    def __init__(self, env):
        self.env = env
        self.eval_ctx = nodes.EvalContext(env)

    def fold(self, tree: nodes.Template, known: dict[str, Any]) -> nodes.Template:
        tree.body = self._body(tree.body, dict(known))
        if not self._sees_context(tree):
            tree.body = self._drop_unread(tree.body)
        tree.set_environment(self.env)
        return tree

    # --- statements -------------------------------------------------------------

    def _body(self, body: list, known: dict) -> list:
        out: list = []
        for node in body:
            for folded in self._statement(node, known):
                if isinstance(folded, nodes.Output) and out and isinstance(out[-1], nodes.Output):
                    out[-1].nodes.extend(folded.nodes)  # one run of output, fewer yields
                else:
                    out.append(folded)
        return out

    def _statement(self, node, known: dict) -> list:
        if isinstance(node, nodes.Output):
            node.nodes = [n if isinstance(n, nodes.TemplateData) else self._expr(n, known) for n in node.nodes]
            return [node]
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            node.node = self._expr(node.node, known)
            ok, value = self._try(node.node, known)
            if ok:
                known[node.target.name] = value
            else:
                known.pop(node.target.name, None)
            return [node]
        if isinstance(node, nodes.If):
            node.test = self._expr(node.test, known)
            ok, taken = self._try(node.test, known, truth=True)
            if ok and taken:
                return self._body(node.body, known)
            if ok:
                if node.elif_:
                    first, rest = node.elif_[0], node.elif_[1:]
                    return self._statement(nodes.If(first.test, first.body, rest, node.else_, lineno=first.lineno),
                                           known)
                return self._body(node.else_, known)
            node.body = self._body(node.body, dict(known))
            for branch in node.elif_:
                branch.test = self._expr(branch.test, known)
                branch.body = self._body(branch.body, dict(known))
            node.else_ = self._body(node.else_, dict(known))
        elif isinstance(node, nodes.For):
            node.iter = self._expr(node.iter, known)
            inner = {k: v for k, v in known.items() if k not in self._stored(node) and k != "loop"}
            if node.test is not None:
                node.test = self._expr(node.test, dict(inner))
            node.body = self._body(node.body, dict(inner))
            node.else_ = self._body(node.else_, dict(inner))
        for name in self._stored(node):  # assigned in a branch, a loop or a block: no longer known
            known.pop(name, None)
        return [node]

    @staticmethod
    def _stored(node) -> set[str]:
        names = {n.name for n in node.find_all(nodes.Name) if n.ctx in ("store", "param")}
        if isinstance(node, nodes.Name) and node.ctx == "store":
            names.add(node.name)
        for sub in [node, *node.find_all((nodes.Import, nodes.FromImport, nodes.Macro))]:
            if isinstance(sub, nodes.Import):
                names.add(sub.target)
            elif isinstance(sub, nodes.FromImport):
                names.update(n if isinstance(n, str) else n[1] for n in sub.names)
            elif isinstance(sub, nodes.Macro):
                names.add(sub.name)
        return names

    @staticmethod
    def _sees_context(tree) -> bool:
        """Whether something reads the template's variables other than by name."""
        return any(isinstance(n, (nodes.Include, nodes.Extends, nodes.Block))
                   or (isinstance(n, (nodes.Import, nodes.FromImport)) and n.with_context)
                   for n in tree.find_all((nodes.Include, nodes.Extends, nodes.Block, nodes.Import,
                                           nodes.FromImport)))

    def _drop_unread(self, body: list) -> list:
        """Top-level ``{% set %}``s (without calls) and imports whose name is not read afterwards."""
        live: set[str] = set()
        kept = []
        for node in reversed(body):
            target = None
            if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
                target = node.target.name
                pure = not isinstance(node.node, (nodes.Call, nodes.Filter)) and not any(
                    node.node.find_all((nodes.Call, nodes.Filter)))
            elif isinstance(node, nodes.Import):
                target, pure = node.target, True
            if target is not None:
                if pure and target not in live:
                    continue
                live.discard(target)
            live.update(n.name for n in node.find_all(nodes.Name) if n.ctx == "load")
            kept.append(node)
        kept.reverse()
        return kept

    # --- expressions ------------------------------------------------------------

    def _expr(self, node, known: dict):
        """``node`` with its known parts replaced by constants."""
        if isinstance(node, (nodes.Const, nodes.TemplateData)):
            return node
        ok, value = self._try(node, known)
        if ok and has_safe_repr(value):
            return nodes.Const(value, lineno=node.lineno)
        for field, child in node.iter_fields():
            if isinstance(child, nodes.Expr):
                setattr(node, field, self._expr(child, known))
            elif isinstance(child, nodes.Helper):
                self._expr(child, known)
            elif isinstance(child, list):
                setattr(node, field, [self._expr(c, known) if isinstance(c, (nodes.Expr, nodes.Helper)) else c
                                      for c in child])
        return node

    def _try(self, node, known: dict, truth: bool = False) -> tuple[bool, Any]:
        """``(True, value)`` (or its truth) if ``node`` can be evaluated now, else ``(False, None)``."""
        try:
            value = self._value(node, known)
            return True, bool(value) if truth else value
        except Exception:  # noqa: BLE001 - unknown, impure or failing: left to the render, as before
            return False, None

    def _value(self, node, known: dict) -> Any:
        """The value of ``node`` from known values only, else an exception."""
        if isinstance(node, nodes.Const):
            return node.value
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name in known:
                return known[node.name]
            raise nodes.Impossible()
        if isinstance(node, nodes.Getattr):
            return self.env.getattr(self._value(node.node, known), node.attr)
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Slice):
            return self.env.getitem(self._value(node.node, known), self._value(node.arg, known))
        if isinstance(node, nodes.And):
            left = self._value(node.left, known)
            return self._value(node.right, known) if left else left
        if isinstance(node, nodes.Or):
            left = self._value(node.left, known)
            return left if left else self._value(node.right, known)
        if isinstance(node, nodes.Not):
            return not self._value(node.node, known)
        if isinstance(node, nodes.CondExpr):
            if self._value(node.test, known):
                return self._value(node.expr1, known)
            if node.expr2 is None:
                raise nodes.Impossible()
            return self._value(node.expr2, known)
        if isinstance(node, nodes.Concat):
            parts = [self._value(n, known) for n in node.nodes]
            return (markup_join if self.eval_ctx.autoescape else str_join)(parts)
        if isinstance(node, nodes.Call):
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                raise nodes.Impossible()
            func = self._value(node.node, known)
            owner, name = getattr(func, "__self__", None), getattr(func, "__name__", "")
            if not ((isinstance(owner, FormsHelper) and name in self.HELPERS)
                    or (isinstance(owner, FieldType) and name in self.TYPE_METHODS)
                    or func is anchor or func is accept_attribute):
                raise nodes.Impossible()
            return func(*[self._value(a, known) for a in node.args],
                        **{k.key: self._value(k.value, known) for k in node.kwargs})
        if isinstance(node, self.JINJA_CONST):
            return self._constants(node, known).as_const(self.eval_ctx)
        raise nodes.Impossible()

    def _constants(self, node, known: dict):
        """A copy of ``node`` whose operands are constants holding their values."""
        node = copy.copy(node)
        for field, child in node.iter_fields():
            if isinstance(child, nodes.Expr):
                setattr(node, field, nodes.Const(self._value(child, known)))
            elif isinstance(child, nodes.Helper):
                setattr(node, field, self._constants(child, known))
            elif isinstance(child, list):
                setattr(node, field, [nodes.Const(self._value(c, known)) if isinstance(c, nodes.Expr)
                                      else self._constants(c, known) if isinstance(c, nodes.Helper) else c
                                      for c in child])
        return node


class SharedCode(BytecodeCache):
    """The compiled code of templates, shared by every Jinja environment of the process.

    Each app has its own environment, which compiles every template it renders once;
    a process building many apps (the test suite builds one per test) would compile
    ``base.html`` and the macros hundreds of times. Jinja's bytecode cache, kept in
    memory: an entry is reused only by an environment with the same compile options
    and for the same source text (an edited template is compiled again). An app's
    environment also keeps its code on disk (``keep_on_disk``, ``code_folder.py``): a
    server's workers, and the next start, find it compiled.
    """

    def __init__(self):
        self._codes: dict[tuple, tuple[str, Any]] = {}
        self._folders: weakref.WeakKeyDictionary[Any, CodeFolder] = weakref.WeakKeyDictionary()

    def keep_on_disk(self, env, folder: CodeFolder) -> None:
        """The code this environment compiles is kept in ``folder`` too, and found there first."""
        self._folders[env] = folder

    @staticmethod
    def options(env) -> tuple:
        """What the generated code depends on besides the source."""
        def identity(value):
            return getattr(value, "__func__", value)  # the same bound method of two apps is one function

        return (type(env), env.block_start_string, env.block_end_string, env.variable_start_string,
                env.variable_end_string, env.comment_start_string, env.comment_end_string,
                env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks,
                env.newline_sequence, env.keep_trailing_newline, env.optimized, identity(env.autoescape),
                identity(env.finalize), tuple(sorted(env.extensions)))

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        bucket = Bucket(environment, (self.options(environment), name, filename), self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self._codes.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code
            return
        folder = self._folders.get(bucket.environment)
        code = folder.load(bucket.key, bucket.checksum) if folder is not None else None
        if code is not None:
            bucket.code = code
            self._codes[bucket.key] = (bucket.checksum, code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._codes[bucket.key] = (bucket.checksum, bucket.code)  # one assignment: safe across threads
        folder = self._folders.get(bucket.environment)
        if folder is not None:
            folder.save(bucket.key, bucket.checksum, bucket.code)

    def forget(self, name_prefix: tuple) -> None:
        """Drop the code of the templates whose (tuple) name starts with ``name_prefix``."""
        for key in [k for k in list(self._codes) if isinstance(k[1], tuple) and k[1][:len(name_prefix)] == name_prefix]:
            self._codes.pop(key, None)
        for folder in set(self._folders.values()):
            folder.forget(name_prefix)

    def code(self, env, key: tuple, source: str, compile_source):
        """The code of a template built from ``source`` by ``compile_source()`` (not from a file)."""
        bucket = self.get_bucket(env, key, None, source)
        if bucket.code is None:
            bucket.code = compile_source()
            self.dump_bytecode(bucket)
        return bucket.code


shared_code = SharedCode()


class PageTemplates:
    """One Jinja template per (spec version, page): every field's template inlined.

    Rendering a page is then a single template run instead of one include per
    field (several times faster); the per-type templates stay the only source.
    What depends only on the spec (labels, hints, required marks, condition notes,
    describedby ids, ...) is evaluated once when the page is compiled (``Folder``).
    Compiled per Jinja environment (one per app) and keyed by ``spec.version_key``:
    a new version of a spec (reload) gets its own templates. Edits of the template
    files themselves (``templates/fields/``, ``macros/``) are read when a page is
    first compiled: restart the portal after changing them.
    """

    def __init__(self):
        self._cache: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Any]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, env, spec: Spec, page: Page):
        key = (spec.version_key, page.id)
        template = self._cache.get(env, {}).get(key)
        if template is None:
            with self._lock:
                compiled = self._cache.setdefault(env, {})
                template = compiled.get(key) or self.compile(env, spec, page)
                compiled[key] = template
        return template

    def forget(self, version_key: str) -> None:
        """Drop the compiled pages of one spec version (a draft shown once by the staff editor)."""
        with self._lock:
            for compiled in self._cache.values():
                for key in [k for k in compiled if k[0] == version_key]:
                    del compiled[key]
        shared_code.forget(("page", version_key))

    def compile(self, env, spec: Spec, page: Page):
        """The page's template, with what depends only on the spec evaluated now (see ``Folder``).
        The folded code depends only on the spec version, the page and the template files: it is
        shared by the environments of the process (``shared_code``)."""
        source = self.source(env, page)

        def fold_and_compile():
            tree = env.parse(source)
            known = {"fields": page.fields, "page": page, "spec": spec}
            if "portail_forms" in env.globals:
                known["portail_forms"] = env.globals["portail_forms"]
            Folder(env).fold(tree, known)
            return env.compile(tree)

        code = shared_code.code(env, ("page", spec.version_key, page.id), source, fold_and_compile)
        return env.template_class.from_code(env, code, env.make_globals(None), None)

    def source(self, env, page: Page) -> str:
        parts = ['{% import "macros/fields.html" as p %}']
        for index, f in enumerate(page.fields):
            ftype = field_type(f.type)
            parts.append("{%- set f = fields[" + str(index) + "] %}" + INPUT_DEFAULTS + WRAPPER)
            if ftype.static:
                parts.append(self._text(env, ftype.template))
            elif f.locked:
                parts.append('{% set value = answers.get(f.id) %}<dl class="govuk-summary-list portail-locked">')
                parts.append(self._text(env, ftype.readonly_template) + "</dl>" + LOCKED_NOTE)
            else:
                parts.append("{% set b = form[f.id] %}{% set err = errs.get(f.id) %}")
                parts.append(self._text(env, ftype.template))
            parts.append("</div>\n")
        return "".join(parts)

    @classmethod
    def _text(cls, env, name: str) -> str:
        """A template's source with its literal includes inlined."""
        text = env.loader.get_source(env, name)[0]
        return INCLUDE.sub(lambda m: cls._text(env, m.group(1)), text)


page_templates = PageTemplates()


class FormsHelper:
    """Small helpers called from ``templates/macros/forms.html`` and ``templates/fields/``."""

    def render_fields(self, form, page: Page, spec: Spec, errs, answers, hidden_ids) -> Markup:
        """The page's fields. A field in ``hidden_ids`` gets ``hidden``; one whose condition
        reads this same page and is false on ``answers`` stays in the page for whoever has
        no JavaScript, marked ``data-unasked``: the style sheet hides it from the first paint
        when the page is scripted (``.js``), then static/js/portail/live_form.js takes over (no flash of a
        question that is not asked while the deferred scripts load)."""
        template = page_templates.get(current_app.jinja_env, spec, page)
        return Markup(template.render(form=form, page=page, spec=spec, fields=page.fields, errs=errs,
                                      answers=answers, hidden_ids=hidden_ids,
                                      unasked_ids=self.unasked_ids(spec, page, answers)))

    anchor = staticmethod(anchor)
    accept_attribute = staticmethod(accept_attribute)
    paragraphs = staticmethod(paragraphs)  # a page's intro, one <p> each

    def choice_pairs(self, field: Field) -> list[tuple[str, str]]:
        return [(c.value, c.label) for c in field.choices]

    def blank_cell(self, name: str) -> BlankCell:
        return BlankCell(name)

    def ftype(self, name: str) -> FieldType:
        return field_type(name)

    def errors_by_path(self, errors: Iterable[Error] | None) -> dict[str, str]:
        """First message per path of a list of ``Error`` (the one error type)."""
        return messages_by_path(errors)

    def summary_errors(self, errors: Iterable[Error] | None) -> list[Error]:
        """The errors an error summary lists (``runtime.spec.errors.summary_errors``)."""
        return summary_errors(errors)

    def display(self, field: Field, value: Any) -> str:
        if value is None or value == "" or value == []:
            return ""
        return field_type(field.type).display(field, value)

    def hidden_ids(self, spec: Spec, page: Page, answers: Mapping[str, Any]) -> set[str]:
        """Fields hidden when the page is shown.

        A field whose condition reads another field of the same page stays shown
        (with a note saying when to fill it): without JavaScript the applicant
        could not reveal it otherwise; the script hides it at once.
        """
        from .wizard import hidden_fields

        hidden = hidden_fields(spec, page, answers)  # once, not once per field
        return {f.id for f in page.fields if f.id in hidden and not self.depends_on_page(spec, page, f)}

    def unasked_ids(self, spec: Spec, page: Page, answers: Mapping[str, Any]) -> set[str]:
        """Fields the applicant was not asked (condition false), for read-only views:
        unlike ``hidden_ids``, those whose condition reads the same page count too."""
        from .wizard import hidden_fields

        return hidden_fields(spec, page, answers)

    def depends_on_page(self, spec: Spec, page: Page, field: Field) -> bool:
        from ..spec.conditions import referenced_fields

        own = {f.id for f in page.fields if not f.locked}  # a locked value is not in the form: send it | {c.id for c in spec.computed if c.page == page.id}
        return any(name in own for name in referenced_fields(field.when))

    def condition_note(self, spec: Spec, page: Page, field: Field) -> str:
        """When to fill a conditional field, for pages seen without JavaScript."""
        if not field.when or not self.depends_on_page(spec, page, field):
            return ""
        when = field.when
        if "field" in when and ("equals" in when or "in" in when):
            try:
                other = spec.field(when["field"])
            except KeyError:
                other = None
            values = when.get("equals", when.get("in"))
            if other is not None and not isinstance(values, Mapping):
                values = values if isinstance(values, (list, tuple)) else [values]
                shown = " ou ".join(f"{quote(self._value_label(other, v))}" for v in values)
                if field_type(field.type).static:  # a text to read, not to fill
                    return f"Concerne seulement le cas où vous avez répondu {shown} à {quote(other.label)}."
                return f"À remplir seulement si vous avez répondu {shown} à {quote(other.label)}."
        if field_type(field.type).static:
            return "Concerne seulement certains cas, selon vos réponses ci-dessus."
        return "À remplir seulement si vos réponses ci-dessus le demandent ; sinon, laissez ce champ vide."

    @staticmethod
    def _value_label(field: Field, value: Any) -> str:
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        return next((c.label for c in field.choices if c.value == value), str(value))

    def visible_pages(self, spec: Spec, answers: Mapping[str, Any]) -> list[Page]:
        from .wizard import visible_pages

        return visible_pages(spec, answers)

    def computed_on(self, spec: Spec, page: Page) -> list:
        return [c for c in spec.computed if c.page == page.id]

    def computed_defs(self, spec: Spec) -> list[dict]:
        """Every computed value of the spec, recomputed by the browser as the applicant types."""
        return [self.computed_json(item) for item in spec.computed]

    def computed_json(self, item) -> dict:
        return {"id": item.id, "sum": item.sum, "difference": list(item.difference) if item.difference else None,
                "formula": item.formula, "type": item.type}

    def rules_on(self, spec: Spec, page: Page) -> list[dict]:
        from ..spec.rules import rule_page

        return [
            {"id": r.id, "require": r.require, "when": r.when, "message": r.message, "fields": list(r.fields)}
            for r in spec.rules
            if rule_page(spec, r) == page.id
        ]

    computed_text = staticmethod(computed_text)

    def computed_values(self, spec: Spec, answers: Mapping[str, Any]) -> dict[str, Any]:
        from ..spec.computed import compute

        return compute(spec, answers) if spec.computed else {}

    def has_files(self, page: Page) -> bool:
        return any(f.type == "file" for f in page.fields)

    def client_values(self, values: Mapping[str, Any], page: Page) -> dict:
        """Answers of the other pages that the browser's conditions may read."""
        own = {f.id for f in page.fields if not f.locked}  # a locked value is not in the form: send it
        return {k: (str(v) if not isinstance(v, (bool, int, list, dict)) and v is not None else v)
                for k, v in values.items() if k not in own}


_complete_template_folders: set[tuple] = set()


def check_templates(env, folder: str) -> None:
    """Every registered type has its two templates: fail at start-up, not on a page (once per
    process and template folder: the tests build an app per test)."""
    from .registry import type_names

    names = tuple(t for name in type_names() for t in (field_type(name).template, field_type(name).readonly_template))
    if (folder, names) in _complete_template_folders:
        return
    missing = []
    for template in names:
        try:
            env.loader.get_source(env, template)
        except TemplateNotFound:
            missing.append(template)
    if missing:
        raise RuntimeError("Gabarits de champ manquants : " + ", ".join(missing))
    _complete_template_folders.add((folder, names))


@functools.cache
def code_folder(path: str) -> CodeFolder:
    return CodeFolder(Path(path))


def keep_code_on_disk(app) -> None:
    folder = app.config.get("TEMPLATE_CACHE_DIR") or (
        Path(app.config["DATA_DIR"]) / "cache" / "templates" if app.config.get("DATA_DIR") else None)
    if not folder:  # an app without a data folder: in memory only
        return
    try:
        shared_code.keep_on_disk(app.jinja_env, code_folder(str(folder)))
    except OSError as error:  # a read-only or wrong folder slows the first pages, never the start
        log.warning("Gabarits compilés gardés en mémoire seulement : %s (%s)", folder, error)


def init_app(app) -> None:
    app.jinja_env.bytecode_cache = shared_code
    keep_code_on_disk(app)
    check_templates(app.jinja_env, app.template_folder)
    app.jinja_env.globals["portail_forms"] = FormsHelper()
