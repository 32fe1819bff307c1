"""Mes échanges: the conversation of each demande between its Tiers and staff.

Blueprint ``echanges`` (prefix ``/espace/echanges``) is the applicant side;
the staff side lives on the demande page of ``runtime.web.staff.demande``. Posting a
message and the mail notifications are shared by both and defined here.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain import workflow
from ..formatting import single_newlines
from ..services import services
from ..spec.errors import Error
from ..storage.repositories.messages import conversation_partition
from ..storage.repositories.tiers import tiers_name
from ..vocabulary import StaffRole
from .context import current_tiers, tiers_required
from .downloads import send_stored_file
from .identity import applicant_required

bp = Blueprint("echanges", __name__, url_prefix="/espace/echanges")
log = logging.getLogger("portail.echanges")
access_log = logging.getLogger("portail.access")

# Same rules as the pièces of a demande.
ATTACHMENT_ACCEPT = ["pdf", "jpg", "jpeg", "png", "odt", "ods", "doc", "docx", "xls", "xlsx"]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


# Shared by both spaces


def send_message(tiers_id: str, demande: Mapping[str, Any], actor: workflow.Actor,
                 body: str | None, upload) -> list[Error]:
    """Post a message (with an optional attachment) and notify the other side.

    Returns the French error of each invalid field (nothing is stored then).
    """
    from ..forms.uploads import check_upload

    text = single_newlines(body or "").strip()
    errors: list[Error] = []
    if not text:
        errors.append(Error("body", "Saisissez votre message."))
    elif too_long := workflow.text_too_long(text, "Le message"):
        errors.append(Error("body", too_long))
    has_file = upload is not None and upload.filename
    if has_file:
        refused = check_upload(upload, ATTACHMENT_ACCEPT, ATTACHMENT_MAX_BYTES)
        if refused:
            errors.append(replace(refused, path="attachment"))
    if errors:
        return errors
    attachments = [services().files.save(upload.stream, upload.filename)] if has_file else []
    author = {"kind": actor.kind, "id": actor.id, "name": actor.name}
    # The message and its notification mails are stored together (runtime.domain.effects),
    # in the conversation's partition where the message is written.
    with services().outbox.recording(conversation_partition(demande["id"])) as rec:
        name = tiers_name(services().repos.tiers.get(tiers_id))
        message = services().repos.messages.post(tiers_id, demande, author, text, attachments, tiers_name=name)
        if actor.kind == "staff":
            path = url_for("echanges.conversation", demande_id=demande["id"])
            notify_applicants(rec, tiers_id, "staff/message_demandeur", demande=demande, message=message,
                              path=path)
        else:
            notify_staff(rec, demande, message)
    return []


def notify_applicants(rec, tiers_id: str, template: str, **context: Any) -> None:
    """Mail every member account of the Tiers (effects of ``rec``, an ``outbox.recording``)."""
    repos = services().repos
    tiers = repos.tiers.get(tiers_id) or {}
    for member in repos.tiers.members(tiers_id):
        account = repos.accounts.get(member.get("account_id") or member["id"])
        if account and account.get("email") and account.get("active", True):
            name = f"{account.get('prenom', '')} {account.get('nom', '')}".strip()
            rec.mail(account["email"], template, name=name, tiers=tiers, **context)


def notify_staff(rec, demande: Mapping[str, Any], message: Mapping[str, Any]) -> None:
    """Mail the agents who instruct the demande's téléservice (instructeurs first,
    administrateurs only when nobody is assigned)."""
    readers = services().repos.staff.readers_of(demande.get("teleservice") or "")
    assigned = [r for r in readers if r.get("role") != StaffRole.ADMINISTRATEUR] or readers
    tiers_id = demande.get("tiers_id") or ""
    path = url_for("staff.demande", tiers_id=tiers_id, demande_id=demande["id"], _anchor="echanges")
    for agent in assigned:
        if agent.get("email"):
            rec.mail(agent["email"], "staff/message_agent", name=agent.get("nom") or "", demande=demande,
                  message=message, path=path)


# Applicant side


def _current_tiers_id() -> str:
    return current_tiers()["id"]


def _load(demande_id: str) -> dict[str, Any]:
    """A transmitted demande of the current Tiers; 404 for anything else."""
    tiers_id = _current_tiers_id()
    demande = None
    if demande_id.isalnum():
        demande = services().repos.demandes.get(f"tiers/{tiers_id}", demande_id)
    if demande is None or demande.get("status") == workflow.BROUILLON:
        access_log.warning("Compte %s : conversation %s hors de son Tiers", current_user.id, demande_id)
        abort(404)
    return demande


FILED = ("transmise", "en_instruction", "complement_demande", "acceptee", "refusee", "classee_sans_suite")
PER_PAGE = 10


def conversations(tiers_id: str, account_id: str, page: int = 1) -> tuple[list[dict[str, Any]], int]:
    """One page of the transmitted demandes of a Tiers (from their summaries)
    with their unread and message counts (from the Tiers' inbox), and the total."""
    repos = services().repos
    unread = repos.messages.unread_for_applicant(tiers_id, account_id)
    threads = repos.messages.summaries(tiers_id)
    summaries, total = repos.demandes.summaries(f"tiers/{tiers_id}", FILED, page, PER_PAGE)
    rows = []
    for demande in summaries:
        thread = threads.get(demande["id"]) or {}
        rows.append({
            "demande": demande,
            "unread": unread.get(demande["id"], 0),
            "count": thread.get("count", 0),
            "last": {"created_at": thread["last_at"]} if thread.get("last_at") else None,
        })
    return rows, total


def unread_total() -> int:
    """Unread staff messages of the current Tiers for the logged-in applicant (menu badge)."""
    tiers = current_tiers()
    if not tiers:
        return 0
    return sum(services().repos.messages.unread_for_applicant(tiers["id"], current_user.id).values())


@tiers_required
def conversations_page():
    """The list of conversations, served by ``espace.echanges`` (menu "Mes échanges")."""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows, total = conversations(_current_tiers_id(), current_user.id, page)
    return render_template(
        "echanges/index.html",
        page_title="Mes échanges",
        active_menu="echanges",
        conversations=rows,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        endpoint="espace.echanges",
    )


def complement_steps(demande: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(page id, title)`` of the steps staff asked to complete, in the order of the filed spec."""
    if demande.get("status") != workflow.COMPLEMENT_DEMANDE:
        return []
    named = set((demande.get("complement") or {}).get("pages") or ())
    spec = services().catalog.version(demande.get("version_key") or "")
    return [(page.id, page.title) for page in (spec.pages if spec else ()) if page.id in named]


def _render_conversation(demande: dict[str, Any], errors: list[Error] | None = None,
                         body: str = "", status: int = 200):
    tiers_id = _current_tiers_id()
    messages = services().repos.messages.conversation(tiers_id, demande["id"])
    services().repos.messages.mark_read_by_applicant(tiers_id, current_user.id, demande["id"])
    return render_template(
        "echanges/conversation.html",
        page_title=f"Échanges – demande {demande.get('numero') or ''}".strip(),
        active_menu="echanges",
        demande=demande,
        messages=messages,
        complement_steps=complement_steps(demande),
        errors=errors or [],
        body=body,
    ), status


@bp.get("/<demande_id>")
@applicant_required
@tiers_required
def conversation(demande_id: str):
    return _render_conversation(_load(demande_id))


@bp.post("/<demande_id>")
@applicant_required
@tiers_required
def post(demande_id: str):
    demande = _load(demande_id)
    doc = current_user.doc
    name = f"{doc.get('prenom', '')} {doc.get('nom', '')}".strip() or doc.get("identifiant", "")
    actor = workflow.Actor(kind="applicant", id=current_user.id, name=name)
    body = request.form.get("body", "")
    errors = send_message(_current_tiers_id(), demande, actor, body, request.files.get("attachment"))
    if errors:
        return _render_conversation(demande, errors, body, status=400)
    flash("Votre message a été envoyé au service instructeur.", "success")
    return redirect(url_for(".conversation", demande_id=demande_id, _anchor="nouveau-message"))


@bp.get("/<demande_id>/fichiers/<file_id>")
@applicant_required
@tiers_required
def download(demande_id: str, file_id: str):
    demande = _load(demande_id)
    messages = services().repos.messages.conversation(_current_tiers_id(), demande["id"])
    attached = {a["file_id"]: a for m in messages for a in m.get("attachments") or []}
    return send_stored_file(attached.get(file_id))
