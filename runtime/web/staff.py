"""Back-office of the Métropole's agents (blueprint ``staff``, prefix ``/agents``).

Instructeurs see the demandes of the téléservices assigned to them;
administrateurs see everything and also manage specs. Any other demande is a
404 (and a ``portail.access`` log line), never a 403 that would confirm it exists.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from ..domain import export as exporter
from ..domain import indexing as staff_index
from ..domain import workflow
from ..domain.staff_accounts import create_staff_account, new_staff_password  # noqa: F401  (tests)
from ..passwords import burn_time, verify_password
from ..services import services
from ..storage.files import file_refs
from ..storage.repositories.staff import can_see, visible_teleservices
from ..storage.repositories.tiers import tiers_name
from . import throttle
from .downloads import send_stored_file
from .identity import StaffUser, staff_required, start_session

bp = Blueprint("staff", __name__, url_prefix="/agents")
access_log = logging.getLogger("portail.access")
log = logging.getLogger("portail.staff")

PER_PAGE = 50
ADMIN = "administrateur"
SAFE_ID = re.compile(r"[a-z0-9_-]{1,64}")
FILTER_KEYS = ("teleservice", "status", "tiers", "q", "date_from", "date_to")


# Identity


class LoginForm(FlaskForm):
    identifiant = StringField("Identifiant", validators=[InputRequired("Saisissez votre identifiant.")])
    password = PasswordField("Mot de passe", validators=[InputRequired("Saisissez votre mot de passe.")])


def _staff() -> dict[str, Any]:
    return current_user.doc


def staff_name(doc: Mapping[str, Any]) -> str:
    return str(doc.get("nom") or doc.get("identifiant") or "Agent")


def _actor() -> workflow.Actor:
    return workflow.Actor(kind="staff", id=current_user.id, name=staff_name(_staff()))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/agents/") and not target.startswith("//"):
        return target
    return url_for(".demandes")


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    form = LoginForm()
    errors: dict[str, str] = {}
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
            return redirect(_safe_next(request.args.get("next")))
        throttle.record("THROTTLE_LOGIN", keys)
        errors["identifiant"] = "Identifiant ou mot de passe incorrect."
    elif request.method == "POST":
        errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
    status = 400 if errors else 200
    return render_template("staff/login.html", form=form, errors=errors, page_title="Connexion agents"), status


@bp.post("/deconnexion")
def logout():
    if current_user.is_authenticated and current_user.kind == "staff":
        doc = _staff()
        # A new epoch voids every copy of the session id, on the server side.
        services().repos.staff.update(doc["id"], {"auth_epoch": int(doc.get("auth_epoch", 0)) + 1})
    logout_user()
    flash("Vous êtes déconnecté de l'espace agents.", "success")
    return redirect(url_for(".login"))


@bp.get("/")
@staff_required()
def home():
    return redirect(url_for(".demandes"))


# Listing


def _teleservice_titles() -> dict[str, str]:
    catalog = services().catalog
    return {spec.id: spec.title for spec in catalog.teleservices()}


def _visible_titles() -> dict[str, str]:
    titles = _teleservice_titles()
    allowed = visible_teleservices(_staff())
    if allowed is None:
        return titles
    return {key: titles.get(key, key) for key in allowed}


def _parse_filters(args: Mapping[str, str], titles: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Filters from the query string, and a French error per invalid one."""
    filters = {key: (args.get(key) or "").strip() for key in FILTER_KEYS}
    errors: dict[str, str] = {}
    if filters["teleservice"] and filters["teleservice"] not in titles:
        errors["teleservice"] = "Choisissez un téléservice dans la liste."
    if filters["status"] and filters["status"] not in workflow.STATUS_LABELS:
        errors["status"] = "Choisissez un statut dans la liste."
    if filters["tiers"] and not re.fullmatch(r"\d{14}", filters["tiers"].replace(" ", "")):
        errors["tiers"] = "Le SIRET doit comporter 14 chiffres."
    for key, label in (("date_from", "de début"), ("date_to", "de fin")):
        if filters[key]:
            try:
                date.fromisoformat(filters[key])
            except ValueError:
                errors[key] = f"La date {label} doit être une date réelle, par exemple 2026-03-31."
    return filters, errors


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _index_query(filters: Mapping[str, str]) -> dict[str, str] | None:
    """The filters in the index's words; None when they cannot match anything."""
    query = {
        "teleservice": filters["teleservice"],
        "statut": filters["status"],
        "text": filters["q"],
        "date_from": filters["date_from"],
        "date_to": filters["date_to"],
    }
    if filters["tiers"]:
        tiers = services().repos.tiers.find_by_siret(filters["tiers"])
        if tiers is None:
            return None
        query["tiers_id"] = tiers["id"]
    return {key: value for key, value in query.items() if value}


