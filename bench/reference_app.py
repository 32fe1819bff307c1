"""The hand-written reference page of the realistic bench (issue 11).

A minimal Flask + Flask-WTF + Flask-Login application with what a step of the
portal needs and nothing more: a login with a CSRF token, a session, a layout
(header, navigation, step list, footer) and one form of the size of a step of
the "patrimoine" téléservice's step "projet" (14 questions: texts, the list of
the 92 communes of the Métropole as the step has it since its choice reads the
shared list ``specs/listes/communes.yaml``, two textareas, yes/no radios, dates,
an integer, an amount, check boxes), validated on POST and kept in memory. ``bench/realistic.py`` times its GET and POST beside the portal's step.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_wtf import FlaskForm
from jinja2 import DictLoader
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

LOGIN, PASSWORD = "reference", "Motdepasse1!"
COMMUNES_LIST = Path(__file__).resolve().parent.parent / "specs" / "listes" / "communes.yaml"


def communes() -> list[tuple[str, str]]:
    """(INSEE code, name) of the 92 communes, as the portal's step offers them."""
    return [(c["value"], c["label"]) for c in yaml.safe_load(COMMUNES_LIST.read_text(encoding="utf-8"))["choices"]]

STEPS = ("Critères d'éligibilité", "Votre structure", "Le projet", "Monument classé", "Budget", "Pièces")

LAYOUT = """<!DOCTYPE html>
<html lang="fr" class="govuk-template no-js">
<head><meta charset="utf-8"><title>{{ title }} – Portail</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/portail.css"></head>
<body class="govuk-template__body">
<a href="#contenu" class="govuk-skip-link">Aller au contenu</a>
<header class="portail-header" role="banner"><div class="govuk-width-container">
<a href="/" class="portail-header__brand">Métropole – Portail des subventions</a>
{% if user %}<span>{{ user.name }}</span>{% endif %}</div>
<nav aria-label="Menu principal"><ul><li><a href="/espace">Tableau de bord</a></li>
<li><a href="/espace/sollicitations">Mes sollicitations</a></li><li><a href="/espace/aides">Mes aides</a></li></ul></nav>
</header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="contenu" role="main">
{% block content %}{% endblock %}</main></div>
<footer class="govuk-footer" role="contentinfo"><p>Métropole – Portail des subventions</p></footer>
</body></html>"""

FIELD = """{% macro field(f) %}
<div class="govuk-form-group{% if f.errors %} govuk-form-group--error{% endif %}">
<label class="govuk-label" for="{{ f.id }}">{{ f.label.text }}</label>
{% for e in f.errors %}<p id="{{ f.id }}-error" class="govuk-error-message">
<span class="govuk-visually-hidden">Erreur :</span> {{ e }}</p>{% endfor %}
{{ f(class_="govuk-input", **({"aria-describedby": f.id ~ "-error"} if f.errors else {})) }}
</div>{% endmacro %}"""

STEP = """{% extends "layout.html" %}{% from "field.html" import field %}
{% block content %}
<div class="govuk-grid-row"><div class="govuk-grid-column-one-third">
<nav aria-label="Étapes"><ol class="portail-steps">{% for s in steps %}
<li><a href="#">{{ s }}</a> <strong class="govuk-tag">{{ "complète" if loop.index < 3 else "à compléter" }}</strong></li>
{% endfor %}</ol></nav></div>
<div class="govuk-grid-column-two-thirds"><h1 class="govuk-heading-l">Le projet</h1>
{% if form.errors %}<div class="govuk-error-summary" role="alert"><h2>Il y a un problème</h2><ul>
{% for name, errors in form.errors.items() %}<li><a href="#{{ name }}">{{ errors[0] }}</a></li>{% endfor %}
</ul></div>{% endif %}
<form method="post" novalidate>{{ form.csrf_token }}
{% for f in form if f.name != "csrf_token" %}{{ field(f) }}{% endfor %}
<button class="govuk-button" name="action" value="next">Enregistrer et continuer</button></form>
</div></div>{% endblock %}"""

