"""Every filter and global the templates see, registered in this one place.

Filters: the French formatting of ``runtime.formatting`` (``euros``, ``date_fr``, ``short_date``,
``datetime_fr``, ``display_name``, ``guillemets``, ``paragraphs``); ``error_at(html_id)``: the message
of the ``runtime.spec.errors.Error`` of a list about that element (``errors | error_at("acceptee-amount")``).

Globals set once at start-up (constants and functions):

- ``portal_name``, ``metropole_name``: from the configuration;
- ``status_labels``, ``status_tags``, ``action_labels``: the demande statuses (workflow);
- ``Status``, ``PageState``, ``StaffRole``, ``TiersRole``: the enums of ``runtime.vocabulary``
  (compare ``demande.status == Status.BROUILLON``, never a literal);
- ``staff_unread_total()``: unread applicant messages of the agent signed in (staff menu);
- ``echanges_unread()``: unread staff messages of the current Tiers (applicant menu);
- ``account_tiers(account_id)``, ``siret_lookup_enabled()``: the Tiers chooser, the SIRET look-up;
- ``portail_forms``: the helper of the form templates (``runtime.forms.templating``);
- ``asset_url(filename)``: a static file's URL with the digest of its content (``static_assets``).

Per request (a context processor, request pages only): ``current_tiers``.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context

from ..vocabulary import PageState, StaffRole, Status, TiersRole


def init_app(app: Flask) -> None:
    from .. import formatting
    from ..domain import workflow
    from ..forms import templating as forms_templating
    from ..spec.errors import message_at
    from .context import account_tiers
    from .echanges import unread_total as echanges_unread
    from .staff.common import unread_total as staff_unread_total
    from .static_assets import asset_url
    from .tiers import siret_lookup_enabled

    env = app.jinja_env
    env.filters.update(
        euros=formatting.format_amount,
        date_fr=formatting.format_date,
        short_date=formatting.format_short_date,
        datetime_fr=formatting.format_datetime,
        moment_fr=formatting.format_moment,
        file_size=formatting.file_size,
        siret=formatting.format_siret,
        display_name=formatting.display_name,
        guillemets=formatting.quote,
        paragraphs=formatting.paragraphs,
        error_at=message_at,
    )
    env.globals.update(
        portal_name=app.config["PORTAL_NAME"],
        metropole_name=app.config["METROPOLE_NAME"],
        status_labels=workflow.STATUS_LABELS,
        status_tags=workflow.STATUS_TAGS,
        action_labels=workflow.ACTION_LABELS,
        staff_unread_total=staff_unread_total,
        echanges_unread=echanges_unread,
        account_tiers=account_tiers,
        siret_lookup_enabled=siret_lookup_enabled,
        asset_url=asset_url,
        Status=Status,
        PageState=PageState,
        StaffRole=StaffRole,
        TiersRole=TiersRole,
    )
    forms_templating.init_app(app)  # ``portail_forms``, and every field type has its templates
    app.context_processor(_per_request)


def _per_request() -> dict[str, Any]:
    if not has_request_context():  # mails rendered by a command
        return {}
    from .context import current_tiers

    return {"current_tiers": current_tiers()}
