"""« Téléservices et specs » (administrateurs) and the preview of a spec, page by page.

Moved as they were from the former ``runtime/web/staff.py``.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain.preview import asked, preview_states, sample_prefill, visited_after
from ...services import services
from ...spec.model import Spec
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
    from ...domain.list_editor import every_list

    return render_template("staff/specs.html", page_title="Téléservices et specs", active_menu="specs", rows=rows,
                           lists=every_list(catalog))


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
    return {teleservice: _by_version_name(per_version) for teleservice, per_version in counts.items()}


def _by_version_name(per_key: dict[str, int]) -> dict[str, int]:
    """Counts under the version as the spec names it (« version 2026.1 »), not its technical key;
    two texts published under one name keep a short mark of their content to stay apart."""
    catalog = services().catalog
    names = {key: f"version {spec.version}" if (spec := catalog.version(key)) else key for key in per_key}
    shared = {name for name, count in Counter(names.values()).items() if count > 1}
    return {(f"{names[key]} ({key.rpartition('#')[2][:6]})" if names[key] in shared else names[key]): n
            for key, n in per_key.items()}


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


PREVIEW_RECAP = "fin/recapitulatif"  # two segments: never a page id


def _preview_spec(spec_id: str) -> Spec:
    spec = fresh_catalog().get(spec_id)
    if spec is None or not spec.pages:
        abort(404)
    return spec


def _preview_prefill(spec: Spec) -> dict:
    return sample_prefill(spec, services().catalog.tiers_creation)


def _preview_url(spec: Spec, page_id: str | None) -> str:
    if page_id is None:
        return url_for(".preview_recap", spec_id=spec.id)
    return url_for(".preview", spec_id=spec.id, page_id=page_id)


def visible_ids(spec: Spec, answers) -> list[str]:
    from ...forms.wizard import visible_pages

    return [p.id for p in visible_pages(spec, answers)]


def following(spec: Spec, answers, page_id: str, offset: int = 1) -> str | None:
    """The visible page ``offset`` steps from ``page_id`` (for a hidden page: the next visible one after it)."""
    visible = visible_ids(spec, answers)
    if page_id in visible:
        index = visible.index(page_id) + offset
        return visible[index] if 0 <= index < len(visible) else None
    order = [p.id for p in spec.pages]
    return next((p for p in order[order.index(page_id) + 1:] if p in visible), None)


@bp.get("/apercu/<spec_id>/")
@staff_required(ADMIN)
def preview_start(spec_id: str):
    spec = _preview_spec(spec_id)
    stored = asked(spec, services().repos.previews.get(current_user.id, spec.id))
    visible = visible_ids(spec, stored["answers"])
    return redirect(_preview_url(spec, visible[0] if visible else None))


@bp.route("/apercu/<spec_id>/<page_id>", methods=["GET", "POST"])
@staff_required(ADMIN)
def preview(spec_id: str, page_id: str):
    """Walk through a spec step by step as an applicant would, with a sample Tiers and
    account for the pre-fill; what is typed stays in this agent's preview, never a demande."""
    from ...forms.wizard import page_form, validate_page

    spec = _preview_spec(spec_id)
    if page_id not in [p.id for p in spec.pages]:
        abort(404)
    previews = services().repos.previews
    stored = asked(spec, previews.get(current_user.id, spec.id))
    answers, prefill = stored["answers"], _preview_prefill(spec)
    errors: list = []
    checked = False
    if request.method == "POST":
        result = validate_page(spec, page_id, request.form, request.files, answers, prefill,
                               save_file=lambda upload: services().files.save(upload.stream, upload.filename
                                                                              or "fichier"))
        stored = {**stored, "answers": result.answers, "visited": visited_after(stored["visited"], page_id)}
        previews.save(current_user.id, spec.id, stored["answers"], stored["visited"])
        form, errors = result.form, result.errors
        checked = not errors and not result.stay and request.form.get("nav") == "check"
        if not errors and not result.stay and not checked:
            offset = -1 if request.form.get("nav") == "back" else 1
            target = following(spec, result.answers, page_id, offset)
            if target is None and offset < 0:
                target = page_id
            return redirect(_preview_url(spec, target))
    else:
        form = page_form(spec, page_id, answers, prefill)
    visible = visible_ids(spec, stored["answers"])
    shown = page_id in visible  # a step hidden by its condition is shown too, with a notice
    return render_template(
        "staff/preview.html",
        page_title=f"Aperçu : {spec.title}",
        active_menu="specs",
        spec=spec,
        page=spec.page(page_id),
        form=form,
        errors=errors,
        checked=checked,
        steps=_preview_steps(spec, stored, prefill),
        has_previous=shown and visible.index(page_id) > 0,
        position=visible.index(page_id) + 1 if shown else None,
        count=len(visible),
        prefill=prefill,
    ), 400 if errors else 200


def _preview_steps(spec: Spec, stored, prefill) -> list[tuple]:
    states = preview_states(spec, stored, prefill)
    return [(spec.page(page_id), state) for page_id, state in states.items()]


@bp.get(f"/apercu/<spec_id>/{PREVIEW_RECAP}")
@staff_required(ADMIN)
def preview_recap(spec_id: str):
    """The preview's récapitulatif: answers, computed values and what would block the transmission."""
    from ...forms.wizard import validate_demande

    spec = _preview_spec(spec_id)
    stored = asked(spec, services().repos.previews.get(current_user.id, spec.id))
    prefill = _preview_prefill(spec)
    answers = stored["answers"]
    return render_template(
        "staff/preview_recap.html",
        page_title=f"Aperçu : {spec.title} – récapitulatif",
        active_menu="specs",
        spec=spec,
        answers=answers,
        errors=validate_demande(spec, answers, prefill),
        steps=_preview_steps(spec, stored, prefill),
        prefill=prefill,
    )


@bp.post("/apercu/<spec_id>/effacer")
@staff_required(ADMIN)
def preview_clear(spec_id: str):
    spec = _preview_spec(spec_id)
    services().repos.previews.clear(current_user.id, spec.id)
    flash("Les réponses de l'aperçu ont été effacées.", "success")
    return redirect(url_for(".preview_start", spec_id=spec.id))
