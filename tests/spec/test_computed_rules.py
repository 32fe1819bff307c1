"""Computed values and cross-field rules, on the shipped patrimoine spec."""
from __future__ import annotations

from decimal import Decimal

import pytest

from runtime import ROOT
from runtime.spec.computed import compute
from runtime.spec.errors import FieldError
from runtime.spec.loader import load_spec_file, load_spec_text
from runtime.spec.rules import check_rules

BALANCE = "Le budget doit être équilibré : le total des recettes doit être égal au total des dépenses."
DATES = "La date de fin doit être postérieure à la date de début."
CEILING = "Le montant sollicité ne peut pas dépasser le total des dépenses du projet."


@pytest.fixture(scope="module")
def spec():
    return load_spec_file(ROOT / "specs" / "teleservices" / "patrimoine.yaml")


def budget(depenses, recettes, **more):
    return {
        "depenses": [{"poste": f"Poste {i}", "montant": m} for i, m in enumerate(depenses)],
        "recettes": [{"financeur": f"F{i}", "nature": "autre", "montant": m} for i, m in enumerate(recettes)],
        **more,
    }


def test_sums_and_difference_are_exact_decimals(spec):
    values = compute(spec, budget(["0.10", 0.2, "1 000,70", None, ""], ["1000", "1"]))
    assert values == {
        "total_depenses": Decimal("1001.00"),
        "total_recettes": Decimal(1001),
        "solde": Decimal("0.00"),
        "part_sollicitee": None,  # montant_sollicite unanswered
    }
    with_request = compute(spec, {**budget(["1000"], ["1000"]), "montant_sollicite": "333.33"})
    assert with_request["part_sollicitee"] == Decimal("33.3")


def test_empty_tables_sum_to_zero(spec):
    assert compute(spec, {}) == {"total_depenses": 0, "total_recettes": 0, "solde": 0, "part_sollicitee": None}


def test_difference_with_missing_operand_is_none():
    text = """
id: t
kind: teleservice
version: 1
title: T
pages:
  - id: p
    title: P
    fields:
      - {id: a, type: amount, label: A}
      - {id: b, type: amount, label: B}
computed:
  - {id: ecart, label: Écart, difference: [a, b]}
  - {id: ecart_double, label: Double, difference: [ecart, b]}
"""
    spec = load_spec_text(text)
    assert compute(spec, {"a": "10", "b": "4"}) == {"ecart": Decimal(6), "ecart_double": Decimal(2)}
    assert compute(spec, {"a": "10"}) == {"ecart": None, "ecart_double": None}


def test_balanced_budget_passes(spec):
    answers = budget(["1500", "500.50"], ["2000.50"], montant_sollicite="1000")
    assert check_rules(spec, answers) == []


def test_unbalanced_budget_fails_on_budget_page(spec):
    answers = budget(["1500", "500.50"], ["2000"], montant_sollicite="1000")
    assert check_rules(spec, answers) == [
        FieldError("recettes", BALANCE, "budget", "rule:budget_equilibre")
    ]
    assert check_rules(spec, answers, page_id="budget") == check_rules(spec, answers)
    assert check_rules(spec, answers, page_id="projet") == []


def test_dates_rule_shown_beside_end_date(spec):
    answers = {"date_debut": "2027-03-01", "date_fin": "2027-02-01"}
    assert check_rules(spec, answers) == [FieldError("date_fin", DATES, "projet", "rule:dates_ordonnees")]
    assert check_rules(spec, {**answers, "date_fin": "2027-03-01"})[0].message == DATES
    assert check_rules(spec, {**answers, "date_fin": "2027-03-02"}) == []


def test_rule_skipped_while_a_value_is_missing(spec):
    assert check_rules(spec, {"date_debut": "2027-03-01"}) == []


def test_rule_against_computed_value(spec):
    answers = budget(["100"], ["100"], montant_sollicite="150")
    assert check_rules(spec, answers) == [
        FieldError("montant_sollicite", CEILING, "budget", "rule:aide_inferieure_depenses")
    ]


def test_rule_with_when_and_without_fields():
    text = """
id: t
kind: teleservice
version: 1
title: T
pages:
  - id: p
    title: P
    fields:
      - {id: salaries, type: integer, label: Salariés}
      - {id: etp, type: decimal, label: ETP}
rules:
  - id: etp_max
    when: {field: salaries, greater_than: 0}
    require: {field: etp, at_most: {field: salaries}}
    message: Trop d'ETP.
"""
    spec = load_spec_text(text)
    assert spec.rules[0].fields == ("etp", "salaries")
    assert spec.rules[0].page == "p"
    assert check_rules(spec, {"salaries": 2, "etp": "2.5"}) == [FieldError("etp", "Trop d'ETP.", "p", "rule:etp_max")]
    assert check_rules(spec, {"salaries": 0, "etp": "2.5"}) == []
