"""PostgreSQL-backed partitioned store (psycopg 3 + psycopg_pool).

Every document is one row of ``portail_documents (partition, tbl, id, seq, doc jsonb)``;
``portail_partitions`` lists the partitions that ever held a document (what
``partitions()`` returns, as a TinyDB file stays once written).

A transaction on a partition is one PostgreSQL transaction on a connection of its own:

1. **Lock**: ``pg_advisory_xact_lock`` keyed by a 64-bit hash of the partition name,
   held until commit or rollback, so every worker of every app server waits for the
   same partition and unrelated partitions never wait for each other. A connection
   lost or a deadlock reported while taking the lock (nothing read or written yet)
   is retried on a fresh connection.
2. **Fresh, lazy read**: documents are read under the lock when first asked for (one
   ``get`` reads one row; ``all``/``find`` read the table), so a partition holding 600
   demandes costs no more to change than one holding a single demande.
3. **One write at the end**: the changes kept in memory are written in one batch and
   committed; an exception in the block rolls back and writes nothing. A failure of the
   database at commit raises ``StorageError`` with a French message: the caller never
   acknowledges a write that is not committed.

Nesting follows the ``Store`` contract: the same partition again in the same thread joins
the open transaction; *another* partition opens its own PostgreSQL transaction on a
second connection and commits at its own exit (independently of the outer one), as with
TinyDB files. Nest partitions in one fixed order (see docs/storage.md): each connection
has a ``lock_timeout``, so a deadlock between processes that PostgreSQL cannot see
(two connections of one thread) ends in an error instead of a hang.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from .base import (
    LOCK_WAIT_SECONDS,
    PARTITION_NAME,
    Document,
    DuplicateId,
    LockTimeout,
    NotFound,
    Partition,
    StorageError,
    Store,
    Table,
    check_partition_name,
    clone,
    new_id,
)

log = logging.getLogger("portail.storage")

LOCK_ATTEMPTS = 4
LOCK_TIMEOUT = "30s"
RETRYABLE = (psycopg.OperationalError, pg_errors.DeadlockDetected, pg_errors.SerializationFailure, PoolTimeout)
UNAVAILABLE = ("Enregistrement impossible : la base de données ne répond pas. "
               "Vos données précédentes sont intactes ; réessayez dans un instant.")
CONFLICT = ("Enregistrement impossible : cette valeur est déjà utilisée (numéro ou SIRET). "
            "Vos données précédentes sont intactes ; réessayez.")

_MISSING = object()  # "looked up: no such document"

# jsonb refuses the character U+0000, which a draft keeps as typed (a refused field is saved
# anyway): such documents are stored with it escaped (U+E000 "0"; U+E000 itself doubled) and
# marked, and restored on reading. Other documents pay one substring test.
NUL_MARK = "__portail_nul__"
_ESCAPED = re.compile("\ue000(.)", re.DOTALL)


def dump_document(doc: Document) -> str:
    """The JSON text stored for a document (``%s::jsonb``)."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if "\\u0000" not in text:
        return text
    return json.dumps({**_map_strings(doc, _escape_nul), NUL_MARK: True}, ensure_ascii=False, separators=(",", ":"))


def load_document(doc: Document) -> Document:
    if NUL_MARK not in doc:
        return doc
    del doc[NUL_MARK]
    return _map_strings(doc, _unescape_nul)


def stored_id(doc_id: str) -> str:
    """The ``id`` column of a document: text cannot hold U+0000 either (an identifiant typed
    with one is looked up like any other), so ids take the same escaping as documents."""
    return _escape_nul(doc_id)


def _escape_nul(text: str) -> str:
    return text.replace("\ue000", "\ue000\ue000").replace("\x00", "\ue0000")