def _search(filters: Mapping[str, str], page: int, per_page: int, titles: Mapping[str, str]):
    from ..storage.index import DemandeIndex

    query = _index_query(filters)
    if query is None:
        return [], 0
    allowed = list(titles) if visible_teleservices(_staff()) is not None else None
    return DemandeIndex(services().store).search(query, page, per_page, teleservices=allowed)


def _with_tiers_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill the Tiers name of rows indexed without it (one page of rows at most)."""
    names: dict[str, str] = {}
    for row in rows:
        tiers_id = row.get("tiers_id")
        if not row.get("tiers_name") and tiers_id:
            if tiers_id not in names:
                names[tiers_id] = tiers_name(services().repos.tiers.get(tiers_id))
            row["tiers_name"] = names[tiers_id]
    return rows


@bp.get("/demandes")
@staff_required()
def demandes():
    titles = _visible_titles()
    filters, errors = _parse_filters(request.args, titles)
    page = _page_number()
    rows, total = ([], 0) if errors else _search(filters, page, PER_PAGE, titles)
    rows = _with_tiers_names(rows)
    unread = services().repos.messages.unread_for_staff(_staff())
    return render_template(
        "staff/demandes.html",
        page_title="Demandes",
        active_menu="demandes",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        errors=errors,
        titles=titles,
        statuses={k: v for k, v in workflow.STATUS_LABELS.items() if k != workflow.BROUILLON},
        unread=unread,
        query_args={k: v for k, v in filters.items() if v},
    ), (400 if errors else 200)


# One demande


def load_demande(tiers_id: str, demande_id: str) -> dict[str, Any]:
    """The transmitted demande if this agent may see it; 404 otherwise."""
    if not SAFE_ID.fullmatch(tiers_id) or not SAFE_ID.fullmatch(demande_id):
        abort(404)
    demande = services().repos.demandes.get(f"tiers/{tiers_id}", demande_id)
    if demande is None or demande.get("status") == workflow.BROUILLON:
        abort(404)
    if not can_see(_staff(), demande.get("teleservice") or ""):
        access_log.warning("Agent %s : demande %s hors de ses téléservices", current_user.id, demande_id)
        abort(404)
    return demande


def demande_files(demande: Mapping[str, Any], messages: list[Mapping[str, Any]]) -> dict[str, dict]:
    """Every file of a demande (answers of each version, message attachments) by file id."""
    roots = [demande.get("answers")]
    roots += [version.get("answers") for version in demande.get("versions") or []]
    roots += [message.get("attachments") for message in messages]
    found: dict[str, dict] = {}
    for ref in file_refs(roots):
        found.setdefault(str(ref["file_id"]), dict(ref))
    return found


def _shown_version(demande: Mapping[str, Any]) -> tuple[int | None, dict[str, Any], str]:
    """Which answers to show: a transmitted version (?version=N, 1-based) or the current ones."""
    versions = demande.get("versions") or []
    try:
        number = int(request.args.get("version", ""))
    except ValueError:
        number = None
    if number is not None and 1 <= number <= len(versions):
        chosen = versions[number - 1]
        return number, chosen.get("answers") or {}, chosen.get("version_key") or demande["version_key"]
    return None, demande.get("answers") or {}, demande["version_key"]


def _render_demande(tiers_id: str, demande: dict[str, Any], errors: dict[str, str] | None = None,
                    values: Mapping[str, Any] | None = None, status: int = 200):
    repos = services().repos
    messages = repos.messages.conversation(tiers_id, demande["id"])
    repos.messages.mark_read_by_staff(current_user.id, demande["id"])
    shown, answers, version_key = _shown_version(demande)
    spec = services().catalog.version(version_key)
    filed_spec = services().catalog.version(demande["version_key"])
    return render_template(
        "staff/demande.html",
        page_title=f"Demande {demande.get('numero') or ''}".strip(),
        active_menu="demandes",
        demande=demande,
        tiers=repos.tiers.get(tiers_id),
        tiers_id=tiers_id,
        spec=spec,
        answers=answers,
        shown_version=shown,
        pages=list(filed_spec.pages) if filed_spec else [],
        transitions=workflow.allowed_transitions(demande["status"]),
        files=demande_files(demande, messages),
        notes=repos.staff.notes(tiers_id, demande["id"]),
        messages=messages,
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/demandes/<tiers_id>/<demande_id>")
@staff_required()
def demande(tiers_id: str, demande_id: str):
    return _render_demande(tiers_id, load_demande(tiers_id, demande_id))


@bp.post("/demandes/<tiers_id>/<demande_id>/statut")
@staff_required()
def transition(tiers_id: str, demande_id: str):
    current = load_demande(tiers_id, demande_id)
    target = request.form.get("target", "")
    details = {
        "amount": request.form.get("amount"),
        "reason": request.form.get("reason"),
        "message": request.form.get("message"),
        "pages": request.form.getlist("pages"),
    }
    spec = services().catalog.version(current["version_key"])
    page_ids = {p.id for p in spec.pages} if spec else set()
    now = services().clock.now().isoformat(timespec="seconds")

    def change(doc):
        doc.update(workflow.transition_changes(doc, target, _actor(), now, details, page_ids))

    try:
        stored = services().repos.demandes.modify(current["partition"], demande_id, change)
    except workflow.TransitionError as error:
        field_errors = {f"{target}-{key}": message for key, message in error.errors.items()}
        return _render_demande(tiers_id, current, field_errors, {target: details}, status=400)
    staff_index.reindex(stored)
    _notify_status(tiers_id, stored)
    flash(f"La demande est maintenant « {workflow.status_label(stored['status'])} ».", "success")
    return redirect(url_for(".demande", tiers_id=tiers_id, demande_id=demande_id))


def _notify_status(tiers_id: str, demande: Mapping[str, Any]) -> None:
    from .echanges import notify_applicants

    notify_applicants(
        tiers_id,
        f"staff/statut_{demande['status']}",
        demande=demande,
        status_label=workflow.status_label(demande["status"]),
        amount=workflow.format_amount((demande.get("decision") or {}).get("amount")),
        path=url_for("espace.aides"),
    )


def _record(demande: Mapping[str, Any], action: str) -> None:
    """Write a staff action in the demande's history."""
    entry = workflow.history_entry(services().clock.now().isoformat(timespec="seconds"), _actor(), action)

    def change(doc):
        doc["history"] = [*(doc.get("history") or []), entry]

    services().repos.demandes.modify(demande["partition"], demande["id"], change)


