"""Case 3: an account attached to several Tiers chooses one, and switches from the header."""
from __future__ import annotations

import html
import logging
import re

import pytest

from tests.tiers.conftest import OTHER_SIRET, attach, csrf_token, login, make_account, make_tiers


@pytest.fixture
def two_tiers(app, services):
    account = make_account(services, "Jean", "Dupond")
    first = make_tiers(app, services, account, name="Tennis club de Vannes")
    other_admin = make_account(services, "Zoé", "Autre", "madame")
    second = make_tiers(app, services, other_admin, OTHER_SIRET, "Commune de Cassis", "commune")
    attach(app, services, second, account)
    return account, first, second


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def choose(client, tiers_id, **extra):
    token = csrf_token(client, "/tiers/choisir")
    return client.post("/tiers/choisir", data={"csrf_token": token, "tiers_id": tiers_id, **extra})


def test_select_page_lists_the_account_tiers(client, two_tiers):
    account, _, _ = two_tiers
    login(client, account)
    page = text(client.get("/tiers/choisir"))
    assert "Sélectionner le Tiers" in page
    assert "Commune de Cassis" in page and "Tennis club de Vannes" in page
    assert "compte rattaché" in page and "administrateur" in page


def test_several_tiers_and_none_chosen_goes_to_the_choice(client, two_tiers):
    account, _, _ = two_tiers
    login(client, account)
    response = client.get("/tiers/comptes")
    assert response.status_code == 404  # no current Tiers yet: nothing to administer
    response = client.get("/espace/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/tiers/choisir")


def test_choosing_makes_it_current_and_shown_in_the_header(client, two_tiers):
    account, first, second = two_tiers
    login(client, account)
    response = choose(client, second["id"], next="/tiers/choisir")
    assert response.status_code == 302 and response.headers["Location"] == "/tiers/choisir"
    page = text(client.get("/tiers/choisir"))
    assert "Vous agissez désormais pour le tiers Commune de Cassis." in page
    assert "Vous agissez pour <strong>Commune de Cassis</strong>" in page
    # header switcher: one option per Tiers, the current one selected
    assert f'<option value="{second["id"]}" selected>Commune de Cassis</option>' in page
    assert f'<option value="{first["id"]}">Tennis club de Vannes</option>' in page


def test_switching_to_the_other_tiers(client, two_tiers):
    account, first, second = two_tiers
    login(client, account)
    choose(client, second["id"])
    choose(client, first["id"])
    page = text(client.get("/tiers/choisir"))
    assert "Vous agissez pour <strong>Tennis club de Vannes</strong>" in page
    # administrator of the current Tiers: the header links to its accounts page
    assert f'href="/tiers/{first["id"]}/comptes"' in page


def test_choosing_nothing_gives_a_french_error(client, two_tiers):
    account, _, _ = two_tiers
    login(client, account)
    token = csrf_token(client, "/tiers/choisir")
    response = client.post("/tiers/choisir", data={"csrf_token": token})
    assert response.status_code == 400
    assert text(response).count("Sélectionnez le tiers pour lequel vous souhaitez agir.") == 2
    first = re.search(r'id="(tiers_id-[^"]+)" name="tiers_id"', response.get_data(as_text=True))[1]
    assert f'<a href="#{first}">Sélectionnez le tiers' in response.get_data(as_text=True)  # the summary's link


def test_choosing_a_foreign_tiers_is_404_and_logged(app, client, services, two_tiers, caplog):
    account, _, _ = two_tiers
    stranger = make_account(services, "Luc", "Tiers")
    foreign = make_tiers(app, services, stranger, "44306184100047", "Club étranger")
    login(client, account)
    with caplog.at_level(logging.WARNING, logger="portail.access"):
        response = choose(client, foreign["id"])
    assert response.status_code == 404
    assert any(r.name == "portail.access" and foreign["id"] in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_next_outside_the_site_is_ignored(client, two_tiers, next_url):
    account, first, _ = two_tiers
    login(client, account)
    response = choose(client, first["id"], next=next_url)
    assert response.headers["Location"] == "/espace/"


def test_single_tiers_is_current_without_choosing(app, client, services):
    account = make_account(services)
    make_tiers(app, services, account)
    login(client, account)
    page = text(client.get("/tiers/comptes"))
    assert "Vous agissez pour <strong>Tennis club de Vannes</strong>" in page
    assert "SIRET 732 829 320 00074" in page  # grouped as everywhere (runtime.formatting.format_siret)


def test_after_login_an_account_with_several_tiers_chooses_one(app, client, services):
    from tests import helpers

    account = helpers.create_account(services, identifiant="jdupond01", email="jean.dupond@exemple.fr",
                                     civilite="monsieur", prenom="Jean", nom="Dupond")
    make_tiers(app, services, account, name="Tennis club de Vannes")
    other_admin = make_account(services, "Zoé", "Autre", "madame")
    second = make_tiers(app, services, other_admin, OTHER_SIRET, "Commune de Cassis", "commune")
    attach(app, services, second, account)
    response = helpers.login(client, "jdupond01")
    assert response.status_code == 302
    landing = client.get(response.headers["Location"])
    assert landing.status_code == 302 and landing.headers["Location"].startswith("/tiers/choisir")
    assert "Sélectionner le Tiers" in text(client.get(landing.headers["Location"]))
