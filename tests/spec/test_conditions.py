"""Conditions: one meaning, safe, Decimal-aware, false against missing values."""
from __future__ import annotations

from decimal import Decimal

import pytest

from runtime.spec.conditions import evaluate, referenced_fields

VALUES = {
    "statut": "association",
    "protege": True,
    "ouvert": False,
    "montant": Decimal("1500.50"),
    "effectif": 12,
    "texte_nombre": "250",
    "debut": "2027-01-15",
    "fin": "2027-06-30",
    "publics": ["enfants", "seniors"],
    "vide": "",
    "liste_vide": [],
    "rien": None,
}


@pytest.mark.parametrize(
    "condition, expected",
    [
        ({"field": "statut", "equals": "association"}, True),
        ({"field": "statut", "equals": "commune"}, False),
        ({"field": "statut", "not_equals": "commune"}, True),
        ({"field": "statut", "not_equals": "association"}, False),
        ({"field": "protege", "equals": True}, True),
        ({"field": "protege", "equals": False}, False),
        ({"field": "ouvert", "equals": False}, True),
        ({"field": "protege", "equals": "true"}, False),
        ({"field": "statut", "in": ["association", "commune"]}, True),
        ({"field": "statut", "in": ["commune"]}, False),
        ({"field": "statut", "not_in": ["commune"]}, True),
        ({"field": "statut", "not_in": ["association"]}, False),
        ({"field": "montant", "greater_than": 1500}, True),
        ({"field": "montant", "greater_than": 1500.5}, False),
        ({"field": "montant", "less_than": 1500.51}, True),
        ({"field": "montant", "at_least": 1500.5}, True),
        ({"field": "montant", "at_most": 1500.49}, False),
        ({"field": "montant", "equals": 1500.5}, True),
        ({"field": "effectif", "equals": 12}, True),
        ({"field": "effectif", "at_most": 12}, True),
        ({"field": "texte_nombre", "greater_than": 99}, True),
        ({"field": "debut", "before": "2027-02-01"}, True),
        ({"field": "debut", "after": "2027-02-01"}, False),
        ({"field": "fin", "after": {"field": "debut"}}, True),
        ({"field": "debut", "after": {"field": "fin"}}, False),
        ({"field": "montant", "greater_than": {"field": "effectif"}}, True),
        ({"field": "publics", "contains": "enfants"}, True),
        ({"field": "publics", "contains": "adultes"}, False),
        ({"field": "publics", "in": ["adultes", "seniors"]}, True),
        ({"field": "publics", "not_in": ["adultes"]}, True),
        ({"field": "statut", "is_filled": True}, True),
        ({"field": "vide", "is_filled": True}, False),
        ({"field": "vide", "is_filled": False}, True),
        ({"field": "liste_vide", "is_filled": False}, True),
        ({"field": "absent", "is_filled": False}, True),
    ],
)
def test_operators(condition, expected):
    assert evaluate(condition, VALUES) is expected


@pytest.mark.parametrize("name", ["absent", "vide", "liste_vide", "rien"])
@pytest.mark.parametrize(
    "operator, value",
    [
        ("equals", "x"),
        ("not_equals", "x"),
        ("in", ["x"]),
        ("not_in", ["x"]),
        ("greater_than", 0),
        ("less_than", 0),
        ("at_least", 0),
        ("at_most", 0),
        ("before", "2030-01-01"),
        ("after", "2000-01-01"),
        ("contains", "x"),
    ],
)
def test_comparisons_against_missing_value_are_false(name, operator, value):
    assert evaluate({"field": name, operator: value}, VALUES) is False


def test_reference_to_missing_value_is_false():
    assert evaluate({"field": "debut", "before": {"field": "absent"}}, VALUES) is False
    assert evaluate({"field": "debut", "not_equals": {"field": "absent"}}, VALUES) is False


def test_combinators():
    yes = {"field": "statut", "equals": "association"}
    no = {"field": "statut", "equals": "commune"}
    assert evaluate({"all": [yes, yes]}, VALUES) is True
    assert evaluate({"all": [yes, no]}, VALUES) is False
    assert evaluate({"any": [no, yes]}, VALUES) is True
    assert evaluate({"any": [no, no]}, VALUES) is False
    assert evaluate({"not": no}, VALUES) is True
    assert evaluate({"not": {"any": [no, {"all": [yes, {"not": yes}]}]}}, VALUES) is True
    assert evaluate({"not": {"field": "absent", "equals": "x"}}, VALUES) is True


def test_no_condition_always_holds():
    assert evaluate(None, {}) is True


def test_numbers_are_not_booleans():
    assert evaluate({"field": "un", "equals": True}, {"un": 1}) is False
    assert evaluate({"field": "vrai", "equals": 1}, {"vrai": True}) is False


def test_non_numeric_text_never_compares_as_number():
    assert evaluate({"field": "t", "greater_than": 1}, {"t": "beaucoup"}) is False


def test_referenced_fields():
    condition = {
        "all": [
            {"field": "a", "equals": 1},
            {"any": [{"field": "b", "after": {"field": "c"}}, {"not": {"field": "d", "is_filled": True}}]},
        ]
    }
    assert list(referenced_fields(condition)) == ["a", "b", "c", "d"]
