"""The Tiers-creation demande: same wizard, Tiers created on transmission."""
from __future__ import annotations

import re

from runtime.siret_lookup import HttpLookup
from runtime.storage.index import DemandeIndex
from tests.demandes.support import SIRET, make_tiers, post_form, quick_account, save_step, sign_in, text_of
from tests.helpers import page_text

PAGES = {
    "famille": {"famille": "association"},
    "identification": {"siret": "356 000 000 00048", "raison_sociale": "Chorale du Vieux-Port", "rna": "W133001234"},
    "adresse": {"adresse-street": "1 quai du Port", "adresse-postcode": "13002", "adresse-commune": "Marseille"},
    "representant": {"representant_civilite": "madame", "representant_nom": "Durand",
                     "representant_prenom": "Lucie", "representant_fonction": "Présidente",
                     "representant_email": "lucie@chorale.fr", "representant_telephone": "0491000000"},
    "contact": {"email": "chorale@exemple.fr", "telephone": "0491000001"},
}


def start_creation(client) -> str:
    response = client.get("/tiers/creer")
    assert response.status_code == 302, page_text(response)
    return re.search(r"/demandes/([^/]+)/etape/famille", response.headers["Location"]).group(1)


def fill(client, demande_id, pages=PAGES):
    for page_id, data in pages.items():
        response = save_step(client, demande_id, page_id, data)
        assert response.status_code == 302, text_of(response)


def transmit(client, demande_id):
    return post_form(client, f"/demandes/{demande_id}/transmettre", {"attestation": "oui"})


def test_account_without_tiers_creates_it_through_a_demande(client, services):
    account = quick_account(services)
    sign_in(client, account)
    dashboard = text_of(client.get("/espace/"))
    assert "Droit commun - Création de tiers" in dashboard
    assert 'href="/tiers/creer"' in page_text(client.get("/espace/"))
    demande_id = start_creation(client)
    assert services.repos.demandes.get(f"drafts/{account['id']}", demande_id)["kind"] == "tiers_creation"
    fill(client, demande_id)
    response = transmit(client, demande_id)
    assert response.status_code == 302, text_of(response)
    tiers = services.repos.tiers.tiers_of_account(account["id"])
    assert [t["raison_sociale"] for t in tiers] == ["Chorale du Vieux-Port"]
    moved = services.repos.demandes.get(f"tiers/{tiers[0]['id']}", demande_id)
    assert moved["status"] == "transmise" and moved["numero"] == "TIERS-2026-000001"
    assert services.repos.demandes.get(f"drafts/{account['id']}", demande_id) is None
    assert "TIERS-2026-000001" in text_of(client.get(response.headers["Location"]))
    assert "Chorale du Vieux-Port" in text_of(client.get("/espace/"))
    rows, total = DemandeIndex(services.store).search({"text": "vieux-port"})
    assert total == 1 and rows[0]["id"] == demande_id and rows[0]["tiers_name"] == "Chorale du Vieux-Port"


def test_siret_already_taken_refuses_with_link_to_rattachement(client, services):
    owner = quick_account(services, "proprio01", "proprio@exemple.fr")
    make_tiers(services, owner, siret=SIRET)
    account = quick_account(services)
    sign_in(client, account)
    demande_id = start_creation(client)
    fill(client, demande_id, {**PAGES, "identification": {**PAGES["identification"], "siret": SIRET}})
    response = transmit(client, demande_id)
    assert response.status_code == 400
    assert f"Une structure portant le numéro SIRET {SIRET} existe déjà sur le portail." in text_of(response)
    assert f'href="/tiers/rattachement?siret={SIRET}"' in page_text(response)
    assert services.repos.demandes.get(f"drafts/{account['id']}", demande_id)["status"] == "brouillon"


def test_tiers_creation_steps_offer_the_siret_look_up_when_configured(app, client, services):
    account = quick_account(services)
    sign_in(client, account)
    demande_id = start_creation(client)
    assert 'id="siret-lookup-config"' not in page_text(client.get(f"/demandes/{demande_id}/etape/identification"))
    app.extensions["siret_lookup"] = HttpLookup("http://annuaire.test/search?q={siret}")  # never called here
    identification = page_text(client.get(f"/demandes/{demande_id}/etape/identification"))
    assert 'id="siret-lookup-config"' in identification and 'data-url="/tiers/siret/SIRET"' in identification
    assert 'aria-live="polite"' in identification
    fill(client, demande_id, {key: PAGES[key] for key in ("famille", "identification")})
    adresse = page_text(client.get(f"/demandes/{demande_id}/etape/adresse"))
    assert 'data-siret="35600000000048"' in adresse  # the SIRET answered on the previous step
    # a téléservice of an existing Tiers has no look-up
    make_tiers(services, account, siret=SIRET)
    sign_in(client, account)
    other = post_form(client, "/demandes/nouvelle", {"teleservice": "quartier"}, token_from="/espace/")
    assert "/etape/projet" in other.headers["Location"]
    assert 'id="siret-lookup-config"' not in page_text(client.get(other.headers["Location"]))
