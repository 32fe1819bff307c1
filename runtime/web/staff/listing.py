"""The demandes listing: filters and sort from the query string, one page of index rows.

The index answers the default order (newest transmission first) page by page.
Sorting by amount or status, or oldest first, reads every matching row and
sorts them here: the index keeps no order on ``montant_demande`` or ``statut``
(see docs/storage.md); a listing of a few thousand rows stays well under a second.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import redirect, render_template, request, url_for

from ...domain import workflow
from ...services import services
from ...spec.errors import Error
from ...storage.repositories.staff import visible_teleservices
from ...storage.repositories.tiers import tiers_name
from .common import bp, current_staff, staff_required, visible_titles

PER_PAGE = 50
FILTER_KEYS = ("teleservice", "status", "tiers", "q", "date_from", "date_to")
STATUS_ORDER = {status: rank for rank, status in enumerate(workflow.STATUS_LABELS)}
# sort key → (first order when chosen, label of the column)
SORTS = {"date": ("desc", "Transmise le"), "montant": ("desc", "Montant demandé"), "statut": ("asc", "Statut")}
DEFAULT_SORT = ("date", "desc")


def parse_filters(args: Mapping[str, str], titles: Mapping[str, str]) -> tuple[dict[str, str], list[Error]]:
    """Filters from the query string, and a French error per invalid one.
    Dates are taken as the date field sends them (2026-03-31) or as typed (31/03/2026)."""
    filters = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
    errors: list[Error] = []
    if filters["teleservice"] and filters["teleservice"] not in titles:
        errors.append(Error("teleservice", "Choisissez un téléservice dans la liste."))
    if filters["status"] and filters["status"] not in workflow.STATUS_LABELS:
        errors.append(Error("status", "Choisissez un statut dans la liste."))
    if filters["tiers"] and not re.fullmatch(r"\d{14}", filters["tiers"].replace(" ", "")):
        errors.append(Error("tiers", "Le SIRET doit comporter 14 chiffres."))
    for key, label in (("date_from", "de début"), ("date_to", "de fin")):
        if filters[key]:
            day = _parse_day(filters[key])
            if day is None:
                errors.append(Error(key, f"La date {label} doit être une date réelle, par exemple 31/03/2026."))
            else:
                filters[key] = day.isoformat()
    if not errors and filters["date_from"] and filters["date_to"] and filters["date_from"] > filters["date_to"]:
        errors.append(Error("date_to", "La date de fin doit être égale ou postérieure à la date de début."))
    return filters, errors


def _parse_day(text: str) -> date | None:
    for reader in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return reader(text)
        except ValueError:
            continue
    return None


def parse_sort(args: Mapping[str, str]) -> tuple[str, str]:
    """``(key, "asc"|"desc")`` from ``?sort=date|montant|statut&order=asc|desc``."""
    key = args.get("sort") or DEFAULT_SORT[0]
    if key not in SORTS:
        return DEFAULT_SORT
    order = args.get("order") or SORTS[key][0]
    return key, order if order in ("asc", "desc") else SORTS[key][0]


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def index_query(filters: Mapping[str, str]) -> dict[str, str] | None:
    """The filters in the index's words; None when they cannot match anything."""
    query = {
        "teleservice": filters["teleservice"],
        "statut": filters["status"],
        "text": filters["q"],
        "date_from": filters["date_from"],
        "date_to": filters["date_to"],
    }
    if filters["tiers"]:
        tiers = services().repos.tiers.find_by_siret(filters["tiers"])
        if tiers is None:
            return None
        query["tiers_id"] = tiers["id"]
    return {key: value for key, value in query.items() if value}


def allowed_teleservices(titles: Mapping[str, str]) -> list[str] | None:
    """The téléservices this agent is restricted to (None: an administrateur sees all)."""
    return list(titles) if visible_teleservices(current_staff()) is not None else None


def search(filters: Mapping[str, str], page: int, per_page: int, titles: Mapping[str, str],
           allowed: list[str] | None | bool = False):
    """One page of index rows, newest transmission first, and the total. ``allowed``:
    the agent's téléservices when called outside their request (a job), else computed."""
    asked = _index_query(filters, titles, allowed)
    if asked is None:
        return [], 0
    index, query, teleservices = asked
    return index.search(query, page, per_page, teleservices=teleservices)


