"""The shared corpus (parity_corpus.json) evaluated in Python: conditions, computed values
and the normalisation of typed values. The same corpus runs in Chromium against
static/js/portail/ (conditions.js, computed.js, values.js; test_browser_live.py): both must give the expected values."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from runtime.spec.computed import compute
from runtime.spec.conditions import evaluate
from runtime.spec.loader import load_spec_text
from runtime.spec.model import Computed
from tests.forms.conftest import post

CORPUS = json.loads((Path(__file__).parent / "parity_corpus.json").read_text(encoding="utf-8"))
NORMALISED_TYPES = sorted({case["type"] for case in CORPUS["normalise"]})
# One optional field per type, its id the type's name.
SPEC = load_spec_text(
    "id: parite\nkind: teleservice\nversion: 1\ntitle: Parité\npages:\n  - id: p\n    title: P\n    fields:\n"
    + "".join(f"      - {{id: {name}, type: {name}, label: {name}}}\n" for name in NORMALISED_TYPES),
    "parite.yaml",
)


def as_decimal(value):
    return None if value is None else Decimal(str(value))


@pytest.mark.parametrize("case", CORPUS["conditions"], ids=lambda c: json.dumps(c["condition"], ensure_ascii=False))
def test_condition(case):
    assert evaluate(case["condition"], case["values"]) is case["expected"]


@pytest.mark.parametrize("case", CORPUS["computed"], ids=lambda c: json.dumps(c["answers"], ensure_ascii=False))
def test_computed_value(case):
    items = [Computed(id=c["id"], label=c["id"], sum=c.get("sum"), difference=tuple(c["difference"])
                      if c.get("difference") else None) for c in case["computed"]]
    results = compute(SimpleNamespace(computed=items), case["answers"])
    assert {k: as_decimal(v) for k, v in results.items()} == {k: as_decimal(v) for k, v in case["expected"].items()}


@pytest.mark.parametrize("case", CORPUS["normalise"], ids=lambda c: f"{c['type']}:{c['raw']}")
def test_typed_value_is_normalised(ctx, case):
    answers = post(SPEC, "p", {case["type"]: case["raw"]}).answers
    assert answers.get(case["type"]) == case["expected"]
