"""The staff preview walks every step of every shipped téléservice with a sample Tiers and
account, keeps what is typed in the preview alone, shows computed values and rule results,
and never writes a demande."""
from __future__ import annotations

import shutil

import pytest

from runtime import ROOT
from runtime.forms.wizard import visible_pages
from runtime.spec.catalog import Catalog
from tests.demandes.samples import page_post_data
from tests.helpers import csrf_token, page_text
from tests.staff.support import staff_login

SHIPPED = Catalog.load(ROOT / "specs").teleservices()


@pytest.fixture
def specs_dir(tmp_path):
    target = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", target)
    return target


def demande_partitions(services):
    return [p for prefix in ("tiers", "drafts", "index") for p in services.store.partitions(prefix)]


def walk_preview(client, spec):
    """Post every visible step of the preview with sample answers, up to its récapitulatif."""
    location = client.get(f"/agents/apercu/{spec.id}/").headers["Location"]
    posted = []
    while not location.endswith("/fin/recapitulatif"):
        page_id = location.rsplit("/", 1)[1]
        page = client.get(location)
        assert page.status_code == 200, (page_id, page_text(page))
        data = page_post_data(spec, spec.page(page_id))
        data.update({"csrf_token": csrf_token(page), "nav": "next"})
        response = client.post(location, data=data, content_type="multipart/form-data")
        assert response.status_code == 302, (page_id, page_text(response))
        posted.append(page_id)
        location = response.headers["Location"]
        assert len(posted) <= len(spec.pages), posted
    return posted


@pytest.mark.parametrize("spec", SHIPPED, ids=lambda s: s.id)
def test_preview_of_each_shipped_teleservice_reaches_its_recapitulatif(client, services, admin, spec):
    staff_login(client, "admin.metropole")
    first = page_text(client.get(client.get(f"/agents/apercu/{spec.id}/").headers["Location"]))
    assert "Les champs pré-remplis le sont avec un tiers d'exemple" in first
    posted = walk_preview(client, spec)
    stored = services.repos.previews.get(admin["id"], spec.id)
    assert posted == [p.id for p in visible_pages(spec, stored["answers"])]
    recap = page_text(client.get(f"/agents/apercu/{spec.id}/fin/recapitulatif"))
    assert "Récapitulatif de l'aperçu" in recap
    assert "un demandeur pourrait transmettre cette demande" in recap, recap
    for item in spec.computed:
        assert item.label in recap
    assert demande_partitions(services) == []


def test_locked_prefill_comes_from_the_sample_tiers_and_account(client, services, admin):
    staff_login(client, "admin.metropole")
    page = client.get("/agents/apercu/investissement-communes/")
    text = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Commune de Saint-Exemple" in text  # tiers.raison_sociale, locked
    assert "21130055300016" in text  # tiers.siret of the sample commune


def test_answers_typed_in_preview_stay_in_the_preview_of_that_agent(client, services, admin):
    from tests.staff.support import create_staff

    other = create_staff(services, "autre.admin", "administrateur", [])
    staff_login(client, "admin.metropole")
    spec = services.catalog.get("patrimoine")
    walk_preview(client, spec)
    assert services.repos.previews.get(admin["id"], "patrimoine")["answers"]
    assert services.repos.previews.get(other["id"], "patrimoine")["answers"] == {}
    recap = client.get("/agents/apercu/patrimoine/fin/recapitulatif")
    cleared = client.post("/agents/apercu/patrimoine/effacer", data={"csrf_token": csrf_token(recap)},
                          follow_redirects=True)
    assert "Les réponses de l'aperçu ont été effacées." in page_text(cleared)
    assert services.repos.previews.get(admin["id"], "patrimoine")["answers"] == {}
    assert demande_partitions(services) == []


def test_preview_recap_names_what_would_block_the_transmission(client, admin):
    staff_login(client, "admin.metropole")
    recap = page_text(client.get("/agents/apercu/patrimoine/fin/recapitulatif"))
    assert "Cette demande ne pourrait pas encore être transmise" in recap
    assert "Étape «\u00a0Critères d'éligibilité\u00a0» :" in recap


def test_a_step_hidden_by_its_condition_can_still_be_read(client, admin):
    staff_login(client, "admin.metropole")
    page = client.get("/agents/apercu/patrimoine/monument_classe")
    assert page.status_code == 200
    text = page_text(page)
    assert "étape hors du parcours" in text
    assert "un demandeur ne verrait pas cette étape" in text