LOGIN_PAGE = """{% extends "layout.html" %}{% block content %}<h1>Se connecter</h1>
<form method="post" novalidate>{{ form.csrf_token }}{{ form.login() }}{{ form.password() }}
<button>Se connecter</button></form>{% endblock %}"""


class LoginForm(FlaskForm):
    login = StringField("Identifiant", validators=[DataRequired()])
    password = PasswordField("Mot de passe", validators=[DataRequired()])


class ProjectForm(FlaskForm):
    intitule = StringField("Intitulé du projet", validators=[DataRequired(), Length(5, 150)])
    edifice = StringField("Nom de l'édifice ou de l'objet", validators=[DataRequired(), Length(max=150)])
    rue = StringField("Adresse de l'édifice", validators=[DataRequired()])
    code_postal = StringField("Code postal", validators=[DataRequired(), Length(5, 5)])
    commune = StringField("Commune", validators=[DataRequired()])
    commune_edifice = SelectField("Commune de l'édifice", choices=[("", "Choisissez une commune"), *communes()],
                                  validators=[DataRequired()])
    nature = SelectMultipleField(
        "Nature de l'intervention",
        choices=[("restauration", "Restauration"), ("etude", "Étude préalable"), ("valorisation", "Mise en valeur")],
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired()],
    )
    description = TextAreaField("Description du projet", validators=[DataRequired(), Length(50, 4000)])
    ouverture = RadioField("Ouvert au public ?", choices=[("oui", "Oui"), ("non", "Non")], validators=[DataRequired()])
    jours = IntegerField("Jours d'ouverture par an", validators=[Optional(), NumberRange(0, 366)])
    debut = DateField("Date de début des travaux", validators=[DataRequired()])
    fin = DateField("Date de fin des travaux", validators=[DataRequired()])
    phasage = TextAreaField("Phasage des travaux", validators=[Optional(), Length(max=4000)])
    montant = DecimalField("Montant des travaux", places=2, validators=[DataRequired(), NumberRange(0)])


class User(UserMixin):
    def __init__(self, user_id: str):
        self.id, self.name = user_id, "Camille MARTIN"


def create_reference_app(secret_key: str = "reference-secret") -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret_key, WTF_CSRF_TIME_LIMIT=None)
    app.jinja_loader = DictLoader({"layout.html": LAYOUT, "field.html": FIELD, "step.html": STEP,
                                   "login.html": LOGIN_PAGE})
    manager = LoginManager(app)
    manager.login_view = "login"
    users = {LOGIN: User(LOGIN)}
    saved: dict[str, dict] = {}
    manager.user_loader(users.get)

    @app.route("/connexion", methods=["GET", "POST"])
    def login():
        form = LoginForm()
        if form.validate_on_submit() and form.login.data == LOGIN and form.password.data == PASSWORD:
            login_user(users[LOGIN])
            return redirect(url_for("step"))
        return render_template("login.html", form=form, title="Se connecter", user=None)

    @app.route("/etape", methods=["GET", "POST"])
    @login_required
    def step():
        form = ProjectForm(data=saved.get(current_user.id))
        if request.method == "POST" and form.validate():
            saved[current_user.id] = {k: v for k, v in form.data.items() if k != "csrf_token"}
            return redirect(url_for("step"))
        return render_template("step.html", form=form, steps=STEPS, title="Le projet", user=current_user)

    return app


STEP_POST = {
    "intitule": "Restauration de la chapelle Saint-Roch",
    "edifice": "Chapelle Saint-Roch",
    "rue": "12 rue de la République",
    "code_postal": "13002",
    "commune": "Marseille",
    "commune_edifice": "13055",
    "nature": "restauration",
    "description": "Le projet est mené avec les habitants du quartier et les écoles de la commune. " * 3,
    "ouverture": "oui",
    "jours": "120",
    "debut": "2026-11-02",
    "fin": "2027-03-01",
    "phasage": "Une première tranche pour la toiture, une seconde pour les enduits et les menuiseries.",
    "montant": "24000.00",
}
