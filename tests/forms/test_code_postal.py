"""A type described once (runtime/spec/field_types.py) works everywhere: lint,
rendering, validation beside the field, the answers' JSON Schema and the export.
``code_postal`` has no form class of its own: only its descriptor, its two
templates and its section of docs/spec-language.md."""
from __future__ import annotations

import jsonschema
import pytest
from flask import render_template_string

from runtime.domain.export import columns_for, rows_for
from runtime.forms.wizard import page_form, validate_demande
from runtime.spec.answers_schema import answers_schema
from runtime.spec.lint import lint_paths
from runtime.spec.loader import load_spec_text
from tests.forms.conftest import NO_CSRF, PAGE_TEMPLATE, RECAP_TEMPLATE, messages, post

SPEC = """\
id: lieu
kind: teleservice
version: 1
title: Lieu de la manifestation
pages:
  - id: lieu
    title: Lieu
    fields:
      - id: cp
        type: code_postal
        label: Code postal du lieu
        required: true
      - id: lignes
        type: table
        label: Autres lieux
        columns:
          - id: cp_lieu
            type: code_postal
            label: Code postal
"""


@pytest.fixture(scope="module")
def spec():
    return load_spec_text(SPEC, "lieu.yaml")


def test_a_spec_with_a_code_postal_lints_clean(tmp_path):
    path = tmp_path / "lieu.yaml"
    path.write_text(SPEC, encoding="utf-8")
    assert [str(e) for e in lint_paths([path])] == []


def test_an_option_of_another_type_is_refused(tmp_path):
    path = tmp_path / "lieu.yaml"
    path.write_text(SPEC.replace("        required: true\n", "        required: true\n        max: 3\n", 1),
                    encoding="utf-8")
    assert any("« max » ne s'applique pas au type « code_postal »" in str(e) for e in lint_paths([path]))


def test_the_field_renders_as_a_short_numeric_input(ctx, spec):
    form = page_form(spec, "lieu", {}, None, meta=NO_CSRF)
    html = render_template_string(PAGE_TEMPLATE, form=form, page=spec.pages[0], spec=spec, errors=[],
                                  autosave=None)
    assert 'data-type="code_postal"' in html
    assert 'id="cp" name="cp" type="text"' in html and 'inputmode="numeric"' in html
    assert "5 chiffres, par exemple 69003." in html


@pytest.mark.parametrize("typed, message", [
    ("6900", "Le code postal doit comporter 5 chiffres, par exemple 69003."),
    ("69OO3", "Le code postal doit comporter 5 chiffres, par exemple 69003."),
    ("６９００３", "Saisissez le code postal avec les chiffres ordinaires 0 à 9."),
    ("", "Renseignez le champ «\u00a0Code postal du lieu\u00a0»."),
])
def test_a_wrong_postcode_is_refused_beside_the_field(ctx, spec, typed, message):
    result = post(spec, "lieu", {"cp": typed})
    assert messages(result) == {"cp": message}


def test_a_postcode_is_stored_as_five_digits(ctx, spec):
    result = post(spec, "lieu", {"cp": " 69 003 ", "lignes-0-cp_lieu": "13001"})
    assert result.errors == []
    assert result.answers["cp"] == "69003"
    assert result.answers["lignes"] == [{"cp_lieu": "13001"}]
    assert validate_demande(spec, result.answers) == []
    jsonschema.validate(result.answers, answers_schema(spec))
    recap = render_template_string(RECAP_TEMPLATE, spec=spec, answers=result.answers)
    assert "69003" in recap


def test_a_table_cell_is_checked_too(ctx, spec):
    result = post(spec, "lieu", {"cp": "69003", "lignes-0-cp_lieu": "130"})
    assert list(messages(result).values()) == ["Autres lieux, ligne 1 : Le code postal doit comporter 5 chiffres, par exemple 69003."]


def test_the_answers_schema_and_the_export_know_the_type(spec):
    schema = answers_schema(spec)
    assert schema["properties"]["cp"]["pattern"] == "^[0-9]{5}$"
    assert "cp" in schema["required"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"cp": "6900"}, schema)
    columns = columns_for([spec])
    titles = [c.title for c in columns]
    assert "Code postal du lieu" in titles
    row = rows_for(columns, [{"answers": {"cp": "69003"}}])[0]
    assert row[titles.index("Code postal du lieu")] == "69003"


def test_every_described_type_has_a_form_class_and_is_in_the_spec_schema():
    from runtime.forms.registry import type_names
    from runtime.spec.field_types import kind_names
    from runtime.spec.schema_errors import spec_schema

    assert type_names() == sorted(kind_names())
    field = spec_schema()["$defs"]["field"]
    assert field["properties"]["type"]["enum"] == list(kind_names())
    assert "code_postal" in field["allOf"][0]["if"]["properties"]["type"]["enum"]  # a label is required
