"""Comptes des agents: role and téléservices, deactivation, password reset, audit trail, CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from runtime.cli import main as cli
from tests.helpers import csrf_token, field_error, page_text, summary_errors
from tests.pg_support import SUITE_STORE
from tests.staff.support import create_staff, make_app, staff_login

LAST_ADMIN = ("Il doit rester au moins un administrateur actif : "
              "ce compte est le dernier, il ne peut ni changer de rôle ni être désactivé.")


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    assert staff_login(client, "admin.metropole").status_code == 302
    return client


@pytest.fixture
def agent_client(app, instructeur):
    client = app.test_client()
    assert staff_login(client, "instructeur.quartier").status_code == 302
    return client


def account_url(doc, action=""):
    return f"/agents/comptes/{doc['id']}{action}"


def submit(client, doc, action="", **fields):
    data = {"csrf_token": csrf_token(client.get(account_url(doc))), **fields}
    return client.post(account_url(doc, action), data=data)


def stored(services, doc):
    return services.repos.staff.get(doc["id"])


def test_administrateur_changes_role_and_teleservices_with_audit(services, admin_client, instructeur):
    response = submit(admin_client, instructeur, role="instructeur", teleservices=["quartier", "patrimoine"])
    assert response.status_code == 302
    assert response.headers["Location"] == account_url(instructeur)
    assert stored(services, instructeur)["teleservices"] == ["quartier", "patrimoine"]
    (entry,) = services.repos.staff.audit(instructeur["id"])
    assert entry["action"] == "Rôle et téléservices modifiés"
    assert entry["detail"] == "Rôle : instructeur ; téléservices : quartier, patrimoine"
    assert entry["actor"]["id"] == services.repos.staff.find_by_identifiant("admin.metropole")["id"]
    page = page_text(admin_client.get(account_url(instructeur)))
    assert "Rôle et téléservices enregistrés." in page
    assert "Journal du compte" in page and "Rôle et téléservices modifiés" in page and "Admin Metropole" in page


def test_role_change_applies_at_the_next_request(services, admin_client, agent_client, instructeur):
    assert agent_client.get("/agents/specs").status_code == 403
    submit(admin_client, instructeur, role="administrateur")
    assert agent_client.get("/agents/specs").status_code == 200


@pytest.mark.parametrize("fields, field, message", [
    ({"role": "chef"}, "role", "Choisissez le rôle de l'agent."),
    ({"role": "instructeur"}, "teleservices", "Choisissez au moins un téléservice à instruire."),
    ({"role": "instructeur", "teleservices": ["inconnu"]}, "teleservices", "Choisissez des téléservices dans la liste."),
])
def test_invalid_edit_is_refused_with_the_error_beside_the_field(services, admin_client, instructeur, fields, field,
                                                                  message):
    response = submit(admin_client, instructeur, **fields)
    assert response.status_code == 400
    assert summary_errors(response) == {field: message}
    assert message in field_error(response, field)
    assert stored(services, instructeur)["teleservices"] == ["quartier"]
    assert services.repos.staff.audit(instructeur["id"]) == []


def test_deactivated_agent_loses_open_sessions_and_cannot_log_in(app, services, admin_client, agent_client,
                                                                  instructeur):
    assert agent_client.get("/agents/demandes").status_code == 200
    response = submit(admin_client, instructeur, "/desactiver")
    assert response.status_code == 302
    doc = stored(services, instructeur)
    assert doc["active"] is False
    assert doc["auth_epoch"] == int(instructeur.get("auth_epoch", 0)) + 1
    assert agent_client.get("/agents/demandes").status_code == 302  # back to the login page
    assert staff_login(app.test_client(), "instructeur.quartier").status_code == 400
    assert "Désactivé" in page_text(admin_client.get("/agents/comptes"))

    assert submit(admin_client, instructeur, "/reactiver").status_code == 302
    assert stored(services, instructeur)["active"] is True
    assert staff_login(app.test_client(), "instructeur.quartier").status_code == 302
    assert [e["action"] for e in services.repos.staff.audit(instructeur["id"])] == [
        "Compte réactivé", "Compte désactivé"]


def test_password_reset_is_shown_once_and_ends_sessions(app, services, admin_client, agent_client, instructeur):
    response = submit(admin_client, instructeur, "/mot-de-passe")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = page_text(response).split("Nouveau mot de passe : <strong>")[1].split("</strong>")[0]
    assert password not in str(stored(services, instructeur))
    assert password not in page_text(admin_client.get(account_url(instructeur)))
    assert agent_client.get("/agents/demandes").status_code == 302
    assert staff_login(app.test_client(), "instructeur.quartier").status_code == 400  # the old password
    assert staff_login(app.test_client(), "instructeur.quartier", password).status_code == 302
    (entry,) = services.repos.staff.audit(instructeur["id"])
    assert entry["action"] == "Mot de passe réinitialisé"


def test_last_active_administrateur_cannot_be_removed(services, admin, admin_client):
    response = submit(admin_client, admin, "/desactiver")
    assert response.status_code == 400
    assert summary_errors(response) == {"desactiver": LAST_ADMIN}
    response = submit(admin_client, admin, role="instructeur", teleservices=["quartier"])
    assert response.status_code == 400
    assert summary_errors(response) == {"role": LAST_ADMIN}
    doc = stored(services, admin)
    assert doc["active"] is True and doc["role"] == "administrateur"
    assert services.repos.staff.audit(admin["id"]) == []


def test_an_administrateur_may_leave_when_another_remains(app, services, admin, admin_client):
    create_staff(services, "second.admin", "administrateur", [])
    response = submit(admin_client, admin, "/desactiver")
    assert response.status_code == 302
    assert response.headers["Location"] == "/agents/connexion"
    assert admin_client.get("/agents/demandes").status_code == 302
    other = app.test_client()
    staff_login(other, "second.admin")
    response = submit(other, services.repos.staff.find_by_identifiant("second.admin"), "/desactiver")
    assert response.status_code == 400  # now the last one


def test_a_deactivated_administrateur_does_not_count(services, admin, admin_client):
    second = create_staff(services, "second.admin", "administrateur", [])
    services.repos.staff.update(second["id"], {"active": False})
    assert submit(admin_client, admin, "/desactiver").status_code == 400


def test_account_pages_are_for_administrateurs_only(services, agent_client, admin, instructeur):
    assert agent_client.get(account_url(admin)).status_code == 403
    token = csrf_token(agent_client.get("/agents/demandes"))
    assert agent_client.post(account_url(admin, "/desactiver"), data={"csrf_token": token}).status_code == 403
    assert stored(services, admin)["active"] is True


def test_unknown_account_is_404(admin_client):
    assert admin_client.get("/agents/comptes/inconnu").status_code == 404
    assert admin_client.get("/agents/comptes/..%2Fstaff").status_code == 404


def test_creation_is_audited(services, admin_client):
    data = {"csrf_token": csrf_token(admin_client.get("/agents/comptes")), "identifiant": "jeanne.durand",
            "nom": "Jeanne Durand", "email": "jeanne.durand@ampmetropole.fr", "role": "instructeur",
            "teleservices": ["quartier"]}
    response = admin_client.post("/agents/comptes", data=data)
    assert response.headers["Cache-Control"] == "no-store"
    created = services.repos.staff.find_by_identifiant("jeanne.durand")
    (entry,) = services.repos.staff.audit(created["id"])
    assert (entry["action"], entry["detail"]) == ("Compte créé", "Rôle : instructeur ; téléservices : quartier")


def test_cli_lists_and_deactivates_accounts(tmp_path, specs_dir, monkeypatch, clock):
    monkeypatch.setenv("PORTAIL_STORE", SUITE_STORE)  # the command and the app below: the suite's store
    monkeypatch.setenv("PORTAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAIL_SPECS_DIR", str(specs_dir))
    runner = CliRunner()
    for args in (["admin.metropole", "--email", "a@ampmetropole.fr", "--role", "administrateur"],
                 ["agent.quartier", "--email", "b@ampmetropole.fr", "--teleservice", "quartier"]):
        assert runner.invoke(cli, ["staff", "add", *args]).exit_code == 0
    listing = runner.invoke(cli, ["staff", "list"])
    assert listing.exit_code == 0, listing.output
    assert listing.output.splitlines() == [
        "admin.metropole\tadministrateur\tactif\ttous",
        "agent.quartier\tinstructeur\tactif\tquartier",
        "2 agent(s).",
    ]
    result = runner.invoke(cli, ["staff", "deactivate", "Agent.Quartier"])
    assert result.exit_code == 0, result.output
    assert "Compte agent.quartier désactivé" in result.output
    assert "agent.quartier\tinstructeur\tdésactivé\tquartier" in runner.invoke(cli, ["staff", "list"]).output
    last = runner.invoke(cli, ["staff", "deactivate", "admin.metropole"])
    assert last.exit_code == 1
    assert LAST_ADMIN in last.output
    unknown = runner.invoke(cli, ["staff", "deactivate", "personne"])
    assert unknown.exit_code == 1
    assert "Agent inconnu : personne" in unknown.output

    app = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    with app.app_context():
        repo = app.extensions["portail"].repos.staff
        agent = repo.find_by_identifiant("agent.quartier")
        assert [(e["action"], e["actor"]["name"]) for e in repo.audit(agent["id"])] == [
            ("Compte désactivé", "Ligne de commande"), ("Compte créé", "Ligne de commande")]
