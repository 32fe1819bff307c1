"""Who may reach the staff pages."""
from __future__ import annotations

import pytest

from tests.demandes.support import OTHER_SIRET, make_tiers
from tests.helpers import PASSWORD, create_account, csrf_token, login, page_text
from tests.staff.support import demande_url, file_demande, staff_login


def test_anonymous_is_sent_to_the_staff_login(client):
    response = client.get("/agents/demandes")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/agents/connexion?next=/agents/demandes")


def test_login_page_has_its_own_layout(client):
    text = page_text(client.get("/agents/connexion"))
    assert "Espace agents" in text
    assert "Connexion à l'espace agents" in text
    assert 'autocomplete="current-password"' in text


def test_wrong_password_is_refused_in_french(client, admin):
    response = staff_login(client, "admin.metropole", "Mauvais-mdp1")
    assert response.status_code == 400
    text = page_text(response)
    assert "Identifiant ou mot de passe incorrect." in text
    assert 'href="#identifiant"' in text
    assert 'value="admin.metropole"' in text


def test_empty_login_form_lists_both_errors(client, admin):
    response = staff_login(client, "", "")
    text = page_text(response)
    assert "Saisissez votre identifiant." in text
    assert "Saisissez votre mot de passe." in text


def test_login_then_logout_voids_the_session(client, admin):
    response = staff_login(client, "admin.metropole")
    assert response.status_code == 302
    assert response.headers["Location"] == "/agents/demandes"
    assert client.get("/agents/demandes").status_code == 200
    token_page = client.get("/agents/demandes")
    assert client.get("/agents/deconnexion").status_code == 405
    client.post("/agents/deconnexion", data={"csrf_token": csrf_token(token_page)})
    assert client.get("/agents/demandes").status_code == 302


def test_failed_logins_are_throttled(client, admin, app):
    limit, _ = app.config["THROTTLE_LOGIN"]
    for _ in range(limit):
        assert staff_login(client, "admin.metropole", "Mauvais-mdp1").status_code == 400
    assert staff_login(client, "admin.metropole").status_code == 429


def test_applicant_cannot_reach_staff_pages(client, services, account):
    assert login(client, account["identifiant"]).status_code == 302
    response = client.get("/agents/demandes")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/agents/connexion")


def test_staff_password_is_hashed_with_argon2id(admin):
    assert admin["password_hash"].startswith("$argon2id$")


@pytest.fixture
def two_demandes(services, account, tiers):
    other = make_tiers(services, create_account(services, "autre0001", "autre@exemple.fr"), OTHER_SIRET,
                       name="Patrimoine Vivant")
    return file_demande(services, tiers), file_demande(services, other, teleservice="patrimoine", answers={})


def test_instructeur_sees_only_assigned_teleservices(client, instructeur, two_demandes):
    mine, foreign = two_demandes
    staff_login(client, "instructeur.quartier")
    listing = page_text(client.get("/agents/demandes"))
    assert mine["numero"] in listing
    assert foreign["numero"] not in listing
    assert "1 demande(s)" in listing
    assert client.get(demande_url(mine)).status_code == 200
    assert client.get(demande_url(foreign)).status_code == 404
    assert client.get("/agents/export/patrimoine.csv").status_code == 404
    assert client.get("/agents/demandes?teleservice=patrimoine").status_code == 400


def test_instructeur_cannot_manage_specs(client, instructeur):
    staff_login(client, "instructeur.quartier")
    assert client.get("/agents/specs").status_code == 403
    for url in ("/agents/apercu/quartier/", "/agents/apercu/quartier/projet", "/agents/apercu/quartier/recapitulatif"):
        assert client.get(url).status_code == 403, url  # the aperçu is the administrators' (docs/agents.md)


def test_administrateur_sees_everything(client, admin, two_demandes):
    staff_login(client, "admin.metropole")
    listing = page_text(client.get("/agents/demandes"))
    assert all(d["numero"] in listing for d in two_demandes)
    assert client.get(demande_url(two_demandes[1])).status_code == 200


