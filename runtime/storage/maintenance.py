"""Operator tasks behind ``portail storage check`` and ``portail files sweep``."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .base import CorruptPartition, Store
from .durable import discard, stale_temp_files
from .files import FileStore, referenced_file_ids
from .index import DemandeIndex

STALE_TEMP_AGE = timedelta(hours=1)  # no live writer holds a temp file that long


@dataclass
class CheckReport:
    corrupt: list[CorruptPartition] = field(default_factory=list)
    removed_temp_files: list[str] = field(default_factory=list)
    index_repaired: bool = False


def check_store(store: Store) -> CheckReport:
    """Report corrupt partitions; when none, also clean stale temp files and recount the index."""
    report = CheckReport(corrupt=store.check())
    if report.corrupt:
        return report
    root = getattr(store, "root", None)  # the memory store has no files
    if root is not None:
        for path in stale_temp_files(root, STALE_TEMP_AGE.total_seconds()):
            discard(path)
            report.removed_temp_files.append(str(path))
    report.index_repaired = DemandeIndex(store).rebuild_counts()
    return report


def sweep_files(store: Store, files: FileStore, older_than: timedelta) -> list[str]:
    """Remove orphan uploads; refused while a partition is unreadable, since the
    references it holds cannot be seen and its files would be taken for orphans."""
    corrupt = store.check()
    if corrupt:
        raise corrupt[0]
    return files.sweep(referenced_file_ids(store), older_than)
