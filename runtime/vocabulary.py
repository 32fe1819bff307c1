"""Names for things: the values stored in documents and compared in code and templates.

A leaf module (imports nothing of the portal), so every layer can use it: storage
writes these values, the domain decides on them, templates compare with them
(they are template globals: ``Status.BROUILLON``, ``PageState.DONE``...). Each is a
``StrEnum``: a member *is* its stored string (``Status.TRANSMISE == "transmise"``,
JSON writes ``"transmise"``), so documents stored before keep working.
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Status of a demande (``demande["status"]``); labels and transitions in ``runtime/domain/workflow.py``."""

    BROUILLON = "brouillon"
    TRANSMISE = "transmise"
    EN_INSTRUCTION = "en_instruction"
    COMPLEMENT_DEMANDE = "complement_demande"
    ACCEPTEE = "acceptee"
    REFUSEE = "refusee"
    CLASSEE_SANS_SUITE = "classee_sans_suite"


#: statuses in which the applicant may edit the demande
EDITABLE_STATUSES = (Status.BROUILLON, Status.COMPLEMENT_DEMANDE)


class StaffRole(StrEnum):
    """Role of a staff account (``staff["role"]``)."""

    INSTRUCTEUR = "instructeur"
    ADMINISTRATEUR = "administrateur"

    @property
    def label(self) -> str:
        return {"instructeur": "Instructeur", "administrateur": "Administrateur"}[self.value]


class TiersRole(StrEnum):
    """Role of an applicant account in a Tiers (``members[...]["role"]``)."""

    ADMIN = "admin"
    MEMBRE = "membre"


class RattachementStatus(StrEnum):
    """State of a request to join a Tiers."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class PageState(StrEnum):
    """State of a step of a demande (``demande["page_states"]``); ``label`` is the French display text."""

    TODO = "a_completer"
    DONE = "complete"
    ERROR = "en_erreur"

    @property
    def label(self) -> str:
        return {"a_completer": "à compléter", "complete": "complète", "en_erreur": "en erreur"}[self.value]
