"""Generated page forms versus a hand-written WTForms form, in the same process.

Renders a 25-field page (GET) and validates a valid POST, through the Flask test
client, for a form generated from a spec and for the same form written by hand
with the same GOV.UK markup. Prints requests per second and the ratio (goal ≤ 1.3).

    .venv/bin/python bench/forms_bench.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from runtime.app import create_app
from runtime.forms.wizard import page_form, validate_page
from runtime.spec.model import Choice, Field, Page, Spec

CHOICES = (Choice("a", "Association"), Choice("c", "Commune"), Choice("x", "Autre"))
# (spec type, count): 25 fields in all
KINDS = [("text", 8), ("textarea", 2), ("integer", 3), ("amount", 4), ("date", 2), ("email", 2), ("choice", 2),
         ("yes_no", 2)]
VALUES = {"text": "Les Amis", "textarea": "Une description", "integer": "12", "amount": "1 234,50",
          "date": "2026-07-14", "email": "nom@exemple.fr", "choice": "a", "yes_no": "true"}


def spec_fields() -> list[Field]:
    fields = []
    for kind, count in KINDS:
        for i in range(count):
            options = {"max_length": 100} if kind == "text" else {}
            fields.append(Field(f"{kind}_{i}", kind, label=f"Champ {kind} {i}", required=True,
                                options=options, choices=CHOICES if kind == "choice" else ()))
    return fields


SPEC = Spec(id="bench", kind="teleservice", version="1", title="Banc d'essai", digest="bench",
            pages=(Page(id="page", title="Page", fields=tuple(spec_fields())),))
POST = {f.id: VALUES[f.type] for f in SPEC.pages[0].fields}


class FrenchDecimalField(DecimalField):
    """Accepts "1 234,50" like the generated amount field."""

    def process_formdata(self, valuelist):
        super().process_formdata([v.replace(" ", "").replace(",", ".") for v in valuelist])


def hand_form_class():
    """The same fields written by hand with WTForms' own field classes."""
    attrs = {}
    req = [DataRequired("Ce champ est obligatoire.")]
    for f in SPEC.pages[0].fields:
        attrs[f.id] = {
            "text": lambda f, kw: StringField(f.label, req + [Length(max=100)], render_kw=kw),
            "textarea": lambda f, kw: TextAreaField(f.label, req, render_kw=kw),
            "integer": lambda f, kw: IntegerField(f.label, req, render_kw=kw),
            "amount": lambda f, kw: FrenchDecimalField(f.label, req, places=2, render_kw=kw),
            "date": lambda f, kw: DateField(f.label, req, render_kw=kw),
            "email": lambda f, kw: EmailField(f.label, req, render_kw=kw),
            "choice": lambda f, kw: RadioField(f.label, choices=[(c.value, c.label) for c in CHOICES], render_kw=kw),
            "yes_no": lambda f, kw: RadioField(f.label, choices=[("true", "Oui"), ("false", "Non")], render_kw=kw),
        }[f.type](f, {"data-kind": f.type})
    return type("HandForm", (FlaskForm,), attrs)


