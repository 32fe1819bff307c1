"""Security headers on every response, error pages included (ASVS 3.4.x).

Checked on a 200 page, a redirect, a static file, and the 400 (CSRF), 404, 405,
413, 429 and 500 pages; the 500 comes from a test-only route of a dedicated app.
"""

from __future__ import annotations

import logging

import pytest

from tests.helpers import csrf_token, page_text
from tests.security.conftest import create_staff

SECRET_DETAIL = "détail-interne-à-ne-jamais-montrer-7f3a"


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path} ({response.status_code}) : pas d'en-tête Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [word.lower() for word in words[1:]]
    return directives


def assert_security_headers(response) -> None:
    where = f"{response.request.method} {response.request.path} ({response.status_code})"
    directives = csp_directives(response)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts, f"{where} : la CSP ne restreint pas les scripts"
    assert "'unsafe-inline'" not in scripts, f"{where} : la CSP autorise les scripts en ligne"
    assert "'unsafe-eval'" not in scripts, f"{where} : la CSP autorise eval"
    assert "*" not in scripts and "data:" not in scripts, f"{where} : scripts de toute origine autorisés"
    styles = directives.get("style-src", directives.get("default-src"))
    assert styles and "'unsafe-inline'" not in styles, f"{where} : la CSP autorise les styles en ligne"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where} : frame-ancestors doit valoir 'none'"
    assert "'none'" in directives.get("object-src", []), f"{where} : object-src doit valoir 'none'"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", f"{where} : nosniff manquant"
    assert response.headers.get("Referrer-Policy") in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ), f"{where} : Referrer-Policy absente ou trop large"


def assert_generic_page(response, title: str) -> str:
    text = page_text(response)
    assert response.mimetype == "text/html"
    assert '<html lang="fr"' in text
    assert title in text, f"{response.status_code} : titre « {title} » absent"
    for leak in ("Traceback", "werkzeug", 'File "', "Exception"):
        assert leak not in text, f"{response.status_code} : « {leak} » ne doit pas apparaître dans la page"
    return text


def test_ok_page_redirect_and_static_file(client):
    for response in (
        client.get("/connexion"),
        client.get("/"),
        client.get("/static/css/portail.css"),
        client.get("/static/js/portail/core.js"),
    ):
        assert response.status_code in (200, 302), response.request.path
        assert_security_headers(response)


def test_logged_in_pages(app, client, world):
    from tests.security.conftest import applicant_login

    applicant_login(client, world.owner)
    for path in ("/espace/", "/mon-compte", f"/demandes/{world.draft['id']}/etape/{world.first_page}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)


def test_404_page(client):
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    assert_security_headers(response)
    assert_generic_page(response, "Page introuvable")


def test_405_page(client):
    response = client.get("/deconnexion")
    assert response.status_code == 405
    assert_security_headers(response)
    assert_generic_page(response, "Action non permise")


def test_400_csrf_page(client):
    response = client.post("/connexion", data={"login": "camille01", "password": "x"})
    assert response.status_code == 400
    assert_security_headers(response)
    assert_generic_page(response, "Formulaire expiré")


def test_413_page(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    token = csrf_token(client.get("/connexion"))
    response = client.post("/connexion", data={"csrf_token": token, "login": "x" * 4096, "password": "y"})
    assert response.status_code == 413
    assert_security_headers(response)
    assert_generic_page(response, "Fichier trop volumineux")


def test_413_page_on_upload(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2048)
    client = app.test_client()
    import io

    response = client.post(
        "/tiers/rattachement",
        data={"piece": (io.BytesIO(b"%PDF-" + b"0" * 8192), "gros.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert_security_headers(response)
    assert_generic_page(response, "Fichier trop volumineux")


def test_429_page_login_throttle(client, services):
    limit, _ = services.config["THROTTLE_LOGIN"]
    token = csrf_token(client.get("/connexion"))
    statuses = []
    for _ in range(limit + 2):
        response = client.post(
            "/connexion", data={"csrf_token": token, "login": "inconnu01", "password": "Faux1!faux"}
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, f"la limitation des connexions ne s'est pas déclenchée : {statuses}"
    assert_security_headers(response)
    assert response.headers.get("Retry-After", "").isdigit()
    assert_generic_page(response, "Trop de tentatives")


def test_429_page_staff_login_throttle(client, services):
    create_staff(services, "agent.test", "administrateur", [])
    limit, _ = services.config["THROTTLE_LOGIN"]
    token = csrf_token(client.get("/agents/connexion"))
    statuses = []
    for _ in range(limit + 2):
        response = client.post(
            "/agents/connexion",
            data={"csrf_token": token, "identifiant": "agent.test", "password": "Faux1!faux"},
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, f"la connexion des agents n'est pas limitée : {statuses}"
    assert_security_headers(response)
    assert_generic_page(response, "Trop de tentatives")


@pytest.fixture
def failing_app(make_app):
    app = make_app()

    def boom():
        raise RuntimeError(SECRET_DETAIL)

    app.add_url_rule("/_test/panne", "test_panne", boom)
    return app


def test_500_page_is_generic_and_french(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/_test/panne")
    assert response.status_code == 500
    assert_security_headers(response)
    text = assert_generic_page(response, "Erreur du service")
    assert SECRET_DETAIL not in text and "RuntimeError" not in text
    # Details go to the logs only.
    assert any(SECRET_DETAIL in (record.exc_text or "") + str(record.exc_info) for record in caplog.records)


def test_500_page_when_logged_in(failing_app, caplog):
    from tests.helpers import create_account
    from tests.security.conftest import applicant_login

    create_account(failing_app.extensions["portail"])
    client = failing_app.test_client()
    applicant_login(client, {"identifiant": "camille01"})
    with caplog.at_level(logging.ERROR):
        response = client.get("/_test/panne")
    assert response.status_code == 500
    assert_security_headers(response)
    assert SECRET_DETAIL not in assert_generic_page(response, "Erreur du service")


def test_503_page_of_an_unreadable_partition(make_app, caplog):
    from runtime.storage.base import CorruptPartition

    app = make_app()

    def unreadable():
        raise CorruptPartition("tiers/abc", "/srv/donnees/secret/tiers/abc.json", SECRET_DETAIL)

    app.add_url_rule("/_test/illisible", "test_illisible", unreadable)
    with caplog.at_level(logging.CRITICAL):
        response = app.test_client().get("/_test/illisible")
    assert response.status_code == 503
    assert_security_headers(response)
    text = assert_generic_page(response, "Service momentanément indisponible")
    assert SECRET_DETAIL not in text and "/srv/donnees" not in text


def test_413_page_on_a_wizard_step(app, world):
    """The step views check CSRF themselves: the size limit still answers first, with the headers."""
    import io

    from tests.security.conftest import applicant_login

    client = app.test_client()
    applicant_login(client, world.owner)
    token = csrf_token(client.get("/mon-compte"))
    app.config["MAX_CONTENT_LENGTH"] = 4096
    step = f"/demandes/{world.draft['id']}/etape/{world.first_page}"
    for path in (step, step + "/autosave"):
        data = {"csrf_token": token, "statuts": (io.BytesIO(b"%PDF-" + b"0" * 16384), "gros.pdf")}
        response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 413, path
        assert_security_headers(response)
        if path == step:
            assert_generic_page(response, "Fichier trop volumineux")
