"""One demande, as an agent instructs it: récapitulatif and versions, the
decision, notes, messages with the applicant and the files."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain import versions as versions_diff
from ...domain import workflow
from ...domain.demandes import STAFF_SET_ASIDE_INTRO, requested_amount, set_aside_answers
from ...forms.wizard import visible_pages
from ...services import services
from ...spec.errors import Error
from ...storage.files import file_refs
from ...storage.repositories.demandes import demande_partition
from ...storage.repositories.staff import can_see
from ..downloads import send_stored_file
from .common import SAFE_ID, access_log, actor, bp, current_staff, staff_required


def load_demande(tiers_id: str, demande_id: str) -> dict[str, Any]:
    """The transmitted demande if this agent may see it; 404 otherwise."""
    if not SAFE_ID.fullmatch(tiers_id) or not SAFE_ID.fullmatch(demande_id):
        abort(404)
    demande = services().repos.demandes.get(f"tiers/{tiers_id}", demande_id)
    if demande is None or demande.get("status") == workflow.BROUILLON:
        abort(404)
    if not can_see(current_staff(), demande.get("teleservice") or ""):
        access_log.warning("Agent %s : demande %s hors de ses téléservices", current_user.id, demande_id)
        abort(404)
    return demande


def demande_files(demande: Mapping[str, Any], messages: list[Mapping[str, Any]]) -> dict[str, dict]:
    """Every file of a demande (answers of each version, message attachments) by file id."""
    roots = [demande.get("answers")]
    roots += [version.get("answers") for version in demande.get("versions") or []]
    roots += [message.get("attachments") for message in messages]
    found: dict[str, dict] = {}
    for ref in file_refs(roots):
        found.setdefault(str(ref["file_id"]), dict(ref))
    return found


def _shown_version(demande: Mapping[str, Any]) -> tuple[int | None, dict[str, Any], str]:
    """Which answers to show: a transmitted version (?version=N, 1-based) or the current ones."""
    versions = demande.get("versions") or []
    try:
        number = int(request.args.get("version", ""))
    except ValueError:
        number = None
    if number is not None and 1 <= number <= len(versions):
        chosen = versions[number - 1]
        return number, chosen.get("answers") or {}, chosen.get("version_key") or demande["version_key"]
    return None, demande.get("answers") or {}, demande["version_key"]


def _version_number(name: str, count: int) -> int | None:
    """A 1-based version number from the query string, when it names one of ``count`` versions."""
    try:
        number = int(request.args.get(name, ""))
    except ValueError:
        return None
    return number if 1 <= number <= count else None


def _comparison(demande: Mapping[str, Any]) -> dict[str, Any] | None:
    """What changed between two transmitted versions (?from=N&to=M; by default the last two)."""
    versions = demande.get("versions") or []
    if len(versions) < 2:
        return None
    first = _version_number("from", len(versions)) or len(versions) - 1
    second = _version_number("to", len(versions)) or len(versions)
    if first == second:
        first, second = (second - 1, second) if second > 1 else (1, 2)
    first, second = sorted((first, second))
    before, after = versions[first - 1], versions[second - 1]
    catalog = services().catalog
    before_spec = catalog.version(before.get("version_key") or demande["version_key"])
    after_spec = catalog.version(after.get("version_key") or demande["version_key"])
    if before_spec is None or after_spec is None:
        return None
    changes = versions_diff.compare(before_spec, before.get("answers") or {}, after_spec, after.get("answers") or {})
    return {"from": first, "to": second, "before": before, "after": after, "steps": versions_diff.by_step(changes)}


def complement_pages(demande: Mapping[str, Any]) -> list:
    """The steps of this demande an agent may reopen: the pages its answers made visible."""
    spec = services().catalog.version(demande["version_key"])
    return visible_pages(spec, demande.get("answers") or {}) if spec else []


def _chosen_action(transitions: tuple[str, ...], values: Mapping[str, Any]) -> str | None:
    """The decision form to open: the one just posted with errors, else ?action=."""
    chosen = next(iter(values), None) if values.keys() & set(transitions) else request.args.get("action")
    return chosen if chosen in transitions else None


def _render_demande(tiers_id: str, demande: dict[str, Any], errors: list[Error] | None = None,
                    values: Mapping[str, Any] | None = None, status: int = 200):
    repos = services().repos
    messages = repos.messages.conversation(tiers_id, demande["id"])
    repos.messages.mark_read_by_staff(current_user.id, demande["id"])
    shown, answers, version_key = _shown_version(demande)
    filed_spec = services().catalog.version(demande["version_key"])
    transitions = workflow.allowed_transitions(demande["status"])
    values = values or {}
    return render_template(
        "staff/demande.html",
        page_title=f"Demande {demande.get('numero') or ''}".strip(),
        active_menu="demandes",
        demande=demande,
        tiers=repos.tiers.get(tiers_id),
        tiers_id=tiers_id,
        spec=services().catalog.version(version_key),
        answers=answers,
        shown_version=shown,
        comparison=_comparison(demande),
        pages=list(filed_spec.pages) if filed_spec else [],
        complement_pages=complement_pages(demande),
        transitions=transitions,
        chosen_action=_chosen_action(transitions, values),
        requested_amount=requested_amount(filed_spec, demande.get("answers") or {}),
        files=demande_files(demande, messages),
        notes=repos.staff.notes(tiers_id, demande["id"]),
        messages=messages,
        errors=errors or [],
        values=values,
        set_aside=set_aside_answers(demande),
        set_aside_intro=STAFF_SET_ASIDE_INTRO,
    ), status


@bp.get("/demandes/<tiers_id>/<demande_id>")
@staff_required()
def demande(tiers_id: str, demande_id: str):
    return _render_demande(tiers_id, load_demande(tiers_id, demande_id))


@bp.post("/demandes/<tiers_id>/<demande_id>/statut")
@staff_required()
def transition(tiers_id: str, demande_id: str):
    current = load_demande(tiers_id, demande_id)
    target = request.form.get("target", "")
    details = {
        "amount": request.form.get("amount"),
        "reason": request.form.get("reason"),
        "message": request.form.get("message"),
        "pages": request.form.getlist("pages"),
    }
    page_ids = {page.id for page in complement_pages(current)}
    now = services().clock.now().isoformat(timespec="seconds")

    def change(doc):
        doc.update(workflow.transition_changes(doc, target, actor(), now, details, page_ids))

    try:
        # The new status, its index row and its mails are stored together (runtime.domain.effects).
        with services().outbox.recording(demande_partition(demande_id)) as rec:  # the demande's own partition
            stored = services().repos.demandes.modify(current["partition"], demande_id, change)
            if stored is None:
                abort(404)
            rec.index(stored)
            _notify_status(rec, tiers_id, stored)
    except workflow.TransitionError as error:
        # the fields of each decision form are named after it: ``acceptee/amount`` (HTML id acceptee-amount)
        field_errors = [replace(e, path=f"{target}/{e.path}") for e in error.errors]
        return _render_demande(tiers_id, current, field_errors, {target: details}, status=400)
    flash(f"La demande est maintenant « {workflow.status_label(stored['status'])} ».", "success")
    return redirect(url_for(".demande", tiers_id=tiers_id, demande_id=demande_id))


def _notify_status(rec, tiers_id: str, demande: Mapping[str, Any]) -> None:
    from ..echanges import notify_applicants

    notify_applicants(
        rec,
        tiers_id,
        f"staff/statut_{demande['status']}",
        demande=demande,
        status_label=workflow.status_label(demande["status"]),
        amount=workflow.format_amount((demande.get("decision") or {}).get("amount")),
        path=url_for("espace.aides"),
    )


def _record(demande: Mapping[str, Any], action: str) -> None:
    """Write a staff action in the demande's history."""
    entry = workflow.history_entry(services().clock.now().isoformat(timespec="seconds"), actor(), action)

    def change(doc):
        doc["history"] = [*(doc.get("history") or []), entry]

    services().repos.demandes.modify(demande["partition"], demande["id"], change)


