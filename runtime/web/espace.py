"""The espace personnel of an applicant: tableau de bord, sollicitations
(drafts), aides (the Tiers' demandes) and échanges."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ..domain.demandes import EDITABLE_STATUSES, completion, format_date, next_step, requested_amount
from ..domain.workflow import STATUS_TAGS, format_amount, status_label
from ..services import services
from ..vocabulary import Status
from .context import current_tiers
from .demandes import (
    apply_pending_draft,
    complement_pages,
    demande_service,
    demande_states,
    offered_teleservices,
    own_demandes,
    prefill_context,
    resume_url,
)
from .identity import applicant_required

bp = Blueprint("espace", __name__, url_prefix="/espace")


def _rows(demandes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Demandes with what the listings show: spec, completion, next step, amount."""
    service = demande_service()
    rows = []
    for demande in demandes:
        demande, spec = service.spec_of(demande, prefill_context(demande))
        editable = spec is not None and demande["status"] in EDITABLE_STATUSES
        states = demande_states(spec, demande) if editable else {}
        rows.append(
            {
                "demande": demande,
                "spec": spec,
                "title": spec.title if spec else demande.get("teleservice_title") or demande["teleservice"],
                "completion": completion(states),
                "next_step": next_step(spec, states) if editable else None,
                "resume_url": resume_url(spec, demande, states) if editable else None,
                "complement_pages": complement_pages(spec, demande) if editable else [],
                "amount": format_amount(requested_amount(spec, demande.get("answers") or {})),
                "status": status_label(demande["status"]),
                "tag": STATUS_TAGS.get(demande["status"], ""),
            }
        )
    return rows


def _render(template: str, active_menu: str, **context: Any):
    return render_template(
        template,
        active_menu=active_menu,
        current_tiers=current_tiers(),
        format_date=format_date,
        **context,
    )


@bp.get("/")
@applicant_required
def dashboard():
    apply_pending_draft()
    tiers = current_tiers()
    account_tiers = services().repos.tiers.tiers_of_account(current_user.id)
    if tiers is None and account_tiers:
        return redirect(url_for("tiers.select", next=url_for(".dashboard")))
    rows = _rows(own_demandes())
    in_progress = [r for r in rows if r["demande"]["status"] in EDITABLE_STATUSES]
    open_teleservices = [spec for spec, state in offered_teleservices(tiers) if state == "ouverte"]
    return _render(
        "espace/dashboard.html",
        "dashboard",
        page_title="Tableau de bord",
        tiers=tiers,
        in_progress=in_progress,
        open_teleservices=sorted(open_teleservices, key=lambda s: (s.closes is None, s.closes or 0, s.title)),
        tiers_creation=services().catalog.tiers_creation if tiers is None else None,
    )


@bp.get("/sollicitations")
@applicant_required
def sollicitations():
    drafts = [d for d in own_demandes() if d["status"] == Status.BROUILLON]
    return _render("espace/sollicitations.html", "sollicitations", page_title="Mes sollicitations",
                   rows=_rows(drafts))


@bp.get("/aides")
@applicant_required
def aides():
    filed = [d for d in own_demandes() if d["status"] != Status.BROUILLON]
    filed.sort(key=lambda d: d.get("transmitted_at") or "", reverse=True)
    return _render("espace/aides.html", "aides", page_title="Mes aides", rows=_rows(filed),
                   tiers=current_tiers())


@bp.get("/echanges")
@applicant_required
def echanges():
    from .echanges import conversations_page  # the staff domain owns the conversations

    return conversations_page()
