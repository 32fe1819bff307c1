"""Hostile inputs against the spec-driven forms: the Tiers creation (every field type of
the shipped spec), a téléservice's amounts, dates and long texts, forged ids, replays."""
from __future__ import annotations

import re

import pytest
from hostile_payloads import (
    ARABIC_INDIC_SIRET,
    CONTROL,
    FULLWIDTH_IBAN,
    FULLWIDTH_SIRET,
    MARKUP,
    NUMBERS,
    ONE_MB,
    VALID_SIRET,
    payload_is_inert,
)
from hostile_support import make_tiers, sign_in

from tests.helpers import create_account, csrf_token, field_error, outbox, page_text

ENGLISH = ("invalid", "not a valid", "this field", "required", "must be", "traceback", "decimal", "valueerror",
           "none", "nan")


def assert_french(message: str | None) -> None:
    assert message, "un message doit figurer à côté du champ"
    assert not any(word in message.lower() for word in ENGLISH), message


def post_step(client, url: str, data: dict, action: str = "next"):
    token = csrf_token(client.get(url))
    return client.post(url, data={"csrf_token": token, "action": action, **data})


@pytest.fixture
def creation(client, user):
    """The Tiers-creation demande of a logged-in account, at its identification step."""
    first = client.get("/tiers/creer").headers["Location"]
    response = post_step(client, first, {"famille": "association"})
    assert response.status_code == 302
    return response.headers["Location"]


IDENTIFICATION = {"siret": VALID_SIRET, "raison_sociale": "Les Amis du Panier", "rna": "W133000000"}


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        (FULLWIDTH_SIRET, "Saisissez le numéro SIRET avec les chiffres ordinaires 0 à 9."),
        (ARABIC_INDIC_SIRET, "Saisissez le numéro SIRET avec les chiffres ordinaires 0 à 9."),
        ("7328293200007A", "Le numéro SIRET ne doit contenir que des chiffres."),
        (MARKUP["script"], "Le numéro SIRET ne doit contenir que des chiffres."),
        ("7328293200\x000074", "Le numéro SIRET ne doit contenir que des chiffres."),
        ("73282932000075", "Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis."),
    ],
    ids=["pleine-chasse", "chiffres-arabes", "lettre", "script", "nul", "cle-fausse"],
)
def test_hostile_siret_is_refused_beside_the_field(client, creation, siret, message):
    response = post_step(client, creation, {**IDENTIFICATION, "siret": siret})
    assert response.status_code in (200, 400)
    assert field_error(response, "siret") == message
    assert payload_is_inert(response.get_data(as_text=True), siret)
    # What was typed is redisplayed, the other answers kept.
    assert "Les Amis du Panier" in page_text(response)


def test_one_megabyte_raison_sociale_is_refused_with_the_limit(client, creation):
    response = post_step(client, creation, {**IDENTIFICATION, "raison_sociale": ONE_MB})
    assert field_error(response, "raison_sociale") == "Saisissez au plus 200 caractères."


@pytest.mark.parametrize("payload", [CONTROL["nul"], CONTROL["controles"], CONTROL["rtl-override"]],
                         ids=["nul", "controles", "rtl-override"])
def test_control_characters_in_spec_text_fields_are_refused(client, creation, payload):
    response = post_step(client, creation, {**IDENTIFICATION, "raison_sociale": payload})
    assert_french(field_error(response, "raison_sociale"))


ADRESSE = {"adresse-street": "2 rue du Panier", "adresse-postcode": "13002", "adresse-commune": "Marseille"}
REPRESENTANT = {
    "representant_civilite": "madame", "representant_nom": "Martin", "representant_prenom": "Claire",
    "representant_fonction": "Présidente", "representant_email": "claire@exemple.fr",
    "representant_telephone": "0491000001",
}
CONTACT = {"email": "contact@exemple.fr", "telephone": "0491000002", "site_web": ""}


