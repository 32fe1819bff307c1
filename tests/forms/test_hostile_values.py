"""Hostile values refused by the shared mechanisms of the field registry (control
characters, non-ASCII digits, number bounds), the same way at the page, in
``validate_demande`` and in the answers' JSON Schema."""
from __future__ import annotations

import jsonschema
import pytest

from runtime.forms.answers_check import schema_errors
from runtime.forms.registry import field_type, type_names
from runtime.forms.wizard import validate_demande
from runtime.spec.answers_schema import answers_schema, field_schema
from runtime.spec.loader import load_spec_text
from tests.forms.conftest import messages, post
from tests.forms.test_types import identite
from tests.forms.test_wizard import COMPLETE

CONTROL = ("Ce champ contient des caractères non autorisés (caractères de contrôle) : "
           "effacez son contenu et saisissez de nouveau le texte.")
HOSTILE_TEXTS = {
    "nul": "Asso\x00ciation",
    "c0": "Asso\x01\x07\x1bciation",
    "c1": "Asso\x85ciation",
    "del": "Asso\x7fciation",
    "rtl-override": "Association\u202egpj.exe",
    "isolat-bidi": "Asso\u2067ciation",
    "retour-a-la-ligne": "Association\r\nBcc: victime@exemple.org",
}


@pytest.mark.parametrize("typed", list(HOSTILE_TEXTS.values()), ids=list(HOSTILE_TEXTS))
@pytest.mark.parametrize("field", ["nom", "adresse-street", "adresse-commune"])
def test_control_characters_refused_in_text_fields(ctx, spec, field, typed):
    result = identite(spec, **{field: typed})
    assert messages(result) == {field.replace("-", "/"): CONTROL}
    kept = result.answers[field] if field == "nom" else result.answers["adresse"][field.split("-")[1]]
    assert kept == typed.strip()  # the draft keeps what was typed; transmission refuses it again


@pytest.mark.parametrize("field, typed", [("courriel", "nom\x00@exemple.fr"), ("courriel", "nom@exem\u202eple.fr"),
                                          ("site", "https://exemple.fr/\x07"), ("site", "exemple\u202e.fr")])
def test_control_characters_refused_in_email_and_url(ctx, spec, field, typed):
    assert messages(identite(spec, **{field: typed})) == {field: CONTROL}


@pytest.mark.parametrize("typed", ["Ligne 1\nLigne 2\r\nLigne 3", "Colonne\tvaleur et suite"])
def test_long_text_keeps_tabs_and_new_lines(ctx, spec, typed):
    result = identite(spec, description=typed)
    assert result.errors == []
    assert result.answers["description"] == typed.replace("\r\n", "\n")  # a browser posts \r\n


def test_a_line_break_counts_as_one_character(ctx, spec):
    """The spec's description allows 40 characters: 36 letters and 4 breaks as the browser posts them."""
    typed = "\r\n".join(["Premiere"] * 4) + "\r\nabcd"
    assert len(typed.replace("\r\n", "\n")) == 40
    assert messages(identite(spec, description=typed)) == {}
    assert messages(identite(spec, description=typed + "e")) == {"description": "Saisissez au plus 40 caractères."}


@pytest.mark.parametrize("typed", ["Texte\x00 assez long", "Texte\u202e assez long", "Texte\x0b assez long"])
def test_long_text_refuses_other_controls(ctx, spec, typed):
    assert messages(identite(spec, description=typed)) == {"description": CONTROL}


def test_zero_width_and_accents_are_ordinary_text(ctx, spec):
    result = identite(spec, nom="Élan\u200b d'été")
    assert result.errors == []


def test_control_characters_refused_in_a_table_cell(ctx, spec):
    result = post(spec, "budget", {"depenses-0-poste": "Tra\x00vaux", "depenses-0-montant": "10"})
    assert messages(result) == {"depenses/0/poste": "Dépenses, ligne 1 : " + CONTROL}


@pytest.mark.parametrize(
    "field, typed, noun",
    [
        ("montant", "１０００", "le montant"),
        ("montant", "¹⁰⁰⁰", "le montant"),
        ("montant", "١٠٠٠", "le montant"),
        ("effectif", "１２", "le nombre"),
        ("ratio", "１,５", "le nombre"),
        ("taux", "５０", "le pourcentage"),
        ("date_debut", "２０２６-０７-１４", "la date"),
        ("telephone", "０４ ９１ ９９ ９９ ００", "le numéro de téléphone"),
        ("rna", "W１３１２３４５６７", "le numéro RNA"),
        ("iban", "FR７６ ３０００ ６０００ ０１１２ ３４５６ ７８９０ １８９", "l'IBAN"),
        ("siret", "٧٣٢٨٢٩٣٢٠٠٠٠٧٤", "le numéro SIRET"),
        ("adresse-postcode", "１３００１", "le code postal"),
    ],
)
def test_non_ascii_digits_refused(ctx, spec, field, typed, noun):
    result = identite(spec, **{field: typed})
    assert messages(result) == {field.replace("-", "/"): f"Saisissez {noun} avec les chiffres ordinaires 0 à 9."}
    if field != "adresse-postcode":
        assert result.answers[field] == typed  # the draft keeps what was typed


