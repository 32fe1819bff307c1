"""Déposer une demande: choice of the téléservice, the multi-step form,
récapitulatif, transmission, accusé de réception and documents.

Domain logic lives in ``runtime.domain.demandes``; this blueprint coordinates.
"""
from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from io import BytesIO
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from ..domain.demandes import (
    EDITABLE_STATUSES,
    SET_ASIDE_INTRO,
    DemandeService,
    TransmissionRefused,
    closed_message,
    next_step,
    partition_for,
    prefill_key,
    set_aside_answers,
    step_states,
    summary_lines,
)
from ..domain.tiers import TiersError
from ..domain.workflow import Actor
from ..formatting import format_date, format_time, quote
from ..forms.wizard import (
    PageResult,
    page_form,
    raw_from_answers,
    validate_demande,
    validate_page,
    visible_pages,
)
from ..services import services
from ..spec.checks import FORM_CONTROLS
from ..spec.errors import FieldError
from ..spec.model import Spec
from ..storage.base import StorageError
from ..storage.files import file_refs
from ..storage.index import DemandeIndex
from ..storage.repositories.demandes import account_partition, tiers_partition
from ..storage.repositories.staff import can_see
from ..vocabulary import PageState, Status
from .context import choose_tiers, create_tiers_from_demande, current_tiers, tiers_required
from .downloads import send_stored_file
from .identity import applicant_required, from_this_site, login_manager
from .setup import csrf
from .throttle import client_ip

bp = Blueprint("demandes", __name__, url_prefix="/demandes")
log = logging.getLogger("portail.demandes")
access_log = logging.getLogger("portail.access")

PENDING_KEY = "pending_draft"
# The step views check CSRF themselves, after keeping an expired session's data.
NO_CSRF = {"csrf": False}
RECAP_TARGET = "__recap"  # value of the "goto" button leading to the récapitulatif
CHECK_ARG = "verifier"  # ?verifier=1 on a step: show what blocks the transmission
AUTOSAVE_FAILED = "Enregistrement impossible pour le moment, vos réponses précédentes sont conservées."
READ_ONLY_MESSAGE = (
    "Cette demande a été transmise : elle ne peut plus être modifiée. "
    "Si vous devez la compléter, contactez le service instructeur."
)
ATTESTATION_ERROR = "Cochez l'attestation sur l'honneur pour transmettre votre demande."
# Bounds of the data kept for a post made after the session expired.
PENDING_MAX_CHARS = 64 * 1024  # a real step posts far less
PENDING_PER_IP = (20, 3600)  # new stashes per IP address and window (seconds)
PENDING_KEPT = ("Votre session a expiré. Connectez-vous à nouveau : ce que vous venez de saisir "
                "sera enregistré dans votre brouillon.")
PENDING_LOST = ("Votre session a expiré. Connectez-vous à nouveau : votre brouillon contient ce que vous "
                "aviez enregistré avant ; ce que vous venez de saisir n'a pas pu être conservé.")


# --- helpers shared with the espace blueprint ---------------------------------


def demande_service() -> DemandeService:
    s = services()
    return DemandeService(s.repos.demandes, s.catalog, s.clock, s.outbox, index=DemandeIndex(s.store),
                          tiers_repo=s.repos.tiers)


def applicant_actor() -> Actor:
    return Actor(kind="applicant", id=current_user.id, name=getattr(current_user, "display_name", ""))


def own_partitions() -> list[str]:
    """Where the current applicant's demandes live: the current Tiers, and
    the account's own Tiers-creation drafts."""
    partitions = [account_partition(current_user.id)]
    tiers = current_tiers()
    if tiers:
        partitions.insert(0, tiers_partition(tiers["id"]))
    return partitions


