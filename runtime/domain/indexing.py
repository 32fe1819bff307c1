"""The staff side of the summary index of transmitted demandes (owner: staff domain).

Rows written by the staff side always carry ``tiers_name`` (the Tiers'
raison sociale), so the listing's text search finds a demande by its Tiers
even when the row written at transmission lacked it. ``rebuild_index`` (the
``portail index rebuild`` command) rewrites the whole index, and the
applicants' summaries, from the ``demandes/*`` partitions. Runs inside an application context.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..services import services
from ..storage.index import DemandeIndex
from ..storage.repositories.tiers import tiers_name
from .workflow import BROUILLON

DEMANDES = "demandes"
DEMANDE_PREFIX = "demandes/"


def is_transmitted(demande: Mapping[str, Any]) -> bool:
    return bool(demande.get("transmitted_at")) and demande.get("status") not in (None, BROUILLON)


def staff_summary(demande: Mapping[str, Any], tiers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The index row of a transmitted demande, with the name of its Tiers."""
    from .demandes import index_summary

    spec = services().catalog.version(demande["version_key"]) if demande.get("version_key") else None
    return index_summary(demande, spec, tiers_name(tiers), tiers)


def reindex(demande: Mapping[str, Any]) -> None:
    """Refresh the row of a demande after a staff transition."""
    tiers_id = demande.get("tiers_id")
    tiers = services().repos.tiers.get(tiers_id) if tiers_id else None
    DemandeIndex(services().store).upsert(staff_summary(demande, tiers))


@dataclass(frozen=True)
class RebuildReport:
    indexed: int
    removed: int


def demande_partitions(store) -> list[str]:
    """The partitions holding demandes (one place to change with the layout)."""
    return list(store.partitions(DEMANDE_PREFIX))


def rebuild_index(report=None) -> RebuildReport:
    """Upsert every transmitted demande, drop the rows of demandes that no
    longer exist (or are drafts again), recount the shards, and rewrite the
    applicants' summaries. ``report(done, total)`` follows the partitions read (jobs)."""
    store, repos = services().store, services().repos
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
                index.upsert(staff_summary(demande, names[tiers_id]))
                indexed.add(demande["id"])
        if report is not None:
            report(done, len(partitions))
    removed = sum(_drop_row(index, shard, row_id) for shard, row_id in _indexed_rows(store) if row_id not in indexed)
    index.rebuild_counts()
    repos.demandes.rebuild_summaries()
    return RebuildReport(indexed=len(indexed), removed=removed)


def _indexed_rows(store):
    for name, row in _index_rows(store):
        yield name, row["id"]


def _drop_row(index: DemandeIndex, shard: str, row_id: str) -> int:
    if not index.remove(row_id):
        # A row the locator does not know (crash between two writes): drop it from its shard.
        with index.store.transaction(shard) as part:
            if part.table(DEMANDES).get(row_id) is not None:
                part.table(DEMANDES).remove(row_id)
    return 1


@dataclass(frozen=True)
class IndexProblems:
    missing: list[str]  # numbers of transmitted demandes without a row
    stale: list[str]  # numbers whose row disagrees (status, number, partition)


def index_problems(store) -> IndexProblems:
    """Compare every transmitted demande with its index row (a full read, for
    ``portail storage check``; ``portail index rebuild`` repairs)."""
    rows = {row["id"]: row for _, row in _index_rows(store)}
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


def _index_rows(store):
    for name in list(store.partitions("index/")):
        if not name.removeprefix("index/").startswith("_"):
            for row in store.read(name).table(DEMANDES).all():
                yield name, row


def _rebuild_job(job, report) -> dict[str, Any]:
    result = rebuild_index(report)
    return {"indexed": result.indexed, "removed": result.removed}


def _register() -> None:
    from .jobs import handler

    handler("index_rebuild")(_rebuild_job)


_register()
