"""Issue 12, applicant side, in Chromium: Enter on the budget step (with and without
JavaScript), the screens at 375 px (Mes aides as cards, a récapitulatif, a step with
errors, « Comptes rattachés » under axe), the date field's focus ring and the
anti-robot question once solved. Screenshots: artifacts/screenshots/<test>/."""
from __future__ import annotations

import re

import pytest

from .browser_support import assert_accessible
from .journey_steps import (
    PATRIMOINE,
    Person,
    add_row,
    choose_teleservice,
    create_tiers,
    deposit_patrimoine,
    expect_step,
    fill_row,
    heading,
    label,
    menu,
    new_account,
    new_structure,
    patrimoine_eligibilite,
)

pytestmark = pytest.mark.browser

MOBILE = {"width": 375, "height": 812}
MONTANT_AIDE = "Montant de l'aide sollicitée auprès de la Métropole (€)"
DEPENSES, RECETTES = "Dépenses prévisionnelles", "Recettes prévisionnelles"


def applicant(new_journey, js: bool, prenom: str, structure_name: str):
    j = new_journey("demandeur", js=js)
    person = Person.new(prenom, "FABRE", civilite="Madame")
    new_account(j, person)
    structure = new_structure(structure_name)
    create_tiers(j, structure, person)
    return j, person, structure


def go_to_step(j, title: str) -> None:
    """Through the step list (its entries save the page and go)."""
    steps = j.page.get_by_role("navigation", name="Étapes de la demande")
    steps.get_by_role("button", name=re.compile(r"^\d+\. " + re.escape(title))).click()


def dépense_rows(j) -> int:
    return j.page.get_by_role("group", name=re.compile("^" + DEPENSES)).locator("tbody[data-rows] tr[data-row]").count()


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_entree_dans_un_champ_du_budget_enregistre_et_continue(new_journey, js):
    j, _, _ = applicant(new_journey, js, "Inès", "Amis de la chapelle")
    page = j.page
    choose_teleservice(j, PATRIMOINE)
    patrimoine_eligibilite(j, protege=False)
    go_to_step(j, "Budget du projet")
    expect_step(j, 4, "Budget du projet")

    # Empty tables: Enter must not press « Ajouter une ligne » (nor « Supprimer la ligne 1 »).
    blank_rows = dépense_rows(j)
    # (the amount left empty: with JavaScript a rule warning would first take the focus)
    with page.expect_navigation():
        page.get_by_label(label(MONTANT_AIDE)).press("Enter")
    expect_step(j, 4, "Budget du projet")  # saved, then refused: the tables need a line
    assert j.summary_errors(), "Entrée doit tenter de continuer : le récapitulatif d'erreurs est attendu"
    assert dépense_rows(j) == blank_rows
    j.step("budget entree tableaux vides")

    # Filled rows: Enter saves and goes on; no dépense is deleted (total 3 000 € kept).
    fill_row(j, {"Poste de dépense": "Charpente", "Montant HT (€)": "2000"}, 1, table=DEPENSES)
    if blank_rows < 2:
        add_row(j, DEPENSES)
    fill_row(j, {"Poste de dépense": "Tuiles", "Montant HT (€)": "1000"}, 2, table=DEPENSES)
    fill_row(j, {"Financeur": "Métropole", "Nature du financement": "Aide demandée à la Métropole",
                 "Montant (€)": "3000"}, 1, table=RECETTES)
    page.get_by_label(label(MONTANT_AIDE)).fill("3000")
    with page.expect_navigation():
        page.get_by_label(label(MONTANT_AIDE)).press("Enter")
    expect_step(j, 5, "Pièces justificatives")
    j.step("entree enregistre et continue")
    page.get_by_role("button", name="Précédent").click()
    expect_step(j, 4, "Budget du projet")
    kept = [page.get_by_label(f"Montant HT (€), ligne {n}", exact=True).input_value().replace("\u202f", " ")
            for n in (1, 2)]
    assert kept in (["2000", "1000"], ["2000,00", "1000,00"], ["2 000,00", "1 000,00"]), kept
    total = page.locator('[data-total="montant"]').first.inner_text()
    assert total.replace("\u202f", " ").replace("\u00a0", " ").strip().endswith("3 000,00 €"), total


def test_petit_ecran_375_px(new_journey, screens, live_server):
    # The anti-robot question is not asked once the browser's check succeeded.
    visitor = new_journey("visiteur", viewport=MOBILE)
    visitor.goto("/inscription")
    visitor.page.locator("[data-captcha-status]").filter(has_text="Vérification automatique réussie").wait_for()
    assert not visitor.page.locator("label[for=captcha_answer]").is_visible()
    assert not visitor.page.locator("#captcha_answer").is_visible()
    visitor.step("inscription question masquee")

    j, person, structure = applicant(new_journey, True, "Lucie", "Chapelle des Pénitents")
    deposit_patrimoine(j, structure, person, protege=False)
    page = j.page
    page.set_viewport_size(MOBILE)

    # Mes aides: every column of a demande shown, as a card, no sideways scrolling.
    menu(j, "Mes aides")
    assert heading(j) == "Mes aides"
    row = page.locator("table.portail-cards tbody tr").first
    for cell in row.locator("th, td").all():
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"] + 0.5, cell.inner_text()
        assert cell.evaluate("el => getComputedStyle(el, '::before').content") not in ("none", "normal", "")
    assert row.get_by_role("link", name=re.compile("Accusé de réception")).is_visible()
    assert row.locator(".govuk-tag").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    j.step("mes aides 375")

    # The récapitulatif: only the questions asked (« Type de protection » was not).
    row.get_by_role("link").first.click()
    assert heading(j) == "Récapitulatif de votre demande"
    main = page.locator("main").inner_text()
    assert "Type de protection" not in main
    assert main.count("devis.pdf") == 1
    j.step("recapitulatif 375")

    # « Comptes rattachés » under axe at 375 px: the scrolling box is the focusable region.
    page.get_by_role("link", name="Comptes rattachés").click()
    assert heading(j) == "Comptes rattachés"
    j.step("comptes rattaches 375")
    assert not [f for f in screens.findings if f.rule == "scrollable-region-focusable"]

    # A step with errors, after an attempt to go on.
    choose_teleservice(j, PATRIMOINE)
    expect_step(j, 1, "Critères d'éligibilité")
    assert not page.locator(".govuk-error-summary").count()
    page.get_by_role("button", name="Suivant", exact=True).click()
    assert j.summary_errors()
    assert "Vos réponses sont enregistrées" in page.locator("main").inner_text()
    j.step("etape en erreur 375")

    # The date field's calendar button keeps the focus ring.
    go_to_step(j, "Description du projet")
    date_input = page.get_by_label(label("Date de début prévue"))
    date_input.focus()
    for _ in range(6):
        if not date_input.evaluate("el => el.matches(':focus')"):
            break  # the focus moved from the date's parts to its calendar button
        page.keyboard.press("Tab")
    assert date_input.evaluate("el => el.matches(':focus-within') && !el.matches(':focus')"), \
        "le bouton calendrier n'a pas reçu le focus"
    style = date_input.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineColor]")
    assert style == ["solid", "rgb(255, 221, 0)"], style
    j.step("date bouton calendrier focus", audit=False)
    assert_accessible(screens)
