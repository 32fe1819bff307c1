"""The staff summary index as SQL tables, when the store is PostgreSQL.

Same API and results as ``runtime.storage.index.DemandeIndex`` (which returns this
class for a ``PostgresStore``): one row per transmitted demande in
``portail_demande_index`` (the summary in ``row``, the filtered and sorted columns
beside it, ``numero`` unique), exact counters per téléservice and status in
``portail_demande_counts`` kept by a trigger in the same transaction. Filters, sort,
pagination and totals are SQL; the first page of a téléservice + status listing is one
index range scan and its total one counter row, whatever the number of demandes.
Text search: the words of ``TEXT_FIELDS`` (number, Tiers name, applicant, commune) folded
(accents, case) into ``search``, matched with ``LIKE '%mot%'`` under a trigram index (pg_trgm).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from .base import Document
from .index import (
    EXACT_FILTERS,
    TEXT_FIELDS,
    DemandeIndex,
    _day,
    _fold,
    _normalise,
    given_filters,
    page_offset,
    paged_rows,
)
from .postgres_store import dump_document, load_document

COLUMNS = "id, numero, teleservice, tiers_id, statut, transmitted_at, search, row"


class PgDemandeIndex(DemandeIndex):
    def __new__(cls, store):
        return object.__new__(cls)

    def __init__(self, store):
        self.store = store

    def upsert(self, summary: Mapping[str, Any]) -> Document:
        row = _normalise(summary)
        with self.store.sql_transaction() as conn:
            conn.execute(
                f"INSERT INTO portail_demande_index ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) "
                "ON CONFLICT (id) DO UPDATE SET numero = excluded.numero, teleservice = excluded.teleservice, "
                "tiers_id = excluded.tiers_id, statut = excluded.statut, transmitted_at = excluded.transmitted_at, "
                "search = excluded.search, row = excluded.row",
                _values(row),
            )
        return row

    def get(self, demande_id: str) -> Document | None:
        rows = self.store.query("SELECT row FROM portail_demande_index WHERE id = %s", (demande_id,))
        return load_document(rows[0][0]) if rows else None

    def remove(self, demande_id: str) -> bool:
        with self.store.sql_transaction() as conn:
            return conn.execute("DELETE FROM portail_demande_index WHERE id = %s", (demande_id,)).rowcount > 0

    def search(
        self,
        filters: Mapping[str, Any] | None = None,
        page: int = 1,
        per_page: int = 50,
        teleservices: Iterable[str] | None = None,
    ) -> tuple[list[Document], int]:
        filters = given_filters(filters)
        where, params = _where(filters, teleservices)
        offset = page_offset(page, per_page)
        rows = self.store.query(
            f"SELECT row FROM portail_demande_index WHERE {where} "
            "ORDER BY transmitted_at DESC, id DESC LIMIT %s OFFSET %s",
            (*params, per_page, offset),
        )
        return [load_document(r[0]) for r in rows], self._total(filters, teleservices, where, params)

    def scan(self, filters: Mapping[str, Any] | None = None,
             teleservices: Iterable[str] | None = None) -> Iterator[Document]:
        """Every row ``search`` would list, in its order (pages of one indexed query)."""
        return paged_rows(self, given_filters(filters), teleservices)

    def _total(self, filters, teleservices, where: str, params: list) -> int:
        if set(filters) <= EXACT_FILTERS:  # the counters answer: no scan of the rows
            counter_where, counter_params = _where(filters, teleservices)
            found = self.store.query(f"SELECT coalesce(sum(n), 0) FROM portail_demande_counts WHERE {counter_where}",
                                     counter_params)
        else:
            found = self.store.query(f"SELECT count(*) FROM portail_demande_index WHERE {where}", params)
        return int(found[0][0])

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for teleservice, statut, n in self.store.query(
            "SELECT teleservice, statut, n FROM portail_demande_counts WHERE n > 0 ORDER BY teleservice, statut"
        ):
            result.setdefault(teleservice, {})[statut] = int(n)
        return result

    def rebuild_counts(self) -> bool:
        """Recount from the rows; True if a counter was wrong (the trigger keeps them exact)."""
        with self.store.sql_transaction() as conn:
            conn.execute("LOCK TABLE portail_demande_index IN SHARE MODE")
            before = _nonzero(conn.execute("SELECT teleservice, statut, n FROM portail_demande_counts").fetchall())
            after = _nonzero(conn.execute(
                "SELECT teleservice, statut, count(*) FROM portail_demande_index GROUP BY teleservice, statut"
            ).fetchall())
            if before != after:
                conn.execute("DELETE FROM portail_demande_counts")
                conn.cursor().executemany(
                    "INSERT INTO portail_demande_counts (teleservice, statut, n) VALUES (%s, %s, %s)",
                    [(t, s, n) for (t, s), n in after.items()],
                )
        return before != after

    def all_rows(self):
        return [load_document(r[0]) for r in self.store.query("SELECT row FROM portail_demande_index")]

    def indexed_ids(self) -> list[str]:
        return [r[0] for r in self.store.query("SELECT id FROM portail_demande_index")]

    def rebuild_text(self) -> int:
        """Nothing to do: the text search of the SQL index is a column of its rows."""
        return 0

    def remove_unlisted(self, keep: set[str]) -> int:
        with self.store.sql_transaction() as conn:
            return conn.execute(
                "DELETE FROM portail_demande_index WHERE NOT (id = ANY(%s))", (list(keep),)
            ).rowcount


def _values(row: Document) -> tuple:
    search = " ".join(_fold(row.get(f) or "") for f in TEXT_FIELDS).replace("\x00", "")
    return (row["id"], row.get("numero") or None, row["teleservice"], row.get("tiers_id"), row["statut"],
            row["transmitted_at"], search, dump_document(row))


def _where(filters: Mapping[str, Any], teleservices: Iterable[str] | None) -> tuple[str, list]:
    clauses, params = ["TRUE"], []
    if teleservices is not None:
        clauses.append("teleservice = ANY(%s)")
        params.append(sorted(set(teleservices)))
    for key in ("teleservice", "statut", "tiers_id"):
        if key in filters:
            value = str(filters[key])
            if "\x00" in value:  # no stored value holds U+0000 (text cannot): no row matches
                clauses.append("FALSE")
                continue
            clauses.append(f"{key} = %s")
            params.append(value)
    if "date_from" in filters:
        clauses.append("transmitted_at >= %s")
        params.append(_day(filters["date_from"]))
    if "date_to" in filters:
        last = _day(filters["date_to"])
        try:
            clauses.append("transmitted_at < %s")  # every instant of the last day, index-friendly
            params.append((date.fromisoformat(last) + timedelta(days=1)).isoformat())
        except ValueError:
            clauses[-1] = "left(transmitted_at, 10) <= %s"
            params.append(last)
    for word in _fold(filters.get("text", "")).replace("\x00", "").split():  # as the search column
        clauses.append("search LIKE %s")
        params.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return " AND ".join(clauses), params


def _nonzero(rows) -> dict[tuple[str, str], int]:
    return {(t, s): int(n) for t, s, n in rows if n}
