"""The téléservice editor of the staff space: check (lint errors at line:column), publish (diff,
reason, version bumped, file and snapshot written, every worker told), history, revert, role gate, CSRF."""
from __future__ import annotations

import html
import re

import pytest
import yaml

from runtime.spec.catalog import GENERATION, GENERATION_ID, PARTITION
from tests.helpers import FROM_THIS_SITE, PASSWORD, csrf_token, page_text
from tests.staff.support import staff_login

EDITOR = "/agents/editeur/quartier"


def editor_page(client):
    page = client.get(EDITOR)
    assert page.status_code == 200, page.status_code
    return page


def served_text(services):
    return services.catalog.get("quartier").text


def generation(services):
    doc = services.store.read(PARTITION).table(GENERATION).get(GENERATION_ID)
    return doc["value"] if doc else 0


def publish(client, text, reason="Nouveau titre demandé par le service"):
    token = csrf_token(editor_page(client))
    shown = client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": "publier"})
    assert shown.status_code == 200, page_text(shown)
    return client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": "confirmer", "raison": reason})


def test_only_administrateurs_open_the_editor(client, admin, instructeur):
    staff_login(client, "instructeur.quartier")
    assert client.get(EDITOR).status_code == 403
    assert client.get(f"{EDITOR}/historique").status_code == 403
    token = csrf_token(client.get("/agents/demandes"))
    assert client.post(f"{EDITOR}/verifier.json", data={"yaml": "x"}, headers={"X-CSRFToken": token}).status_code == 403
    client.post("/agents/deconnexion", data={"csrf_token": token})
    staff_login(client, "admin.metropole")
    page = page_text(editor_page(client))
    assert "Modifier « Aide aux projets de quartier »" in page
    assert "appuyez sur Échap puis Tab" in page
    assert "id: quartier" in page
    assert client.get("/agents/editeur/inconnu").status_code == 404


def test_check_shows_each_error_at_its_line_and_column(client, services, admin):
    staff_login(client, "admin.metropole")
    text = served_text(services).replace("    fields:\n", "    fields:\n      - id: action\n        type: text\n        label: Action\n", 1)
    line = text.splitlines().index("      - id: action") + 1
    response = client.post(EDITOR, data={"csrf_token": csrf_token(editor_page(client)), "yaml": text,
                                         "action": "verifier"})
    assert response.status_code == 400
    body = page_text(response)
    assert re.search(rf"Ligne {line}, colonne \d+ : ", body), body
    # the one error summary, its links leading editor.js to the line and column
    assert "Le texte contient 1 erreur : il ne peut pas être publié" in body
    assert re.search(rf'<div data-lint-errors>.*<a href="#yaml" data-line="{line}" data-column="\d+">Ligne {line}',
                     body, re.DOTALL), body
    assert "action" in body
    assert 'id: action' in body  # the text typed is shown again
    ok = client.post(EDITOR, data={"csrf_token": csrf_token(editor_page(client)), "yaml": served_text(services),
                                   "action": "verifier"})
    assert "Aucune erreur : ce texte peut être publié." in page_text(ok)


