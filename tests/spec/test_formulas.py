"""Formulas: the shared corpus (also run in Chromium), lint positions, specs using formulas."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from runtime import ROOT
from runtime.spec.computed import compute
from runtime.spec.conditions import evaluate as evaluate_condition
from runtime.spec.errors import SpecErrors
from runtime.spec.formulas import FIELD_TYPES, TEXT, FormulaError, Name, canonical, evaluate, parse, type_of
from runtime.spec.loader import load_spec_text

CORPUS = json.loads((ROOT / "tests" / "formulas_corpus.json").read_text(encoding="utf-8"))


def _names(spec: dict) -> dict[str, Name]:
    names = {}
    for name, kind in spec.items():
        if isinstance(kind, str):
            names[name] = Name(FIELD_TYPES.get(kind), kind)
        elif "choices" in kind:
            names[name] = Name(TEXT, "choice", tuple(kind["choices"]))
        else:
            names[name] = Name("table", "table", columns={c: Name(FIELD_TYPES.get(t), t) for c, t in kind.items()})
    return names


def test_corpus_is_substantial():
    assert len(CORPUS["cases"]) >= 40 and len(CORPUS["errors"]) >= 20


@pytest.mark.parametrize("case", CORPUS["cases"], ids=lambda c: c["formula"])
def test_corpus_case(case):
    assert canonical(evaluate(parse(case["formula"]), case["values"].get)) == case["expected"]


@pytest.mark.parametrize("case", CORPUS["errors"], ids=lambda c: c["formula"])
def test_corpus_error_at_the_faulty_token(case):
    with pytest.raises(FormulaError) as caught:
        type_of(parse(case["formula"]), _names(case["names"]))
    assert case["message"] in caught.value.message
    assert caught.value.offset + 1 == case["column"]
    assert "None" not in caught.value.message and "{" not in caught.value.message


def test_ast_is_plain_json():
    ast = parse('sum(depenses.montant; depenses.nature = "x") * 20% + min(a; 3)')
    assert json.loads(json.dumps(ast)) == ast


def test_no_float_error_on_euros():
    values = {"a": 0.1, "b": 0.2}
    result = evaluate(parse("a + b"), values.get)
    assert result == Decimal("0.3") and isinstance(result, Decimal)


SPEC = """\
id: essai-formules
kind: teleservice
version: 1
title: Essai
pages:
  - id: projet
    title: Projet
    fields:
      - {id: montant_sollicite, type: amount, label: Montant sollicité}
      - id: depenses
        type: table
        label: Dépenses
        columns:
          - {id: nature, type: choice, label: Nature, choices: [investissement, fonctionnement]}
          - {id: montant, type: amount, label: Montant}
      - id: justification
        type: textarea
        label: Justification
        when: "montant_sollicite > 80% * total_investissement"
computed:
  - {id: total_investissement, label: Investissement, formula: 'sum(depenses.montant; depenses.nature = "investissement")'}
  - id: part
    label: Part sollicitée (%)
    formula: round(montant_sollicite * 100 / total_investissement; 1)
rules:
  - id: plafond
    require: "montant_sollicite <= min(total_investissement * 80%; 50000)"
    message: L'aide ne dépasse pas 80 % de l'investissement, ni 50 000 €.
"""


def test_spec_with_formulas_computes_and_conditions():
    spec = load_spec_text(SPEC, "essai.yaml")
    answers = {"montant_sollicite": Decimal(9000), "depenses": [
        {"nature": "investissement", "montant": Decimal(10000)},
        {"nature": "fonctionnement", "montant": Decimal(5000)},
    ]}
    values = {**answers, **compute(spec, answers)}
    assert values["total_investissement"] == Decimal(10000)
    assert values["part"] == Decimal(90)
    assert evaluate_condition(spec.field("justification").when, values) is True
    assert evaluate_condition(spec.rules[0].require, values) is False
    assert spec.rules[0].fields == ("montant_sollicite",)
    assert spec.computed[0].page == "projet"


@pytest.mark.parametrize("before, after, token, message", [
    ("round(montant_sollicite * 100", "round(montant_solicite * 100", "montant_solicite",
     "champ inconnu « montant_solicite »"),
    ("80% * total_investissement", "80% * intitule_projet", "intitule_projet", "champ inconnu « intitule_projet »"),
    ("min(total_investissement * 80%; 50000)", "min(total_investissement * 80%; 50000) + justification",
     "justification", "un nombre attendu, mais cette valeur est de type texte"),
    ('depenses.nature = "investissement"', 'depenses.nature = "investisement"', '"investisement"',
     "ne peut jamais valoir"),
])
def test_lint_reports_the_column_of_the_faulty_token(before, after, token, message):
    text = SPEC.replace(before, after)
    line = next(n for n, content in enumerate(text.splitlines(), start=1) if after in content)
    column = text.splitlines()[line - 1].index(token) + 1
    with pytest.raises(SpecErrors) as caught:
        load_spec_text(text, "essai.yaml")
    assert [str(e) for e in caught.value.errors] == [f"essai.yaml:{line}:{column}: " + next(
        e.message for e in caught.value.errors)]
    assert message in caught.value.errors[0].message
