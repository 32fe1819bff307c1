"""The Tiers: choose the current one, create one, ask to join one, administer its accounts."""
from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..formatting import display_name
from ..forms.wizard import page_form, validate_page
from ..services import services
from ..siret_lookup import get_siret_lookup
from ..spec.errors import Error, FieldError
from ..storage.repositories.tiers import ADMIN, PENDING, InvalidSiret, TiersError, normalise_siret
from . import throttle
from .context import choose_tiers, current_tiers, member_role, unknown_siret_html
from .downloads import send_stored_file
from .identity import applicant_required, safe_next

bp = Blueprint("tiers", __name__, url_prefix="/tiers")
access_log = logging.getLogger("portail.access")

ACTION_LABELS = {
    "creation": "Création du tiers",
    "demande_rattachement": "Demande de rattachement",
    "rattachement_accepte": "Rattachement accepté",
    "rattachement_refuse": "Rattachement refusé",
    "retrait": "Retrait du compte",
    "transfert_administration": "Transmission du rôle d'administrateur",
}


def siret_lookup_enabled() -> bool:
    """Whether the company-directory look-up is configured (templates/tiers/_siret_lookup.html)."""
    return get_siret_lookup(services().config).enabled


class ChoiceForm(FlaskForm):
    tiers_id = StringField(validators=[DataRequired(message="Sélectionnez le tiers pour lequel vous souhaitez agir.")])


class DecisionForm(FlaskForm):
    motif = TextAreaField(
        "Motif (facultatif)",
        validators=[Length(max=1000, message="Le motif ne doit pas dépasser 1 000 caractères.")],
    )


class ActionForm(FlaskForm):
    """Remove a member or hand over the administrator role: only the CSRF token."""


def _deny(reason: str, **ids: Any):
    access_log.warning("Accès refusé (%s) pour le compte %s sur %s %s", reason,
                       getattr(current_user, "id", None), request.path, ids)
    abort(404)


# -- case 3: choosing the Tiers ----------------------------------------------


@bp.route("/choisir", methods=["GET", "POST"])
@applicant_required
def select():
    """Sélectionner le Tiers: list the account's Tiers, the chosen one becomes current."""
    own = services().repos.tiers.tiers_of_account(current_user.id)
    form = ChoiceForm()
    if form.validate_on_submit():
        tiers_id = form.tiers_id.data or ""
        if not choose_tiers(tiers_id):
            _deny("choix d'un tiers non rattaché", tiers_id=tiers_id)
        chosen = services().repos.tiers.get(tiers_id)
        flash(f"Vous agissez désormais pour le tiers {chosen['raison_sociale']}.", "success")
        return redirect(safe_next(request.values.get("next")) or url_for("espace.dashboard"))
    if not own:
        return redirect(url_for("espace.dashboard"))
    # the summary links to the first choice
    errors = [Error(f"tiers_id/{own[0]['id']}", message, code="field") for message in form.tiers_id.errors[:1]]
    return render_template("tiers/select.html", page_title="Sélectionner le Tiers", own=own, errors=errors,
                           form=form, next_url=safe_next(request.values.get("next"))), 400 if form.errors else 200


# -- case 1: creating the Tiers ----------------------------------------------


@bp.route("/creer")
@applicant_required
def create():
    """Start (or resume) the Tiers-creation demande in the demandes wizard."""
    from .demandes import start_demande

    return start_demande(services().catalog.tiers_creation, None)


@bp.route("/siret/<siret>")
@applicant_required
def siret_lookup(siret: str):
    """JSON for static/js/portail/siret_lookup.js: what the public company directory says of a SIRET,
    ``{"found": true, "raison_sociale", "adresse": {"street","postcode","commune"}}`` or
    ``{"found": false}``. 404 when the look-up is off; throttled per account and per IP."""
    lookup = get_siret_lookup(services().config)
    if not lookup.enabled:
        abort(404)
    try:
        siret = normalise_siret(siret)
    except InvalidSiret as error:
        return jsonify(found=False, error=str(error)), 400
    keys = [f"compte:{current_user.id}", f"ip:{throttle.client_ip()}"]
    wait = throttle.retry_after("THROTTLE_SIRET_LOOKUP", keys)
    if wait:
        message = "Trop de recherches dans l'annuaire des entreprises : saisissez les informations vous-même."
        return jsonify(found=False, error=message), 429, {"Retry-After": str(wait)}
    throttle.record("THROTTLE_SIRET_LOOKUP", keys)
    found = lookup.lookup(siret)
    return jsonify(found=found is not None, **(found or {}))


# -- case 2: asking to be attached ---------------------------------------------


