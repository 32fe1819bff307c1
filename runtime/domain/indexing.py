"""The staff side of the summary index of transmitted demandes (owner: staff domain).

Rows written by the staff side always carry ``tiers_name`` (the Tiers'
raison sociale), so the listing's text search finds a demande by its Tiers
even when the row written at transmission lacked it. ``StaffIndexer.rebuild`` (the
``portail index rebuild`` command) rewrites the whole index, and the applicants'
summaries, from the ``demandes/*`` partitions. ``StaffIndexer(store, repos, catalog)``
is built once in ``Services`` (``services().staff_index``); it delivers the outbox's index
effects (``reindex_effect``) and runs the ``index_rebuild`` job (``rebuild_job``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..storage.index import DemandeIndex
from ..storage.repositories.tiers import tiers_name
from .workflow import BROUILLON

DEMANDES = "demandes"
DEMANDE_PREFIX = "demandes/"


def is_transmitted(demande: Mapping[str, Any]) -> bool:
    return bool(demande.get("transmitted_at")) and demande.get("status") not in (None, BROUILLON)


def demande_partitions(store) -> list[str]:
    """The partitions holding demandes (one place to change with the layout)."""
    return list(store.partitions(DEMANDE_PREFIX))


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
        return index_summary(demande, spec, tiers_name(tiers), tiers)

    def reindex(self, demande: Mapping[str, Any]) -> None:
        """Refresh the row of a demande after a staff transition."""
        tiers_id = demande.get("tiers_id")
        tiers = self.repos.tiers.get(tiers_id) if tiers_id else None
        row = DemandeIndex(self.store).upsert(self.staff_summary(demande, tiers))
        if tiers_id:  # the staff « Échanges » list shows the status from the conversation's summary
            self.repos.messages.note_status(tiers_id, demande["id"], row["statut"], row.get("numero"))

    def reindex_effect(self, demande_id: str, demande: Mapping[str, Any] | None = None) -> None:
        """Deliver an index effect of the outbox: ``demande`` as written, else read again
        (it may have moved or been deleted since: then nothing to do)."""
        if demande is None:
            demande = self.repos.demandes.find_anywhere(demande_id)
        if demande is not None and is_transmitted(demande):
            self.reindex(demande)

    def rebuild_job(self, job: Mapping[str, Any], report) -> dict[str, Any]:
        """The ``index_rebuild`` job (``runtime.domain.jobs``)."""
        result = self.rebuild(report)
        return {"indexed": result.indexed, "removed": result.removed}

    def rebuild(self, report=None) -> RebuildReport:
        """Upsert every transmitted demande, drop the rows of demandes that no
        longer exist (or are drafts again), recount the shards, and rewrite the
        applicants' summaries. ``report(done, total)`` follows the partitions read (jobs)."""
        store, repos = self.store, self.repos
        index = DemandeIndex(store)
        indexed: set[str] = set()
        names: dict[str, Any] = {}
        partitions = demande_partitions(store)
        for done, partition in enumerate(partitions, start=1):
            for demande in store.read(partition).table(DEMANDES).all():
                if is_transmitted(demande):
                    tiers_id = demande.get("tiers_id")
                    if tiers_id not in names:
                        names[tiers_id] = repos.tiers.get(tiers_id) if tiers_id else None
                    index.upsert(self.staff_summary(demande, names[tiers_id]))
                    indexed.add(demande["id"])
            if report is not None:
                report(done, len(partitions))
        removed = index.remove_unlisted(indexed)
        index.rebuild_counts()
        index.rebuild_text()
        repos.demandes.rebuild_summaries()
        return RebuildReport(indexed=len(indexed), removed=removed)


@dataclass(frozen=True)
class IndexProblems:
    missing: list[str]  # numbers of transmitted demandes without a row
    stale: list[str]  # numbers whose row disagrees (status, number, partition)


def index_problems(store) -> IndexProblems:
    """Compare every transmitted demande with its index row (a full read, for
    ``portail storage check``; ``portail index rebuild`` repairs)."""
    rows = {row["id"]: row for row in DemandeIndex(store).all_rows()}
    missing, stale = [], []
    for partition in demande_partitions(store):
        for demande in store.read(partition).table(DEMANDES).all():
            if not is_transmitted(demande):
                continue
            row = rows.get(demande["id"])
            label = demande.get("numero") or demande["id"]
            if row is None:
                missing.append(label)
            elif (row.get("status") or row.get("statut"), row.get("numero"), row.get("partition")) != (
                    demande.get("status"), demande.get("numero"), partition):
                stale.append(label)
    return IndexProblems(missing=missing, stale=stale)
