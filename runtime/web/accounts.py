"""Applicant accounts: register, activate, log in and out, recover, Mon compte.

No answer tells whether an address has an account (no enumeration): the
mail sent differs, the page does not.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from ..mail import MailError
from ..passwords import burn_time, hash_password, needs_rehash, password_rule, verify_password
from ..services import services
from ..spec.errors import Error, message_at
from ..storage.repositories.accounts import DuplicateAccount, email_key, identifiant_key, normalise_email
from . import throttle
from .account_forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    form_errors,
)
from .identity import ApplicantUser, applicant_required, has_remember_cookie, safe_next, start_session

bp = Blueprint("accounts", __name__)
log = logging.getLogger("portail.accounts")

ACTIVATION, RESET, EMAIL_CHANGE = "activation", "reset", "email_change"
MAIL_FAILED = "Le courriel n'a pas pu être envoyé pour le moment. Veuillez réessayer dans quelques minutes."
# Answers to an address typed by anyone are the same whether the mail left or not (no enumeration).
NO_MAIL = (
    " Si aucun courriel ne vous parvient d'ici quelques minutes, vérifiez l'adresse saisie "
    "et refaites la demande."
)
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
CAPTCHA_FAILED = "La vérification anti-robot a échoué. Répondez à la question en chiffres."


# ---------------------------------------------------------------- helpers


def landing_url(account: dict) -> str:
    """Where an applicant lands after logging in."""
    if "espace.dashboard" in current_app.view_functions:
        return url_for("espace.dashboard")
    return url_for("accounts.account")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, from BASE_URL (never from the Host header)."""
    return services().config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def login_throttle_keys(account: dict | None, login: str = "") -> list[str]:
    """Failed logins count per account (whether named by identifiant or e-mail), per unknown
    login alike, and per IP address."""
    who = f"compte:{account['id']}" if account else f"inconnu:{identifiant_key(login)}"
    return [who, f"ip:{throttle.client_ip()}"]


def send_mail(to: str, template: str, **context) -> bool:
    try:
        services().mailer.send(to, template, **context)
    except MailError:
        return False
    return True


def send_activation(account: dict) -> bool:
    ttl = services().config["ACTIVATION_TTL_HOURS"]
    token = services().repos.tokens.issue(ACTIVATION, account["id"], timedelta(hours=ttl))
    return send_mail(
        account["email"],
        "accounts/activation",
        name=_name(account),
        link=external_url("accounts.activate", token=token),
        hours=ttl,
    )


def send_already_registered(email: str, account: dict) -> bool:
    return send_mail(
        email,
        "accounts/already_registered",
        name=_name(account),
        login_link=external_url("accounts.login"),
        forgot_link=external_url("accounts.forgot_password"),
    )


def _name(account: dict) -> str:
    return f"{account.get('prenom', '')} {account.get('nom', '')}".strip()


def _render(template: str, title: str, status: int = 200, **context):
    return render_template(f"accounts/{template}.html", page_title=title, **context), status


def _captcha_context():
    return {} if session.get("captcha_passed") else services().captcha.widget_context()


def _mail_notice(title: str, message: str, sent: bool = True):
    """The same page for known and unknown addresses."""
    if not sent:
        return _render("mail_sent", title, 503, message=MAIL_FAILED, failed=True)
    return _render("mail_sent", title, message=message)


def invalid_link():
    return _render("invalid_link", "Lien invalide ou expiré", 404)


def link_page(title: str, text: str, button: str):
    """What a link from a mail opens: a button that POSTs (with its CSRF token) to the same
    address. Mail scanners that pre-open links only GET, so the single-use token is consumed
    by the person's click, never by the scanner."""
    return _render("confirm_link", title, text=text, button=button)


# ---------------------------------------------------------------- entry


