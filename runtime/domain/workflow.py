"""Statuses of a demande and the transitions staff may make (owner: staff domain).

Pure functions over the stored demande document; no Flask, no storage.
The demande document carries:

- ``status``: one of the ids below;
- ``history``: a list of ``{"at", "actor", "action", "detail"}`` (see ``history_entry``);
- ``decision``: ``{"amount": "1500.00"}`` when accepted, ``{"reason": ...}`` when refused;
- ``complement``: ``{"message", "pages": [page ids], "requested_at"}`` while a complement is asked.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..formatting import dotted_thousands, format_amount, french_number, parse_decimal, single_newlines
from ..spec.errors import Error
from ..vocabulary import Status

BROUILLON = Status.BROUILLON
TRANSMISE = Status.TRANSMISE
EN_INSTRUCTION = Status.EN_INSTRUCTION
COMPLEMENT_DEMANDE = Status.COMPLEMENT_DEMANDE
ACCEPTEE = Status.ACCEPTEE
REFUSEE = Status.REFUSEE
CLASSEE_SANS_SUITE = Status.CLASSEE_SANS_SUITE

STATUS_LABELS: dict[str, str] = {
    BROUILLON: "Brouillon",
    TRANSMISE: "Transmise",
    EN_INSTRUCTION: "En instruction",
    COMPLEMENT_DEMANDE: "Complément demandé",
    ACCEPTEE: "Acceptée",
    REFUSEE: "Refusée",
    CLASSEE_SANS_SUITE: "Classée sans suite",
}

# GOV.UK tag colour per status, for listings in both spaces.
STATUS_TAGS: dict[str, str] = {
    BROUILLON: "govuk-tag--grey",
    TRANSMISE: "govuk-tag--blue",
    EN_INSTRUCTION: "govuk-tag--purple",
    COMPLEMENT_DEMANDE: "govuk-tag--orange",
    ACCEPTEE: "govuk-tag--green",
    REFUSEE: "govuk-tag--red",
    CLASSEE_SANS_SUITE: "govuk-tag--grey",
}

# Staff transitions only: the applicant moves brouillon → transmise and
# complement_demande → transmise (re-transmission) on their side.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    BROUILLON: (),
    TRANSMISE: (EN_INSTRUCTION, COMPLEMENT_DEMANDE, ACCEPTEE, REFUSEE, CLASSEE_SANS_SUITE),
    EN_INSTRUCTION: (COMPLEMENT_DEMANDE, ACCEPTEE, REFUSEE, CLASSEE_SANS_SUITE),
    COMPLEMENT_DEMANDE: (EN_INSTRUCTION, CLASSEE_SANS_SUITE),
    ACCEPTEE: (),
    REFUSEE: (),
    CLASSEE_SANS_SUITE: (),
}

ACTION_LABELS: dict[str, str] = {
    EN_INSTRUCTION: "Prendre en instruction",
    COMPLEMENT_DEMANDE: "Demander un complément",
    ACCEPTEE: "Accepter",
    REFUSEE: "Refuser",
    CLASSEE_SANS_SUITE: "Classer sans suite",
}

FINAL_STATUSES = frozenset({ACCEPTEE, REFUSEE, CLASSEE_SANS_SUITE})
AMOUNT_MAX = Decimal(1000000000)


class TransitionError(ValueError):
    """A refused transition; ``errors``: one ``Error`` per form field (``amount``, ``reason``,
    ``message``, ``pages``, ``status``), code ``workflow``."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = [Error(path, message, code="workflow") for path, message in errors.items()]
        super().__init__("; ".join(e.message for e in self.errors))


@dataclass(frozen=True)
class Actor:
    """Who acts: ``kind`` is "staff" or "applicant"."""

    kind: str
    id: str
    name: str


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


def allowed_transitions(status: str | None) -> tuple[str, ...]:
    return TRANSITIONS.get(status or "", ())


def history_entry(at: str, actor: Actor, action: str, detail: str = "") -> dict[str, Any]:
    return {
        "at": at,
        "actor": {"kind": actor.kind, "id": actor.id, "name": actor.name},
        "action": action,
        "detail": detail,
    }


MESSAGE_MAX = 5000  # characters of a message, a motif, a complément request


