"""Issue 12, applicant side: each finding seen from the outside, through HTTP."""
from __future__ import annotations

import re

from runtime.storage.base import StorageError
from tests.demandes.support import (
    SPECS,
    VALID,
    fill_valid,
    page_text,
    post_form,
    save_step,
    start,
    step_url,
    text_of,
    transmit,
)
from tests.helpers import last_mail

NNBSP, NBSP = "\u202f", "\u00a0"


def recap(client, demande_id):
    return client.get(f"/demandes/{demande_id}/recapitulatif")


# --- 4. Récapitulatif -----------------------------------------------------------


def test_recap_lists_only_the_questions_asked(client, user):
    demande_id = start(client)
    fill_valid(client, demande_id)  # partenaire: Non → « Rôle du partenaire » never asked
    text = text_of(recap(client, demande_id))
    assert "Le projet a-t-il un partenaire ? Non" in text
    assert "Rôle du partenaire" not in text
    save_step(client, demande_id, "projet", {**VALID["projet"], "partenaire": "true", "role_partenaire": "Prêt de salle"})
    assert "Rôle du partenaire dans le projet Prêt de salle" in text_of(recap(client, demande_id))


def test_recap_shows_each_uploaded_file_once_as_a_link(client, user):
    demande_id = start(client)
    fill_valid(client, demande_id)
    html = page_text(recap(client, demande_id))
    assert html.count("devis.pdf") == 1
    assert "Pièces jointes" not in html
    assert re.search(rf'<a class="govuk-link" href="/demandes/{demande_id}/pieces/[^"]+" download>devis\.pdf \(', html)


# --- 5. French typography ----------------------------------------------------------


def test_amounts_and_quotes_in_pages(client, user):
    demande_id = start(client)
    fill_valid(client, demande_id)
    assert f"1{NNBSP}500,00{NNBSP}€" in page_text(recap(client, demande_id))
    deleted = client.get(f"/demandes/{demande_id}/supprimer")
    assert f"«{NBSP}Aide aux projets de quartier{NBSP}»" in page_text(deleted)
    error = save_step(client, demande_id, "projet", {"intitule": ""})
    assert f"Renseignez le champ «{NBSP}Intitulé du projet{NBSP}»." in page_text(error)


def test_receipt_mail_amounts_and_quotes(client, user, services):
    demande_id = start(client)
    fill_valid(client, demande_id)
    assert transmit(client, demande_id).status_code == 302
    mail = last_mail(services, to=user["email"])
    assert f"téléservice «{NBSP}Aide aux projets de quartier{NBSP}» a bien été transmise" in mail.text
    assert f"1{NNBSP}500,00{NNBSP}€" in mail.text


# --- 7 and 12. The step page --------------------------------------------------------------


def test_step_says_saved_only_after_a_save_and_shows_errors_only_after_an_attempt(client, user):
    demande_id = start(client)
    first = text_of(client.get(step_url(demande_id, "projet")))
    assert "Vos réponses sont enregistrées" not in first and "Il y a un problème" not in first
    posted = save_step(client, demande_id, "projet", {"intitule": "Fête", "participants": "beaucoup"})
    assert "Il y a un problème" in text_of(posted)
    assert "Vos réponses sont enregistrées" in text_of(posted)
    # reopened (« Reprendre », the step list): no red summary, the step still « En erreur »
    again = client.get(step_url(demande_id, "projet"))
    assert "Il y a un problème" not in text_of(again)
    assert 'class="govuk-error-message"' not in page_text(again)
    assert "1. Le projet En erreur" in text_of(again)
    # the récapitulatif's list of blockers leads to the errors (an attempt to go on)
    refused = post_form(client, f"/demandes/{demande_id}/transmettre", {"attestation": "oui"},
                        token_from=f"/demandes/{demande_id}/recapitulatif")
    link = re.search(rf'href="({step_url(demande_id, "projet")}\?verifier=1)#participants"', page_text(refused))
    assert link
    checked = client.get(link.group(1))
    assert "Il y a un problème" in text_of(checked)
    assert "Vos réponses sont enregistrées" not in text_of(checked)