def own_summaries(statuses: tuple[str, ...] | None = None, page: int = 1,
                  per_page: int = 20) -> tuple[list[dict[str, Any]], int]:
    """One page of the summary rows of the current applicant's demandes (newest
    first) and their total: the current Tiers' demandes, after the account's own
    Tiers-creation drafts (a handful at most). Reads counters and a month shard
    or two, never a demande."""
    repo = services().repos.demandes
    own = list(repo.all_summaries(account_partition(current_user.id), statuses))
    start = (max(page, 1) - 1) * per_page
    rows = own[start : start + per_page]
    total = len(own)
    tiers = current_tiers()
    if tiers:
        found, tiers_total = repo.summaries(tiers_partition(tiers["id"]), statuses,
                                            per_page=per_page - len(rows), offset=max(start - len(own), 0))
        rows += found
        total += tiers_total
    return rows, total


def find_own_demande(demande_id: str) -> dict[str, Any] | None:
    """The demande if it belongs to the current Tiers or is one of the account's own drafts;
    else, if it belongs to another Tiers of the account (a link followed, a login after an
    expired session before any Tiers was chosen), that Tiers becomes the one acted for."""
    repo = services().repos.demandes
    for partition in own_partitions():
        doc = repo.get(partition, demande_id)
        if doc is not None:
            return doc
    return _demande_of_another_own_tiers(demande_id)


def _demande_of_another_own_tiers(demande_id: str) -> dict[str, Any] | None:
    current = current_tiers()
    for tiers in services().repos.tiers.tiers_of_account(current_user.id):
        if current and tiers["id"] == current["id"]:
            continue
        doc = services().repos.demandes.get(tiers_partition(tiers["id"]), demande_id)
        if doc is not None and choose_tiers(tiers["id"]):
            flash(f"Vous agissez désormais pour le tiers {quote(tiers.get('raison_sociale') or '')}.", "info")
            return doc
    return None


def load_demande(demande_id: str) -> tuple[dict[str, Any], Spec]:
    """The applicant's demande and the spec to render it with, or 404."""
    demande = find_own_demande(demande_id)
    if demande is None:
        access_log.warning("Demande %s refusée au compte %s", demande_id, current_user.id)
        abort(404)
    demande, spec = demande_service().spec_of(demande, prefill_context(demande))
    if spec is None:
        log.error("Aucune version de spec pour la demande %s (%s)", demande_id, demande.get("version_key"))
        abort(404)
    return demande, spec


def prefill_context(demande: Mapping[str, Any]) -> dict[str, Any]:
    tiers = current_tiers() if demande.get("tiers_id") else None
    return {"tiers": dict(tiers or {}), "account": dict(current_user.doc)}


def demande_states(spec: Spec, demande: Mapping[str, Any]) -> dict[str, str]:
    """The state of each visible step: as computed when the demande was last
    saved (``refresh_progress``), else computed now with the applicant's prefill."""
    prefill = prefill_context(demande)
    stored = demande.get("page_states")
    if stored and demande.get("prefill_key") == prefill_key(spec, prefill):
        return dict(stored)
    return step_states(spec, demande, prefill)


def complement_pages(spec: Spec, demande: Mapping[str, Any]) -> list:
    """The pages staff asked to complete (those the spec still has)."""
    wanted = (demande.get("complement") or {}).get("pages") or []
    return [p for p in spec.pages if p.id in wanted]


def resume_url(spec: Spec, demande: Mapping[str, Any], states: Mapping[str, str] | None = None) -> str:
    if demande["status"] == Status.COMPLEMENT_DEMANDE:
        pages = complement_pages(spec, demande)
        if pages:
            return url_for("demandes.step", demande_id=demande["id"], page_id=pages[0].id)
    page = next_step(spec, demande_states(spec, demande) if states is None else states)
    if page is None:
        return url_for("demandes.recap", demande_id=demande["id"])
    return url_for("demandes.step", demande_id=demande["id"], page_id=page.id)


def summary_resume_url(spec: Spec | None, summary: Mapping[str, Any]) -> str:
    """Where to resume a demande from its summary row: the steps asked in a
    complement, else the next step computed when it was saved, else the récapitulatif."""
    if summary["status"] == "complement_demande" and spec is not None:
        return resume_url(spec, summary, {})
    page = summary.get("next_page")
    if page and (spec is None or page["id"] in {p.id for p in spec.pages}):
        return url_for("demandes.step", demande_id=summary["id"], page_id=page["id"])
    return url_for("demandes.recap", demande_id=summary["id"])


