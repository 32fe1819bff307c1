"""The espace personnel of an applicant: tableau de bord (demandes in
progress, recent decisions), Mes sollicitations (the demandes in progress),
Mes aides (every demande, draft or filed, with its status and the next thing
to do) and Mes échanges.

Every list reads the demandes' summaries, one page at a time
(``own_summaries``): never a demande, never a page validation, so a commune
with 2,000 demandes costs about what a small association does.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain.demandes import EDITABLE_STATUSES, format_date
from ..domain.workflow import STATUS_TAGS, format_amount, status_label
from ..services import services
from ..storage.repositories.demandes import tiers_partition
from ..vocabulary import Status
from .context import current_tiers
from .demandes import (
    apply_pending_draft,
    complement_pages,
    offered_teleservices,
    own_summaries,
    summary_resume_url,
)
from .identity import applicant_required

bp = Blueprint("espace", __name__, url_prefix="/espace")

IN_PROGRESS = (Status.BROUILLON, Status.COMPLEMENT_DEMANDE, Status.TRANSMISE, Status.EN_INSTRUCTION)
PER_PAGE = 10
DASHBOARD_ROWS = 5
# The next thing to do, by status, when the applicant has nothing to fill in.
WAITING = {
    "transmise": "Rien à faire : la demande attend sa prise en charge par le service instructeur.",
    "en_instruction": "Rien à faire : la demande est en cours d'instruction.",
    "acceptee": "Demande acceptée : consultez la décision.",
    "refusee": "Demande refusée : consultez la décision.",
    "classee_sans_suite": "Demande classée sans suite.",
}


def _row(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary row with what the listings show: completion, next step, amount, status."""
    spec = services().catalog.version(summary.get("version_key") or "")
    editable = spec is not None and summary["status"] in EDITABLE_STATUSES
    next_page = summary.get("next_page") if summary["status"] == Status.BROUILLON else None
    return {
        "demande": summary,
        "title": spec.title if spec else summary.get("teleservice_title") or summary["teleservice"],
        "completion": summary.get("progress") or 0,
        "next_step": next_page,
        "resume_url": summary_resume_url(spec, summary) if editable else None,
        "complement_pages": complement_pages(spec, summary) if editable else [],
        "amount": format_amount(summary.get("montant_demande")),
        "status": status_label(summary["status"]),
        "tag": STATUS_TAGS.get(summary["status"], ""),
        "waiting": WAITING.get(summary["status"], ""),
    }


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _listing(template: str, active_menu: str, title: str, statuses: tuple[str, ...] | None, **context: Any):
    page = _page_number()
    summaries, total = own_summaries(statuses, page, PER_PAGE)
    return _render(template, active_menu, page_title=title, rows=[_row(s) for s in summaries], total=total,
                   page=page, pages=max(1, -(-total // PER_PAGE)), **context)


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
    if tiers is None and services().repos.tiers.tiers_of_account(current_user.id):
        return redirect(url_for("tiers.select", next=url_for(".dashboard")))
    in_progress, total = own_summaries(IN_PROGRESS, 1, DASHBOARD_ROWS)
    decisions = services().repos.demandes.recent_decisions(tiers_partition(tiers["id"])) if tiers else []
    open_teleservices = [spec for spec, state in offered_teleservices(tiers) if state == "ouverte"]
    return _render(
        "espace/dashboard.html",
        "dashboard",
        page_title="Tableau de bord",
        tiers=tiers,
        in_progress=[_row(s) for s in in_progress],
        in_progress_total=total,
        decisions=[_row(s) for s in decisions],
        open_teleservices=sorted(open_teleservices, key=lambda s: (s.closes is None, s.closes or 0, s.title)),
        tiers_creation=services().catalog.tiers_creation if tiers is None else None,
        pending_rattachements=services().tiers_service.pending_rattachements(current_user.id) if tiers is None else [],
    )


@bp.get("/sollicitations")
@applicant_required
def sollicitations():
    return _listing("espace/sollicitations.html", "sollicitations", "Mes sollicitations", IN_PROGRESS)


@bp.get("/aides")
@applicant_required
def aides():
    return _listing("espace/aides.html", "aides", "Mes aides", None, tiers=current_tiers())


@bp.get("/echanges")
@applicant_required
def echanges():
    from .echanges import conversations_page  # the staff domain owns the conversations

    return conversations_page()
