"""Life of a demande, independent of Flask: start or resume a draft, save a
step, carry a draft over to a new spec version, transmit with a number.

The web layer (``runtime.web.demandes``) coordinates; mails and the PDF are
made there, from what these functions return.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..formatting import format_date, quote
from ..forms.registry import computed_text, field_type
from ..forms.wizard import (
    STATE_DONE,
    STATE_ERROR,
    STATE_TODO,
    page_states,
    prefill_value,
    unchanged_pages,
    validate_demande,
    visible_pages,
)
from ..spec.computed import compute, to_decimal
from ..spec.conditions import evaluate
from ..spec.errors import FieldError
from ..spec.model import Field, Spec
from ..storage.repositories.demandes import account_partition, demande_partition, tiers_partition
from ..storage.repositories.tiers import tiers_name
from ..vocabulary import EDITABLE_STATUSES, Status
from .effects import Outbox
from .workflow import Actor, history_entry

PORTAL_ACTOR = Actor(kind="system", id="portail", name="Portail des subventions")
# Fields holding the amount asked, by the id conventions of the shipped specs.
REQUESTED_AMOUNT_IDS = ("montant_demande", "montant_sollicite", "subvention_demandee")


# The mails of a transmission, from the filed demande: ``[(to, template, context)]``.
MailsOf = Callable[[dict[str, Any]], Iterable[tuple[str | None, str, dict[str, Any]]]]


class TransmissionRefused(Exception):
    """The demande cannot be transmitted; ``errors`` say why (French)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


@dataclass
class Transmission:
    demande: dict[str, Any]
    first_time: bool  # False when the demande had already been transmitted (double submission)


def value_fields(spec: Spec) -> dict[str, Field]:
    """Fields that hold an answer, by id (static blocks left out)."""
    return {f.id: f for f in spec.fields() if not field_type(f.type).static}


def page_field_ids(spec: Spec, page_id: str) -> list[str]:
    return [f.id for f in spec.page(page_id).fields if not field_type(f.type).static]


def partition_for(spec: Spec, account_id: str, tiers: Mapping[str, Any] | None) -> str:
    """A Tiers-creation demande belongs to its account until the Tiers exists."""
    if spec.kind == "tiers_creation" or not tiers:
        return account_partition(account_id)
    return tiers_partition(tiers["id"])


