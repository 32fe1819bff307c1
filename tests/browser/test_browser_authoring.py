"""The issue's « Done when » journey, in Chromium: an agent who has only docs/ writes a new
téléservice in the browser editor — a formula, a shared list (the communes), a conditional page —,
sees a lint error at its line and column while typing, previews every step of the unpublished
text, publishes it with a reason; an applicant then deposits a demande under it."""
from __future__ import annotations

import pytest

from .browser_support import assert_accessible
from .journey_steps import (
    Person,
    choose_teleservice,
    create_tiers,
    expect_step,
    heading,
    label,
    new_account,
    new_structure,
    next_step,
    staff_login,
    transmit,
)

pytestmark = pytest.mark.browser

TITLE = "Aide aux potagers collectifs"
TEXT = """# yaml-language-server: $schema=../../runtime/spec/schema/spec.schema.json
id: potagers-collectifs
kind: teleservice
version: "1"
title: Aide aux potagers collectifs
description: Aide à la création de potagers collectifs dans les communes de la Métropole.
families: [association]
opens: "2026-01-01"
closes: "2030-12-31"
number_prefix: POTAGERS
pages:
  - id: projet
    title: Le jardin
    fields:
      - id: intitule
        type: text
        label: Nom du jardin
        required: true
        max_length: 120
      - id: commune
        type: choice
        widget: select
        label: Commune du jardin
        required: true
        options_from: communes
      - id: budget_total
        type: amount
        label: Budget total du projet
        required: true
        min: 1
      - id: montant_sollicite
        type: amount
        label: Montant sollicité
        required: true
        min: 1
      - id: avec_partenaire
        type: yes_no
        label: Un partenaire participe-t-il au projet ?
        required: true
  - id: partenariat
    title: Le partenaire
    when:
      field: avec_partenaire
      equals: true
    fields:
      - id: nom_partenaire
        type: text
        label: Nom du partenaire
        required: true
computed:
  - id: part_aide
    label: Part de l'aide dans le budget (%)
    formula: round(montant_sollicite * 100 / budget_total; 1)
rules:
  - id: plafond
    require: montant_sollicite <= budget_total * 80%
    message: L'aide ne dépasse pas 80 % du budget total.
attestation: Je certifie exactes les informations de cette demande.
"""
FORMULA_LINE = TEXT.splitlines().index("    formula: round(montant_sollicite * 100 / budget_total; 1)") + 1


def fill_project(scope, budget: str, amount: str) -> None:
    scope.get_by_label(label("Nom du jardin")).fill("Jardin des Aygalades")
    scope.get_by_label(label("Commune du jardin")).select_option(label="Marseille")
    scope.get_by_label(label("Budget total du projet")).fill(budget)
    scope.get_by_label(label("Montant sollicité")).fill(amount)
    scope.get_by_role("group", name=label("Un partenaire participe-t-il au projet ?")).get_by_label(
        "Oui", exact=True).check()


def test_un_agent_ecrit_previsualise_et_publie_un_teleservice_puis_un_demandeur_le_depose(new_journey, screens,
                                                                                         agent):
    j = new_journey("agent")
    page = j.page
    staff_login(j, *agent)
    j.goto("/agents/specs")
    page.get_by_role("link", name="Écrire un nouveau téléservice").click()
    assert heading(j) == "Nouveau téléservice"
    editor = page.locator(".portail-editor .cm-content")
    editor.wait_for(state="visible")

    # The text, with a typo in the formula: the marker sits on the faulty name, at its line and column.
    editor.focus()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(TEXT.replace("/ budget_total;", "/ budget_totl;"))
    marker = page.locator(".cm-lintRange-error")
    marker.wait_for(state="visible")
    assert marker.inner_text() == "budget_totl"
    page.locator(".cm-lint-marker-error").hover()
    tooltip = page.locator(".cm-tooltip-lint")
    tooltip.wait_for(state="visible")
    assert f"Ligne {FORMULA_LINE}, colonne 46 : champ inconnu « budget_totl »" in tooltip.inner_text()
    j.step("auteur erreur dans la formule", audit=False)

    # Corrected by keyboard: the two missing letters typed after « budget_tot ».
    marker.click()
    page.keyboard.press("End")
    for _ in range(len("l; 1)")):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("a")
    marker.wait_for(state="detached")
    assert page.evaluate("document.getElementById('yaml').value") == TEXT

    # Preview every step of the unpublished text beside it.
    page.get_by_role("button", name="Actualiser l'aperçu").click()
    preview = page.locator("section.portail-draft-preview")
    assert preview.locator("#apercu-brouillon").inner_text() == "Aperçu du texte : Le jardin"
    fill_project(preview, "10000", "9000")
    preview.get_by_role("button", name="Enregistrer dans l'aperçu et continuer").click()
    assert "L'aide ne dépasse pas 80 % du budget total." in preview.inner_text()  # the rule, at its step
    preview.get_by_label(label("Montant sollicité")).fill("4000")
    j.step("auteur apercu etape 1")
    preview.get_by_role("button", name="Enregistrer dans l'aperçu et continuer").click()
    assert preview.locator("#apercu-brouillon").inner_text() == "Aperçu du texte : Le partenaire"  # conditional
    preview.get_by_label(label("Nom du partenaire")).fill("Régie de quartier")
    preview.get_by_role("button", name="Enregistrer dans l'aperçu et continuer").click()
    assert preview.locator("#apercu-brouillon").inner_text() == "Aperçu du texte : Récapitulatif"
    recap = preview.inner_text()
    assert "Part de l'aide dans le budget (%)" in recap and "40" in recap
    assert "un demandeur pourrait transmettre cette demande" in recap
    assert "Marseille" in recap
    j.step("auteur apercu recapitulatif")

    # Publish with a reason.
    page.get_by_role("button", name="Publier").click()
    reason = page.get_by_label("Raison de la publication (obligatoire)")
    reason.wait_for()  # the click only starts the navigation: wait for the confirmation page
    assert "Texte du nouveau téléservice" in page.locator("main").inner_text()
    reason.fill("Nouvel appel à projets jardins")
    page.get_by_role("button", name="Confirmer la publication").click()
    page.get_by_role("heading", level=1, name=f"Historique des versions de « {TITLE} »").wait_for()
    assert heading(j) == f"Historique des versions de « {TITLE} »"
    assert f"Le téléservice « {TITLE} » est publié : il est en service." in page.locator("main").inner_text()
    j.step("auteur publie")

    # An applicant deposits a demande under it.
    d = new_journey("demandeur")
    person = Person.new("Lina", "ROUSSEL")
    new_account(d, person)
    create_tiers(d, new_structure("JARDINIERS DES AYGALADES"), person)
    choose_teleservice(d, TITLE)
    expect_step(d, 1, "Le jardin")
    fill_project(d.page, "10000", "4000")
    d.step("demandeur jardin")
    next_step(d)
    expect_step(d, 2, "Le partenaire")
    d.page.get_by_label(label("Nom du partenaire")).fill("Régie de quartier")
    next_step(d)
    transmit(d, "jardins")
    assert heading(d) == "Demande transmise"
    assert "POTAGERS-" in d.page.locator("main").inner_text()
    d.step("demandeur transmis")
    assert_accessible(screens)