def teleservice_state(spec: Spec) -> str:
    today = services().clock.today()
    if spec.opens and today < spec.opens:
        return "a_venir"
    if spec.closes and today > spec.closes:
        return "fermee"
    return "ouverte"


def offered_teleservices(tiers: Mapping[str, Any] | None) -> list[tuple[Spec, str]]:
    famille = (tiers or {}).get("famille")
    return [
        (spec, teleservice_state(spec))
        for spec in services().catalog.teleservices()
        if not famille or famille in spec.families
    ]


def apply_pending_draft() -> None:
    """Save into its draft what was posted while the session had expired."""
    pending_id = session.pop(PENDING_KEY, None)
    if not pending_id or not current_user.is_authenticated or current_user.kind != "applicant":
        return
    pending = services().repos.demandes.pop_pending(pending_id)
    if pending is None:
        return
    demande = find_own_demande(pending["demande_id"])
    if demande is None:
        return
    demande, spec = demande_service().spec_of(demande, prefill_context(demande))
    if spec is None or pending["page_id"] not in demande_service().editable_pages(demande, spec):
        return
    formdata = MultiDict([(k, v) for k, values in pending["form"].items() for v in values])
    _save_page(demande, spec, pending["page_id"], formdata, MultiDict())
    flash("Ce que vous aviez saisi avant l'expiration de votre session a été enregistré dans votre brouillon.",
          "success")


# --- choice and start --------------------------------------------------------


FILTER_FROM = 10  # "Choix du téléservice" can be filtered from this many téléservices