class DemandeService:
    """Domain operations over ``services().repos.demandes`` and the catalog."""

    def __init__(self, repo, catalog, clock, outbox: Outbox, index=None, tiers_repo=None):
        self.repo = repo
        self.outbox = outbox  # the transmission's effects (index row, mails) are recorded with it
        self.catalog = catalog
        self.clock = clock
        self.index = index  # runtime.storage.index.DemandeIndex, or None
        self.tiers_repo = tiers_repo

    # Starting and finding

    def start(self, spec: Spec, actor: Actor, tiers: Mapping[str, Any] | None,
              prefill: Mapping[str, Any] | None = None) -> dict[str, Any]:
        partition = partition_for(spec, actor.id, tiers)
        doc = {
            "teleservice": spec.id,
            "teleservice_title": spec.title,
            "kind": spec.kind,
            "version_key": spec.version_key,
            "tiers_id": tiers["id"] if tiers and spec.kind != "tiers_creation" else None,
            "created_by": actor.id,
            "history": [self._event(actor, "Demande créée")],
        }
        refresh_progress(spec, doc, prefill)
        return self.repo.create(partition, doc)

    def drafts_of(self, partition: str, teleservice_id: str) -> list[dict[str, Any]]:
        """Drafts of a téléservice (summary rows), from the owner's summaries."""
        return [d for d in self.repo.all_summaries(partition, (Status.BROUILLON,)) if d["teleservice"] == teleservice_id]

    def spec_of(
        self, demande: dict[str, Any], prefill: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], Spec | None]:
        """The spec a demande is rendered with, migrating a draft to the
        published version when the YAML changed. Returns the (possibly
        updated) demande and its spec."""
        filed = self.catalog.version(demande["version_key"])
        if demande["status"] != Status.BROUILLON:
            return demande, filed
        current = self.catalog.get(demande["teleservice"])
        if current is None or current.version_key == demande["version_key"]:
            return demande, current or filed
        migrated = self.repo.modify(
            demande["partition"], demande["id"], lambda doc: migrate(doc, current, prefill, filed)
        )
        return migrated or demande, current

    # Editing

    def editable_pages(self, demande: Mapping[str, Any], spec: Spec) -> set[str]:
        if demande["status"] == Status.BROUILLON:
            return {p.id for p in spec.pages}
        if demande["status"] == Status.COMPLEMENT_DEMANDE:
            return set((demande.get("complement") or {}).get("pages") or ())
        return set()

    def save_page(
        self,
        demande: Mapping[str, Any],
        spec: Spec,
        page_id: str,
        page_answers: Mapping[str, Any],
        actor: Actor,
        prefill: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Store the answers of one page, valid or not: a value that did not
        convert is kept as typed (see ``runtime.forms``), so nothing is lost."""
        if page_id not in self.editable_pages(demande, spec):
            raise PermissionError(page_id)
        own_ids = page_field_ids(spec, page_id)

        def change(doc):
            if doc["status"] not in EDITABLE_STATUSES or doc.get("version_key") != demande["version_key"]:
                raise PermissionError(page_id)
            before = {key: doc.get(key) for key in ("answers", "visited", "page_states", "prefill_key")}
            answers = dict(doc.get("answers") or {})
            for field_id in own_ids:  # a field emptied or hidden on this page loses its answer
                if field_id in page_answers:
                    answers[field_id] = page_answers[field_id]
                else:
                    answers.pop(field_id, None)
            doc["answers"] = answers
            doc["visited"] = sorted({*(doc.get("visited") or ()), page_id})
            refresh_progress(spec, doc, prefill, previous=before, saved_page=page_id)
            doc["updated_by"] = actor.id

        return self.repo.modify(demande["partition"], demande["id"], change)

    def remove_draft(self, demande: Mapping[str, Any]) -> bool:
        if demande["status"] != Status.BROUILLON:
            return False
        return self.repo.remove(demande["partition"], demande["id"])

    # Transmission

    def transmit(
        self, demande: Mapping[str, Any], spec: Spec, actor: Actor, prefill: Mapping[str, Any] | None = None,
        mails: MailsOf | None = None,
    ) -> Transmission:
        """Validate then file the demande: number, date, status, snapshot.

        What must follow (its staff index row, the mails ``mails(filed)``
        returns as ``(to, template, context)``) is recorded in the same
        transaction (``runtime.domain.effects``) and delivered after it.
        Raises ``TransmissionRefused`` with the French reasons. A demande
        already transmitted is returned as it is (``first_time`` False), and
        whatever its transmission left pending is delivered now.
        """

        if demande["status"] not in EDITABLE_STATUSES:
            self.redrive(demande)
            return Transmission(demande=dict(demande), first_time=False)
        if demande["status"] == Status.BROUILLON and not spec.is_open(self.clock.today()):
            raise TransmissionRefused([FieldError("", closed_message(spec))])
        errors = list(validate_demande(spec, demande.get("answers") or {}, prefill))
        if errors:
            raise TransmissionRefused(errors)
        now = self.clock.now().isoformat(timespec="seconds")
        outcome = {"first_time": True}

        def change(doc):
            if doc["status"] not in EDITABLE_STATUSES:
                outcome["first_time"] = False  # a concurrent submission won: its number stands
                return
            complement = doc["status"] == Status.COMPLEMENT_DEMANDE
            previous = (doc.get("versions") or [None])[-1]
            # The number is taken here, under the demande's lock, once we know this write wins:
            # the loser of a double submission never takes one.
            doc["numero"] = doc.get("numero") or self.repo.next_numero(number_prefix(spec), self.clock.now().year)
            doc["transmitted_at"] = doc.get("transmitted_at") or now
            doc["status"] = Status.TRANSMISE
            doc["versions"] = [
                *(doc.get("versions") or []),
                {"at": now, "version_key": doc["version_key"], "answers": doc.get("answers") or {}},
            ]
            message = "Compléments transmis" if complement else "Demande transmise"
            event = self._event(actor, message, self._changes_detail(previous, doc, spec) if complement else "")
            event["version"] = len(doc["versions"])
            doc["history"] = [*(doc.get("history") or []), event]
            if complement:
                doc["complement"] = {**(doc.get("complement") or {}), "answered_at": now}

        # The demande's own partition: the transmission and its effects (index row, mails) commit together.
        with self.outbox.recording(demande_partition(demande["id"])) as rec:
            stored = self.repo.modify(demande["partition"], demande["id"], change)
            if stored is not None and outcome["first_time"]:
                rec.index(stored)
                for to, template, context in mails(stored) if mails else ():
                    rec.mail(to, template, **context)
        if stored is None:
            raise TransmissionRefused([FieldError("", "Cette demande n'existe plus.")])
        if not outcome["first_time"]:
            self.redrive(stored)
        return Transmission(demande=stored, first_time=outcome["first_time"])

    def _changes_detail(self, previous: Mapping[str, Any] | None, doc: Mapping[str, Any], spec: Spec) -> str:
        """The steps a re-transmission changed, named for the history."""
        from .versions import compare, history_detail

        if not previous:
            return ""
        before_spec = self.catalog.version(previous.get("version_key") or "") or spec
        return history_detail(compare(before_spec, previous.get("answers") or {}, spec, doc.get("answers") or {}))

    def redrive(self, demande: Mapping[str, Any]) -> None:
        """Deliver the effects still pending in the demande's partition."""
        self.outbox.redrive(demande_partition(demande["id"]))

    def move_to_tiers(self, demande: Mapping[str, Any], tiers_id: str) -> dict[str, Any]:
        """File a transmitted Tiers-creation demande under the Tiers it created."""
        target = tiers_partition(tiers_id)
        if demande["partition"] == target:
            return dict(demande)
        # The outbox of a demande is in its own partition: the move and its index effect commit together.
        with self.outbox.recording(demande_partition(demande["id"])) as rec:
            moved = self.repo.move(demande["partition"], demande["id"], target, {"tiers_id": tiers_id})
            if moved is not None:
                rec.index(moved)
        return moved or dict(demande)

    def reindex(self, demande: Mapping[str, Any], spec: Spec | None) -> None:
        """Refresh the staff listing row of a transmitted demande."""
        if self.index is None or not demande.get("transmitted_at"):
            return
        tiers = self.tiers_repo.get(demande["tiers_id"]) if self.tiers_repo and demande.get("tiers_id") else None
        self.index.upsert(index_summary(demande, spec, tiers_name(tiers or demande.get("answers")), tiers))

    def tiers_name(self, demande: Mapping[str, Any]) -> str:
        """The raison sociale of the demande's Tiers (for a Tiers-creation
        demande not yet filed under its Tiers: the name it gives)."""
        tiers = self.tiers_repo.get(demande["tiers_id"]) if self.tiers_repo and demande.get("tiers_id") else None
        return tiers_name(tiers or demande.get("answers"))

    def _event(self, actor: Actor, action: str, detail: str = "") -> dict[str, Any]:
        return history_entry(self.clock.now().isoformat(timespec="seconds"), actor, action, detail)


def asked_answers(spec: Spec, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to questions ``spec`` asks, with an option it still offers."""
    known = value_fields(spec)
    return {k: v for k, v in answers.items() if k in known and not lost_option(known[k], v)}


def migrate(doc: dict[str, Any], new: Spec, prefill: Mapping[str, Any] | None = None, old: Spec | None = None) -> None:
    """Carry a draft over to ``new``: answers of fields that still exist are
    kept; answers of removed fields, and choices whose option no longer exists,
    are set aside (not transmitted, not lost, shown as « Réponses qui ne sont
    plus demandées » with their label and text under ``old``, the version they
    were typed under); set aside answers whose field came back are restored."""
    known = value_fields(new)
    answers = {**(doc.get("set_aside") or {}), **(doc.get("answers") or {})}
    kept = asked_answers(new, answers)
    shown = dict(doc.get("set_aside_shown") or {})
    for field_id, value in answers.items():
        if field_id not in kept and field_id not in shown:
            shown[field_id] = _set_aside_entry(old, known.get(field_id), field_id, value)
    doc["answers"] = kept
    doc["set_aside"] = {k: v for k, v in answers.items() if k not in kept}
    doc["set_aside_shown"] = {k: v for k, v in shown.items() if k in doc["set_aside"]}
    doc["history"] = [
        *(doc.get("history") or []),
        history_entry(
            doc.get("updated_at") or "",
            PORTAL_ACTOR,
            "Formulaire mis à jour",
            f"{doc['version_key']} → {new.version_key}",
        ),
    ]
    doc["version_key"] = new.version_key
    doc["teleservice_title"] = new.title
    # A step asking a new question is "à compléter" again, not "en erreur":
    # the applicant did not leave it wrong, the form changed.
    fresh = page_states(new, doc["answers"], prefill=prefill)
    doc["visited"] = [p for p in doc.get("visited") or () if fresh.get(p) != STATE_TODO]
    refresh_progress(new, doc, prefill)


SET_ASIDE_INTRO = ("Le formulaire a changé depuis que vous avez saisi ces réponses : elles ne sont plus demandées "
                   "et ne seront pas transmises. Elles restent conservées avec votre brouillon.")
STAFF_SET_ASIDE_INTRO = ("Réponses saisies par le demandeur sous une version précédente du formulaire, qui ne sont plus "
                         "demandées : elles n'ont pas été transmises comme réponses.")
OPTION_GONE = "l'option choisie n'existe plus dans le formulaire : choisissez de nouveau"
QUESTION_GONE = "question retirée du formulaire"


def lost_option(f: Field, value: Any) -> bool:
    """True when a choice answer names an option the field no longer offers."""
    if f.type not in ("choice", "multiple_choice") or value in (None, "", []):
        return False
    offered = {c.value for c in f.choices}
    chosen = value if isinstance(value, list) else [value]
    return any(v not in offered for v in chosen)


def _set_aside_entry(old: Spec | None, now: Field | None, field_id: str, value: Any) -> dict[str, str]:
    """What the applicant and staff read of an answer set aside: the question and the answer as
    they were worded in the version it was typed under (never a raw option value)."""
    before = value_fields(old).get(field_id) if old is not None else None
    field = before or now
    label = field.label if field is not None else "Question retirée"
    text = format_value(before, value) if before is not None else _plain(value)
    return {"label": label, "text": text, "reason": OPTION_GONE if now is not None else QUESTION_GONE}


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, Mapping):
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    return str(value)


def set_aside_answers(demande: Mapping[str, Any]) -> list[dict[str, str]]:
    """The answers set aside when the form changed, as shown (label, text, reason); a question
    answered again since is not listed."""
    shown = demande.get("set_aside_shown") or {}
    answered = demande.get("answers") or {}
    return [shown.get(k) or {"label": "Question retirée", "text": _plain(v), "reason": QUESTION_GONE}
            for k, v in (demande.get("set_aside") or {}).items() if k not in answered]


def number_prefix(spec: Spec) -> str:
    return (spec.number_prefix or spec.id).upper()


def closed_message(spec: Spec) -> str:
    if spec.closes:
        return (
            f"Le téléservice {quote(spec.title)} est fermé depuis le {format_date(spec.closes)} : "
            "cette demande ne peut plus être transmise."
        )
    return f"Le téléservice {quote(spec.title)} n'est pas ouvert : cette demande ne peut pas être transmise."


def step_states(spec: Spec, demande: Mapping[str, Any], prefill: Mapping[str, Any] | None = None,
                previous: Mapping[str, Any] | None = None, saved_page: str | None = None) -> dict[str, str]:
    """State of each visible step (in order), from the stored answers, the
    prefill and the steps already saved (``visited``): "complète" when the
    step is valid; "en erreur" when an answer is invalid, or when the step
    was saved with answers missing; "à compléter" when never touched.

    The one source of the step list, the récapitulatif, the completion
    percentage and the next step.

    ``previous``: the same demande as stored before a save (its ``answers``,
    ``visited``, ``page_states`` and ``prefill_key``). A step other than
    ``saved_page`` keeps its stored state when the prefill is the same and no
    answer its validation reads changed (``unchanged_pages``): saving one step
    validates that step and the steps that depend on it, not every step.
    """
    states = page_states(spec, demande.get("answers") or {}, prefill=prefill,
                         known=_kept_states(spec, demande, prefill, previous, saved_page))
    visited = set(demande.get("visited") or ())
    return {
        page_id: STATE_ERROR if state == STATE_TODO and page_id in visited else state
        for page_id, state in states.items()
    }


def _kept_states(spec: Spec, demande: Mapping[str, Any], prefill: Mapping[str, Any] | None,
                 previous: Mapping[str, Any] | None, saved_page: str | None) -> dict[str, str]:
    """The stored step states still true after a save (see ``step_states``)."""
    stored = (previous or {}).get("page_states")
    if not stored or previous.get("prefill_key") != prefill_key(spec, prefill):
        return {}
    visited, was_visited = set(demande.get("visited") or ()), set(previous.get("visited") or ())
    unchanged = unchanged_pages(spec, previous.get("answers") or {}, demande.get("answers") or {})
    return {page_id: state for page_id, state in stored.items()
            if page_id in unchanged and page_id != saved_page and (page_id in visited) == (page_id in was_visited)}


def refresh_progress(spec: Spec, doc: dict[str, Any], prefill: Mapping[str, Any] | None = None,
                     previous: Mapping[str, Any] | None = None, saved_page: str | None = None) -> None:
    """Compute, at save time, what lists show of a demande being filled in:
    the step states, the completion percentage, the next step and the amount
    requested. Lists (tableau de bord, Mes sollicitations, Mes aides) read
    them from the demande's summary and never validate a page. ``previous`` and
    ``saved_page``: see ``step_states``."""
    states = step_states(spec, doc, prefill, previous, saved_page)
    doc["prefill_key"] = prefill_key(spec, prefill)
    page = next_step(spec, states)
    amount = requested_amount(spec, doc.get("answers") or {})
    doc["page_states"] = states
    doc["progress"] = completion(states)
    doc["next_page"] = {"id": page.id, "title": page.title} if page else None
    doc["montant_demande"] = str(amount) if amount is not None else None


def prefill_key(spec: Spec, prefill: Mapping[str, Any] | None) -> str:
    """A fingerprint of the pre-filled values the step states depend on: stored
    states stay valid while it does not change (the Tiers' data did not)."""
    values = {f.id: prefill_value(prefill, f.prefill) for f in spec.fields() if f.prefill}
    digest = hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode())
    return f"{spec.version_key}:{digest.hexdigest()[:16]}"


def completion(states: Mapping[str, str]) -> int:
    """Percentage of visible steps complete (``states`` from ``step_states``)."""
    if not states:
        return 0
    done = sum(1 for state in states.values() if state == STATE_DONE)
    return round(100 * done / len(states))


def next_step(spec: Spec, states: Mapping[str, str]):
    """The first visible page not complete, or None when all are."""
    page_id = next((p for p, state in states.items() if state != STATE_DONE), None)
    return spec.page(page_id) if page_id else None


def requested_amount(spec: Spec | None, answers: Mapping[str, Any]) -> Decimal | None:
    if spec is not None:
        for f in value_fields(spec).values():
            if f.options.get("requested_amount"):
                return to_decimal(answers.get(f.id))
    for field_id in REQUESTED_AMOUNT_IDS:
        if field_id in answers:
            return to_decimal(answers.get(field_id))
    return None


def index_summary(demande: Mapping[str, Any], spec: Spec | None, tiers_name: str = "",
                  tiers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The staff index row of a transmitted demande; ``tiers`` (its document) adds
    the commune and the legal representative, which the text search finds."""
    amount = requested_amount(spec, demande.get("answers") or {})
    tiers = tiers or {}
    address = tiers.get("adresse") if isinstance(tiers.get("adresse"), Mapping) else {}
    return {
        "commune": str(address.get("commune") or ""),
        "applicant": " ".join(str(tiers.get(k) or "") for k in ("representant_prenom", "representant_nom")).strip(),
        "id": demande["id"],
        "numero": demande.get("numero"),
        "teleservice": demande["teleservice"],
        "teleservice_title": demande.get("teleservice_title"),
        "tiers_id": demande.get("tiers_id"),
        "tiers_name": tiers_name,
        "partition": demande["partition"],
        "version_key": demande.get("version_key"),
        "status": demande["status"],
        "transmitted_at": demande.get("transmitted_at"),
        "updated_at": demande.get("updated_at"),
        "montant_demande": str(amount) if amount is not None else None,
        "created_by": demande.get("created_by"),
    }


# Plain-text rendering of answers, shared by the mail and the PDF.

def format_value(f: Field, value: Any) -> str:
    """The read-only text of one answer, from the field registry."""
    ftype = field_type(f.type)
    if ftype.is_empty(value):
        return "Non renseigné"
    return ftype.display(f, value)


def summary_lines(spec: Spec, answers: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """``(label, text, depth)`` lines of the visible pages: depth 0 is a page
    title (text empty), 1 an answer, 2 a table row."""

    values = {**answers, **compute(spec, answers)}
    lines: list[tuple[str, str, int]] = []
    for page in visible_pages(spec, answers):
        lines.append((page.title, "", 0))
        for f in page.fields:
            if field_type(f.type).static or (f.when and not evaluate(f.when, values)):
                continue
            lines.append((f.label, format_value(f, answers.get(f.id)), 1))
            if f.type == "table":
                lines.extend(_table_lines(f, answers.get(f.id)))
        for c in spec.computed:
            if c.page == page.id:
                lines.append((c.label, computed_text(c, values.get(c.id)), 1))
    return lines


def _table_lines(f: Field, rows: Iterable[Any] | None) -> list[tuple[str, str, int]]:
    lines = []
    for number, row in enumerate(rows or (), start=1):
        if not isinstance(row, Mapping):
            continue
        cells = [f"{c.label} : {format_value(c, row.get(c.id))}" for c in f.columns]
        lines.append((f"Ligne {number}", " ; ".join(cells), 2))
    return lines
