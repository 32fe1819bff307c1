"""TinyDB backend: file layout, atomic writes, corruption and full-disk handling."""
from __future__ import annotations

import errno
import json
import logging
import os

import pytest
from tinydb import TinyDB

from runtime.storage import durable
from runtime.storage.base import CorruptPartition, StorageError
from runtime.storage.tinydb_store import TinyDBStore

DISK_FULL = (
    "Enregistrement impossible : espace disque insuffisant sur le serveur. "
    "Vos données précédentes sont intactes ; réessayez plus tard."
)


def save(store, partition, doc):
    with store.transaction(partition) as part:
        return part.table("demandes").insert(doc)


def leftovers(root):
    return sorted(p.name for p in root.rglob(".*"))


def test_one_plain_tinydb_file_per_partition_keyed_by_our_ids(tinydb_store):
    doc_id = save(tinydb_store, "tiers/abc", {"statut": "brouillon"})
    path = tinydb_store.root / "tiers" / "abc.json"
    with TinyDB(path, access_mode="r") as db:
        assert db.table("demandes").get(doc_id=doc_id) == {"id": doc_id, "statut": "brouillon"}
    assert json.loads(path.read_text()) == {"demandes": {doc_id: {"statut": "brouillon", "id": doc_id}}}


def test_the_previous_version_is_kept_as_bak(tinydb_store):
    save(tinydb_store, "accounts", {"id": "v1"})
    save(tinydb_store, "accounts", {"id": "v2"})
    bak = tinydb_store.root / "accounts.json.bak"
    assert set(json.loads(bak.read_text())["demandes"]) == {"v1"}
    assert set(json.loads((tinydb_store.root / "accounts.json").read_text())["demandes"]) == {"v1", "v2"}


def test_no_write_when_nothing_changed(tinydb_store):
    doc_id = save(tinydb_store, "tiers/abc", {"n": 1})
    path = tinydb_store.root / "tiers" / "abc.json"
    before = os.stat(path).st_ino
    with tinydb_store.transaction("tiers/abc") as part:
        part.table("demandes").get(doc_id)
        part.table("demandes").update(doc_id, {"n": 1})  # same value: same bytes
    assert os.stat(path).st_ino == before


def test_each_transaction_reads_what_another_process_wrote(tmp_path):
    worker_a, worker_b = TinyDBStore(tmp_path), TinyDBStore(tmp_path)
    save(worker_a, "throttle", {"id": "c", "n": 1})
    with worker_b.transaction("throttle") as part:
        part.table("demandes").update("c", {"n": part.table("demandes").get("c")["n"] + 1})
    with worker_a.transaction("throttle") as part:
        assert part.table("demandes").get("c")["n"] == 2


@pytest.mark.parametrize(
    "content, detail",
    [(b"", "fichier vide"), (b"  \n", "fichier vide"), (b'{"demandes": {"a": ', "JSON invalide"),
     (b"[1, 2]", "structure inattendue"), (b'{"demandes": {"a": 3}}', "structure inattendue")],
)
def test_a_corrupt_partition_is_refused_not_overwritten_and_reported(tinydb_store, content, detail):
    save(tinydb_store, "tiers/good", {"n": 1})
    path = tinydb_store.root / "tiers" / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CorruptPartition, match=detail) as raised:
        tinydb_store.read("tiers/bad")
    assert str(path) in str(raised.value)
    with pytest.raises(CorruptPartition), tinydb_store.transaction("tiers/bad") as part:
        part.table("demandes").insert({"n": 1})
    assert path.read_bytes() == content
    problems = tinydb_store.check()
    assert [(p.partition, p.path) for p in problems] == [("tiers/bad", str(path))]
    save(tinydb_store, "tiers/good", {"n": 2})
    assert len(tinydb_store.read("tiers/good").table("demandes").all()) == 2


def test_start_up_reads_no_partition_and_the_damaged_one_is_refused_when_read(tmp_path, caplog):
    """Issue 11: a worker starts without parsing every partition; the damage is
    found when the partition is read (or by `portail storage check`)."""
    from runtime.app import _build_services
    from runtime.config import load_config

    db = tmp_path / "data" / "db"
    (db / "tiers").mkdir(parents=True)
    (db / "tiers" / "broken.json").write_text("{")
    with caplog.at_level(logging.ERROR, logger="portail"):
        services = _build_services(load_config({"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x", "STORE": "tinydb",
                                                "CAPTCHA_BACKEND": "test"}))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with pytest.raises(CorruptPartition):
        services.store.read("tiers/broken")
    assert (db / "tiers" / "broken.json").read_text() == "{"


