"""The catalog: bad specs never take the portal down; versions stay readable."""
from __future__ import annotations

import logging
import shutil

import pytest

from runtime import ROOT
from runtime.spec import catalog as catalog_module
from runtime.spec.catalog import Catalog
from runtime.spec.lint import lint_paths
from runtime.storage.memory import MemoryStore

SPECS = ROOT / "specs"


@pytest.fixture
def specs_dir(tmp_path):
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    return target


@pytest.fixture
def store():
    return MemoryStore()


def rewrite(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_catalog(specs_dir, store):
    catalog = Catalog.load(specs_dir, store=store)
    assert catalog.errors == []
    assert [s.id for s in catalog.teleservices()] == ["investissement-communes", "patrimoine", "fonctionnement-associations"]
    assert catalog.tiers_creation.id == "creation-tiers"
    assert catalog.rattachement.id == "rattachement"
    assert catalog.get("patrimoine").number_prefix == "PATRIMOINE"
    assert catalog.get("inconnu") is None


def test_bad_file_is_logged_and_left_out(specs_dir, store, caplog):
    patrimoine = specs_dir / "teleservices" / "patrimoine.yaml"
    rewrite(patrimoine, "        required: true\n", "        requierd: true\n")
    with caplog.at_level(logging.ERROR, logger="portail.spec"):
        catalog = Catalog.load(specs_dir, store=store)
    assert catalog.get("patrimoine") is None
    assert catalog.get("fonctionnement-associations") is not None
    assert catalog.errors and all(e.source == str(patrimoine) for e in catalog.errors)
    assert str(catalog.errors[0]) in caplog.text
    assert "clé inconnue « requierd »" in caplog.text


def test_reload_keeps_previous_version_when_new_one_is_broken(specs_dir, store):
    catalog = Catalog.load(specs_dir, store=store)
    before = catalog.get("patrimoine")
    patrimoine = specs_dir / "teleservices" / "patrimoine.yaml"
    rewrite(patrimoine, "    type: yes_no", "    type: oui_non")
    errors = catalog.reload()
    assert errors[0].message.startswith("type de champ inconnu « oui_non »")
    assert catalog.get("patrimoine") is before
    state = next(s for s in catalog.states() if s.source == str(patrimoine))
    assert (state.spec_id, state.valid, state.serving_version_key) == ("patrimoine", False, before.version_key)
    assert state.errors == tuple(errors)

    rewrite(patrimoine, "    type: oui_non", "    type: yes_no")
    rewrite(patrimoine, 'version: "2026.1"', 'version: "2026.2"')
    assert catalog.reload() == []
    after = catalog.get("patrimoine")
    assert after.version == "2026.2" and after.version_key != before.version_key
    assert catalog.version(before.version_key).digest == before.digest


def test_version_snapshot_round_trip(specs_dir, store):
    first = Catalog.load(specs_dir, store=store).get("patrimoine")
    rewrite(specs_dir / "teleservices" / "patrimoine.yaml", "title: Soutien", "title: Nouveau soutien")
    fresh = Catalog.load(specs_dir, store=store)  # another process, later: the old file is gone
    assert fresh.get("patrimoine").title.startswith("Nouveau soutien")
    old = fresh.version(first.version_key)
    assert old is not None and old is fresh.version(first.version_key)  # cached
    assert (old.title, old.digest, old.text) == (first.title, first.digest, first.text)
    assert [p.id for p in old.pages] == [p.id for p in first.pages]
    doc = store.read("specs").table("versions").get(first.version_key)
    assert {k: doc[k] for k in ("spec_id", "version", "digest")} == {
        "spec_id": "patrimoine", "version": "2026.1", "digest": first.digest}
    assert doc["published_at"]
    assert fresh.version("patrimoine@0#000000000000") is None


def test_duplicate_id_across_files_keeps_the_first(specs_dir, store):
    shutil.copy(specs_dir / "teleservices" / "patrimoine.yaml", specs_dir / "teleservices" / "zz-copie.yaml")
    catalog = Catalog.load(specs_dir, store=store)
    assert catalog.get("patrimoine").source == str(specs_dir / "teleservices" / "patrimoine.yaml")
    copy = specs_dir / "teleservices" / "zz-copie.yaml"
    prefix_line = next(n for n, line in enumerate(copy.read_text(encoding="utf-8").splitlines(), start=1)
                       if line.startswith("number_prefix:"))
    assert [str(e) for e in catalog.errors] == [
        f"{copy}:2:1: identifiant « patrimoine » déjà utilisé par teleservices/patrimoine.yaml",
        (f"{copy}:{prefix_line}:16: préfixe de numéro « PATRIMOINE » déjà utilisé par teleservices/patrimoine.yaml : "
         "deux téléservices "
         "auraient les mêmes numéros de demande"),
    ]
    # the one gate: portail lint says exactly the same
    assert [str(e) for e in lint_paths([specs_dir])] == [str(e) for e in catalog.errors]


def test_refresh_if_changed_reloads_on_file_change(specs_dir, store, monkeypatch):
    catalog = Catalog.load(specs_dir, store=store)
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 0)
    assert catalog.refresh_if_changed() is False
    rewrite(specs_dir / "teleservices" / "patrimoine.yaml", "title: Soutien", "title: Aide")
    assert catalog.refresh_if_changed() is True
    assert catalog.get("patrimoine").title.startswith("Aide")
    assert catalog.refresh_if_changed() is False


