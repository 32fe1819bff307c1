"""``portail migrate --from tinydb:PATH --to postgresql://…``: copy a TinyDB data folder
(``PATH/db`` partitions, ``PATH/uploads`` files) into PostgreSQL.

- Refused while a source partition is unreadable (nothing is copied).
- Idempotent and resumable: a partition is copied in a transaction of its own batch
  (advisory lock of each partition, its rows replaced whole), and skipped when the
  target already holds the same documents (same SHA-256 of the canonical JSON of its
  tables, in order); a file is skipped when already stored. Run it again after an
  interruption: it continues where it stopped.
- The staff index partitions (``index/…``) become rows of the SQL index.
- It ends by reading the target back: per partition, the number of documents and the
  checksum must equal the source's; per file, the stored size.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import CorruptPartition
from .files import FileStore, file_refs
from .index import _normalise
from .pg_files import PgFileStore, store_file
from .pg_index import COLUMNS, _values
from .pg_schema import upgrade
from .postgres_store import PostgresStore, dump_document, load_document
from .tinydb_store import TinyDBStore

BATCH_DOCUMENTS = 2000  # partitions are grouped in transactions of about this many documents
FILE_BATCH_BYTES = 32 * 1024 * 1024  # files are copied in transactions of about this size
INDEX_PREFIX = "index/"


@dataclass
class MigrationReport:
    partitions: int = 0
    copied: int = 0
    skipped: int = 0
    documents: int = 0
    files: int = 0
    files_copied: int = 0
    index_rows: int = 0
    mismatches: list[str] = field(default_factory=list)
    corrupt: list[CorruptPartition] = field(default_factory=list)


def checksum(tables: dict[str, list[dict[str, Any]]]) -> str:
    """SHA-256 of a partition: its non-empty tables by name, documents in stored order, keys sorted."""
    canonical = json.dumps({t: docs for t, docs in sorted(tables.items()) if docs},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def migrate(source: Path, url: str, echo: Callable[[str], None] = print) -> MigrationReport:
    source_store = TinyDBStore(Path(source) / "db")
    report = MigrationReport(corrupt=source_store.check())
    if report.corrupt:
        return report
    applied = upgrade(url)
    if applied:
        echo(f"Schéma créé ou mis à jour : {', '.join(applied)}")
    target = PostgresStore(url, max_size=2)
    try:
        names = list(source_store.partitions())
        data_names = [n for n in names if not n.startswith(INDEX_PREFIX)]
        report.partitions = len(data_names)
        _copy_partitions(source_store, target, data_names, report, echo)
        report.index_rows = _copy_index(source_store, target, [n for n in names if n.startswith(INDEX_PREFIX)])
        _copy_files(source_store, Path(source) / "uploads", target, data_names, report, echo)
        _verify(source_store, target, data_names, Path(source) / "uploads", report)
    finally:
        target.close()
    return report


def _tables(store: TinyDBStore, name: str) -> dict[str, list[dict[str, Any]]]:
    part = store.read(name)
    return {t: part.table(t).all() for t in part.table_names()}


def _target_tables(target: PostgresStore, conn, name: str) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list] = {}
    for tbl, doc in conn.execute(
        "SELECT tbl, doc FROM portail_documents WHERE partition = %s ORDER BY seq", (name,)
    ):
        tables.setdefault(tbl, []).append(load_document(doc))
    return tables


def _batches(store: TinyDBStore, names: list[str]) -> Iterator[list[tuple[str, dict]]]:
    batch, size = [], 0
    for name in names:
        tables = _tables(store, name)
        batch.append((name, tables))
        size += sum(len(docs) for docs in tables.values())
        if size >= BATCH_DOCUMENTS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _copy_partitions(source, target: PostgresStore, names, report: MigrationReport, echo) -> None:
    done = 0
    for batch in _batches(source, names):
        with target.sql_transaction() as conn:
            for name, tables in batch:
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))
                report.documents += sum(len(d) for d in tables.values())
                if checksum(_target_tables(target, conn, name)) == checksum(tables):
                    report.skipped += 1
                    continue
                conn.execute("DELETE FROM portail_documents WHERE partition = %s", (name,))
                with conn.cursor().copy(
                    "COPY portail_documents (partition, tbl, id, doc) FROM STDIN"
                ) as copy:
                    for tbl, docs in tables.items():
                        for doc in docs:
                            copy.write_row((name, tbl, doc["id"], dump_document(doc)))
                conn.execute("INSERT INTO portail_partitions (name) VALUES (%s) ON CONFLICT DO NOTHING", (name,))
                report.copied += 1
        done += len(batch)
        echo(f"  {done}/{len(names)} partition(s)")


def _copy_index(source, target: PostgresStore, names: list[str]) -> int:
    rows = 0
    for name in names:
        if name.removeprefix(INDEX_PREFIX).startswith("_"):
            continue  # counters and locators: the SQL index keeps its own
        values = [_values(_normalise(r)) for r in source.read(name).table("demandes").all()]
        if not values:
            continue
        with target.sql_transaction() as conn:
            conn.cursor().executemany(
                f"INSERT INTO portail_demande_index ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) "
                "ON CONFLICT (id) DO UPDATE SET numero = excluded.numero, teleservice = excluded.teleservice, "
                "tiers_id = excluded.tiers_id, statut = excluded.statut, transmitted_at = excluded.transmitted_at, "
                "search = excluded.search, row = excluded.row",
                values,
            )
        rows += len(values)
    return rows


def _copy_files(source, uploads: Path, target: PostgresStore, names, report: MigrationReport, echo) -> None:
    """Every stored file not yet in the database, in transactions of about FILE_BATCH_BYTES,
    read and written chunk by chunk (a file is never held whole in memory)."""
    metadata: dict[str, dict[str, Any]] = {}
    for name in names:
        for docs in _tables(source, name).values():
            for ref in file_refs(docs):
                if isinstance(ref.get("file_id"), str):
                    metadata.setdefault(ref["file_id"], dict(ref))
    already = set(PgFileStore(target).ids())
    paths = list(FileStore(uploads)._stored_files())
    report.files = len(paths)
    pending = [p for p in paths if p.name not in already]
    start = 0
    while start < len(pending):
        batch, size = [], 0
        while start < len(pending) and (not batch or size < FILE_BATCH_BYTES):
            batch.append(pending[start])
            size += pending[start].stat().st_size
            start += 1
        with target.sql_transaction() as conn:
            for path in batch:
                meta = metadata.get(path.name) or {"file_id": path.name, "filename": path.name}
                with open(path, "rb") as stream:
                    store_file(conn, {**meta, "size": path.stat().st_size}, stream)
        report.files_copied += len(batch)
        echo(f"  {report.files_copied}/{len(pending)} fichier(s)")


def _verify(source, target: PostgresStore, names, uploads: Path, report: MigrationReport) -> None:
    with target.connection() as conn:
        for name in names:
            expected = _tables(source, name)
            found = _target_tables(target, conn, name)
            if (sum(map(len, expected.values())) != sum(map(len, found.values()))
                    or checksum(expected) != checksum(found)):
                report.mismatches.append(f"partition {name}")
        sizes = dict(conn.execute(
            "SELECT f.id, coalesce(sum(length(c.data)), 0) FROM portail_files f "
            "LEFT JOIN portail_file_chunks c ON c.file_id = f.id GROUP BY f.id"
        ).fetchall())
    for path in FileStore(uploads)._stored_files():
        if sizes.get(path.name) != path.stat().st_size:
            report.mismatches.append(f"fichier {path.name}")
