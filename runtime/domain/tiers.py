"""Domain logic of the Tiers: creation from a demande, attachment decisions and their mails.

``TiersService(repos, outbox)`` is built once in ``Services`` (``services().tiers_service``);
the web layer turns its results and errors into pages (the HTML explaining a taken
SIRET, the session's current Tiers: ``runtime/web/context.py``).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..formatting import display_name
from ..storage.repositories.tiers import (
    ADMIN,
    InvalidSiret,
    SiretTaken,
    TiersError,
    normalise_siret,
)
from .effects import Outbox

log = logging.getLogger("portail.tiers")

class TiersService:
    """Tiers operations over the repositories (``repos.tiers``, ``repos.accounts``); mails go
    through the outbox, with the write that causes them."""

    def __init__(self, repos: Any, outbox: Outbox):
        self.repos, self.outbox = repos, outbox

    def create_from_demande(self, account: Mapping[str, Any], answers: Mapping[str, Any]) -> dict:
        """Create the Tiers described by a transmitted Tiers-creation demande.

        ``account`` is the account document (its ``id`` becomes the administrator),
        ``answers`` the demande's answers keyed by the field ids of
        ``specs/tiers/creation-tiers.yaml`` (``siret`` required).
        Raises ``SiretTaken`` (``.tiers_id``, ``.siret``) or ``InvalidSiret``.
        """
        tiers = self.repos.tiers.create_tiers(dict(answers), account["id"])
        log.info("Tiers %s créé par le compte %s", tiers["id"], account["id"])
        return tiers

    def request_rattachement(self, account: Mapping[str, Any], tiers: Mapping[str, Any],
                             answers: Mapping[str, Any], piece: Mapping[str, Any] | None) -> tuple[dict, bool]:
        """File the account's attachment request and notify the Tiers' administrators (on creation only)."""
        with self.outbox.recording(f"tiers/{tiers['id']}") as rec:  # the request and its mails, stored together
            request, created = self.repos.tiers.request_rattachement(
                tiers["id"], account["id"], str(answers.get("famille") or ""), tiers["siret"], piece
            )
            if created:
                for admin in self._administrators(tiers["id"]):
                    rec.mail(admin.get("email"), "tiers/rattachement_demande", tiers=tiers, requester=account,
                             requester_name=display_name(account), administrator_name=display_name(admin),
                             request=request, members_path=f"/tiers/{tiers['id']}/comptes")
        return request, created

    def pending_rattachements(self, account_id: str) -> list[dict]:
        """The account's attachment requests still waiting for a decision, each with its ``tiers``
        (None if the structure has gone since)."""
        repo = self.repos.tiers
        return [{**r, "tiers": repo.find_by_siret(r["siret"])} for r in repo.pending_of_account(account_id)]

    def decide_rattachement(self, tiers: Mapping[str, Any], request_id: str, accept: bool, reason: str,
                            by: str) -> dict:
        """Record the administrator's decision and tell the requester by mail."""
        # The decision and its mail are stored together (the outbox, runtime.domain.effects).
        with self.outbox.recording(f"tiers/{tiers['id']}") as rec:
            request = self.repos.tiers.decide_rattachement(tiers["id"], request_id, accept, reason, by)
            requester = self.repos.accounts.get(request["account_id"]) or {}
            template = "tiers/rattachement_accepte" if accept else "tiers/rattachement_refuse"
            rec.mail(requester.get("email"), template, tiers=tiers, requester_name=display_name(requester),
                     raison_sociale=str(tiers.get("raison_sociale") or "").upper(), reason=request["reason"])
        return request

    def _administrators(self, tiers_id: str) -> list[dict]:
        admins = [m for m in self.repos.tiers.members(tiers_id) if m["role"] == ADMIN]
        return [a for a in (self.repos.accounts.get(m["account_id"]) for m in admins) if a]


# The Tiers of the demo data (runtime/demo.py) and the staff preview's sample (runtime/domain/preview.py).
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


__all__ = ["InvalidSiret", "SiretTaken", "TiersError", "TiersService", "display_name", "normalise_siret"]
