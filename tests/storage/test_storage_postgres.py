"""What only the PostgreSQL backend has: schema check, unique constraints, chunked
files, lost connections, several processes and killed writers."""
from __future__ import annotations

import hashlib
import io
import random
import threading
import time
from datetime import timedelta

import pytest

from runtime.storage.base import NotFound, StorageError
from runtime.storage.files import FileTooLarge
from runtime.storage.pg_schema import SchemaOutdated, require_current
from tests.storage.test_storage_faults import Writer


def test_the_portal_refuses_an_outdated_schema_naming_the_command(pg_store):
    with pg_store.sql_transaction() as conn:  # as if 0003 had not been applied (restored exactly after)
        saved = conn.execute("DELETE FROM _yoyo_migration WHERE migration_id = '0003.settings' "
                             "RETURNING migration_hash, migration_id, applied_at_utc").fetchone()
    try:
        with pg_store.connection() as conn, pytest.raises(SchemaOutdated) as raised:
            require_current(conn)
        assert "portail db upgrade" in str(raised.value) and "0003.settings" in str(raised.value)
    finally:
        with pg_store.sql_transaction() as conn:
            conn.execute("INSERT INTO _yoyo_migration (migration_hash, migration_id, applied_at_utc) "
                         "VALUES (%s, %s, %s)", saved)


def test_a_demande_may_sit_in_two_partitions_while_it_moves(pg_store):
    # numbers are unique in the staff index (see test_storage_index), not among documents
    for partition in ("drafts/a1", "tiers/t1"):
        with pg_store.transaction(partition) as part:
            part.table("demandes").insert({"id": "d1", "numero": "SUB-2026-000001"})
    assert list(pg_store.partitions()) == ["drafts/a1", "tiers/t1"]


def test_a_siret_belongs_to_one_tiers(pg_store):
    with pg_store.transaction("tiers/a") as part:
        part.table("tiers").insert({"id": "a", "siret": "35600000000048"})
    with pytest.raises(StorageError), pg_store.transaction("tiers/b") as part:
        part.table("tiers").insert({"id": "b", "siret": "35600000000048"})


def test_connections_killed_by_the_server_are_replaced(pg_store):
    with pg_store.transaction("tiers/a") as part:
        part.table("demandes").insert({"id": "d1", "n": 1})
    with pg_store.sql_transaction() as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with pg_store.transaction("tiers/a") as part:  # the dead pooled connection is replaced
        part.table("demandes").update("d1", {"n": 2})
    assert pg_store.read("tiers/a").table("demandes").get("d1")["n"] == 2


def test_dead_pooled_connections_are_replaced_without_waiting(pg_store, monkeypatch):
    """The server dropped every idle connection (restart, pg_terminate_backend): the next
    transaction discards them and opens a new one at once. The pool's own check slept a
    growing backoff after each dead one (1 s, 2 s, 4 s...): a request waited 7 to 30 s."""
    import psycopg
    import psycopg_pool.pool

    def work():
        with pg_store.transaction("tiers/a") as part, pg_store.transaction("outbox/1") as hint:
            part.table("demandes").all()
            hint.table("hints").all()
            list(pg_store.partitions("tiers/"))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pg_store.pool.get_stats()["pool_available"] >= 3
    with psycopg.connect(pg_store.url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    naps = []
    monkeypatch.setattr(psycopg_pool.pool, "sleep", naps.append)
    with pg_store.transaction("tiers/a") as part:
        part.table("demandes").insert({"id": "d2"})
    assert pg_store.read("tiers/a").table("demandes").get("d2") is not None
    assert naps == []


def test_the_shared_secret_key_is_drawn_once(pg_store):
    first = pg_store.shared_secret_key()
    assert len(first) == 64 and pg_store.shared_secret_key() == first


# -- files -------------------------------------------------------------------

@pytest.fixture
def pg_files(pg_store):
    from runtime.storage.pg_files import PgFileStore

    return PgFileStore(pg_store)


class CountingStream(io.RawIOBase):
    """A 3 MB upload produced on the fly, that records its largest read."""

    def __init__(self, size):
        self.left, self.rng, self.largest = size, random.Random(1), 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.left, 100_000)
        buffer[:count] = self.rng.randbytes(count)
        self.left -= count
        self.largest = max(self.largest, count)
        return count