@bp.post("/demandes/<tiers_id>/<demande_id>/notes")
@staff_required()
def add_note(tiers_id: str, demande_id: str):
    demande = load_demande(tiers_id, demande_id)
    body = (request.form.get("note") or "").strip()
    if not body:
        return _render_demande(tiers_id, demande, {"note": "Saisissez le texte de la note."}, status=400)
    services().repos.staff.add_note(tiers_id, demande_id, _actor().__dict__, body)
    _record(demande, "Note interne ajoutée")
    flash("Note enregistrée.", "success")
    return redirect(url_for(".demande", tiers_id=tiers_id, demande_id=demande_id, _anchor="notes"))


@bp.post("/demandes/<tiers_id>/<demande_id>/messages")
@staff_required()
def post_message(tiers_id: str, demande_id: str):
    from .echanges import send_message

    demande = load_demande(tiers_id, demande_id)
    errors = send_message(tiers_id, demande, _actor(), request.form.get("body"), request.files.get("attachment"))
    if errors:
        return _render_demande(tiers_id, demande, errors, {"body": request.form.get("body", "")}, status=400)
    _record(demande, "Message envoyé au demandeur")
    flash("Message envoyé au demandeur.", "success")
    return redirect(url_for(".demande", tiers_id=tiers_id, demande_id=demande_id, _anchor="echanges"))


