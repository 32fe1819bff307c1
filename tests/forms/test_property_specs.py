"""Property: every spec the lint accepts renders every step and transmits with generated answers.

Specs are drawn by a strategy that follows the spec language's JSON Schema (field types from its
``type`` enum, each type with the options the schema allows it, conditions, formulas, shared
lists); the answers are what an applicant would type, posted page by page through the wizard;
the demande must then have no error left (what ``transmit`` checks)."""
from __future__ import annotations

import pytest
import yaml
from flask import render_template_string
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict

from runtime import ROOT
from runtime.forms.wizard import validate_demande, validate_page, visible_pages
from runtime.spec.checks import COLUMN_TYPES, NUMERIC_TYPES
from runtime.spec.errors import SpecErrors
from runtime.spec.field_types import field_kinds
from runtime.spec.lists import catalogue_lists
from runtime.spec.loader import load_spec_text
from runtime.spec.schema_errors import spec_schema

SCHEMA = spec_schema()  # the spec JSON Schema, its type enums generated from runtime/spec/field_types.py
FIELD_TYPES = SCHEMA["$defs"]["field"]["properties"]["type"]["enum"]
COLUMNS = [t for t in COLUMN_TYPES if t in FIELD_TYPES]
RENDER = '{% import "macros/forms.html" as forms %}{{ forms.render_page(form, page, spec, errors) }}'
LISTS = catalogue_lists(ROOT / "specs" / "teleservices" / "patrimoine.yaml")  # the shipped shared lists
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SAMPLES = {
    "text": "Texte d'essai", "textarea": "Une description assez longue.", "email": "contact@exemple.fr",
    "phone": "0491000000", "url": "https://exemple.fr", "siret": "73282932000074", "rna": "W133001234",
    "iban": "FR7630006000011234567890189", "yes_no": "true", "checkbox": "true",
    **{kind.name: kind.example for kind in field_kinds() if kind.example},  # a type's own example
}


def _field(draw, fid: str, kind: str, earlier: list[dict]) -> dict:
    field: dict = {"id": fid, "type": kind}
    if kind in ("heading", "paragraph"):
        field["text"] = "Texte"
    else:
        field["label"] = f"Question {fid}"
        field["required"] = draw(st.booleans())
    if kind in ("choice", "multiple_choice"):
        if draw(st.booleans()):
            field["options_from"] = draw(st.sampled_from(["communes", "domaines-intervention"]))
        else:
            field["choices"] = draw(st.lists(st.sampled_from(["a", "b", "c", "autre"]), min_size=1, max_size=3,
                                             unique=True))
    if kind in ("text", "textarea") and draw(st.booleans()):
        field["max_length"] = draw(st.integers(40, 200))
    if kind in NUMERIC_TYPES and draw(st.booleans()):
        field["min"] = draw(st.integers(0, 5))
        field["max"] = field["min"] + draw(st.integers(0, 100))
    if kind == "date" and draw(st.booleans()):
        field["min"] = "2026-01-01"
    if kind == "file":
        field["accept"] = ["pdf"]
        field["max_size_mb"] = 1
    if kind == "table":
        kinds = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3))
        field["columns"] = [_column(draw, f"c{i}", k) for i, k in enumerate(kinds)]
        field["min_rows"] = draw(st.integers(0, 2))
        numeric = [c["id"] for c in field["columns"] if c["type"] in NUMERIC_TYPES]
        if numeric:
            field["totals"] = numeric
    askable = [f for f in earlier if f["type"] in ("yes_no", "choice", "integer", "amount", "date", "text")]
    if askable and draw(st.integers(0, 2)) == 0:
        field["when"] = _condition(draw, draw(st.sampled_from(askable)))
    return field


def _column(draw, cid: str, kind: str) -> dict:
    column = {"id": cid, "type": kind, "label": f"Colonne {cid}", "required": draw(st.booleans())}
    if kind == "choice":
        column["choices"] = ["x", "y"]
    return column