@bp.post("/demandes/<tiers_id>/<demande_id>/notes")
@staff_required()
def add_note(tiers_id: str, demande_id: str):
    demande = load_demande(tiers_id, demande_id)
    body = (request.form.get("note") or "").strip()
    if not body:
        return _render_demande(tiers_id, demande, [Error("note", "Saisissez le texte de la note.")], status=400)
    services().repos.staff.add_note(tiers_id, demande_id, actor().__dict__, body)
    _record(demande, "Note interne ajoutée")
    flash("Note enregistrée.", "success")
    return redirect(url_for(".demande", tiers_id=tiers_id, demande_id=demande_id, _anchor="notes"))


@bp.post("/demandes/<tiers_id>/<demande_id>/messages")
@staff_required()
def post_message(tiers_id: str, demande_id: str):
    from ..echanges import send_message

    demande = load_demande(tiers_id, demande_id)
    errors = send_message(tiers_id, demande, actor(), request.form.get("body"), request.files.get("attachment"))
    if errors:
        return _render_demande(tiers_id, demande, errors, {"body": request.form.get("body", "")}, status=400)
    _record(demande, "Message envoyé au demandeur")
    flash("Message envoyé au demandeur.", "success")
    return redirect(url_for(".demande", tiers_id=tiers_id, demande_id=demande_id, _anchor="echanges"))


@bp.get("/demandes/<tiers_id>/<demande_id>/fichiers/<file_id>")
@staff_required()
def download(tiers_id: str, demande_id: str, file_id: str):
    demande = load_demande(tiers_id, demande_id)
    messages = services().repos.messages.conversation(tiers_id, demande_id)
    return send_stored_file(demande_files(demande, messages).get(file_id))
