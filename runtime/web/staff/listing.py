"""The demandes listing: filters from the query string, one page of index rows."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import render_template, request

from ...domain import workflow
from ...services import services
from ...storage.repositories.staff import visible_teleservices
from ...storage.repositories.tiers import tiers_name
from .common import bp, current_staff, staff_required, visible_titles

PER_PAGE = 50
FILTER_KEYS = ("teleservice", "status", "tiers", "q", "date_from", "date_to")


def parse_filters(args: Mapping[str, str], titles: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Filters from the query string, and a French error per invalid one."""
    filters = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
    errors: dict[str, str] = {}
    if filters["teleservice"] and filters["teleservice"] not in titles:
        errors["teleservice"] = "Choisissez un téléservice dans la liste."
    if filters["status"] and filters["status"] not in workflow.STATUS_LABELS:
        errors["status"] = "Choisissez un statut dans la liste."
    if filters["tiers"] and not re.fullmatch(r"\d{14}", filters["tiers"].replace(" ", "")):
        errors["tiers"] = "Le SIRET doit comporter 14 chiffres."
    for key, label in (("date_from", "de début"), ("date_to", "de fin")):
        if filters[key]:
            try:
                date.fromisoformat(filters[key])
            except ValueError:
                errors[key] = f"La date {label} doit être une date réelle, par exemple 2026-03-31."
    return filters, errors


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


def search(filters: Mapping[str, str], page: int, per_page: int, titles: Mapping[str, str]):
    from ...storage.index import DemandeIndex

    query = index_query(filters)
    if query is None:
        return [], 0
    allowed = list(titles) if visible_teleservices(current_staff()) is not None else None
    return DemandeIndex(services().store).search(query, page, per_page, teleservices=allowed)


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


@bp.get("/demandes")
@staff_required()
def demandes():
    titles = visible_titles()
    filters, errors = parse_filters(request.args, titles)
    page = _page_number()
    rows, total = ([], 0) if errors else search(filters, page, PER_PAGE, titles)
    rows = with_tiers_names(rows)
    unread = services().repos.messages.unread_for_staff(current_staff())
    return render_template(
        "staff/demandes.html",
        page_title="Demandes",
        active_menu="demandes",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        errors=errors,
        titles=titles,
        statuses={k: v for k, v in workflow.STATUS_LABELS.items() if k != workflow.BROUILLON},
        unread=unread,
        query_args={k: v for k, v in filters.items() if v},
    ), (400 if errors else 200)
