"""Récapitulatif, transmission, number, mail, accusé de réception, read-only afterwards."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from runtime.storage.index import DemandeIndex
from tests.demandes.support import (
    OTHER_SIRET,
    fill_valid,
    make_tiers,
    post_form,
    quick_account,
    save_step,
    set_today,
    sign_in,
    start,
    step_url,
    stored,
    text_of,
    transmit,
)
from tests.harness import STORES
from tests.helpers import outbox, page_text


def test_recap_shows_answers_and_links_to_each_step(client, user):
    demande_id = start(client)
    fill_valid(client, demande_id)
    response = client.get(f"/demandes/{demande_id}/recapitulatif")
    text = text_of(response)
    assert "Récapitulatif de votre demande" in text
    assert "Fête de quartier" in text and "Les Amis du Panier" in text and "devis.pdf" in text
    for page_id in ("projet", "structure", "budget", "pieces"):
        assert f'href="{step_url(demande_id, page_id)}"' in page_text(response)
    assert "Je certifie exactes les informations de la présente demande." in text


@pytest.mark.parametrize("store_name", STORES)
def test_transmission_numbers_and_confirms(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    response = transmit(client, demande_id)
    assert response.status_code == 302, page_text(response)
    assert response.headers["Location"] == f"/demandes/{demande_id}/confirmation"
    doc = stored(services, tiers, demande_id)
    assert doc["status"] == "transmise"
    assert doc["numero"] == "QUARTIER-2026-000001"
    assert doc["transmitted_at"].startswith("2026-06-15")
    assert doc["versions"][0]["answers"]["intitule"] == "Fête de quartier"
    confirmation = text_of(client.get(response.headers["Location"]))
    assert "Demande transmise" in confirmation
    assert "Numéro de votre demande QUARTIER-2026-000001" in confirmation
    assert "transmise le 15 juin 2026" in confirmation
    indexed = DemandeIndex(services.store).get(demande_id)
    assert indexed["numero"] == "QUARTIER-2026-000001" and indexed["statut"] == "transmise"
    assert indexed["tiers_name"] == "Les Amis du Panier"


def test_index_row_is_searchable_by_tiers_name_from_the_first_transmission(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    index = DemandeIndex(services.store)
    for text in ("amis du pan", "PANIER", "Les Amis"):  # part of the name, any case
        rows, total = index.search({"text": text})
        assert total == 1 and rows[0]["id"] == demande_id, text
        assert rows[0]["tiers_name"] == "Les Amis du Panier"
    assert index.search({"text": "Chorale"}) == ([], 0)


def test_numbers_are_unique_and_sequential(client, user, services, tiers):
    numbers = []
    for _ in range(3):
        demande_id = start(client, force=True)
        fill_valid(client, demande_id)
        transmit(client, demande_id)
        numbers.append(stored(services, tiers, demande_id)["numero"])
    assert numbers == ["QUARTIER-2026-000001", "QUARTIER-2026-000002", "QUARTIER-2026-000003"]
    assert all(re.fullmatch(r"QUARTIER-2026-\d{6}", n) for n in numbers)


def test_double_submission_makes_one_demande(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    again = transmit(client, demande_id)
    assert again.status_code == 302
    assert again.headers["Location"] == f"/demandes/{demande_id}/confirmation"
    doc = stored(services, tiers, demande_id)
    assert doc["numero"] == "QUARTIER-2026-000001" and len(doc["versions"]) == 1
    assert len([m for m in outbox(services) if "QUARTIER-2026-000001" in m.subject]) == 2  # account + Tiers
    other = start(client, force=True)
    fill_valid(client, other)
    transmit(client, other)
    assert stored(services, tiers, other)["numero"] == "QUARTIER-2026-000002"


def test_refusal_lists_what_is_missing_linked_to_steps(client, user, services, tiers):
    demande_id = start(client)
    save_step(client, demande_id, "budget", {"montant_sollicite": "800"})
    response = transmit(client, demande_id)
    assert response.status_code == 400
    html = page_text(response)
    assert "Votre demande ne peut pas encore être transmise" in html
    assert re.search(rf'href="{step_url(demande_id, "projet")}\?verifier=1#intitule">[^<]*Intitulé du projet', html)
    assert re.search(rf'href="{step_url(demande_id, "pieces")}\?verifier=1#devis">Étape «\u00a0Pièces justificatives\u00a0» : Joignez le document «\u00a0Devis\u00a0»\.', html)
    assert stored(services, tiers, demande_id)["status"] == "brouillon"


def test_attestation_is_required(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    response = transmit(client, demande_id, attestation=False)
    assert response.status_code == 400
    html = page_text(response)
    assert 'href="#attestation">Cochez l\'attestation sur l\'honneur pour transmettre votre demande.' in html
    assert 'aria-describedby="attestation-error"' in html
    assert stored(services, tiers, demande_id)["status"] == "brouillon"


def test_closing_date_passed_while_drafting(client, user, clock, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    set_today(clock, datetime(2027, 1, 2, 9, tzinfo=UTC))
    recap = text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert "est fermé depuis le 31 décembre 2026 : cette demande ne peut plus être transmise." in recap
    response = transmit(client, demande_id)
    assert response.status_code == 400
    assert ("Le téléservice « Aide aux projets de quartier » est fermé depuis le 31 décembre 2026 : "
            "cette demande ne peut plus être transmise.") in text_of(response)
    doc = stored(services, tiers, demande_id)
    assert doc["status"] == "brouillon" and doc["numero"] is None


def test_receipt_mail_to_account_and_tiers(client, user, services, tiers, account):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    mails = [m for m in outbox(services) if "Accusé de réception" in m.subject]
    assert sorted(m.to for m in mails) == sorted([account["email"], tiers["email"]])
    mail = mails[0]
    assert mail.subject == "Accusé de réception de votre demande QUARTIER-2026-000001"
    assert "Numéro de la demande : QUARTIER-2026-000001" in mail.text
    assert "Date de transmission : 15 juin 2026" in mail.text
    assert "- Intitulé du projet : Fête de quartier" in mail.text
    assert "http://portail.test/espace/aides" in mail.text
    assert "subventions@ampmetropole.fr" in mail.text


def test_receipt_pdf_reads_back(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    response = client.get(f"/demandes/{demande_id}/accuse-reception.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "accuse-reception-QUARTIER-2026-000001.pdf" in response.headers["Content-Disposition"]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    assert "Accusé de réception de votre demande" in text
    assert "Numéro de la demande : QUARTIER-2026-000001" in text
    assert "Date de transmission : 15 juin 2026" in text
    assert "Téléservice : Aide aux projets de quartier" in text
    assert "Les Amis du Panier (SIRET 732 829 320 00074)" in text
    assert "Intitulé du projet : Fête de quartier" in text
    assert "subventions@ampmetropole.fr" in text


def test_transmitted_demande_refuses_forged_posts(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    before = stored(services, tiers, demande_id)
    response = save_step(client, demande_id, "projet", {"intitule": "Changé après coup", "participants": "5",
                                                       "partenaire": "false"})
    assert response.status_code == 403
    assert "elle ne peut plus être modifiée" in text_of(response)
    autosave = post_form(client, step_url(demande_id, "projet") + "/autosave", {"intitule": "Changé"})
    assert autosave.status_code == 409
    assert autosave.get_json()["message"].startswith("Cette demande a été transmise : elle ne peut plus être modifiée.")
    delete = post_form(client, f"/demandes/{demande_id}/supprimer")
    assert delete.status_code == 403
    assert stored(services, tiers, demande_id) == before
    # reading a step of a transmitted demande leads to its récapitulatif
    assert client.get(step_url(demande_id, "projet")).headers["Location"] == f"/demandes/{demande_id}/recapitulatif"


def test_complement_reopens_only_the_named_pages(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    services.repos.demandes.modify(f"tiers/{tiers['id']}", demande_id, lambda d: d.update(
        status="complement_demande", complement={"message": "Précisez le montant.", "pages": ["budget"]}))
    page = client.get(step_url(demande_id, "budget"))
    assert page.status_code == 200
    assert "Précisez le montant." in text_of(page)
    refused = save_step(client, demande_id, "projet", {"intitule": "Autre chose"})
    assert refused.status_code == 403
    save_step(client, demande_id, "budget", {"montant_sollicite": "1200"})
    response = transmit(client, demande_id)
    assert response.headers["Location"] == f"/demandes/{demande_id}/confirmation"
    doc = stored(services, tiers, demande_id)
    assert doc["status"] == "transmise" and doc["numero"] == "QUARTIER-2026-000001"
    assert doc["answers"]["intitule"] == "Fête de quartier"
    assert len(doc["versions"]) == 2
    assert doc["history"][-1]["action"] == "Compléments transmis"


def test_demande_of_another_tiers_is_not_found(client, user, services, caplog):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    file_id = services.repos.demandes.find_anywhere(demande_id)["answers"]["devis"]["file_id"]
    stranger = quick_account(services, "zoe0001", "zoe@exemple.fr")
    make_tiers(services, stranger, siret=OTHER_SIRET, name="Autre structure")
    sign_in(client, stranger)
    for path in (step_url(demande_id, "projet"), f"/demandes/{demande_id}/recapitulatif",
                 f"/demandes/{demande_id}/accuse-reception.pdf", f"/demandes/{demande_id}/pieces/{file_id}",
                 f"/demandes/{demande_id}/confirmation", f"/demandes/{demande_id}/supprimer"):
        assert client.get(path).status_code == 404, path
    assert save_step(client, demande_id, "projet", {"intitule": "Pirate"}).status_code == 404
    assert post_form(client, f"/demandes/{demande_id}/transmettre", {"attestation": "oui"}).status_code == 404
    assert any(r.name == "portail.access" for r in caplog.records)
