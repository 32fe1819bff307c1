"""The reserved field ids (runtime/spec/checks.py, one list) cover every name the runtime's forms use:
derived here from the forms code itself, so a new control or attribute without its reservation fails."""
from __future__ import annotations

import re

from runtime import ROOT
from runtime.forms import wizard
from runtime.spec.checks import FORM_CONTROLS, RESERVED_FIELD_IDS
from runtime.spec.loader import load_spec_text

# The templates of a step page: what they post besides the fields.
STEP_TEMPLATES = [ROOT / "templates" / "demandes" / name for name in ("step.html", "_steps.html")] + sorted(
    (ROOT / "templates" / "fields").glob("*.html")) + [ROOT / "templates" / "macros" / "forms.html"]


def test_every_control_a_step_page_posts_is_reserved():
    names = set()
    for template in STEP_TEMPLATES:
        names |= set(re.findall(r'name="([a-z_][a-z0-9_]*)"', template.read_text(encoding="utf-8")))
    names.add(wizard.ACTION)
    assert names, "aucun nom trouvé : le motif ne lit plus les gabarits"
    assert names <= FORM_CONTROLS, names - FORM_CONTROLS
    assert {"csrf_token", "action", "goto", "_action"} <= names


def test_every_attribute_of_a_page_form_is_reserved(app):
    spec = load_spec_text(
        "id: t\nkind: teleservice\nversion: 1\ntitle: T\npages:\n  - id: p\n    title: P\n    fields:\n"
        "      - {id: nom, type: text, label: Nom}\n", "t.yaml")
    with app.test_request_context("/"):
        form = wizard.page_form(spec, "p", {})
    attributes = {name for name in dir(form) if re.fullmatch(r"[a-z][a-z0-9_]*", name)} - {"nom"}
    assert attributes, "aucun attribut lu"
    assert attributes <= RESERVED_FIELD_IDS, sorted(attributes - RESERVED_FIELD_IDS)