@bp.get("/demandes/<tiers_id>/<demande_id>/fichiers/<file_id>")
@staff_required()
def download(tiers_id: str, demande_id: str, file_id: str):
    demande = load_demande(tiers_id, demande_id)
    messages = services().repos.messages.conversation(tiers_id, demande_id)
    return send_stored_file(demande_files(demande, messages).get(file_id))


# Export


@bp.get("/export/<teleservice>.<fmt>")
@staff_required()
def export(teleservice: str, fmt: str):
    if fmt not in ("csv", "xlsx") or not _exportable(teleservice):
        abort(404)
    demandes = list(_demandes_of(teleservice))
    catalog = services().catalog
    keys = [spec.version_key for spec in filter(None, [catalog.get(teleservice)])]
    keys += sorted({d["version_key"] for d in demandes} - set(keys), reverse=True)
    columns = exporter.columns_for(filter(None, (catalog.version(key) for key in keys)))
    rows = exporter.rows_for(columns, demandes)
    day = services().clock.today().isoformat()
    if fmt == "csv":
        data, mimetype = exporter.to_csv(columns, rows), "text/csv; charset=utf-8"
    else:
        data = exporter.to_xlsx(columns, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="demandes-{teleservice}-{day}.{fmt}"'
    return response


def _exportable(teleservice: str) -> bool:
    """A téléservice this agent sees, published or with indexed demandes (its id goes in a file name)."""
    from ..storage.index import DemandeIndex

    if not SAFE_ID.fullmatch(teleservice) or not can_see(_staff(), teleservice):
        return False
    return teleservice in _teleservice_titles() or teleservice in DemandeIndex(services().store).counts()


def _demandes_of(teleservice: str):
    """Every transmitted demande of a téléservice, with its Tiers name, via the index."""
    from ..storage.index import DemandeIndex

    index = DemandeIndex(services().store)
    repos = services().repos
    page, names = 1, {}
    while True:
        rows, total = index.search({"teleservice": teleservice}, page, 500)
        for row in rows:
            demande = repos.demandes.get(row["partition"], row["id"])
            if demande is None or demande.get("status") == workflow.BROUILLON:
                continue
            tiers_id = demande.get("tiers_id")
            if tiers_id not in names:
                names[tiers_id] = tiers_name(repos.tiers.get(tiers_id)) if tiers_id else ""
            yield {**demande, "tiers_name": names[tiers_id]}
        if page * 500 >= total:
            return
        page += 1


# Mes échanges, staff side


@bp.get("/echanges")
@staff_required()
def echanges():
    unread = services().repos.messages.unread_for_staff(_staff())
    return render_template(
        "staff/echanges.html",
        page_title="Échanges avec les demandeurs",
        active_menu="echanges",
        conversations=services().repos.messages.inbox_for_staff(_staff()),
        unread=unread,
    )


# Specs


def fresh_catalog():
    """The catalog, re-checked now: pages showing spec states never show a stale list
    (a reload made on another worker is picked up at once, not within the second)."""
    catalog = services().catalog
    catalog.refresh_if_changed(force=True)
    return catalog


@bp.get("/specs")
@staff_required(ADMIN)
def specs():
    catalog = fresh_catalog()
    counts = _counts_by_version()
    today = services().clock.today()
    rows = []
    for state in catalog.states():
        served = catalog.get(state.spec_id) if state.serving_version_key else None
        rows.append({
            "state": state,
            "file": _relative(state.source, catalog.specs_dir),
            "serving": served is not None,
            "open": served is not None and served.is_open(today),
            "counts": counts.get(state.spec_id or "", {}),
        })
    return render_template("staff/specs.html", page_title="Téléservices et specs", active_menu="specs", rows=rows)


def _relative(source: str, root) -> str:
    try:
        return str(Path(source).relative_to(root))
    except ValueError:
        return source


def _counts_by_version() -> dict[str, dict[str, int]]:
    """Transmitted demandes per téléservice and spec version (from the index rows)."""
    from ..storage.index import DemandeIndex

    index = DemandeIndex(services().store)
    counts: dict[str, dict[str, int]] = {}
    for teleservice in index.counts():
        page, seen = 1, 0
        while True:
            rows, total = index.search({"teleservice": teleservice}, page, 1000)
            for row in rows:
                version = row.get("version_key") or "version inconnue"
                per_version = counts.setdefault(teleservice, {})
                per_version[version] = per_version.get(version, 0) + 1
            seen += len(rows)
            if not rows or seen >= total:
                break
            page += 1
    return counts


@bp.post("/specs/recharger")
@staff_required(ADMIN)
def reload_specs():
    catalog = services().catalog
    errors = catalog.reload()
    catalog.bump_generation()
    log.info("Specs rechargées par %s : %d erreur(s)", current_user.id, len(errors))
    if errors:
        flash(
            f"Specs rechargées : {len(errors)} erreur(s). Les versions en erreur sont refusées, "
            "la version précédente reste en service.",
            "info",
        )
    else:
        flash("Specs rechargées : toutes les specs sont valides.", "success")
    return redirect(url_for(".specs"))


@bp.route("/apercu/<spec_id>/", methods=["GET", "POST"])
@bp.route("/apercu/<spec_id>/<page_id>", methods=["GET", "POST"])
@staff_required()
def preview(spec_id: str, page_id: str | None = None):
    """Walk through a spec page by page; what is typed is checked, never saved."""
    from ..forms.wizard import page_form, validate_page

    spec = fresh_catalog().get(spec_id)
    if spec is None or not spec.pages:
        abort(404)
    page_ids = [p.id for p in spec.pages]
    if page_id is None:
        return redirect(url_for(".preview", spec_id=spec_id, page_id=page_ids[0]))
    if page_id not in page_ids:
        abort(404)
    page = spec.page(page_id)
    position = page_ids.index(page_id)
    errors: list = []
    checked = False
    if request.method == "POST":
        result = validate_page(spec, page_id, request.form, request.files, {}, {})
        form, errors, checked = result.form, result.errors, True
    else:
        form = page_form(spec, page_id, {})
    return render_template(
        "staff/preview.html",
        page_title=f"Aperçu : {spec.title}",
        active_menu="specs",
        spec=spec,
        page=page,
        form=form,
        errors=errors,
        checked=checked,
        previous_id=page_ids[position - 1] if position > 0 else None,
        next_id=page_ids[position + 1] if position + 1 < len(page_ids) else None,
        position=position + 1,
        count=len(page_ids),
    )


def _staff_unread_total() -> int:
    if not current_user.is_authenticated or current_user.kind != "staff":
        return 0
    return sum(services().repos.messages.unread_for_staff(_staff()).values())


@bp.record_once
def _staff_globals(state) -> None:
    # constants and a function: set once at start-up, not per template render
    state.app.jinja_env.globals.update(
        status_labels=workflow.STATUS_LABELS,
        status_tags=workflow.STATUS_TAGS,
        action_labels=workflow.ACTION_LABELS,
        staff_unread_total=_staff_unread_total,
    )


# Accounts (demo data); the "Comptes des agents" pages live in ``staff_accounts``.


def seed_demo_staff(app, context: dict[str, Any]) -> list[str]:
    """Demo seeder: an administrateur agent with a random password."""
    if services().repos.staff.count():
        return []
    _, password = create_staff_account("admin.metropole", "agent.demo@ampmetropole.fr", ADMIN, [],
                                       "Agent de démonstration")
    line = f"Agent administrateur de démonstration (/agents/connexion) : admin.metropole / {password}"
    return [line]


from . import staff_accounts  # noqa: F401  (registers the account pages on ``bp``)
