"""« Échanges », staff side: the conversations with applicants in the téléservices this agent sees,
each with its Tiers, téléservice and status."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template

from ...services import services
from .common import bp, current_staff, staff_required, teleservice_titles


def _described(conversations: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each conversation with the Tiers name, téléservice title and status of its demande:
    kept in the conversation's summary (``staff_inbox``); a summary written before they
    were kept falls back to the demande's index row, or the demande itself."""
    titles = teleservice_titles()
    described = []
    for item in conversations:
        row = item if "statut" in item else _legacy_row(item)
        described.append({
            **item,
            "tiers_name": row.get("tiers_name") or "",
            "teleservice_title": titles.get(item.get("teleservice") or "") or row.get("teleservice_title")
            or item.get("teleservice") or "",
            "statut": row.get("statut"),
        })
    return described


def _legacy_row(item: Mapping[str, Any]) -> dict[str, Any]:
    from ...storage.index import DemandeIndex
    from ...storage.repositories.tiers import tiers_name

    repos = services().repos
    row = dict(DemandeIndex(services().store).get(item["id"]) or {})
    if not row:
        demande = repos.demandes.get(f"tiers/{item['tiers_id']}", item["id"]) or {}
        row = {"statut": demande.get("status"), "teleservice_title": demande.get("teleservice_title")}
    row["tiers_name"] = row.get("tiers_name") or tiers_name(repos.tiers.get(item["tiers_id"]))
    return row


@bp.get("/echanges")
@staff_required()
def echanges():
    unread = services().repos.messages.unread_for_staff(current_staff())
    return render_template(
        "staff/echanges.html",
        page_title="Échanges avec les demandeurs",
        active_menu="echanges",
        conversations=_described(services().repos.messages.inbox_for_staff(current_staff())),
        unread=unread,
    )