def test_non_ascii_digits_refused_in_a_table_cell(ctx, spec):
    result = post(spec, "budget", {"depenses-0-poste": "Travaux", "depenses-0-montant": "１０００"})
    assert messages(result) == {
        "depenses/0/montant": "Dépenses, ligne 1 : Saisissez le montant avec les chiffres ordinaires 0 à 9."}


MAX_AMOUNT = "La valeur doit être au plus 999\u202f999\u202f999\u202f999,99 €."


@pytest.mark.parametrize("typed", ["1 000 000 000 000", "1000000000000,00 €", "9" * 40, "9" * 5000])
def test_huge_amount_refused_with_the_default_maximum(ctx, spec, typed):
    assert messages(identite(spec, montant=typed)) == {"montant": MAX_AMOUNT}


def test_default_maximum_amount_accepted(ctx, spec):
    result = identite(spec, montant="999 999 999 999,99")
    assert result.errors == []
    assert result.answers["montant"] == "999999999999.99"


def test_huge_amount_in_a_table_cell(ctx, spec):
    result = post(spec, "budget", {"depenses-0-poste": "Travaux", "depenses-0-montant": "9" * 40})
    assert messages(result) == {"depenses/0/montant": "Dépenses, ligne 1 : " + MAX_AMOUNT}


def test_integer_and_decimal_have_a_default_bound(ctx, spec):
    result = identite(spec, ratio="9" * 16)
    assert messages(result) == {"ratio": "La valeur doit être au plus 999\u202f999\u202f999\u202f999\u202f999."}
    assert messages(identite(spec, effectif="-1")) == {"effectif": "La valeur doit être au moins 0."}


BOUNDED = load_spec_text(
    """
id: borne
kind: teleservice
version: "1"
title: Bornes
pages:
  - id: p
    title: Montants
    fields:
      - id: aide
        type: amount
        label: Aide demandée
        required: true
        max: 50000
      - id: annee
        type: integer
        label: Année
        min: 2026
        max: 2030
""",
    "borne.yaml",
)


def test_spec_bounds_win_over_the_defaults(ctx):
    assert messages(post(BOUNDED, "p", {"aide": "50 000,01"})) == {
        "aide": "La valeur doit être au plus 50\u202f000 €."}
    assert messages(post(BOUNDED, "p", {"aide": "1", "annee": "2031"})) == {
        "annee": "La valeur doit être au plus 2030."}


# --- the same refusals at transmission: validate_demande and the JSON Schema


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"montant": "1000000000000.00"}, "montant", MAX_AMOUNT),
        ({"montant": "１０００"}, "montant", "Saisissez le montant avec les chiffres ordinaires 0 à 9."),
        ({"nom": "Les\u202eAmis"}, "nom", CONTROL),
        ({"depenses": [{"poste": "Tra\x00vaux", "montant": "100.00"}]}, "depenses/0/poste", "Dépenses, ligne 1 : " + CONTROL),
    ],
)
def test_validate_demande_refuses_stored_hostile_answers(ctx, spec, changes, path, message):
    errors = {e.path: e.message for e in validate_demande(spec, {**COMPLETE, **changes})}
    assert errors[path] == message


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"montant": "1000000000000.00"}, "montant", "La réponse à «\u00a0Montant demandé\u00a0» n'est pas valide."),
        ({"montant": 1e12}, "montant", "La valeur de «\u00a0Montant demandé\u00a0» doit être au plus 999\u202f999\u202f999\u202f999,99 €."),
        ({"montant": "１０００"}, "montant", "La réponse à «\u00a0Montant demandé\u00a0» n'est pas valide."),
        ({"nom": "Les\u202eAmis"}, "nom", CONTROL),
        ({"description": "Une\x00ligne assez longue"}, "description", CONTROL),
        ({"adresse": {"street": "1 rue\x1b A", "postcode": "13001", "commune": "Aix"}}, "adresse/street", CONTROL),
        ({"depenses": [{"poste": "Tra\u202evaux", "montant": "100.00"}]}, "depenses/0/poste", "Dépenses, ligne 1 : " + CONTROL),
        ({"effectif": 10**15}, "effectif", "La valeur de «\u00a0Nombre de salariés\u00a0» doit être au plus 500."),
    ],
)
def test_answers_schema_agrees_with_the_fields(ctx, spec, changes, path, message):
    found = {e.path: e.message for e in schema_errors(spec, {**COMPLETE, **changes})}
    assert found == {path: message}


def test_answers_schema_accepts_tabs_and_new_lines_in_long_texts(ctx, spec):
    assert schema_errors(spec, {**COMPLETE, "description": "Ligne 1\r\n\tLigne 2"}) == []
    assert schema_errors(spec, {**COMPLETE, "montant": "999999999999.99"}) == []


def test_answers_schema_is_valid_and_bounds_amounts(spec):
    schema = answers_schema(spec)
    jsonschema.Draft202012Validator.check_schema(schema)
    montant = schema["properties"]["montant"]
    assert (montant["minimum"], montant["maximum"]) == (0, 999999999999.99)
    assert montant["pattern"] == r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def test_registry_schema_is_the_spec_schema(spec):
    """One source for a field's JSON Schema: the registry asks the spec layer."""
    assert {"text", "amount", "table", "address", "file"} <= set(type_names())
    for page in spec.pages:
        for f in page.fields:
            if not field_type(f.type).static:
                assert field_type(f.type).json_schema(f) == field_schema(f)
