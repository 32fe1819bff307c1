"""Journey 3 (case 3 of the guide: an account attached to two Tiers chooses one and
deposits) and journey 4 (forgotten password; the old remember cookie stops working)."""
from __future__ import annotations

import pytest

from .browser_support import assert_accessible
from .journey_steps import (
    Person,
    create_tiers,
    deposit_patrimoine,
    group,
    heading,
    label,
    login,
    logout,
    new_account,
    new_structure,
    pdf_file,
)

pytestmark = pytest.mark.browser


def test_cas3_compte_rattache_a_deux_tiers(new_journey, screens, live_server):
    # First structure, administered by Jean.
    jean_tab = new_journey("jean")
    jean = Person.new("Jean", "DUPOND")
    new_account(jean_tab, jean)
    club = new_structure("TENNIS CLUB DE VANNES")
    create_tiers(jean_tab, club, jean)

    # Marie administers her commune and asks to join Jean's club.
    marie_tab = new_journey("marie")
    marie = Person.new("Marie", "CURIE", civilite="Madame")
    new_account(marie_tab, marie)
    commune = new_structure("COMMUNE DE CASSIS", famille="commune")
    create_tiers(marie_tab, commune, marie)
    marie_tab.goto("/tiers/rattachement")
    group(marie_tab, "Je suis ou je représente un(e)").get_by_label("Association", exact=True).check()
    marie_tab.page.get_by_label(label("SIRET")).fill(club.siret)
    marie_tab.page.get_by_label(label("Pièce justificative")).set_input_files(pdf_file("mandat.pdf"))
    marie_tab.page.get_by_role("button", name="Valider").click()
    jean_tab.page.get_by_role("link", name="Comptes rattachés").click()
    jean_tab.page.locator(".govuk-summary-card").filter(has_text=marie.email).get_by_role(
        "button", name="Accepter"
    ).click()
    logout(marie_tab)

    # Case 3: Marie logs in again and chooses which Tiers she acts for.
    login(marie_tab, marie)
    page = marie_tab.page
    assert heading(marie_tab) == "Sélectionner le Tiers"
    marie_tab.step("selection du tiers")
    page.get_by_label(club.raison_sociale).check()
    page.get_by_role("button", name="Valider").click()
    assert f"Vous agissez pour {club.raison_sociale}" in page.locator("header").inner_text()
    marie_tab.step("tiers choisi")
    # She can switch at any time from the header.
    page.get_by_label("Changer de tiers").select_option(label=commune.raison_sociale)
    page.get_by_role("button", name="Changer").click()
    assert f"Vous agissez pour {commune.raison_sociale}" in page.locator("header").inner_text()
    page.get_by_label("Changer de tiers").select_option(label=club.raison_sociale)
    page.get_by_role("button", name="Changer").click()
    assert f"Vous agissez pour {club.raison_sociale}" in page.locator("header").inner_text()
    marie_tab.step("tiers change depuis l'en-tete")

    numero = deposit_patrimoine(marie_tab, club, marie, protege=False)
    jean_tab.page.get_by_role("navigation", name="Espace personnel").get_by_role("link", name="Mes aides").click()
    assert numero in jean_tab.page.locator("main").inner_text()
    assert_accessible(screens)


def test_mot_de_passe_oublie_et_cookie_souvenir(new_journey, screens, live_server, browser):
    j = new_journey("usager")
    person = Person.new("Paul", "MARTIN")
    new_account(j, person)
    logout(j)
    login(j, person, remember=True)
    assert j.page.locator("h1").inner_text() == "Bienvenue sur le Portail des Aides"
    remember = [c for c in j.context.cookies() if c["name"] == "portail_souvenir"]
    assert remember, "« Se souvenir de moi » doit poser un cookie de connexion prolongée"

    # The remember cookie alone lets a restarted browser in.
    restarted = new_journey("navigateur-relance")
    restarted.context.add_cookies(remember)
    restarted.goto("/espace/")
    assert restarted.page.locator("h1").inner_text() == "Bienvenue sur le Portail des Aides"

    # Forgotten password, from another browser.
    other = new_journey("autre-poste")
    other.goto("/connexion")
    other.page.get_by_role("link", name="Mot de passe oublié ?").click()
    assert heading(other) == "Mot de passe oublié"
    other.step("mot de passe oublie")
    mark = live_server.outbox_mark()
    other.page.get_by_label(label("Adresse e-mail")).fill(person.email)
    other.page.get_by_role("button", name="Recevoir le lien").click()
    assert heading(other) == "Consultez votre messagerie"
    other.step("consultez votre messagerie")
    mail = live_server.wait_for_mail(person.email, "Choisissez un nouveau mot de passe", since=mark)
    other.goto(mail.link("/nouveau-mot-de-passe/"))
    assert heading(other) == "Choisir un nouveau mot de passe"
    # A password breaking the rule: the French message beside the field.
    other.page.get_by_label(label("Mot de passe")).fill("court")
    other.page.get_by_label(label("Confirmer le mot de passe")).fill("court")
    other.page.get_by_role("button", name="Enregistrer le mot de passe").click()
    assert other.error_messages(), "un mot de passe de 5 caractères doit être refusé"
    other.step("nouveau mot de passe refuse")
    new_password = "Nouveau-Passe-42"
    other.page.get_by_label(label("Mot de passe")).fill(new_password)
    other.page.get_by_label(label("Confirmer le mot de passe")).fill(new_password)
    other.page.get_by_role("button", name="Enregistrer le mot de passe").click()
    assert (
        "Votre mot de passe a été modifié. Vous pouvez vous connecter avec votre nouveau mot de passe."
        in other.page.locator("main").inner_text()
    )
    other.step("mot de passe modifie")

    # The old password no longer works, the new one does.
    login(other, person)
    assert "Erreur : Identifiant ou mot de passe incorrect." in other.error_messages()
    other.step("ancien mot de passe refuse")
    login(other, person, password=new_password)
    assert other.page.locator("h1").inner_text() == "Bienvenue sur le Portail des Aides"
    other.page.get_by_role("link", name="Mon compte").click()
    assert person.email in other.page.locator("main").inner_text()
    other.step("mon compte")

    # The remember cookie set before the change is void.
    stale = new_journey("cookie-perime")
    stale.context.add_cookies(remember)
    stale.goto("/espace/")
    assert stale.page.locator("h1").inner_text() == "Se connecter"
    stale.step("cookie perime refuse")
    assert_accessible(screens)
