"""What the form templates need from Python, registered as the Jinja global
``portail_forms`` (see ``init_app``)."""
from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from jinja2 import TemplateNotFound
from markupsafe import Markup

from ..spec.model import Field, Page, Spec
from .registry import FieldType, field_type
from .uploads import accept_attribute


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
    "{%- if f.when %} data-when='{{ f.when|tojson }}'{% endif %}{% if f.id in hidden_ids %} hidden{% endif %}>"
    '{%- if f.when %}{% set note = portail_forms.condition_note(spec, page, f) %}'
    '{% if note %}<p class="govuk-inset-text portail-nojs-only">{{ note }}</p>{% endif %}{% endif %}'
)
# the variables of fields/_input.html, reset before each field
INPUT_DEFAULTS = '{% set kind, mode, suffix, width, extra_hint, spellcheck = "text", none, none, none, "", none %}'
INCLUDE = re.compile(r'{%-?\s*include\s+"([\w/.-]+)"\s*-?%}')
LOCKED_NOTE = '<p class="govuk-hint">Information reprise de votre profil : elle ne peut pas être modifiée ici.</p>'


class PageTemplates:
    """One Jinja template per (spec version, page): every field's template inlined.

    Rendering a page is then a single template run instead of one include per
    field (several times faster); the per-type templates stay the only source.
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
                template = compiled.get(key) or env.from_string(self.source(env, page))
                compiled[key] = template
        return template

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

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
        template = page_templates.get(current_app.jinja_env, spec, page)
        return Markup(template.render(form=form, page=page, spec=spec, fields=page.fields, errs=errs,
                                      answers=answers, hidden_ids=hidden_ids))

    anchor = staticmethod(anchor)
    accept_attribute = staticmethod(accept_attribute)

    def choice_pairs(self, field: Field) -> list[tuple[str, str]]:
        return [(c.value, c.label) for c in field.choices]

    def blank_cell(self, name: str) -> BlankCell:
        return BlankCell(name)

    def ftype(self, name: str) -> FieldType:
        return field_type(name)

    def errors_by_path(self, errors: Iterable[Any] | None) -> dict[str, str]:
        """First message per path; accepts FieldError objects, ``(path, message)``
        pairs, or WTForms' ``form.errors`` (``{name: [messages]}``)."""
        result: dict[str, str] = {}
        if isinstance(errors, Mapping):
            errors = [(name, messages[0] if isinstance(messages, list) else messages)
                      for name, messages in errors.items() if messages]
        for error in errors or ():
            path, message = (error.path, error.message) if hasattr(error, "path") else error
            result.setdefault(path, message)
        return result

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

        return {f.id for f in page.fields if f.id in hidden_fields(spec, page, answers)
                and not self.depends_on_page(spec, page, f)}

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
                shown = " ou ".join(f"« {self._value_label(other, v)} »" for v in values)
                return f"À remplir seulement si vous avez répondu {shown} à « {other.label} »."
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
        return {"id": item.id, "sum": item.sum, "difference": list(item.difference) if item.difference else None}

    def rules_on(self, spec: Spec, page: Page) -> list[dict]:
        from ..spec.rules import rule_page

        return [
            {"id": r.id, "require": r.require, "when": r.when, "message": r.message, "fields": list(r.fields)}
            for r in spec.rules
            if rule_page(spec, r) == page.id
        ]

    def decimal_display(self, value: Any, kind: str = "amount") -> str:
        if value is None:
            return ""
        return field_type(kind).display(Field("_", kind), str(value))

    def has_files(self, page: Page) -> bool:
        return any(f.type == "file" for f in page.fields)

    def client_values(self, values: Mapping[str, Any], page: Page) -> dict:
        """Answers of the other pages that the browser's conditions may read."""
        own = {f.id for f in page.fields if not f.locked}  # a locked value is not in the form: send it
        return {k: (str(v) if not isinstance(v, (bool, int, list, dict)) and v is not None else v)
                for k, v in values.items() if k not in own}


def check_templates(env) -> None:
    """Every registered type has its two templates: fail at start-up, not on a page."""
    from .registry import type_names

    missing = []
    for name in type_names():
        ftype = field_type(name)
        for template in (ftype.template, ftype.readonly_template):
            try:
                env.loader.get_source(env, template)
            except TemplateNotFound:
                missing.append(template)
    if missing:
        raise RuntimeError("Gabarits de champ manquants : " + ", ".join(missing))


def init_app(app) -> None:
    check_templates(app.jinja_env)
    app.jinja_env.globals["portail_forms"] = FormsHelper()