def _folded(text: str) -> str:
    """Lower case without accents: « Équipement » matches « equipement »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def searched_text(spec: Spec) -> str:
    """What the words typed are looked for in: title, description and theme, folded (also
    written in the page as ``data-search`` for the live filter, static/js/portail/teleservice_filter.js)."""
    return _folded(" ".join(filter(None, (spec.title, spec.description, spec.theme))))


def filter_teleservices(offered: list[tuple[Spec, str]], words: str, theme: str) -> list[tuple[Spec, str]]:
    """The téléservices whose title, description or theme hold every word, of the theme chosen."""
    wanted = _folded(words).split()
    kept = []
    for spec, state in offered:
        if theme and spec.theme != theme:
            continue
        if all(word in searched_text(spec) for word in wanted):
            kept.append((spec, state))
    return kept


@bp.get("/")
@applicant_required
@tiers_required
def choose():
    tiers = current_tiers()
    offered = offered_teleservices(tiers)
    filterable = len(offered) >= FILTER_FROM
    words = request.args.get("mots", "").strip()[:200] if filterable else ""
    theme = request.args.get("theme", "").strip() if filterable else ""
    shown = filter_teleservices(offered, words, theme) if filterable else offered
    # Every téléservice is in the page, those the filter leaves out ``hidden``: the live filter
    # (JS) can bring them back as the words change.
    return render_template(
        "demandes/choose.html",
        page_title="Choix du téléservice",
        teleservices=offered,
        shown={spec.id for spec, _ in shown},
        searched={spec.id: searched_text(spec) for spec, _ in offered} if filterable else {},
        filterable=filterable,
        themes=sorted({spec.theme for spec, _ in offered if spec.theme}),
        words=words,
        theme=theme,
        total=len(offered),
        tiers=tiers,
    )


@bp.post("/nouvelle")
@applicant_required
def start():
    catalog = services().catalog
    spec = catalog.get(request.form.get("teleservice", ""))
    if spec is None or spec.kind not in ("teleservice", "tiers_creation"):
        abort(404)
    tiers = current_tiers() if spec.kind == "teleservice" else None
    if spec.kind == "teleservice":
        if tiers is None:
            return redirect(url_for("espace.dashboard"))
        if (spec, "ouverte") not in offered_teleservices(tiers):
            flash(f"Le téléservice {quote(spec.title)} n'est pas ouvert : vous ne pouvez pas y déposer de demande.",
                  "info")
            return redirect(url_for(".choose"))
    return start_demande(spec, tiers, force=bool(request.form.get("force")))


def start_demande(spec: Spec, tiers: Mapping[str, Any] | None, force: bool = False):
    """Start a demande, or offer to resume the draft already begun.

    Also used by ``tiers.create`` for the Tiers-creation demande.
    """
    service = demande_service()
    drafts = service.drafts_of(partition_for(spec, current_user.id, tiers), spec.id)
    if drafts and not force:
        return render_template(
            "demandes/resume_offer.html",
            page_title="Une demande est déjà en cours",
            spec=spec,
            drafts=drafts,
            resume_urls={d["id"]: summary_resume_url(spec, d) for d in drafts},
            )
    prefill = {"tiers": dict(tiers or {}), "account": dict(current_user.doc)}
    demande = service.start(spec, applicant_actor(), tiers, prefill)
    return redirect(url_for("demandes.step", demande_id=demande["id"], page_id=spec.pages[0].id))


# --- the steps --------------------------------------------------------------


def _expired_session_post(demande_id: str, page_id: str):
    """Keep what was typed (not the files) until the applicant logs in again. A post from another
    site keeps nothing and writes nothing to the session (it would replace the visitor's)."""
    target = url_for(".step", demande_id=demande_id, page_id=page_id)
    if not from_this_site():
        access_log.warning("Envoi d'un autre site refusé sur %s", request.path)
        return redirect(url_for("accounts.login", next=target))
    form = {k: v for k, v in request.form.lists() if k not in FORM_CONTROLS}
    kept = _stash_pending({"demande_id": demande_id, "page_id": page_id, "form": form})
    if request.path.endswith("/autosave"):
        return jsonify(saved=False, login_url=url_for("accounts.login", next=target)), 401
    flash(PENDING_KEPT if kept else PENDING_LOST, "info")
    return redirect(url_for("accounts.login", next=target))


def _stash_pending(payload: dict[str, Any]) -> bool:
    """Stash an expired session's post, the only write open to anyone without
    a token, so bounded: one stash per browser session (a new post replaces
    it), a size cap, and a number of new stashes per IP address."""
    repo = services().repos.demandes
    size = sum(len(k) + sum(len(v) for v in values) for k, values in payload["form"].items())
    if size > PENDING_MAX_CHARS:
        return False
    previous = session.pop(PENDING_KEY, None)
    if previous is None or repo.pop_pending(previous) is None:
        throttle, (limit, window) = services().repos.throttle, PENDING_PER_IP
        key = f"pending_draft:ip:{client_ip()}"
        if throttle.retry_after(key, limit, window):
            return False
        throttle.record(key, window)
    session[PENDING_KEY] = repo.stash_pending(payload)
    return True


def _check_csrf() -> None:
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except ValidationError as error:
        raise CSRFError(str(error)) from None


def _identify_step_caller(demande_id: str, page_id: str):
    """The step views accept a POST from an expired session (to keep the data),
    so they check login and CSRF themselves. Returns a response or None."""
    if not current_user.is_authenticated:
        if request.method == "POST":
            return _expired_session_post(demande_id, page_id)
        return login_manager.unauthorized()
    if current_user.kind != "applicant":
        abort(403)
    if request.method == "POST":
        _check_csrf()
    return None


def _page_or_404(spec: Spec, page_id: str):
    try:
        return spec.page(page_id)
    except KeyError:
        abort(404)


def _save_page(demande, spec, page_id, formdata, files):
    result = validate_page(
        spec,
        page_id,
        formdata,
        files,
        demande.get("answers") or {},
        prefill_context(demande),
        save_file=_save_upload,
        meta=NO_CSRF,
    )
    saved = demande_service().save_page(
        demande, spec, page_id, result.answers, applicant_actor(), prefill_context(demande)
    )
    return result, saved


def _save_upload(upload) -> dict[str, Any]:
    return services().files.save(upload.stream, upload.filename or "fichier")


def _refuse_read_only(demande):
    access_log.warning("Modification refusée : demande %s non modifiable (%s)", demande["id"], demande["status"])
    return render_template("error.html", code=403, title="Demande non modifiable", message=READ_ONLY_MESSAGE), 403


def _neighbour(spec: Spec, answers, page_id: str, offset: int):
    ids = [p.id for p in visible_pages(spec, answers)]
    if page_id not in ids:
        return None
    index = ids.index(page_id) + offset
    return ids[index] if 0 <= index < len(ids) else None


def _step_url(demande_id: str, page_id: str | None) -> str:
    if page_id is None:
        return url_for(".recap", demande_id=demande_id)
    return url_for(".step", demande_id=demande_id, page_id=page_id)


@bp.route("/<demande_id>/etape/<page_id>", methods=["GET", "POST"])
@csrf.exempt
def step(demande_id: str, page_id: str):
    refused = _identify_step_caller(demande_id, page_id)
    if refused is not None:
        return refused
    apply_pending_draft()
    demande, spec = load_demande(demande_id)
    _page_or_404(spec, page_id)
    editable = demande_service().editable_pages(demande, spec)
    if page_id not in editable:
        if request.method == "POST":
            return _refuse_read_only(demande)
        return redirect(url_for(".recap", demande_id=demande_id))
    answers = demande.get("answers") or {}
    if page_id not in [p.id for p in visible_pages(spec, answers)]:
        # A page hidden by a condition: go on to the next visible one.
        following = _first_visible_after(spec, answers, page_id)
        return redirect(_step_url(demande_id, following))
    if request.method == "GET":
        # Errors show after an attempt to go on (a post, or the récapitulatif's list
        # of what blocks the transmission), never on arrival.
        return _render_step(demande, spec, page_id, check=bool(request.args.get(CHECK_ARG)))
    result, saved = _save_page(demande, spec, page_id, request.form, request.files)
    if saved is None:
        abort(404)
    return _after_post(saved, spec, page_id, result)


def _first_visible_after(spec: Spec, answers, page_id: str) -> str | None:
    visible = {p.id for p in visible_pages(spec, answers)}
    ids = [p.id for p in spec.pages]
    for candidate in ids[ids.index(page_id) + 1 :]:
        if candidate in visible:
            return candidate
    return None


def _after_post(demande, spec: Spec, page_id: str, result):
    if result.stay:  # a table button without JavaScript: the same page, one row more or less
        return _render_step(demande, spec, page_id, result=result)
    answers = demande.get("answers") or {}
    goto = request.form.get("goto")
    action = request.form.get("action", "save")
    if goto == RECAP_TARGET:
        return redirect(_step_url(demande["id"], None))
    if goto and goto in {p.id for p in spec.pages}:
        return redirect(_step_url(demande["id"], goto))
    if action == "previous":
        previous = _neighbour(spec, answers, page_id, -1)
        return redirect(_step_url(demande["id"], previous or page_id))
    if result.errors:
        return _render_step(demande, spec, page_id, result=result, saved=True)
    if action == "next":
        return redirect(_step_url(demande["id"], _neighbour(spec, answers, page_id, +1)))
    flash("Votre brouillon a été enregistré.", "success")
    return redirect(_step_url(demande["id"], page_id))


def _render_step(demande, spec: Spec, page_id: str, result=None, status: int = 200, check: bool = False,
                 saved: bool = False):
    """``check``: show the stored answers' errors (asked from the récapitulatif);
    ``saved``: the page was just saved (said beside its errors)."""
    answers = demande.get("answers") or {}
    states = demande_states(spec, demande)
    if result is None:
        prefill = prefill_context(demande)
        if check and states.get(page_id) == PageState.ERROR:
            raw = raw_from_answers(spec.page(page_id), answers)
            result = validate_page(spec, page_id, raw, None, answers, prefill, meta=NO_CSRF)
        else:
            result = PageResult(answers, [], page_form(spec, page_id, answers, prefill, meta=NO_CSRF))
    pages = visible_pages(spec, answers)
    ids = [p.id for p in pages]
    number = ids.index(page_id) + 1
    page = spec.page(page_id)
    return (
        render_template(
            "demandes/step.html",
            page_title=f"Étape {number} sur {len(pages)} : {page.title} – {spec.title}",
            demande=demande,
            spec=spec,
            page=page,
            pages=pages,
            number=number,
            states=states,
            form=result.form,
            errors=result.errors,
            saved=saved,
            previous_id=_neighbour(spec, answers, page_id, -1),
            editable=demande_service().editable_pages(demande, spec),
            autosave_url=url_for(".autosave", demande_id=demande["id"], page_id=page_id),
        ),
        status,
    )


@bp.post("/<demande_id>/etape/<page_id>/autosave")
@csrf.exempt
def autosave(demande_id: str, page_id: str):
    refused = _identify_step_caller(demande_id, page_id)
    if refused is not None:
        return refused
    try:
        demande, spec = load_demande(demande_id)
        _page_or_404(spec, page_id)
        if page_id not in demande_service().editable_pages(demande, spec):
            return jsonify(saved=False, message=READ_ONLY_MESSAGE), 409
        # Files are sent with the full form only, never in the background.
        result, saved = _save_page(demande, spec, page_id, request.form, MultiDict())
    except StorageError as error:
        # The script shows the message; the page (and what the applicant typed) stays.
        log.error("Enregistrement automatique impossible de %s/%s : %s", demande_id, page_id, error)
        return jsonify(saved=False, message=AUTOSAVE_FAILED), 503
    return jsonify(
        saved=True,
        saved_at=format_time(services().clock.now()),  # « 14 h 05 », shown as is by static/js/portail/autosave.js
        message="Brouillon enregistré automatiquement.",
        states=saved.get("page_states") or {},
        errors=[{"path": e.path, "message": e.message} for e in result.errors],
    )


# --- récapitulatif and transmission ---------------------------------------------


@bp.get("/<demande_id>/recapitulatif")
@applicant_required
def recap(demande_id: str):
    demande, spec = load_demande(demande_id)
    return _render_recap(demande, spec)


def _render_recap(demande, spec: Spec, errors: list[FieldError] | None = None, status: int = 200,
                  refusal: str | None = None):
    answers = demande.get("answers") or {}
    return (
        render_template(
            "demandes/recap.html",
            page_title=f"Récapitulatif – {spec.title}",
            demande=demande,
            spec=spec,
            answers=answers,
            pages=visible_pages(spec, answers),
            states=demande_states(spec, demande),
            editable=demande_service().editable_pages(demande, spec),
            can_transmit=demande["status"] in EDITABLE_STATUSES,
            closed=demande["status"] == Status.BROUILLON and teleservice_state(spec) != "ouverte",
            closed_message=closed_message(spec),
            errors=errors or [],
            refusal=refusal,
            set_aside=set_aside_answers(demande),
            set_aside_intro=SET_ASIDE_INTRO,
            ),
        status,
    )


@bp.post("/<demande_id>/transmettre")
@applicant_required
def transmit(demande_id: str):
    demande, spec = load_demande(demande_id)
    if demande["status"] not in EDITABLE_STATUSES:
        if demande.get("numero"):
            demande_service().redrive(demande)  # a retry after a crash: finish what the transmission owes
            return redirect(url_for(".confirmation", demande_id=demande_id))
        return _refuse_read_only(demande)
    if spec.attestation and not request.form.get("attestation"):
        return _render_recap(demande, spec, [FieldError("attestation", ATTESTATION_ERROR)], 400)
    service = demande_service()
    created = None
    try:
        if spec.kind == "tiers_creation" and demande["status"] == Status.BROUILLON:
            created = _create_tiers(demande, spec)
        outcome = service.transmit(demande, spec, applicant_actor(), prefill_context(demande),
                                   mails=lambda filed: receipt_mails(filed, spec, created))
    except TransmissionRefused as refused:
        return _render_recap(demande, spec, refused.errors, 400)
    except TiersError as error:
        return _render_recap(demande, spec, status=400, refusal=getattr(error, "html", None) or str(error))
    filed = outcome.demande
    if outcome.first_time:
        if created is not None:
            filed = service.move_to_tiers(filed, created["id"])
        log.info("Demande %s transmise sous le numéro %s", filed["id"], filed["numero"])
    return redirect(url_for(".confirmation", demande_id=filed["id"]))


def _create_tiers(demande, spec: Spec) -> dict[str, Any]:
    """Check the whole demande, then create the Tiers (``TiersError`` when the SIRET is taken)."""
    errors = validate_demande(spec, demande.get("answers") or {}, prefill_context(demande))
    if errors:
        raise TransmissionRefused(list(errors))
    return create_tiers_from_demande(current_user.doc, demande.get("answers") or {})


def receipt_mails(demande, spec: Spec, tiers: Mapping[str, Any] | None = None):
    """The accusés de réception of a transmission: to the applicant and to the Tiers,
    recorded with it (``runtime.domain.effects``)."""
    if tiers is None and demande.get("tiers_id"):
        tiers = services().repos.tiers.get(demande["tiers_id"])
    recipients = {current_user.doc.get("email"), (tiers or {}).get("email")}
    context = {
        "demande": demande,
        "spec": spec,
        "tiers": tiers,
        "lines": summary_lines(spec, demande.get("answers") or {}),
        "transmitted_on": format_date(demande.get("transmitted_at")),
        "aides_path": "/espace/aides",
    }
    return [(address, "demandes/accuse_reception", context) for address in sorted(a for a in recipients if a)]


@bp.get("/<demande_id>/confirmation")
@applicant_required
def confirmation(demande_id: str):
    demande, spec = load_demande(demande_id)
    if not demande.get("numero"):
        return redirect(url_for(".recap", demande_id=demande_id))
    return render_template(
        "demandes/confirmation.html",
        page_title="Demande transmise",
        demande=demande,
        spec=spec,
    )


# --- deletion of a draft -------------------------------------------------------


@bp.route("/<demande_id>/supprimer", methods=["GET", "POST"])
@applicant_required
def delete(demande_id: str):
    demande, spec = load_demande(demande_id)
    if demande["status"] != Status.BROUILLON:
        return _refuse_read_only(demande)
    if request.method == "POST":
        demande_service().remove_draft(demande)
        flash(f"Le brouillon {quote(spec.title)} a été supprimé.", "success")
        return redirect(url_for("espace.sollicitations"))
    return render_template("demandes/delete.html", page_title="Supprimer le brouillon", demande=demande,
                           spec=spec)


# --- files: accusé de réception and documents --------------------------------------


def _readable_demande(demande_id: str) -> dict[str, Any]:
    """A demande for its Tiers' members (and its author) or for staff, else 404."""
    if not current_user.is_authenticated:
        abort(404)
    if current_user.kind == "staff":
        demande = services().repos.demandes.find_anywhere(demande_id)
        if demande is not None and not can_see(current_user.doc, demande["teleservice"]):
            demande = None
    else:
        demande = find_own_demande(demande_id)
    if demande is None:
        access_log.warning("Accès refusé à la demande %s pour %s", demande_id, current_user.get_id())
        abort(404)
    return demande


@bp.get("/<demande_id>/accuse-reception.pdf")
def receipt(demande_id: str):
    demande = _readable_demande(demande_id)
    spec = services().catalog.version(demande["version_key"])
    if not demande.get("numero") or spec is None:
        abort(404)
    tiers = services().repos.tiers.get(demande["tiers_id"]) if demande.get("tiers_id") else None
    config = services().config
    from ..domain.pdf import accuse_reception  # fpdf loads on the first receipt, not at every worker start

    content = accuse_reception(demande, spec, tiers, config["METROPOLE_NAME"], config["METROPOLE_CONTACT"])
    return send_file(
        BytesIO(content),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"accuse-reception-{demande['numero']}.pdf",
    )


@bp.get("/<demande_id>/pieces/<file_id>")
def document(demande_id: str, file_id: str):
    demande = _readable_demande(demande_id)
    answers = [demande.get("answers"), demande.get("set_aside")] + [v.get("answers") for v in demande.get("versions") or []]
    ref = next((r for r in file_refs(answers) if r.get("file_id") == file_id), None)
    return send_stored_file(ref)