def test_unknown_or_forged_ids_are_404(client, admin, two_demandes):
    staff_login(client, "admin.metropole")
    mine = two_demandes[0]
    assert client.get(f"/agents/demandes/{mine['tiers_id']}/inconnue").status_code == 404
    assert client.get(f"/agents/demandes/..%2F..%2Fstaff/{mine['id']}").status_code == 404


def test_drafts_are_not_shown_to_staff(client, services, admin, tiers):
    draft = file_demande(services, tiers, status="brouillon")
    staff_login(client, "admin.metropole")
    assert client.get(demande_url(draft)).status_code == 404


def test_demo_seeder_creates_an_administrateur_once(app, client, services):
    from runtime.demo import seed_demo_staff

    with app.app_context():
        (line,) = seed_demo_staff(app, {})
        assert seed_demo_staff(app, {}) == []
    password = line.rsplit(" ", 1)[-1]
    assert line.startswith("Agent administrateur de démonstration (/agents/connexion) : admin.metropole / ")
    assert staff_login(client, "admin.metropole", password).status_code == 302
    assert client.get("/agents/specs").status_code == 200


def test_generated_passwords_meet_the_policy(app):
    from runtime.domain.staff_accounts import new_staff_password
    from runtime.passwords import password_error

    passwords = {new_staff_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(password_error(p, app.config) is None for p in passwords)


@pytest.mark.parametrize("target", ["//evil.example/agents/", "http://evil.example/", "/espace/"])
def test_login_never_redirects_outside_the_staff_space(client, admin, target):
    url = f"/agents/connexion?next={target}"
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url)), "identifiant": "admin.metropole",
                                      "password": PASSWORD})
    assert response.headers["Location"] == "/agents/demandes"


def staff_form(client, **fields):
    data = {"csrf_token": csrf_token(client.get("/agents/comptes")), "identifiant": "jeanne.durand",
            "nom": "Jeanne Durand", "email": "jeanne.durand@ampmetropole.fr", "role": "instructeur",
            "teleservices": ["quartier"]}
    data.update(fields)
    return client.post("/agents/comptes", data=data)


def test_administrateur_creates_an_instructeur_who_can_log_in(app, client, services, admin):
    staff_login(client, "admin.metropole")
    response = staff_form(client)
    assert response.status_code == 200
    text = page_text(response)
    password = text.split("Mot de passe : <strong>")[1].split("</strong>")[0]
    created = services.repos.staff.find_by_identifiant("jeanne.durand")
    assert created["teleservices"] == ["quartier"]
    assert created["password_hash"].startswith("$argon2id$")
    assert password not in str(created)
    other = app.test_client()
    assert staff_login(other, "jeanne.durand", password).status_code == 302
    assert other.get("/agents/comptes").status_code == 403


@pytest.mark.parametrize(
    "fields, field, message",
    [({"identifiant": "a"}, "identifiant", ("L'identifiant doit compter de 3 à 40 caractères : lettres minuscules, "
                                           "chiffres, point, tiret ou tiret bas.")),
     ({"identifiant": "admin.metropole"}, "identifiant", "Cet identifiant est déjà utilisé."),
     ({"email": "jeanne"}, "email", "Saisissez une adresse électronique valide, par exemple prenom.nom@ampmetropole.fr."),
     ({"nom": " "}, "nom", "Saisissez le nom de l'agent."),
     ({"role": "chef"}, "role", "Choisissez le rôle de l'agent."),
     ({"teleservices": []}, "teleservices", "Choisissez au moins un téléservice à instruire."),
     ({"teleservices": ["inconnu"]}, "teleservices", "Choisissez des téléservices dans la liste.")],
)
def test_staff_account_form_errors(client, services, admin, fields, field, message):
    staff_login(client, "admin.metropole")
    response = staff_form(client, **fields)
    assert response.status_code == 400
    text = page_text(response)
    assert text.count(message) == 2
    assert f'href="#{field}"' in text
    assert 'value="Jeanne Durand"' in text or field == "nom"
    assert services.repos.staff.count() == 1
