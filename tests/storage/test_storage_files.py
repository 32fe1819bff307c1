"""The file store: written before referenced, safe names, no traversal, orphans swept."""
from __future__ import annotations

import errno
import hashlib
import io
import os
from datetime import timedelta

import pytest

from runtime.storage import durable, files
from runtime.storage.base import NotFound, StorageError
from runtime.storage.files import FileStore, FileTooLarge, referenced_file_ids, safe_filename


@pytest.fixture
def file_store(tmp_path):
    return FileStore(tmp_path / "uploads")


def make_old(path):
    os.utime(path, (1, 1))


def test_save_stores_the_bytes_under_a_random_name(file_store):
    content = b"%PDF-1.4 budget" * 10000
    meta = file_store.save(io.BytesIO(content), "Budget 2026.pdf", "application/pdf")
    assert meta["filename"] == "Budget 2026.pdf"
    assert meta["size"] == len(content)
    assert meta["content_type"] == "application/pdf"
    assert meta["sha256"] == hashlib.sha256(content).hexdigest()
    assert len(meta["file_id"]) == 32 and "Budget" not in meta["file_id"]
    assert file_store.path(meta["file_id"]) == file_store.root / meta["file_id"][:2] / meta["file_id"]
    with file_store.open(meta["file_id"]) as f:
        assert f.read() == content
    assert not list(file_store.root.rglob(".*"))


def test_two_saves_of_one_name_give_two_files(file_store):
    first = file_store.save(io.BytesIO(b"a"), "statuts.pdf", "application/pdf")
    second = file_store.save(io.BytesIO(b"b"), "statuts.pdf", "application/pdf")
    assert first["file_id"] != second["file_id"]


def test_the_file_is_written_to_a_temp_file_then_renamed(file_store, monkeypatch):
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(files.os, "replace", lambda a, b: renames.append((a, b)) or real_replace(a, b))
    meta = file_store.save(io.BytesIO(b"data"), "a.pdf", "application/pdf")
    [(source, target)] = renames
    assert source.parent == file_store.root and source.name.startswith(".upload.")
    assert target == file_store.path(meta["file_id"])


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(file_store):
    with pytest.raises(FileTooLarge, match=r"taille maximale autorisée \(1 Mo\)"):
        file_store.save(io.BytesIO(b"x" * (1024 * 1024 + 1)), "gros.pdf", "application/pdf", max_bytes=1024 * 1024)
    assert [p for p in file_store.root.rglob("*") if p.is_file()] == []
    assert file_store.save(io.BytesIO(b"x" * 1024 * 1024), "juste.pdf", "application/pdf", 1024 * 1024)["size"]


def test_a_full_disk_is_a_storage_error_and_leaves_nothing(file_store, monkeypatch):
    def no_space(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable.os, "write", no_space)
    with pytest.raises(StorageError, match="espace disque insuffisant"):
        file_store.save(io.BytesIO(b"data"), "a.pdf", "application/pdf")
    monkeypatch.undo()
    assert [p for p in file_store.root.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    "given, shown",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\marie\\Bilan 2025.xlsx", "Bilan 2025.xlsx"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("rapport\x00\x1b[31m.pdf", "rapport[31m.pdf"),
        ("  ..cache .pdf ", "cache .pdf"),
        ("Relevé\u200b d'identité\tbancaire.pdf", "Relevé d'identité bancaire.pdf"),
        ("", "fichier"),
        ("../", "fichier"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
        ("b" * 300, "b" * 120),
    ],
)
def test_display_names_are_sanitised(given, shown):
    assert safe_filename(given) == shown


@pytest.mark.parametrize(
    "file_id", ["../../../etc/passwd", "..", "", "A" * 31, "A" * 32 + "/x", "A" * 30 + "/.", None, "é" * 32]
)
def test_malformed_ids_are_refused(file_store, file_id):
    with pytest.raises(NotFound):
        file_store.path(file_id)
    with pytest.raises(NotFound):
        file_store.open(file_id)
    assert file_store.delete(file_id) is False


def test_delete(file_store):
    meta = file_store.save(io.BytesIO(b"data"), "a.pdf", "application/pdf")
    assert file_store.delete(meta["file_id"]) is True
    with pytest.raises(NotFound):
        file_store.open(meta["file_id"])
    assert file_store.delete(meta["file_id"]) is False


def test_sweep_removes_old_orphans_and_stale_temp_files_only(file_store):
    kept = file_store.save(io.BytesIO(b"kept"), "kept.pdf", "application/pdf")["file_id"]
    orphan = file_store.save(io.BytesIO(b"orphan"), "orphan.pdf", "application/pdf")["file_id"]
    recent = file_store.save(io.BytesIO(b"recent"), "recent.pdf", "application/pdf")["file_id"]
    stale_tmp = file_store.root / ".upload.0123456789abcdef.tmp"
    live_tmp = file_store.root / ".upload.fedcba9876543210.tmp"
    stale_tmp.write_bytes(b"half")
    live_tmp.write_bytes(b"writing")
    for path in (file_store.path(kept), file_store.path(orphan), stale_tmp):
        make_old(path)

    removed = file_store.sweep({kept}, older_than=timedelta(hours=24))

    assert removed == sorted([f"{orphan[:2]}/{orphan}", stale_tmp.name])
    assert file_store.open(kept).close() is None
    assert file_store.path(recent).is_file()
    assert live_tmp.exists() and not stale_tmp.exists()
    with pytest.raises(NotFound):
        file_store.path(orphan)


def test_referenced_ids_are_found_anywhere_in_any_partition(store):
    with store.transaction("tiers/abc") as part:
        part.table("demandes").insert({"answers": {"budget": {"file_id": "f1", "filename": "a.pdf"},
                                                   "pieces": [{"file_id": "f2"}, {"autre": 1}]}})
        part.table("messages").insert({"attachments": [{"file_id": "f3"}]})
    with store.transaction("drafts/acc1") as part:
        part.table("demandes").insert({"answers": {"statuts": {"file_id": "f4"}, "file_id_note": "x"}})
    assert referenced_file_ids(store) == {"f1", "f2", "f3", "f4"}


def test_uploads_are_fsynced_unless_the_suite_turns_it_off(tmp_path, monkeypatch):
    """Production fsyncs the file and its folder; STORE_FSYNC=False (test suites) skips both."""
    from runtime.storage import open_file_store

    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    durable_files = open_file_store({"DATA_DIR": str(tmp_path / "prod")}, store=None)
    durable_files.save(io.BytesIO(b"%PDF-1.4 devis"), "devis.pdf")
    assert len(calls) == 2  # the file, then its folder
    calls.clear()
    fast = open_file_store({"DATA_DIR": str(tmp_path / "suite"), "STORE_FSYNC": False}, store=None)
    meta = fast.save(io.BytesIO(b"%PDF-1.4 devis"), "devis.pdf")
    assert calls == []
    with fast.open(meta["file_id"]) as f:
        assert f.read() == b"%PDF-1.4 devis"
