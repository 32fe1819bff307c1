"""Registration and activation through HTTP (guide: "1er cas", S'inscrire)."""

from __future__ import annotations

import pytest

from tests.helpers import (
    PASSWORD,
    create_account,
    csrf_token,
    follow_mail_link,
    last_mail,
    links_in,
    login,
    outbox,
    page_text,
    path_of,
    register,
    summary_errors,
)


def test_register_activate_then_login(client, services):
    page = page_text(client.get("/inscription"))
    assert "Vous avez déjà un compte ?" in page and 'href="/connexion"' in page
    assert "Les associations et les communes ne cochent pas cette case." in page
    assert (
        "Entre 10 et 20 caractères, avec au moins 3 des 4 types suivants : "
        "majuscule, minuscule, chiffre, caractère spécial." in page
    )

    response = register(client, email="  Camille@Exemple.FR ")
    assert response.status_code == 200
    assert "Un courriel d'activation vient d'être envoyé" in page_text(response)
    account = services.repos.accounts.by_identifiant("camille01")
    assert account["email"] == "Camille@exemple.fr"
    assert account["active"] is False and account["professionnel"] is False

    mail = last_mail(services, to="Camille@exemple.fr")
    assert mail.subject == "Activez votre compte sur le Portail des subventions"
    link = links_in(mail.text)[0]
    assert link.startswith("http://portail.test/activation/")
    assert link in mail.html

    refused = login(client, "camille01")
    assert refused.status_code == 403
    assert "Votre compte n'est pas encore activé." in page_text(refused)
    assert "Renvoyer le lien d'activation" in page_text(refused)

    opened = client.get(path_of(link))
    assert opened.status_code == 200
    page = page_text(opened)
    assert '<h1 class="govuk-heading-l">Activer mon compte</h1>' in page
    assert f'<form method="post" action="{path_of(link)}"' in page and ">Activer mon compte</button>" in page
    assert services.repos.accounts.by_identifiant("camille01")["active"] is False  # opening is not activating
    activated = client.post(path_of(link), data={"csrf_token": csrf_token(opened)})
    assert activated.status_code == 302 and activated.headers["Location"] == "/connexion"
    assert "Votre compte est activé." in page_text(client.get("/connexion"))

    response = login(client, "camille@exemple.fr")
    assert response.status_code == 302
    assert client.get("/mon-compte").status_code == 200


def test_mail_scanners_opening_the_link_do_not_use_it_up(app, client, services):
    register(client)
    link = links_in(last_mail(services).text)[0]
    scanner = app.test_client()
    for _ in range(3):
        assert scanner.get(path_of(link)).status_code == 200
    assert services.repos.accounts.by_identifiant("camille01")["active"] is False
    assert follow_mail_link(client, link).status_code == 302
    assert services.repos.accounts.by_identifiant("camille01")["active"] is True


def test_activation_needs_the_csrf_token_of_the_page(client, services):
    register(client)
    link = path_of(links_in(last_mail(services).text)[0])
    client.get(link)
    assert client.post(link).status_code == 400
    assert services.repos.accounts.by_identifiant("camille01")["active"] is False
    assert follow_mail_link(client, link).status_code == 302


def test_activation_link_serves_once_and_expires(client, services, clock):
    register(client)
    link = path_of(links_in(last_mail(services).text)[0])
    clock.advance(hours=72, seconds=-2)
    page = client.get(link)
    assert client.post(link, data={"csrf_token": csrf_token(page)}).status_code == 302
    for again in (client.get(link), client.post(link, data={"csrf_token": csrf_token(page)})):
        assert again.status_code == 404
        assert "Lien invalide ou expiré" in page_text(again)


def test_activation_link_void_after_72_hours(client, services, clock):
    register(client)
    link = path_of(links_in(last_mail(services).text)[0])
    clock.advance(hours=72, seconds=1)
    response = client.get(link)
    assert response.status_code == 404
    assert "Lien invalide ou expiré" in page_text(response)
    assert services.repos.accounts.by_identifiant("camille01")["active"] is False


