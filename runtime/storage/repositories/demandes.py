"""Demandes: one partition per demande, ``demandes/<demande_id>`` (table
``demandes``, one document), so reading or saving a demande costs the same
whatever the size of its Tiers.

Every demande belongs to an *owner*: ``tiers/<tiers_id>``, or, for the
Tiers-creation demande of an account that has no Tiers yet,
``drafts/<account_id>``. The owner is kept in the document under the key
``partition`` (the name every caller already passes to ``get``/``modify``),
and a demande asked for under another owner is not found.

What the lists of an owner need lives in small **summaries**, written by
every write of the demande (same method, under the demande's lock):

- ``owners/<owner>/<yyyy-mm>`` (month the demande was created), table
  ``demandes``: one row per demande (``SUMMARY_FIELDS``);
- ``owners/<owner>/_counts``: table ``months`` (``{"id": month, "total",
  "statuses": {status: n}}``), table ``decisions`` (the latest decisions) and
  table ``recent``: the owner's newest rows (at most ``RECENT_ROWS``, always the
  newest ones), from which page 1 of a list is served without reading a
  month shard, so a commune's first page costs about what a small Tiers' does.

Lock order: ``demandes/<id>``, then ``owners/<owner>/_counts``, then the
month shard (then ``numbers/<series>`` for a number). Demande numbers come from
one counter partition per series and year, ``numbers/<prefix>-<year>``; the form data of an expired
session waits in ``pending_drafts`` until the login.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from ...vocabulary import Status
from ..base import Document, new_id
from ..documents import Demande
from ._base import BaseRepository

TABLE = "demandes"
STATUSES = tuple(Status)
FINAL_STATUSES = (Status.ACCEPTEE, Status.REFUSEE, Status.CLASSEE_SANS_SUITE)
PENDING_PARTITION = "pending_drafts"
LEGACY_NUMBERS = "registry"  # where the counters were kept before ``numbers/<series>``
PENDING_TTL = timedelta(hours=24)
PREFIX = "demandes/"
OWNERS = "owners/"
RECENT_DECISIONS = 10
RECENT_ROWS = 20  # newest summary rows kept in the counters (a list page shows 10)
SAFE_ID = re.compile(r"[0-9a-z_-]{1,64}")
OWNER = re.compile(r"(tiers|drafts)/[0-9a-z_-]{1,64}")
# What lists show, copied from the demande at each write (progress and steps are
# computed by the domain when it saves: see runtime.domain.demandes.refresh_progress).
SUMMARY_FIELDS = (
    "id", "partition", "teleservice", "teleservice_title", "kind", "version_key", "tiers_id", "status",
    "numero", "created_at", "updated_at", "transmitted_at", "status_at", "progress", "next_page",
    "montant_demande", "decision", "complement",
)


def tiers_partition(tiers_id: str) -> str:
    return f"tiers/{tiers_id}"


def account_partition(account_id: str) -> str:
    return f"drafts/{account_id}"


def demande_partition(demande_id: str) -> str:
    return PREFIX + demande_id


def numbers_partition(key: str) -> str:
    """The counter of one number series (``<prefix>-<year>``): a partition of its own, so a
    transmission never rewrites a partition shared with every Tiers (the ``registry``)."""
    return "numbers/" + (re.sub(r"[^a-z0-9_-]", "_", key.lower()) or "_")


def counts_partition(owner: str) -> str:
    return f"{OWNERS}{owner}/_counts"


def shard_partition(owner: str, created_at: str) -> str:
    return f"{OWNERS}{owner}/{(created_at or '0000-00')[:7]}"


def summary_of(doc: Mapping[str, Any]) -> Document:
    return {key: doc.get(key) for key in SUMMARY_FIELDS}


def _valid_id(demande_id: Any) -> bool:
    return isinstance(demande_id, str) and SAFE_ID.fullmatch(demande_id) is not None


class DemandeRepository(BaseRepository):
    """Plain-dict access to demandes; every write happens under the lock of
    the demande's partition, and refreshes its summary."""

    def create(self, partition: str, doc: Mapping[str, Any]) -> Demande:
        now = self.now_iso()
        document = {
            "id": new_id(),
            "status": Status.BROUILLON,
            "answers": {},
            "set_aside": {},
            "page_states": {},
            "history": [],
            "versions": [],
            "revision": 0,
            "numero": None,
            "transmitted_at": None,
            "created_at": now,
            "updated_at": now,
            **doc,
            "partition": partition,
        }
        with self.store.transaction(demande_partition(document["id"])) as part:
            part.table(TABLE).insert(document)
            self._write_summary(None, document)
        return document

    def get(self, partition: str, demande_id: str) -> Demande | None:
        """The demande if it belongs to ``partition`` (its owner), else None."""
        doc = self.find_anywhere(demande_id)
        return doc if doc is not None and doc.get("partition") == partition else None

    def find_anywhere(self, demande_id: str) -> Demande | None:
        """A demande by id whatever its owner (staff side, file downloads)."""
        if not _valid_id(demande_id):
            return None
        return self.store.read(demande_partition(demande_id)).table(TABLE).get(demande_id)

    def list(self, partition: str) -> list[Demande]:
        """Every demande of an owner, newest first (reads each one: for tools and tests,
        never for a page; pages use ``summaries``)."""
        docs = [self.find_anywhere(row["id"]) for row in self.all_summaries(partition)]
        return [d for d in docs if d is not None and d.get("partition") == partition]

    def modify(self, partition: str, demande_id: str, change: Callable[[Document], Document | None]) -> Demande | None:
        """Apply ``change`` to a fresh copy under the demande's lock.

        ``change`` edits the document in place (or returns a new one); returning
        ``None`` from it after editing is fine. Raise inside it to write nothing.
        Returns the stored document, or ``None`` when the demande does not exist
        (or belongs to another owner). The summary is refreshed in the same call.
        """
        def edit(doc: Document) -> Document:
            result = change(doc)
            doc = result if result is not None else doc
            doc["partition"] = partition
            doc["updated_at"] = self.now_iso()
            doc["revision"] = int(doc.get("revision") or 0) + 1
            return doc

        return self._rewrite(partition, demande_id, edit)

    def move(self, partition: str, demande_id: str, target: str, changes: Mapping[str, Any]) -> Document | None:
        """Give a demande another owner (a Tiers-creation demande filed under its new Tiers)."""
        def edit(doc: Document) -> Document:
            doc.update(changes)
            doc["partition"] = target
            return doc

        return self._rewrite(partition, demande_id, edit)

    def _rewrite(self, partition: str, demande_id: str, edit: Callable[[Document], Document]) -> Document | None:
        """Apply ``edit`` to the demande of owner ``partition`` under its lock, then its summary
        (moved to the new owner's summaries when ``edit`` changed the owner)."""
        if not _valid_id(demande_id):
            return None
        with self.store.transaction(demande_partition(demande_id)) as part:
            table = part.table(TABLE)
            doc = table.get(demande_id)
            if doc is None or doc.get("partition") != partition:
                return None
            before = dict(doc)
            doc = edit(doc)
            table.replace(demande_id, doc)
            if doc["partition"] == partition:
                self._write_summary(before, doc)
            else:
                self._drop_summary(before)
                self._write_summary(None, doc)
            return doc

    def remove(self, partition: str, demande_id: str) -> bool:
        if not _valid_id(demande_id):
            return False
        with self.store.transaction(demande_partition(demande_id)) as part:
            table = part.table(TABLE)
            doc = table.get(demande_id)
            if doc is None or doc.get("partition") != partition:
                return False
            table.remove(demande_id)
            self._drop_summary(doc)
            return True

    def next_numero(self, prefix: str, year: int) -> str:
        """``<prefix>-<year>-<6-digit counter>``, unique across the portal.

        Call it inside the write that files the demande (``modify``), after
        checking the demande is not filed yet: a lost race then takes no number.
        """
        key = f"{prefix}-{year}"
        with self.store.transaction(numbers_partition(key)) as part:
            counters = part.table("counters")
            counter = counters.get(key)
            if counter is None:  # first number of the year since the layout changed: continue the registry's
                counter = self.store.read(LEGACY_NUMBERS).table("counters").get(key) or {"id": key, "value": 0}
                counters.insert({"id": key, "value": counter["value"]})
            value = counter["value"] + 1
            counters.update(key, {"value": value})
        return f"{key}-{value:06d}"

    # Summaries: what lists read

    def summaries(self, partition: str, statuses: tuple[str, ...] | None = None, page: int = 1,
                  per_page: int = 20, offset: int | None = None) -> tuple[list[Document], int]:
        """Summary rows of an owner's demandes (with a status in ``statuses``),
        newest created first, one page of them, and their total.

        The counters say which months hold the page: page 1 reads the
        counters and the newest month shard or two, whatever the number of
        demandes of the owner. ``offset`` (rows to skip) replaces ``page`` when given."""
        offset = (max(page, 1) - 1) * per_page if offset is None else max(offset, 0)
        if offset == 0:
            first = self._recent_page(partition, statuses, per_page)
            if first is not None:
                return first
        rows, total = [], 0
        for month in self._months(partition):
            known = month["total"] if statuses is None else sum(month["statuses"].get(s, 0) for s in statuses)
            if known <= 0 or total + known <= offset or len(rows) >= per_page:
                total += max(known, 0)
                continue
            matched = self._shard_rows(partition, month["id"], statuses)
            start = max(offset - total, 0)
            rows.extend(matched[start : start + per_page - len(rows)])
            total += len(matched)
        return rows, total

    def all_summaries(self, partition: str, statuses: tuple[str, ...] | None = None) -> Iterator[Document]:
        """Every summary row of an owner, newest first, one month shard at a time."""
        for month in self._months(partition):
            yield from self._shard_rows(partition, month["id"], statuses)

    def recent_decisions(self, partition: str, limit: int = 5) -> list[Document]:
        """The latest decisions on an owner's demandes (summary rows), newest first."""
        if not OWNER.fullmatch(partition or ""):
            return []
        rows = self.store.read(counts_partition(partition)).table("decisions").all()
        return sorted(rows, key=lambda r: (r.get("status_at") or "", r["id"]), reverse=True)[:limit]

    def _recent_page(self, partition: str, statuses: tuple[str, ...] | None,
                     per_page: int) -> tuple[list[Document], int] | None:
        """Page 1 from the newest rows kept in the counters, or None when they do not hold it
        (fewer matching rows than a page, and older rows exist that they do not hold)."""
        if not OWNER.fullmatch(partition or ""):
            return None
        counts = self.store.read(counts_partition(partition))
        months = counts.table("months").all()
        recent = counts.table("recent").all()
        everything = sum(m["total"] for m in months)
        total = everything if statuses is None else sum(
            max(sum(m["statuses"].get(s, 0) for s in statuses), 0) for m in months)
        rows = sorted((r for r in recent if statuses is None or r.get("status") in statuses),
                      key=_newest_first, reverse=True)
        if len(rows) >= per_page or len(recent) >= everything:
            return rows[:per_page], total
        return None

    def _months(self, partition: str) -> list[Document]:
        if not OWNER.fullmatch(partition or ""):
            return []
        months = self.store.read(counts_partition(partition)).table("months").all()
        return sorted(months, key=lambda m: m["id"], reverse=True)

    def _shard_rows(self, partition: str, month: str, statuses) -> list[Document]:
        rows = self.store.read(f"{OWNERS}{partition}/{month}").table(TABLE).all()
        if statuses is not None:
            rows = [r for r in rows if r.get("status") in statuses]
        return sorted(rows, key=lambda r: (r.get("created_at") or "", r["id"]), reverse=True)

    def _write_summary(self, before: Mapping[str, Any] | None, doc: Mapping[str, Any]) -> None:
        owner = doc["partition"]
        row = summary_of(doc)
        with self.store.transaction(counts_partition(owner)) as counts, \
                self.store.transaction(shard_partition(owner, doc["created_at"])) as shard:
            rows = shard.table(TABLE)
            previous = rows.get(doc["id"])
            if previous is None:
                rows.insert(row)
            else:
                rows.replace(doc["id"], row)
            month = (doc["created_at"] or "0000-00")[:7]
            if previous is not None:
                _count(counts.table("months"), month, previous["status"], -1)
            _count(counts.table("months"), month, doc["status"], +1)
            self._note_decision(counts.table("decisions"), before, row)
            _note_recent(counts.table("recent"), counts.table("months"), row)

    def _drop_summary(self, doc: Mapping[str, Any]) -> None:
        owner = doc["partition"]
        with self.store.transaction(counts_partition(owner)) as counts, \
                self.store.transaction(shard_partition(owner, doc["created_at"])) as shard:
            previous = shard.table(TABLE).get(doc["id"])
            if previous is not None:
                shard.table(TABLE).remove(doc["id"])
                _count(counts.table("months"), (doc["created_at"] or "0000-00")[:7], previous["status"], -1)
            if counts.table("decisions").get(doc["id"]) is not None:
                counts.table("decisions").remove(doc["id"])
            if counts.table("recent").get(doc["id"]) is not None:  # the others stay the newest
                counts.table("recent").remove(doc["id"])

    @staticmethod
    def _note_decision(decisions, before: Mapping[str, Any] | None, row: Mapping[str, Any]) -> None:
        """Keep the latest decisions (final statuses) of the owner, for the dashboard."""
        if decisions.get(row["id"]) is not None:
            decisions.remove(row["id"])
        if row["status"] not in FINAL_STATUSES:
            return
        decisions.insert(dict(row))
        kept = sorted(decisions.all(), key=lambda r: (r.get("status_at") or "", r["id"]), reverse=True)
        for old in kept[RECENT_DECISIONS:]:
            decisions.remove(old["id"])

    def rebuild_summaries(self) -> int:
        """Rewrite every owner's summaries from the demandes (after a crash between writes)."""
        for name in list(self.store.partitions(OWNERS)):
            with self.store.transaction(name) as part:
                for table in part.table_names():
                    for doc in part.table(table).all():
                        part.table(table).remove(doc["id"])
        count = 0
        for name in list(self.store.partitions(PREFIX)):
            for doc in self.store.read(name).table(TABLE).all():
                with self.store.transaction(name):
                    self._write_summary(None, doc)
                count += 1
        return count


    # Form data posted after the session expired, kept until the next login.

    def stash_pending(self, payload: Mapping[str, Any]) -> str:
        pending_id = secrets.token_urlsafe(24)
        with self.store.transaction(PENDING_PARTITION) as part:
            table = part.table("pending")
            self._drop_expired(table)
            table.insert({"id": pending_id, "created_at": self.now_iso(), **payload})
        return pending_id

    def pop_pending(self, pending_id: str) -> Document | None:
        with self.store.transaction(PENDING_PARTITION) as part:
            table = part.table("pending")
            doc = table.get(pending_id)
            if doc is None:
                return None
            table.remove(pending_id)
        if doc["created_at"] < (self.clock.now() - PENDING_TTL).isoformat(timespec="seconds"):
            return None
        return doc

    def _drop_expired(self, table) -> None:
        limit = (self.clock.now() - PENDING_TTL).isoformat(timespec="seconds")
        for doc in table.find(lambda d: d["created_at"] < limit):
            table.remove(doc["id"])


