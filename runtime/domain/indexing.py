"""The staff side of the summary index of transmitted demandes (owner: staff domain).

Rows written by the staff side always carry ``tiers_name`` (the Tiers'
raison sociale), so the listing's text search finds a demande by its Tiers
even when the row written at transmission lacked it. ``rebuild_index`` (the
``portail index rebuild`` command) rewrites the whole index from the
``tiers/*`` partitions. ``StaffIndexer(store, repos, catalog)`` is built once in
``Services`` (``services().staff_index``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..storage.index import DemandeIndex
from ..storage.repositories.tiers import tiers_name
from .workflow import BROUILLON

TIERS_PREFIX = "tiers/"
DEMANDES = "demandes"


def is_transmitted(demande: Mapping[str, Any]) -> bool:
    return bool(demande.get("transmitted_at")) and demande.get("status") not in (None, BROUILLON)


@dataclass(frozen=True)
class RebuildReport:
    indexed: int
    removed: int


class StaffIndexer:
    """Writes the staff rows of the summary index (``runtime.storage.index.DemandeIndex``)."""

    def __init__(self, store: Any, repos: Any, catalog: Any):
        self.store, self.repos, self.catalog = store, repos, catalog

    def staff_summary(self, demande: Mapping[str, Any], tiers: Mapping[str, Any] | None) -> dict[str, Any]:
        """The index row of a transmitted demande, with the name of its Tiers."""
        from .demandes import index_summary

        spec = self.catalog.version(demande["version_key"]) if demande.get("version_key") else None
        return index_summary(demande, spec, tiers_name(tiers))

    def reindex(self, demande: Mapping[str, Any]) -> None:
        """Refresh the row of a demande after a staff transition."""
        tiers_id = demande.get("tiers_id")
        tiers = self.repos.tiers.get(tiers_id) if tiers_id else None
        DemandeIndex(self.store).upsert(self.staff_summary(demande, tiers))

    def rebuild(self) -> RebuildReport:
        """Upsert every transmitted demande of every Tiers, drop the rows of demandes
        that no longer exist (or are drafts again), then recount the shards."""
        store = self.store
        index = DemandeIndex(store)
        indexed: set[str] = set()
        for partition in store.partitions(TIERS_PREFIX):
            tiers = self.repos.tiers.get(partition.removeprefix(TIERS_PREFIX))
            for demande in store.read(partition).table(DEMANDES).all():
                if is_transmitted(demande):
                    index.upsert(self.staff_summary(demande, tiers))
                    indexed.add(demande["id"])
        removed = sum(_drop_row(index, shard, row_id) for shard, row_id in _indexed_rows(store)
                      if row_id not in indexed)
        index.rebuild_counts()
        return RebuildReport(indexed=len(indexed), removed=removed)


def _indexed_rows(store):
    for name in list(store.partitions("index/")):
        if not name.removeprefix("index/").startswith("_"):
            for row in store.read(name).table(DEMANDES).all():
                yield name, row["id"]


def _drop_row(index: DemandeIndex, shard: str, row_id: str) -> int:
    if not index.remove(row_id):
        # A row the locator does not know (crash between two writes): drop it from its shard.
        with index.store.transaction(shard) as part:
            if part.table(DEMANDES).get(row_id) is not None:
                part.table(DEMANDES).remove(row_id)
    return 1