class RattachementForm:
    """The attachment form, entirely from ``specs/tiers/rattachement.yaml`` (one page; no field
    written here).

    The uploaded document is saved as soon as it is valid and kept in the
    session, so a form refused for another field does not ask for it again.
    """

    PIECE_KEY = "rattachement_piece"

    def __init__(self, siret: str = ""):
        self.spec = services().catalog.rattachement
        self.page = self.spec.pages[0]
        self.answers: dict[str, Any] = {
            field_id: meta for field_id, meta in (session.get(self.PIECE_KEY) or {}).items() if _stored(meta)
        }
        try:
            self.answers["siret"] = normalise_siret(siret)
        except InvalidSiret:
            pass
        self.errors: list[FieldError] = []
        self.notice = None  # a French message with a link, shown above the form
        self.form = page_form(self.spec, self.page.id, self.answers)

    def validate(self, formdata, files) -> bool:
        result = validate_page(self.spec, self.page.id, formdata, files, self.answers, save_file=_save_upload)
        self.answers, self.form, self.errors = result.answers, result.form, list(result.errors)
        session[self.PIECE_KEY] = {f.id: self.answers[f.id] for f in self._file_fields() if self.answers.get(f.id)}
        return not self.errors

    def _file_fields(self):
        return [f for f in self.page.fields if f.type == "file"]

    def forget_files(self, delete: bool) -> None:
        for meta in (session.pop(self.PIECE_KEY, None) or {}).values():
            if delete:
                services().files.delete(meta["file_id"])

    @property
    def siret(self) -> str:
        return normalise_siret(self.answers["siret"])

    @property
    def piece(self) -> dict | None:
        return next((self.answers[f.id] for f in self._file_fields() if self.answers.get(f.id)), None)

    def add_siret_error(self, message: str, notice=None) -> None:
        self.errors.append(FieldError("siret", message, self.page.id, code="tiers"))
        self.notice = notice


def _stored(meta: dict) -> bool:
    # a document kept in the session may have been swept since (unreferenced for a day)
    return services().files.exists(meta["file_id"])


def _save_upload(upload) -> dict:
    return services().files.save(upload.stream, upload.filename or "piece")


@bp.route("/rattachement", methods=["GET", "POST"])
@applicant_required
def rattachement():
    """Me rattacher à un tiers: the request goes to the Tiers' administrator."""
    account = current_user.doc
    form = RattachementForm(request.args.get("siret", ""))
    if request.method == "POST" and form.validate(request.form, request.files):
        outcome = _file_rattachement(account, form)
        if outcome is not None:
            return outcome
    status = 400 if form.errors else 200
    return render_template("tiers/rattachement.html", page_title=form.spec.title, form=form,
                           pending=services().tiers_service.pending_rattachements(account["id"])), status


def _file_rattachement(account: dict, form: RattachementForm):
    """Send the request of a valid form; on a refusal, add the error to ``form`` and return None."""
    repo = services().repos.tiers
    tiers = repo.find_by_siret(form.siret)
    if tiers is None:
        form.add_siret_error("Aucune structure portant ce numéro SIRET n'est connue du portail.",
                             unknown_siret_html(form.siret))
        return None
    if tiers.get("famille") and form.answers.get("famille") and tiers["famille"] != form.answers["famille"]:
        form.add_siret_error(f"Ce numéro SIRET est celui d'une {tiers['famille']} : "
                             "vérifiez la famille choisie ou le numéro saisi.")
        return None
    if repo.member_role(tiers["id"], account["id"]):
        form.add_siret_error("Votre compte est déjà rattaché à cette structure.")
        return None
    _, created = services().tiers_service.request_rattachement(account, tiers, form.answers, form.piece)
    form.forget_files(delete=not created)
    if created:
        flash(f"Votre demande de rattachement au tiers {tiers['raison_sociale']} a été transmise à son "
              "administrateur. Vous recevrez un mail dès qu'elle aura été examinée.", "success")
    else:
        flash(f"Votre demande de rattachement au tiers {tiers['raison_sociale']} est déjà en attente de "
              "validation par son administrateur.", "info")
    return redirect(url_for("tiers.rattachement"))


# -- administrator: Comptes rattachés -----------------------------------------


def _administered(tiers_id: str | None) -> dict:
    """The Tiers if the logged-in account administers it; otherwise 404 (and a log line)."""
    if tiers_id is None:
        tiers = current_tiers()
        if tiers is None:
            abort(404)
        tiers_id = tiers["id"]
    if member_role(tiers_id, current_user.id) != ADMIN:
        _deny("page réservée à l'administrateur du tiers", tiers_id=tiers_id)
    choose_tiers(tiers_id)
    return services().repos.tiers.get(tiers_id)


