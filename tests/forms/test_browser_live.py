"""The live behaviour in Chromium: conditions, totals, rules, table rows, autosave,
and the browser's condition evaluator giving the server's answers.

Pages come from the Flask test client through Playwright's request routing: no server,
no other host.
"""
from __future__ import annotations

import pytest

from runtime.spec.field_types import kind_names
from tests.forms.test_parity import CORPUS, as_decimal

pytestmark = pytest.mark.browser

BASE = "http://portail.test"


@pytest.fixture
def chromium(browser):
    return browser


@pytest.fixture
def page(chromium, fclient):
    posted = []

    def handle(route, request):
        if not request.url.startswith(BASE):
            route.abort()  # a page never calls another host
            return
        path = request.url[len(BASE):]
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "x-autosave")}
        response = fclient.open(path, method=request.method, data=request.post_data_buffer, headers=headers)
        if request.method == "POST":
            posted.append((path, dict(response.headers), response.get_data(as_text=True)))
        route.fulfill(status=response.status_code, headers=dict(response.headers), body=response.get_data())

    context = chromium.new_context(locale="fr-FR")
    tab = context.new_page()
    tab.route("**/*", handle)
    tab.posted = posted
    yield tab
    context.close()


def test_js_class_and_live_conditions(page):
    page.goto(f"{BASE}/essai/choix")
    assert page.evaluate("document.documentElement.className").split() == ["govuk-template", "js"]
    wrapper = page.locator("#champ-montant_precedent")
    assert wrapper.is_hidden()
    page.check("#subventionne")  # Oui
    assert wrapper.is_visible()
    page.check("#subventionne-2")  # Non
    assert wrapper.is_hidden()


def test_totals_rules_and_rows(page):
    page.goto(f"{BASE}/essai/budget")
    page.fill("#depenses-0-poste", "Travaux")
    page.fill("#depenses-0-montant", "1 000")
    page.fill("#depenses-1-poste", "Études")
    page.fill("#depenses-1-montant", "234,5")
    total = page.locator("[data-table=depenses] [data-total=montant] output")
    assert total.text_content() == "1\u202f234,50\u202f€"
    page.fill("#recettes-0-financeur", "Ville")
    page.fill("#recettes-0-montant", "1000")
    rule = page.locator(".portail-rule")
    assert rule.is_visible()
    assert "Le budget doit être équilibré." in rule.text_content()
    page.fill("#recettes-0-montant", "1234,50")
    assert rule.is_hidden()
    # rows: 3 shown, one more added client-side, then the first removed and the rest renumbered
    page.click("[data-table=depenses] .portail-table__add")
    assert page.locator("#depenses-3-poste").count() == 1
    assert page.locator("label[for=depenses-3-montant]").text_content() == "Montant, ligne 4"
    page.click("[data-table=depenses] button[value='remove:depenses:0']")
    assert page.input_value("#depenses-0-poste") == "Études"
    assert page.locator("#depenses-3-poste").count() == 0
    assert total.text_content() == "234,50\u202f€"


def test_a_removed_row_takes_its_errors_and_the_rows_below_keep_theirs(page):
    page.goto(f"{BASE}/essai/budget")
    for row, (poste, montant) in enumerate([("Toiture", "100"), ("Murs", "200"), ("Zinguerie", "abc")]):
        page.fill(f"#depenses-{row}-poste", poste)
        page.fill(f"#depenses-{row}-montant", montant)
    page.evaluate("document.querySelector('form.portail-form').submit()")  # the server's errors
    page.wait_for_selector(".govuk-error-summary a[href='#depenses-2-montant']")
    page.click("[data-table=depenses] button[value='remove:depenses:0']")
    link = page.locator(".govuk-error-summary a[href^='#depenses-']")
    assert link.count() == 1 and link.get_attribute("href") == "#depenses-1-montant"
    assert "Dépenses, ligne 2 :" in link.text_content()
    beside = page.locator("#depenses-1-montant-error")
    assert "Dépenses, ligne 2 :" in beside.text_content() and "Erreur" in beside.text_content()
    page.click("[data-table=depenses] button[value='remove:depenses:1']")  # the row in error itself
    assert page.locator(".govuk-error-summary a[href^='#depenses-']").count() == 0


def test_formulas_computed_and_conditions_live(page):
    """A formula computed value and a formula condition, evaluated by static/js/formulas.js as typed."""
    page.goto(f"{BASE}/essai/budget")
    part = page.locator(".portail-computed", has_text="Part des travaux").locator("output")
    explanation = page.locator("#champ-explication_ecart")
    assert explanation.is_hidden()
    page.fill("#depenses-0-poste", "Travaux")
    page.fill("#depenses-0-montant", "750")
    page.fill("#depenses-1-poste", "Études")
    page.fill("#depenses-1-montant", "250")
    assert part.text_content() == "75"
    page.fill("#depenses-1-montant", "500")
    assert part.text_content() == "60"
    page.fill("#recettes-0-financeur", "Ville")
    page.fill("#recettes-0-montant", "1000")
    assert explanation.is_visible()
    page.fill("#recettes-0-montant", "1250")
    assert explanation.is_hidden()


