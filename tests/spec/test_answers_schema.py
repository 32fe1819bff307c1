"""The JSON Schema of a téléservice's answers."""
from __future__ import annotations

import copy

import jsonschema
import pytest

from runtime import ROOT
from runtime.spec.answers_schema import answers_schema, condition_schema
from runtime.spec.loader import load_spec_file

FILE = {"file_id": "abc", "filename": "devis.pdf", "size": 1200, "content_type": "application/pdf"}
ADDRESS = {"street": "2 quai d'Arenc", "postcode": "13002", "commune": "Marseille"}
GOOD = {
    "situe_metropole": True,
    "proprietaire": True,
    "protege": True,
    "type_protection": "classe",
    "travaux_commences": False,
    "raison_sociale": "Les Amis de la chapelle Saint-Roch",
    "siret": "73282932000074",
    "adresse": ADDRESS,
    "referent_nom": "Claire Martin",
    "referent_email": "claire.martin@example.org",
    "referent_telephone": "04 91 99 99 00",
    "intitule": "Restauration de la toiture",
    "edifice": "Chapelle Saint-Roch",
    "adresse_edifice": ADDRESS,
    "nature_intervention": ["restauration", "valorisation"],
    "description": "x" * 60,
    "ouverture_public": True,
    "jours_ouverture": 120,
    "date_debut": "2027-03-01",
    "date_fin": "2027-09-30",
    "autorisation_drac": "obtenue",
    "date_autorisation": "2026-10-12",
    "architecte": "Jean Durand",
    "depenses": [{"poste": "Couverture", "montant": "12000.50"}, {"poste": "Charpente", "montant": 8000}],
    "recettes": [{"financeur": "Métropole", "nature": "metropole", "montant": "20000.50"}],
    "montant_sollicite": "10000",
    "devis": FILE,
    "plan_financement": FILE,
    "photos": FILE,
    "arrete_protection": None,
}


@pytest.fixture(scope="module")
def validator():
    spec = load_spec_file(ROOT / "specs" / "teleservices" / "patrimoine.yaml")
    schema = answers_schema(spec)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def messages(validator, answers):
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.validator}" for e in validator.iter_errors(answers))


def test_good_answers_are_valid(validator):
    assert messages(validator, GOOD) == []


def changed(**changes):
    answers = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is ...:
            del answers[key]
        else:
            answers[key] = value
    return answers


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"intitule": ...}, [": required"]),
        ({"type_protection": "ruine"}, ["type_protection: enum"]),
        ({"protege": "oui"}, ["protege: type"]),
        ({"jours_ouverture": 400}, ["jours_ouverture: maximum"]),
        ({"jours_ouverture": "cent"}, ["jours_ouverture: type"]),
        ({"date_debut": "01/03/2027"}, ["date_debut: pattern"]),
        ({"nature_intervention": ["restauration", "demolition"]}, ["nature_intervention/1: enum"]),
        ({"adresse": {"street": "1 rue", "postcode": "1300", "commune": "Aix"}}, ["adresse/postcode: pattern"]),
        ({"devis": {"filename": "x.pdf"}}, ["devis: required"]),
        ({"depenses": []}, ["depenses: minItems"]),
        ({"depenses": [{"poste": "A", "montant": "douze"}]}, ["depenses/0/montant: pattern"]),
        ({"depenses": [{"poste": "A"}]}, ["depenses/0: required"]),
        ({"depenses": [{"poste": "A", "montant": 1, "pirate": 2}]}, ["depenses/0: additionalProperties"]),
        ({"inconnu": "x"}, [": additionalProperties"]),
        ({"montant_sollicite": 0}, ["montant_sollicite: minimum"]),
    ],
)
def test_bad_answers_are_rejected(validator, changes, expected):
    assert messages(validator, changed(**changes)) == expected


def test_conditionally_required_fields(validator):
    assert messages(validator, changed(type_protection=...)) == [": required"]
    unprotected = changed(protege=False, type_protection=..., autorisation_drac=..., date_autorisation=..., architecte=...)
    assert messages(validator, unprotected) == []
    assert messages(validator, changed(date_autorisation=...)) == [": required"]
    assert messages(validator, changed(autorisation_drac="deposee", date_autorisation=...)) == []
    assert messages(validator, changed(proprietaire=False)) == [": required"]
    assert messages(validator, changed(proprietaire=False, accord_proprietaire=FILE)) == []


def test_static_blocks_have_no_answer(validator):
    assert "hors_metropole" not in validator.schema["properties"]


@pytest.mark.parametrize(
    "condition, matching, other",
    [
        ({"field": "a", "equals": "x"}, {"a": "x"}, {"a": "y"}),
        ({"field": "a", "not_equals": "x"}, {"a": "y"}, {"a": ""}),
        ({"field": "a", "in": ["x", "y"]}, {"a": "y"}, {}),
        ({"field": "a", "not_in": ["x"]}, {"a": "y"}, {"a": "x"}),
        ({"field": "a", "greater_than": 5}, {"a": 6}, {"a": 5}),
        ({"field": "a", "at_most": 5}, {"a": 5}, {"a": 6}),
        ({"field": "a", "contains": "x"}, {"a": ["y", "x"]}, {"a": ["y"]}),
        ({"field": "a", "is_filled": True}, {"a": "x"}, {"a": None}),
        ({"field": "a", "is_filled": False}, {}, {"a": "x"}),
        ({"not": {"field": "a", "equals": "x"}}, {"a": "y"}, {"a": "x"}),
        ({"any": [{"field": "a", "equals": 1}, {"field": "b", "equals": 2}]}, {"b": 2}, {"a": 2}),
        ({"all": [{"field": "a", "equals": 1}, {"field": "b", "equals": 2}]}, {"a": 1, "b": 2}, {"a": 1}),
    ],
)
def test_condition_schema_matches_evaluate(condition, matching, other):
    from runtime.spec.conditions import evaluate

    schema = condition_schema(condition)
    assert jsonschema.Draft202012Validator(schema).is_valid(matching) is evaluate(condition, matching) is True
    assert jsonschema.Draft202012Validator(schema).is_valid(other) is evaluate(condition, other) is False


@pytest.mark.parametrize(
    "condition",
    [{"field": "fin", "after": {"field": "debut"}}, {"field": "fin", "after": "2026-01-01"}],
)
def test_untranslatable_conditions(condition):
    assert condition_schema(condition) is None


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "specs").rglob("*.yaml") if p.parent.name != "listes"), ids=lambda p: p.name)
def test_every_shipped_spec_compiles_to_a_valid_schema(path):
    jsonschema.Draft202012Validator.check_schema(answers_schema(load_spec_file(path)))
