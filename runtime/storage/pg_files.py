"""Uploaded files in PostgreSQL, for several app servers (``FILE_STORE = "postgresql"``).

Same API as ``runtime.storage.files.FileStore`` (``save``, ``open``, ``exists``, ``delete``,
``sweep``), except ``path``: there is no file on a disk. A file is ``portail_files`` (its
metadata) plus ``portail_file_chunks`` (256 KiB ``bytea`` rows, numbered): ``save`` streams
the upload chunk by chunk into one transaction, committed once complete, so a file is
referenced only when whole; ``open`` returns a reader that fetches one chunk at a time,
each with a short pooled connection, so a 30 MB file is never held in memory and a slow
download holds no connection. One backup of the database then covers every file.
"""
from __future__ import annotations

import io
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, BinaryIO

from ..filetypes import sniff
from .base import NotFound
from .files import FILE_ID, Measured, safe_filename
from .postgres_store import PostgresStore

CHUNK = 256 * 1024


class PgFileStore:
    def __init__(self, store: PostgresStore):
        self.store = store

    def save(
        self, stream: BinaryIO, filename: str, content_type: str | None = None, max_bytes: int | None = None
    ) -> dict[str, Any]:
        """As ``FileStore.save``: the recorded content type is read from the stored bytes,
        never the one the client declared."""
        file_id = secrets.token_urlsafe(24)
        measured = Measured(max_bytes)
        with self.store.sql_transaction() as conn:
            conn.execute(
                "INSERT INTO portail_files (id, filename, size, content_type, sha256) VALUES (%s, %s, 0, %s, '')",
                (file_id, safe_filename(filename), "application/octet-stream"),
            )
            for n, chunk in enumerate(measured.chunks(stream, read_chunk)):  # FileTooLarge rolls it all back
                conn.execute("INSERT INTO portail_file_chunks (file_id, n, data) VALUES (%s, %s, %s)",
                             (file_id, n, chunk))
            conn.execute("UPDATE portail_files SET size = %s, sha256 = %s WHERE id = %s",
                         (measured.size, measured.digest.hexdigest(), file_id))
        with self.open(file_id) as stored:  # seekable: the sniffer may look into a zip's directory
            detected = sniff(stored, filename)
        self.store.query("UPDATE portail_files SET content_type = %s WHERE id = %s", (detected, file_id))
        return measured.metadata(file_id, filename, detected)

    def exists(self, file_id: str) -> bool:
        return _valid(file_id) and bool(self.store.query("SELECT 1 FROM portail_files WHERE id = %s", (file_id,)))

    def size(self, file_id: str) -> int:
        rows = self.store.query("SELECT size FROM portail_files WHERE id = %s", (file_id,)) if _valid(file_id) else []
        if not rows:
            raise NotFound(file_id)
        return rows[0][0]

    def open(self, file_id: str) -> BinaryIO:
        return io.BufferedReader(_ChunkReader(self.store, file_id, self.size(file_id)), buffer_size=CHUNK)

    def path(self, file_id: str):
        raise NotFound(file_id)  # no file on disk: use open()

    def delete(self, file_id: str) -> bool:
        if not _valid(file_id):
            return False
        with self.store.sql_transaction() as conn:
            return conn.execute("DELETE FROM portail_files WHERE id = %s", (file_id,)).rowcount > 0

    def sweep(self, referenced_ids: Iterable[str], older_than: timedelta = timedelta(hours=24)) -> list[str]:
        """Remove files no document references, once older than ``older_than``."""
        referenced = set(referenced_ids)
        candidates = self.store.query(
            "SELECT id FROM portail_files WHERE created_at < now() - %s", (older_than,)
        )
        removed = sorted(r[0] for r in candidates if r[0] not in referenced)
        if removed:
            with self.store.sql_transaction() as conn:
                conn.execute("DELETE FROM portail_files WHERE id = ANY(%s)", (removed,))
        return removed

    def ids(self) -> list[str]:
        return [r[0] for r in self.store.query("SELECT id FROM portail_files ORDER BY id")]


class _ChunkReader(io.RawIOBase):
    """A read-only, seekable raw stream over the chunks of one file, one query per chunk read."""

    def __init__(self, store: PostgresStore, file_id: str, size: int):
        self._store, self._file_id, self._size = store, file_id, size
        self._pos, self._n, self._data = 0, -1, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def readinto(self, buffer) -> int:
        n, at = divmod(self._pos, CHUNK)
        if n != self._n:
            rows = self._store.query(
                "SELECT data FROM portail_file_chunks WHERE file_id = %s AND n = %s", (self._file_id, n)
            )
            if not rows:
                return 0
            self._n, self._data = n, rows[0][0]
        count = min(len(buffer), len(self._data) - at)
        if count <= 0:
            return 0
        buffer[:count] = self._data[at : at + count]
        self._pos += count
        return count


def read_chunk(stream: BinaryIO) -> bytes:
    """Up to CHUNK bytes (a socket or upload stream may return less per read)."""
    parts, size = [], 0
    while size < CHUNK:
        data = stream.read(CHUNK - size)
        if not data:
            break
        parts.append(data)
        size += len(data)
    return b"".join(parts)


def _valid(file_id: Any) -> bool:
    return isinstance(file_id, str) and bool(FILE_ID.fullmatch(file_id))
