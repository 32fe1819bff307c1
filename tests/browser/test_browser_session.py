"""RGAA 13.1 and issue 8: a session that expires in the middle of a long form loses
nothing; and the error states of the account forms, audited like every other page."""
from __future__ import annotations

import pytest

from .browser_support import assert_accessible, form_semantics
from .journey_steps import (
    PATRIMOINE,
    Person,
    answer_captcha,
    choose_teleservice,
    create_tiers,
    expect_step,
    fill_register,
    heading,
    label,
    login,
    new_account,
    new_structure,
    next_step,
    patrimoine_eligibilite,
)

pytestmark = pytest.mark.browser


def test_session_expiree_sur_un_formulaire_long_ne_perd_rien(new_journey, screens):
    j = new_journey("usager", js=False)  # no autosave: only the expired post carries the answers
    page = j.page
    person = Person.new("Nadia", "BENALI", civilite="Madame")
    new_account(j, person)
    structure = new_structure("AMIS DU VIEUX MOULIN")
    create_tiers(j, structure, person)
    choose_teleservice(j, PATRIMOINE)
    patrimoine_eligibilite(j, protege=False)
    expect_step(j, 2, "Votre structure")
    page.get_by_label(label("Nom et prénom de la personne chargée du dossier")).fill("Nadia BENALI")
    page.get_by_label(label("Téléphone de la personne chargée du dossier")).fill("0612345678")
    j.context.clear_cookies()  # the session has expired while the applicant was typing
    next_step(j)
    assert heading(j) == "Se connecter"
    assert (
        "Votre session a expiré. Connectez-vous à nouveau : ce que vous venez de saisir sera enregistré "
        "dans votre brouillon." in page.locator("main").inner_text()
    )
    j.step("session expiree")
    login(j, person)
    expect_step(j, 2, "Votre structure")
    assert (
        "Ce que vous aviez saisi avant l'expiration de votre session a été enregistré dans votre brouillon."
        in page.locator("main").inner_text()
    )
    assert page.get_by_label(label("Nom et prénom de la personne chargée du dossier")).input_value() == "Nadia BENALI"
    assert page.get_by_label(label("Téléphone de la personne chargée du dossier")).input_value().replace(" ", "") == "0612345678"
    j.step("saisie retrouvee")
    assert_accessible(screens)


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_etats_d_erreur_des_comptes(new_journey, screens, js):
    j = new_journey("visiteur", js=js)
    page = j.page
    person = Person.new("Léo", "FABRE")
    j.goto("/inscription")
    fill_register(j, person, password_confirm="Autre-Passe-99")
    page.get_by_label(label("Mot de passe")).fill("court")
    page.get_by_label(label("Confirmer le mot de passe")).fill("autre")
    answer_captcha(j)
    page.get_by_role("button", name="S'inscrire").click()
    assert heading(j) == "S'inscrire"
    errors = j.error_messages()
    assert "Erreur : Les deux mots de passe ne sont pas identiques." in errors, errors
    # What was typed is kept (except the passwords).
    assert page.get_by_label(label("Nom")).input_value() == person.nom
    assert page.get_by_label(label("Identifiant")).input_value() == person.identifiant
    assert page.get_by_label(label("Mot de passe")).input_value() == ""
    assert not form_semantics(j), form_semantics(j)
    j.step("inscription en erreur")

    j.goto("/connexion")
    login(j, person, password="Mauvais-Passe-1")
    assert j.error_messages() == ["Erreur : Identifiant ou mot de passe incorrect."]
    assert not form_semantics(j), form_semantics(j)
    j.step("connexion refusee")

    j.goto("/activation/jeton-invalide")
    assert heading(j) == "Lien invalide ou expiré"
    j.step("lien invalide")
    assert_accessible(screens)
