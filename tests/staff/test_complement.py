"""Demander un complément: the round trip with the applicant, both versions kept."""
from __future__ import annotations

from tests.demandes.support import save_step, transmit
from tests.helpers import last_mail, login, page_text
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