def _unescape_nul(text: str) -> str:
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "0" else m.group(1), text)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {fn(k): _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


class PgTable(Table):
    """A table seen through a transaction (or a snapshot): reads go to the database once,
    changes stay in memory until the transaction commits."""

    def __init__(self, partition: PgPartition, name: str):
        self._part = partition
        self.name = name
        self._known: dict[str, Any] = {}  # id -> document as of now in this transaction, or _MISSING
        self._order: list[str] | None = None  # ids in stored order, once the whole table was read
        self._appended: list[str] = []  # ids inserted in this transaction, in order
        self.changes: dict[str, str] = {}  # id -> "insert" | "reinsert" | "update" | "delete"

    # -- reading -------------------------------------------------------------
    def _load(self, doc_id: str) -> Any:
        if doc_id not in self._known:
            if self._order is not None:
                return _MISSING
            row = self._part.fetchone(
                "SELECT doc FROM portail_documents WHERE partition = %s AND tbl = %s AND id = %s",
                (self._part.name, self.name, stored_id(doc_id)),
            )
            self._known[doc_id] = load_document(row[0]) if row else _MISSING
        return self._known[doc_id]

    def _load_all(self) -> list[str]:
        if self._order is None:
            rows = self._part.fetchall(
                "SELECT id, doc FROM portail_documents WHERE partition = %s AND tbl = %s ORDER BY seq",
                (self._part.name, self.name),
            )
            order = []
            for row_id, doc in rows:
                doc_id = _unescape_nul(row_id)
                if self.changes.get(doc_id) not in ("delete", "reinsert"):  # else gone or moved to the end
                    self._known.setdefault(doc_id, load_document(doc))
                    order.append(doc_id)
            self._order = order
        stored = [i for i in self._order if self._known.get(i, _MISSING) is not _MISSING]
        return stored + [i for i in self._appended if self._known.get(i, _MISSING) is not _MISSING]

    def get(self, doc_id: str) -> Document | None:
        doc = self._load(doc_id)
        return None if doc is _MISSING else self._part.copy_out(doc)

    def all(self) -> list[Document]:
        return [self._part.copy_out(self._known[i]) for i in self._load_all()]

    def find(self, predicate: Callable[[Document], bool] | None = None, **equals: Any) -> list[Document]:
        out = self._part.copy_out
        docs = (self._known[i] for i in self._load_all())
        return [
            out(d)
            for d in docs
            if all(d.get(k) == v for k, v in equals.items()) and (predicate is None or predicate(d))
        ]

    def has_documents(self) -> bool:
        return bool(self._load_all())

    # -- writing -------------------------------------------------------------
    def insert(self, doc: Mapping[str, Any]) -> str:
        doc = clone(dict(doc))
        doc_id = doc.setdefault("id", new_id())
        if self._load(doc_id) is not _MISSING:
            raise DuplicateId(doc_id)
        self._known[doc_id] = doc
        if self._order is not None and doc_id in self._order:
            self._order.remove(doc_id)
        self._appended.append(doc_id)
        was = self.changes.get(doc_id)
        self.changes[doc_id] = "reinsert" if was in ("delete", "reinsert") else "insert"
        return doc_id

    def update(self, doc_id: str, changes: Mapping[str, Any]) -> Document:
        doc = self._require(doc_id)
        doc.update(clone(dict(changes)))
        self._touch(doc_id)
        return self._part.copy_out(doc)

    def replace(self, doc_id: str, doc: Mapping[str, Any]) -> None:
        self._require(doc_id)
        new = clone(dict(doc))
        new["id"] = doc_id
        self._known[doc_id] = new
        self._touch(doc_id)

    def remove(self, doc_id: str) -> None:
        self._require(doc_id)
        self._known[doc_id] = _MISSING
        if doc_id in self._appended:
            self._appended.remove(doc_id)
        was = self.changes.get(doc_id)
        if was == "insert":
            del self.changes[doc_id]
        else:
            self.changes[doc_id] = "delete"

    def _require(self, doc_id: str) -> Document:
        doc = self._load(doc_id)
        if doc is _MISSING:
            raise NotFound(doc_id)
        return doc

    def _touch(self, doc_id: str) -> None:
        self.changes.setdefault(doc_id, "update")


class PgPartition(Partition):
    def __init__(self, name: str, conn: psycopg.Connection | None, store: PostgresStore, snapshot: bool = False):
        self.name = name
        self._conn = conn
        self._store = store
        self._tables: dict[str, PgTable] = {}
        # a snapshot's documents are parsed for its caller alone: no second copy
        self.copy_out = _identity if snapshot else clone

    def table(self, name: str) -> PgTable:
        if name not in self._tables:
            self._tables[name] = PgTable(self, name)
        return self._tables[name]

    def table_names(self) -> list[str]:
        stored = {r[0] for r in self.fetchall(
            "SELECT DISTINCT tbl FROM portail_documents WHERE partition = %s", (self.name,))}
        names = stored | set(self._tables)
        return sorted(n for n in names if (n not in self._tables and n in stored) or
                      (n in self._tables and self._tables[n].has_documents()))

    def fetchone(self, query: str, params: tuple) -> tuple | None:
        rows = self.fetchall(query, params)
        return rows[0] if rows else None

    def fetchall(self, query: str, params: tuple) -> list[tuple]:
        if self._conn is None:  # a snapshot: one short autocommitted read
            return self._store.query(query, params)
        try:
            return self._conn.execute(query, params).fetchall()
        except psycopg.OperationalError as error:
            raise StorageError(UNAVAILABLE) from error

    def flush(self) -> bool:
        """Write the changes of every table (inside the open transaction); True if a document was added."""
        deletes, updates, inserts = [], [], []
        for table in self._tables.values():
            for doc_id, change in table.changes.items():
                if change in ("delete", "reinsert"):
                    deletes.append((self.name, table.name, stored_id(doc_id)))
                if change == "update":
                    updates.append((dump_document(table._known[doc_id]), self.name, table.name, stored_id(doc_id)))
            for doc_id in table._appended:
                if table.changes.get(doc_id) in ("insert", "reinsert"):
                    inserts.append((self.name, table.name, stored_id(doc_id), dump_document(table._known[doc_id])))
        if not (deletes or updates or inserts):
            return False
        cur = self._conn.cursor()
        if deletes:
            cur.executemany("DELETE FROM portail_documents WHERE partition = %s AND tbl = %s AND id = %s", deletes)
        if updates:
            cur.executemany(
                "UPDATE portail_documents SET doc = %s::jsonb WHERE partition = %s AND tbl = %s AND id = %s", updates
            )
        if inserts:
            cur.executemany("INSERT INTO portail_documents (partition, tbl, id, doc) VALUES (%s, %s, %s, %s::jsonb)", inserts)
            if self.name not in self._store.known_partitions:
                cur.execute("INSERT INTO portail_partitions (name) VALUES (%s) ON CONFLICT DO NOTHING", (self.name,))
        return bool(inserts)


class PostgresStore(Store):
    """Partitions of JSON documents in PostgreSQL; safe across threads, processes and servers."""

    shared = True  # every app server sees the same data (spec catalog, secret key...)

    def __init__(self, url: str, min_size: int = 0, max_size: int = 10, check_schema: bool = True,
                 lock_wait: float = LOCK_WAIT_SECONDS):
        self.url = url
        self.lock_wait = lock_wait
        self._pool_size = (min_size, max_size)
        self.pool = self._open_pool()
        self._local = threading.local()
        self.known_partitions: set[str] = set()  # registered in portail_partitions: no need to again
        if check_schema:
            from .pg_schema import SchemaOutdated, known_migrations

            applied = set()
            if self.query("SELECT to_regclass('_yoyo_migration')")[0][0] is not None:  # else: never migrated
                applied = {r[0] for r in self.query("SELECT migration_id FROM _yoyo_migration")}
            missing = [m for m in known_migrations() if m not in applied]
            if missing:
                self.pool.close()
                raise SchemaOutdated.for_missing(missing)

    def _open_pool(self) -> ConnectionPool:
        min_size, max_size = self._pool_size
        return ConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},  # transactions are explicit BEGIN ... COMMIT
            configure=_configure,
            # no ``check=``: the pool would sleep a growing backoff (1 s, 2 s, 4 s...) after each dead
            # connection it finds, so a request after the server dropped them waited 7 to 30 s;
            # ``_checked_out`` checks and discards them itself, without waiting
            timeout=30,
            open=True,
            name="portail",
        )

    def close(self) -> None:
        self.pool.close()

    def before_fork(self) -> None:
        """The master's connections are closed before it forks: a socket used by two processes
        mixes their conversations with the server, and the pool's threads do not survive a fork."""
        self.pool.close()

    def after_fork(self) -> None:
        self.pool = self._open_pool()
        self._local = threading.local()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled autocommit connection for a short piece of work (reads, index, files)."""
        conn = self._checked_out()
        try:
            yield conn
        finally:
            self.pool.putconn(conn)

    def _checked_out(self) -> psycopg.Connection:
        """A live connection of the pool: one the server dropped while it was idle in the pool
        (restart, ``pg_terminate_backend``) is discarded and the next one tried at once."""
        for _ in range(self.pool.max_size + 1):
            conn = self.pool.getconn()
            try:
                ConnectionPool.check_connection(conn)
            except psycopg.OperationalError:
                self.pool.putconn(conn)  # a broken connection is closed by the pool, not reused
                continue
            return conn
        raise psycopg.OperationalError("aucune connexion vivante dans le pool")

    def query(self, query: str, params: tuple | Mapping = ()) -> list[tuple]:
        """Rows of one read, retried once on a fresh connection if the server dropped ours."""
        for attempt in range(2):
            try:
                with self.connection() as conn:
                    cur = conn.execute(query, params)
                    return cur.fetchall() if cur.description else []
            except (psycopg.OperationalError, PoolTimeout) as error:
                if attempt:
                    raise StorageError(UNAVAILABLE) from error
        raise AssertionError("unreachable")

    @contextmanager
    def sql_transaction(self) -> Iterator[psycopg.Connection]:
        """A connection in an explicit transaction, committed at exit (rolled back on exception)."""
        with self.connection() as conn:
            try:
                with conn.transaction():
                    yield conn
            except pg_errors.UniqueViolation as error:
                raise StorageError(CONFLICT) from error
            except psycopg.OperationalError as error:
                raise StorageError(UNAVAILABLE) from error

    # -- the Store contract --------------------------------------------------
    @contextmanager
    def transaction(self, partition: str) -> Iterator[Partition]:
        check_partition_name(partition)
        active = self._active()
        if partition in active:  # nested in the same thread: one transaction, written at the outer exit
            yield active[partition]
            return
        conn = self._locked_connection(partition)
        part = PgPartition(partition, conn, self)
        active[partition] = part
        try:
            try:
                yield part
            finally:
                del active[partition]
        except BaseException:
            self._finish(conn, commit=False)
            raise
        try:
            added = part.flush()
        except pg_errors.UniqueViolation as error:
            self._finish(conn, commit=False)
            raise StorageError(CONFLICT) from error
        except psycopg.Error as error:
            self._finish(conn, commit=False)
            raise StorageError(UNAVAILABLE) from error
        self._finish(conn, commit=True)
        if added:
            self.known_partitions.add(partition)

    def read(self, partition: str) -> Partition:
        check_partition_name(partition)
        return PgPartition(partition, None, self, snapshot=True)

    def partitions(self, prefix: str = "") -> Iterator[str]:
        folder_part = prefix.rpartition("/")[0]
        if folder_part and not PARTITION_NAME.fullmatch(folder_part):
            return iter(())
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.query(
            "SELECT name FROM portail_partitions WHERE name LIKE %s ORDER BY name COLLATE \"C\"", (escaped + "%",)
        )
        return iter([r[0] for r in rows if PARTITION_NAME.fullmatch(r[0])])

    def check(self) -> list:
        """Nothing in a jsonb column can be unreadable; an unreachable server raises StorageError."""
        self.query("SELECT 1")  # StorageError if the server cannot be reached
        return []

    # -- implementation ------------------------------------------------------
    def shared_secret_key(self) -> str:
        """The session key of every app server, drawn once and kept in the database."""
        import secrets

        self.query("INSERT INTO portail_settings (key, value) VALUES ('secret_key', %s) ON CONFLICT DO NOTHING",
                   (secrets.token_hex(32),))
        return self.query("SELECT value FROM portail_settings WHERE key = 'secret_key'")[0][0]

    def demande_index(self):
        from .pg_index import PgDemandeIndex

        return PgDemandeIndex(self)

    def _locked_connection(self, partition: str) -> psycopg.Connection:
        """A connection holding the partition's lock in an open transaction; retried while
        nothing has been read (a connection killed by the server, a deadlock victim)."""
        for attempt in range(LOCK_ATTEMPTS):
            conn = None
            try:
                conn = self._checked_out()
                conn.execute("BEGIN")
                # the lock is waited for within the budget (lock_timeout, this transaction only)
                conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(int(self.lock_wait * 1000), 1)}ms",))
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (partition,))
                return conn
            except pg_errors.LockNotAvailable as error:  # the partition stayed locked past the budget: no retry
                if conn is not None:
                    self._finish(conn, commit=False)
                raise LockTimeout(partition) from error
            except RETRYABLE as error:
                if conn is not None:
                    self._finish(conn, commit=False)
                if attempt == LOCK_ATTEMPTS - 1:
                    raise StorageError(UNAVAILABLE) from error
                log.warning("verrou de la partition %s : nouvel essai après %s", partition, error)
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _finish(self, conn: psycopg.Connection, commit: bool) -> None:
        try:
            if commit:
                try:
                    conn.execute("COMMIT")
                except psycopg.Error as error:
                    raise StorageError(UNAVAILABLE) from error
            elif not conn.closed:
                try:
                    conn.execute("ROLLBACK")
                except psycopg.Error:
                    pass  # the pool discards a broken connection
        finally:
            self.pool.putconn(conn)

    def _active(self) -> dict[str, PgPartition]:
        if not hasattr(self._local, "partitions"):
            self._local.partitions = {}
        return self._local.partitions


def _configure(conn: psycopg.Connection) -> None:
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    conn.execute("SET idle_in_transaction_session_timeout = '10min'")


def _identity(doc: Document) -> Document:
    return doc
