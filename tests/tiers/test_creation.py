"""Case 1: the first account of a structure creates its Tiers through the wizard."""
from __future__ import annotations

import html

import pytest

from runtime.domain.tiers import display_name
from runtime.storage.repositories.tiers import SiretTaken
from runtime.web.context import create_tiers_from_demande
from tests.tiers.conftest import SIRET, csrf_token, login, make_account, make_tiers

PAGES = {
    "famille": {"famille": "association"},
    "identification": {"siret": "732 829 320 00074", "raison_sociale": "Les Amis du Patrimoine",
                       "rna": "W133001234"},
    "adresse": {"adresse-street": "2 quai du Port", "adresse-postcode": "13002", "adresse-commune": "Marseille"},
    "representant": {"representant_civilite": "madame", "representant_nom": "Durand",
                     "representant_prenom": "Claire", "representant_fonction": "Présidente",
                     "representant_email": "claire.durand@exemple.fr", "representant_telephone": "04 91 99 99 00"},
    "contact": {"email": "contact@amis-patrimoine.fr", "telephone": "04 91 00 00 00"},
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def fill_creation_demande(client) -> str:
    """Start the Tiers-creation demande from tiers.create and fill every page; return the recap URL."""
    response = client.get("/tiers/creer")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("/etape/famille")
    for page_id, data in PAGES.items():
        url = location.rsplit("/", 1)[0] + f"/{page_id}"
        response = client.post(url, data={**data, "action": "next", "csrf_token": csrf_token(client, url)})
        assert response.status_code == 302, text(response)[-3000:]
    return location.split("/etape/")[0] + "/recapitulatif"


def transmit(client, recap_url):
    token = csrf_token(client, recap_url)
    return client.post(recap_url.replace("/recapitulatif", "/transmettre"),
                       data={"csrf_token": token, "attestation": "y"})


def test_first_account_creates_the_tiers_and_becomes_administrator(client, services):
    account = make_account(services, "Claire", "Durand", "madame")
    login(client, account)
    response = transmit(client, fill_creation_demande(client))
    assert response.status_code == 302, text(response)[-3000:]
    [tiers] = services.repos.tiers.tiers_of_account(account["id"])
    assert tiers["siret"] == SIRET and tiers["raison_sociale"] == "Les Amis du Patrimoine"
    assert tiers["rna"] == "W133001234" and tiers["adresse"]["commune"] == "Marseille"
    assert tiers["role"] == "admin"
    # the session now acts for the new Tiers, whose administrator sees its accounts page
    page = text(client.get("/tiers/comptes"))
    assert "Vous agissez pour <strong>Les Amis du Patrimoine</strong>" in page


def test_creating_the_tiers_again_offers_to_resume_ones_own_draft(client, services):
    login(client, make_account(services, "Claire", "Durand", "madame"))
    first = client.get("/tiers/creer").headers["Location"]
    again = client.get("/tiers/creer")
    page = text(again if again.status_code == 200 else client.get(again.headers["Location"]))
    assert "Vous avez déjà commencé une demande" in page  # no structure yet: not « Votre structure »
    assert first.split("/etape/")[0] in page


def test_known_siret_is_refused_with_a_link_to_the_attachment_form(app, client, services):
    owner = make_account(services, "Jean", "Dupond")
    existing = make_tiers(app, services, owner)
    account = make_account(services, "Claire", "Durand", "madame")
    login(client, account)
    response = transmit(client, fill_creation_demande(client))
    assert response.status_code == 400
    page = text(response)
    assert f"Une structure portant le numéro SIRET {SIRET} existe déjà sur le portail." in page
    assert (f'<a class="govuk-link" href="/tiers/rattachement?siret={SIRET}">me rattacher à cette structure</a>'
            in page)
    assert services.repos.tiers.tiers_of_account(account["id"]) == []
    assert services.repos.tiers.find_by_siret(SIRET)["id"] == existing["id"]


def test_create_from_demande_directly(app, services):
    account = make_account(services)
    answers = {"famille": "commune", "siret": "356 000 000 00048", "raison_sociale": "Commune de Cassis"}
    with app.test_request_context():
        tiers = create_tiers_from_demande(account, answers)
        with pytest.raises(SiretTaken) as error:
            create_tiers_from_demande(make_account(services, "Luc", "Autre"), answers)
    assert tiers["siret"] == "35600000000048"
    assert services.repos.tiers.member_role(tiers["id"], account["id"]) == "admin"
    assert error.value.tiers_id == tiers["id"]
    assert "/tiers/rattachement?siret=35600000000048" in error.value.html


def test_display_name_upper_cases_the_name():
    assert display_name({"civilite": "monsieur", "prenom": "Jean", "nom": "Dupond"}) == \
        "Monsieur Jean DUPOND"
    assert display_name({"civilite": "madame", "prenom": "Zoé", "nom": "de la Tour"}) == \
        "Madame Zoé DE LA TOUR"
