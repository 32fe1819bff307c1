"""CSV and XLSX export of what the listing's filters select.

``/agents/export.csv?status=…`` exports every demande the filters select in the
téléservices the agent sees; ``/agents/export/<teleservice>.csv`` the demandes of one
téléservice (also one no longer published, when it has indexed demandes).

Exports stream (issue 11): the index rows are walked (their spec versions
give the columns, their order the rows), each demande is read once, the
Tiers name comes from the index row, and the file is written as the rows
come (``runtime.domain.export.stream``), outside the request's read cache,
so memory stays bounded whatever the number of demandes; a small export is
streamed to the agent at once, a large one is a job.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for

from ...domain import export as exporter
from ...domain.jobs import DONE
from ...services import services
from ...storage.cache import uncached_reads
from ...storage.repositories.staff import can_see
from ...storage.repositories.tiers import tiers_name
from ..downloads import send_stored_file
from .common import (
    ADMIN,
    SAFE_ID,
    access_log,
    bp,
    current_staff,
    staff_required,
    teleservice_titles,
    visible_titles,
)
from .listing import allowed_teleservices, matching_rows, parse_filters, parse_sort, search

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/export.<fmt>")
@bp.get("/export/<teleservice>.<fmt>")
@staff_required()
def export(fmt: str, teleservice: str | None = None):
    """A small export is sent at once; a large one is offered as a job (``runtime.domain.jobs``)."""
    selection = _selection(fmt, teleservice)
    filters, titles, sort = selection
    size = search(filters, 1, 1, titles)[1]
    if size > services().config["EXPORT_INLINE_MAX_ROWS"]:
        return render_template("staff/export_large.html", page_title="Préparer l'export", active_menu="demandes",
                               fmt=fmt, size=size, action=request.full_path,
                               title=titles.get(filters["teleservice"]) if filters["teleservice"] else None)
    with uncached_reads():
        columns = _columns(matching_rows(filters, titles, sort), filters["teleservice"])

    def chunks():
        with uncached_reads():
            yield from exporter.stream(fmt, columns, _demandes(matching_rows(filters, titles, sort)))

    response = Response(stream_with_context(chunks()), content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{export_name(filters, fmt)}"'
    return response


@bp.post("/export.<fmt>")
@bp.post("/export/<teleservice>.<fmt>")
@staff_required()
def export_job(fmt: str, teleservice: str | None = None):
    filters, titles, sort = _selection(fmt, teleservice)
    params = {"fmt": fmt, "filters": filters, "titles": titles, "sort": list(sort),
              "allowed": allowed_teleservices(titles)}
    job = services().jobs.submit("export", params, current_staff()["id"])
    return redirect(url_for(".job", job_id=job["id"]))


def _selection(fmt: str, teleservice: str | None):
    """``(filters, titles, sort)`` of the query string, or 404/400."""
    if fmt not in MIMETYPES or (teleservice is not None and not _exportable(teleservice)):
        abort(404)
    titles = visible_titles()
    args = request.args.to_dict()
    if teleservice is not None:
        titles, args = {**titles, teleservice: titles.get(teleservice, teleservice)}, {**args, "teleservice": teleservice}
    filters, errors = parse_filters(args, titles)
    if errors:
        abort(400)
    return filters, titles, parse_sort(args)


def export_name(filters: Mapping[str, str], fmt: str) -> str:
    return "-".join(filter(None, ["demandes", filters["teleservice"], services().clock.today().isoformat()])) + f".{fmt}"


def build_export(fmt: str, filters, titles, sort, allowed: list[str] | None | bool = False,
                 report=None) -> Iterator[bytes]:
    """The file of the selection, chunk by chunk; ``report(done, total)`` follows the reading.
    The index rows are walked twice (their versions give the columns, then their order the
    rows) and the demandes read one by one as the file is written: memory holds no list of
    the selection (75,000 index rows would be ~150 MB)."""
    with uncached_reads():
        total = 0

        def counting(rows):
            nonlocal total
            for total, row in enumerate(rows, start=1):
                yield row

        columns = _columns(counting(matching_rows(filters, titles, tuple(sort), allowed)), filters["teleservice"])

        def counted():
            for done, demande in enumerate(_demandes(matching_rows(filters, titles, tuple(sort), allowed)), start=1):
                if report is not None:
                    report(done, total)
                yield demande

        yield from exporter.stream(fmt, columns, counted())


def _export_job(job, report) -> dict[str, Any]:
    """An export prepared by ``portail worker`` with the filters and rights of the agent who asked;
    the file is written to the file store as its rows are produced (memory bounded)."""
    params = job["params"]
    count = 0

    def progress(done: int, total: int) -> None:
        nonlocal count
        count = done
        report(done, total)

    chunks = build_export(params["fmt"], params["filters"], params["titles"], params["sort"],
                          params["allowed"], progress)
    meta = services().jobs.save_result_file(chunks, export_name(params["filters"], params["fmt"]),
                                            MIMETYPES[params["fmt"]].split(";")[0])
    return {"file": meta, "rows": count}


# The export job runs in the app (it reads through services()): registered with the blueprint.
bp.record_once(lambda state: state.app.extensions["portail"].jobs.register("export", _export_job))


def _exportable(teleservice: str) -> bool:
    """A téléservice this agent sees, published or with indexed demandes (its id goes in a file name)."""
    from ...storage.index import DemandeIndex

    if not SAFE_ID.fullmatch(teleservice) or not can_see(current_staff(), teleservice):
        return False
    return teleservice in teleservice_titles() or teleservice in DemandeIndex(services().store).counts()


def _columns(rows: Iterable[Mapping[str, Any]], teleservice: str) -> list[exporter.Column]:
    """Columns from the published version of each téléservice, then from older
    versions (read from the index rows: no demande is read for this)."""
    catalog = services().catalog
    teleservices, versions = {teleservice} - {""}, set()
    for row in rows:
        teleservices.add(row["teleservice"])
        versions.add(row.get("version_key"))
    published = filter(None, (catalog.get(t) for t in sorted(teleservices)))
    keys = [spec.version_key for spec in published]
    keys += sorted(versions - {None, *keys}, reverse=True)
    return exporter.columns_for(filter(None, (catalog.version(key) for key in keys)))


def _demandes(rows: Iterable[Mapping[str, Any]]):
    """The transmitted demande of each index row (read once), with its Tiers name."""
    repos = services().repos
    return exporter.filed_demandes(rows, repos.demandes.find_anywhere,
                                   lambda tiers_id: tiers_name(repos.tiers.get(tiers_id)))


# Jobs of this agent: progress, then the file (``runtime.domain.jobs``)

JOB_TITLES = {"export": "Export des demandes", "index_rebuild": "Reconstruction de l'index des demandes"}


@bp.post("/index/reconstruire")
@staff_required(ADMIN)
def rebuild_index():
    job = services().jobs.submit("index_rebuild", {}, current_staff()["id"])
    return redirect(url_for(".job", job_id=job["id"]))


def _own_job(job_id: str) -> dict[str, Any]:
    """A job of this staff member; 404 for anyone else's."""
    job = services().jobs.get(job_id) if SAFE_ID.fullmatch(job_id) else None
    if job is None or job["requested_by"] != current_staff()["id"]:
        access_log.warning("Agent %s : tâche %s refusée", current_staff()["id"], job_id)
        abort(404)
    return job


@bp.get("/taches/<job_id>")
@staff_required()
def job(job_id: str):
    job = _own_job(job_id)
    teleservice = (job["params"].get("filters") or {}).get("teleservice")
    return render_template("staff/job.html", page_title=JOB_TITLES[job["kind"]], active_menu="demandes", job=job,
                           title=JOB_TITLES[job["kind"]],
                           teleservice_title=(job["params"].get("titles") or {}).get(teleservice, teleservice))


@bp.get("/taches/<job_id>/fichier")
@staff_required()
def job_file(job_id: str):
    job = _own_job(job_id)
    if job["status"] != DONE:
        abort(404)
    return send_stored_file((job.get("result") or {}).get("file"), "export")
