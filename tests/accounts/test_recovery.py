"""Mot de passe oublié and Récupérer mes identifiants, end to end."""

from __future__ import annotations

import pytest

from tests.helpers import (
    PASSWORD,
    create_account,
    csrf_token,
    field_error,
    last_mail,
    links_in,
    login,
    outbox,
    page_text,
    path_of,
    summary_errors,
)

NEW = "Nouveau-mdp-42"


def ask_reset(client, email="camille@exemple.fr", path="/mot-de-passe-oublie"):
    return client.post(path, data={"csrf_token": csrf_token(client.get(path)), "email": email})


def reset_link(services) -> str:
    return path_of(links_in(last_mail(services).text)[0])


def choose(client, link, password=NEW, confirm=None):
    token = csrf_token(client.get(link))
    return client.post(
        link,
        data={
            "csrf_token": token,
            "password": password,
            "password_confirm": password if confirm is None else confirm,
        },
    )


def test_forgotten_password_end_to_end(client, services):
    create_account(services)
    response = ask_reset(client)
    assert response.status_code == 200
    assert "Si un compte correspond à cette adresse, vous allez recevoir un courriel" in page_text(response)
    mail = last_mail(services, to="camille@exemple.fr")
    assert mail.subject == "Choisissez un nouveau mot de passe"
    assert "Ce lien est valable 1 heure" in mail.text
    link = reset_link(services)

    form = client.get(link)
    assert "Entre 10 et 20 caractères" in page_text(form)
    done = choose(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/connexion"
    assert login(client, "camille01", PASSWORD).status_code == 400
    assert login(client, "camille01", NEW).status_code == 302
    assert "Le mot de passe de votre compte a été modifié" == last_mail(services).subject

    again = client.get(link)
    assert again.status_code == 404 and "Lien invalide ou expiré" in page_text(again)


def test_reset_form_errors_keep_the_link_usable(client, services):
    create_account(services)
    ask_reset(client)
    link = reset_link(services)
    response = choose(client, link, "court")
    assert response.status_code == 400
    assert page_text(response).count("Le mot de passe doit contenir au moins 10 caractères.") == 2
    mismatch = choose(client, link, NEW, "Autre-mdp-42")
    assert page_text(mismatch).count("Les deux mots de passe ne sont pas identiques.") == 2
    assert choose(client, link).status_code == 302


def test_newer_link_voids_the_older(client, services):
    create_account(services)
    ask_reset(client)
    older = reset_link(services)
    ask_reset(client)
    newer = reset_link(services)
    assert client.get(older).status_code == 404
    assert client.get(newer).status_code == 200


def test_link_expires_after_one_hour(client, services, clock):
    create_account(services)
    ask_reset(client)
    link = reset_link(services)
    clock.advance(minutes=59, seconds=58)
    assert client.get(link).status_code == 200
    clock.advance(seconds=3)
    assert client.get(link).status_code == 404


def test_link_void_after_password_changed_otherwise(client, services):
    create_account(services)
    ask_reset(client)
    link = reset_link(services)
    login(client)
    page = client.get("/mon-compte")
    client.post(
        "/mon-compte/mot-de-passe",
        data={
            "csrf_token": csrf_token(page),
            "current_password": PASSWORD,
            "password": NEW,
            "password_confirm": NEW,
        },
    )
    assert client.get(link).status_code == 404


def test_reset_ends_remembered_sessions(app, client, services):
    create_account(services)
    other_device = app.test_client()
    login(other_device, remember=True)
    ask_reset(client)
    choose(client, reset_link(services))
    assert other_device.get("/mon-compte").status_code == 302


def test_reset_activates_an_account_never_activated(client, services):
    create_account(services, active=False)
    ask_reset(client)
    choose(client, reset_link(services))
    assert login(client, "camille01", NEW).status_code == 302


@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/recuperer-identifiants"])
def test_same_answer_for_known_and_unknown_addresses(client, services, path):
    create_account(services)
    known = ask_reset(client, "camille@exemple.fr", path)
    unknown = ask_reset(client, "inconnu@exemple.fr", path)
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)
    assert [mail.to for mail in outbox(services)] == ["camille@exemple.fr"]


@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/recuperer-identifiants"])
def test_invalid_address_message(client, path):
    response = ask_reset(client, "camille@", path)
    assert response.status_code == 400
    message = "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."
    assert summary_errors(response) == {"email": message} and field_error(response, "email") == message
    assert 'value="camille@"' in page_text(response)
    empty = ask_reset(client, "", path)
    assert summary_errors(empty) == {"email": "Saisissez votre adresse e-mail."}
    assert field_error(empty, "email") == "Saisissez votre adresse e-mail."


def test_identifiant_recovery(client, services):
    create_account(services, identifiant="tennisclub56", email="bureau@tennis.fr")
    response = ask_reset(client, "Bureau@TENNIS.fr", "/recuperer-identifiants")
    assert "rappelant votre identifiant" in page_text(response)
    mail = last_mail(services, to="bureau@tennis.fr")
    assert mail.subject == "Vos identifiants de connexion au Portail des subventions"
    assert "Votre identifiant de connexion au Portail des subventions est : tennisclub56" in mail.text
    assert "tennisclub56" in mail.html


@pytest.mark.parametrize("kind_path", ["/activation/", "/mon-compte/confirmer-adresse/"])
def test_reset_token_is_refused_elsewhere(client, services, kind_path):
    create_account(services)
    ask_reset(client)
    token = reset_link(services).rsplit("/", 1)[1]
    response = client.get(kind_path + token)
    assert response.status_code == 404
    assert "Lien invalide ou expiré" in page_text(response)
    assert client.get(f"/nouveau-mot-de-passe/{token}").status_code == 200


def test_altered_reset_token(client, services):
    create_account(services)
    ask_reset(client)
    link = reset_link(services)
    altered = link[:-1] + ("A" if link[-1] != "A" else "B")
    response = client.get(altered)
    assert response.status_code == 404
    post = client.post(
        altered,
        data={
            "csrf_token": csrf_token(client.get("/mot-de-passe-oublie")),
            "password": NEW,
            "password_confirm": NEW,
        },
    )
    assert post.status_code == 404


def test_host_header_poisoning_does_not_reach_mails(client, services):
    create_account(services)
    evil = {"Host": "evil.example"}
    token = csrf_token(client.get("/mot-de-passe-oublie", headers=evil))
    response = client.post(
        "/mot-de-passe-oublie", data={"csrf_token": token, "email": "camille@exemple.fr"}, headers=evil
    )
    assert response.status_code == 200
    mail = last_mail(services)
    assert "evil.example" not in mail.text and "evil.example" not in mail.html
    assert links_in(mail.text)[0].startswith("http://portail.test/nouveau-mot-de-passe/")