def fill_budget(page, recettes: str) -> None:
    page.fill("#depenses-0-poste", "Travaux")
    page.fill("#depenses-0-montant", "1000")
    page.fill("#recettes-0-financeur", "Ville")
    page.fill("#recettes-0-montant", recettes)


SUBMIT = "form.portail-form button.govuk-button:not(.govuk-button--secondary)"


def test_rule_warning_gets_the_focus_before_moving_on(page):
    """The first press on the main button with a warning showing moves the focus to it
    (screen readers read it); the second press submits (the server saves the draft)."""
    page.goto(f"{BASE}/essai/budget")
    fill_budget(page, "900")
    page.click(SUBMIT)
    focused = page.evaluate("document.activeElement.className")
    assert "portail-rule" in focused
    assert "Le budget doit être équilibré." in page.evaluate("document.activeElement.textContent")
    assert page.posted == []
    page.click(SUBMIT)
    page.wait_for_load_state("load")
    assert [path for path, *_ in page.posted] == ["/essai/budget"]
    assert "Le budget doit être équilibré." in page.locator(".govuk-error-summary").text_content()


def test_balanced_budget_submits_at_once(page):
    page.goto(f"{BASE}/essai/budget")
    fill_budget(page, "1000")
    assert page.locator(".portail-rule").is_hidden()
    page.click(SUBMIT)
    page.wait_for_load_state("load")
    assert [path for path, *_ in page.posted] == ["/essai/budget"]
    assert page.locator("body").text_content().strip() == "enregistré"


def test_autosave_posts_the_form(page, draft):
    page.goto(f"{BASE}/essai/identite?autosave=/essai/identite")
    page.fill("#nom", "Les Amis du patrimoine")
    page.evaluate("Portail.autosave()")
    status = page.locator("[data-autosave-status]")
    status.filter(has_text="Brouillon").wait_for()
    assert status.text_content().startswith("Brouillon enregistré à ")
    assert draft.answers["nom"] == "Les Amis du patrimoine"


def test_browser_means_what_the_server_means(page):
    """The shared corpus (parity_corpus.json, also run in Python by test_parity.py) in static/js/portail/."""
    page.goto(f"{BASE}/essai/choix")
    numeric = list(kind_names(numeric=True))
    got = page.evaluate("""([corpus, numeric]) => ({
        conditions: corpus.conditions.map(c => Portail.conditions.evaluate(c.condition, c.values)),
        computed: corpus.computed.map(c => Portail.computed.compute(c.computed, c.answers)),
        normalise: corpus.normalise.map(c => Portail.values.normalise(c.type, c.raw, numeric.indexOf(c.type) >= 0)),
    })""", [CORPUS, numeric])
    assert got["conditions"] == [c["expected"] for c in CORPUS["conditions"]]
    assert [{k: as_decimal(v) for k, v in r.items()} for r in got["computed"]] == \
        [{k: as_decimal(v) for k, v in c["expected"].items()} for c in CORPUS["computed"]]
    assert got["normalise"] == [c["expected"] for c in CORPUS["normalise"]]


@pytest.mark.parametrize("path", ["/essai/identite", "/essai/choix", "/essai/budget", "/essai/pieces",
                                  "/essai-recap"])
def test_pages_pass_axe(page, path, draft):
    """WCAG 2.1 A/AA (axe-core) on every page of the essai spec, also with errors shown."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.browser_support import A11Y_TAGS

    draft.answers = {"subventionne": True, "depenses": [{"poste": "Travaux", "montant": "100.00"}]}
    options = {"runOnly": {"type": "tag", "values": A11Y_TAGS}, "resultTypes": ["violations"]}
    page.goto(f"{BASE}{path}")
    if path != "/essai-recap":
        page.click("form.portail-form button.govuk-button:not(.govuk-button--secondary)")
        page.wait_for_load_state("load")
    violations = Axe().run(page, options=options).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []



def test_on_a_phone_a_table_control_reached_with_tab_is_shown_whole(page):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{BASE}/essai/budget")
    page.focus("[data-table=depenses] input[name='depenses-0-montant']")
    page.keyboard.press("Tab")  # to « Supprimer la ligne 1 »
    box, button = page.evaluate("""() => {
      const focused = document.activeElement;
      const box = focused.closest("[data-table]");
      const r = box.getBoundingClientRect(), b = focused.getBoundingClientRect();
      return [[r.left, r.right], [b.left, b.right, focused.value]];
    }""")
    assert button[2] == "remove:depenses:0"
    assert box[0] <= button[0] and button[1] <= box[1] + 0.5, (box, button)
