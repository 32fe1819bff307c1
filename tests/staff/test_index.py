"""The staff listing's index: Tiers names after staff transitions, and ``portail index rebuild``."""
from __future__ import annotations

from click.testing import CliRunner

from runtime.cli import main as cli
from runtime.domain.demandes import index_summary
from runtime.storage.index import DemandeIndex
from tests.demandes.support import OTHER_SIRET, make_tiers
from tests.helpers import create_account
from tests.pg_support import SUITE_STORE
from tests.staff.support import demande_url, file_demande, make_app, post, staff_login


def nameless(services, demande):
    """Index the demande as a transmission that did not know the Tiers name."""
    spec = services.catalog.version(demande["version_key"])
    DemandeIndex(services.store).upsert(index_summary(demande, spec))


def found(services, text):
    rows, total = DemandeIndex(services.store).search({"text": text}, 1, 50)
    assert total == len(rows)
    return sorted(row["numero"] for row in rows)


def test_staff_transition_writes_the_tiers_name_to_the_index(client, services, admin, tiers):
    demande = file_demande(services, tiers)
    nameless(services, demande)
    assert found(services, "panier") == []
    staff_login(client, "admin.metropole")
    url = demande_url(demande)
    assert post(client, url + "/statut", {"target": "en_instruction"}, token_from=url).status_code == 302
    assert found(services, "panier") == [demande["numero"]]
    assert DemandeIndex(services.store).get(demande["id"])["statut"] == "en_instruction"


def test_listing_search_by_tiers_name_after_a_transition(client, services, admin, tiers):
    demande = file_demande(services, tiers)
    nameless(services, demande)
    staff_login(client, "admin.metropole")
    assert demande["numero"] not in client.get("/agents/demandes?q=amis+panier").get_data(as_text=True)
    url = demande_url(demande)
    post(client, url + "/statut", {"target": "en_instruction"}, token_from=url)
    assert demande["numero"] in client.get("/agents/demandes?q=amis+panier").get_data(as_text=True)


def test_cli_rebuilds_the_index_from_the_tiers_partitions(tmp_path, specs_dir, clock, monkeypatch):
    monkeypatch.setenv("PORTAIL_STORE", SUITE_STORE)  # the command and the app below: the suite's store
    monkeypatch.setenv("PORTAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAIL_SPECS_DIR", str(specs_dir))
    app = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    services = app.extensions["portail"]
    with app.app_context():
        first = make_tiers(services, create_account(services))
        second = make_tiers(services, create_account(services, "autre0001", "autre@exemple.fr"), OTHER_SIRET,
                            name="Patrimoine Vivant")
        kept = file_demande(services, first)
        accepted = file_demande(services, second, teleservice="patrimoine", answers={}, status="acceptee",
                                transmitted_at="2026-05-02T10:00:00+00:00")
        draft = file_demande(services, first, status="brouillon", numero="BROUILLON")  # wrongly indexed
        gone = file_demande(services, first, numero="SUPPRIMEE")
        for demande in (kept, accepted):
            nameless(services, demande)
        services.repos.demandes.remove(gone["partition"], gone["id"])
        index = DemandeIndex(services.store)
        assert index.get(gone["id"]) is not None

    result = CliRunner().invoke(cli, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Index reconstruit : 2 demande(s) transmise(s), 2 ligne(s) obsolète(s) retirée(s)."

    fresh = make_app(tmp_path / "data", clock, specs_dir, store=SUITE_STORE)
    services = fresh.extensions["portail"]
    with fresh.app_context():
        index = DemandeIndex(services.store)
        assert found(services, "amis du panier") == [kept["numero"]]
        assert found(services, "vivant") == [accepted["numero"]]
        assert index.get(gone["id"]) is None
        assert index.get(draft["id"]) is None
        assert index.get(accepted["id"])["statut"] == "acceptee"
        assert index.counts() == {"quartier": {"transmise": 1}, "patrimoine": {"acceptee": 1}}
        assert index.rebuild_counts() is False  # the counters match the rows