def test_step_hint_said_once_and_intro_paragraphs_separated(client, user):
    demande_id = start(client)
    html = page_text(client.get(step_url(demande_id, "projet")))
    assert html.count("Cochez toutes les réponses") == 1
    assert '<p class="govuk-body">Ce téléservice finance les petits projets de quartier.</p>' in html
    assert "<p class=\"govuk-body\">Munissez-vous d'un devis avant de commencer.</p>" in html


# --- 9. Accessible names ------------------------------------------------------------------


def test_deposit_buttons_name_their_teleservice(client, user):
    html = page_text(client.get("/demandes/"))
    assert ('Déposer une demande<span class="govuk-visually-hidden"> au titre de '
            f"«{NBSP}Aide aux projets de quartier{NBSP}»</span></button>") in html


def test_step_list_is_navigation_with_the_current_step(client, user):
    demande_id = start(client)
    html = page_text(client.get(step_url(demande_id, "structure")))
    nav = html[html.index('<nav class="portail-steps"'):html.index("</nav>", html.index('<nav class="portail-steps"'))]
    assert 'aria-labelledby="etapes-titre"' in nav
    assert re.search(r'aria-current="step"[^>]*>2\. Votre structure', nav)
    assert 'aria-describedby="etat-projet"' in nav and 'id="etat-projet"' in nav


# --- 10. Choix du téléservice filtered from ten téléservices -------------------------------------


def add_teleservices(services, specs_dir, count):
    source = (SPECS / "teleservices" / "quartier.yaml").read_text(encoding="utf-8")
    for n in range(count):
        text = (source.replace("id: quartier", f"id: sport-{n}")
                .replace("title: Aide aux projets de quartier", f"title: Équipements sportifs n° {n}")
                .replace("number_prefix: QUARTIER", f"number_prefix: SPORT{n}\ntheme: Sport"))
        (specs_dir / "teleservices" / f"sport-{n}.yaml").write_text(text, encoding="utf-8")
    assert services.catalog.reload() == []


def test_few_teleservices_no_filter(client, user):
    assert 'name="mots"' not in page_text(client.get("/demandes/"))


def test_ten_teleservices_filter_by_words_and_theme(client, user, services, specs_dir):
    add_teleservices(services, specs_dir, 9)
    page = text_of(client.get("/demandes/"))
    assert "Mots recherchés" in page and "10 téléservices sur 10" in page
    assert "Aucun téléservice ne correspond" not in shown_text(client.get("/demandes/"))
    words = client.get("/demandes/?mots=equipements+sportifs+3")
    assert "1 téléservice sur 10" in text_of(words) and "Équipements sportifs n° 3" in shown_text(words)
    assert "Aide aux projets de quartier" not in shown_text(words)  # in the page, hidden (the live filter's)
    themed = client.get("/demandes/?theme=Sport")
    assert "9 téléservices sur 10" in text_of(themed)
    assert 'id="ts-quartier"' not in shown_text(themed) and 'id="ts-sport-0"' in shown_text(themed)
    assert "Aucun téléservice ne correspond" in shown_text(client.get("/demandes/?mots=piscine"))


def shown_text(response) -> str:
    """The page without its elements marked ``hidden`` (what a reader without JS sees)."""
    html = page_text(response)
    html = re.sub(r'<li class="portail-teleservices__item"[^>]* hidden>.*?</li>', " ", html, flags=re.DOTALL)
    return re.sub(r'<p class="govuk-body" data-filter-none hidden>.*?</p>', " ", html, flags=re.DOTALL)


# --- 20. Autosave under a storage error ------------------------------------------------------


def test_autosave_storage_error_answers_json_the_script_shows(client, user, monkeypatch):
    from runtime.domain.demandes import DemandeService

    demande_id = start(client)

    def broken(*args, **kwargs):
        raise StorageError("disque plein")

    monkeypatch.setattr(DemandeService, "save_page", broken)
    response = post_form(client, step_url(demande_id, "projet") + "/autosave", {"intitule": "Fête"},
                         token_from=step_url(demande_id, "projet"), headers={"X-Autosave": "1"})
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {
        "saved": False,
        "message": "Enregistrement impossible pour le moment, vos réponses précédentes sont conservées.",
    }