def test_live_lint_answers_json_and_needs_the_csrf_token(client, services, admin):
    staff_login(client, "admin.metropole")
    token = csrf_token(editor_page(client))
    broken = served_text(services).replace("type: text\n", "type: texte\n", 1)
    line = broken.splitlines().index(next(row for row in broken.splitlines() if row.endswith("type: texte"))) + 1
    assert client.post(f"{EDITOR}/verifier.json", data={"yaml": broken}).status_code == 400  # no CSRF token
    answer = client.post(f"{EDITOR}/verifier.json", data={"yaml": broken}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    errors = answer.get_json()["errors"]
    assert errors and errors[0]["line"] == line, errors
    assert errors[0]["column"] == broken.splitlines()[line - 1].index("type") + 1, errors
    assert "texte" in errors[0]["message"]
    clean = client.post(f"{EDITOR}/verifier.json", data={"yaml": served_text(services)}, headers={"X-CSRFToken": token})
    assert clean.get_json() == {"errors": []}


def test_publish_shows_the_diff_asks_a_reason_and_serves_the_new_version(client, services, admin, specs_dir):
    staff_login(client, "admin.metropole")
    before = generation(services)
    text = served_text(services).replace("title: Aide aux projets de quartier", "title: Aide aux initiatives de quartier")
    token = csrf_token(editor_page(client))
    shown = page_text(client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": "publier"}))
    assert "Différences avec la version en service" in shown
    assert "-title: Aide aux projets de quartier" in shown
    assert "+title: Aide aux initiatives de quartier" in shown
    no_reason = client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": "confirmer", "raison": " "})
    assert no_reason.status_code == 400
    assert "Indiquez en quelques mots la raison de cette publication." in page_text(no_reason)
    assert services.catalog.get("quartier").version == "1"
    done = client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": "confirmer",
                                     "raison": "Nouveau titre demandé par le service"})
    assert done.status_code == 302
    served = services.catalog.get("quartier")
    assert served.version == "2" and served.title == "Aide aux initiatives de quartier"
    on_disk = (specs_dir / "teleservices" / "quartier.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(on_disk)["version"] == "2"
    assert services.store.read(PARTITION).table("versions").get(served.version_key)["text"] == on_disk
    assert generation(services) == before + 1  # every worker reloads, as after ``portail reload``
    history = page_text(client.get(done.headers["Location"]))
    assert "Version 2 publiée : elle est en service." in history
    assert "Nouveau titre demandé par le service" in history
    assert "Admin Metropole" in history
    assert "+title: Aide aux initiatives de quartier" in history


def test_publish_refuses_a_text_the_gate_refuses(client, services, admin, specs_dir):
    staff_login(client, "admin.metropole")
    source = specs_dir / "teleservices" / "quartier.yaml"
    before = source.read_text(encoding="utf-8")
    text = before.replace("number_prefix: QUARTIER", "number_prefix: PATRIMOINE")
    token = csrf_token(editor_page(client))
    for action in ("publier", "confirmer"):
        response = client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": action, "raison": "Essai"})
        assert response.status_code == 400
        assert "préfixe de numéro « PATRIMOINE » déjà utilisé" in page_text(response)
    assert source.read_text(encoding="utf-8") == before
    assert services.catalog.get("quartier").version == "1"


def test_history_and_revert_publish_the_old_text_as_a_new_version(client, services, admin):
    staff_login(client, "admin.metropole")
    first = services.catalog.get("quartier")
    changed = first.text.replace("title: Aide aux projets de quartier", "title: Aide aux initiatives de quartier")
    assert publish(client, changed).status_code == 302
    history = client.get(f"{EDITOR}/historique")
    text = page_text(history)
    assert text.count("Revenir à cette version") == 1
    token = csrf_token(history)
    refused = client.post(f"{EDITOR}/revenir", data={"csrf_token": token, "version": first.version_key, "raison": ""})
    assert refused.status_code == 400
    assert "Indiquez en quelques mots la raison" in page_text(refused)
    done = client.post(f"{EDITOR}/revenir", data={"csrf_token": token, "version": first.version_key,
                                                  "raison": "Retour au titre d'origine"})
    assert done.status_code == 302
    served = services.catalog.get("quartier")
    assert served.version == "3"
    assert served.title == "Aide aux projets de quartier"
    assert served.text == first.text.replace('version: "1"', 'version: "3"')
    text = page_text(client.get(f"{EDITOR}/historique"))
    assert "Retour au titre d'origine" in text
    assert text.count("Revenir à cette version") == 2
    assert client.post(f"{EDITOR}/revenir", data={"csrf_token": token, "version": "autre@1#x",
                                                  "raison": "x"}).status_code == 400


def test_editor_posts_need_the_csrf_token(client, services, admin):
    staff_login(client, "admin.metropole")
    text = served_text(services)
    assert client.post(EDITOR, data={"yaml": text, "action": "confirmer", "raison": "x"}).status_code == 400
    assert client.post(f"{EDITOR}/revenir", data={"version": "x", "raison": "x"}).status_code == 400
    assert services.catalog.get("quartier").version == "1"


DRAFT_COMPUTED = """computed:
  - id: par_participant
    label: Montant par participant
    formula: round(montant_sollicite / participants; 2)
rules:
  - id: plafond
    require: montant_sollicite <= 5000
    message: Le montant sollicité ne dépasse pas 5 000 €.
"""


def test_draft_preview_walks_every_step_of_the_unpublished_text(client, services, admin, specs_dir):
    """The editor's preview of a draft: every step in turn, the sample pre-fill, answers kept in this
    agent's preview under the draft's key (not the served spec's), computed values and rule results
    in the récapitulatif; nothing published, no demande written."""
    from runtime.domain.preview import draft_key
    from runtime.spec.loader import load_spec_text
    from tests.demandes.samples import page_post_data
    from tests.staff.test_preview import demande_partitions

    staff_login(client, "admin.metropole")
    served = served_text(services)
    text = served.replace("Intitulé du projet", "Nom du projet").replace("attestation:", DRAFT_COMPUTED + "attestation:")
    draft = load_spec_text(text, "brouillon")
    token = csrf_token(editor_page(client))
    shown = client.post(EDITOR, data={"csrf_token": token, "yaml": text, "action": "apercu"})
    body = page_text(shown)
    assert shown.status_code == 200, body
    assert "Aperçu du texte : Le projet" in body and "Nom du projet" in body
    assert "Étapes du texte" in body and "1. Le projet" in body and "Récapitulatif" in body
    assert "À compléter" in body and "a_completer" not in body.lower()  # the state's French label
    location, walked = f"{EDITOR}/apercu/projet", []
    while not location.split("#")[0].endswith("/fin/recapitulatif"):
        page_id = location.split("#")[0].rsplit("/", 1)[1]
        step = client.get(location)
        assert step.status_code == 200, (page_id, page_text(step))
        assert "Nom du projet" in step.get_data(as_text=True) or page_id != "projet"
        data = {**page_post_data(draft, draft.page(page_id)), "csrf_token": token, "apercu-nav": "next",
                "brouillon-yaml": text}
        if page_id == "projet":
            data.update({"participants": "4", "partenaire": "true"})
        if page_id == "budget":
            data["montant_sollicite"] = "9000"
        response = client.post(location, data=data, content_type="multipart/form-data")
        if page_id == "budget":  # the rule blocks the step, at the step
            assert response.status_code == 400 and "Le montant sollicité ne dépasse pas 5 000 €." in page_text(response)
            data["montant_sollicite"] = "1000"
            response = client.post(location, data=data, content_type="multipart/form-data")
        assert response.status_code == 302, (page_id, page_text(response))
        walked.append(page_id)
        location = response.headers["Location"]
        assert len(walked) <= len(draft.pages), walked
    assert walked == ["projet", "partenariat", "structure", "budget", "pieces"]
    recap = page_text(client.get(location))
    assert "Aperçu du texte : Récapitulatif" in recap and "Complète" in recap
    assert "Montant par participant" in recap and "250,00" in recap
    assert "un demandeur pourrait transmettre cette demande" in recap
    assert "Association Les Amis du Patrimoine" in recap  # the sample Tiers pre-fills the locked field
    assert services.repos.previews.get(admin["id"], draft_key("quartier"))["answers"]["montant_sollicite"]
    assert services.repos.previews.get(admin["id"], "quartier")["answers"] == {}  # the served preview: untouched
    assert served_text(services) == served == (specs_dir / "teleservices" / "quartier.yaml").read_text("utf-8")
    assert demande_partitions(services) == []
    from runtime.forms import builder

    assert not [key for key in builder._cache if key[0] == draft.version_key]

    # An answer to a question of an earlier text is not this text's: it does not block its récapitulatif.
    kept = services.repos.previews.get(admin["id"], draft_key("quartier"))
    services.repos.previews.save(admin["id"], draft_key("quartier"), {**kept["answers"], "public_vise": "Tous"},
                                 kept["visited"])
    recap = page_text(client.get(location))
    assert "ne correspond à aucune question" not in recap
    assert "un demandeur pourrait transmettre cette demande" in recap

    # A step button of the preview posts the editor's form: the text typed goes with it.
    again = client.post(EDITOR, data={"csrf_token": token, "yaml": text.replace("Nom du projet", "Titre du projet"),
                                      "action": "apercu:budget"})
    assert "Aperçu du texte : Budget" in page_text(again) and "Titre du projet" in page_text(again)
    cleared = client.post(f"{EDITOR}/apercu/effacer", data={"csrf_token": token})
    assert cleared.headers["Location"].split("#")[0].endswith("/apercu/projet")
    assert services.repos.previews.get(admin["id"], draft_key("quartier"))["answers"] == {}


def test_draft_preview_of_a_text_that_does_not_load_shows_its_errors(client, services, admin):
    staff_login(client, "admin.metropole")
    token = csrf_token(editor_page(client))
    broken = served_text(services).replace("type: integer", "type: entier")
    response = client.post(f"{EDITOR}/apercu/projet", data={"csrf_token": token, "brouillon-yaml": broken})
    assert response.status_code == 400
    assert "Le texte contient" in page_text(response) and "Aperçu du texte" not in page_text(response)
    assert client.get(f"{EDITOR}/apercu/projet").status_code == 302  # nothing previewed yet: back to the editor


def served_key(services):
    return services.catalog.get("quartier").version_key


def test_new_teleservice_written_in_the_editor_is_served(client, services, admin, instructeur, specs_dir):
    staff_login(client, "instructeur.quartier")
    assert client.get("/agents/specs/nouveau").status_code == 403
    staff_login(client, "admin.metropole")
    page = client.get("/agents/specs/nouveau")
    assert "Nouveau téléservice" in page_text(page)
    token = csrf_token(page)
    starter = re.search(r'<textarea[^>]*id="yaml"[^>]*>(.*?)</textarea>', page.get_data(as_text=True), re.DOTALL)
    text = html.unescape(starter.group(1))
    taken = client.post("/agents/specs/nouveau", data={"csrf_token": token, "action": "verifier",
                                                       "yaml": text.replace("id: nouveau-teleservice", "id: quartier")})
    assert taken.status_code == 400
    assert "identifiant « quartier » déjà utilisé par teleservices/quartier.yaml" in page_text(taken)  # no server folder
    text = text.replace("id: nouveau-teleservice", "id: jardins").replace("Titre du nouveau téléservice",
                                                                          "Jardins partagés")
    text = text.replace("number_prefix: NOUVEAU", "number_prefix: JARDINS")
    shown = client.post("/agents/specs/nouveau", data={"csrf_token": token, "action": "publier", "yaml": text})
    assert "+title: Jardins partagés" in page_text(shown)
    done = client.post("/agents/specs/nouveau", data={"csrf_token": token, "action": "confirmer", "yaml": text,
                                                      "raison": "Nouvel appel à projets"})
    assert done.status_code == 302, page_text(done)
    assert (specs_dir / "teleservices" / "jardins.yaml").read_text(encoding="utf-8") == text
    assert (specs_dir / "teleservices" / "jardins.yaml").stat().st_mode & 0o777 == 0o644  # as the shipped specs
    assert services.catalog.get("jardins").title == "Jardins partagés"
    history = page_text(client.get(done.headers["Location"]))
    assert "Le téléservice « Jardins partagés » est publié" in history and "Nouvel appel à projets" in history
    again = client.post("/agents/specs/nouveau", data={"csrf_token": token, "action": "confirmer", "yaml": text,
                                                       "raison": "Encore"})
    assert again.status_code == 400
    assert "identifiant « jardins » déjà utilisé par" in page_text(again)


def test_schema_served_to_the_editor_is_the_lints_with_lists_and_prefill_sources(client, services, admin,
                                                                                  instructeur):
    from runtime.spec.field_types import kind_names

    staff_login(client, "instructeur.quartier")
    assert client.get("/agents/editeur/schema.json").status_code == 403
    staff_login(client, "admin.metropole")
    schema = client.get("/agents/editeur/schema.json").get_json()
    field = schema["$defs"]["field"]["properties"]
    assert field["type"]["enum"] == list(kind_names())
    assert {"communes", "domaines-intervention"} <= set(field["options_from"]["examples"])
    tiers_ids = {f.id for f in services.catalog.tiers_creation.fields()}
    assert "tiers.raison_sociale" in field["prefill"]["examples"] and "account.email" in field["prefill"]["examples"]
    assert all(p.split(".", 1)[1] in tiers_ids for p in field["prefill"]["examples"] if p.startswith("tiers."))


@pytest.mark.parametrize("ended", ["cookie expiré", "déconnexion dans un autre onglet"])
def test_the_text_being_written_survives_the_end_of_the_session(client, services, admin, specs_dir, ended):
    staff_login(client, "admin.metropole")
    token = csrf_token(editor_page(client))
    text = served_text(services).replace("Intitulé du projet", "Nom du projet écrit pendant une heure")
    if ended == "cookie expiré":
        client.delete_cookie("session")
    else:
        client.post("/agents/deconnexion", data={"csrf_token": token})
    refused = client.post(EDITOR, headers=FROM_THIS_SITE, data={"csrf_token": token, "yaml": text, "action": "verifier"})
    assert refused.status_code == 401
    page = refused.get_data(as_text=True)
    assert "le texte que vous rédigiez sera conservé, sans être publié" in page_text(refused)
    assert f'action="/agents/connexion?next={EDITOR}"' in page
    kept = html.unescape(re.search(r'<textarea name="texte-conserve"[^>]*>(.*?)</textarea>', page, re.DOTALL).group(1))
    assert kept == text
    back = client.post(f"/agents/connexion?next={EDITOR}", data={
        "csrf_token": csrf_token(refused), "identifiant": "admin.metropole", "password": PASSWORD, "texte-conserve": kept})
    assert back.status_code == 302 and back.headers["Location"] == f"{EDITOR}?reprendre=1"
    resumed = client.get(back.headers["Location"])
    assert "Nom du projet écrit pendant une heure" in resumed.get_data(as_text=True)
    assert "Votre texte est conservé ci-dessous. Il n'est pas publié." in page_text(resumed)
    assert served_text(services) == (specs_dir / "teleservices" / "quartier.yaml").read_text("utf-8")
    assert "écrit pendant une heure" not in served_text(services)  # nothing published


@pytest.mark.parametrize("logged_in", [True, False])
def test_a_text_posted_from_another_site_is_never_offered_as_the_agents(client, services, admin, logged_in):
    """A page of another site posting YAML to the editor: refused, nothing kept, the agent's session untouched."""
    if logged_in:
        staff_login(client, "admin.metropole")
    planted = served_text(services).replace("Intitulé du projet", "Texte planté")
    forged = client.post(EDITOR, headers={"Sec-Fetch-Site": "cross-site"}, data={"yaml": planted, "action": "verifier"})
    assert forged.status_code in (302, 400)
    assert "texte-conserve" not in forged.get_data(as_text=True) and "Set-Cookie" not in forged.headers
    if logged_in:
        assert "Texte planté" not in editor_page(client).get_data(as_text=True)
