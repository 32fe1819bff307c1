"""Generic error pages in French, without details; ``<html lang="fr">`` everywhere (ASVS 16.5.1)."""

from __future__ import annotations

from tests.helpers import page_text
from tests.security.conftest import applicant_login, staff_login
from tests.security.test_headers import assert_generic_page, assert_security_headers

UNKNOWN = [
    "/cette-page-n-existe-pas",
    "/demandes/inconnue/etape/x/y/z",
    "/agents/inconnu",
    "/espace/inconnu",
    "/tiers/inconnu/inconnu",
    "/static/inconnu.css",
    "/mon-compte/inconnu",
]


def test_unknown_urls_give_the_french_404_page(app, world):
    anonymous = app.test_client()
    applicant = app.test_client()
    applicant_login(applicant, world.owner)
    agent = app.test_client()
    staff_login(agent, world.admin_staff["identifiant"])
    for client in (anonymous, applicant, agent):
        for path in UNKNOWN:
            response = client.get(path)
            assert response.status_code == 404, path
            assert_security_headers(response)
            text = assert_generic_page(response, "Page introuvable")
            assert "La page demandée n'existe pas" in text
            assert "Not Found" not in text and "The requested URL" not in text


def test_404_page_does_not_echo_the_url(client):
    response = client.get("/<script>alert(1)</script>")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_405_page_is_french(client):
    response = client.post("/espace/")
    assert response.status_code in (400, 405)  # the CSRF check may answer first
    response = client.get("/agents/deconnexion")
    assert response.status_code == 405
    text = assert_generic_page(response, "Action non permise")
    assert "Method Not Allowed" not in text


def test_403_page_is_french(app, world):
    agent = app.test_client()
    staff_login(agent, world.admin_staff["identifiant"])
    response = agent.get("/espace/")
    assert response.status_code == 403
    assert_security_headers(response)
    text = assert_generic_page(response, "Accès refusé")
    assert "Forbidden" not in text


def test_error_pages_are_not_cached(client):
    for path in ("/cette-page-n-existe-pas", "/deconnexion"):
        response = client.get(path)
        assert "no-store" in response.headers.get("Cache-Control", ""), path


def test_invalid_link_page_is_french(client):
    response = client.get("/activation/jeton-inexistant")
    assert response.status_code == 404
    assert_security_headers(response)
    text = page_text(response)
    assert '<html lang="fr"' in text and "Lien invalide" in text


def test_development_outbox_is_absent_by_default(app, world):
    """/dev/outbox shows every mail (reset links included): a 404 unless DEV_PAGES is set."""
    assert app.config["DEV_PAGES"] is False
    client = app.test_client()
    for logged_in in (False, True):
        if logged_in:
            applicant_login(client, world.owner)
        response = client.get("/dev/outbox")
        assert response.status_code == 404, logged_in
        assert_generic_page(response, "Page introuvable")
