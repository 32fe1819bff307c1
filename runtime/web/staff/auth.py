"""Sign in and out of the espace agents."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from ...passwords import burn_time, verify_password
from ...services import services
from ...spec.errors import Error
from .. import throttle
from ..account_forms import form_errors
from ..identity import StaffUser, safe_next, start_session
from .common import bp, current_staff, log, staff_required


class LoginForm(FlaskForm):
    identifiant = StringField("Identifiant", validators=[InputRequired("Saisissez votre identifiant.")])
    password = PasswordField("Mot de passe", validators=[InputRequired("Saisissez votre mot de passe.")])


def _safe_next(target: str | None) -> str:
    target = safe_next(target)
    return target if target and target.startswith("/agents/") else url_for(".demandes")


KEPT = "texte-conserve"  # the editor's text posted after the session ended, carried through the login


def login_keeping(text: str, next_url: str):
    """The login form, holding what the agent had typed when the session ended."""
    return _login_page(LoginForm(formdata=None), [], 401, kept=text, next_url=next_url)


def _login_page(form: LoginForm, errors: list[Error], status: int, kept: str | None = None,
                next_url: str | None = None):
    action = url_for(".login", next=next_url) if kept else None
    return render_template("staff/login.html", form=form, errors=errors, page_title="Connexion agents",
                           kept=kept, action=action), status


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    form = LoginForm()
    errors: list[Error] = []
    kept = request.form.get(KEPT) if request.method == "POST" else None
    if form.validate_on_submit():
        identifiant = form.identifiant.data.strip().lower()
        keys = [f"staff:{identifiant}", f"staff-ip:{throttle.client_ip()}"]
        wait = throttle.retry_after("THROTTLE_LOGIN", keys)
        if wait:
            return throttle.too_many_attempts(wait)
        doc = services().repos.staff.find_by_identifiant(identifiant)
        if doc is None:
            burn_time(form.password.data, services().config)
        if doc and doc.get("active", True) and verify_password(doc.get("password_hash"), form.password.data,
                                                                services().config):
            throttle.clear("THROTTLE_LOGIN", keys[0])
            start_session(StaffUser(doc))
            log.info("Connexion agent %s", doc["identifiant"])
            target = _safe_next(request.args.get("next"))
            if kept:
                from .editor import resume_text

                return resume_text(target, kept)
            return redirect(target)
        throttle.record("THROTTLE_LOGIN", keys)
        errors.append(Error("identifiant", "Identifiant ou mot de passe incorrect."))
    elif request.method == "POST":
        errors = form_errors(form)
    return _login_page(form, errors, 400 if errors else 200, kept, request.args.get("next"))


@bp.post("/deconnexion")
def logout():
    if current_user.is_authenticated and current_user.kind == "staff":
        doc = current_staff()
        # A new epoch voids every copy of the session id, on the server side.
        services().repos.staff.update(doc["id"], {"auth_epoch": int(doc.get("auth_epoch", 0)) + 1})
    logout_user()
    flash("Vous êtes déconnecté de l'espace agents.", "success")
    return redirect(url_for(".login"))


@bp.get("/")
@staff_required()
def home():
    return redirect(url_for(".demandes"))
