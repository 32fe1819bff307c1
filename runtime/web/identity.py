"""Who is logged in: applicants and staff share Flask-Login, told apart by the
prefix of their session id: ``"a:<account_id>:<auth_epoch>"`` (applicant),
``"s:<staff_id>:<auth_epoch>"`` (staff).

The epoch is part of the id stored in the session and in the remember cookie:
bumping it (logout, password change) makes every copy of them worthless.

Owner: accounts (applicants) and staff (agents) domains.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user

from ..formatting import display_name
from ..services import services

login_manager = LoginManager()

# Session keys that survive the session renewal at login (e.g. a draft started
# anonymously). Other domains append their keys here.
PRESERVED_SESSION_KEYS: list[str] = ["pending_draft"]


class ApplicantUser(UserMixin):
    kind = "applicant"
    prefix = "a"

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.id = doc["id"]

    def get_id(self) -> str:
        return f"{self.prefix}:{self.id}:{self.doc.get('auth_epoch', 0)}"

    @property
    def is_active(self) -> bool:
        return bool(self.doc.get("active", True))

    @property
    def display_name(self) -> str:
        return display_name(self.doc, civility=False)


class StaffUser(ApplicantUser):
    """An agent of the Métropole; the staff domain may extend it."""

    kind = "staff"
    prefix = "s"

    @property
    def roles(self) -> list[str]:
        roles = self.doc.get("roles")
        if roles is None and self.doc.get("role"):
            roles = [self.doc["role"]]
        return list(roles or [])


def _load_applicant(doc_id: str) -> dict | None:
    return services().repos.accounts.get(doc_id)


def _load_staff(doc_id: str) -> dict | None:
    staff = services().repos.staff
    return staff.get(doc_id) if hasattr(staff, "get") else None


USER_KINDS: dict[str, tuple[type[ApplicantUser], Callable[[str], dict | None]]] = {
    "a": (ApplicantUser, _load_applicant),
    "s": (StaffUser, _load_staff),
}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
    login_manager.login_message_category = "info"
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=app.config.get("REMEMBER_DAYS", 92)))
    app.config.setdefault("REMEMBER_COOKIE_NAME", "portail_souvenir")


@login_manager.user_loader
def load_user(session_id: str):
    prefix, _, rest = session_id.partition(":")
    doc_id, _, epoch = rest.partition(":")
    kind = USER_KINDS.get(prefix)
    if kind is None or not doc_id:
        return None
    user_class, load = kind
    doc = load(doc_id)
    if doc is None or str(doc.get("auth_epoch", 0)) != epoch:
        return None
    user = user_class(doc)
    return user if user.is_active else None


def start_session(user: ApplicantUser, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session (against session fixation)."""
    kept = {key: session[key] for key in PRESERVED_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)
    days = services().config["REMEMBER_DAYS"]
    login_user(user, remember=remember, duration=timedelta(days=days), force=True)


def has_remember_cookie() -> bool:
    return current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies


def applicant_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.kind != "applicant":
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path of this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return None
    return target


def from_this_site() -> bool:
    """The request was sent by a page of this portal (``Sec-Fetch-Site``, else ``Origin``, else
    ``Referer``). What a lost session keeps (the typed answers, the editor's text) is kept only
    then: a post from another site must neither plant text nor replace the visitor's session."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    source = request.headers.get("Origin") or request.headers.get("Referer")
    return bool(source) and urlsplit(source).netloc == request.host


def staff_required(role: str | None = None, keeps: str | None = None):
    """``keeps``: a posted field (the editor's text) that a post made after the session ended
    carries through the login form, so that nothing typed is lost (``staff.auth.login_keeping``)."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated or current_user.kind != "staff":
                if "staff.login" not in current_app.view_functions:
                    abort(403)
                if keeps and request.method == "POST" and request.form.get(keeps) and from_this_site():
                    from .staff.auth import login_keeping

                    return login_keeping(request.form[keeps], request.path)
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            if role is not None and role not in current_user.roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.keeps = keeps  # read by the CSRF error handler too (a session lost, a token with it)
        return wrapper

    return decorator
