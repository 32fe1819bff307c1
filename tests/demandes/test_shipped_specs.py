"""Every shipped téléservice can be started, each step shown and the récapitulatif read."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from runtime import ROOT
from runtime.forms.wizard import visible_pages
from runtime.spec.catalog import Catalog
from tests.demandes.samples import page_post_data
from tests.demandes.support import (
    make_tiers,
    pdf_upload,
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
from tests.helpers import csrf_token, last_mail

SHIPPED = Catalog.load(ROOT / "specs").teleservices()


@pytest.fixture
def specs_dir():
    return ROOT / "specs"


@pytest.mark.parametrize("spec", SHIPPED, ids=lambda s: s.id)
def test_shipped_teleservice_walkthrough(client, services, clock, spec):
    opens = spec.opens or datetime(2026, 1, 1).date()
    set_today(clock, datetime(opens.year, opens.month, opens.day, 10, tzinfo=UTC))
    account = quick_account(services)
    make_tiers(services, account, famille=spec.families[0])
    sign_in(client, account)
    demande_id = start(client, spec.id)
    for page in spec.pages:
        response = client.get(step_url(demande_id, page.id))
        assert response.status_code in (200, 302), page.id
    recap = client.get(f"/demandes/{demande_id}/recapitulatif")
    assert recap.status_code == 200
    assert spec.title in text_of(recap)


PATRIMOINE = {
    "eligibilite": {"situe_metropole": "true", "proprietaire": "true", "protege": "false",
                    "travaux_commences": "false"},
    "structure": {"referent_nom": "Jeanne Vidal", "referent_email": "jeanne@exemple.fr",
                  "referent_telephone": "0491000002"},
    # texts at the spec's maximum length: also accepted while a length check reads min as max
    "projet": {"intitule": "Restauration de la chapelle Saint-Roch".ljust(150, "."), "edifice": "Chapelle Saint-Roch",
               "adresse_edifice-street": "3 place Saint-Roch", "adresse_edifice-postcode": "13002",
               "adresse_edifice-commune": "Marseille", "nature_intervention": "restauration",
               "description": "Reprise complète de la toiture et des enduits de la chapelle. ".ljust(4000, "."),
               "ouverture_public": "false", "date_debut": "01/10/2026", "date_fin": "01/02/2027"},
    "budget": {"depenses-0-poste": "Couverture", "depenses-0-montant": "10000",
               "recettes-0-financeur": "Métropole", "recettes-0-nature": "metropole",
               "recettes-0-montant": "6000", "recettes-1-financeur": "Fonds propres",
               "recettes-1-nature": "fonds_propres", "recettes-1-montant": "4000",
               "montant_sollicite": "6000"},
}


def test_patrimoine_deposit_end_to_end(client, services, clock):
    set_today(clock, datetime(2026, 9, 15, 10, tzinfo=UTC))
    account = quick_account(services)
    tiers = make_tiers(services, account)
    sign_in(client, account)
    demande_id = start(client, "patrimoine")
    for page_id, data in PATRIMOINE.items():
        response = save_step(client, demande_id, page_id, data)
        assert response.status_code == 302, (page_id, text_of(response))
    unbalanced = save_step(client, demande_id, "budget", {**PATRIMOINE["budget"], "recettes-1-montant": "1000"})
    assert "Le budget doit être équilibré" in text_of(unbalanced)
    save_step(client, demande_id, "budget", PATRIMOINE["budget"])
    pieces = {name: pdf_upload(name=f"{name}.pdf") for name in ("devis", "plan_financement", "photos")}
    response = save_step(client, demande_id, "pieces", pieces, content_type="multipart/form-data")
    assert response.status_code == 302, text_of(response)
    recap = text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert "Total des dépenses 10 000,00 €" in recap  # computed values as the accusé lists them
    assert "Part de l'aide sollicitée dans les dépenses (%) 60" in recap
    response = transmit(client, demande_id)
    assert response.status_code == 302, text_of(response)
    doc = services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)
    assert doc["numero"] == "PATRIMOINE-2026-000001"
    mail = last_mail(services, to=account["email"])
    assert "Ligne 1 : Poste de dépense : Couverture" in mail.text
    pdf = client.get(f"/demandes/{demande_id}/accuse-reception.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "PATRIMOINE-2026-000001" in text
    assert "Total des dépenses : 10 000,00 €" in text
    assert "Chapelle Saint-Roch" in text
    assert "6 000,00 €" in text_of(client.get("/espace/aides"))



def test_a_saved_step_changes_the_state_of_a_step_that_reads_its_answer(client, services, clock):
    """A save revalidates the saved step and the steps whose validation reads what changed
    (issue 11: not every step): the owner's written agreement, a document of « Pièces », is
    asked only when the applicant is not the owner, an answer of « Éligibilité »."""
    set_today(clock, datetime(2026, 9, 15, 10, tzinfo=UTC))
    account = quick_account(services)
    tiers = make_tiers(services, account)
    sign_in(client, account)
    demande_id = start(client, "patrimoine")
    save_step(client, demande_id, "eligibilite", PATRIMOINE["eligibilite"])
    pieces = {name: pdf_upload(name=f"{name}.pdf") for name in ("devis", "plan_financement", "photos")}
    save_step(client, demande_id, "pieces", pieces, content_type="multipart/form-data")
    assert stored(services, tiers, demande_id)["page_states"]["pieces"] == "complete"
    save_step(client, demande_id, "eligibilite", {**PATRIMOINE["eligibilite"], "proprietaire": "false"})
    states = stored(services, tiers, demande_id)["page_states"]
    assert states["eligibilite"] == "complete"
    assert states["pieces"] == "en_erreur"  # the agreement is missing now
    assert states["projet"] == "a_completer"  # never saved, reads nothing that changed
    save_step(client, demande_id, "eligibilite", PATRIMOINE["eligibilite"])
    assert stored(services, tiers, demande_id)["page_states"]["pieces"] == "complete"

# --- every shipped téléservice can be deposited --------------------------------------

DEPOSIT_DAY = datetime(2026, 11, 26, 10, tzinfo=UTC)  # every shipped téléservice is open that day


def fill_every_visible_page(client, spec, demande_id) -> list[str]:
    """Post generated answers on each page "Suivant" leads to; returns the pages posted."""
    token = csrf_token(client.get(step_url(demande_id, spec.pages[0].id)))
    page_id, posted = spec.pages[0].id, []
    for _ in spec.pages:
        data = page_post_data(spec, spec.page(page_id))
        data.update({"csrf_token": token, "action": "next"})
        response = client.post(step_url(demande_id, page_id), data=data, content_type="multipart/form-data")
        assert response.status_code == 302, (page_id, text_of(response))
        posted.append(page_id)
        location = response.headers["Location"]
        if location.endswith("/recapitulatif"):
            return posted
        page_id = location.rsplit("/", 1)[1]
    raise AssertionError(f"le récapitulatif n'est jamais atteint : {posted}")


@pytest.mark.parametrize("spec", SHIPPED, ids=lambda s: s.id)
def test_every_shipped_teleservice_can_be_deposited(client, services, clock, spec):
    set_today(clock, DEPOSIT_DAY)
    assert spec.is_open(clock.today()), f"{spec.id} : ouvert du {spec.opens} au {spec.closes}"
    account = quick_account(services)
    tiers = make_tiers(services, account, famille=spec.families[0], rna="W133001234",
                       site_web="https://www.exemple.fr")
    sign_in(client, account)
    demande_id = start(client, spec.id)
    posted = fill_every_visible_page(client, spec, demande_id)
    doc = stored(services, tiers, demande_id)
    assert posted == [p.id for p in visible_pages(spec, doc["answers"])]
    assert set(doc["page_states"].values()) == {"complete"}, doc["page_states"]
    response = transmit(client, demande_id)
    assert response.status_code == 302, text_of(response)
    doc = stored(services, tiers, demande_id)
    assert doc["status"] == "transmise"
    assert doc["numero"] == f"{spec.number_prefix}-{clock.today().year}-000001"
    assert doc["numero"] in text_of(client.get(response.headers["Location"]))


def test_table_buttons_without_javascript_stay_on_the_page(client, services, clock):
    set_today(clock, DEPOSIT_DAY)
    account = quick_account(services)
    tiers = make_tiers(services, account)
    sign_in(client, account)
    demande_id = start(client, "patrimoine")
    row = {"recettes-0-financeur": "Métropole", "recettes-0-nature": "metropole", "recettes-0-montant": "6000"}
    added = save_step(client, demande_id, "budget", {**row, "_action": "add:recettes"}, action="")
    assert added.status_code == 200, added.headers.get("Location")
    html = added.get_data(as_text=True)
    assert 'name="recettes-1-financeur"' in html and 'value="Métropole"' in html
    assert 'class="govuk-error-summary"' not in html  # a row added is not an error
    assert stored(services, tiers, demande_id)["answers"]["recettes"][0]["financeur"] == "Métropole"
    removed = save_step(client, demande_id, "budget", {**row, "_action": "remove:recettes:0"}, action="")
    assert removed.status_code == 200
    assert stored(services, tiers, demande_id)["answers"].get("recettes") in (None, [])
