"""Uploaded files, stored outside the web root under random names.

A file is written completely (temp file, fsync, rename to a random name)
before any document references it; files that no document references are
removed by ``portail files sweep`` after a grace period, which covers the
moment between the upload and the save of the demande that refers to it.

Layout: ``<root>/<first two characters of the id>/<id>``; temp files
``<root>/.upload.<random>.tmp``.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from ..filetypes import sniff_path
from .base import NotFound, Store
from .durable import TEMP_SUFFIX, discard, fsync_dir, stale_temp_files, storage_error, write_all

FILE_ID = re.compile(r"[A-Za-z0-9_-]{32}")
CHUNK = 64 * 1024
MAX_NAME_LENGTH = 120


class Measured:
    """What every file store does to a stream it saves: read it in chunks (``read(stream)``),
    count and hash them, refuse it past ``max_bytes``; then the metadata to keep
    (``FileStore`` on disk, ``PgFileStore`` in PostgreSQL)."""

    def __init__(self, max_bytes: int | None):
        self.max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.size = 0

    def chunks(self, stream: BinaryIO, read=lambda stream: stream.read(CHUNK)) -> Iterator[bytes]:
        while chunk := read(stream):
            self.size += len(chunk)
            if self.max_bytes is not None and self.size > self.max_bytes:
                raise FileTooLarge(self.max_bytes)
            self.digest.update(chunk)
            yield chunk

    def metadata(self, file_id: str, filename: str, content_type: str) -> dict[str, Any]:
        """The reference kept in the document (``content_type`` read from the stored bytes)."""
        return {
            "file_id": file_id,
            "filename": safe_filename(filename),
            "size": self.size,
            "content_type": content_type,
            "sha256": self.digest.hexdigest(),
        }


class FileTooLarge(ValueError):
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        super().__init__(f"Le fichier dépasse la taille maximale autorisée ({_megabytes(max_bytes)}).")


class FileStore:
    def __init__(self, root: str | os.PathLike[str], fsync: bool = True):
        """``fsync=False`` (test suites only, ``STORE_FSYNC``): a file is still complete or absent
        after a crashed process, not after a power cut."""
        self.root = Path(root)
        self.fsync = fsync

    def save(
        self, stream: BinaryIO, filename: str, content_type: str | None = None, max_bytes: int | None = None
    ) -> dict[str, Any]:
        """Store the stream; returns the metadata to keep in the referencing document.
        Raises ``FileTooLarge`` (nothing kept) or ``StorageError`` (disk full...).

        The recorded ``content_type`` is read from the stored bytes; the type the
        client declared (``content_type``, kept for the callers) is never trusted."""
        self.root.mkdir(parents=True, exist_ok=True)
        file_id = secrets.token_urlsafe(24)
        tmp = self.root / f".upload.{secrets.token_hex(8)}{TEMP_SUFFIX}"
        measured = Measured(max_bytes)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                for chunk in measured.chunks(stream):
                    write_all(fd, chunk)
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            final = self._location(file_id)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
            if self.fsync:
                fsync_dir(final.parent)
            detected = sniff_path(final, filename)
        except OSError as error:
            discard(tmp)
            raise storage_error(error) from error
        except FileTooLarge:
            discard(tmp)
            raise
        return measured.metadata(file_id, filename, detected)

    def path(self, file_id: str) -> Path:
        """Where the file is; ``NotFound`` for an id that is malformed or unknown."""
        if not isinstance(file_id, str) or not FILE_ID.fullmatch(file_id):
            raise NotFound(file_id)
        location = self._location(file_id)
        if not location.is_file():
            raise NotFound(file_id)
        return location

    def open(self, file_id: str) -> BinaryIO:
        return open(self.path(file_id), "rb")

    def exists(self, file_id: str) -> bool:
        try:
            self.path(file_id)
        except NotFound:
            return False
        return True

    def delete(self, file_id: str) -> bool:
        try:
            os.unlink(self.path(file_id))
        except (NotFound, FileNotFoundError):
            return False
        return True

    def sweep(self, referenced_ids: Iterable[str], older_than: timedelta = timedelta(hours=24)) -> list[str]:
        """Remove files no document references and temp files left by a crash,
        when older than ``older_than``; returns their names relative to the root."""
        referenced = set(referenced_ids)
        limit = time.time() - older_than.total_seconds()
        removed = [p for p in self._stored_files() if p.name not in referenced and _mtime(p) < limit]
        removed += list(stale_temp_files(self.root, older_than.total_seconds()))
        for path in removed:
            discard(path)
        return sorted(p.relative_to(self.root).as_posix() for p in removed)

    def _location(self, file_id: str) -> Path:
        return self.root / file_id[:2] / file_id

    def _stored_files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.is_dir():
                yield from (p for p in folder.iterdir() if FILE_ID.fullmatch(p.name))


def file_refs(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every stored-file reference (a mapping with a ``file_id``) inside a value:
    answers (fields, table cells), versions, message attachments."""
    if isinstance(value, Mapping):
        if "file_id" in value:
            yield value
        else:
            for item in value.values():
                yield from file_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from file_refs(item)


def referenced_file_ids(store: Store) -> set[str]:
    """Every ``file_id`` found in any document of any partition (for the sweep)."""
    found: set[str] = set()
    for name in store.partitions():
        part = store.read(name)
        for table in part.table_names():
            for doc in part.table(table).all():
                _collect_file_ids(doc, found)
    return found


def _collect_file_ids(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("file_id"), str):
            found.add(value["file_id"])
        for item in value.values():
            _collect_file_ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_file_ids(item, found)


def safe_filename(filename: str) -> str:
    """A display name without folders, control or bidirectional characters, of bounded length."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[/\\]", name)[-1]
    # Cc: control characters; Cf: format characters, among them the RTL override
    # that makes "facture\u202efdp.exe" look like "factureexe.pdf".
    name = "".join(" " if c.isspace() else c for c in name if c.isspace() or _printable(c))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        suffix = "." + extension[:10] if dot and stem else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(" .") + suffix
    return name or "fichier"


def _printable(char: str) -> bool:
    return unicodedata.category(char) not in ("Cc", "Cf")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} Mo"
