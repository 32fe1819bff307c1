"""Mon compte: names, e-mail address (re-confirmed), password (current one asked)."""

from __future__ import annotations

from tests.helpers import (
    PASSWORD,
    create_account,
    csrf_token,
    field_error,
    follow_mail_link,
    last_mail,
    links_in,
    login,
    outbox,
    page_text,
    path_of,
    summary_errors,
)

NEW = "Nouveau-mdp-42"


def post(client, path, **data):
    data["csrf_token"] = csrf_token(client.get("/mon-compte"))
    return client.post(path, data=data)


def logged_in(client, services, **fields):
    account = create_account(services, **fields)
    login(client)
    return account


def test_page_shows_the_account(client, services):
    logged_in(client, services)
    page = page_text(client.get("/mon-compte"))
    assert "camille01" in page and "camille@exemple.fr" in page
    assert 'value="Martin"' in page and 'value="madame" checked' in page


def test_change_civilite_and_names(client, services):
    account = logged_in(client, services)
    response = post(client, "/mon-compte", civilite="monsieur", nom="Durand", prenom="Jean")
    assert response.status_code == 302
    assert "Vos informations ont été enregistrées." in page_text(client.get("/mon-compte"))
    stored = services.repos.accounts.get(account["id"])
    assert (stored["civilite"], stored["nom"], stored["prenom"]) == ("monsieur", "Durand", "Jean")


def test_profile_errors_keep_typed_values(client, services):
    logged_in(client, services)
    response = post(client, "/mon-compte", civilite="docteur", nom="", prenom="Jeanne")
    assert response.status_code == 400
    assert summary_errors(response) == {
        "civilite-0": "Sélectionnez votre civilité.",
        "nom": "Saisissez votre nom.",
    }
    assert field_error(response, "nom") == "Saisissez votre nom."
    assert 'value="Jeanne"' in page_text(response)


def test_change_password_asks_the_current_one(client, services):
    logged_in(client, services)
    wrong = post(
        client,
        "/mon-compte/mot-de-passe",
        current_password="Pas-le-bon-1",
        password=NEW,
        password_confirm=NEW,
    )
    assert wrong.status_code == 400
    assert field_error(wrong, "current_password") == "Le mot de passe actuel est incorrect."
    weak = post(
        client,
        "/mon-compte/mot-de-passe",
        current_password=PASSWORD,
        password="faible",
        password_confirm="faible",
    )
    assert field_error(weak, "password") == "Le mot de passe doit contenir au moins 10 caractères."
    assert PASSWORD not in page_text(weak)


def test_change_password_ends_other_sessions_but_keeps_this_one(app, client, services):
    logged_in(client, services)
    other = app.test_client()
    login(other, remember=True)
    response = post(
        client, "/mon-compte/mot-de-passe", current_password=PASSWORD, password=NEW, password_confirm=NEW
    )
    assert response.status_code == 302
    assert "Vos autres sessions ont été fermées." in page_text(client.get("/mon-compte"))
    assert other.get("/mon-compte").status_code == 302
    assert login(app.test_client(), "camille01", NEW).status_code == 302
    assert last_mail(services).subject == "Le mot de passe de votre compte a été modifié"


def test_change_email_is_confirmed_by_a_link_to_the_new_address(client, services):
    account = logged_in(client, services)
    response = post(
        client, "/mon-compte/adresse-email", new_email="nouvelle@Exemple.FR", email_password=PASSWORD
    )
    assert response.status_code == 302
    assert services.repos.accounts.get(account["id"])["email"] == "camille@exemple.fr"
    mail = last_mail(services)
    assert mail.to == "nouvelle@Exemple.FR" and mail.subject == "Confirmez votre nouvelle adresse e-mail"
    link = path_of(links_in(mail.text)[0])
    opened = client.get(link)
    assert opened.status_code == 200
    assert "Votre adresse e-mail deviendra nouvelle@exemple.fr" in page_text(opened)
    assert services.repos.accounts.get(account["id"])["email"] == "camille@exemple.fr"  # not on a mere GET
    assert client.post(link, data={"csrf_token": csrf_token(opened)}).status_code == 302
    assert services.repos.accounts.get(account["id"])["email"] == "nouvelle@exemple.fr"
    notice = last_mail(services)
    assert notice.to == "camille@exemple.fr"
    assert "est désormais nouvelle@exemple.fr" in notice.text
    assert "Votre adresse e-mail est maintenant nouvelle@exemple.fr." in page_text(client.get("/mon-compte"))
    assert client.get(link).status_code == 404
    assert login(client.application.test_client(), "nouvelle@exemple.fr").status_code == 302


def test_change_email_link_of_another_account_is_refused(app, client, services):
    logged_in(client, services)
    post(client, "/mon-compte/adresse-email", new_email="nouvelle@exemple.fr", email_password=PASSWORD)
    link = path_of(links_in(last_mail(services).text)[0])
    create_account(services, identifiant="intrus01", email="intrus@exemple.fr")
    intruder = app.test_client()
    login(intruder, "intrus01")
    assert intruder.get(link).status_code == 404
    forged = intruder.post(link, data={"csrf_token": csrf_token(intruder.get("/mon-compte"))})
    assert forged.status_code == 404
    assert follow_mail_link(client, link).status_code == 302


def test_change_email_to_a_taken_address_tells_nothing(client, services):
    account = logged_in(client, services)
    create_account(services, identifiant="autre0001", email="prise@exemple.fr")
    response = post(
        client, "/mon-compte/adresse-email", new_email="prise@exemple.fr", email_password=PASSWORD
    )
    assert response.status_code == 302
    assert "Un lien de confirmation a été envoyé à prise@exemple.fr." in page_text(client.get("/mon-compte"))
    assert "Elle est déjà associée à un compte." in last_mail(services).text
    assert services.repos.accounts.get(account["id"])["email"] == "camille@exemple.fr"


def test_change_email_errors(client, services):
    logged_in(client, services)
    response = post(client, "/mon-compte/adresse-email", new_email="faux", email_password="")
    assert summary_errors(response) == {
        "new_email": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
        "email_password": "Saisissez votre mot de passe actuel.",
    }
    assert 'value="faux"' in page_text(response)
    assert outbox(services) == []


def test_rattachement_section_only_when_the_tiers_page_exists(client, services, app):
    logged_in(client, services)
    page = page_text(client.get("/mon-compte"))
    assert ("Me rattacher à un tiers" in page) == ("tiers.rattachement" in app.view_functions)


def test_names_refuse_line_breaks_controls_and_bidi_overrides(client, services):
    logged_in(client, services)
    response = post(client, "/mon-compte", civilite="madame", nom="Martin\r\nBcc: x", prenom="Cami\u202elle")
    assert response.status_code == 400
    assert summary_errors(response) == {
        "nom": "Le nom ne peut contenir ni retour à la ligne ni caractère de contrôle.",
        "prenom": "Le prénom ne peut contenir ni retour à la ligne ni caractère de contrôle.",
    }
    assert post(client, "/mon-compte", civilite="madame", nom="N’Diaye-Éloi", prenom="Zoé").status_code == 302