def text_too_long(text: str, what: str) -> str | None:
    """The French error of a text beyond ``MESSAGE_MAX`` (``what``: « Le message »...)."""
    if len(text) <= MESSAGE_MAX:
        return None
    return f"{what} ne doit pas dépasser {french_number(MESSAGE_MAX)} caractères."


def parse_amount(raw: str | None) -> Decimal | None:
    """A French amount ("1 500,50", "1500.5 €") → Decimal with cents, or None."""
    if dotted_thousands(raw or ""):  # « 5.000 »: five or five thousand? neither is assumed
        return None
    value = parse_decimal((raw or "").replace("€", ""))
    if value is None or value.as_tuple().exponent < -2:
        return None
    if value.adjusted() >= 15:  # far beyond AMOUNT_MAX; quantizing it would raise InvalidOperation
        return value
    return value.quantize(Decimal("0.01"))


def _check_details(target: str, details: Mapping[str, Any], page_ids: set[str]) -> dict[str, Any]:
    """Validate what a transition needs; return the cleaned details."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    if target == ACCEPTEE:
        raw = str(details.get("amount") or "").strip()
        amount = parse_amount(raw)
        if not raw:
            errors["amount"] = "Saisissez le montant accordé."
        elif amount is None:
            errors["amount"] = "Le montant accordé doit être un nombre en euros, par exemple 1500 ou 1500,50."
        elif amount <= 0:
            errors["amount"] = "Le montant accordé doit être supérieur à 0 €."
        elif amount >= AMOUNT_MAX:
            errors["amount"] = f"Le montant accordé doit être inférieur à {format_amount(AMOUNT_MAX)}."
        else:
            cleaned["amount"] = str(amount)
    elif target in (REFUSEE, CLASSEE_SANS_SUITE):
        reason = single_newlines(str(details.get("reason") or "")).strip()
        if target == REFUSEE and not reason:
            errors["reason"] = "Saisissez le motif du refus."
        elif too_long := text_too_long(reason, "Le motif"):
            errors["reason"] = too_long
        cleaned["reason"] = reason
    elif target == COMPLEMENT_DEMANDE:
        message = single_newlines(str(details.get("message") or "")).strip()
        pages = [p for p in details.get("pages") or [] if p]
        if not message:
            errors["message"] = "Décrivez ce qui manque dans la demande."
        elif too_long := text_too_long(message, "Le message"):
            errors["message"] = too_long
        unknown = [p for p in pages if p not in page_ids]
        if unknown:
            errors["pages"] = "Choisissez des étapes de la demande dans la liste."
        cleaned.update(message=message, pages=pages)
    if errors:
        raise TransitionError(errors)
    return cleaned


def transition_changes(
    demande: Mapping[str, Any],
    target: str,
    actor: Actor,
    at: str,
    details: Mapping[str, Any] | None = None,
    page_ids: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The changes to write on a demande moved to ``target`` by staff.

    Raises ``TransitionError`` when the move is not allowed from the current
    status or a detail is missing (amount, reason, message).
    """
    current = demande.get("status")
    if target not in allowed_transitions(current):
        raise TransitionError(
            {"status": f"Une demande « {status_label(current)} » ne peut pas passer à « {status_label(target)} »."}
        )
    cleaned = _check_details(target, details or {}, set(page_ids))
    changes: dict[str, Any] = {"status": target, "status_at": at}
    detail = ""
    if target == ACCEPTEE:
        changes["decision"] = {"amount": cleaned["amount"], "at": at}
        detail = f"Montant accordé : {format_amount(cleaned['amount'])}"
    elif target in (REFUSEE, CLASSEE_SANS_SUITE):
        changes["decision"] = {"reason": cleaned["reason"], "at": at}
        detail = cleaned["reason"] and f"Motif : {cleaned['reason']}"
    elif target == COMPLEMENT_DEMANDE:
        changes["complement"] = {"message": cleaned["message"], "pages": cleaned["pages"], "requested_at": at}
        detail = cleaned["message"]
    if current == COMPLEMENT_DEMANDE and target != COMPLEMENT_DEMANDE:
        changes["complement"] = None
    entry = history_entry(at, actor, f"Statut : {status_label(target)}", detail)
    changes["history"] = [*demande.get("history", []), entry]
    return changes
