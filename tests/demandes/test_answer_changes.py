"""What changed between two versions of a demande, as staff read it: each value in its own unit."""
from __future__ import annotations

from runtime.domain.versions import compare
from runtime.spec.loader import load_spec_text

SPEC = load_spec_text("""
id: budget
kind: teleservice
version: "1"
title: Budget
pages:
  - id: budget
    title: Budget
    fields:
      - id: montant
        type: amount
        label: Montant sollicité
      - id: cout
        type: amount
        label: Coût du projet
computed:
  - id: part
    label: Part de l'aide dans le coût (%)
    formula: round(montant * 100 / cout; 1)
    page: budget
  - id: reste
    label: Reste à financer
    difference: [cout, montant]
    page: budget
""", "budget.yaml")


def test_a_computed_percentage_is_not_shown_in_euros():
    changes = compare(SPEC, {"montant": "400.00", "cout": "1000.00"}, SPEC, {"montant": "393.00", "cout": "1000.00"})
    shown = {c.label: (c.before, c.after) for c in changes}
    assert shown["Part de l'aide dans le coût (%)"] == ("40", "39,3")
    assert shown["Reste à financer"] == ("600,00\u202f€", "607,00\u202f€")


def test_a_value_that_cannot_be_computed_says_so_without_blaming_a_missing_answer():
    changes = compare(SPEC, {"montant": "400.00", "cout": "1000.00"}, SPEC, {"montant": "400.00", "cout": "0.00"})
    shown = {c.label: c.after for c in changes}
    assert shown["Part de l'aide dans le coût (%)"] == "Non calculable avec les réponses actuelles"  # 400 / 0
