"""Staff accounts (agents of the Métropole), partition ``staff`` table ``accounts``;
private notes on a demande, partition ``notes/<demande_id>`` table ``staff_notes``
(never read by an applicant page, and not in the Tiers partition, which stays small).

A staff document: ``{"id", "identifiant", "email", "nom", "role"
("instructeur"|"administrateur"), "teleservices": [spec ids], "password_hash",
"active", "auth_epoch", "created_at"}``. Identifiants are unique (kept lower-case).

Every change made to an account by an administrateur (or the command line) is
written, in the same transaction, to the table ``audit`` of the partition
``staff``: ``{"id", "at", "staff_id", "identifiant", "actor": {"kind", "id",
"name"}, "action", "detail"}``. A change that would leave no active
administrateur is refused (``LastAdministrateur``), under the partition lock.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...vocabulary import StaffRole
from ..base import Document, new_id
from ..documents import StaffAccount
from ._base import BaseRepository

PARTITION = "staff"
TABLE = "accounts"
ROLES = tuple(StaffRole)
NOTES = "staff_notes"
AUDIT = "audit"
ADMIN = StaffRole.ADMINISTRATEUR


class DuplicateIdentifiant(ValueError):
    pass


class LastAdministrateur(ValueError):
    def __init__(self) -> None:
        super().__init__("Il doit rester au moins un administrateur actif : "
                         "ce compte est le dernier, il ne peut ni changer de rôle ni être désactivé.")


class StaffRepository(BaseRepository):
    def create(self, doc: Mapping[str, Any], actor: Mapping[str, str] | None = None) -> StaffAccount:
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
            if actor is not None:
                self._write_audit(part, document, actor, "Compte créé", assignment_text(document))
        return document

    def get(self, staff_id: str) -> StaffAccount | None:
        return self.store.read(PARTITION).table(TABLE).get(staff_id)

    def find_by_identifiant(self, identifiant: str) -> StaffAccount | None:
        key = (identifiant or "").strip().lower()
        return self.store.read(PARTITION).table(TABLE).find_one(identifiant=key)

    def list(self) -> list[StaffAccount]:
        return sorted(self.store.read(PARTITION).table(TABLE).all(), key=lambda d: d["identifiant"])

    def count(self) -> int:
        return len(self.store.read(PARTITION).table(TABLE).all())

    def update(self, staff_id: str, changes: Mapping[str, Any]) -> StaffAccount:
        with self.store.transaction(PARTITION) as part:
            return part.table(TABLE).update(staff_id, dict(changes))

    def change(self, staff_id: str, changes: Mapping[str, Any], actor: Mapping[str, str], action: str,
               detail: str = "", end_sessions: bool = False) -> Document | None:
        """Apply an administrative change and write it to the audit trail, atomically.

        ``end_sessions`` bumps ``auth_epoch``: every open session of the account ends.
        Raises ``LastAdministrateur`` when no active administrateur would remain.
        """
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            doc = table.get(staff_id)
            if doc is None:
                return None
            updated = {**doc, **changes}
            if end_sessions:
                updated["auth_epoch"] = int(doc.get("auth_epoch", 0)) + 1
            others = (d for d in table.all() if d["id"] != staff_id and _active_admin(d))
            if _active_admin(doc) and not _active_admin(updated) and next(others, None) is None:
                raise LastAdministrateur()
            table.replace(staff_id, updated)
            self._write_audit(part, updated, actor, action, detail)
        return updated

    def audit(self, staff_id: str | None = None) -> list[Document]:
        """Audit trail of staff accounts (of one account when given), newest first."""
        table = self.store.read(PARTITION).table(AUDIT)
        entries = table.find(staff_id=staff_id) if staff_id else table.all()
        return sorted(entries, key=lambda e: e["seq"], reverse=True)

    def _write_audit(self, part, doc: Mapping[str, Any], actor: Mapping[str, str], action: str,
                     detail: str) -> None:
        audit = part.table(AUDIT)
        audit.insert({
            "id": new_id(),
            "seq": len(audit.all()) + 1,  # orders entries written within the same second
            "at": self.now_iso(),
            "staff_id": doc["id"],
            "identifiant": doc["identifiant"],
            "actor": dict(actor),
            "action": action,
            "detail": detail,
        })

    # Private notes on a demande: a partition of their own, which no applicant page reads.

    def add_note(self, tiers_id: str, demande_id: str, author: Mapping[str, str], body: str) -> Document:
        note = {"id": new_id(), "demande_id": demande_id, "tiers_id": tiers_id, "author": dict(author),
                "body": body, "at": self.now_iso()}
        with self.store.transaction(f"notes/{demande_id}") as part:
            part.table(NOTES).insert(note)
        return note

    def notes(self, tiers_id: str, demande_id: str) -> list[Document]:
        notes = self.store.read(f"notes/{demande_id}").table(NOTES).find(demande_id=demande_id)
        return sorted(notes, key=lambda n: n["at"])

    def readers_of(self, teleservice: str) -> list[Document]:
        """Active staff who instruct a téléservice (administrateurs see all of them)."""
        return [
            doc
            for doc in self.list()
            if doc.get("active", True) and can_see(doc, teleservice)
        ]


def _active_admin(doc: Mapping[str, Any]) -> bool:
    return doc.get("role") == ADMIN and bool(doc.get("active", True))


def assignment_text(doc: Mapping[str, Any]) -> str:
    """"Rôle : instructeur ; téléservices : a, b" (audit detail)."""
    teleservices = ", ".join(doc.get("teleservices") or []) or "aucun"
    return f"Rôle : {doc.get('role')} ; téléservices : {teleservices}"


def can_see(staff: Mapping[str, Any], teleservice: str) -> bool:
    return staff.get("role") == ADMIN or teleservice in (staff.get("teleservices") or [])


def visible_teleservices(staff: Mapping[str, Any]) -> list[str] | None:
    """Téléservices a staff member may see; None means all of them."""
    if staff.get("role") == ADMIN:
        return None
    return list(staff.get("teleservices") or [])
