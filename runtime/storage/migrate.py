"""``portail migrate --from tinydb:PATH --to postgresql://…``: copy a TinyDB data folder
(``PATH/db`` partitions, ``PATH/uploads`` files) into PostgreSQL.

- Refused while a source partition is unreadable: every partition is parsed first, nothing
  is copied before.
- Bulk and resumable: partitions go in batches of about ``BATCH_DOCUMENTS`` documents, each
  batch one transaction (advisory lock of each of its partitions, one ``DELETE`` and one
  ``COPY``), so an interrupted run has committed whole batches: the checkpoints. A partition
  the database does not hold yet is copied without reading anything back; one it holds is
  skipped when its documents are the same (same SHA-256 of the canonical JSON of its tables,
  in order), else replaced whole. Files go by ``COPY`` too (metadata, then 256 KiB chunks
  streamed from disk), in transactions of about ``FILE_BATCH_BYTES``; a stored file is skipped.
  Run it again after an interruption: it continues where it stopped.
- The staff index partitions (``index/…``) become rows of the SQL index (``COPY`` into a
  temporary table, then one upsert that leaves identical rows untouched).
- It ends by reading the target back: the number of documents and the checksum of every
  partition must equal the source's; per file, the stored size.

Each document is serialised once (canonical JSON, keys sorted): that text is both what is
checksummed and what is copied (jsonb does not keep key order anyway).
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
from .pg_files import PgFileStore, read_chunk
from .pg_index import COLUMNS, _values
from .pg_schema import upgrade
from .postgres_store import PostgresStore, dump_document, load_document, stored_id
from .tinydb_store import TinyDBStore

BATCH_DOCUMENTS = 5000  # partitions are grouped in transactions of about this many documents
FILE_BATCH_BYTES = 64 * 1024 * 1024  # files are copied in transactions of about this size
INDEX_BATCH = 10_000  # index rows per transaction
VERIFY_BATCH = 2000  # partitions read back per query
INDEX_PREFIX = "index/"
FILE_MARK = '"file_id"'  # a partition whose canonical text lacks it references no file


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


def canonical(doc: dict[str, Any]) -> str:
    """A document's canonical JSON text (keys sorted, compact, not ASCII-escaped)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(texts: dict[str, list[str]]) -> str:
    """SHA-256 of the canonical JSON ``{table: [documents]}`` (non-empty tables, sorted by name),
    assembled from the documents' canonical texts."""
    body = ",".join(f"{json.dumps(t, ensure_ascii=False)}:[{','.join(docs)}]"
                    for t, docs in sorted(texts.items()) if docs)
    return hashlib.sha256(("{" + body + "}").encode()).hexdigest()


def checksum(tables: dict[str, list[dict[str, Any]]]) -> str:
    """SHA-256 of a partition: its non-empty tables by name, documents in stored order, keys sorted."""
    return _digest({t: [canonical(d) for d in docs] for t, docs in tables.items()})


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


@dataclass
class _Source:
    """A source partition read for copying: its documents' canonical texts, count and checksum."""

    name: str
    texts: dict[str, list[str]]
    documents: int
    checksum: str
    tables: dict[str, list[dict[str, Any]]]


def _read(store: TinyDBStore, name: str) -> _Source:
    tables = store.tables(name)
    texts = {t: [canonical(d) for d in docs] for t, docs in tables.items()}
    return _Source(name, texts, sum(map(len, tables.values())), _digest(texts), tables)


