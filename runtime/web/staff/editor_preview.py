"""The editor's live preview of an unpublished draft, beside the text: every step, as the staff
Specs preview walks a served téléservice (``specs.preview``) — sample Tiers and account for the
pre-fill, answers kept in this agent's preview alone (``repos.previews``, under the draft's key),
computed values and rule results in the récapitulatif, never a demande.

The draft's text is kept in the preview too (table ``drafts``), so a step is a page of its own
(``GET /agents/editeur/<id>/apercu/<étape>``); every post of the preview carries the text being
edited (``brouillon-yaml``, kept in step with the editor by ``static/js/editor.js``) and the step
list's buttons post the editor's form itself: what is typed is never lost, with or without JS.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from ...domain import spec_editor
from ...domain.preview import asked, draft_key, preview_states, sample_prefill, visited_after
from ...services import services
from ...spec.errors import SpecErrors
from ...spec.loader import load_spec_text
from .common import ADMIN, bp, staff_required
from .editor import MAX_TEXT, render_editor, served_or_404
from .specs import following, fresh_catalog, visible_ids

RECAP = "fin/recapitulatif"  # two segments: never a step id
TEXT = "brouillon-yaml"  # never a field id (those have no hyphen)
NAV = "apercu-nav"


def load_draft(spec_id: str | None, text: str):
    """The draft the text describes, or None when it does not load (its lint errors say why)."""
    catalog = services().catalog
    try:
        draft = load_spec_text(text, f"brouillon:{spec_id or 'nouveau'}", spec_editor.shared_lists(catalog))
    except SpecErrors:
        return None
    return draft if draft.pages else None


def step_url(spec_id: str | None, page_id: str | None) -> str:
    if spec_id is None:
        return url_for(".editor_new_preview_recap") if page_id is None else \
            url_for(".editor_new_preview", page_id=page_id)
    return url_for(".editor_preview_recap", spec_id=spec_id) if page_id is None else \
        url_for(".editor_preview", spec_id=spec_id, page_id=page_id)


def preview_context(spec_id: str | None, draft, page_id: str | None, form=None, errors=(), checked=False) -> dict:
    """What the preview column shows: the steps and their state, then one step or the récapitulatif."""
    from ...forms.wizard import page_form, validate_demande

    stored = asked(draft, services().repos.previews.get(current_user.id, draft_key(spec_id)))
    answers = stored["answers"]
    prefill = sample_prefill(draft, services().catalog.tiers_creation)
    context = {
        "spec": draft,
        "owner": spec_id,
        "prefill": prefill,
        "steps": [(draft.page(pid), state) for pid, state in preview_states(draft, stored, prefill).items()],
        "step_url": lambda page: step_url(spec_id, page.id),
        "action_url": step_url(spec_id, page_id) if page_id else None,
        "clear_url": url_for(".editor_preview_clear", spec_id=spec_id) if spec_id else
        url_for(".editor_new_preview_clear"),
    }
    if page_id is None:
        return {**context, "recap": True, "answers": answers, "blocking": validate_demande(draft, answers, prefill)}
    visible = visible_ids(draft, answers)
    shown = page_id in visible
    return {**context, "recap": False, "page": draft.page(page_id),
            "form": form or page_form(draft, page_id, answers, prefill), "errors": list(errors), "checked": checked,
            "position": visible.index(page_id) + 1 if shown else None, "count": len(visible),
            "has_previous": shown and visible.index(page_id) > 0}


def target_of(spec_id: str | None, draft, requested: str | None) -> str | None:
    """The step asked for (``fin`` for the récapitulatif), else the first visible one."""
    if requested == "fin":
        return None
    if requested in [p.id for p in draft.pages]:
        return requested
    stored = asked(draft, services().repos.previews.get(current_user.id, draft_key(spec_id)))
    visible = visible_ids(draft, stored["answers"])
    return visible[0] if visible else draft.pages[0].id


def from_editor(spec, text: str, errors, requested: str | None):
    """« Actualiser l'aperçu » and the step buttons (they post the editor's form): keep the text as
    the draft, show the step asked for beside it."""
    spec_id = spec.id if spec else None
    draft = load_draft(spec_id, text)
    preview = None
    if draft is not None:
        services().repos.previews.save_draft(current_user.id, draft_key(spec_id), text)
        preview = preview_context(spec_id, draft, target_of(spec_id, draft, requested))
    return _shown(spec, text, errors, preview, checked=not errors)


def _shown(spec, text, errors=(), preview=None, status=None, **extra):
    response = render_editor(spec, text, errors, status or (400 if errors else 200), preview=preview, **extra)
    if preview is not None:
        _forget(preview["spec"])
    return response


def _forget(draft) -> None:
    """A draft's compiled forms are not kept (unless it is a published version)."""
    from ...forms.builder import forget_version

    if services().catalog.version(draft.version_key) is None:
        forget_version(draft.version_key)


