"""Issue 2: a form generated from a YAML spec, filled and submitted in Chromium, with
JavaScript (conditions, table rows, totals and rules live) and without (the same page
works by round trips to the server, conditions applied between pages).

The spec is the shipped patrimoine téléservice, walked through the staff preview
(nothing is saved), so this test needs no applicant account.
"""
from __future__ import annotations

import re

import pytest

from .browser_support import assert_accessible, form_semantics
from .journey_steps import PROTECTION_NOTE, add_row, fill_row, group, is_shown, label, staff_login, yes_no

pytestmark = pytest.mark.browser


def check(j) -> None:
    j.page.get_by_role("button", name="Vérifier cette étape").click()


def flat(text: str) -> str:
    return re.sub(r"[\s\u202f\xa0]+", " ", text)


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_formulaire_genere_conditions_tableau_totaux(new_journey, screens, agent, js):
    j = new_journey("agent", js=js)
    page = j.page
    staff_login(j, *agent)
    j.goto("/agents/apercu/patrimoine/")
    # The preview keeps what this agent typed in it: start from empty answers.
    page.get_by_role("button", name="Effacer les réponses de l'aperçu").click()
    assert page.locator("h1").inner_text() == "Critères d'éligibilité"
    assert j.page.title().startswith("Aperçu : Soutien à la restauration")
    j.step("apercu eligibilite")

    # Submitting the empty page: a French message beside each required field.
    check(j)
    # One message per required question; the conditional « Type de protection » is not asked yet.
    assert j.error_messages() == [
        "Erreur : Choisissez une réponse pour « L'édifice ou l'objet est-il situé sur le territoire de la Métropole ? ».",
        "Erreur : Choisissez une réponse pour « Votre structure est-elle propriétaire de l'édifice ou de l'objet ? ».",
        "Erreur : Choisissez une réponse pour « L'édifice ou l'objet est-il protégé au titre des monuments historiques ? ».",
        "Erreur : Choisissez une réponse pour « Les travaux ont-ils déjà commencé ? ».",
    ], j.error_messages()
    assert len(j.summary_errors()) == 4
    assert not form_semantics(j), form_semantics(j)
    j.step("apercu eligibilite erreurs")

    protection = group(j, "Type de protection")
    yes_no(j, "L'édifice ou l'objet est-il situé sur le territoire", True)
    yes_no(j, "Votre structure est-elle propriétaire", True)
    yes_no(j, "Les travaux ont-ils déjà commencé", False)
    if js:
        assert not is_shown(protection)
        yes_no(j, "L'édifice ou l'objet est-il protégé", True)
        protection.wait_for(state="visible")  # live, from the same spec
        yes_no(j, "L'édifice ou l'objet est-il protégé", False)
        protection.wait_for(state="hidden")
        yes_no(j, "L'édifice ou l'objet est-il protégé", True)
        protection.wait_for(state="visible")
        j.step("apercu condition")
    else:
        # Without JavaScript the question is shown with a note saying when to answer it,
        # and the server decides when the page is sent.
        assert is_shown(protection)
        assert PROTECTION_NOTE in " ".join(page.locator("main").inner_text().split())
        yes_no(j, "L'édifice ou l'objet est-il protégé", True)
        check(j)
        assert j.error_messages() == ["Erreur : Choisissez une réponse pour « Type de protection »."], (
            j.error_messages()
        )
        assert group(j, "L'édifice ou l'objet est-il protégé").get_by_label("Oui", exact=True).is_checked()
        j.step("apercu condition")
        # Answered « Non »: the protection type posted anyway is ignored, no error.
        yes_no(j, "L'édifice ou l'objet est-il protégé", False)
        protection.get_by_label("Classé monument historique", exact=True).check()
        check(j)
        assert not j.error_messages(), j.error_messages()
        yes_no(j, "L'édifice ou l'objet est-il protégé", True)
    protection.get_by_label("Inscrit au titre des monuments historiques", exact=True).check()
    check(j)
    assert "Les réponses saisies sur cette étape sont valides." in page.locator("main").inner_text()
    assert not j.error_messages()
    j.step("apercu eligibilite valide")

    # The budget page: table rows, totals and the balanced-budget rule.
    j.goto("/agents/apercu/patrimoine/budget")
    fill_row(j, {"Poste de dépense": "Charpente", "Montant HT (€)": "7000"}, 1)
    add_row(j, "Dépenses prévisionnelles")
    fill_row(j, {"Poste de dépense": "Couverture", "Montant HT (€)": "3000"}, 2)
    fill_row(j, {"Financeur": "Métropole", "Nature du financement": "Aide demandée à la Métropole",
                 "Montant (€)": "6000"}, 1)
    page.get_by_label(label("Montant de l'aide sollicitée auprès de la Métropole (€)")).fill("6000")
    rule = page.locator(".portail-rule").filter(has_text="Le budget doit être équilibré")
    if js:
        total = group(j, "Dépenses prévisionnelles").locator("[data-total=montant] output")
        assert re.sub(r"\D", "", total.inner_text()).startswith("10000"), total.inner_text()
        rule.wait_for(state="visible")  # flagged before the page is left
    check(j)
    assert "Le budget doit être équilibré : le total des recettes doit être égal au total des dépenses." in flat(
        " ".join(j.error_messages() + [rule.inner_text() if is_shown(rule) else ""])
    )
    total = group(j, "Dépenses prévisionnelles").locator("[data-total=montant] output")
    assert re.sub(r"\D", "", total.inner_text()).startswith("10000"), total.inner_text()
    j.step("apercu budget desequilibre")
    add_row(j, "Recettes prévisionnelles")
    fill_row(j, {"Financeur": "Association", "Nature du financement": "Fonds propres", "Montant (€)": "4000"}, 2)
    if js:
        rule.wait_for(state="hidden")
    check(j)
    assert not j.error_messages(), j.error_messages()
    assert "Les réponses saisies sur cette étape sont valides." in page.locator("main").inner_text()
    j.step("apercu budget equilibre")
    assert_accessible(screens)