def _target_tables(conn, names: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The tables of several partitions as stored in the database, in one query."""
    found: dict[str, dict[str, list]] = {name: {} for name in names}
    for partition, tbl, doc in conn.execute(
        "SELECT partition, tbl, doc FROM portail_documents WHERE partition = ANY(%s) ORDER BY partition, seq",
        (names,),
    ):
        found[partition].setdefault(tbl, []).append(load_document(doc))
    return found


def _batches(store: TinyDBStore, names: list[str]) -> Iterator[list[_Source]]:
    batch, size = [], 0
    for name in names:
        batch.append(_read(store, name))
        size += batch[-1].documents
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
    (in name order); those the database already holds are read back in one query and
    compared; one DELETE and one COPY of the others."""
    copied, done = _Copied(), 0
    held = {r[0] for r in target.query("SELECT name FROM portail_partitions")}
    for batch in _batches(source, names):
        batch.sort(key=lambda item: item.name)
        for part in batch:
            if any(FILE_MARK in text for docs in part.texts.values() for text in docs):
                for ref in file_refs(part.tables):
                    if isinstance(ref.get("file_id"), str):
                        copied.files.setdefault(ref["file_id"], dict(ref))
        with target.sql_transaction() as conn:
            conn.execute("SELECT count(pg_advisory_xact_lock(hashtextextended(p, 0))) FROM unnest(%s::text[]) AS p",
                         ([p.name for p in batch],))
            present = [p.name for p in batch if p.name in held]
            stored = _target_tables(conn, present) if present else {}
            changed = [p for p in batch if p.name not in stored or checksum(stored[p.name]) != p.checksum]
            report.skipped += len(batch) - len(changed)
            if changed:
                replaced = [p.name for p in changed if p.name in stored]
                if replaced:
                    conn.execute("DELETE FROM portail_documents WHERE partition = ANY(%s)", (replaced,))
                with conn.cursor().copy("COPY portail_documents (partition, tbl, id, doc) FROM STDIN") as copy:
                    for part in changed:
                        for tbl, docs in part.tables.items():
                            for doc, text in zip(docs, part.texts[tbl], strict=True):
                                # jsonb refuses U+0000: such a document takes the store's escaping
                                copy.write_row((part.name, tbl, stored_id(doc["id"]),
                                                dump_document(doc) if "\\u0000" in text else text))
                conn.execute("INSERT INTO portail_partitions (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                             ([p.name for p in changed if p.name not in held],))
                report.copied += len(changed)
        copied.sums.update((p.name, (p.documents, p.checksum)) for p in batch)
        report.documents += sum(p.documents for p in batch)
        done += len(batch)
        echo(f"  {done}/{len(names)} partition(s)")
    return copied


def _copy_index(source, target: PostgresStore, names: list[str]) -> int:
    """The rows of the index shards, by batches: COPY into a temporary table, then one upsert
    that rewrites only the rows that differ (the counters' trigger fires for those alone)."""
    rows, batch = 0, []
    for name in names:
        if name.removeprefix(INDEX_PREFIX).startswith("_"):
            continue  # counters and locators: the SQL index keeps its own
        batch.extend(_values(_normalise(r)) for r in source.tables(name).get("demandes", []))
        if len(batch) >= INDEX_BATCH:
            rows += _upsert_index(target, batch)
            batch = []
    if batch:
        rows += _upsert_index(target, batch)
    return rows


def _upsert_index(target: PostgresStore, values: list[tuple]) -> int:
    updated = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ") if c != "id")
    with target.sql_transaction() as conn:
        conn.execute("CREATE TEMP TABLE migrate_index (LIKE portail_demande_index) ON COMMIT DROP")
        with conn.cursor().copy(f"COPY migrate_index ({COLUMNS}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        conn.execute(
            f"INSERT INTO portail_demande_index ({COLUMNS}) SELECT {COLUMNS} FROM migrate_index "
            f"ON CONFLICT (id) DO UPDATE SET {updated} "
            "WHERE (portail_demande_index.numero, portail_demande_index.teleservice, portail_demande_index.tiers_id, "
            "portail_demande_index.statut, portail_demande_index.transmitted_at, portail_demande_index.search, "
            "portail_demande_index.row) IS DISTINCT FROM (excluded.numero, excluded.teleservice, excluded.tiers_id, "
            "excluded.statut, excluded.transmitted_at, excluded.search, excluded.row)"
        )
    return len(values)


def _copy_files(metadata, uploads: Path, target: PostgresStore, report: MigrationReport, echo) -> None:
    """Every stored file not yet in the database, in transactions of about FILE_BATCH_BYTES:
    one COPY of their metadata, one binary COPY of their chunks read from disk one at a time
    (a file is never held whole in memory)."""
    already = set(PgFileStore(target).ids())
    paths = list(FileStore(uploads)._stored_files())
    report.files = len(paths)
    pending = [(p, p.stat().st_size) for p in paths if p.name not in already]
    start = 0
    while start < len(pending):
        batch, size = [], 0
        while start < len(pending) and (not batch or size < FILE_BATCH_BYTES):
            batch.append(pending[start])
            size += pending[start][1]
            start += 1
        with target.sql_transaction() as conn:
            with conn.cursor().copy(
                "COPY portail_files (id, filename, size, content_type, sha256) FROM STDIN"
            ) as copy:
                for path, length in batch:
                    meta = metadata.get(path.name) or {}
                    copy.write_row((path.name, meta.get("filename") or path.name, length,
                                    meta.get("content_type") or "application/octet-stream", meta.get("sha256") or ""))
            with conn.cursor().copy("COPY portail_file_chunks (file_id, n, data) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["text", "int4", "bytea"])
                for path, _length in batch:
                    with open(path, "rb") as stream:
                        n = 0
                        while chunk := read_chunk(stream):
                            copy.write_row((path.name, n, chunk))
                            n += 1
        report.files_copied += len(batch)
        echo(f"  {report.files_copied}/{len(pending)} fichier(s)")


def _verify(sums: dict[str, tuple[int, str]], target: PostgresStore, uploads: Path,
            report: MigrationReport) -> None:
    """Read every partition back: the number of documents and the checksum of what the source
    holds; per file, the stored size."""
    names = sorted(sums)
    with target.connection() as conn:
        for start in range(0, len(names), VERIFY_BATCH):
            chunk = names[start : start + VERIFY_BATCH]
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

