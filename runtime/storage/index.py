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
- ``index/_where/<demande_id>``, table ``demandes``: ``{"id": demande_id, "shard",
  "row"}``, one tiny partition per indexed demande, so ``get(id)`` and a change of
  shard need no scan and a write rewrites nothing that grows with the total; the
  copy of the row gives a text search's page, scattered over months, without
  reading whole shards (kept by every upsert, status changes included).

- ``index/_text/<yyyy-mm>/<xx>`` (per month of transmission, 256 buckets by a
  hash of the word's first 3 letters, so every word a typed prefix expands to
  lives in one bucket), table ``postings``: ``{"id": word, "rows":
  "<transmitted_at> <id> <teleservice>,..."}``, the demandes transmitted that
  month whose text (number, Tiers name, applicant, commune: ``TEXT_FIELDS``) holds that
  word (3 letters or more), newest first, as one string (parsed ~6x faster
  than one object per demande). A posting only grows with the volume of one
  month, never with the total;
- ``index/_text/<yyyy-mm>/statuts``, table ``postings``: ``{"id": statut,
  "rows": "<id>,..."}``, the demandes of that month by status except
  « transmise » (the others' complement), so a text search filtered by status
  needs no row and a transmission writes none of it. A status change rewrites
  this one partition of the text index, nothing else of it.
- ``index/_tiers/<tiers>/<yyyy-mm>``, table ``postings``: ``{"id": "demandes",
  "rows": "<transmitted_at> <id> <teleservice> <statut>,..."}``, the demandes of
  one Tiers transmitted that month, newest first, so the listing of one Tiers
  (with any other filter) reads its own months, never a shard. A transmission or
  a status change rewrites one month of one Tiers (``<tiers>`` is the Tiers id, or
  its SHA-1 when the id cannot name a partition).

Writers take the ``index/_counts`` lock first, then the bucket, then the
shard, then the text buckets and the Tiers' months (in sorted order): one order, so
no deadlock, and counters always match the rows they describe (``rebuild_counts`` repairs them after a crash between the writes).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from itertools import groupby
from typing import Any

from ..vocabulary import Status
from .base import Document, Store

COUNTS = "index/_counts"
TEXT_FIELDS = ("numero", "tiers_name", "applicant", "commune")
PREFIX_LENGTH = 3
WORD = re.compile(r"[0-9a-z]+")
# The text index is derived from the rows (rebuilt by `portail index rebuild`): written without fsync.
DERIVED_PREFIXES = ("index/_text/", "index/_tiers/", "index/_vocab/")
TIERS_POSTINGS = "index/_tiers/"
TIERS_POSTING = "demandes"  # the one posting of a Tiers' month
LEGACY_VOCABULARY = "index/_vocab/"  # the word lists of the previous layout, emptied by a rebuild
TELESERVICE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
MONTH = re.compile(r"\d{4}-\d{2}")
SEPARATOR = re.compile(r"[\s,]")
EXACT_FILTERS = frozenset({"teleservice", "statut"})  # answered from the counters alone
DATE_FILTERS = frozenset({"date_from", "date_to"})
LEGACY_BUCKET = re.compile(r"index/_where/[0-9a-f]{2}")  # the 256 shared locator buckets of the previous layout


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
            if located != {"id": row["id"], "shard": shard, "row": row}:  # a status change too
                _put(where.table("demandes"), {"id": row["id"], "shard": shard, "row": row})
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
        if "row" in located:
            return located["row"]
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
        filters = given_filters(filters)
        offset, rows, total = page_offset(page, per_page), [], 0
        if "tiers_id" in filters:  # from the Tiers' own postings: no shard is read
            return self._tiers_search(filters, teleservices, offset, per_page)
        # A month the dates take whole is counted from its counters like one without dates;
        # only the months of the first and last days are read to be counted.
        exact = set(filters) - DATE_FILTERS <= EXACT_FILTERS
        _keep, edges = _key_filter(filters)
        matches = _matcher(filters)
        answered = self._text_search(filters, teleservices, offset, per_page) if "text" in filters else None
        if answered is not None:  # from the postings: only the shards holding the rows shown are read
            return answered
        for month, shards in self._shard_groups(filters, teleservices):
            shards = list(shards)
            known = sum(_counted(s, filters.get("statut")) for s in shards) if exact and month not in edges else None
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

    def scan(self, filters: Mapping[str, Any] | None = None,
             teleservices: Iterable[str] | None = None) -> Iterator[Document]:
        """Every row ``search`` would list, in its order, for an export: month by month, each
        shard read once (paging through ``search`` would sort a month again for every page).
        A text or Tiers filter is answered by the postings, page by page."""
        filters = given_filters(filters)
        if "text" in filters or "tiers_id" in filters:
            yield from paged_rows(self, filters, teleservices)
            return
        matches = _matcher(filters)
        for _month, shards in self._shard_groups(filters, teleservices):
            yield from sorted((row for s in shards for row in self._rows(s["id"], matches)),
                              key=lambda r: (r["transmitted_at"], r["id"]), reverse=True)

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

    def _shard_groups(self, filters: Mapping[str, Any], teleservices: Iterable[str] | None,
                      every: list[Document] | None = None):
        """Counter docs of the candidate shards (among ``every``, else all), grouped by month,
        newest month first."""
        allowed = set(teleservices) if teleservices is not None else None
        first = _month_of(filters.get("date_from"))
        last = _month_of(filters.get("date_to"))
        shards = [
            s
            for s in (every if every is not None else self.store.read(COUNTS).table("shards").all())
            if (allowed is None or s["teleservice"] in allowed)
            and filters.get("teleservice") in (None, s["teleservice"])
            and (first is None or s["month"] >= first)
            and (last is None or s["month"] <= last)
        ]
        shards.sort(key=lambda s: s["month"], reverse=True)
        return groupby(shards, key=lambda s: s["month"])

    # Text index

    def _text_search(self, filters: Mapping[str, Any], teleservices: Iterable[str] | None,
                     offset: int, per_page: int) -> tuple[list[Document], int] | None:
        """Answer a text search from the postings, month by month; None when no typed
        word has 3 letters or more (then the candidate shards are scanned). Every month
        is counted from its postings alone (téléservice, status and dates included);
        only the months holding the page are sorted, only the shards of its rows read."""
        typed = sorted({w for w in words_of(filters.get("text", "")) if len(w) >= PREFIX_LENGTH},
                       key=len, reverse=True)  # the longest first: the likeliest to end a month early
        if not typed:
            return None
        every = self.store.read(COUNTS).table("shards").all()
        candidates = {s["id"] for _m, group in self._shard_groups(filters, teleservices, every) for s in group}
        by_month: dict[str, list[Document]] = {}
        for shard in every:
            by_month.setdefault(shard["month"], []).append(shard)
        keep, edges = _key_filter(filters)
        found: list[str] = []
        total = 0
        for month in sorted({s["month"] for s in every if s["id"] in candidates}, reverse=True):
            selected = [s for s in by_month[month] if s["id"] in candidates]
            statut = filters.get("statut")
            wanted = sum(_counted(s, statut) for s in selected)
            if not wanted:
                continue
            keys, ordered = self._month_keys(month, typed)
            if keys and len(selected) < len(by_month[month]):
                teleservice = {s["teleservice"] for s in selected}
                keys = [k for k in keys if k[k.rindex(" ") + 1:] in teleservice]
            if keys and statut and wanted < sum(s["total"] for s in selected):
                keys = self._with_status(month, statut, keys)
            if keys and month in edges:
                keys = [k for k in keys if keep(k)]
            if total < offset + per_page:
                keys = keys if ordered else sorted(keys, reverse=True)
                found.extend(keys[max(offset - total, 0): offset + per_page - total])
            total += len(keys)
        return self._rows_of(found), total

    def _tiers_search(self, filters: Mapping[str, Any], teleservices: Iterable[str] | None,
                      offset: int, per_page: int) -> tuple[list[Document], int]:
        """The demandes of one Tiers from its monthly postings, newest month first: the
        téléservice, the restriction, the status and the dates are read from the keys,
        the text from the text postings of the Tiers' months only (as ``_text_search``
        does); only the rows of the page are read. Typed words all shorter than 3
        letters: the rows of the Tiers' other matches are read and compared."""
        first, last = _month_of(filters.get("date_from")), _month_of(filters.get("date_to"))
        typed = sorted({w for w in words_of(filters.get("text", "")) if len(w) >= PREFIX_LENGTH},
                       key=len, reverse=True)
        scan = "text" in filters and not typed
        wanted = _entry_filter(filters, teleservices)
        keep, edges = _key_filter(filters)
        found: list[str] = []
        total = 0
        for partition in sorted(self.store.partitions(tiers_folder(str(filters["tiers_id"]))), reverse=True):
            month = partition.rsplit("/", 1)[1]
            if (first is not None and month < first) or (last is not None and month > last):
                continue
            doc = self.store.read(partition).table("postings").get(TIERS_POSTING)
            keys = [k for k in (doc["rows"].split(",") if doc else []) if wanted(k)]
            if keys and month in edges:
                keys = [k for k in keys if keep(k)]
            if keys and typed:
                members = set(self._month_keys(month, typed)[0])
                keys = [k for k in keys if k[:k.rindex(" ")] in members]
            if scan or total < offset + per_page:
                found.extend(keys if scan else keys[max(offset - total, 0): offset + per_page - total])
            total += len(keys)
        rows = self._rows_of([k[:k.rindex(" ")] for k in found])
        if scan:
            matches = _matcher(filters)
            rows = [row for row in rows if matches(row)]
            return rows[offset: offset + per_page], len(rows)
        return rows, total

    def _month_keys(self, month: str, typed: list[str]) -> tuple[list[str], bool]:
        """The keys ``"<transmitted_at> <id> <teleservice>"`` of the demandes of ``month``
        holding, for every typed word, a word it begins; and whether they are newest
        first. The intersection starts from the rarest typed word and stops at an empty one."""
        groups: list[list[str]] = []
        read: dict[str, Any] = {}
        for word in typed:
            partition = text_partition(month, word)
            if partition not in read:
                read[partition] = self.store.read(partition).table("postings")
            postings = [doc["rows"] for doc in read[partition].find(lambda d, word=word: d["id"].startswith(word))
                        if isinstance(doc["rows"], str)]  # a posting of layout 2 is not read
            if not postings:
                return [], True
            groups.append(postings)
        groups.sort(key=lambda postings: sum(map(len, postings)))
        rarest, others = groups[0], groups[1:]
        keys = rarest[0].split(",") if len(rarest) == 1 else list(_union(rarest))
        for postings in others:
            members = set(postings[0].split(",")) if len(postings) == 1 else _union(postings)
            keys = [k for k in keys if k in members]
            if not keys:
                break
        return keys, len(rarest) == 1

    def _with_status(self, month: str, statut: str, keys: list[str]) -> list[str]:
        """The keys of demandes in ``statut``: those of its posting; for « transmise »,
        which has none, those in no other posting of the month."""
        postings = {doc["id"]: doc["rows"] for doc in self.store.read(statuts_partition(month)).table("postings").all()
                    if doc["rows"]}
        if statut == Status.TRANSMISE:
            others = _union(list(postings.values())) if postings else set()
            return [k for k in keys if k.split(" ", 2)[1] not in others]
        members = set(postings[statut].split(",")) if statut in postings else set()
        return [k for k in keys if k.split(" ", 2)[1] in members]

    def _rows_of(self, found: list[str]) -> list[Document]:
        """The index rows of the keys ``found``, in that order, from the copy in their
        locators (a page scattered over many months reads no whole shard); a locator
        written before that copy sends to the shard, each read once."""
        shards: dict[str, Any] = {}
        rows = []
        for key in found:
            at, demande_id, teleservice = key.split(" ")
            located = self.store.read(bucket_of(demande_id)).table("demandes").get(demande_id)
            row = located.get("row") if located else None
            if row is None:
                shard = f"index/{teleservice}/{at[:7]}"
                if shard not in shards:
                    shards[shard] = self.store.read(shard).table("demandes")
                row = shards[shard].get(demande_id)
            if row is not None:
                rows.append(row)
        return rows

    def _index_text(self, previous: Mapping[str, Any] | None, row: Mapping[str, Any] | None) -> None:
        """Move the demande from the postings of its old words (old month, old status,
        old Tiers' month) to those of its new ones; nothing is written when none of them changed."""
        old = _postings_of(previous) if previous is not None else {}
        new = _postings_of(row) if row is not None else {}
        if old == new:
            return
        demande_id = (previous or row)["id"]
        changes: dict[str, dict[str, str | None]] = {}
        for key in old.keys() - new.keys():
            changes.setdefault(key[0], {})[key[1]] = None
        for key, entry in new.items():
            if old.get(key) != entry:
                changes.setdefault(key[0], {})[key[1]] = entry
        for partition in sorted(changes):
            with self.store.transaction(partition) as part:
                postings = part.table("postings")
                for word, entry in changes[partition].items():
                    _post(postings, word, demande_id, entry)

    def rebuild_text(self) -> int:
        """Rewrite the text index and the Tiers' postings from the rows of the shards
        (``portail index rebuild``):
        one transaction per posting partition. Empties what it replaces, and the
        partitions of the previous layouts (``index/_text/<xxx>``, ``index/_where/<xx>``,
        ``index/_vocab/<xxx>``). Returns the number of rows indexed."""
        postings: dict[str, dict[str, list[str]]] = {}
        count = 0
        for row in self.all_rows():
            count += 1
            for (partition, word), entry in _postings_of(row).items():
                postings.setdefault(partition, {}).setdefault(word, []).append(entry)
        stale = [name for prefix in ("index/_text/", TIERS_POSTINGS) for name in self.store.partitions(prefix)
                 if name not in postings]
        stale += [name for name in self.store.partitions("index/_where/") if LEGACY_BUCKET.fullmatch(name)]
        stale += list(self.store.partitions(LEGACY_VOCABULARY))
        for name in stale:
            _empty(self.store, name)
        for partition in sorted(postings):
            with self.store.transaction(partition) as part:
                table = part.table("postings")
                for doc in table.all():
                    table.remove(doc["id"])
                for word, entries in postings[partition].items():
                    table.insert({"id": word, "rows": ",".join(sorted(entries, reverse=True))})
        return count

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


def given_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The filters of a search that were given (an empty or None value filters nothing);
    the same for every index (``DemandeIndex``, ``PgDemandeIndex``)."""
    return {k: v for k, v in (filters or {}).items() if v not in (None, "")}


def paged_rows(index: DemandeIndex, filters: Mapping[str, Any], teleservices: Iterable[str] | None,
               batch: int = 1000) -> Iterator[Document]:
    """Every row of ``index.search``, a page of ``batch`` rows at a time."""
    page = 1
    while True:
        rows, total = index.search(filters, page, batch, teleservices)
        yield from rows
        if not rows or page * batch >= total:
            return
        page += 1


def page_offset(page: int, per_page: int) -> int:
    """Rows before ``page`` (numbered from 1; 0 or less is the first)."""
    return (max(page, 1) - 1) * per_page


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
    if SEPARATOR.search(row["id"] + row["transmitted_at"] + row["statut"]):  # they make the keys of the postings
        raise ValueError(f"identifiant, date ou statut avec une espace ou une virgule : {summary!r}")
    return row


def words_of(text: Any) -> list[str]:
    """Accent- and case-insensitive words (letters and digits) of a text."""
    return WORD.findall(_fold(text or ""))


def _indexed_words(row: Mapping[str, Any]) -> set[str]:
    """The words a row is found by (3 letters or more: a shorter typed word is not
    looked up); a number also without its leading zeros ("000123" is found by "123")."""
    words = set(words_of(" ".join(str(row.get(f) or "") for f in TEXT_FIELDS)))
    words |= {w.lstrip("0") for w in words if w.isdigit()}
    return {w for w in words if len(w) >= PREFIX_LENGTH}


def text_partition(month: str, word: str) -> str:
    """The posting partition of ``word`` for the demandes transmitted in ``month`` (yyyy-mm):
    by its first 3 letters, so a typed prefix reads one partition a month."""
    return f"index/_text/{month}/{hashlib.sha1(word[:PREFIX_LENGTH].encode()).hexdigest()[:2]}"


def statuts_partition(month: str) -> str:
    """The postings of ``month`` by status (demande ids only)."""
    return f"index/_text/{month}/statuts"


def tiers_folder(tiers_id: str) -> str:
    """The prefix of the monthly postings of one Tiers."""
    name = tiers_id if TELESERVICE_ID.fullmatch(tiers_id) else hashlib.sha1(tiers_id.encode()).hexdigest()
    return f"{TIERS_POSTINGS}{name}/"


def _postings_of(row: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """``{(posting partition, word or status): entry}`` of an index row: the key
    ``"<transmitted_at> <id> <teleservice>"`` in the postings of its words, its id in
    that of its status, the key and its status in its Tiers' month. The keys sort as
    the listing does (newest first, then id), as no field holds a space or a comma
    (checked by ``_normalise``)."""
    month = row["transmitted_at"][:7]
    key = f"{row['transmitted_at']} {row['id']} {row['teleservice']}"
    postings = {(text_partition(month, word), word): key for word in _indexed_words(row)}
    if row["statut"] != Status.TRANSMISE:  # a transmission writes no status posting
        postings[(statuts_partition(month), row["statut"])] = row["id"]
    if row.get("tiers_id"):
        postings[(f"{tiers_folder(str(row['tiers_id']))}{month}", TIERS_POSTING)] = f"{key} {row['statut']}"
    return postings


def _union(postings: list[str]) -> set[str]:
    return set().union(*(rows.split(",") for rows in postings))


def _key_filter(filters: Mapping[str, Any]):
    """A test of a posting key for the date filters, and the months it is needed in
    (those of the first and last days: the others are chosen whole)."""
    first = _day(filters["date_from"]) if "date_from" in filters else None
    last = _day(filters["date_to"]) if "date_to" in filters else None
    edges = {day[:7] for day in (first, last) if day is not None}
    return (lambda key: (first is None or key[:10] >= first) and (last is None or key[:10] <= last)), edges


def _entry_filter(filters: Mapping[str, Any], teleservices: Iterable[str] | None):
    """A test of a Tiers' posting entry ``"<transmitted_at> <id> <teleservice> <statut>"``
    for the téléservice, the restriction and the status."""
    allowed = set(teleservices) if teleservices is not None else None
    teleservice, statut = filters.get("teleservice"), filters.get("statut")

    def wanted(entry: str) -> bool:
        _at, _id, entry_teleservice, entry_statut = entry.split(" ")
        return ((allowed is None or entry_teleservice in allowed) and teleservice in (None, entry_teleservice)
                and statut in (None, entry_statut))

    return wanted


def _empty(store: Store, partition: str) -> None:
    with store.transaction(partition) as part:
        for name in part.table_names():
            for doc in part.table(name).all():
                part.table(name).remove(doc["id"])


def _post(postings, word: str, demande_id: str, entry: str | None) -> None:
    """Add (``entry``) or remove (None) one demande in the posting of ``word``, kept newest first."""
    doc = postings.get(word)
    current = doc["rows"] if doc and isinstance(doc["rows"], str) else ""  # a layout-2 posting: replaced
    if demande_id not in current and entry is not None and entry >= current.partition(",")[0]:
        # A new transmission, the newest of the posting: put in front without splitting the
        # posting (a word every number holds, the year, lists the whole month).
        rows = f"{entry},{current}" if current else entry
    else:
        entries = [e for e in current.split(",") if e and demande_id not in e.split(" ")]
        if entry is not None:
            entries.append(entry)
        if not entries:
            if doc is not None:
                postings.remove(word)
            return
        rows = ",".join(sorted(entries, reverse=True))
    if doc is None:
        postings.insert({"id": word, "rows": rows})
    else:
        postings.replace(word, {"id": word, "rows": rows})


def bucket_of(demande_id: str) -> str:
    """The locator of a demande's row: a partition of its own (bounded whatever the total)."""
    return f"index/_where/{demande_id}"


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
        if not words:
            return True
        haystack = " ".join(_fold(row.get(f) or "") for f in TEXT_FIELDS)
        return all(word in haystack for word in words)

    return matches