def matching_rows(filters: Mapping[str, str], titles: Mapping[str, str],
                  sort: tuple[str, str] = DEFAULT_SORT, allowed: list[str] | None | bool = False
                  ) -> Iterator[dict[str, Any]]:
    """Every index row the filters select, in the listing's order."""
    if sort != DEFAULT_SORT:
        yield from sorted_rows(list(matching_rows(filters, titles, allowed=allowed)), sort)
        return
    asked = _index_query(filters, titles, allowed)
    if asked is not None:
        index, query, teleservices = asked
        yield from index.scan(query, teleservices=teleservices)


def _index_query(filters: Mapping[str, str], titles: Mapping[str, str], allowed: list[str] | None | bool):
    """``(index, query, téléservices allowed)`` of the listing's filters, or None when they select nothing."""
    from ...storage.index import DemandeIndex

    query = index_query(filters)
    if query is None:
        return None
    allowed = allowed_teleservices(titles) if allowed is False else allowed
    return DemandeIndex(services().store), query, allowed


def sorted_rows(rows: list[dict[str, Any]], sort: tuple[str, str]) -> list[dict[str, Any]]:
    """Rows in the order asked; rows without an amount come last either way; ties newest first."""
    key, order = sort
    rows = sorted(rows, key=lambda r: (r.get("transmitted_at") or "", r.get("id") or ""), reverse=True)
    if key == "date":
        return rows if order == "desc" else rows[::-1]
    if key == "statut":
        return sorted(rows, key=lambda r: STATUS_ORDER.get(r.get("statut"), len(STATUS_ORDER)), reverse=order == "desc")
    known = [r for r in rows if _amount(r) is not None]
    return sorted(known, key=_amount, reverse=order == "desc") + [r for r in rows if _amount(r) is None]


def _amount(row: Mapping[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(row["montant_demande"])) if row.get("montant_demande") not in (None, "") else None
    except InvalidOperation:
        return None


def _listing_page(filters, titles, sort, page: int) -> tuple[list[dict[str, Any]], int]:
    if sort == DEFAULT_SORT:
        return search(filters, page, PER_PAGE, titles)
    rows = list(matching_rows(filters, titles, sort))
    return rows[(page - 1) * PER_PAGE : page * PER_PAGE], len(rows)


def with_tiers_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill the Tiers name of rows indexed without it (one page of rows at most)."""
    names: dict[str, str] = {}
    for row in rows:
        tiers_id = row.get("tiers_id")
        if not row.get("tiers_name") and tiers_id:
            if tiers_id not in names:
                names[tiers_id] = tiers_name(services().repos.tiers.get(tiers_id))
            row["tiers_name"] = names[tiers_id]
    return rows


def sort_links(filters: Mapping[str, str], sort: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """Per sortable column: its ``aria-sort`` value (or None) and the query of its link."""
    kept = {k: v for k, v in filters.items() if v}
    links = {}
    for key, (first, _label) in SORTS.items():
        current = sort[1] if sort[0] == key else None
        order = ("asc" if current == "desc" else "desc") if current else first
        links[key] = {
            "aria_sort": {"asc": "ascending", "desc": "descending"}.get(current or ""),
            "order": order,
            "query": {**kept, "sort": key, "order": order},
        }
    return links


@bp.get("/demandes")
@staff_required()
def demandes():
    titles = visible_titles()
    filters, errors = parse_filters(request.args, titles)
    sort = parse_sort(request.args)
    page = _page_number()
    rows, total = ([], 0) if errors else _listing_page(filters, titles, sort, page)
    last = max(1, -(-total // PER_PAGE))
    if page > last and total:  # a page beyond the end (a link kept while demandes were filtered out): the last one
        return redirect(url_for(".demandes", **{**request.args.to_dict(), "page": last}))
    query_args = {k: v for k, v in filters.items() if v}
    sort_args = {} if sort == DEFAULT_SORT else {"sort": sort[0], "order": sort[1]}
    return render_template(
        "staff/demandes.html",
        page_title="Demandes",
        active_menu="demandes",
        rows=with_tiers_names(rows),
        total=total,
        page=page,
        pages=last,
        filters=filters,
        errors=errors,
        titles=titles,
        statuses={k: v for k, v in workflow.STATUS_LABELS.items() if k != workflow.BROUILLON},
        unread=services().repos.messages.unread_for_staff(current_staff()),
        query_args=query_args,
        list_args={**query_args, **sort_args},
        sort=sort,
        sort_args=sort_args,
        sort_links=sort_links(filters, sort),
    ), (400 if errors else 200)
