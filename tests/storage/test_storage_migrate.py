"""``portail migrate --from tinydb:PATH --to postgresql://…``: everything copied, verified,
idempotent and resumable; refused on a corrupt partition."""
from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from runtime.cli import main
from runtime.storage.files import FileStore
from runtime.storage.index import DemandeIndex
from runtime.storage.pg_files import PgFileStore
from runtime.storage.tinydb_store import TinyDBStore


@pytest.fixture
def tinydb_data(tmp_path):
    store, files = TinyDBStore(tmp_path / "db"), FileStore(tmp_path / "uploads")
    piece = files.save(io.BytesIO(b"%PDF-1.4 devis" * 1000), "devis.pdf", "application/pdf")
    for n in range(30):
        with store.transaction(f"tiers/t{n:02d}") as part:
            part.table("tiers").insert({"id": f"t{n:02d}", "siret": f"{n:014d}", "raison_sociale": f"Asso {n}"})
            for k in range(3):
                part.table("demandes").insert({"id": f"d{n:02d}{k}", "numero": f"SUB-2026-{n * 3 + k:06d}",
                                               "answers": {"devis": piece, "montant": n * 1.5, "nom": "Élodie"}})
    with store.transaction("accounts") as part:
        part.table("accounts").insert({"id": "a1", "email": "a@exemple.fr"})
        # a draft keeps U+0000 as typed (jsonb refuses it: the store escapes it) and any key order
        part.table("accounts").insert({"id": "a2", "nom": "Zoé\x00", "b": 1, "a": [2.5, None]})
    index = DemandeIndex(store)
    for n in range(10):
        index.upsert({"id": f"d{n:02d}0", "numero": f"SUB-2026-{n * 3:06d}", "teleservice": "sport",
                      "statut": "transmise", "transmitted_at": f"2026-03-{n + 1:02d}T10:00:00+00:00",
                      "tiers_name": f"Asso {n}"})
    return tmp_path, store, piece


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_everything_is_copied_verified_and_a_second_run_copies_only_what_changed(tinydb_data, pg_url, pg_store):
    path, source, piece = tinydb_data
    result = run("migrate", "--from", f"tinydb:{path}", "--to", pg_url)
    assert result.exit_code == 0, result.output
    assert "31 partition(s), 122 document(s) : 31 copiée(s), 0 déjà à jour ; 10 ligne(s) d'index" in result.output
    assert "1 fichier(s) dont 1 copié(s)" in result.output
    assert "Vérification : 31 partition(s) identiques" in result.output
    # the index shards become SQL rows: every other partition is there
    assert list(pg_store.partitions()) == [p for p in source.partitions() if not p.startswith("index/")]
    assert pg_store.read("tiers/t07").table("demandes").all() == source.read("tiers/t07").table("demandes").all()
    rows, total = DemandeIndex(pg_store).search({"teleservice": "sport", "statut": "transmise"})
    assert total == 10 and rows[0]["id"] == "d090"
    assert PgFileStore(pg_store).open(piece["file_id"]).read() == b"%PDF-1.4 devis" * 1000
    assert pg_store.read("accounts").table("accounts").get("a2") == {"id": "a2", "nom": "Zoé\x00", "b": 1,
                                                                     "a": [2.5, None]}

    with source.transaction("tiers/t03") as part:  # the portal kept running: one partition changed
        part.table("demandes").update("d030", {"answers": {"nom": "changé"}})
    again = run("migrate", "--from", f"tinydb:{path}", "--to", pg_url)
    assert again.exit_code == 0, again.output
    assert "1 copiée(s), 30 déjà à jour" in again.output and "dont 0 copié(s)" in again.output
    assert pg_store.read("tiers/t03").table("demandes").get("d030")["answers"] == {"nom": "changé"}


def test_a_corrupt_partition_refuses_the_migration(tinydb_data, pg_url, pg_store):
    path, _, _ = tinydb_data
    (path / "db" / "tiers" / "t05.json").write_text("{tronqué")
    result = run("migrate", "--from", f"tinydb:{path}", "--to", pg_url)
    assert result.exit_code == 1
    assert "Partition illisible" in result.output and "t05.json" in result.output
    assert "Migration refusée" in result.output
    assert list(pg_store.partitions()) == []


def test_bad_arguments_are_explained(tmp_path):
    assert "tinydb:DOSSIER" in run("migrate", "--from", str(tmp_path), "--to", "postgresql://x/y").output
    assert "postgresql://" in run("migrate", "--from", f"tinydb:{tmp_path}", "--to", "mysql://x").output