def test_background_check_at_start_logs_each_corrupt_partition_by_file_name(tmp_path, caplog):
    from runtime.app import log_damaged_partitions
    from runtime.storage.cache import CachedStore

    db = tmp_path / "data" / "db"
    (db / "tiers").mkdir(parents=True)
    (db / "tiers" / "broken.json").write_text("{")
    with caplog.at_level(logging.ERROR, logger="portail"):
        log_damaged_partitions(CachedStore(TinyDBStore(db)))  # what STORE_CHECK_AT_START=background runs
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(str(db / "tiers" / "broken.json") in message and "illisible" in message for message in errors)
    assert (db / "tiers" / "broken.json").read_text() == "{"


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_full_disk_keeps_the_previous_data_and_leaves_no_temp_file(tinydb_store, monkeypatch, failing):
    save(tinydb_store, "tiers/abc", {"id": "kept"})
    path = tinydb_store.root / "tiers" / "abc.json"
    before = path.read_bytes()

    def no_space(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable.os, failing, no_space)
    with pytest.raises(StorageError) as raised:
        save(tinydb_store, "tiers/abc", {"id": "lost", "payload": "x" * 1000})
    assert str(raised.value) == DISK_FULL
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(tinydb_store.root) == []
    save(tinydb_store, "tiers/abc", {"id": "later"})  # works again once space is back
    assert {d["id"] for d in tinydb_store.read("tiers/abc").table("demandes").all()} == {"kept", "later"}


def test_an_io_error_gives_the_generic_french_message(tinydb_store, monkeypatch):
    def io_error(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(durable.os, "fsync", io_error)
    with pytest.raises(StorageError, match="erreur d'écriture sur le serveur"):
        save(tinydb_store, "accounts", {"n": 1})
    monkeypatch.undo()
    assert list(tinydb_store.partitions()) == []
    assert leftovers(tinydb_store.root) == []


def test_stale_temp_files_are_found_only_when_old(tinydb_store):
    old = tinydb_store.root / ".accounts.json.0123456789ab.tmp"
    fresh = tinydb_store.root / ".accounts.json.ba9876543210.tmp"
    old.write_text("{")
    fresh.write_text("{")
    os.utime(old, (1, 1))
    assert list(durable.stale_temp_files(tinydb_store.root, 3600)) == [old]
    assert list(tinydb_store.partitions()) == []


def test_fsync_can_be_turned_off_for_test_suites_only(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(durable.os, "fsync", lambda fd: calls.append(fd))
    save(TinyDBStore(tmp_path / "fast", fsync=False), "accounts", {"n": 1})
    assert calls == []
    save(TinyDBStore(tmp_path / "durable"), "accounts", {"n": 1})
    assert len(calls) == 2  # the temp file, then its folder


def test_derived_partitions_are_written_without_fsync(tmp_path, monkeypatch):
    """The text index (rebuilt by `portail index rebuild`) skips the two fsyncs of a write."""
    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    store = TinyDBStore(tmp_path / "db", derived=("index/_text/",))
    save(store, "index/_text/abc", {"n": 1})
    assert calls == []
    save(store, "tiers/abc", {"n": 1})
    assert calls


def test_documents_round_trip_as_json_and_what_json_refuses_is_refused(tinydb_store):
    """The partition files are written by orjson, as strictly as json: French text, nested
    tables and int keys come back as json would read them; a datetime is refused, not converted."""
    from datetime import datetime

    doc = {"id": "d1", "titre": "Réfection de l'église « Saint-Zacharie »", "lignes": [{"montant": "12.5"}],
           "etats": {1: "complète"}}
    save(tinydb_store, "tiers/abc", doc)
    assert tinydb_store.read("tiers/abc").table("demandes").get("d1") == {**doc, "etats": {"1": "complète"}}
    assert json.loads((tinydb_store.root / "tiers" / "abc.json").read_bytes())["demandes"]["d1"]["titre"] == doc["titre"]
    with pytest.raises(TypeError):
        save(tinydb_store, "tiers/abc", {"id": "d2", "at": datetime(2026, 11, 28)})
    assert tinydb_store.read("tiers/abc").table("demandes").get("d2") is None
