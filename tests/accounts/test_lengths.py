"""Length caps of the account fields: a French message, what was typed redisplayed whole, nothing
truncated (neither by the server nor by a ``maxlength`` in the page)."""

from __future__ import annotations

import pytest

from tests.helpers import (
    PASSWORD,
    create_account,
    csrf_token,
    field_error,
    login,
    outbox,
    page_text,
    register,
    summary_errors,
)

LOGIN_TOO_LONG = "L'identifiant ou l'adresse e-mail doit contenir au plus 254 caractères."
PASSWORD_TOO_LONG = "Le mot de passe doit contenir au plus 1024 caractères."
EMAIL_TOO_LONG = "L'adresse e-mail doit contenir au plus 254 caractères."


def post_with_csrf(client, path, page="/mon-compte", **data):
    data["csrf_token"] = csrf_token(client.get(page))
    return client.post(path, data=data)


def assert_refused(response, field_id: str, message: str) -> None:
    assert response.status_code == 400
    assert summary_errors(response)[field_id] == message
    assert field_error(response, field_id) == message
    assert "maxlength" not in response.get_data(as_text=True)


def test_login_too_long_is_refused_and_redisplayed_whole(client, services):
    typed = "c" * 255
    response = login(client, typed)
    assert_refused(response, "login", LOGIN_TOO_LONG)
    assert f'value="{typed}"' in page_text(response)
    at_the_cap = login(client, "c" * 254)
    assert summary_errors(at_the_cap) == {"login": "Identifiant ou mot de passe incorrect."}


def test_login_password_is_not_truncated(client, services):
    create_account(services)
    assert_refused(login(client, "camille01", "x" * 1025), "password", PASSWORD_TOO_LONG)
    # Up to the cap it is checked as typed: the right password followed by anything is wrong.
    longer = login(client, "camille01", PASSWORD + "x" * (1024 - len(PASSWORD)))
    assert longer.status_code == 400
    assert summary_errors(longer) == {"login": "Identifiant ou mot de passe incorrect."}
    assert login(client, "camille01", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "field, message",
    [
        ("nom", "Le nom doit contenir au plus 100 caractères."),
        ("prenom", "Le prénom doit contenir au plus 100 caractères."),
    ],
)
def test_registration_names_too_long(client, services, field, message):
    typed = "É" * 101
    response = register(client, **{field: typed})
    assert_refused(response, field, message)
    assert f'value="{typed}"' in page_text(response)
    assert services.repos.accounts.count() == 0
    assert register(client, **{field: "É" * 100}).status_code == 200


def test_registration_email_too_long(client, services):
    typed = "x" * 243 + "@exemple.fr"  # 254 characters: accepted
    response = register(client, email="y" + typed)
    assert_refused(response, "email", EMAIL_TOO_LONG)
    assert f'value="y{typed}"' in page_text(response)
    assert outbox(services) == []
    assert register(client, email=typed).status_code == 200


@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/recuperer-identifiants", "/activation/renvoyer"])
def test_address_requests_too_long(client, services, path):
    response = post_with_csrf(client, path, page=path, email="x" * 250 + "@exemple.fr")
    assert_refused(response, "email", EMAIL_TOO_LONG)


def test_mon_compte_fields_too_long(client, services):
    create_account(services)
    login(client)
    profile = post_with_csrf(client, "/mon-compte", civilite="madame", nom="N" * 101, prenom="P" * 101)
    assert_refused(profile, "nom", "Le nom doit contenir au plus 100 caractères.")
    assert field_error(profile, "prenom") == "Le prénom doit contenir au plus 100 caractères."
    assert f'value="{"N" * 101}"' in page_text(profile)

    email = post_with_csrf(
        client, "/mon-compte/adresse-email", new_email="x" * 250 + "@exemple.fr", email_password="p" * 1025
    )
    assert_refused(email, "new_email", EMAIL_TOO_LONG)
    assert field_error(email, "email_password") == PASSWORD_TOO_LONG

    password = post_with_csrf(
        client,
        "/mon-compte/mot-de-passe",
        current_password="p" * 1025,
        password="Nouveau-mdp-42",
        password_confirm="Nouveau-mdp-42",
    )
    assert_refused(password, "current_password", PASSWORD_TOO_LONG)
    assert services.repos.accounts.by_identifiant("camille01")["email"] == "camille@exemple.fr"