def test_a_file_is_stored_in_chunks_and_read_back_in_blocks(pg_files, pg_store):
    stream = CountingStream(3_000_000)
    meta = pg_files.save(stream, "../../rapport\u202efdp.exe", "application/pdf")
    assert meta["size"] == 3_000_000 and meta["filename"] == "rapportfdp.exe"
    chunks = pg_store.query("SELECT count(*), max(length(data)) FROM portail_file_chunks WHERE file_id = %s",
                            (meta["file_id"],))[0]
    assert chunks == (12, 256 * 1024)
    digest, reader = hashlib.sha256(), pg_files.open(meta["file_id"])
    while block := reader.read(8192):
        digest.update(block)
    assert digest.hexdigest() == meta["sha256"]
    assert pg_files.exists(meta["file_id"]) and pg_files.delete(meta["file_id"])
    assert not pg_files.exists(meta["file_id"])
    assert pg_store.query("SELECT count(*) FROM portail_file_chunks")[0][0] == 0


def test_a_file_over_the_limit_leaves_nothing(pg_files, pg_store):
    with pytest.raises(FileTooLarge):
        pg_files.save(io.BytesIO(b"x" * 600_000), "gros.pdf", "application/pdf", max_bytes=500_000)
    assert pg_store.query("SELECT count(*) FROM portail_files")[0][0] == 0


@pytest.mark.parametrize("file_id", ["../../etc/passwd", "x" * 31, "", None])
def test_malformed_or_unknown_ids_are_not_found(pg_files, file_id):
    with pytest.raises(NotFound):
        pg_files.open(file_id)
    assert pg_files.delete(file_id) is False


def test_sweep_removes_old_orphans_only(pg_files, pg_store):
    kept = pg_files.save(io.BytesIO(b"a"), "a.pdf", "application/pdf")["file_id"]
    orphan = pg_files.save(io.BytesIO(b"b"), "b.pdf", "application/pdf")["file_id"]
    assert pg_files.sweep({kept}, timedelta(hours=1)) == []  # too recent
    with pg_store.sql_transaction() as conn:
        conn.execute("UPDATE portail_files SET created_at = now() - interval '2 hours'")
    assert pg_files.sweep({kept}, timedelta(hours=1)) == [orphan]
    assert pg_files.exists(kept) and not pg_files.exists(orphan)


# -- several processes ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("layout", ["same partition", "different partitions"])
def test_four_processes_of_100_writes_lose_nothing(pg_url, pg_store, layout):
    partitions = ["tiers/shared"] * 4 if layout == "same partition" else [f"tiers/t{i}" for i in range(4)]
    writers = [Writer(pg_url, p, 100, f"w{i}") for i, p in enumerate(partitions)]
    acknowledged = [w.ids() for w in writers]
    assert [w.process.exitcode for w in writers] == [0, 0, 0, 0]
    docs = [d for name in pg_store.partitions("tiers/") for d in pg_store.read(name).table("docs").all()]
    assert len({d["id"] for d in docs}) == len(docs) == 400
    assert {d["id"] for d in docs} == {i for ids in acknowledged for i in ids}
    for tag in ("w0", "w1", "w2", "w3"):
        assert sorted(d["n"] for d in docs if d["writer"] == tag) == list(range(100))


@pytest.mark.slow
def test_writers_killed_at_random_moments_lose_no_acknowledged_write(pg_url, pg_store):
    rng = random.Random(20261128)
    acknowledged: set[str] = set()
    for run in range(12):  # each run: a process start, a pool, a kill 0 to 50 ms into its writes
        victim = Writer(pg_url, "tiers/victim", 0, f"run{run}")
        acknowledged.add(victim.first_id())
        time.sleep(rng.uniform(0, 0.05))
        victim.kill()
        acknowledged.update(victim.ids())
        stored = {d["id"] for d in pg_store.read("tiers/victim").table("docs").all()}
        assert not acknowledged - stored, f"run {run}: acknowledged writes lost"
    assert len(acknowledged) > 12


def test_a_new_database_is_refused_until_portail_db_upgrade(pg_url, tmp_path, monkeypatch):
    import secrets

    import psycopg
    from click.testing import CliRunner

    from runtime.cli import main
    from tests.pg_support import with_database

    name = f"portail_test_{secrets.token_hex(6)}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        monkeypatch.setenv("PORTAIL_DATABASE_URL", with_database(pg_url, name))
        monkeypatch.setenv("PORTAIL_DATA", str(tmp_path))
        runner = CliRunner()
        refused = runner.invoke(main, ["storage", "check"])
        assert refused.exit_code == 1
        assert "plus ancien que le code" in refused.output and "portail db upgrade" in refused.output
        assert runner.invoke(main, ["db", "status"]).exit_code == 1
        upgraded = runner.invoke(main, ["db", "upgrade"])
        assert upgraded.exit_code == 0 and "Migration appliquée : 0001.documents" in upgraded.output
        assert runner.invoke(main, ["db", "upgrade"]).output.strip() == "Schéma déjà à jour."
        assert runner.invoke(main, ["db", "status"]).output.strip() == "Schéma à jour."
        checked = runner.invoke(main, ["storage", "check"])
        assert checked.exit_code == 0 and "Stockage en bon état." in checked.output
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