@bp.route("/comptes")
@bp.route("/<tiers_id>/comptes")
@applicant_required
def members(tiers_id: str | None = None):
    tiers = _administered(tiers_id)
    return _members_page(tiers)


def _members_page(tiers: dict, decision_form: DecisionForm | None = None, decided_id: str | None = None,
                  status: int = 200):
    repo, accounts = services().repos.tiers, services().repos.accounts
    people = {}

    def person(account_id: str) -> dict:
        if account_id not in people:
            people[account_id] = accounts.get(account_id) or {"id": account_id, "nom": "(compte supprimé)"}
        return people[account_id]

    pending = [{**r, "account": person(r["account_id"])} for r in repo.rattachements(tiers["id"], PENDING)]
    members_list = [{**m, "account": person(m["account_id"])} for m in repo.members(tiers["id"])]
    audit = [{**e, "label": ACTION_LABELS.get(e["action"], e["action"]), "who": person(e["by"]),
              "whom": person(e["target"])} for e in reversed(repo.audit(tiers["id"]))]
    errors = [Error(f"motif/{decided_id}", message, code="field")
              for message in (decision_form.motif.errors[:1] if decision_form else ())]
    return render_template(
        "tiers/members.html", page_title="Comptes rattachés", tiers=tiers, pending=pending, errors=errors,
        members=members_list, audit=audit, decision_form=decision_form, decided_id=decided_id,
        action_form=ActionForm(), blank_decision=DecisionForm(formdata=None),
    ), status


def _pending_request(tiers: dict, request_id: str) -> dict:
    found = services().repos.tiers.rattachement(tiers["id"], request_id)
    if found is None:
        _deny("demande de rattachement d'un autre tiers", tiers_id=tiers["id"], request_id=request_id)
    return found


@bp.route("/<tiers_id>/comptes/demandes/<request_id>", methods=["POST"])
@applicant_required
def decide(tiers_id: str, request_id: str):
    tiers = _administered(tiers_id)
    found = _pending_request(tiers, request_id)
    form = DecisionForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("accepter", "refuser"):
        return _members_page(tiers, form, request_id, status=400)
    try:
        services().tiers_service.decide_rattachement(tiers, found["id"], decision == "accepter", form.motif.data or "",
                                          current_user.id)
    except TiersError as error:
        flash(str(error), "info")
        return redirect(url_for("tiers.members", tiers_id=tiers["id"]))
    requester = display_name(services().repos.accounts.get(found["account_id"]) or {})
    verb = "accepté" if decision == "accepter" else "refusé"
    flash(f"Le rattachement de {requester} a été {verb}.", "success")
    return redirect(url_for("tiers.members", tiers_id=tiers["id"]))


@bp.route("/<tiers_id>/comptes/demandes/<request_id>/piece")
@applicant_required
def piece(tiers_id: str, request_id: str):
    """The attachment request's document, for the administrator only, always as a download."""
    tiers = _administered(tiers_id)
    return send_stored_file(_pending_request(tiers, request_id).get("piece"), "piece-justificative")


def _member_action(tiers_id: str, account_id: str, action) -> Any:
    tiers = _administered(tiers_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not member_role(tiers["id"], account_id):
        _deny("compte non rattaché à ce tiers", tiers_id=tiers["id"], account_id=account_id)
    try:
        message = action(tiers, account_id)
    except TiersError as error:
        flash(str(error), "info")
    else:
        flash(message, "success")
    if member_role(tiers["id"], current_user.id) != ADMIN:  # after handing over the role
        return redirect(url_for("espace.dashboard"))
    return redirect(url_for("tiers.members", tiers_id=tiers["id"]))


@bp.route("/<tiers_id>/comptes/<account_id>/retrait", methods=["POST"])
@applicant_required
def remove(tiers_id: str, account_id: str):
    def act(tiers, target):
        services().repos.tiers.remove_member(tiers["id"], target, current_user.id)
        return f"{_name_of(target)} n'est plus rattaché(e) au tiers {tiers['raison_sociale']}."

    return _member_action(tiers_id, account_id, act)


@bp.route("/<tiers_id>/comptes/<account_id>/administrateur", methods=["POST"])
@applicant_required
def transfer(tiers_id: str, account_id: str):
    def act(tiers, target):
        services().repos.tiers.transfer_admin(tiers["id"], target, current_user.id)
        return f"{_name_of(target)} est désormais administrateur du tiers {tiers['raison_sociale']}."

    return _member_action(tiers_id, account_id, act)


def _name_of(account_id: str) -> str:
    return display_name(services().repos.accounts.get(account_id) or {})
