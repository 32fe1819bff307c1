"""Durable file writes shared by the partition store and the file store.

A write goes to a temp file in the destination folder, is flushed and
fsynced, then renamed over the destination with ``os.replace`` (atomic on
POSIX), and the folder is fsynced so the rename itself survives a power cut.
Temp files are named ``.<name>.<random>.tmp`` so a sweep can recognise them.
"""
from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from .base import StorageError

DISK_FULL = (
    "Enregistrement impossible : espace disque insuffisant sur le serveur. "
    "Vos données précédentes sont intactes ; réessayez plus tard."
)
WRITE_FAILED = (
    "Enregistrement impossible : erreur d'écriture sur le serveur. "
    "Vos données précédentes sont intactes ; réessayez plus tard."
)
TEMP_SUFFIX = ".tmp"


def temp_path_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")


def storage_error(error: OSError) -> StorageError:
    """The French error shown to the user for a failed write."""
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    return StorageError(DISK_FULL if full else WRITE_FAILED)


def write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def keep_backup(path: Path) -> None:
    """Hard-link the current version as ``<name>.bak`` (the file itself never disappears)."""
    link = temp_path_for(path)
    try:
        os.link(path, link)
    except FileNotFoundError:
        return
    os.replace(link, path.with_name(path.name + ".bak"))


def replace_atomically(path: Path, payload: bytes, backup: bool = False, fsync: bool = True) -> None:
    """Write ``payload`` to ``path`` so that readers see the old or the new
    content, never a mix, even after a process crash. Raises ``StorageError``.
    ``fsync=False`` (tests only) keeps that but not survival of a power cut."""
    tmp = temp_path_for(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            write_all(fd, payload)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        if backup:
            keep_backup(path)
        os.replace(tmp, path)
    except OSError as error:
        discard(tmp)
        raise storage_error(error) from error
    if not fsync:
        return
    try:
        fsync_dir(path.parent)
    except OSError as error:
        raise storage_error(error) from error


def stale_temp_files(root: Path, older_than_seconds: float) -> Iterator[Path]:
    """Temp files left by a crashed writer (never a file a live writer may still rename)."""
    limit = time.time() - older_than_seconds
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                path = Path(folder) / name
                try:
                    if path.stat().st_mtime < limit:
                        yield path
                except FileNotFoundError:
                    continue
