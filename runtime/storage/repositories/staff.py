"""Staff accounts (agents of the Métropole), partition ``staff`` table ``accounts``;
private notes on demandes, partition ``tiers/<tiers_id>`` table ``staff_notes``.

A staff document: ``{"id", "identifiant", "email", "nom", "role"
("instructeur"|"administrateur"), "teleservices": [spec ids], "password_hash",
"active", "created_at"}``. Identifiants are unique (kept lower-case).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import Document, new_id
from ._base import BaseRepository

PARTITION = "staff"
TABLE = "accounts"
ROLES = ("instructeur", "administrateur")
NOTES = "staff_notes"


class DuplicateIdentifiant(ValueError):
    pass


class StaffRepository(BaseRepository):
    def create(self, doc: Mapping[str, Any]) -> Document:
        if doc.get("role") not in ROLES:
            raise ValueError(f"rôle inconnu : {doc.get('role')!r}")
        identifiant = str(doc["identifiant"]).strip().lower()
        document = {
            "id": new_id(),
            "nom": "",
            "teleservices": [],
            "active": True,
            "created_at": self.now_iso(),
            **doc,
            "identifiant": identifiant,
        }
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            if table.find_one(identifiant=identifiant):
                raise DuplicateIdentifiant(identifiant)
            table.insert(document)
        return document

    def get(self, staff_id: str) -> Document | None:
        return self.store.read(PARTITION).table(TABLE).get(staff_id)

    def find_by_identifiant(self, identifiant: str) -> Document | None:
        key = (identifiant or "").strip().lower()
        return self.store.read(PARTITION).table(TABLE).find_one(identifiant=key)

    def list(self) -> list[Document]:
        return sorted(self.store.read(PARTITION).table(TABLE).all(), key=lambda d: d["identifiant"])

    def count(self) -> int:
        return len(self.store.read(PARTITION).table(TABLE).all())

    def update(self, staff_id: str, changes: Mapping[str, Any]) -> Document:
        with self.store.transaction(PARTITION) as part:
            return part.table(TABLE).update(staff_id, dict(changes))

    # Private notes on a demande: kept in its Tiers partition, in a table no
    # applicant page ever reads.

    def add_note(self, tiers_id: str, demande_id: str, author: Mapping[str, str], body: str) -> Document:
        note = {"id": new_id(), "demande_id": demande_id, "author": dict(author), "body": body,
                "at": self.now_iso()}
        with self.store.transaction(f"tiers/{tiers_id}") as part:
            part.table(NOTES).insert(note)
        return note

    def notes(self, tiers_id: str, demande_id: str) -> list[Document]:
        notes = self.store.read(f"tiers/{tiers_id}").table(NOTES).find(demande_id=demande_id)
        return sorted(notes, key=lambda n: n["at"])

    def readers_of(self, teleservice: str) -> list[Document]:
        """Active staff who instruct a téléservice (administrateurs see all of them)."""
        return [
            doc
            for doc in self.list()
            if doc.get("active", True) and can_see(doc, teleservice)
        ]


def can_see(staff: Mapping[str, Any], teleservice: str) -> bool:
    return staff.get("role") == "administrateur" or teleservice in (staff.get("teleservices") or [])


def visible_teleservices(staff: Mapping[str, Any]) -> list[str] | None:
    """Téléservices a staff member may see; None means all of them."""
    if staff.get("role") == "administrateur":
        return None
    return list(staff.get("teleservices") or [])
