"""Domain logic of the Tiers: creation from a demande, attachment decisions and their mails.

Views and the demandes wizard call these functions; they reach storage and
mail only through ``services()``.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import has_request_context, url_for
from markupsafe import Markup

from ..formatting import display_name
from ..mail import MailError
from ..services import services
from ..storage.repositories.tiers import (
    ADMIN,
    InvalidSiret,
    SiretTaken,
    TiersError,
    normalise_siret,
)
from . import effects

log = logging.getLogger("portail.tiers")


def create_from_demande(account: Mapping[str, Any], answers: Mapping[str, Any]) -> dict:
    """Create the Tiers described by a transmitted Tiers-creation demande.

    ``account`` is the account document (its ``id`` becomes the administrator),
    ``answers`` the demande's answers keyed by the field ids of
    ``specs/tiers/creation-tiers.yaml`` (``siret`` required). The new Tiers
    becomes the session's current Tiers when called during a request.

    Raises ``SiretTaken`` (``.tiers_id``, ``.siret``, ``.html``: French message
    with a link to the attachment form pre-filled with the SIRET) or
    ``InvalidSiret``.
    """
    try:
        tiers = services().repos.tiers.create_tiers(dict(answers), account["id"])
    except SiretTaken as error:
        error.html = siret_taken_html(error)
        raise
    log.info("Tiers %s créé par le compte %s", tiers["id"], account["id"])
    if has_request_context():
        from ..web.context import choose_tiers

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


def request_rattachement(account: Mapping[str, Any], tiers: Mapping[str, Any], answers: Mapping[str, Any],
                         piece: Mapping[str, Any] | None) -> tuple[dict, bool]:
    """File the account's attachment request and notify the Tiers' administrators (on creation only)."""
    repo = services().repos.tiers
    with effects.recording(f"tiers/{tiers['id']}") as rec:  # the request and its mails, stored together
        request, created = repo.request_rattachement(
            tiers["id"], account["id"], str(answers.get("famille") or ""), tiers["siret"], piece
        )
        if created:
            for admin in _administrators(tiers["id"]):
                rec.mail(admin.get("email"), "tiers/rattachement_demande", tiers=tiers, requester=account,
                         requester_name=display_name(account), administrator_name=display_name(admin),
                         request=request, members_path=f"/tiers/{tiers['id']}/comptes")
    return request, created


def decide_rattachement(tiers: Mapping[str, Any], request_id: str, accept: bool, reason: str,
                        by: str) -> dict:
    """Record the administrator's decision and tell the requester by mail."""
    # The decision and its mail are stored together (runtime.domain.effects).
    with effects.recording(f"tiers/{tiers['id']}") as rec:
        request = services().repos.tiers.decide_rattachement(tiers["id"], request_id, accept, reason, by)
        requester = services().repos.accounts.get(request["account_id"]) or {}
        template = "tiers/rattachement_accepte" if accept else "tiers/rattachement_refuse"
        rec.mail(requester.get("email"), template, tiers=tiers, requester_name=display_name(requester),
                 raison_sociale=str(tiers.get("raison_sociale") or "").upper(), reason=request["reason"])
    return request


def _administrators(tiers_id: str) -> list[dict]:
    accounts = services().repos.accounts
    admins = [m for m in services().repos.tiers.members(tiers_id) if m["role"] == ADMIN]
    return [a for a in (accounts.get(m["account_id"]) for m in admins) if a]


def _send(to: str | None, template: str, **context: Any) -> None:
    # A decision is recorded even if the mail server is down: the mail stays in the outbox.
    if not to:
        log.warning("Mail %s non envoyé : adresse inconnue", template)
        return
    try:
        services().mailer.send(to, template, **context)
    except MailError:
        log.warning("Mail %s non transmis au serveur SMTP (copie dans l'outbox)", template)


__all__ = [
    "InvalidSiret", "SiretTaken", "TiersError", "create_from_demande", "decide_rattachement",
    "display_name", "normalise_siret", "request_rattachement", "siret_taken_html", "unknown_siret_html",
]


DEMO_TIERS = {
    "famille": "association",
    "siret": "40483304800022",
    "raison_sociale": "Association Les Amis du Patrimoine",
    "sigle": "AAP",
    "rna": "W133001234",
    "adresse": {"street": "12 rue de la République", "postcode": "13002", "commune": "Marseille"},
    "representant_civilite": "madame",
    "representant_nom": "Martin",
    "representant_prenom": "Camille",
    "representant_fonction": "Présidente",
    "representant_email": "camille.martin@exemple.fr",
    "representant_telephone": "04 91 00 00 00",
    "email": "contact@amis-patrimoine.exemple.fr",
    "telephone": "04 91 00 00 01",
}


def seed_demo_tiers(app, context: dict[str, Any]) -> list[str]:
    """Demo seeder: the demo account administers "Association Les Amis du Patrimoine"."""
    account = context.get("account")
    if not account:
        return []
    try:
        tiers = services().repos.tiers.create_tiers(DEMO_TIERS, account["id"])
    except SiretTaken:
        return []
    context["tiers"] = tiers
    return [(f"Tiers de démonstration : {tiers['raison_sociale']} (SIRET {tiers['siret']}), "
             "administré par le compte de démonstration")]