def _stored_text(spec_id: str | None) -> str | None:
    return services().repos.previews.draft(current_user.id, draft_key(spec_id))


def _errors(spec, text: str):
    catalog = fresh_catalog()
    if spec is None:
        return spec_editor.check_new(catalog, text)[0]
    return spec_editor.check_text(catalog, spec.id, text)


def _step(spec, page_id: str | None):
    """GET: the stored draft at a step; POST: this step's answers (and the text being edited)."""
    spec_id = spec.id if spec else None
    text = request.form.get(TEXT) if request.method == "POST" else None
    if text is not None and len(text) > MAX_TEXT:
        abort(413)
    text = text.replace("\r\n", "\n") if text is not None else _stored_text(spec_id)
    if text is None:  # nothing previewed yet: back to the editor, unless the step exists nowhere
        if page_id is not None and (spec is None or page_id not in [p.id for p in spec.pages]):
            abort(404)
        return redirect(url_for(".editor", spec_id=spec_id) if spec_id else url_for(".editor_new"))
    draft = load_draft(spec_id, text)
    if draft is None:
        return _shown(spec, text, _errors(spec, text), status=400)
    if page_id is not None and page_id not in [p.id for p in draft.pages]:
        if request.method == "GET":
            abort(404)
        return from_editor(spec, text, _errors(spec, text), None)
    if request.method == "GET" or page_id is None:
        return _shown(spec, text, _errors(spec, text), preview_context(spec_id, draft, page_id))
    services().repos.previews.save_draft(current_user.id, draft_key(spec_id), text)
    return _answer(spec, draft, text, page_id)


def _answer(spec, draft, text: str, page_id: str):
    from ...forms.wizard import validate_page

    spec_id = spec.id if spec else None
    previews = services().repos.previews
    key = draft_key(spec_id)
    stored = asked(draft, previews.get(current_user.id, key))
    prefill = sample_prefill(draft, services().catalog.tiers_creation)
    result = validate_page(draft, page_id, request.form, request.files, stored["answers"], prefill,
                           save_file=lambda upload: services().files.save(upload.stream, upload.filename or "fichier"))
    previews.save(current_user.id, key, result.answers, visited_after(stored["visited"], page_id))
    nav = request.form.get(NAV)
    if result.errors or result.stay or nav == "check":
        preview = preview_context(spec_id, draft, page_id, form=result.form, errors=result.errors,
                                  checked=not result.errors and not result.stay)
        return _shown(spec, text, _errors(spec, text), preview, status=400 if result.errors else 200)
    offset = -1 if nav == "back" else 1
    target = following(draft, result.answers, page_id, offset)
    if target is None and offset < 0:
        target = page_id
    _forget(draft)
    return redirect(step_url(spec_id, target) + "#apercu-brouillon")


@bp.route("/editeur/<spec_id>/apercu/<page_id>", methods=["GET", "POST"])
@staff_required(ADMIN, keeps=TEXT)
def editor_preview(spec_id: str, page_id: str):
    return _step(served_or_404(spec_id), page_id)


@bp.get(f"/editeur/<spec_id>/apercu/{RECAP}")
@staff_required(ADMIN)
def editor_preview_recap(spec_id: str):
    return _step(served_or_404(spec_id), None)


@bp.post("/editeur/<spec_id>/apercu/effacer")
@staff_required(ADMIN)
def editor_preview_clear(spec_id: str):
    return _clear(served_or_404(spec_id))


@bp.route("/specs/nouveau/apercu/<page_id>", methods=["GET", "POST"])
@staff_required(ADMIN, keeps=TEXT)
def editor_new_preview(page_id: str):
    return _step(None, page_id)


@bp.get(f"/specs/nouveau/apercu/{RECAP}")
@staff_required(ADMIN)
def editor_new_preview_recap():
    return _step(None, None)


@bp.post("/specs/nouveau/apercu/effacer")
@staff_required(ADMIN)
def editor_new_preview_clear():
    return _clear(None)


def _clear(spec):
    """« Effacer les réponses de l'aperçu »: the draft's first step, empty."""
    spec_id = spec.id if spec else None
    services().repos.previews.clear(current_user.id, draft_key(spec_id))
    text = _stored_text(spec_id)
    draft = load_draft(spec_id, text) if text is not None else None
    if draft is None:
        return redirect(url_for(".editor", spec_id=spec_id) if spec_id else url_for(".editor_new"))
    return redirect(step_url(spec_id, target_of(spec_id, draft, None)) + "#apercu-brouillon")