@bp.route("/")
def home():
    if current_user.is_authenticated:
        if current_user.kind == "staff" and "staff.demandes" in current_app.view_functions:
            return redirect(url_for("staff.demandes"))
        if current_user.kind == "applicant":
            return redirect(landing_url(current_user.doc))
    return redirect(url_for("accounts.login"))


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and current_user.kind == "applicant":
        return redirect(next_url or landing_url(current_user.doc))
    form = LoginForm()
    if not form.validate_on_submit():
        return _render(
            "login",
            "Se connecter",
            400 if form.is_submitted() else 200,
            form=form,
            errors=form_errors(form),
            next_url=next_url,
        )
    account = services().repos.accounts.by_login(form.login.data)
    keys = login_throttle_keys(account, form.login.data)
    wait = throttle.retry_after("THROTTLE_LOGIN", keys)
    if wait:
        return throttle.too_many_attempts(wait)
    config = services().config
    if account is None:
        burn_time(form.password.data, config)
    if account is None or not verify_password(account["password_hash"], form.password.data, config):
        throttle.record("THROTTLE_LOGIN", keys)
        form.login.errors.append(BAD_CREDENTIALS)
        return _render("login", "Se connecter", 400, form=form, errors=form_errors(form), next_url=next_url)
    throttle.clear("THROTTLE_LOGIN", keys[0])
    if not account["active"]:
        session["pending_activation"] = account["id"]
        return _render(
            "login",
            "Se connecter",
            403,
            form=LoginForm(formdata=None, login=form.login.data),
            errors=[],
            next_url=next_url,
            not_activated=True,
        )
    if needs_rehash(account["password_hash"], config):
        account = services().repos.accounts.set_password(
            account["id"], hash_password(form.password.data, config), end_sessions=False
        )
    start_session(ApplicantUser(account), remember=form.remember.data)
    log.info("Connexion du compte %s", account["id"])
    return redirect(next_url or landing_url(account))


@bp.route("/deconnexion", methods=["POST"])
def logout():
    if current_user.is_authenticated and current_user.kind == "applicant":
        services().repos.accounts.end_sessions(current_user.id)
    session.clear()
    logout_user()  # after the clear: it marks the remember cookie for deletion
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("accounts.login"))


# ---------------------------------------------------------------- registration


