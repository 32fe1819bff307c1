"""Spec management for staff: states, reload (also across workers), preview."""
from __future__ import annotations

import re
import time

from click.testing import CliRunner

from runtime.cli import main as cli
from runtime.spec import catalog as catalog_module
from runtime.spec.catalog import Catalog
from runtime.storage.memory import MemoryStore
from tests.helpers import csrf_token, page_text
from tests.pg_support import SUITE_STORE
from tests.staff.conftest import FAST_ARGON2
from tests.staff.support import create_staff, file_demande, make_app, staff_login

BROKEN = "id: quartier\nkind: teleservice\nversion: \"2\"\ntitle: [pas fermé\npages: []\n"


def reload_specs(client):
    return client.post("/agents/specs/recharger", data={"csrf_token": csrf_token(client.get("/agents/specs"))},
                       follow_redirects=True)


def quartier_file(specs_dir):
    return specs_dir / "teleservices" / "quartier.yaml"


def test_specs_page_lists_states_and_demandes_per_version(client, services, admin, tiers):
    file_demande(services, tiers)
    staff_login(client, "admin.metropole")
    text = page_text(client.get("/agents/specs"))
    assert "Aide aux projets de quartier" in text
    assert "teleservices/quartier.yaml" in text
    assert "Valide" in text
    assert "Ouvert" in text
    assert "version 1 : 1" in text  # the version as the spec names it, not its technical key
    assert "Recharger les specs" in text


def test_broken_spec_is_refused_and_previous_version_keeps_serving(client, services, admin, specs_dir):
    staff_login(client, "admin.metropole")
    serving = services.catalog.get("quartier").version_key
    quartier_file(specs_dir).write_text(BROKEN, encoding="utf-8")
    text = page_text(reload_specs(client))
    assert "Specs rechargées : 1 erreur(s). Les versions en erreur sont refusées, " \
           "la version précédente reste en service." in text
    assert re.search(r"quartier\.yaml:\d+:\d+: ", text)
    assert "En erreur" in text
    assert "La version précédente reste en service." in text
    assert services.catalog.get("quartier").version_key == serving


def test_valid_change_is_served_by_every_worker(tmp_path, clock, specs_dir, monkeypatch):
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 0.05)  # 1 s in production
    first = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    second = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    for app in (first, second):
        app.extensions["portail"].config.update(FAST_ARGON2)
    with first.app_context():
        create_staff(first.extensions["portail"], "admin.metropole", "administrateur", [])
    agent = first.test_client()
    staff_login(agent, "admin.metropole")
    source = quartier_file(specs_dir)
    source.write_text(source.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
                      .replace("Aide aux projets de quartier", "Aide aux initiatives de quartier"), encoding="utf-8")
    assert "Specs rechargées : toutes les specs sont valides." in page_text(reload_specs(agent))
    assert first.extensions["portail"].catalog.get("quartier").version == "2"

    time.sleep(0.1)  # the catalog checks for changes at most once an interval
    other = second.test_client()
    staff_login(other, "admin.metropole")
    assert "Aide aux initiatives de quartier" in page_text(other.get("/agents/specs"))
    assert second.extensions["portail"].catalog.get("quartier").version == "2"


def test_broken_spec_on_two_workers_keeps_the_old_version(tmp_path, clock, specs_dir, monkeypatch):
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 0.05)  # 1 s in production
    first = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    second = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    quartier_file(specs_dir).write_text(BROKEN, encoding="utf-8")
    with first.app_context():
        assert first.extensions["portail"].catalog.reload()
        first.extensions["portail"].catalog.bump_generation()
    time.sleep(0.1)
    second.test_client().get("/agents/connexion")
    for app in (first, second):
        catalog = app.extensions["portail"].catalog
        assert catalog.get("quartier").version == "1"
        assert any("quartier.yaml" in str(error) for error in catalog.errors)


def test_cli_reload_reports_errors_and_bumps_the_generation(tmp_path, specs_dir, monkeypatch):
    monkeypatch.setenv("PORTAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAIL_SPECS_DIR", str(specs_dir))
    runner = CliRunner()
    result = runner.invoke(cli, ["reload"])
    assert result.exit_code == 0, result.output
    assert "Specs rechargées" in result.output
    quartier_file(specs_dir).write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(cli, ["reload"])
    assert result.exit_code == 1
    assert "quartier.yaml:" in result.output
    assert "la précédente reste en service" in result.output