def create_tiers_over_http(client, creation, raison_sociale: str):
    assert post_step(client, creation, {**IDENTIFICATION, "raison_sociale": raison_sociale}).status_code == 302
    base = creation.rsplit("/", 1)[0]
    for page, data in (("adresse", ADRESSE), ("representant", REPRESENTANT), ("contact", CONTACT)):
        response = post_step(client, f"{base}/{page}", data)
        assert response.status_code == 302, (page, re.findall(r'-error"[^>]*>(.*?)</p>', page_text(response), re.DOTALL))
    demande_id = base.split("/")[2]
    token = csrf_token(client.get(f"/demandes/{demande_id}/recapitulatif"))
    return demande_id, {"csrf_token": token, "attestation": "oui"}


@pytest.mark.parametrize("payload", list(MARKUP.values()), ids=list(MARKUP))
def test_markup_in_raison_sociale_is_inert_in_pages_and_mails(client, services, creation, payload):
    demande_id, form = create_tiers_over_http(client, creation, payload)
    response = client.post(f"/demandes/{demande_id}/transmettre", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert payload_is_inert(response.get_data(as_text=True), payload)
    for path in ("/espace/", "/espace/aides", "/tiers/comptes"):
        page = client.get(path, follow_redirects=True)
        assert payload_is_inert(page.get_data(as_text=True), payload), path
        assert payload in page_text(page), path  # shown as typed: never evaluated as a template
        assert "test-secret" not in page.get_data(as_text=True)
    mail = outbox(services)[-1]
    assert payload_is_inert(mail.html, payload)
    assert payload in mail.text  # plain text keeps the name as typed
    receipt = client.get(f"/demandes/{demande_id}/accuse-reception.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"


def test_replayed_transmission_creates_one_tiers(client, services, creation, account):
    demande_id, form = create_tiers_over_http(client, creation, "Les Amis du Panier")
    first = client.post(f"/demandes/{demande_id}/transmettre", data=form)
    second = client.post(f"/demandes/{demande_id}/transmettre", data=form)
    assert first.status_code == 302
    assert second.status_code in (200, 302, 400, 409)
    assert len(services.repos.tiers.tiers_of_account(account["id"])) == 1
    receipts = [m for m in outbox(services) if "Accusé de réception" in m.subject]
    assert len({m.subject for m in receipts}) == 1


# ------------------------------------------------------------------ a téléservice


@pytest.fixture
def patrimoine(client, member):
    token = csrf_token(client.get("/demandes/"))
    response = client.post("/demandes/nouvelle", data={"csrf_token": token, "teleservice": "patrimoine"})
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[0]


BUDGET = {"depenses-0-poste": "Charpente", "depenses-0-montant": "10000", "recettes-0-financeur": "Métropole",
          "recettes-0-nature": "metropole", "recettes-0-montant": "10000"}


@pytest.mark.parametrize("amount", list(NUMBERS.values()), ids=list(NUMBERS))
def test_hostile_amount_is_refused_beside_the_field(client, services, patrimoine, amount):
    response = post_step(client, f"{patrimoine}/budget", {**BUDGET, "montant_sollicite": amount})
    assert response.status_code in (200, 400)
    assert_french(field_error(response, "montant_sollicite"))
    assert amount in page_text(response)  # what was typed is redisplayed


@pytest.mark.parametrize("amount", ["-500", "１０００", "1e3"], ids=["negatif", "pleine-chasse", "exposant"])
def test_hostile_amount_in_a_table_row_is_refused_beside_the_cell(client, patrimoine, amount):
    response = post_step(client, f"{patrimoine}/budget",
                         {**BUDGET, "depenses-0-montant": amount, "montant_sollicite": "5000"})
    assert_french(field_error(response, "depenses-0-montant"))


@pytest.mark.parametrize("date", ["2026-02-31", "2026-13-01", "31/02/2026", "demain", "0000-01-01"],
                         ids=["31-fevrier", "mois-13", "jj-mm-aaaa-31-02", "texte", "an-0"])
def test_impossible_date_is_refused_beside_the_field(client, patrimoine, date):
    response = post_step(client, f"{patrimoine}/projet", {"date_debut": date, "date_fin": "2027-09-30"})
    assert_french(field_error(response, "date_debut"))


def test_one_megabyte_description_is_refused_with_the_limit(client, patrimoine):
    response = post_step(client, f"{patrimoine}/projet", {"description": ONE_MB})
    assert field_error(response, "description") == "Saisissez au plus 4000 caractères."


def test_forged_tiers_and_status_fields_are_ignored(client, services, patrimoine, tiers):
    response = post_step(client, f"{patrimoine}/budget",
                         {**BUDGET, "montant_sollicite": "5000", "tiers_id": "autre", "status": "acceptee",
                          "numero": "PATRIMOINE-2026-999999", "statut": "acceptee"}, action="save")
    assert response.status_code in (200, 302)
    demande_id = patrimoine.split("/")[2]
    stored = services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)
    assert stored["tiers_id"] == tiers["id"]
    assert stored["status"] == "brouillon"
    assert not stored.get("numero")
    assert "tiers_id" not in (stored.get("answers") or {})


def test_demande_of_another_tiers_is_404_and_untouched(app, client, services, patrimoine, tiers):
    outsider = create_account(services, identifiant="intrus01", email="intrus@exemple.fr")
    make_tiers(services, outsider, siret="35600000000048", name="Autre structure")
    other = app.test_client()


    sign_in(other, outsider)
    demande_id = patrimoine.split("/")[2]
    token = csrf_token(other.get("/espace/"))
    for path in (f"{patrimoine}/budget", f"/demandes/{demande_id}/recapitulatif",
                 f"/demandes/{demande_id}/accuse-reception.pdf"):
        assert other.get(path).status_code == 404, path
    forged = other.post(f"{patrimoine}/budget", data={"csrf_token": token, "action": "save", **BUDGET,
                                                      "montant_sollicite": "1"})
    assert forged.status_code == 404
    assert other.post(f"/demandes/{demande_id}/transmettre",
                      data={"csrf_token": token, "attestation": "oui"}).status_code == 404
    stored = services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)
    assert (stored.get("answers") or {}).get("montant_sollicite") in (None, "")


