"""``portail storage check`` and ``portail files sweep``."""
from __future__ import annotations

import io
import os

import pytest
from click.testing import CliRunner

from runtime.cli import main
from runtime.storage.files import FileStore
from runtime.storage.index import DemandeIndex
from runtime.storage.tinydb_store import TinyDBStore


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAIL_DATA", str(tmp_path))
    monkeypatch.setenv("PORTAIL_STORE", "tinydb")  # these commands are checked on TinyDB files
    monkeypatch.setenv("PORTAIL_SECRET_KEY", "test")
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_check_names_each_corrupt_partition_and_fails(data_dir):
    (data_dir / "db" / "tiers").mkdir(parents=True)
    (data_dir / "db" / "tiers" / "bad.json").write_text("")
    result = run("storage", "check")
    assert result.exit_code == 1
    assert str(data_dir / "db" / "tiers" / "bad.json") in result.output
    assert ".bak" in result.output


def test_check_cleans_stale_temp_files_and_recounts_the_index(data_dir):
    store = TinyDBStore(data_dir / "db")
    DemandeIndex(store).upsert({"id": "d1", "teleservice": "sport", "statut": "transmise",
                                "transmitted_at": "2026-03-01T10:00:00+00:00"})
    with store.transaction("index/_counts") as part:
        part.table("shards").update("sport/2026-03", {"total": 3, "statuts": {"transmise": 3}})
    stale = data_dir / "db" / ".accounts.json.0123456789ab.tmp"
    stale.write_text("{")
    os.utime(stale, (1, 1))
    result = run("storage", "check")
    assert result.exit_code == 0, result.output
    assert "Fichier temporaire abandonné supprimé" in result.output
    assert "Compteurs de l'index des demandes recalculés." in result.output
    assert not stale.exists()
    assert DemandeIndex(store).counts() == {"sport": {"transmise": 1}}


def test_sweep_keeps_referenced_files_and_removes_old_orphans(data_dir):
    files = FileStore(data_dir / "uploads")
    kept = files.save(io.BytesIO(b"a"), "a.pdf", "application/pdf")
    orphan = files.save(io.BytesIO(b"b"), "b.pdf", "application/pdf")
    for meta in (kept, orphan):
        os.utime(files.path(meta["file_id"]), (1, 1))
    with TinyDBStore(data_dir / "db").transaction("tiers/abc") as part:
        part.table("demandes").insert({"answers": {"budget": kept}})
    result = run("files", "sweep")
    assert result.exit_code == 0, result.output
    assert "1 fichier(s) supprimé(s)." in result.output
    assert files.path(kept["file_id"]).is_file()
    assert not (files.root / orphan["file_id"][:2] / orphan["file_id"]).exists()


def test_sweep_is_refused_while_a_partition_is_unreadable(data_dir):
    files = FileStore(data_dir / "uploads")
    meta = files.save(io.BytesIO(b"a"), "a.pdf", "application/pdf")
    os.utime(files.path(meta["file_id"]), (1, 1))
    (data_dir / "db").mkdir()
    (data_dir / "db" / "accounts.json").write_text("{oops")
    result = run("files", "sweep")
    assert result.exit_code == 1
    assert "Nettoyage refusé" in result.output and "accounts.json" in result.output
    assert files.path(meta["file_id"]).is_file()