def test_cli_staff_add_prints_a_working_password(tmp_path, specs_dir, monkeypatch, clock):
    monkeypatch.setenv("PORTAIL_STORE", SUITE_STORE)  # the command and the app below: the suite's store
    monkeypatch.setenv("PORTAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAIL_SPECS_DIR", str(specs_dir))
    runner = CliRunner()
    result = runner.invoke(cli, ["staff", "add", "agent.quartier", "--email", "agent@ampmetropole.fr",
                                 "--role", "instructeur", "--teleservice", "quartier"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().rsplit(" ", 1)[-1]
    again = runner.invoke(cli, ["staff", "add", "agent.quartier", "--email", "x@ampmetropole.fr"])
    assert again.exit_code == 1
    assert "L'identifiant agent.quartier est déjà utilisé." in again.output
    unknown = runner.invoke(cli, ["staff", "add", "autre.agent", "--email", "y@ampmetropole.fr",
                                  "--teleservice", "inconnu"])
    assert "Téléservice inconnu : inconnu" in unknown.output
    app = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    client = app.test_client()
    assert staff_login(client, "agent.quartier", password).status_code == 302


def test_preview_walks_through_pages_without_saving(client, services, admin):
    staff_login(client, "admin.metropole")
    first = client.get("/agents/apercu/quartier/")
    assert first.status_code == 302
    page = client.get(first.headers["Location"])
    text = page_text(page)
    assert "aucune demande n'est enregistrée ni transmise" in text
    assert "Le projet" in text
    assert "étape 1 sur 4" in text  # the visible steps (a conditional step is not counted yet)
    checked = page_text(client.post("/agents/apercu/quartier/projet",
                                    data={"csrf_token": csrf_token(page), "intitule": ""}))
    assert "Renseignez le champ «\u00a0Intitulé du projet\u00a0»." in checked
    valid = page_text(client.post("/agents/apercu/quartier/projet",
                                  data={"csrf_token": csrf_token(page), "intitule": "Fête", "participants": "3",
                                        "partenaire": "false", "nav": "check"}))
    assert "Les réponses saisies sur cette étape sont valides." in valid
    assert 'value="Fête"' in valid
    assert list(services.store.partitions("tiers/")) == []
    assert list(services.store.partitions("drafts/")) == []
    assert list(services.store.partitions("demandes/")) == []
    assert client.get("/agents/apercu/quartier/inconnue").status_code == 404


def test_specs_page_never_shows_a_stale_list_after_a_reload_elsewhere(tmp_path, clock, specs_dir, monkeypatch):
    """Ordinary requests check once per interval; the specs page checks at once."""
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 3600)
    first = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    second = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    for app in (first, second):
        app.extensions["portail"].config.update(FAST_ARGON2)
    with first.app_context():
        create_staff(first.extensions["portail"], "admin.metropole", "administrateur", [])
    agent, other = first.test_client(), second.test_client()
    staff_login(agent, "admin.metropole")
    staff_login(other, "admin.metropole")
    source = quartier_file(specs_dir)
    source.write_text(source.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
                      .replace("Aide aux projets de quartier", "Aide aux initiatives de quartier"), encoding="utf-8")
    reload_specs(agent)
    other.get("/agents/demandes")  # an ordinary page: within the interval, no check
    assert second.extensions["portail"].catalog.get("quartier").version == "1"
    assert "Aide aux initiatives de quartier" in page_text(other.get("/agents/specs"))
    assert second.extensions["portail"].catalog.get("quartier").version == "2"


def test_forced_refresh_and_own_generation_bump(specs_dir, monkeypatch):
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 3600)
    store = MemoryStore()
    worker_a, worker_b = Catalog.load(specs_dir, store=store), Catalog.load(specs_dir, store=store)
    assert worker_a.refresh_if_changed(force=True) is False  # nothing changed
    worker_a.reload()
    worker_a.bump_generation()
    assert worker_a.refresh_if_changed(force=True) is False  # its own bump: already up to date
    assert worker_b.refresh_if_changed() is False  # within the interval
    assert worker_b.refresh_if_changed(force=True) is True


CROSS_FILE = """id: mauvais-prefill
kind: teleservice
version: 1
title: Pré-remplissage impossible
pages:
  - id: structure
    title: Structure
    fields:
      - id: nom
        type: text
        label: Nom
        prefill: tiers.nom_association
"""


def test_one_gate_for_reload_staff_page_preview_and_lint(client, services, admin, specs_dir):
    """A spec refused only against the rest of the catalogue (a Tiers field that does not exist) is
    refused by the reload, named on the staff page, never served nor previewed, and `portail lint`
    reports exactly the same errors."""
    from runtime.spec.lint import lint_paths

    staff_login(client, "admin.metropole")
    (specs_dir / "teleservices" / "mauvais-prefill.yaml").write_text(CROSS_FILE, encoding="utf-8")
    text = page_text(reload_specs(client))
    assert "mauvais-prefill.yaml:12:18: pré-remplissage « tiers.nom_association » : le formulaire de création " \
           "de tiers n'a pas de champ « nom_association »" in text
    assert services.catalog.get("mauvais-prefill") is None
    assert client.get("/agents/apercu/mauvais-prefill/").status_code == 404
    assert [str(e) for e in lint_paths([specs_dir])] == [str(e) for e in services.catalog.errors]
    single = lint_paths([specs_dir / "teleservices" / "mauvais-prefill.yaml"])  # one file, its catalogue around it
    assert [str(e) for e in single] == [str(e) for e in services.catalog.errors]