def test_step_post_without_csrf_token_changes_nothing(client, services, patrimoine, tiers):
    response = client.post(f"{patrimoine}/budget", data={"action": "save", **BUDGET, "montant_sollicite": "7"})
    assert response.status_code == 400
    demande_id = patrimoine.split("/")[2]
    stored = services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)
    assert (stored.get("answers") or {}).get("montant_sollicite") in (None, "")


@pytest.fixture
def fonctionnement(client, member):
    token = csrf_token(client.get("/demandes/"))
    response = client.post("/demandes/nouvelle", data={"csrf_token": token, "teleservice": "fonctionnement-associations"})
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[0]


@pytest.mark.parametrize(
    "iban",
    [FULLWIDTH_IBAN, "FR76 3000 6000 0112 3456 7890 188", MARKUP["script"], "FR76\x0030006000011234567890189"],
    ids=["pleine-chasse", "cle-fausse", "script", "nul"],
)
def test_hostile_iban_is_refused_beside_the_field(client, fonctionnement, iban):
    response = post_step(client, f"{fonctionnement}/banque", {"iban": iban})
    assert_french(field_error(response, "iban"))
    assert payload_is_inert(response.get_data(as_text=True), iban)


def test_valid_iban_with_spaces_is_accepted(client, fonctionnement):
    response = post_step(client, f"{fonctionnement}/banque", {"iban": "FR76 3000 6000 0112 3456 7890 189"},
                         action="save")
    assert field_error(response, "iban") is None
