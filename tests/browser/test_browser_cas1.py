"""Journey 1 (case 1 of the guide): the first person of a structure registers,
activates, logs in, creates the Tiers, becomes its administrator, deposits a
demande and receives the accusé de réception (mail and PDF)."""
from __future__ import annotations

import io

import pytest

from runtime.formatting import quote

from .browser_support import assert_accessible
from .journey_steps import Person, create_tiers, deposit_patrimoine, menu, new_account, new_structure

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_cas1_premiere_personne(new_journey, screens, live_server, js):
    from pypdf import PdfReader

    j = new_journey("admin", js=js)
    page = j.page
    person = Person.new("Jean", "DUPOND")
    new_account(j, person)
    assert page.locator("h1").inner_text() == "Bienvenue sur le Portail des Aides"
    assert "Créez d'abord votre tiers" in page.locator("main").inner_text()
    j.step("espace personnel sans tiers")

    structure = new_structure("TENNIS CLUB DE VANNES")
    create_tiers(j, structure, person)
    assert page.locator("h1").inner_text() == "Demande transmise"
    j.step("tiers transmis")

    menu(j, "Tableau de bord")
    main = page.locator("main").inner_text()
    assert structure.raison_sociale in main
    assert "Administrateur" in main
    assert f"Vous agissez pour {structure.raison_sociale}" in page.locator("header").inner_text()
    j.step("tableau de bord administrateur")

    mark = live_server.outbox_mark()
    numero = deposit_patrimoine(j, structure, person)

    mail = live_server.wait_for_mail(person.email, f"Accusé de réception de votre demande {numero}", since=mark)
    title = quote("Soutien à la restauration et à la valorisation du patrimoine")
    assert f"{title} a bien été transmise" in mail.text
    assert f"Numéro de la demande : {numero}" in mail.text
    assert mail.link("/espace/aides").startswith(live_server.url)

    href = page.get_by_role("link", name="Télécharger l'accusé de réception (PDF)").get_attribute("href")
    response = j.context.request.get(live_server.url + href if href.startswith("/") else href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert numero in text
    assert structure.raison_sociale in text

    menu(j, "Mes aides")
    assert numero in page.locator("main").inner_text()
    j.step("mes aides")
    assert_accessible(screens)
