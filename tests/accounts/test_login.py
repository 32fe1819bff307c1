"""Log in, remember me, log out (guide: "3ème cas", Se connecter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask_login import current_user

from runtime.passwords import PasswordHasher, hasher
from runtime.web.accounts import landing_url
from tests.helpers import PASSWORD, create_account, csrf_token, login, logout, page_text

REMEMBER = "portail_souvenir"
NOTE = (  # the guide's note, in full, with its asterisk (issue 12, item 10)
    "*En choisissant de cocher «\u00a0se souvenir de moi\u00a0», vous pourrez accéder à votre compte sans avoir "
    "à vous authentifier pendant une durée de 3 mois. Vous pouvez à tout moment mettre fin à l'authentification "
    "prolongée depuis le bouton déconnexion. Si vous utilisez un ordinateur public ou partagé, nous vous "
    "conseillons de vous déconnecter de votre compte dès la fin de votre navigation et en particulier si vous "
    "avez activé l'accès rapide en 1 clic."
)


def cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, f"pas de cookie {name}"
    return headers[-1]


def fresh_client_with(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_login_page_shows_the_guide_elements(client):
    page = page_text(client.get("/connexion"))
    assert "Vous n'avez pas de compte ?" in page and 'href="/inscription"' in page
    assert "Mot de passe oublié ?" in page and "Récupérer mes identifiants de connexion" in page
    assert NOTE in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page


@pytest.mark.parametrize(
    "login_value", ["camille01", "CAMILLE01", "camille@exemple.fr", " Camille@EXEMPLE.fr "]
)
def test_login_with_identifiant_or_email_lands_on_the_espace(app, client, services, login_value):
    create_account(services)
    response = login(client, login_value)
    assert response.status_code == 302
    with app.test_request_context():
        assert response.headers["Location"] == landing_url({})
    assert client.get("/mon-compte").status_code == 200


def test_root_redirects_by_state(client, services):
    assert client.get("/").headers["Location"] == "/connexion"
    create_account(services)
    login(client)
    assert client.get("/").headers["Location"] != "/connexion"


WRONG = [("camille01", "Mauvais1!mdp"), ("inconnu99", PASSWORD), ("inconnu@exemple.fr", PASSWORD)]


@pytest.mark.parametrize("login_value, password", WRONG)
def test_wrong_credentials_same_answer(client, services, login_value, password):
    create_account(services)
    response = login(client, login_value, password)
    page = page_text(response)
    assert response.status_code == 400
    assert page.count("Identifiant ou mot de passe incorrect.") == 2
    assert f'value="{login_value}"' in page and password not in page
    assert client.get("/mon-compte").status_code == 302


def test_empty_login_form(client):
    page = page_text(client.post("/connexion", data={"csrf_token": csrf_token(client.get("/connexion"))}))
    assert page.count("Saisissez votre identifiant ou votre adresse e-mail.") == 2
    assert page.count("Saisissez votre mot de passe.") == 2


def test_remember_me_cookie_lasts_three_months_and_survives_a_browser_restart(app, client, services):
    create_account(services)
    response = login(client, remember=True)
    header = cookie_header(response, REMEMBER)
    assert "HttpOnly" in header and "SameSite=Lax" in header
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    assert timedelta(days=89) < expires - datetime.now(UTC) < timedelta(days=93)

    restarted = fresh_client_with(app, **{REMEMBER: client.get_cookie(REMEMBER).value})
    assert restarted.get("/mon-compte").status_code == 200


def test_without_remember_me_no_lasting_cookie(app, client, services):
    create_account(services)
    response = login(client)
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{REMEMBER}=")]
    session_header = cookie_header(response, "session")
    assert "Expires" not in session_header  # gone when the browser closes


def test_logout_voids_replayed_remember_and_session_cookies(app, client, services):
    create_account(services)
    login(client, remember=True)
    remember = client.get_cookie(REMEMBER).value
    session = client.get_cookie("session").value
    response = logout(client)
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert "Expires=Thu, 01 Jan 1970" in cookie_header(response, REMEMBER)
    assert client.get_cookie(REMEMBER) is None
    assert client.get("/mon-compte").status_code == 302

    for cookies in ({REMEMBER: remember}, {"session": session}, {REMEMBER: remember, "session": session}):
        replay = fresh_client_with(app, **cookies)
        answer = replay.get("/mon-compte")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")


def test_logout_is_a_post_with_csrf(client, services):
    create_account(services)
    login(client)
    assert client.get("/deconnexion").status_code == 405
    refused = client.post("/deconnexion")
    assert refused.status_code == 400
    assert client.get("/mon-compte").status_code == 200


def test_session_is_renewed_at_login_keeping_a_pending_draft(app, client, services):
    create_account(services)
    with client.session_transaction() as session:
        session["pending_draft"] = "brouillon-42"
        session["planted"] = "fixation"
    login(client)
    with client.session_transaction() as session:
        assert session["pending_draft"] == "brouillon-42"
        assert "planted" not in session
        assert session["_user_id"].startswith("a:")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/mon-compte", "/mon-compte"),
        ("https://evil.example/x", None),
        ("//evil.example/x", None),
        ("/\\evil.example", None),
        ("http:/evil.example", None),
    ],
)
def test_next_only_to_local_paths(app, client, services, target, expected):
    from urllib.parse import quote

    create_account(services)
    response = login(client, next=quote(target, safe=""))
    with app.test_request_context():
        assert response.headers["Location"] == (expected or landing_url({}))


def test_anonymous_is_sent_to_login_then_back(client, services):
    create_account(services)
    response = client.get("/mon-compte")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion?next=%2Fmon-compte"
    page = page_text(client.get(response.headers["Location"]))
    assert "Veuillez vous connecter pour accéder à cette page." in page
    token = csrf_token(page)
    answer = client.post(response.headers["Location"], data={"csrf_token": token, "login": "camille01",
                                                             "password": PASSWORD})
    assert answer.headers["Location"] == "/mon-compte"


def test_rehash_on_login_when_parameters_change(client, services):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    account = create_account(services)
    services.repos.accounts.update(account["id"], {"password_hash": weak.hash(PASSWORD)})
    assert login(client).status_code == 302
    stored = services.repos.accounts.get(account["id"])["password_hash"]
    assert stored.startswith("$argon2id$")
    assert not hasher(services.config).check_needs_rehash(stored)
    assert f"m={hasher(services.config).memory_cost}" in stored


def test_cookies_secure_under_https(tmp_path):
    from runtime.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(tmp_path / "d"),
            "BASE_URL": "https://subventions.example",
            "SECRET_KEY": "k",
            "CAPTCHA_BACKEND": "test",
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_TIME_COST": 1,
        }
    )
    create_account(app.extensions["portail"])
    client = app.test_client()
    response = login(client, remember=True)
    for name in ("session", REMEMBER):
        header = cookie_header(response, name)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_security_headers_on_account_pages(client):
    for path in ("/connexion", "/inscription", "/mot-de-passe-oublie", "/activation/xyz"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert "<script>" not in response.get_data(as_text=True)
        assert " style=" not in response.get_data(as_text=True)


def test_current_user_kind_and_doc(app, client, services):
    account = create_account(services)
    login(client)
    with client:
        client.get("/mon-compte")
        assert current_user.kind == "applicant"
        assert current_user.id == account["id"]
        assert current_user.doc["identifiant"] == "camille01"
