"""Development pages (only with the DEV_PAGES setting): the mail outbox."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template
from markupsafe import Markup, escape

from ..services import services

bp = Blueprint("dev", __name__, url_prefix="/dev")

URL = re.compile(r"https?://[^\s<>\"']+")


@bp.before_request
def only_in_development():
    if not services().config["DEV_PAGES"]:
        abort(404)


def linkify(text: str) -> Markup:
    """Escaped text whose URLs become links."""
    parts, last = [], 0
    for match in URL.finditer(text):
        parts.append(escape(text[last : match.start()]))
        url = escape(match.group())
        parts.append(Markup(f'<a class="govuk-link" href="{url}">{url}</a>'))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@bp.route("/outbox")
def outbox():
    mails = list(reversed(services().mailer.outbox.messages()))
    return render_template("dev/outbox.html", page_title="Courriels envoyés", mails=mails, linkify=linkify)