def test_refresh_checks_at_most_once_per_interval(specs_dir, store, monkeypatch):
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 3600)
    catalog = Catalog.load(specs_dir, store=store)
    rewrite(specs_dir / "teleservices" / "patrimoine.yaml", "title: Soutien", "title: Aide")
    assert catalog.refresh_if_changed() is False  # just loaded: the change waits for the next check
    assert catalog.get("patrimoine").title.startswith("Soutien")


def test_generation_bump_reloads_other_workers(specs_dir, store, monkeypatch):
    worker_a = Catalog.load(specs_dir, store=store)
    worker_b = Catalog.load(specs_dir, store=store)
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 0)
    reloads = []
    monkeypatch.setattr(worker_b, "reload", lambda: reloads.append(1) or [])
    assert worker_b.refresh_if_changed() is False
    worker_a.bump_generation()
    assert worker_b.refresh_if_changed() is True
    assert reloads == [1]


def test_app_catalog(services):
    assert services.catalog.get("patrimoine").title == "Soutien à la restauration et à la valorisation du patrimoine"
    assert services.catalog.errors == []


def test_shared_list_is_versioned_with_the_specs_using_it(specs_dir, store):
    """A demande filed before a list changed renders with the list of its version."""
    catalog = Catalog.load(specs_dir, store=store)
    before = catalog.get("patrimoine")
    assert dict(before.lists)["communes"].count("value:") == 92
    assert before.field("commune_edifice").choices[0].label == "Aix-en-Provence"
    rewrite(specs_dir / "listes" / "communes.yaml", 'label: "Aix-en-Provence"', 'label: "Aix"')
    catalog.reload()
    after = catalog.get("patrimoine")
    assert after.version_key != before.version_key  # same spec text, new list: a new version
    assert after.field("commune_edifice").choices[0].label == "Aix"
    assert catalog.get("investissement-communes").version_key == Catalog.load(SPECS).get(
        "investissement-communes").version_key  # a spec not using the list keeps its version
    fresh = Catalog.load(specs_dir, store=store)  # another process: rebuilt from the stored snapshot
    old = fresh.version(before.version_key)
    assert old.field("commune_edifice").choices[0].label == "Aix-en-Provence"


def test_unknown_shared_list_is_refused_at_the_reference(specs_dir, store):
    rewrite(specs_dir / "teleservices" / "patrimoine.yaml", "options_from: communes", "options_from: commune")
    catalog = Catalog.load(specs_dir, store=store)
    assert catalog.get("patrimoine") is None
    [error] = catalog.errors
    assert error.message == ("liste partagée inconnue « commune » (listes disponibles : communes, "
                             "domaines-intervention)")
    line = specs_dir.joinpath("teleservices", "patrimoine.yaml").read_text(encoding="utf-8").splitlines()[error.line - 1]
    assert line[error.column - 1:].startswith("options_from: commune")


def test_servers_sharing_postgresql_serve_what_portail_reload_published(tmp_path, pg_store, monkeypatch):
    """Two machines, two spec folders: B serves A's new version within a check, not its own files."""
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(SPECS, folder_a)
    shutil.copytree(SPECS, folder_b)
    server_a = Catalog.load(folder_a, store=pg_store)
    server_b = Catalog.load(folder_b, store=pg_store)
    monkeypatch.setattr(catalog_module, "REFRESH_INTERVAL", 0)
    rewrite(folder_b / "teleservices" / "patrimoine.yaml", "title: Soutien", "title: Local à B")
    assert server_b.refresh_if_changed() is False  # its own files are not published
    assert server_b.get("patrimoine").title.startswith("Soutien")

    rewrite(folder_a / "teleservices" / "patrimoine.yaml", "title: Soutien", "title: Nouveau")
    assert server_a.reload() == []  # what « portail reload » does on A
    server_a.bump_generation()
    assert server_b.refresh_if_changed() is True
    served = server_b.get("patrimoine")
    assert served.title.startswith("Nouveau") and served.version_key == server_a.get("patrimoine").version_key
    assert server_a.refresh_if_changed() is False  # its own bump

    restarted = Catalog.load(folder_b, store=pg_store)  # a server that starts adopts the published versions
    assert restarted.get("patrimoine").title.startswith("Nouveau")
