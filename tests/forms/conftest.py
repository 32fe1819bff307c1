"""Fixtures of the forms domain: a spec using every field type, and a small
test blueprint rendering and validating its pages through HTTP."""
from __future__ import annotations

import pytest
from flask import Blueprint, render_template_string, request

from runtime.forms.wizard import page_form, validate_page
from runtime.spec.loader import load_spec_text

SPEC_YAML = """
id: essai
kind: teleservice
version: "1"
title: Téléservice d'essai
pages:
  - id: identite
    title: Identité
    fields:
      - id: titre_section
        type: heading
        text: Votre structure
      - id: explication
        type: paragraph
        text: Renseignez les informations de votre structure.
      - id: nom
        type: text
        label: Nom de la structure
        required: true
        max_length: 20
        autocomplete: organization
      - id: description
        type: textarea
        label: Description
        hint: Quelques lignes suffisent.
        min_length: 10
        max_length: 40
      - id: effectif
        type: integer
        label: Nombre de salariés
        min: 0
        max: 500
      - id: ratio
        type: decimal
        label: Ratio
      - id: montant
        type: amount
        label: Montant demandé
        required: true
      - id: taux
        type: percentage
        label: Taux d'autofinancement
      - id: date_debut
        type: date
        label: Date de début
      - id: courriel
        type: email
        label: Adresse e-mail
        autocomplete: email
      - id: telephone
        type: phone
        label: Téléphone
        autocomplete: tel
      - id: site
        type: url
        label: Site internet
      - id: siret
        type: siret
        label: SIRET
      - id: rna
        type: rna
        label: Numéro RNA
      - id: iban
        type: iban
        label: IBAN
      - id: adresse
        type: address
        label: Adresse du siège
        required: true
  - id: choix
    title: Vos choix
    fields:
      - id: subventionne
        type: yes_no
        label: Avez-vous déjà été subventionné ?
        required: true
      - id: montant_precedent
        type: amount
        label: Montant de la subvention précédente
        required: true
        when:
          field: subventionne
          equals: true
      - id: statut
        type: choice
        label: Statut
        required: true
        choices:
          - value: association
            label: Association
          - value: commune
            label: Commune
          - value: autre
            label: Autre
      - id: statut_liste
        type: choice
        widget: select
        label: Statut (liste)
        choices:
          - value: "no"
            label: Non concerné
          - value: oui
            label: Concerné
      - id: domaines
        type: multiple_choice
        label: Domaines d'action
        required: true
        choices:
          - value: culture
            label: Culture
          - value: sport
            label: Sport
          - value: social
            label: Social
      - id: accord
        type: checkbox
        label: J'accepte les conditions
        required: true
  - id: budget
    title: Budget
    fields:
      - id: depenses
        type: table
        label: Dépenses
        required: true
        min_rows: 1
        max_rows: 4
        totals: [montant]
        columns:
          - id: poste
            type: text
            label: Poste
            required: true
          - id: montant
            type: amount
            label: Montant
            required: true
      - id: recettes
        type: table
        label: Recettes
        totals: [montant]
        columns:
          - id: financeur
            type: text
            label: Financeur
            required: true
          - id: montant
            type: amount
            label: Montant
            required: true
      - id: explication_ecart
        type: textarea
        label: Expliquez l'écart entre recettes et dépenses
        when: "total_recettes <> total_depenses and total_recettes > 0"
  - id: pieces
    title: Pièces
    when:
      field: subventionne
      equals: true
    fields:
      - id: statuts
        type: file
        label: Statuts
        required: true
        accept: [pdf]
        max_size_mb: 1
computed:
  - id: total_depenses
    label: Total des dépenses
    sum: depenses.montant
    page: budget
  - id: total_recettes
    label: Total des recettes
    sum: recettes.montant
    page: budget
  - id: part_travaux
    label: Part des travaux (%)
    formula: 'round(sum(depenses.montant; depenses.poste = "Travaux") * 100 / total_depenses; 1)'
rules:
  - id: equilibre
    require:
      field: total_recettes
      equals:
        field: total_depenses
    message: Le budget doit être équilibré.
    page: budget
    fields: [recettes]
"""

PAGE_TEMPLATE = """{% extends "base.html" %}
{% import "macros/forms.html" as forms %}
{% block content %}{{ forms.render_page(form, page, spec, errors, autosave_url=autosave) }}{% endblock %}"""

RECAP_TEMPLATE = """{% extends "base.html" %}
{% from "macros/forms.html" import render_readonly %}
{% block content %}{{ render_readonly(spec, answers) }}{% endblock %}"""


@pytest.fixture(scope="session")
def spec():
    return load_spec_text(SPEC_YAML, "essai.yaml")


class Draft:
    """The answers kept between requests of the test blueprint."""

    def __init__(self):
        self.answers: dict = {}
        self.prefill: dict = {}
        self.saved: list = []


@pytest.fixture
def draft():
    return Draft()


@pytest.fixture
def forms_app(app, spec, draft):
    bp = Blueprint("forms_test", __name__)

    def save_file(upload):
        draft.saved.append(upload.filename)
        return {"file_id": f"f{len(draft.saved)}", "filename": upload.filename, "size": 10,
                "content_type": upload.mimetype}

    @bp.route("/essai/<page_id>", methods=["GET", "POST"])
    def page(page_id):
        errors = []
        if request.method == "POST":
            result = validate_page(spec, page_id, request.form, request.files, draft.answers, draft.prefill,
                                   save_file=save_file)
            draft.answers = result.answers
            form, errors = result.form, result.errors
            if not errors and not result.stay:
                return "enregistré", 200
        else:
            form = page_form(spec, page_id, draft.answers, draft.prefill)
        return render_template_string(PAGE_TEMPLATE, form=form, page=spec.page(page_id), spec=spec,
                                      errors=errors, autosave=request.args.get("autosave"))

    @bp.route("/essai-recap")
    def recap():
        return render_template_string(RECAP_TEMPLATE, spec=spec, answers=draft.answers)

    app.register_blueprint(bp)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def fclient(forms_app):
    return forms_app.test_client()


@pytest.fixture(scope="session")
def light_app():
    """A bare Flask app: enough for the wizard's unit tests, much faster than create_app."""
    from flask import Flask

    from runtime import ROOT
    from runtime.forms import templating
    from runtime.web import static_assets

    light = Flask("forms_unit", template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    light.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False, TESTING=True)
    templating.init_app(light)
    static_assets.init_app(light)  # base.html names its scripts with asset_url()
    light.jinja_env.globals["asset_url"] = static_assets.asset_url
    return light


@pytest.fixture
def ctx(light_app):
    with light_app.test_request_context():
        yield


NO_CSRF = {"csrf": False}


def post(spec, page_id, data, answers=None, files=None, prefill=None, save_file=None):
    """validate_page with CSRF off (unit tests run inside ``ctx``)."""
    from werkzeug.datastructures import MultiDict

    return validate_page(spec, page_id, MultiDict(data), files, answers or {}, prefill,
                         save_file=save_file, meta=NO_CSRF)


def messages(result) -> dict[str, str]:
    return {e.path: e.message for e in result.errors}
