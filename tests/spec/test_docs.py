"""Every example of the staff documentation parses and lints clean."""
from __future__ import annotations

import re
import textwrap

import pytest
import yaml

from runtime import ROOT
from runtime.spec.checks import RESERVED_FIELD_IDS
from runtime.spec.formulas import canonical, evaluate, parse
from runtime.spec.lint import ACCOUNT_PREFILL, lint_paths
from runtime.spec.schema_errors import spec_schema

DOC = ROOT / "docs" / "spec-language.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
PAGE = """\
id: exemple
kind: teleservice
version: 1
title: Exemple
pages:
  - id: page
    title: Page
    fields:
"""


def as_spec(block: str) -> str:
    """A full spec as is; a list of fields placed in a one-page spec."""
    if block.startswith("- id:"):
        return PAGE + textwrap.indent(block, "      ")
    return block


def test_doc_has_examples():
    assert len(BLOCKS) >= 12
    assert all(b.startswith(("- id:", "# yaml-language-server")) for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"exemple-{i + 1}" for i in range(len(BLOCKS))])
def test_doc_example_lints_clean(block, tmp_path):
    if "list.schema.json" in block.splitlines()[0]:  # a shared list: lives in listes/
        path = tmp_path / "listes" / "exemple.yaml"
        path.parent.mkdir()
    else:
        path = tmp_path / "exemple.yaml"
    path.write_text(as_spec(block), encoding="utf-8")
    assert [str(e) for e in lint_paths([path])] == []


FORMULA_ROWS = re.findall(r"^\| `([^`]+)` \| `(\{.*\})` \| (?:`([^`]+)`|vide) \|$",
                          DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)


@pytest.mark.parametrize("formula, values, expected", FORMULA_ROWS, ids=[r[0] for r in FORMULA_ROWS])
def test_doc_formula_example_gives_its_result(formula, values, expected):
    result = canonical(evaluate(parse(formula), yaml.safe_load(values).get))
    assert (str(result).lower() if isinstance(result, bool) else result) == (expected or None)


def test_doc_has_formula_examples_and_lists_reserved_ids_and_prefills():
    text = DOC.read_text(encoding="utf-8")
    assert len(FORMULA_ROWS) >= 10
    for name in RESERVED_FIELD_IDS:
        assert f"`{name}`" in text, name
    for name in ACCOUNT_PREFILL:
        assert f"account.{name}" in text, name


def test_doc_mentions_every_field_type_and_key():
    text = DOC.read_text(encoding="utf-8")
    schema = spec_schema()
    field_keys = schema["$defs"]["field"]["properties"]
    for name in list(field_keys) + list(schema["properties"]) + field_keys["type"]["enum"]:
        assert f"`{name}`" in text, name
