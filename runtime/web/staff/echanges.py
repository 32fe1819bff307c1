"""« Échanges », staff side: the conversations with applicants in the téléservices this agent sees."""
from __future__ import annotations

from flask import render_template

from ...services import services
from .common import bp, current_staff, staff_required


@bp.get("/echanges")
@staff_required()
def echanges():
    unread = services().repos.messages.unread_for_staff(current_staff())
    return render_template(
        "staff/echanges.html",
        page_title="Échanges avec les demandeurs",
        active_menu="echanges",
        conversations=services().repos.messages.inbox_for_staff(current_staff()),
        unread=unread,
    )
