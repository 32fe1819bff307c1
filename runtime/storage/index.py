"""The staff summary index of transmitted demandes.

A demande is indexed when it is transmitted and each time its status changes;
drafts never touch the index. Rows are small summaries
(``id, numero, teleservice, tiers_id, tiers_name, statut, transmitted_at,
updated_at, montant_demande...``) sharded by téléservice and month of
transmission, with exact counters per shard and status kept in one small
partition, so the first page of a listing reads one or two shards whatever
the number of demandes (see docs/storage.md):

- ``index/<teleservice>/<yyyy-mm>``, table ``demandes``: the rows of a shard;
- ``index/_counts``, table ``shards``: ``{"id": "<teleservice>/<yyyy-mm>",
  "teleservice", "month", "total", "statuts": {statut: n}}``;
- ``index/_where/<xx>``, table ``demandes``: ``{"id": demande_id, "shard"}``,
  256 buckets, so ``get(id)`` and a change of shard need no scan.

- ``index/_text/<xxx>`` (4,096 buckets by a hash of the word), table
  ``postings``: ``{"id": word, "rows": {demande_id: row}, "common": bool}``,
  the rows whose text (number, Tiers name, title, applicant, commune) holds
  that word; a word found in more than ``TEXT_CAP`` rows is marked
  ``common`` and keeps no rows (it cannot narrow a search);
- ``index/_vocab/<xxx>``, table ``words``: ``{"id": first 3 letters,
  "words": [...]}``, so a word typed in part ("pani") finds "panier".

Writers take the ``index/_counts`` lock first, then the bucket, then the
shard, then the text buckets and the vocabulary buckets (each set in sorted
order): one order, so no deadlock, and counters always match the rows they
describe (``rebuild_counts`` repairs them after a crash between the writes).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from itertools import groupby
from typing import Any

from .base import Document, Store

COUNTS = "index/_counts"
TEXT_FIELDS = ("numero", "tiers_name", "title", "applicant", "commune")
TEXT_CAP = 500  # rows kept per word; a commoner word narrows nothing (a scan answers)
PREFIX_LENGTH = 3
WORD = re.compile(r"[0-9a-z]+")
# The text index is derived from the rows (rebuilt by `portail index rebuild`): written without fsync.
DERIVED_PREFIXES = ("index/_text/", "index/_vocab/")
TELESERVICE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
MONTH = re.compile(r"\d{4}-\d{2}")
EXACT_FILTERS = frozenset({"teleservice", "statut"})  # answered from the counters alone


class DemandeIndex:
    """``DemandeIndex(store)`` gives the implementation that suits the store: these
    partitions for TinyDB and memory, SQL tables for PostgreSQL (``pg_index.py``)."""

    def __new__(cls, store: Store):
        if cls is DemandeIndex and hasattr(store, "demande_index"):
            return store.demande_index()
        return super().__new__(cls)

    def __init__(self, store: Store):
        self.store = store

    def upsert(self, summary: Mapping[str, Any]) -> Document:
        """Add or refresh the row of a transmitted demande; returns the stored row."""
        row = _normalise(summary)
        shard = shard_of(row)
        with self.store.transaction(COUNTS) as counts, self.store.transaction(bucket_of(row["id"])) as where:
            located = where.table("demandes").get(row["id"])
            old_shard = located["shard"] if located else None
            previous = self._pop(old_shard, row["id"]) if old_shard not in (None, shard) else None
            with self.store.transaction(f"index/{shard}") as part:
                table = part.table("demandes")
                if old_shard == shard:
                    previous = table.get(row["id"])
                # a row without a bucket entry: a crash came after the shard write, before the counters
                _put(table, row)
            if old_shard != shard:
                _put(where.table("demandes"), {"id": row["id"], "shard": shard})
            shards = counts.table("shards")
            if previous is not None:
                _count(shards, old_shard, previous, -1)
            _count(shards, shard, row, +1)
            self._index_text(previous, row)
        return row

    def get(self, demande_id: str) -> Document | None:
        located = self.store.read(bucket_of(demande_id)).table("demandes").get(demande_id)
        if located is None:
            return None
        return self.store.read(f"index/{located['shard']}").table("demandes").get(demande_id)

    def remove(self, demande_id: str) -> bool:
        with self.store.transaction(COUNTS) as counts, self.store.transaction(bucket_of(demande_id)) as where:
            located = where.table("demandes").get(demande_id)
            if located is None:
                return False
            previous = self._pop(located["shard"], demande_id)
            where.table("demandes").remove(demande_id)
            if previous is not None:
                _count(counts.table("shards"), located["shard"], previous, -1)
                self._index_text(previous, None)
        return True

    def search(
        self,
        filters: Mapping[str, Any] | None = None,
        page: int = 1,
        per_page: int = 50,
        teleservices: Iterable[str] | None = None,
    ) -> tuple[list[Document], int]:
        """Rows matching ``filters`` (``teleservice``, ``statut``, ``tiers_id``,
        ``date_from``, ``date_to``, ``text``), newest transmission first, and
        their total. ``teleservices`` restricts to a set (instructeurs)."""
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        exact = set(filters) <= EXACT_FILTERS
        matches = _matcher(filters)
        offset, rows, total = (max(page, 1) - 1) * per_page, [], 0
        candidates = self._text_candidates(filters.get("text", "")) if "text" in filters else None
        if candidates is not None:  # answered from the text index: no shard is read
            found = sorted((r for r in candidates if matches(r) and self._in_scope(r, filters, teleservices)),
                           key=lambda r: (r["transmitted_at"], r["id"]), reverse=True)
            return found[offset : offset + per_page], len(found)
        for _month, shards in self._shard_groups(filters, teleservices):
            shards = list(shards)
            known = sum(_counted(s, filters.get("statut")) for s in shards) if exact else None
            if known == 0 or (known is not None and (total + known <= offset or len(rows) >= per_page)):
                total += known
                continue
            matched = sorted(
                (row for s in shards for row in self._rows(s["id"], matches)),
                key=lambda r: (r["transmitted_at"], r["id"]),
                reverse=True,
            )
            start = max(offset - total, 0)
            rows.extend(matched[start : start + per_page - len(rows)])
            total += len(matched)
        return rows, total

    def counts(self) -> dict[str, dict[str, int]]:
        """Number of indexed demandes per téléservice and status."""
        result: dict[str, dict[str, int]] = {}
        for shard in self.store.read(COUNTS).table("shards").all():
            per_status = result.setdefault(shard["teleservice"], {})
            for statut, n in shard["statuts"].items():
                per_status[statut] = per_status.get(statut, 0) + n
        return {t: {s: n for s, n in statuts.items() if n} for t, statuts in result.items() if any(statuts.values())}

    def rebuild_counts(self) -> bool:
        """Recount every shard (after a crash between writes); True if a counter was wrong."""
        with self.store.transaction(COUNTS) as counts:
            shards = counts.table("shards")
            before = {s["id"]: s for s in shards.all()}
            for shard_id in before:
                shards.remove(shard_id)
            for name in self.store.partitions("index/"):
                shard = name.removeprefix("index/")
                if shard.startswith("_"):
                    continue
                for row in self.store.read(name).table("demandes").all():
                    _count(shards, shard, row, +1)
            after = {s["id"]: s for s in shards.all()}
            return _nonzero(before) != _nonzero(after)

    def indexed_ids(self) -> list[str]:
        return [row_id for _shard, row_id in self._shard_rows()]

    def all_rows(self):
        """Every row of the index (a full read, for checks)."""
        for name in list(self.store.partitions("index/")):
            if not name.removeprefix("index/").startswith("_"):
                yield from self.store.read(name).table("demandes").all()

    def remove_unlisted(self, keep: set[str]) -> int:
        """Drop every row whose demande is not in ``keep``; returns how many."""
        removed = 0
        for shard, row_id in list(self._shard_rows()):
            if row_id in keep:
                continue
            if not self.remove(row_id):
                # a row the locator does not know (crash between two writes): drop it from its shard
                with self.store.transaction(shard) as part:
                    if part.table("demandes").get(row_id) is not None:
                        part.table("demandes").remove(row_id)
            removed += 1
        return removed

    def _shard_rows(self):
        for name in list(self.store.partitions("index/")):
            if not name.removeprefix("index/").startswith("_"):
                for row in self.store.read(name).table("demandes").all():
                    yield name, row["id"]

    def _shard_groups(self, filters: Mapping[str, Any], teleservices: Iterable[str] | None):
        """Counter docs of the candidate shards, grouped by month, newest month first."""
        allowed = set(teleservices) if teleservices is not None else None
        first = _month_of(filters.get("date_from"))
        last = _month_of(filters.get("date_to"))
        shards = [
            s
            for s in self.store.read(COUNTS).table("shards").all()
            if (allowed is None or s["teleservice"] in allowed)
            and filters.get("teleservice") in (None, s["teleservice"])
            and (first is None or s["month"] >= first)
            and (last is None or s["month"] <= last)
        ]
        shards.sort(key=lambda s: s["month"], reverse=True)
        return groupby(shards, key=lambda s: s["month"])

    # Text index

    def _text_candidates(self, text: str) -> list[Document] | None:
        """Rows holding every selective word typed, from the text index; None when
        no typed word narrows the search (all short or common): then shards are scanned."""
        selected: dict[str, Document] | None = None
        for word in set(words_of(text)):
            if len(word) < PREFIX_LENGTH:
                continue
            rows = self._rows_with_prefix(word)
            if rows is None:
                continue
            selected = rows if selected is None else {k: v for k, v in selected.items() if k in rows}
        return None if selected is None else list(selected.values())

    def _rows_with_prefix(self, word: str) -> dict[str, Document] | None:
        """Rows with a word starting with ``word``; None if one such word is common."""
        vocabulary = self.store.read(vocab_bucket(word)).table("words").get(word[:PREFIX_LENGTH])
        rows: dict[str, Document] = {}
        for full in (vocabulary or {}).get("words", ()):
            if not full.startswith(word):
                continue
            posting = self.store.read(text_bucket(full)).table("postings").get(full)
            if posting is None:
                continue
            if posting.get("common"):
                return None
            rows.update(posting["rows"])
        return rows

    @staticmethod
    def _in_scope(row: Mapping[str, Any], filters: Mapping[str, Any], teleservices: Iterable[str] | None) -> bool:
        allowed = set(teleservices) if teleservices is not None else None
        return (allowed is None or row["teleservice"] in allowed) and filters.get("teleservice") in (
            None, row["teleservice"])

    def _index_text(self, previous: Mapping[str, Any] | None, row: Mapping[str, Any] | None) -> None:
        """Move ``row`` (None: removed) from the postings of its old words to those of its new ones."""
        old = _indexed_words(previous) if previous is not None else set()
        new = _indexed_words(row) if row is not None else set()
        buckets: dict[str, list[str]] = {}
        for word in old | new:
            buckets.setdefault(text_bucket(word), []).append(word)
        for bucket in sorted(buckets):
            with self.store.transaction(bucket) as part:
                postings = part.table("postings")
                for word in buckets[bucket]:
                    _post(postings, word, (previous or row)["id"], row if word in new else None)
        self._add_vocabulary(new - old)

    def _add_vocabulary(self, words: set[str]) -> None:
        by_bucket: dict[str, set[str]] = {}
        for word in words:
            by_bucket.setdefault(vocab_bucket(word), set()).add(word)
        for bucket in sorted(by_bucket):
            with self.store.transaction(bucket) as part:
                table = part.table("words")
                for word in by_bucket[bucket]:
                    key = word[:PREFIX_LENGTH]
                    doc = table.get(key)
                    if doc is None:
                        table.insert({"id": key, "words": [word]})
                    elif word not in doc["words"]:
                        table.update(key, {"words": sorted({*doc["words"], word})})

    def _rows(self, shard: str, matches) -> list[Document]:
        return self.store.read(f"index/{shard}").table("demandes").find(matches)

    def _pop(self, shard: str, demande_id: str) -> Document | None:
        with self.store.transaction(f"index/{shard}") as part:
            table = part.table("demandes")
            row = table.get(demande_id)
            if row is not None:
                table.remove(demande_id)
            return row


def shard_of(row: Mapping[str, Any]) -> str:
    return f"{row['teleservice']}/{row['transmitted_at'][:7]}"


def _normalise(summary: Mapping[str, Any]) -> Document:
    row = dict(summary)
    if "statut" not in row and "status" in row:  # the demandes repository says "status"
        row["statut"] = row.pop("status")
    for key in ("id", "teleservice", "statut", "transmitted_at"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise ValueError(f"résumé de demande sans {key} : {summary!r}")
    if not TELESERVICE_ID.fullmatch(row["teleservice"]):
        raise ValueError(f"identifiant de téléservice invalide : {row['teleservice']!r}")
    if not MONTH.match(row["transmitted_at"]):
        raise ValueError(f"date de transmission invalide : {row['transmitted_at']!r}")
    return row


def words_of(text: Any) -> list[str]:
    """Accent- and case-insensitive words (letters and digits) of a text."""
    return WORD.findall(_fold(text or ""))


def _indexed_words(row: Mapping[str, Any]) -> set[str]:
    """The words a row is found by; a number also without its leading zeros
    ("000123" is found by "123")."""
    words = set(words_of(" ".join(str(row.get(f) or "") for f in TEXT_FIELDS)))
    return words | {w.lstrip("0") for w in words if w.isdigit() and w.lstrip("0")}


def text_bucket(word: str) -> str:
    return f"index/_text/{hashlib.sha1(word.encode()).hexdigest()[:3]}"


def vocab_bucket(word: str) -> str:
    return f"index/_vocab/{hashlib.sha1(word[:PREFIX_LENGTH].encode()).hexdigest()[:3]}"


def _post(postings, word: str, demande_id: str, row: Mapping[str, Any] | None) -> None:
    doc = postings.get(word)
    if doc is None:
        if row is None:
            return
        doc = {"id": word, "rows": {}, "common": False}
        postings.insert(doc)
    if doc["common"]:
        return
    if row is None:
        doc["rows"].pop(demande_id, None)
    else:
        doc["rows"][demande_id] = dict(row)
        if len(doc["rows"]) > TEXT_CAP:
            doc.update(rows={}, common=True)
    postings.replace(word, doc)


def bucket_of(demande_id: str) -> str:
    return f"index/_where/{hashlib.sha1(demande_id.encode()).hexdigest()[:2]}"


def _put(table, doc: Document) -> None:
    if table.get(doc["id"]) is None:
        table.insert(doc)
    else:
        table.replace(doc["id"], doc)


def _count(shards, shard: str, row: Mapping[str, Any], delta: int) -> None:
    doc = shards.get(shard)
    if doc is None:
        teleservice, month = shard.split("/")
        doc = {"id": shard, "teleservice": teleservice, "month": month, "total": 0, "statuts": {}}
        shards.insert(doc)
    doc["total"] += delta
    doc["statuts"][row["statut"]] = doc["statuts"].get(row["statut"], 0) + delta
    shards.replace(shard, doc)


def _counted(shard: Mapping[str, Any], statut: str | None) -> int:
    return shard["total"] if statut is None else shard["statuts"].get(statut, 0)


def _nonzero(shards: Mapping[str, Document]) -> dict[str, dict[str, int]]:
    return {k: {s: n for s, n in v["statuts"].items() if n} for k, v in shards.items() if v["total"]}


def _month_of(value: Any) -> str | None:
    return None if value is None else _day(value)[:7]


def _day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, date) else str(value)[:10]


def _fold(text: Any) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _matcher(filters: Mapping[str, Any]):
    """A predicate for the filters that the shard choice has not already applied."""
    statut, tiers_id = filters.get("statut"), filters.get("tiers_id")
    first = _day(filters["date_from"]) if "date_from" in filters else None
    last = _day(filters["date_to"]) if "date_to" in filters else None
    words = _fold(filters.get("text", "")).split()

    def matches(row: Mapping[str, Any]) -> bool:
        day = row["transmitted_at"][:10]
        if (statut and row.get("statut") != statut) or (tiers_id and row.get("tiers_id") != tiers_id):
            return False
        if (first and day < first) or (last and day > last):
            return False
        haystack = " ".join(_fold(row.get(f) or "") for f in TEXT_FIELDS)
        return all(word in haystack for word in words)

    return matches