def test_activation_page_opened_before_expiry_pressed_after_it(client, services, clock):
    register(client)
    link = path_of(links_in(last_mail(services).text)[0])
    clock.advance(hours=72, seconds=-2)
    page = client.get(link)
    assert page.status_code == 200
    clock.advance(seconds=3)
    response = client.post(link, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
    assert "Lien invalide ou expiré" in page_text(response)
    assert services.repos.accounts.by_identifiant("camille01")["active"] is False


@pytest.mark.parametrize("token", ["abc", "x" * 43, "%00", "A" * 500])
def test_altered_activation_tokens_give_the_friendly_page(client, services, token):
    register(client)
    csrf = csrf_token(client.get("/connexion"))
    for response in (client.get(f"/activation/{token}"), client.post(f"/activation/{token}", data={"csrf_token": csrf})):
        assert response.status_code == 404
        assert "Lien invalide ou expiré" in page_text(response)
    assert services.repos.accounts.by_identifiant("camille01")["active"] is False


def test_resend_activation_from_the_login_page_voids_the_first_link(client, services):
    register(client)
    first = path_of(links_in(last_mail(services).text)[0])
    page = login(client, "camille01")
    response = client.post("/activation/renvoyer", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert "un nouveau lien d'activation vient de lui être envoyé" in page_text(response)
    second = path_of(links_in(last_mail(services).text)[0])
    assert second != first
    assert client.get(first).status_code == 404
    assert follow_mail_link(client, second).status_code == 302


def test_resend_activation_by_address_answers_the_same_for_unknown_addresses(client, services):
    register(client)
    token = csrf_token(client.get("/activation/renvoyer"))
    known = client.post("/activation/renvoyer", data={"csrf_token": token, "email": "camille@exemple.fr"})
    unknown = client.post("/activation/renvoyer", data={"csrf_token": token, "email": "personne@exemple.fr"})
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)
    assert [mail.to for mail in outbox(services)] == ["camille@exemple.fr", "camille@exemple.fr"]


def test_unticked_and_ticked_professionnel(client, services):
    register(client, professionnel="y")
    assert services.repos.accounts.by_identifiant("camille01")["professionnel"] is True


IDENTIFIANT_CASES = [
    ("", "Saisissez un identifiant."),
    ("abc12", "L'identifiant doit contenir entre 6 et 32 caractères."),
    ("a" * 33, "L'identifiant doit contenir entre 6 et 32 caractères."),
    ("camille 01", "L'identifiant ne peut contenir que des lettres sans accent et des chiffres."),
    ("camillé01", "L'identifiant ne peut contenir que des lettres sans accent et des chiffres."),
    ("camille-01", "L'identifiant ne peut contenir que des lettres sans accent et des chiffres."),
]


@pytest.mark.parametrize("identifiant, message", IDENTIFIANT_CASES)
def test_identifiant_policy(client, services, identifiant, message):
    response = register(client, identifiant=identifiant)
    page = page_text(response)
    assert response.status_code == 400
    assert page.count(message) == 2  # summary and beside the field
    assert 'href="#identifiant"' in page
    assert services.repos.accounts.count() == 0


@pytest.mark.parametrize("identifiant", ["abcdef", "A1" * 16, "123456"])
def test_identifiant_accepted_at_bounds(client, services, identifiant):
    assert register(client, identifiant=identifiant).status_code == 200
    assert services.repos.accounts.by_identifiant(identifiant)


KINDS = (
    "Le mot de passe doit contenir au moins 3 des 4 types de caractères suivants : "
    "majuscule, minuscule, chiffre, caractère spécial."
)
PASSWORD_CASES = [
    ("", "Saisissez un mot de passe."),
    ("Abcdef12!", "Le mot de passe doit contenir au moins 10 caractères."),
    ("Abcdefgh12!Abcdefgh12", "Le mot de passe doit contenir au plus 20 caractères."),
    ("abcdefghij1", KINDS),
    ("ABCDEFGHIJ!", KINDS),
    ("éèàùçôîâêë12", KINDS),
]


@pytest.mark.parametrize("password, message", PASSWORD_CASES)
def test_password_policy(client, services, password, message):
    response = register(client, password=password, password_confirm=password)
    page = page_text(response)
    assert response.status_code == 400
    assert page.count(message) == 2
    assert services.repos.accounts.count() == 0


@pytest.mark.parametrize("password", ["Éèàùçôîâ12", "mot de passe 1", "ÉCOLE école", "Abcdefgh12!Abcdefgh1"])
def test_unicode_and_spaces_count_and_are_kept(client, services, password):
    assert register(client, password=password, password_confirm=password).status_code == 200
    response = login(client, "camille01", password)
    assert response.status_code == 403  # right password, account not activated yet
    assert login(client, "camille01", password.strip() + "x").status_code == 400


def test_other_field_messages_and_typed_values_kept(client):
    response = register(
        client,
        civilite="",
        nom="",
        prenom="",
        email="pas-une-adresse",
        password_confirm="Autre1!Autre",
        identifiant="bon1dentifiant",
    )
    page = page_text(response)
    assert response.status_code == 400
    for message in [
        "Sélectionnez votre civilité.",
        "Saisissez votre nom.",
        "Saisissez votre prénom.",
        "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
        "Les deux mots de passe ne sont pas identiques.",
    ]:
        assert page.count(message) == 2, message
    assert 'href="#civilite-0"' in page
    assert 'value="bon1dentifiant"' in page and 'value="pas-une-adresse"' in page
    assert PASSWORD not in page and "Autre1!Autre" not in page
    assert 'aria-describedby="email-hint email-error"' in page
    assert '<p id="email-error" class="govuk-error-message">' in page


def test_taken_identifiant_is_reported(client, services):
    create_account(services, identifiant="camille01", email="autre@exemple.fr")
    page = page_text(register(client, identifiant="CAMILLE01"))
    assert page.count("Cet identifiant est déjà utilisé. Choisissez-en un autre.") == 2


def test_taken_email_answers_like_a_new_one(client, services):
    create_account(services, identifiant="existant1", email="camille@exemple.fr")
    taken = register(client, identifiant="nouveau01", email="CAMILLE@exemple.fr")
    fresh = register(client, identifiant="nouveau02", email="inconnu@exemple.fr")
    assert taken.status_code == fresh.status_code == 200
    assert page_text(taken) == page_text(fresh)
    assert services.repos.accounts.by_identifiant("nouveau01") is None
    warning = outbox(services)[0]
    assert warning.to == "camille@exemple.fr"
    assert "Elle est déjà associée à un compte." in warning.text


def test_honeypot_creates_nothing_but_answers_the_same(client, services):
    response = register(client, site_web="http://spam.example")
    assert response.status_code == 200
    assert "Un courriel d'activation vient d'être envoyé" in page_text(response)
    assert services.repos.accounts.count() == 0 and outbox(services) == []


def test_failed_anti_robot_check(client, services):
    response = register(client, captcha="non")
    page = page_text(response)
    assert response.status_code == 400
    assert page.count("La vérification anti-robot a échoué. Répondez à la question en chiffres.") == 2
    assert services.repos.accounts.count() == 0


def test_anti_robot_check_passed_once_is_not_asked_again(client, services):
    response = register(client, nom="")
    assert "Vérification anti-robot réussie." in page_text(response)
    assert register(client, captcha="").status_code == 200
    assert services.repos.accounts.count() == 1


def test_registration_without_csrf_token_is_refused(client, services):
    from tests.helpers import registration_data

    client.get("/inscription")
    response = client.post("/inscription", data=registration_data())
    assert response.status_code == 400
    assert "Formulaire expiré" in page_text(response)
    assert services.repos.accounts.count() == 0


def test_stored_password_is_argon2id_and_plain_text_is_nowhere(client, services, app, caplog):
    import logging
    from pathlib import Path

    caplog.set_level(logging.DEBUG)
    register(client)
    follow_mail_link(client, links_in(last_mail(services).text)[0])
    login(client, "camille01", PASSWORD + "x")
    login(client, "camille01", PASSWORD)
    assert PASSWORD not in caplog.text
    account = services.repos.accounts.by_identifiant("camille01")
    assert account["password_hash"].startswith("$argon2id$")
    for path in Path(app.config["DATA_DIR"]).rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    store = services.store  # whatever the backend: every stored document, through the store's API
    for name in store.partitions():
        partition = store.read(name)
        for table in partition.table_names():
            assert PASSWORD not in repr(partition.table(table).all()), (name, table)


@pytest.mark.parametrize(
    "email",
    [
        "camille@exemple",
        "a<b>@exemple.fr",
        "camille@exemple.fr\r\nBcc: x@evil.example",
        "c@x.fr\x00",
        "c amille@exemple.fr",
        "c@exemple.fr.",
        "c@@exemple.fr",
    ],
)
def test_hostile_or_malformed_addresses_are_refused(client, services, email):
    response = register(client, email=email)
    assert response.status_code == 400
    assert summary_errors(response) == {
        "email": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."
    }
    assert services.repos.accounts.count() == 0 and outbox(services) == []


@pytest.mark.parametrize(
    "path, data",
    [
        ("/connexion", {"login": "camille01", "password": PASSWORD}),
        ("/mot-de-passe-oublie", {"email": "camille@exemple.fr"}),
        ("/recuperer-identifiants", {"email": "camille@exemple.fr"}),
        ("/activation/renvoyer", {"email": "camille@exemple.fr"}),
    ],
)
def test_every_account_form_needs_its_csrf_token(client, services, path, data):
    create_account(services)
    client.get(path)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Formulaire expiré" in page_text(response)
    assert outbox(services) == [] and client.get("/mon-compte").status_code == 302
