"""Case 2, administrator side: the "Comptes rattachés" page, decisions and their mails."""
from __future__ import annotations

import html

import pytest

from tests.harness import STORES
from tests.tiers.conftest import csrf_token, login, outbox

ACCEPTED_MAIL = (
    "Monsieur Paul MARTIN,\n\n"
    "Suite à votre demande, votre compte a été rattaché au tiers de TENNIS CLUB DE VANNES.\n"
    "Vous pouvez à présent accéder à tous les services de l'Espace Usagers pour votre tiers.\n\n"
    "En vous remerciant pour votre confiance,\n\n"
    "Métropole Aix Marseille Provence\n"
)


def members_url(world):
    return f"/tiers/{world.tiers['id']}/comptes"


def decide(client, world, decision, **extra):
    token = csrf_token(client, members_url(world))
    return client.post(f"{members_url(world)}/demandes/{world.request['id']}",
                       data={"csrf_token": token, "decision": decision, **extra})


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_administrator_sees_pending_requests_members_and_audit(client, world):
    login(client, world.admin)
    text = page_text(client.get(members_url(world)))
    assert "Comptes rattachés" in text
    assert "Monsieur Paul MARTIN" in text and world.requester["email"] in text
    assert "Madame Marie CURIE" in text and "Compte rattaché" in text
    assert "Demande de rattachement" in text and "Création du tiers" in text


@pytest.mark.parametrize("store_name", STORES)
def test_acceptance_sends_the_guide_mail_word_for_word(client, services, world):
    login(client, world.admin)
    response = decide(client, world, "accepter")
    assert response.status_code == 302
    assert services.repos.tiers.member_role(world.tiers["id"], world.requester["id"]) == "membre"
    mails = [m for m in outbox(services).messages() if m.to == world.requester["email"]]
    assert len(mails) == 1
    assert mails[0].subject == "Votre compte a été rattaché au tiers TENNIS CLUB DE VANNES"
    assert mails[0].text.replace("\r\n", "\n") == ACCEPTED_MAIL
    followed = page_text(client.get(response.headers["Location"]))
    assert "Le rattachement de Monsieur Paul MARTIN a été accepté." in followed
    assert "Aucune demande de rattachement en attente." in followed


@pytest.mark.parametrize("store_name", STORES)
def test_refusal_sends_a_mail_with_the_reason(client, services, world):
    login(client, world.admin)
    assert decide(client, world, "refuser", motif="Personne inconnue du bureau").status_code == 302
    assert services.repos.tiers.member_role(world.tiers["id"], world.requester["id"]) is None
    mail = next(m for m in outbox(services).messages() if m.to == world.requester["email"])
    assert mail.subject == "Rattachement refusé : TENNIS CLUB DE VANNES"
    assert "L'administrateur du tiers TENNIS CLUB DE VANNES a refusé votre demande de rattachement." in mail.text
    assert "Motif indiqué : Personne inconnue du bureau" in mail.text
    audit = services.repos.tiers.audit(world.tiers["id"])
    assert (audit[-1]["action"], audit[-1]["detail"]) == ("rattachement_refuse", "Personne inconnue du bureau")


def test_too_long_reason_is_shown_beside_the_field_and_kept(client, services, world):
    login(client, world.admin)
    response = decide(client, world, "refuser", motif="x" * 1001)
    assert response.status_code == 400
    text = page_text(response)
    assert text.count("Le motif ne doit pas dépasser 1 000 caractères.") == 2  # summary and beside the field
    assert f'<a href="#motif-{world.request["id"]}">Le motif' in response.get_data(as_text=True)
    assert "x" * 1001 in text
    assert services.repos.tiers.rattachement(world.tiers["id"], world.request["id"])["status"] == "pending"


def test_extra_posted_fields_are_ignored(client, services, world):
    login(client, world.admin)
    decide(client, world, "accepter", role="admin", tiers_id=world.other_tiers["id"], statut="admin")
    assert services.repos.tiers.member_role(world.tiers["id"], world.requester["id"]) == "membre"
    assert services.repos.tiers.member_role(world.other_tiers["id"], world.requester["id"]) is None


@pytest.mark.parametrize("store_name", STORES)
def test_a_decided_request_cannot_be_decided_again(client, services, world):
    login(client, world.admin)
    decide(client, world, "accepter")
    response = decide(client, world, "refuser")
    assert response.status_code == 302
    assert "Cette demande de rattachement a déjà été traitée." in page_text(client.get(members_url(world)))
    assert services.repos.tiers.member_role(world.tiers["id"], world.requester["id"]) == "membre"


def test_removed_member_loses_access_at_once(app, client, services, world):
    member_client = app.test_client()
    login(member_client, world.member)
    assert member_client.get("/tiers/choisir").status_code == 200
    login(client, world.admin)
    token = csrf_token(client, members_url(world))
    response = client.post(f"{members_url(world)}/{world.member['id']}/retrait", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Madame Marie CURIE n'est plus rattaché(e) au tiers Tennis club de Vannes." in page_text(
        client.get(response.headers["Location"]))
    assert services.repos.tiers.tiers_of_account(world.member["id"]) == []
    # the member's session still names the Tiers, but membership is checked again
    assert member_client.get("/tiers/choisir").headers["Location"] == "/espace/"
    assert services.repos.tiers.audit(world.tiers["id"])[-1]["action"] == "retrait"


def test_last_administrator_cannot_be_removed(client, services, world):
    login(client, world.admin)
    token = csrf_token(client, members_url(world))
    response = client.post(f"{members_url(world)}/{world.admin['id']}/retrait", data={"csrf_token": token})
    text = page_text(client.get(response.headers["Location"]))
    assert ("Cette structure doit toujours avoir un administrateur : transmettez d'abord le rôle "
            "d'administrateur à un autre compte rattaché.") in text
    assert services.repos.tiers.member_role(world.tiers["id"], world.admin["id"]) == "admin"


def test_transfer_administrator_role(client, services, world):
    login(client, world.admin)
    token = csrf_token(client, members_url(world))
    response = client.post(f"{members_url(world)}/{world.member['id']}/administrateur", data={"csrf_token": token})
    assert response.status_code == 302
    repo = services.repos.tiers
    assert repo.member_role(world.tiers["id"], world.member["id"]) == "admin"
    assert repo.member_role(world.tiers["id"], world.admin["id"]) == "membre"
    # the former administrator no longer sees the page
    assert client.get(members_url(world)).status_code == 404
    assert repo.audit(world.tiers["id"])[-1]["action"] == "transfert_administration"


@pytest.mark.parametrize("store_name", STORES)
def test_administrator_is_notified_of_a_new_request_by_mail(app, services, world):
    with app.test_request_context():
        services.tiers_service.request_rattachement(world.outsider, world.tiers, {"famille": "association"}, None)
    mail = [m for m in outbox(services).messages() if m.to == world.admin["email"]][-1]
    assert mail.subject == "Demande de rattachement : Tennis club de Vannes"
    assert "Madame Zoé AUTRE" in mail.text
    assert f"http://portail.test/tiers/{world.tiers['id']}/comptes" in mail.text


def test_decision_buttons_name_the_person(client, world):
    """Issue 12, item 9: « Accepter » and « Refuser » say whose rattachement they decide."""
    login(client, world.admin)
    text = page_text(client.get(members_url(world)))
    assert ('Accepter<span class="govuk-visually-hidden"> le rattachement de Monsieur Paul MARTIN</span>'
            in text)
    assert ('Refuser<span class="govuk-visually-hidden"> le rattachement de Monsieur Paul MARTIN</span>'
            in text)
