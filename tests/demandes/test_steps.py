"""The list of steps and its states, moving freely between steps, autosave."""
from __future__ import annotations

import re

from runtime import ROOT
from runtime.clock import METROPOLE_TIME
from tests.demandes.support import (
    OTHER_SIRET,
    VALID,
    fill_valid,
    make_tiers,
    post_form,
    quick_account,
    save_step,
    sign_in,
    start,
    step_url,
    stored,
    text_of,
    transmit,
)
from tests.helpers import csrf_token, page_text

SAVED_HINT = ("Vos réponses sont enregistrées. Vous pouvez corriger maintenant ou passer à une autre étape "
              "depuis la liste des étapes.")


def step_list(response) -> str:
    """The text of the list of steps of a step page or of the récapitulatif."""
    html = page_text(response)
    nav = re.search(r'<nav class="portail-steps".*?</nav>', html, flags=re.DOTALL)
    assert nav, "pas de liste des étapes"
    return " ".join(re.sub(r"<[^>]+>", " ", nav.group(0)).split())


def test_each_step_state_from_the_answers(client, user, services, tiers):
    demande_id = start(client)
    fresh = step_list(client.get(step_url(demande_id, "projet")))
    assert ("1. Le projet À compléter 2. Votre structure À compléter 3. Budget À compléter "
            "4. Pièces justificatives À compléter") in fresh
    save_step(client, demande_id, "projet", VALID["projet"])
    save_step(client, demande_id, "structure", VALID["structure"])
    # left with a required answer missing, through the list of steps
    post_form(client, step_url(demande_id, "budget"), {"montant_sollicite": "", "goto": "pieces"})
    states = step_list(client.get(step_url(demande_id, "pieces")))
    assert "1. Le projet Complète 2. Votre structure Complète 3. Budget En erreur" in states
    assert "4. Pièces justificatives À compléter" in states  # shown, not saved yet
    # an invalid answer
    save_step(client, demande_id, "projet", {**VALID["projet"], "participants": "beaucoup"})
    assert "1. Le projet En erreur" in step_list(client.get(step_url(demande_id, "budget")))
    doc = stored(services, tiers, demande_id)
    assert doc["page_states"] == {"projet": "en_erreur", "structure": "complete", "budget": "en_erreur",
                                  "pieces": "a_completer"}
    assert doc["visited"] == ["budget", "projet", "structure"]


def test_states_use_the_prefill(client, user, services, tiers):
    demande_id = start(client)
    save_step(client, demande_id, "structure", VALID["structure"])
    assert "2. Votre structure Complète" in step_list(client.get(step_url(demande_id, "projet")))
    # the locked raison sociale comes from the Tiers, whatever the stored answers say
    services.repos.tiers.update_tiers(tiers["id"], {"raison_sociale": ""})
    assert "2. Votre structure En erreur" in step_list(client.get(step_url(demande_id, "projet")))


def test_states_agree_between_step_list_recap_and_sollicitations(client, user):
    demande_id = start(client)
    save_step(client, demande_id, "projet", VALID["projet"])
    save_step(client, demande_id, "structure", VALID["structure"])
    save_step(client, demande_id, "budget", {"montant_sollicite": "0"})  # below the minimum
    expected = "1. Le projet Complète 2. Votre structure Complète 3. Budget En erreur 4. Pièces justificatives À compléter"
    assert expected in step_list(client.get(step_url(demande_id, "pieces")))
    assert expected in step_list(client.get(f"/demandes/{demande_id}/recapitulatif"))
    sollicitations = client.get("/espace/sollicitations")
    assert "50 % complété" in text_of(sollicitations)  # 2 steps complete out of 4
    # "Reprendre" leads to the first step not complete
    assert f'href="{step_url(demande_id, "budget")}">Reprendre' in page_text(sollicitations)
    assert "50 % complété" in text_of(client.get("/espace/"))


def test_the_complete_demande_is_100_percent_and_resumes_at_the_recap(client, user):
    demande_id = start(client)
    fill_valid(client, demande_id)
    states = step_list(client.get(f"/demandes/{demande_id}/recapitulatif"))
    assert states.count("Complète") == 4 and "En erreur" not in states and "À compléter" not in states
    sollicitations = client.get("/espace/sollicitations")
    assert "100 % complété" in text_of(sollicitations)
    assert f'href="/demandes/{demande_id}/recapitulatif">Reprendre' in page_text(sollicitations)


