"""The shared formula corpus, evaluated in Chromium by static/js/formulas.js on the ASTs the
server produces: the browser and the server agree on every case (tests/spec/test_formulas.py
runs the same file in Python)."""
from __future__ import annotations

import json

import pytest

from runtime import ROOT
from runtime.spec.formulas import parse

pytestmark = pytest.mark.browser

CORPUS = json.loads((ROOT / "tests" / "formulas_corpus.json").read_text(encoding="utf-8"))


def test_browser_evaluates_the_corpus_like_the_server(browser):
    cases = [{"ast": parse(c["formula"]), "values": c["values"], "formula": c["formula"]} for c in CORPUS["cases"]]
    page = browser.new_page()
    try:
        page.set_content("<!DOCTYPE html><html lang='fr'><body></body></html>")
        page.add_script_tag(path=str(ROOT / "static" / "js" / "formulas.js"))
        results = page.evaluate(
            "cases => cases.map(c => window.Portail.formulas.evaluate(c.ast, c.values))", cases)
    finally:
        page.close()
    mismatches = [(c["formula"], c["expected"], got) for c, got in zip(CORPUS["cases"], results, strict=True)
                  if got != c["expected"]]
    assert mismatches == []
    assert len(results) >= 40