def _condition(draw, other: dict):
    name, kind = other["id"], other["type"]
    if kind == "yes_no":
        return {"field": name, "equals": draw(st.booleans())}
    if kind == "choice":
        values = other.get("choices") or (["69"] if other.get("options_from") == "communes" else ["culture"])
        value = values[0]
        if other.get("options_from") == "communes":
            value = "13001"
        elif other.get("options_from"):
            value = "culture"
        return draw(st.sampled_from([{"field": name, "equals": value}, f'{name} = "{value}"']))
    if kind in ("integer", "amount"):
        return draw(st.sampled_from([{"field": name, "greater_than": 1}, f"{name} * 2 >= 4", f"min({name}; 10) > 1"]))
    if kind == "date":
        return draw(st.sampled_from([{"field": name, "after": "2026-01-01"}, f'{name} >= date("2026-02-01")']))
    return {"field": name, "is_filled": True}


@st.composite
def specs(draw) -> dict:
    pages, earlier = [], []
    for p in range(draw(st.integers(1, 3))):
        fields = []
        for _ in range(draw(st.integers(1, 4))):
            field = _field(draw, f"f{len(earlier) + 1}", draw(st.sampled_from(FIELD_TYPES)), earlier)
            fields.append(field)
            earlier.append(field)
        pages.append({"id": f"page{p + 1}", "title": f"Étape {p + 1}", "fields": fields})
    spec = {"id": "propriete", "kind": "teleservice", "version": 1, "title": "Propriété", "pages": pages}
    numbers = [f["id"] for f in earlier if f["type"] in NUMERIC_TYPES]
    tables = [(f["id"], c["id"]) for f in earlier if f["type"] == "table" for c in f["columns"]
              if c["type"] in NUMERIC_TYPES]
    computed = []
    if numbers:
        computed.append({"id": "calcul", "label": "Calcul", "formula": f"round({numbers[0]} * 20% + 1; 2)"})
    if tables:
        computed.append({"id": "somme", "label": "Somme", "formula": f"sum({tables[0][0]}.{tables[0][1]})"})
    if computed:
        spec["computed"] = computed
    return spec


def _raw(field, prefix: str) -> list[tuple[str, str]]:
    kind = field.type
    if kind in SAMPLES:
        return [(prefix, SAMPLES[kind])]
    if kind in NUMERIC_TYPES:
        low, high = field.options.get("min", 0), field.options.get("max", 1000)
        return [(prefix, str(max(low, min(high, 3))))]
    if kind == "date":
        return [(prefix, "2026-05-04")]
    if kind in ("choice", "multiple_choice"):
        return [(prefix, field.choices[0].value)]
    if kind == "address":
        return [(f"{prefix}-street", "1 rue de la République"), (f"{prefix}-postcode", "13001"),
                (f"{prefix}-commune", "Marseille")]
    if kind == "table":
        rows = max(field.options.get("min_rows", 0), 1)
        return [pair for row in range(rows) for column in field.columns
                for pair in _raw(column, f"{prefix}-{row}-{column.id}")]
    return []


def _save_file(upload) -> dict:
    return {"file_id": "f1", "filename": upload.filename, "size": len(PDF), "content_type": "application/pdf"}


@pytest.mark.timeout(120)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=specs())
def test_every_spec_lint_accepts_renders_and_transmits(light_app, data):
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        spec = load_spec_text(text, "propriete.yaml", LISTS)
    except SpecErrors:
        assume(False)
    with light_app.test_request_context("/"):
        answers: dict = {}
        for page in spec.pages:  # every step renders, answered or not
            result = validate_page(spec, page.id, MultiDict(), None, {}, {}, meta={"csrf": False})
            html = render_template_string(RENDER, form=result.form, page=page, spec=spec, errors=[])
            assert f'id="{page.fields[0].id}' in html or page.fields[0].type in ("heading", "paragraph")
        for page in visible_pages(spec, answers):
            raw = MultiDict([pair for f in page.fields for pair in _raw(f, f.id)])
            files = MultiDict([(f.id, FileStorage(stream=__import__("io").BytesIO(PDF), filename="piece.pdf",
                                                  content_type="application/pdf"))
                               for f in page.fields if f.type == "file"])
            result = validate_page(spec, page.id, raw, files, answers, {}, save_file=_save_file,
                                   meta={"csrf": False})
            assert [e.message for e in result.errors] == [], text
            answers = result.answers
            render_template_string(RENDER, form=result.form, page=page, spec=spec, errors=result.errors)
        assert validate_demande(spec, answers, {}) == [], text