@bp.route("/inscription", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if not form.is_submitted():
        return _render(
            "register",
            "S'inscrire",
            form=form,
            errors=[],
            captcha=_captcha_context(),
            password_rule=password_rule(services().config),
        )
    wait = throttle.retry_after("THROTTLE_REGISTER", [f"ip:{throttle.client_ip()}"])
    if wait:
        return throttle.too_many_attempts(wait, action="register")
    extra: list[Error] = []
    if not session.get("captcha_passed"):
        if services().captcha.verify(request.form, throttle.client_ip()):
            session["captcha_passed"] = True
        else:
            extra.append(Error("captcha_answer", CAPTCHA_FAILED, code="captcha"))
    valid = form.validate()
    if valid and not extra:
        if form.site_web.data:
            log.info("Inscription refusée : champ piège rempli (IP %s)", throttle.client_ip())
            return _registration_sent(sent=True)
        throttle.record("THROTTLE_REGISTER", [f"ip:{throttle.client_ip()}"])
        try:
            return _create_account(form)
        except DuplicateAccount as duplicate:
            if duplicate.field == "email":
                session.pop("captcha_passed", None)
                existing = services().repos.accounts.by_email(form.email.data)
                return _registration_sent(send_already_registered(existing["email"], existing))
            form.identifiant.errors.append("Cet identifiant est déjà utilisé. Choisissez-en un autre.")
    return _render(
        "register",
        "S'inscrire",
        400,
        form=form,
        errors=form_errors(form, extra),
        captcha=_captcha_context(),
        captcha_error=message_at(extra, "captcha_answer"),
        password_rule=password_rule(services().config),
    )


def _create_account(form: RegisterForm):
    config = services().config
    account = services().repos.accounts.create(
        {
            "civilite": form.civilite.data,
            "nom": form.nom.data,
            "prenom": form.prenom.data,
            "identifiant": form.identifiant.data,
            "email": form.email.data,
            "password_hash": hash_password(form.password.data, config),
            "professionnel": bool(form.professionnel.data),
        }
    )
    session.pop("captcha_passed", None)
    log.info("Compte créé %s", account["id"])
    return _registration_sent(send_activation(account))


def _registration_sent(sent: bool):
    if not sent:
        message = (
            "Votre compte est créé, mais le courriel d'activation n'a pas pu être envoyé pour le moment. "
            "Demandez un nouvel envoi du lien d'activation dans quelques minutes."
        )
        return _render("mail_sent", "Inscription enregistrée", 503, message=message, failed=True, resend=True)
    ttl = services().config["ACTIVATION_TTL_HOURS"]
    message = (
        "Un courriel d'activation vient d'être envoyé à l'adresse indiquée. "
        f"Cliquez sur le lien qu'il contient pour activer votre compte : ce lien est valable {ttl} heures."
    )
    return _render("mail_sent", "Inscription enregistrée", message=message, resend=True)


@bp.route("/activation/<token>", methods=["GET", "POST"])
def activate(token: str):
    tokens = services().repos.tokens
    doc = tokens.peek(ACTIVATION, token)
    if not (doc and services().repos.accounts.get(doc["account_id"])):
        return invalid_link()
    if request.method == "GET":
        return link_page(
            "Activer mon compte",
            "Pour terminer votre inscription, activez votre compte. Vous pourrez ensuite vous connecter.",
            "Activer mon compte",
        )
    doc = tokens.consume(ACTIVATION, token)
    if not doc:
        return invalid_link()
    services().repos.accounts.activate(doc["account_id"])
    session.pop("pending_activation", None)
    flash("Votre compte est activé. Vous pouvez maintenant vous connecter.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/activation/renvoyer", methods=["GET", "POST"])
def resend_activation():
    form = EmailForm()
    pending = session.get("pending_activation")
    if request.method == "POST" and pending and "email" not in request.form:
        # From the login page: the password was right, the person may be told the mail failed.
        account = services().repos.accounts.get(pending)
        return _resend_to(account, [f"compte:{pending}", f"ip:{throttle.client_ip()}"], tell_failure=True)
    if not form.validate_on_submit():
        return _render(
            "resend_activation",
            "Recevoir un nouveau lien d'activation",
            400 if form.is_submitted() else 200,
            form=form,
            errors=form_errors(form),
        )
    keys = [f"email:{email_key(form.email.data)}", f"ip:{throttle.client_ip()}"]
    return _resend_to(services().repos.accounts.by_email(form.email.data), keys, tell_failure=False)


def _resend_to(account: dict | None, keys: list[str], tell_failure: bool):
    wait = throttle.retry_after("THROTTLE_RESET", keys)
    if wait:
        return throttle.too_many_attempts(wait, action="mail")
    throttle.record("THROTTLE_RESET", keys)
    sent = True
    if account and not account["active"] and not send_activation(account):
        _log_mail_failure(account, "activation")
        sent = not tell_failure  # an address typed by anyone gets the neutral answer
    notice = (
        "Si un compte non encore activé correspond à cette adresse, un nouveau lien d'activation "
        "vient de lui être envoyé. Les liens précédents ne sont plus valables."
    )
    return _mail_notice("Lien d'activation envoyé", notice if tell_failure else notice + NO_MAIL, sent)


def _log_mail_failure(account: dict, what: str) -> None:
    """For the operators (the page may not say it): a mail to a known account could not be sent."""
    log.error("Courriel (%s) non envoyé au compte %s : serveur d'envoi indisponible", what, account["id"])


# ---------------------------------------------------------------- recovery


def _email_request(template: str, title: str, on_account, notice: str):
    """Shared flow of the pages asking for an e-mail address to send something to."""
    form = EmailForm()
    if not form.validate_on_submit():
        return _render(
            template, title, 400 if form.is_submitted() else 200, form=form, errors=form_errors(form)
        )
    keys = [f"email:{email_key(form.email.data)}", f"ip:{throttle.client_ip()}"]
    wait = throttle.retry_after("THROTTLE_RESET", keys)
    if wait:
        return throttle.too_many_attempts(wait, action="mail")
    throttle.record("THROTTLE_RESET", keys)
    account = services().repos.accounts.by_email(form.email.data)
    if account and not on_account(account):
        _log_mail_failure(account, template)
    return _mail_notice("Consultez votre messagerie", notice + NO_MAIL)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password():
    validity = _hours(services().config["RESET_TTL_HOURS"])
    notice = (
        "Si un compte correspond à cette adresse, vous allez recevoir un courriel vous permettant de "
        f"choisir un nouveau mot de passe. Le lien est valable {validity}."
    )
    return _email_request("forgot_password", "Mot de passe oublié", _send_reset, notice)


def _send_reset(account: dict) -> bool:
    hours = services().config["RESET_TTL_HOURS"]
    token = services().repos.tokens.issue(RESET, account["id"], timedelta(hours=hours))
    return send_mail(
        account["email"],
        "accounts/reset_password",
        name=_name(account),
        link=external_url("accounts.reset_password", token=token),
        validity=_hours(hours),
    )


def _hours(hours: int) -> str:
    return "1 heure" if hours == 1 else f"{hours} heures"


@bp.route("/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    tokens = services().repos.tokens
    doc = tokens.peek(RESET, token)
    account = doc and services().repos.accounts.get(doc["account_id"])
    if not account:
        return invalid_link()
    form = ResetPasswordForm()
    config = services().config
    if not form.validate_on_submit():
        return _render(
            "reset_password",
            "Choisir un nouveau mot de passe",
            400 if form.is_submitted() else 200,
            form=form,
            errors=form_errors(form),
            password_rule=password_rule(config),
        )
    if not tokens.consume(RESET, token):
        return invalid_link()
    _change_password(account, form.password.data)
    # The link came to the address: it is proven, as an activation would.
    services().repos.accounts.activate(account["id"])
    if current_user.is_authenticated:
        logout_user()
    flash(
        "Votre mot de passe a été modifié. Vous pouvez vous connecter avec votre nouveau mot de passe.",
        "success",
    )
    return redirect(url_for("accounts.login"))


def _change_password(account: dict, password: str) -> dict:
    """New hash, every session ended, every pending reset link void."""
    account = services().repos.accounts.set_password(
        account["id"], hash_password(password, services().config)
    )
    services().repos.tokens.revoke(account["id"], [RESET])
    if not send_mail(
        account["email"],
        "accounts/password_changed",
        name=_name(account),
        forgot_link=external_url("accounts.forgot_password"),
    ):
        log.warning("Avis de changement de mot de passe non envoyé au compte %s", account["id"])
    return account


@bp.route("/recuperer-identifiants", methods=["GET", "POST"])
def recover_identifiant():
    notice = "Si un compte correspond à cette adresse, vous allez recevoir un courriel rappelant votre identifiant."
    return _email_request(
        "recover_identifiant", "Récupérer mes identifiants de connexion", _send_identifiant, notice
    )


def _send_identifiant(account: dict) -> bool:
    return send_mail(
        account["email"],
        "accounts/identifiant",
        name=_name(account),
        identifiant=account["identifiant"],
        login_link=external_url("accounts.login"),
        forgot_link=external_url("accounts.forgot_password"),
    )


# ---------------------------------------------------------------- Mon compte


def _account_page(status: int = 200, **forms):
    account = current_user.doc
    profile = forms.get("profile") or ProfileForm(
        formdata=None, civilite=account.get("civilite"), nom=account.get("nom"), prenom=account.get("prenom")
    )
    email_form = forms.get("email_form") or ChangeEmailForm(formdata=None)
    password_form = forms.get("password_form") or ChangePasswordForm(formdata=None)
    errors = []
    for form in (profile, email_form, password_form):
        errors.extend(form_errors(form))
    return _render(
        "account",
        "Mon compte",
        status,
        account=account,
        profile=profile,
        email_form=email_form,
        password_form=password_form,
        errors=errors,
        password_rule=password_rule(services().config),
        rattachement=("tiers.rattachement" in current_app.view_functions),
        layout="layouts/espace.html" if "espace.dashboard" in current_app.view_functions else "base.html",
    )


@bp.route("/mon-compte", methods=["GET", "POST"])
@applicant_required
def account():
    if request.method == "GET":
        return _account_page()
    profile = ProfileForm()
    if not profile.validate():
        return _account_page(400, profile=profile)
    services().repos.accounts.update(
        current_user.id,
        {"civilite": profile.civilite.data, "nom": profile.nom.data, "prenom": profile.prenom.data},
    )
    flash("Vos informations ont été enregistrées.", "success")
    return redirect(url_for("accounts.account"))


def _check_current_password(field) -> bool:
    """Verify the current password of the logged-in applicant, throttled like a login."""
    keys = login_throttle_keys(current_user.doc)
    if verify_password(current_user.doc["password_hash"], field.data, services().config):
        return True
    throttle.record("THROTTLE_LOGIN", keys)
    field.errors.append("Le mot de passe actuel est incorrect.")
    return False


def _password_throttled() -> int:
    return throttle.retry_after("THROTTLE_LOGIN", login_throttle_keys(current_user.doc))


@bp.route("/mon-compte/mot-de-passe", methods=["POST"])
@applicant_required
def change_password():
    form = ChangePasswordForm()
    wait = _password_throttled()
    if wait:
        return throttle.too_many_attempts(wait)
    if not form.validate() or not _check_current_password(form.current_password):
        return _account_page(400, password_form=form)
    account = _change_password(current_user.doc, form.password.data)
    start_session(ApplicantUser(account), remember=has_remember_cookie())
    flash("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/mon-compte/adresse-email", methods=["POST"])
@applicant_required
def change_email():
    form = ChangeEmailForm()
    wait = _password_throttled()
    if wait:
        return throttle.too_many_attempts(wait)
    if not form.validate() or not _check_current_password(form.email_password):
        return _account_page(400, email_form=form)
    new_email = form.new_email.data
    other = services().repos.accounts.by_email(new_email)
    if other and other["id"] != current_user.id:
        sent = send_already_registered(new_email, other)
    else:
        hours = services().config["EMAIL_CHANGE_TTL_HOURS"]
        token = services().repos.tokens.issue(
            EMAIL_CHANGE, current_user.id, timedelta(hours=hours), {"email": new_email}
        )
        sent = send_mail(
            new_email,
            "accounts/email_change",
            name=_name(current_user.doc),
            link=external_url("accounts.confirm_email", token=token),
            validity=_hours(hours),
        )
    if not sent:
        form.new_email.errors.append(MAIL_FAILED)
        return _account_page(503, email_form=form)
    flash(
        f"Un lien de confirmation a été envoyé à {new_email}. Votre adresse sera modifiée quand vous "
        "l'aurez ouvert.",
        "success",
    )
    return redirect(url_for("accounts.account"))


@bp.route("/mon-compte/confirmer-adresse/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    tokens = services().repos.tokens
    doc = tokens.peek(EMAIL_CHANGE, token)
    if doc is None or (current_user.is_authenticated and current_user.id != doc["account_id"]):
        return invalid_link()
    if request.method == "GET":
        return link_page(
            "Confirmer ma nouvelle adresse e-mail",
            f"Votre adresse e-mail deviendra {normalise_email(doc['data']['email'])} : c'est à elle "
            "que seront envoyés les courriels du portail, et elle vous servira à vous connecter.",
            "Confirmer ma nouvelle adresse e-mail",
        )
    doc = tokens.consume(EMAIL_CHANGE, token)
    previous = doc and services().repos.accounts.get(doc["account_id"])
    try:
        account = previous and services().repos.accounts.change_email(previous["id"], doc["data"]["email"])
    except DuplicateAccount:
        account = None
    if not account:
        return invalid_link()
    tokens.revoke(account["id"], [RESET])
    if not send_mail(
        previous["email"],
        "accounts/email_changed",
        name=_name(account),
        new_email=account["email"],
        forgot_link=external_url("accounts.forgot_password"),
    ):
        log.warning("Avis de changement d'adresse non envoyé au compte %s", account["id"])
    flash(f"Votre adresse e-mail est maintenant {account['email']}.", "success")
    return redirect(url_for("accounts.account" if current_user.is_authenticated else "accounts.login"))