def test_next_with_errors_stays_saves_and_keeps_every_step_open(client, user, services, tiers):
    demande_id = start(client)
    typed = {"intitule": "Fête des voisins", "participants": "beaucoup", "partenaire": "false"}
    response = save_step(client, demande_id, "projet", typed, action="next")
    assert response.status_code == 200  # GOV.UK pattern: the errors are shown at once, on the same page
    html = page_text(response)
    summary_end = html.index('class="govuk-error-summary"')
    assert html.index(SAVED_HINT.split(" depuis")[0]) > summary_end  # the hint comes under the summary
    assert SAVED_HINT in text_of(response).replace(" .", ".")
    assert 'href="#etapes-titre">liste des étapes</a>' in html
    assert 'value="Fête des voisins"' in html and 'value="beaucoup"' in html
    assert stored(services, tiers, demande_id)["answers"]["participants"] == "beaucoup"
    for page_id in ("structure", "budget", "pieces", "__recap"):  # the step list still leads anywhere
        assert f'form="page-form" name="goto" value="{page_id}"' in html
    moved = post_form(client, step_url(demande_id, "projet"), {**typed, "goto": "pieces"})
    assert moved.status_code == 302 and moved.headers["Location"] == step_url(demande_id, "pieces")
    assert stored(services, tiers, demande_id)["answers"]["intitule"] == "Fête des voisins"
    # coming back: nothing was saved on arrival and nothing attempted yet, so neither
    # the errors nor the hint (issue 12, items 7 and 12); the step stays « En erreur »
    again = client.get(step_url(demande_id, "projet"))
    assert "Vos réponses sont enregistrées" not in text_of(again)
    assert 'class="govuk-error-summary"' not in page_text(again)
    assert "1. Le projet En erreur" in text_of(again)


def test_no_hint_without_errors(client, user):
    demande_id = start(client)
    assert "Vos réponses sont enregistrées" not in text_of(client.get(step_url(demande_id, "projet")))
    save_step(client, demande_id, "projet", VALID["projet"])
    assert "Vos réponses sont enregistrées" not in text_of(client.get(step_url(demande_id, "projet")))


# --- autosave ---------------------------------------------------------------------


def autosave_url(demande_id: str, page_id: str) -> str:
    return step_url(demande_id, page_id) + "/autosave"


def test_autosave_saves_partial_answers_and_answers_the_time(client, user, services, tiers, clock):
    demande_id = start(client)
    response = post_form(client, autosave_url(demande_id, "projet"), {"intitule": "Brocante"},
                         headers={"X-Autosave": "1"})
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["saved"] is True
    assert payload["saved_at"] == clock.now().astimezone(METROPOLE_TIME).strftime("%H h %M")
    assert payload["states"]["projet"] == "en_erreur"  # saved with required answers missing
    assert {e["path"] for e in payload["errors"]} == {"participants", "partenaire"}
    doc = stored(services, tiers, demande_id)
    assert doc["answers"] == {"intitule": "Brocante"} and doc["status"] == "brouillon"


def test_autosave_accepts_the_token_in_the_header_as_portail_js_sends_it(client, user, services, tiers):
    script = (ROOT / "static" / "js" / "portail" / "autosave.js").read_text(encoding="utf-8")
    assert '"X-CSRFToken": token ? token.value' in script and "body.saved_at" in script  # the client's side
    demande_id = start(client)
    token = csrf_token(client.get(step_url(demande_id, "projet")))
    response = client.post(autosave_url(demande_id, "projet"), data={"intitule": "Loto"},
                           headers={"X-Autosave": "1", "X-CSRFToken": token})
    assert response.status_code == 200 and re.fullmatch(r"\d\d h \d\d", response.get_json()["saved_at"])
    assert stored(services, tiers, demande_id)["answers"]["intitule"] == "Loto"


def test_autosave_requires_the_csrf_token(client, user, services, tiers):
    demande_id = start(client)
    for headers in ({}, {"X-CSRFToken": "faux"}):
        response = client.post(autosave_url(demande_id, "projet"), data={"intitule": "Sans jeton"},
                               headers={"X-Autosave": "1", **headers})
        assert response.status_code == 400
    assert stored(services, tiers, demande_id)["answers"] == {}


def test_autosave_refuses_a_transmitted_demande(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    before = stored(services, tiers, demande_id)
    response = post_form(client, autosave_url(demande_id, "budget"), {"montant_sollicite": "99999"})
    assert response.status_code == 409
    assert response.get_json() == {
        "saved": False,
        "message": "Cette demande a été transmise : elle ne peut plus être modifiée. "
                   "Si vous devez la compléter, contactez le service instructeur.",
    }
    assert stored(services, tiers, demande_id) == before


def test_autosave_of_a_foreign_demande_is_not_found(client, user, services, caplog):
    demande_id = start(client)
    stranger = quick_account(services, "zoe0001", "zoe@exemple.fr")
    make_tiers(services, stranger, siret=OTHER_SIRET, name="Autre structure")
    sign_in(client, stranger)
    response = post_form(client, autosave_url(demande_id, "projet"), {"intitule": "Pirate"})
    assert response.status_code == 404
    assert any(r.name == "portail.access" for r in caplog.records)
    assert "intitule" not in services.repos.demandes.find_anywhere(demande_id)["answers"]
