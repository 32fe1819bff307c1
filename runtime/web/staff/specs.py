"""« Téléservices et specs » (administrateurs) and the preview of a spec, page by page.

Moved as they were from the former ``runtime/web/staff.py``.
"""
from __future__ import annotations

from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...services import services
from .common import ADMIN, bp, log, staff_required


def fresh_catalog():
    """The catalog, re-checked now: pages showing spec states never show a stale list
    (a reload made on another worker is picked up at once, not within the second)."""
    catalog = services().catalog
    catalog.refresh_if_changed(force=True)
    return catalog


@bp.get("/specs")
@staff_required(ADMIN)
def specs():
    catalog = fresh_catalog()
    counts = _counts_by_version()
    today = services().clock.today()
    rows = []
    for state in catalog.states():
        served = catalog.get(state.spec_id) if state.serving_version_key else None
        rows.append({
            "state": state,
            "file": _relative(state.source, catalog.specs_dir),
            "serving": served is not None,
            "open": served is not None and served.is_open(today),
            "counts": counts.get(state.spec_id or "", {}),
        })
    return render_template("staff/specs.html", page_title="Téléservices et specs", active_menu="specs", rows=rows)


def _relative(source: str, root) -> str:
    try:
        return str(Path(source).relative_to(root))
    except ValueError:
        return source


def _counts_by_version() -> dict[str, dict[str, int]]:
    """Transmitted demandes per téléservice and spec version (from the index rows)."""
    from ...storage.index import DemandeIndex

    index = DemandeIndex(services().store)
    counts: dict[str, dict[str, int]] = {}
    for teleservice in index.counts():
        page, seen = 1, 0
        while True:
            rows, total = index.search({"teleservice": teleservice}, page, 1000)
            for row in rows:
                version = row.get("version_key") or "version inconnue"
                per_version = counts.setdefault(teleservice, {})
                per_version[version] = per_version.get(version, 0) + 1
            seen += len(rows)
            if not rows or seen >= total:
                break
            page += 1
    return counts


@bp.post("/specs/recharger")
@staff_required(ADMIN)
def reload_specs():
    catalog = services().catalog
    errors = catalog.reload()
    catalog.bump_generation()
    log.info("Specs rechargées par %s : %d erreur(s)", current_user.id, len(errors))
    if errors:
        flash(
            f"Specs rechargées : {len(errors)} erreur(s). Les versions en erreur sont refusées, "
            "la version précédente reste en service.",
            "info",
        )
    else:
        flash("Specs rechargées : toutes les specs sont valides.", "success")
    return redirect(url_for(".specs"))


@bp.route("/apercu/<spec_id>/", methods=["GET", "POST"])
@bp.route("/apercu/<spec_id>/<page_id>", methods=["GET", "POST"])
@staff_required()
def preview(spec_id: str, page_id: str | None = None):
    """Walk through a spec page by page; what is typed is checked, never saved."""
    from ...forms.wizard import page_form, validate_page

    spec = fresh_catalog().get(spec_id)
    if spec is None or not spec.pages:
        abort(404)
    page_ids = [p.id for p in spec.pages]
    if page_id is None:
        return redirect(url_for(".preview", spec_id=spec_id, page_id=page_ids[0]))
    if page_id not in page_ids:
        abort(404)
    page = spec.page(page_id)
    position = page_ids.index(page_id)
    errors: list = []
    checked = False
    if request.method == "POST":
        result = validate_page(spec, page_id, request.form, request.files, {}, {})
        form, errors, checked = result.form, result.errors, True
    else:
        form = page_form(spec, page_id, {})
    return render_template(
        "staff/preview.html",
        page_title=f"Aperçu : {spec.title}",
        active_menu="specs",
        spec=spec,
        page=page,
        form=form,
        errors=errors,
        checked=checked,
        previous_id=page_ids[position - 1] if position > 0 else None,
        next_id=page_ids[position + 1] if position + 1 < len(page_ids) else None,
        position=position + 1,
        count=len(page_ids),
    )
