"""The Tiers an applicant acts for during this session.

The choice is kept in the session, but membership is re-checked on every
request: an account removed from a Tiers loses access at once.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for
from flask_login import current_user
from markupsafe import Markup

from ..domain.tiers import SiretTaken
from ..services import services

SESSION_KEY = "tiers_id"
_UNSET = object()


def _account_id() -> str | None:
    if not current_user.is_authenticated or getattr(current_user, "kind", None) != "applicant":
        return None
    return current_user.id


def member_role(tiers_id: str, account_id: str | None) -> str | None:
    """``"admin"``, ``"membre"`` or None when the account is not a member of the Tiers."""
    return services().repos.tiers.member_role(tiers_id, account_id)


def current_tiers() -> dict | None:
    """The Tiers chosen for this session (with the account's ``role``), or None.

    An account with exactly one Tiers acts for it without having to choose.
    """
    cached = g.get("_current_tiers", _UNSET)
    if cached is not _UNSET:
        return cached
    tiers = _resolve_current_tiers()
    g._current_tiers = tiers
    return tiers


def _resolve_current_tiers() -> dict | None:
    account_id = _account_id()
    if account_id is None:
        return None
    repo = services().repos.tiers
    chosen = session.get(SESSION_KEY)
    role = member_role(chosen, account_id) if chosen else None
    if role:
        return {**repo.get(chosen), "role": role}
    session.pop(SESSION_KEY, None)
    own = repo.tiers_of_account(account_id)
    if len(own) == 1:
        session[SESSION_KEY] = own[0]["id"]
        return own[0]
    return None


def choose_tiers(tiers_id: str) -> bool:
    """Make ``tiers_id`` the current Tiers if the logged-in account is a member."""
    if not member_role(tiers_id, _account_id()):
        return False
    session[SESSION_KEY] = tiers_id
    g.pop("_current_tiers", None)
    return True


def tiers_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view needs a current Tiers: otherwise go to the Tiers choice, or to the
    dashboard that invites an account without any Tiers to create one."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account_id = _account_id()
        if account_id is None:
            return redirect(url_for("accounts.login", next=request.full_path))
        if current_tiers() is None:
            if services().repos.tiers.tiers_of_account(account_id):
                return redirect(url_for("tiers.select", next=request.full_path))
            return redirect(url_for("espace.dashboard"))
        return view(*args, **kwargs)

    return wrapper


def account_tiers() -> list[dict]:
    """Every Tiers of the logged-in account (for the header switcher)."""
    account_id = _account_id()
    return services().repos.tiers.tiers_of_account(account_id) if account_id else []


def create_tiers_from_demande(account: dict, answers: dict) -> dict:
    """Create the Tiers of a transmitted Tiers-creation demande and make it the session's
    current Tiers. ``SiretTaken`` gets ``.html``: the French explanation with a link to the
    pre-filled attachment form."""
    try:
        tiers = services().tiers_service.create_from_demande(account, answers)
    except SiretTaken as error:
        error.html = siret_taken_html(error)
        raise
    choose_tiers(tiers["id"])
    return tiers


def siret_taken_html(error: SiretTaken) -> Markup:
    """The French explanation of a known SIRET, linking to the pre-filled attachment form."""
    link = url_for("tiers.rattachement", siret=error.siret)
    return Markup(
        "{message} Vous pouvez demander à y être rattaché : "
        '<a class="govuk-link" href="{link}">me rattacher à cette structure</a>.'
    ).format(message=str(error), link=link)


def unknown_siret_html(siret: str) -> Markup:
    return Markup(
        "Aucune structure portant le numéro SIRET {siret} n'est connue du portail. "
        'Si vous êtes la première personne de votre structure, <a class="govuk-link" href="{link}">'
        "créez votre tiers</a>."
    ).format(siret=siret, link=url_for("tiers.create"))
