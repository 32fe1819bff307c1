"""Throttling of failed logins, registrations and reset requests, shared by workers."""

from __future__ import annotations

from runtime.app import create_app
from tests.helpers import create_account, csrf_token, login, page_text, register
from tests.pg_support import SUITE_STORE

FAST = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}
WAIT_MESSAGE = "Vous avez fait trop de tentatives en peu de temps."


def test_eleventh_failed_login_in_a_minute_is_refused(client, services, clock):
    create_account(services)
    for _ in range(10):
        assert login(client, "camille01", "Mauvais-mdp-1").status_code == 400
    response = login(client, "camille01", "Mauvais-mdp-1")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert WAIT_MESSAGE in page_text(response)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # Even the right password waits: a guesser learns nothing more.
    assert login(client, "camille01").status_code == 429
    clock.advance(seconds=61)
    assert login(client, "camille01").status_code == 302


def test_failures_on_an_unknown_login_are_throttled_alike(client, services):
    for _ in range(10):
        login(client, "inconnu01", "Mauvais-mdp-1")
    assert login(client, "inconnu01", "Mauvais-mdp-1").status_code == 429


def test_failed_logins_per_ip_across_accounts(client, services):
    for number in range(10):
        login(client, f"inconnu{number:02d}", "Mauvais-mdp-1")
    response = login(client, "quelquun99", "Mauvais-mdp-1")
    assert response.status_code == 429
    other_ip = client.application.test_client()
    token = csrf_token(other_ip.get("/connexion"))
    answer = other_ip.post(
        "/connexion",
        data={"csrf_token": token, "login": "quelquun99", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert answer.status_code == 400


def test_registrations_per_ip(client, services):
    for number in range(5):
        assert (
            register(client, identifiant=f"compte{number:03d}", email=f"c{number}@exemple.fr").status_code
            == 200
        )
    response = register(client, identifiant="compte999", email="c9@exemple.fr")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 60
    # the page speaks of registering, not of a password (issue 12, item 10)
    text = page_text(response)
    assert "Trop d'inscriptions ont été demandées en peu de temps" in text
    assert "avant de vous inscrire à nouveau" in text
    assert "mot de passe" not in text.lower()
    assert services.repos.accounts.by_identifiant("compte999") is None


def test_reset_requests_per_address(client, services):
    create_account(services)
    for _ in range(5):
        token = csrf_token(client.get("/mot-de-passe-oublie"))
        client.post("/mot-de-passe-oublie", data={"csrf_token": token, "email": "camille@exemple.fr"})
    token = csrf_token(client.get("/mot-de-passe-oublie"))
    response = client.post("/mot-de-passe-oublie", data={"csrf_token": token, "email": "camille@exemple.fr"})
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_two_workers_share_the_throttling_state(tmp_path, clock):
    config = {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / "data"),
        "STORE": SUITE_STORE,  # two servers over one store: PostgreSQL or the same TinyDB folder
        "BASE_URL": "http://portail.test",
        "CLOCK": clock,
        "SECRET_KEY": "test-secret",
        "CAPTCHA_BACKEND": "test",
        **FAST,
    }
    first, second = create_app(config), create_app(config)
    assert first.extensions["portail"].store is not second.extensions["portail"].store
    create_account(first.extensions["portail"])
    clients = [first.test_client(), second.test_client()]
    for attempt in range(10):
        assert login(clients[attempt % 2], "camille01", "Mauvais-mdp-1").status_code == 400
    for client in clients:
        response = login(client, "camille01", "Mauvais-mdp-1")
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1


def test_identifiant_and_email_count_for_the_same_account(app, services):
    create_account(services)
    for number in range(10):
        ip = {"REMOTE_ADDR": f"10.0.0.{number}"}  # a different address each time
        client = app.test_client()
        token = csrf_token(client.get("/connexion", environ_base=ip))
        name = "camille01" if number % 2 else "camille@exemple.fr"
        data = {"csrf_token": token, "login": name, "password": "Mauvais-mdp-1"}
        assert client.post("/connexion", data=data, environ_base=ip).status_code == 400
    assert login(app.test_client(), "camille@exemple.fr").status_code == 429


def test_wrong_current_password_in_mon_compte_counts_as_a_failed_login(client, services):
    create_account(services)
    login(client)
    for _ in range(10):
        token = csrf_token(client.get("/mon-compte"))
        client.post(
            "/mon-compte/mot-de-passe",
            data={
                "csrf_token": token,
                "current_password": "Faux-mdp-12",
                "password": "Nouveau-mdp-42",
                "password_confirm": "Nouveau-mdp-42",
            },
        )
    token = csrf_token(client.get("/mon-compte"))
    response = client.post("/mon-compte/mot-de-passe", data={"csrf_token": token, "current_password": "x"})
    assert response.status_code == 429