def _newest_first(row: Mapping[str, Any]) -> tuple[str, str]:
    """The order of the lists (reversed): creation time, then id."""
    return (row.get("created_at") or "", row["id"])


def _note_recent(recent, months, row: Mapping[str, Any]) -> None:
    """Keep ``recent`` the newest rows of the owner (``row`` counted in ``months``
    already): a row enters when it is newer than the oldest kept, or when every
    other row of the owner is kept; beyond ``RECENT_ROWS`` the oldest leaves. A row
    removed from the owner leaves too (``_drop_summary``): the rest are still the newest."""
    if recent.get(row["id"]) is not None:
        recent.replace(row["id"], dict(row))
        return
    kept = recent.all()
    others = sum(m["total"] for m in months.all()) - 1
    if len(kept) < others and (not kept or _newest_first(row) < min(map(_newest_first, kept))):
        return
    recent.insert(dict(row))
    kept.append(row)
    for old in sorted(kept, key=_newest_first, reverse=True)[RECENT_ROWS:]:
        recent.remove(old["id"])


def _count(months, month: str, status: str, delta: int) -> None:
    doc = months.get(month) or {"id": month, "total": 0, "statuses": {}}
    doc["total"] += delta
    doc["statuses"][status] = doc["statuses"].get(status, 0) + delta
    if months.get(month) is None:
        months.insert(doc)
    else:
        months.replace(month, doc)
