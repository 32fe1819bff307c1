"""Demander un complément: the round trip with the applicant, both versions kept."""
from __future__ import annotations

import io
import re

from tests.demandes.support import PDF, save_step, transmit
from tests.helpers import csrf_token, last_mail, login, page_text
from tests.staff.support import demande_url, file_demande, post, staff_login


def test_complement_round_trip_keeps_both_versions(app, client, services, admin, account, tiers):
    demande = file_demande(services, tiers)
    staff_login(client, "admin.metropole")
    url = demande_url(demande)

    response = post(client, url + "/statut", {"target": "complement_demande", "message": "Le montant est à revoir.",
                                              "pages": ["budget"]}, token_from=url)
    assert response.status_code == 302
    doc = services.repos.demandes.get(demande["partition"], demande["id"])
    assert doc["status"] == "complement_demande"
    assert doc["complement"]["message"] == "Le montant est à revoir."
    assert doc["complement"]["pages"] == ["budget"]
    assert doc["complement"]["requested_at"]
    mail = last_mail(services, to=account["email"])
    assert mail.subject == f"Demande {demande['numero']} : un complément est demandé"
    assert "Le montant est à revoir." in mail.text

    applicant = app.test_client()
    login(applicant, account["identifiant"])
    aides = page_text(applicant.get("/espace/aides"))
    assert "Complément demandé : Le montant est à revoir." in aides
    conversation = page_text(applicant.get(f"/espace/echanges/{demande['id']}"))
    assert "Le service instructeur vous demande un complément : Le montant est à revoir." in conversation

    response = save_step(applicant, demande["id"], "budget", {"montant_sollicite": "1800"})
    assert response.status_code == 302, page_text(response)
    response = transmit(applicant, demande["id"])
    assert response.status_code == 302, page_text(response)

    doc = services.repos.demandes.get(demande["partition"], demande["id"])
    assert doc["status"] == "transmise"
    first_answers, second_answers = (v["answers"] for v in doc["versions"])
    assert first_answers["montant_sollicite"] == "1500.00"
    assert str(second_answers["montant_sollicite"]) in ("1800", "1800.00")
    page = page_text(client.get(url))
    assert "Versions transmises" in page
    assert "Compléments transmis" in page
    first = page_text(client.get(url + "?version=1"))
    assert "version transmise n° 1" in first
    assert "1\u202f500,00\u202f€" in first
    assert "1\u202f800,00\u202f€" in page
    assert "Statut : Complément demandé" in page


def test_applicant_answers_a_complement_from_the_conversation_page(app, client, services, admin, account, tiers):
    """The conversation page links to the named steps, takes a document, and leads to the re-transmission."""
    demande = file_demande(services, tiers)
    staff_login(client, "admin.metropole")
    url = demande_url(demande)
    post(client, url + "/statut", {"target": "complement_demande", "message": "Joignez le devis signé.",
                                   "pages": ["pieces", "budget"]}, token_from=url)

    applicant = app.test_client()
    login(applicant, account["identifiant"])
    conversation_url = f"/espace/echanges/{demande['id']}"
    html = applicant.get(conversation_url).get_data(as_text=True)
    step_links = re.findall(r'href="(/demandes/[^"]+/etape/[^"]+)"', html)
    assert step_links == [f"/demandes/{demande['id']}/etape/budget", f"/demandes/{demande['id']}/etape/pieces"]
    assert "Budget" in html and "Pièces justificatives" in html
    for link in step_links:
        assert applicant.get(link).status_code == 200
    recap_url = f"/demandes/{demande['id']}/recapitulatif"
    assert f'href="{recap_url}"' in html

    response = applicant.post(conversation_url, data={
        "csrf_token": csrf_token(applicant.get(conversation_url)), "body": "Voici le devis signé.",
        "attachment": (io.BytesIO(PDF), "devis-signe.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert applicant.get(recap_url).status_code == 200
    assert transmit(applicant, demande["id"]).status_code == 302

    doc = services.repos.demandes.get(demande["partition"], demande["id"])
    assert doc["status"] == "transmise"
    assert doc["complement"]["answered_at"]
    page = page_text(client.get(url))
    assert "Voici le devis signé." in page
    assert "devis-signe.pdf" in page
    assert "Répondre à la demande de complément" not in page_text(applicant.get(conversation_url))


def test_conversation_offers_no_steps_outside_a_complement(app, services, account, tiers):
    demande = file_demande(services, tiers)
    applicant = app.test_client()
    login(applicant, account["identifiant"])
    html = applicant.get(f"/espace/echanges/{demande['id']}").get_data(as_text=True)
    assert "/etape/" not in html
    assert "Répondre à la demande de complément" not in html
