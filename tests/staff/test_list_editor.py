"""Shared lists edited in the browser: opened by administrateurs, checked through the one gate with
the téléservices that use them, which téléservices use them, published with the diff and a reason
(each téléservice using the list gets a new version), history with diffs, revert."""
from __future__ import annotations

import shutil

import pytest

from runtime import ROOT
from tests.helpers import csrf_token, page_text
from tests.staff.support import staff_login

LIST = "/agents/listes/communes"
QUARTIER_COMMUNE = """      - id: commune
        type: choice
        widget: select
        label: Commune du projet
        options_from: communes
      - id: quartier_marseille
        type: text
        label: Quartier de Marseille
        when:
          field: commune
          equals: "13055"
"""


@pytest.fixture
def specs_dir(specs_dir):
    """The staff specs plus their own copy of the portal's lists; « quartier » offers the communes."""
    shutil.copytree(ROOT / "specs" / "listes", specs_dir / "listes")
    path = specs_dir / "teleservices" / "quartier.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      - id: partenaire\n", QUARTIER_COMMUNE + "      - id: partenaire\n", 1),
                    encoding="utf-8")
    return specs_dir


def served_list_text(specs_dir):
    return (specs_dir / "listes" / "communes.yaml").read_text(encoding="utf-8")


def test_lists_are_listed_and_opened_by_administrateurs_only(client, services, admin, instructeur):
    staff_login(client, "instructeur.quartier")
    assert client.get(LIST).status_code == 403
    staff_login(client, "admin.metropole")
    specs = page_text(client.get("/agents/specs"))
    assert "listes partagées (specs/listes)" in specs and f'href="{LIST}"' in specs
    page = page_text(client.get(LIST))
    assert "Modifier la liste « Communes de la Métropole Aix-Marseille-Provence »" in page
    assert "Aide aux projets de quartier" in page and "Commune du projet" in page  # who uses it, where
    assert "Soutien à la restauration" in page  # patrimoine: « Commune de l'édifice »
    assert client.get("/agents/listes/inconnue").status_code == 404
    assert client.get("/agents/listes/schema.json").get_json()["properties"]["insee_departments"]


def test_check_reports_the_lists_errors_and_those_it_causes_in_a_teleservice(client, services, admin, specs_dir):
    staff_login(client, "admin.metropole")
    token = csrf_token(client.get(LIST))
    text = served_list_text(specs_dir)
    bad = text.replace('{value: "13001", label: "Aix-en-Provence"}', '{value: "1300", label: "Aix-en-Provence"}')
    response = client.post(LIST, data={"csrf_token": token, "yaml": bad, "action": "verifier"})
    assert response.status_code == 400
    line = bad.splitlines().index('  - {value: "1300", label: "Aix-en-Provence"}') + 1
    assert f"Ligne {line}, colonne 5 : « 1300 » n'est pas un code INSEE de commune" in page_text(response)
    assert f'<a href="#yaml" data-line="{line}" data-column="5">Ligne {line}' in page_text(response)  # the summary
    without_marseille = "\n".join(row for row in text.splitlines() if '"13055"' not in row) + "\n"
    live = client.post(f"{LIST}/verifier.json", data={"yaml": without_marseille}, headers={"X-CSRFToken": token})
    [error] = live.get_json()["errors"]
    assert error["line"] == 3 and error["message"].startswith(
        "le téléservice « Aide aux projets de quartier » (teleservices/quartier.yaml, ligne ")
    assert "13055" in error["message"]
    renamed = client.post(f"{LIST}/verifier.json", data={"yaml": text.replace("id: communes", "id: villes")},
                          headers={"X-CSRFToken": token})
    assert "l'identifiant d'une liste en service ne change pas" in renamed.get_json()["errors"][0]["message"]
    assert served_list_text(specs_dir) == text  # nothing written


def test_publish_shows_the_diff_asks_a_reason_and_versions_the_teleservices(client, services, admin, specs_dir):
    staff_login(client, "admin.metropole")
    before = services.catalog.get("quartier")
    text = served_list_text(specs_dir).replace('label: "Allauch"', 'label: "Allauch (commune)"')
    token = csrf_token(client.get(LIST))
    shown = page_text(client.post(LIST, data={"csrf_token": token, "yaml": text, "action": "publier"}))
    assert "Différences avec la liste en service" in shown and '+  - {value: "13002", label: "Allauch (commune)"}' in shown
    assert "1 renommé" in shown and "Allauch → Allauch (commune)" in shown
    no_reason = client.post(LIST, data={"csrf_token": token, "yaml": text, "action": "confirmer", "raison": ""})
    assert no_reason.status_code == 400 and "Indiquez en quelques mots la raison" in page_text(no_reason)
    done = client.post(LIST, data={"csrf_token": token, "yaml": text, "action": "confirmer",
                                   "raison": "Libellé demandé par la commune"})
    assert done.status_code == 302, page_text(done)
    assert served_list_text(specs_dir) == text
    after = services.catalog.get("quartier")
    assert after.version_key != before.version_key  # same spec text, new list: a new version
    assert after.field("commune").choices[1].label == "Allauch (commune)"
    assert services.catalog.version(before.version_key).field("commune").choices[1].label == "Allauch"
    history = page_text(client.get(done.headers["Location"]))
    assert "La liste est publiée" in history and "Libellé demandé par la commune" in history
    assert "Version 2" in history and "Fichier mis en service" in history  # the text before, kept

    # Revert: the old text published as a new version, with a reason.
    [first] = [v for v in services.store.read("specs").table("list_versions").find(list_id="communes")
               if not v["reason"]]
    refused = client.post(f"{LIST}/revenir", data={"csrf_token": token, "version": first["id"], "raison": ""})
    assert refused.status_code == 400
    assert 'class="govuk-error-message"' in page_text(refused)  # beside the reason of that version
    back = client.post(f"{LIST}/revenir", data={"csrf_token": token, "version": first["id"], "raison": "Retour"})
    assert back.status_code == 302
    assert 'label: "Allauch"}' in served_list_text(specs_dir)
    assert "Version 3" in page_text(client.get(back.headers["Location"]))


def test_lists_of_the_portal_are_not_written_from_a_folder_without_listes(client, services, admin, tmp_path):
    """A specs folder without listes/ serves the portal's lists: publishing one is refused, nothing written."""
    from runtime.domain import list_editor
    from runtime.domain.spec_editor import EditorError

    shutil.rmtree(services.catalog.specs_dir / "listes")
    services.catalog.reload()
    portal = (ROOT / "specs" / "listes" / "communes.yaml").read_text(encoding="utf-8")
    with pytest.raises(EditorError, match="n'a pas de dossier listes/"):
        list_editor.publish_list(services.catalog, "communes", portal.replace("Allauch", "Allauch2"), "essai",
                                 {"id": "x"}, "2026-01-01T00:00:00")
    assert (ROOT / "specs" / "listes" / "communes.yaml").read_text(encoding="utf-8") == portal
