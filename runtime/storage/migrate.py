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
        copied = _copy_partitions(source_store, target, data_names, report, echo)
        report.index_rows = _copy_index(source_store, target, [n for n in names if n.startswith(INDEX_PREFIX)])
        _copy_files(copied.files, Path(source) / "uploads", target, report, echo)
        _verify(copied.sums, target, Path(source) / "uploads", report)
    finally:
        target.close()
    return report


def _tables(store: TinyDBStore, name: str) -> dict[str, list[dict[str, Any]]]:
    part = store.read(name)
    return {t: part.table(t).all() for t in part.table_names()}


def _target_tables(conn, names: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The tables of several partitions as stored in the database, in one query."""
    found: dict[str, dict[str, list]] = {name: {} for name in names}
    for partition, tbl, doc in conn.execute(
        "SELECT partition, tbl, doc FROM portail_documents WHERE partition = ANY(%s) ORDER BY partition, seq",
        (names,),
    ):
        found[partition].setdefault(tbl, []).append(load_document(doc))
    return found


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


@dataclass
class _Copied:
    sums: dict[str, tuple[int, str]] = field(default_factory=dict)  # partition -> (documents, checksum)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> its reference


def _copy_partitions(source, target: PostgresStore, names, report: MigrationReport, echo) -> _Copied:
    """Batches of partitions, each batch one transaction: the advisory lock of every partition
    (in name order), one read of what the database holds, one DELETE and one COPY of those
    that differ."""
    copied, done = _Copied(), 0
    for batch in _batches(source, names):
        batch.sort(key=lambda item: item[0])
        sums = {name: (sum(map(len, tables.values())), checksum(tables)) for name, tables in batch}
        for _name, tables in batch:
            for docs in tables.values():
                for ref in file_refs(docs):
                    if isinstance(ref.get("file_id"), str):
                        copied.files.setdefault(ref["file_id"], dict(ref))
        with target.sql_transaction() as conn:
            batch_names = [name for name, _ in batch]
            conn.execute("SELECT count(pg_advisory_xact_lock(hashtextextended(p, 0))) FROM unnest(%s::text[]) AS p",
                         (batch_names,))
            stored = _target_tables(conn, batch_names)
            changed = [(name, tables) for name, tables in batch if checksum(stored[name]) != sums[name][1]]
            report.skipped += len(batch) - len(changed)
            if changed:
                conn.execute("DELETE FROM portail_documents WHERE partition = ANY(%s)", ([n for n, _ in changed],))
                with conn.cursor().copy("COPY portail_documents (partition, tbl, id, doc) FROM STDIN") as copy:
                    for name, tables in changed:
                        for tbl, docs in tables.items():
                            for doc in docs:
                                copy.write_row((name, tbl, doc["id"], dump_document(doc)))
                conn.execute("INSERT INTO portail_partitions (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                             ([n for n, _ in changed],))
                report.copied += len(changed)
        copied.sums.update(sums)
        report.documents += sum(count for count, _ in sums.values())
        done += len(batch)
        echo(f"  {done}/{len(names)} partition(s)")
    return copied


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


def _copy_files(metadata, uploads: Path, target: PostgresStore, report: MigrationReport, echo) -> None:
    """Every stored file not yet in the database, in transactions of about FILE_BATCH_BYTES,
    read and written chunk by chunk (a file is never held whole in memory)."""
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


def _verify(sums: dict[str, tuple[int, str]], target: PostgresStore, uploads: Path,
            report: MigrationReport) -> None:
    """Read everything back: per partition the number of documents and the checksum of what was
    copied, per file the stored size."""
    names = sorted(sums)
    with target.connection() as conn:
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            for name, tables in _target_tables(conn, chunk).items():
                if (sum(map(len, tables.values())), checksum(tables)) != sums[name]:
                    report.mismatches.append(f"partition {name}")
        sizes = dict(conn.execute(
            "SELECT f.id, coalesce(sum(length(c.data)), 0) FROM portail_files f "
            "LEFT JOIN portail_file_chunks c ON c.file_id = f.id GROUP BY f.id"
        ).fetchall())
    for path in FileStore(uploads)._stored_files():
        if sizes.get(path.name) != path.stat().st_size:
            report.mismatches.append(f"fichier {path.name}")
