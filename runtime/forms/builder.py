"""Page forms: one WTForms class per (spec version, page), built once."""
from __future__ import annotations

import threading
from typing import Any

from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta

from ..spec.model import Spec
from .registry import check_field_types, field_type

# Names a field id may not take: they are attributes of every form.
RESERVED_IDS = frozenset(dir(FlaskForm)) | {"csrf_token", "meta"}

_cache: dict[tuple[str, str], type[PortailForm]] = {}
_lock = threading.Lock()


class PortailForm(FlaskForm):
    """Base of every generated page form (CSRF from Flask-WTF, French messages)."""

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form):
            # WTForms' own French catalogue (Flask-WTF would want Flask-Babel)
            return DefaultMeta.get_translations(self, form)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # set by the wizard: the answers the form shows, the values conditions
        # read (answers + computed) and the raw data posted
        self.portail_answers: dict = {}
        self.portail_values: dict = {}
        self.portail_formdata: Any = {}


def build_page_form(spec: Spec, page_id: str) -> type[PortailForm]:
    """The form class of a page, cached by ``(spec.version_key, page_id)``."""
    key = (spec.version_key, page_id)
    form_class = _cache.get(key)
    if form_class is None:
        with _lock:
            form_class = _cache.get(key) or _make_form_class(spec, page_id)
            _cache[key] = form_class
    return form_class


def forget_version(version_key: str) -> None:
    """Drop the cached form classes and compiled page templates of one spec version
    (a draft rendered once by the staff editor, never served)."""
    from .templating import page_templates

    with _lock:
        for key in [k for k in _cache if k[0] == version_key]:
            del _cache[key]
    page_templates.forget(version_key)


def _make_form_class(spec: Spec, page_id: str) -> type[PortailForm]:
    page = spec.page(page_id)
    check_field_types(page.fields)
    attrs = {}
    for f in page.fields:
        ftype = field_type(f.type)
        if ftype.static:
            continue
        if f.id in RESERVED_IDS:
            raise ValueError(f"Identifiant de champ réservé : {f.id}")
        attrs[f.id] = ftype.make_field(f)
    return type(f"Page_{spec.id}_{page_id}", (PortailForm,), attrs)