# Written by hand with the same accessible GOV.UK markup as the generated page
# (wrappers, hints, required marks, aria attributes, units), without macros.
HAND_TEMPLATE = """{% extends "base.html" %}{% block content %}
{% set hints = {"amount": "En euros, par exemple 1 234,50.", "date": "Par exemple 14/07/2026."} %}
<form method="post" action="" novalidate class="portail-form" data-values='{}'>
<p class="govuk-body-s portail-required-note">Les champs suivis de la mention <span class="portail-required">(obligatoire)</span> doivent être remplis ; les autres sont facultatifs.</p>
{% for field in form %}{% set kind = field.render_kw["data-kind"] %}{% set err = field.errors[0] if field.errors else "" %}
<div class="portail-field" id="champ-{{ field.id }}" data-field="{{ field.id }}" data-type="{{ kind }}">
{% if kind in ("choice", "yes_no") %}
<div class="govuk-form-group{% if err %} govuk-form-group--error{% endif %}"><fieldset class="govuk-fieldset"{% if err %} aria-describedby="{{ field.id }}-error"{% endif %}>
<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{{ field.label.text }} <span class="portail-required">(obligatoire)</span></legend>
{% if err %}<p id="{{ field.id }}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Erreur :</span> {{ err }}</p>{% endif %}
<div class="govuk-radios{% if field.choices|length <= 2 %} govuk-radios--inline{% endif %}">{% for value, text in field.choices %}{% set rid = field.id if loop.first else field.id ~ "-" ~ loop.index %}
<div class="govuk-radios__item"><input class="govuk-radios__input" id="{{ rid }}" name="{{ field.name }}" type="radio" value="{{ value }}"{% if field.data == value %} checked{% endif %}>
<label class="govuk-label govuk-radios__label" for="{{ rid }}">{{ text }}</label></div>{% endfor %}</div></fieldset></div>
{% else %}
<div class="govuk-form-group{% if err %} govuk-form-group--error{% endif %}">
<label class="govuk-label" for="{{ field.id }}">{{ field.label.text }} <span class="portail-required">(obligatoire)</span></label>
{% if kind in hints %}<div id="{{ field.id }}-hint" class="govuk-hint">{{ hints[kind] }}</div>{% endif %}
{% if err %}<p id="{{ field.id }}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Erreur :</span> {{ err }}</p>{% endif %}
{% if kind == "textarea" %}<textarea class="govuk-textarea" id="{{ field.id }}" name="{{ field.name }}" rows="5" aria-required="true">{{ field._value() }}</textarea>
{% else %}{% if kind == "amount" %}<div class="govuk-input__wrapper">{% endif %}
<input class="govuk-input{% if kind in ('amount', 'integer', 'date') %} govuk-input--width-10{% endif %}{% if err %} govuk-input--error{% endif %}" id="{{ field.id }}" name="{{ field.name }}" type="{{ 'date' if kind == 'date' else 'email' if kind == 'email' else 'text' }}" value="{{ field._value() }}"{% if kind in ('amount', 'integer') %} inputmode="decimal"{% endif %} aria-required="true"{% if kind in hints %} aria-describedby="{{ field.id }}-hint"{% endif %}>
{% if kind == "amount" %}<div class="govuk-input__suffix" aria-hidden="true">€</div></div>{% endif %}{% endif %}
</div>
{% endif %}</div>
{% endfor %}<div class="govuk-button-group"><button type="submit" class="govuk-button" data-module="govuk-button">Enregistrer et continuer</button></div></form>{% endblock %}"""

GENERATED_TEMPLATE = """{% extends "base.html" %}{% import "macros/forms.html" as forms %}
{% block content %}{{ forms.render_page(form, page, spec, errors) }}{% endblock %}"""


def make_app(data_dir: str):
    app = create_app({"DATA_DIR": data_dir, "STORE": "memory", "SECRET_KEY": "bench", "CAPTCHA_BACKEND": "test",
                      "WTF_CSRF_ENABLED": False, "TESTING": True})
    bp = Blueprint("bench", __name__)
    HandForm = hand_form_class()
    page = SPEC.pages[0]
    # templates compiled once, as files would be
    generated_template = app.jinja_env.from_string(GENERATED_TEMPLATE)
    hand_template = app.jinja_env.from_string(HAND_TEMPLATE)

    @bp.route("/generated", methods=["GET", "POST"])
    def generated():
        if request.method == "POST":
            result = validate_page(SPEC, page.id, request.form, None, {}, None)
            assert not result.errors, result.errors
            return "ok"
        form = page_form(SPEC, page.id, {})
        return render_template(generated_template, form=form, page=page, spec=SPEC, errors=[])

    @bp.route("/hand", methods=["GET", "POST"])
    def hand():
        form = HandForm()
        if request.method == "POST":
            assert form.validate(), form.errors
            return "ok"
        return render_template(hand_template, form=form)

    app.register_blueprint(bp)
    return app


def caller(client, method: str, path: str):
    if method == "POST":
        return lambda: client.post(path, data=POST)
    return lambda: client.get(path)


def rates(client, method: str, seconds: float, rounds: int = 6) -> tuple[float, float]:
    """Requests per second of the generated and hand-written forms, measured in
    alternating short rounds so that a busy machine slows both alike."""
    calls = {"generated": caller(client, method, "/generated"), "hand": caller(client, method, "/hand")}
    for call in calls.values():
        for _ in range(20):  # warm-up: template compilation, form class cache
            assert call().status_code == 200
    counts, spent = {"generated": 0, "hand": 0}, {"generated": 0.0, "hand": 0.0}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            while time.perf_counter() - start < seconds / rounds:
                call()
                counts[name] += 1
            spent[name] += time.perf_counter() - start
    return counts["generated"] / spent["generated"], counts["hand"] / spent["hand"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="durée de chaque mesure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        client = make_app(data_dir).test_client()
        worst = 0.0
        print(f"{'':14}{'généré (req/s)':>16}{'à la main (req/s)':>20}{'ratio':>8}")
        for method in ("GET", "POST"):
            generated, hand = rates(client, method, args.seconds)
            ratio = hand / generated
            worst = max(worst, ratio)
            label = "affichage" if method == "GET" else "envoi valide"
            print(f"{label:14}{generated:16.0f}{hand:20.0f}{ratio:8.2f}")
    print(f"objectif : ratio ≤ 1,3 – {'atteint' if worst <= 1.3 else 'non atteint'} (pire : {worst:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
