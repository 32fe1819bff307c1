"""Applicant accounts: partition ``accounts``, table ``accounts``.

Document: ``id, civilite ("madame"|"monsieur"), nom, prenom, identifiant,
email, email_key, identifiant_key, password_hash, professionnel, active,
auth_epoch, created_at, activated_at``. ``auth_epoch`` grows at each logout
and password change: sessions and remember cookies carry it, so older ones
stop working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..documents import Account
from ._base import BaseRepository

PARTITION = "accounts"
TABLE = "accounts"


class DuplicateAccount(Exception):
    """The identifiant or the e-mail address is already taken."""

    def __init__(self, field: str):
        self.field = field  # "identifiant" or "email"
        super().__init__(field)


def normalise_email(email: str) -> str:
    """Trimmed, domain lower-cased (the local part is kept as typed)."""
    local, at, domain = email.strip().rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else email.strip()


def email_key(email: str) -> str:
    return normalise_email(email).casefold()


def identifiant_key(identifiant: str) -> str:
    return identifiant.strip().casefold()


class AccountRepository(BaseRepository):
    def create(self, data: Mapping[str, Any]) -> Account:
        """Insert a new, not yet activated account; raise ``DuplicateAccount``."""
        doc = {
            "professionnel": False,
            **data,
            "identifiant": data["identifiant"].strip(),
            "email": normalise_email(data["email"]),
            "identifiant_key": identifiant_key(data["identifiant"]),
            "email_key": email_key(data["email"]),
            "active": False,
            "auth_epoch": 0,
            "created_at": self.now_iso(),
            "activated_at": None,
        }
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            if table.find_one(identifiant_key=doc["identifiant_key"]):
                raise DuplicateAccount("identifiant")
            if table.find_one(email_key=doc["email_key"]):
                raise DuplicateAccount("email")
            doc_id = table.insert(doc)
            return table.get(doc_id)

    def get(self, account_id: str) -> Account | None:
        return self.store.read(PARTITION).table(TABLE).get(account_id)

    def count(self) -> int:
        return len(self.store.read(PARTITION).table(TABLE).all())

    def by_identifiant(self, identifiant: str) -> Account | None:
        return self.store.read(PARTITION).table(TABLE).find_one(identifiant_key=identifiant_key(identifiant))

    def by_email(self, email: str) -> Account | None:
        return self.store.read(PARTITION).table(TABLE).find_one(email_key=email_key(email))

    def by_login(self, login: str) -> Account | None:
        """The account whose identifiant or e-mail address is ``login``."""
        return self.by_email(login) if "@" in login else self.by_identifiant(login)

    def update(self, account_id: str, changes: Mapping[str, Any]) -> Account:
        with self.store.transaction(PARTITION) as part:
            return part.table(TABLE).update(account_id, dict(changes))

    def activate(self, account_id: str) -> Account:
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            doc = table.get(account_id)
            if doc["active"]:
                return doc
            return table.update(account_id, {"active": True, "activated_at": self.now_iso()})

    def end_sessions(self, account_id: str) -> Account:
        """Invalidate every session and remember cookie of the account."""
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            doc = table.get(account_id)
            return table.update(account_id, {"auth_epoch": doc.get("auth_epoch", 0) + 1})

    def set_password(self, account_id: str, password_hash: str, *, end_sessions: bool = True) -> Account:
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            doc = table.get(account_id)
            changes: dict[str, Any] = {"password_hash": password_hash}
            if end_sessions:
                changes["auth_epoch"] = doc.get("auth_epoch", 0) + 1
            return table.update(account_id, changes)

    def change_email(self, account_id: str, new_email: str) -> Account:
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            key = email_key(new_email)
            other = table.find_one(email_key=key)
            if other and other["id"] != account_id:
                raise DuplicateAccount("email")
            return table.update(account_id, {"email": normalise_email(new_email), "email_key": key})
