"""Applicant accounts: one partition per account, ``accounts/<account_id>``
(table ``accounts``, one document), so loading the logged-in user is one
small read whatever the number of accounts.

Document: ``id, civilite ("madame"|"monsieur"), nom, prenom, identifiant,
email, email_key, identifiant_key, password_hash, professionnel, active,
auth_epoch, created_at, activated_at``. ``auth_epoch`` grows at each logout
and password change: sessions and remember cookies carry it, so older ones
stop working.

Unique keys live in 4,096 small hash buckets ``account_keys/<xxx>`` (tables
``identifiant`` and ``email``: ``{"id": key, "account_id"}``). A write that
claims or frees keys locks their buckets in sorted name order, then the
account partition: one order everywhere, so two workers never deadlock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from ..base import Partition, new_id
from ..documents import Account
from ._base import BaseRepository

PREFIX = "accounts/"
KEYS_PREFIX = "account_keys/"
TABLE = "accounts"
SAFE_ID = re.compile(r"[0-9a-z_-]{1,64}")


def account_partition(account_id: str) -> str:
    return PREFIX + account_id


def key_bucket(key: str) -> str:
    return KEYS_PREFIX + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:3]


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
        doc["id"] = str(doc.get("id") or new_id())
        wanted = {"identifiant": doc["identifiant_key"], "email": doc["email_key"]}
        with self._locked_keys(wanted.values()) as buckets:
            for field, key in wanted.items():  # identifiant first: the form reports it first
                if buckets[key].table(field).get(key):
                    raise DuplicateAccount(field)
            for field, key in wanted.items():
                buckets[key].table(field).insert({"id": key, "account_id": doc["id"]})
            with self.store.transaction(account_partition(doc["id"])) as part:
                part.table(TABLE).insert(doc)
        return doc

    def get(self, account_id: str) -> Account | None:
        if not isinstance(account_id, str) or not SAFE_ID.fullmatch(account_id):
            return None
        return self.store.read(account_partition(account_id)).table(TABLE).get(account_id)

    def count(self) -> int:
        return sum(1 for _ in self.store.partitions(PREFIX))

    def by_identifiant(self, identifiant: str) -> Account | None:
        return self._by_key("identifiant", identifiant_key(identifiant))

    def by_email(self, email: str) -> Account | None:
        return self._by_key("email", email_key(email))

    def by_login(self, login: str) -> Account | None:
        """The account whose identifiant or e-mail address is ``login``."""
        return self.by_email(login) if "@" in login else self.by_identifiant(login)

    def update(self, account_id: str, changes: Mapping[str, Any]) -> Account:
        changes = {k: v for k, v in changes.items() if k not in ("id", "email", "email_key", "identifiant",
                                                                 "identifiant_key")}
        with self.store.transaction(account_partition(account_id)) as part:
            return part.table(TABLE).update(account_id, changes)

    def activate(self, account_id: str) -> Account:
        with self.store.transaction(account_partition(account_id)) as part:
            table = part.table(TABLE)
            doc = table.get(account_id)
            if doc["active"]:
                return doc
            return table.update(account_id, {"active": True, "activated_at": self.now_iso()})

    def end_sessions(self, account_id: str) -> Account:
        """Invalidate every session and remember cookie of the account."""
        with self.store.transaction(account_partition(account_id)) as part:
            table = part.table(TABLE)
            doc = table.get(account_id)
            return table.update(account_id, {"auth_epoch": doc.get("auth_epoch", 0) + 1})

    def set_password(self, account_id: str, password_hash: str, *, end_sessions: bool = True) -> Account:
        with self.store.transaction(account_partition(account_id)) as part:
            table = part.table(TABLE)
            doc = table.get(account_id)
            changes: dict[str, Any] = {"password_hash": password_hash}
            if end_sessions:
                changes["auth_epoch"] = doc.get("auth_epoch", 0) + 1
            return table.update(account_id, changes)

    def change_email(self, account_id: str, new_email: str) -> Account:
        key = email_key(new_email)
        old_key = self.get(account_id)["email_key"]
        with self._locked_keys({key, old_key}) as buckets:
            claimed = buckets[key].table("email").get(key)
            if claimed and claimed["account_id"] != account_id:
                raise DuplicateAccount("email")
            with self.store.transaction(account_partition(account_id)) as part:
                table = part.table(TABLE)
                if table.get(account_id)["email_key"] != old_key:  # changed meanwhile: start again
                    return self.change_email(account_id, new_email)
                if old_key != key:
                    buckets[old_key].table("email").remove(old_key)
                if not claimed:
                    buckets[key].table("email").insert({"id": key, "account_id": account_id})
                return table.update(account_id, {"email": normalise_email(new_email), "email_key": key})

    # Unique keys

    def _by_key(self, field: str, key: str) -> Account | None:
        entry = self.store.read(key_bucket(key)).table(field).get(key)
        return self.get(entry["account_id"]) if entry else None

    @contextmanager
    def _locked_keys(self, keys: Iterable[str]) -> Iterator[dict[str, Partition]]:
        """The bucket of each key, locked in sorted partition order (never a deadlock)."""
        by_bucket: dict[str, list[str]] = {}
        for key in keys:
            by_bucket.setdefault(key_bucket(key), []).append(key)
        with ExitStack() as stack:
            found: dict[str, Partition] = {}
            for bucket in sorted(by_bucket):
                part = stack.enter_context(self.store.transaction(bucket))
                for key in by_bucket[bucket]:
                    found[key] = part
            yield found
