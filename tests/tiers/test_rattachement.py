"""Case 2, requester side: the attachment form comes from specs/tiers/rattachement.yaml."""
from __future__ import annotations

import html
import io

import pytest

from tests.tiers.conftest import OTHER_SIRET, SIRET, csrf_token, login, make_account, make_tiers, outbox

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def setup(app, services):
    admin = make_account(services, "Jean", "Dupond")
    tiers = make_tiers(app, services, admin)
    requester = make_account(services, "Paul", "Martin")
    return admin, tiers, requester


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, siret=SIRET, famille="association", piece=True, **extra):
    data = {"csrf_token": csrf_token(client, "/tiers/rattachement"), "famille": famille, "siret": siret, **extra}
    if piece:
        data["piece_justificative"] = (io.BytesIO(PDF), "délégation.pdf", "application/pdf")
    return client.post("/tiers/rattachement", data=data, content_type="multipart/form-data")


def test_form_is_rendered_from_the_spec_and_prefilled_with_the_siret(client, setup):
    _, _, requester = setup
    login(client, requester)
    page = text(client.get(f"/tiers/rattachement?siret={SIRET}"))
    assert "Rattachement à un tiers existant" in page
    assert "Je suis ou je représente un(e)" in page  # labels from the YAML spec
    assert "Pièce justificative d'identité" in page
    assert f'value="{SIRET}"' in page
    assert 'enctype="multipart/form-data"' in page


def test_request_is_sent_to_the_administrator(client, services, setup):
    admin, tiers, requester = setup
    login(client, requester)
    response = post(client, siret="732 829 320 00074")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert ("Votre demande de rattachement au tiers Tennis club de Vannes a été transmise à son administrateur. "
            "Vous recevrez un mail dès qu'elle aura été examinée.") in page
    assert "Vos demandes en attente" in page
    [request] = services.repos.tiers.rattachements(tiers["id"], "pending")
    assert request["account_id"] == requester["id"] and request["famille"] == "association"
    assert request["piece"]["filename"] == "délégation.pdf"
    with services.files.open(request["piece"]["file_id"]) as stored:
        assert stored.read() == PDF
    mail = [m for m in outbox(services).messages() if m.to == admin["email"]][-1]
    assert "Monsieur Paul MARTIN" in mail.text and "demande à être rattaché(e) au tiers Tennis club de Vannes" in mail.text


def test_the_dashboard_says_the_request_is_waiting(app, client, services, setup):
    _, _, requester = setup
    login(client, requester)
    post(client)
    today = app.extensions["portail"].clock.today().strftime("%d/%m/%Y")
    page = " ".join(text(client.get("/espace/")).split())
    assert "Votre demande de rattachement est en attente" in page
    assert "Créez d'abord votre tiers" not in page  # waiting for one structure, not invited to create one
    aides = " ".join(text(client.get("/espace/aides")).split())
    assert "votre compte doit d'abord être rattaché à une structure" in aides
    assert (f"Tennis club de Vannes : demande du {today}, en attente de validation par l'administrateur de la "
            "structure.") in page


def test_pending_request_is_not_duplicated(client, services, setup):
    admin, tiers, requester = setup
    login(client, requester)
    post(client)
    response = post(client)
    page = text(client.get(response.headers["Location"]))
    assert ("Votre demande de rattachement au tiers Tennis club de Vannes est déjà en attente de validation "
            "par son administrateur.") in page
    assert len(services.repos.tiers.rattachements(tiers["id"], "pending")) == 1
    assert len([m for m in outbox(services).messages() if m.to == admin["email"]]) == 1


def test_unknown_siret_offers_the_creation_of_the_tiers(client, services, setup):
    _, _, requester = setup
    login(client, requester)
    response = post(client, siret=OTHER_SIRET)
    assert response.status_code == 400
    page = text(response)
    message = "Aucune structure portant ce numéro SIRET n'est connue du portail."
    assert page.count(message) == 2  # error summary and beside the field
    assert f"Aucune structure portant le numéro SIRET {OTHER_SIRET} n'est connue du portail." in page
    assert '<a class="govuk-link" href="/tiers/creer">créez votre tiers</a>' in page
    assert f'value="{OTHER_SIRET}"' in page  # what was typed is shown again
    # the valid document is kept: a second post without it goes through once the SIRET is right
    assert post(client, siret=SIRET, piece=False).status_code == 302


@pytest.mark.parametrize("siret, message", [
    ("", "Renseignez le champ «\u00a0SIRET\u00a0»."),
    ("７３２８２９３２００００７４", "Saisissez le numéro SIRET avec les chiffres ordinaires 0 à 9."),
    ("73282932000075", "Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis."),
])
def test_bad_siret_is_refused_beside_the_field(client, services, setup, siret, message):
    _, tiers, requester = setup
    login(client, requester)
    response = post(client, siret=siret)
    assert response.status_code == 400
    assert text(response).count(message) == 2  # error summary and beside the field
    assert services.repos.tiers.rattachements(tiers["id"]) == []


def test_family_must_match_the_tiers(client, services, setup):
    _, _, requester = setup
    login(client, requester)
    response = post(client, famille="commune")
    assert response.status_code == 400
    assert ("Ce numéro SIRET est celui d'une association : vérifiez la famille choisie ou le numéro saisi."
            in text(response))


def test_member_cannot_ask_again(client, services, setup):
    admin, _, _ = setup
    login(client, admin)
    response = post(client)
    assert response.status_code == 400
    assert "Votre compte est déjà rattaché à cette structure." in text(response)


def test_extra_posted_fields_are_ignored(client, services, setup):
    _, tiers, requester = setup
    login(client, requester)
    post(client, role="admin", tiers_id="0" * 32, statut="accepted")
    [request] = services.repos.tiers.rattachements(tiers["id"])
    assert request["status"] == "pending"
    assert services.repos.tiers.member_role(tiers["id"], requester["id"]) is None


def test_anonymous_is_sent_to_login(client):
    response = client.get("/tiers/rattachement")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_second_tiers_for_an_account_that_already_has_one(app, client, services, setup):
    admin, _, _ = setup
    other_admin = make_account(services, "Zoé", "Autre", "madame")
    other = make_tiers(app, services, other_admin, OTHER_SIRET, "Commune de Cassis", "commune")
    login(client, admin)
    assert post(client, siret=OTHER_SIRET, famille="commune").status_code == 302
    assert [r["account_id"] for r in services.repos.tiers.rattachements(other["id"])] == [admin["id"]]


def test_a_kept_document_swept_since_must_be_attached_again(client, services, setup):
    _, _, requester = setup
    login(client, requester)
    post(client, siret=OTHER_SIRET)
    with client.session_transaction() as session:
        kept = session["rattachement_piece"]["piece_justificative"]
    services.files.delete(kept["file_id"])
    response = post(client, siret=SIRET, piece=False)
    assert response.status_code == 400
    assert text(response).count("Joignez le document «\u00a0Pièce justificative\u00a0».") == 2
