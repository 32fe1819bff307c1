"""Editing a YAML spec never breaks a demande."""
from __future__ import annotations

import io

from pypdf import PdfReader

from tests.demandes.support import fill_valid, save_step, start, step_url, stored, text_of, transmit


def rewrite_spec(services, specs_dir, *replacements):
    path = specs_dir / "teleservices" / "quartier.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    assert services.catalog.reload() == []


VERSION_2 = (
    ('version: "1"', 'version: "2"'),
    # "participants" disappears, "public_vise" is a new required field
    ("""      - id: participants
        type: integer
        label: Nombre de participants attendus
        required: true
        min: 1
""", """      - id: public_vise
        type: text
        label: Public visé
        required: true
"""),
)


def test_draft_continues_on_new_version(client, user, services, tiers, specs_dir):
    demande_id = start(client)
    save_step(client, demande_id, "projet", {"intitule": "Fête", "participants": "40", "partenaire": "false"})
    old_key = stored(services, tiers, demande_id)["version_key"]
    rewrite_spec(services, specs_dir, *VERSION_2)
    page = client.get(step_url(demande_id, "projet"))
    assert page.status_code == 200
    assert "Public visé" in text_of(page)
    assert "Nombre de participants attendus" not in text_of(page)
    doc = stored(services, tiers, demande_id)
    assert doc["version_key"] != old_key and doc["version_key"].startswith("quartier@2#")
    assert doc["answers"]["intitule"] == "Fête"  # kept
    assert doc["set_aside"] == {"participants": 40}  # kept aside, not lost
    assert "participants" not in doc["answers"]
    assert doc["page_states"]["projet"] == "a_completer"  # the new required field is asked


def test_new_required_field_blocks_transmission_until_answered(client, user, services, tiers, specs_dir):
    demande_id = start(client)
    fill_valid(client, demande_id)
    rewrite_spec(services, specs_dir, *VERSION_2)
    response = transmit(client, demande_id)
    assert response.status_code == 400
    assert f'href="{step_url(demande_id, "projet")}?verifier=1#public_vise"' in response.get_data(as_text=True)
    save_step(client, demande_id, "projet", {"intitule": "Fête", "public_vise": "Familles", "partenaire": "false"})
    assert transmit(client, demande_id).status_code == 302
    assert stored(services, tiers, demande_id)["set_aside"] == {"participants": 120}


def test_field_coming_back_is_restored(client, user, services, tiers, specs_dir):
    demande_id = start(client)
    save_step(client, demande_id, "projet", {"intitule": "Fête", "participants": "40", "partenaire": "false"})
    rewrite_spec(services, specs_dir, *VERSION_2)
    client.get(step_url(demande_id, "projet"))
    rewrite_spec(services, specs_dir, *[(new, old) for old, new in VERSION_2])
    client.get(step_url(demande_id, "projet"))
    doc = stored(services, tiers, demande_id)
    assert doc["answers"]["participants"] == 40 and doc["set_aside"] == {}


def pdf_text(response) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())


def test_transmitted_demande_renders_as_filed(client, user, services, tiers, specs_dir):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    rewrite_spec(services, specs_dir, ("label: Intitulé du projet", "label: Nom de l'action"), *VERSION_2)
    recap = text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert "Intitulé du projet" in recap and "Nom de l'action" not in recap
    assert "Nombre de participants attendus" in recap
    assert "Intitulé du projet : Fête de quartier" in pdf_text(client.get(f"/demandes/{demande_id}/accuse-reception.pdf"))
    # the téléservice removed altogether
    (specs_dir / "teleservices" / "quartier.yaml").unlink()
    assert services.catalog.reload() == []
    assert services.catalog.get("quartier") is None
    recap = text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert "Intitulé du projet" in recap and "Fête de quartier" in recap
    assert "Nombre de participants attendus" in pdf_text(client.get(f"/demandes/{demande_id}/accuse-reception.pdf"))
    assert "Aide aux projets de quartier" in text_of(client.get("/espace/aides"))


def test_removed_answer_is_shown_to_the_applicant_and_to_staff(client, user, services, tiers, specs_dir):
    from tests.staff.support import create_staff, staff_login

    demande_id = start(client)
    fill_valid(client, demande_id)
    rewrite_spec(services, specs_dir, *VERSION_2)
    recap = text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert "Réponses qui ne sont plus demandées" in recap
    assert "Le formulaire a changé depuis que vous avez saisi ces réponses" in recap
    assert "Nombre de participants attendus 120 Question retirée du formulaire." in recap
    save_step(client, demande_id, "projet", {"intitule": "Fête", "public_vise": "Familles", "partenaire": "false"})
    assert transmit(client, demande_id).status_code == 302
    create_staff(services, "admin.metropole", "administrateur", [])
    staff_login(client, "admin.metropole")
    page = text_of(client.get(f"/agents/demandes/{tiers['id']}/{demande_id}"))
    assert "Réponses qui ne sont plus demandées" in page
    assert "Nombre de participants attendus 120" in page


def test_changed_option_is_explained_with_its_old_label(client, user, services, tiers, specs_dir):
    demande_id = start(client)
    save_step(client, demande_id, "projet", {"intitule": "Fête", "participants": "40", "partenaire": "false",
                                             "publics": ["seniors"]})
    rewrite_spec(services, specs_dir, ('version: "1"', 'version: "2"'),
                 ("{value: seniors, label: Seniors}", "{value: aines, label: Personnes âgées}"))
    page = text_of(client.get(step_url(demande_id, "projet")))
    assert "seniors" not in page.replace("Seniors", "")  # the raw value is never shown
    recap = text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert "Publics visés Seniors L'option choisie n'existe plus dans le formulaire : choisissez de nouveau." in recap
    doc = stored(services, tiers, demande_id)
    assert "publics" not in doc["answers"] and doc["set_aside"] == {"publics": ["seniors"]}
    save_step(client, demande_id, "projet", {"intitule": "Fête", "participants": "40", "partenaire": "false",
                                             "publics": ["aines"]})
    doc = stored(services, tiers, demande_id)
    assert doc["answers"]["publics"] == ["aines"]
    # answered again: the old choice is no longer shown as set aside
    assert "Réponses qui ne sont plus demandées" not in text_of(client.get(f"/demandes/{demande_id}/recapitulatif"))


def test_refused_transmission_names_the_step_and_links_to_it(client, user, services, tiers, specs_dir):
    demande_id = start(client)
    fill_valid(client, demande_id)
    rewrite_spec(services, specs_dir, *VERSION_2)
    response = transmit(client, demande_id)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    link = f'href="{step_url(demande_id, "projet")}?verifier=1#public_vise"'
    assert link in body
    after_link = text_of(response)
    assert "Étape « Le projet » : Renseignez le champ" in after_link
