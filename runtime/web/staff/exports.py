"""CSV and XLSX export of what the listing's filters select.

``/agents/export.csv?status=…`` exports every demande the filters select in the
téléservices the agent sees; ``/agents/export/<teleservice>.csv`` the demandes of one
téléservice (also one no longer published, when it has indexed demandes).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, abort, request

from ...domain import export as exporter
from ...domain import workflow
from ...services import services
from ...storage.repositories.staff import can_see
from ...storage.repositories.tiers import tiers_name
from .common import SAFE_ID, bp, current_staff, staff_required, teleservice_titles, visible_titles
from .listing import matching_rows, parse_filters, parse_sort

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/export.<fmt>")
@bp.get("/export/<teleservice>.<fmt>")
@staff_required()
def export(fmt: str, teleservice: str | None = None):
    if fmt not in MIMETYPES or (teleservice is not None and not _exportable(teleservice)):
        abort(404)
    titles = visible_titles()
    args = request.args.to_dict()
    if teleservice is not None:
        titles, args = {**titles, teleservice: titles.get(teleservice, teleservice)}, {**args, "teleservice": teleservice}
    filters, errors = parse_filters(args, titles)
    if errors:
        abort(400)
    demandes = list(_demandes(matching_rows(filters, titles, parse_sort(args))))
    name = "-".join(filter(None, ["demandes", filters["teleservice"], services().clock.today().isoformat()]))
    response = Response(_file(fmt, demandes, filters["teleservice"]), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _exportable(teleservice: str) -> bool:
    """A téléservice this agent sees, published or with indexed demandes (its id goes in a file name)."""
    from ...storage.index import DemandeIndex

    if not SAFE_ID.fullmatch(teleservice) or not can_see(current_staff(), teleservice):
        return False
    return teleservice in teleservice_titles() or teleservice in DemandeIndex(services().store).counts()


def _file(fmt: str, demandes: list[Mapping[str, Any]], teleservice: str) -> bytes:
    """Columns from the published version of each téléservice, then from older versions."""
    catalog = services().catalog
    published = filter(None, (catalog.get(t) for t in sorted({teleservice, *(d["teleservice"] for d in demandes)})))
    keys = [spec.version_key for spec in published]
    keys += sorted({d["version_key"] for d in demandes} - set(keys), reverse=True)
    columns = exporter.columns_for(filter(None, (catalog.version(key) for key in keys)))
    rows = exporter.rows_for(columns, demandes)
    return exporter.to_csv(columns, rows) if fmt == "csv" else exporter.to_xlsx(columns, rows)


def _demandes(rows: Iterable[Mapping[str, Any]]):
    """The transmitted demande of each index row, with its Tiers name."""
    repos = services().repos
    names: dict[str, str] = {}
    for row in rows:
        demande = repos.demandes.get(row["partition"], row["id"])
        if demande is None or demande.get("status") == workflow.BROUILLON:
            continue
        tiers_id = demande.get("tiers_id")
        if tiers_id not in names:
            names[tiers_id] = tiers_name(repos.tiers.get(tiers_id)) if tiers_id else ""
        yield {**demande, "tiers_name": names[tiers_id]}
