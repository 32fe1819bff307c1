"""Hostile inputs against the account forms: registration, login, password recovery."""
from __future__ import annotations

import pytest
from hostile_payloads import CONTROL, MARKUP, ONE_MB, payload_is_inert

from tests.helpers import csrf_token, field_error, outbox, register, registration_data, summary_errors


@pytest.mark.parametrize("payload", list(MARKUP.values()), ids=list(MARKUP))
def test_markup_in_names_is_stored_as_text_and_shown_inert(client, services, payload):
    response = register(client, nom=payload, prenom=payload, identifiant="hostile01", email="hostile@exemple.fr")
    assert response.status_code == 200
    assert payload_is_inert(response.get_data(as_text=True), payload)
    account = services.repos.accounts.by_email("hostile@exemple.fr")
    assert account["nom"] == payload  # kept as typed: a name is text, escaped when shown
    mail = outbox(services)[-1]
    assert payload_is_inert(mail.html, payload)
    assert f"{payload} {payload}" in mail.text  # as typed: never evaluated as a template ({{7*7}})


REFUSED_IN_NAMES = {k: v for k, v in CONTROL.items() if k != "zero-width"}


@pytest.mark.parametrize("payload", list(REFUSED_IN_NAMES.values()), ids=list(REFUSED_IN_NAMES))
def test_control_characters_in_names_are_refused_beside_the_field(client, services, payload):
    """NUL, control characters, bidi overrides and line breaks have no place in a name."""
    response = register(client, nom=payload, identifiant="hostile02", email="hostile2@exemple.fr")
    assert response.status_code == 400
    assert field_error(response, "nom"), "un message en français doit figurer à côté du champ Nom"
    assert services.repos.accounts.by_email("hostile2@exemple.fr") is None


def test_one_megabyte_name_is_refused_with_the_rule(client, services):
    response = register(client, nom=ONE_MB, identifiant="hostile03", email="hostile3@exemple.fr")
    assert response.status_code == 400
    assert field_error(response, "nom") == "Le nom doit contenir au plus 100 caractères."
    assert services.repos.accounts.by_email("hostile3@exemple.fr") is None


@pytest.mark.parametrize(
    "email",
    ["camille@exemple.fr\r\nBcc: victime@example.org", "camille@exemple.fr\x00", "<script>@exemple.fr",
     "ｃａｍｉｌｌｅ＠ｅｘｅｍｐｌｅ．ｆｒ"],
    ids=["entete-bcc", "nul", "script", "pleine-chasse"],
)
def test_hostile_email_is_refused_and_no_mail_leaves(client, services, email):
    before = len(outbox(services))
    response = register(client, email=email, identifiant="hostile04")
    assert response.status_code == 400
    assert field_error(response, "email") == "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."
    assert len(outbox(services)) == before
    assert payload_is_inert(response.get_data(as_text=True), email)


@pytest.mark.parametrize("identifiant", ["camille\u202e01", "ｃａｍｉｌｌｅ01", "camille 01", "<b>camille</b>"],
                         ids=["rtl", "pleine-chasse", "espace", "balise"])
def test_hostile_identifiant_is_refused(client, services, identifiant):
    response = register(client, identifiant=identifiant, email="hostile5@exemple.fr")
    assert response.status_code == 400
    assert field_error(response, "identifiant") == (
        "L'identifiant ne peut contenir que des lettres sans accent et des chiffres."
    )
    assert services.repos.accounts.by_email("hostile5@exemple.fr") is None


def test_registration_without_csrf_token_creates_nothing(client, services):
    response = client.post("/inscription", data=registration_data(identifiant="sanscsrf1", email="sc@exemple.fr"))
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    assert services.repos.accounts.by_email("sc@exemple.fr") is None


def test_replayed_registration_creates_one_account(client, services):
    data = registration_data(identifiant="rejoue01", email="rejoue@exemple.fr")
    data["csrf_token"] = csrf_token(client.get("/inscription"))
    first = client.post("/inscription", data=data)
    assert first.status_code == 200
    client.post("/inscription", data=data)  # the same form sent again
    account = services.repos.accounts.by_email("rejoue@exemple.fr")
    assert account is not None
    assert services.repos.accounts.by_login("rejoue01")["id"] == account["id"]
    activation_mails = [m for m in outbox(services) if m.to == "rejoue@exemple.fr" and "Activez" in m.subject]
    assert len(activation_mails) == 1


@pytest.mark.parametrize("payload", [*MARKUP.values(), *CONTROL.values()], ids=[*MARKUP, *CONTROL])
def test_login_with_hostile_identifiant_is_a_plain_refusal(client, payload):
    token = csrf_token(client.get("/connexion"))
    response = client.post("/connexion", data={"csrf_token": token, "login": payload, "password": payload})
    assert response.status_code == 400
    assert summary_errors(response) == {"login": "Identifiant ou mot de passe incorrect."}
    assert payload_is_inert(response.get_data(as_text=True), payload)


def test_login_with_one_megabyte_is_refused_with_the_limits(client):
    token = csrf_token(client.get("/connexion"))
    response = client.post("/connexion", data={"csrf_token": token, "login": ONE_MB, "password": ONE_MB})
    assert response.status_code == 400
    assert summary_errors(response) == {
        "login": "L'identifiant ou l'adresse e-mail doit contenir au plus 254 caractères.",
        "password": "Le mot de passe doit contenir au plus 1024 caractères.",
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (MARKUP["script"], "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
        (CONTROL["retour-chariot"], "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
        (ONE_MB[:5000], "L'adresse e-mail doit contenir au plus 254 caractères."),
    ],
    ids=["script", "retour-chariot", "long"],
)
def test_forgotten_password_with_hostile_address_sends_nothing(client, services, payload, message):
    before = len(outbox(services))
    token = csrf_token(client.get("/mot-de-passe-oublie"))
    response = client.post("/mot-de-passe-oublie", data={"csrf_token": token, "email": payload})
    assert response.status_code == 400
    assert field_error(response, "email") == message
    assert len(outbox(services)) == before
