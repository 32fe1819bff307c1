"""CSV and XLSX export of a téléservice's transmitted demandes."""
from __future__ import annotations

from flask import Response, abort

from ...domain import export as exporter
from ...domain import workflow
from ...services import services
from ...storage.repositories.staff import can_see
from ...storage.repositories.tiers import tiers_name
from .common import SAFE_ID, bp, current_staff, staff_required, teleservice_titles


@bp.get("/export/<teleservice>.<fmt>")
@staff_required()
def export(teleservice: str, fmt: str):
    if fmt not in ("csv", "xlsx") or not _exportable(teleservice):
        abort(404)
    demandes = list(_demandes_of(teleservice))
    catalog = services().catalog
    keys = [spec.version_key for spec in filter(None, [catalog.get(teleservice)])]
    keys += sorted({d["version_key"] for d in demandes} - set(keys), reverse=True)
    columns = exporter.columns_for(filter(None, (catalog.version(key) for key in keys)))
    rows = exporter.rows_for(columns, demandes)
    day = services().clock.today().isoformat()
    if fmt == "csv":
        data, mimetype = exporter.to_csv(columns, rows), "text/csv; charset=utf-8"
    else:
        data = exporter.to_xlsx(columns, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="demandes-{teleservice}-{day}.{fmt}"'
    return response


def _exportable(teleservice: str) -> bool:
    """A téléservice this agent sees, published or with indexed demandes (its id goes in a file name)."""
    from ...storage.index import DemandeIndex

    if not SAFE_ID.fullmatch(teleservice) or not can_see(current_staff(), teleservice):
        return False
    return teleservice in teleservice_titles() or teleservice in DemandeIndex(services().store).counts()


def _demandes_of(teleservice: str):
    """Every transmitted demande of a téléservice, with its Tiers name, via the index."""
    from ...storage.index import DemandeIndex

    index = DemandeIndex(services().store)
    repos = services().repos
    page, names = 1, {}
    while True:
        rows, total = index.search({"teleservice": teleservice}, page, 500)
        for row in rows:
            demande = repos.demandes.get(row["partition"], row["id"])
            if demande is None or demande.get("status") == workflow.BROUILLON:
                continue
            tiers_id = demande.get("tiers_id")
            if tiers_id not in names:
                names[tiers_id] = tiers_name(repos.tiers.get(tiers_id)) if tiers_id else ""
            yield {**demande, "tiers_name": names[tiers_id]}
        if page * 500 >= total:
            return
        page += 1
