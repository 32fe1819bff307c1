"""Single-use tokens sent by mail: partition ``tokens``.

Table ``tokens``: ``id, hash (sha256 of the token), kind, account_id,
expires_at, data, created_at``; the raw token is never stored.
Table ``used``: single-use markers (e.g. anti-robot challenges) until expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ._base import BaseRepository

PARTITION = "tokens"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenRepository(BaseRepository):
    def issue(self, kind: str, account_id: str, ttl: timedelta, data: Mapping[str, Any] | None = None) -> str:
        """A new token (256 random bits); older tokens of the same kind for the account become void."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.store.transaction(PARTITION) as part:
            table = part.table("tokens")
            for doc in table.all():
                if (doc["kind"] == kind and doc["account_id"] == account_id) or self._expired(doc, now):
                    table.remove(doc["id"])
            table.insert(
                {
                    "hash": token_hash(token),
                    "kind": kind,
                    "account_id": account_id,
                    "data": dict(data or {}),
                    "expires_at": (now + ttl).isoformat(),
                    "created_at": now.isoformat(timespec="seconds"),
                }
            )
        return token

    def peek(self, kind: str, token: str) -> dict | None:
        """The valid token document, left in place."""
        doc = self.store.read(PARTITION).table("tokens").find_one(hash=token_hash(token), kind=kind)
        return doc if doc and not self._expired(doc, self.clock.now()) else None

    def consume(self, kind: str, token: str, account_id: str | None = None) -> dict | None:
        """The valid token document, removed so it cannot serve twice.

        With ``account_id``, a token of another account is refused (and kept).
        """
        with self.store.transaction(PARTITION) as part:
            table = part.table("tokens")
            doc = table.find_one(hash=token_hash(token), kind=kind)
            if doc is None or self._expired(doc, self.clock.now()):
                return None
            if account_id is not None and doc["account_id"] != account_id:
                return None
            table.remove(doc["id"])
            return doc

    def revoke(self, account_id: str, kinds: Iterable[str]) -> None:
        kinds = set(kinds)
        with self.store.transaction(PARTITION) as part:
            table = part.table("tokens")
            for doc in table.find(account_id=account_id):
                if doc["kind"] in kinds:
                    table.remove(doc["id"])

    def mark_used(self, key: str, expires_at: datetime) -> bool:
        """Record ``key`` as used until ``expires_at``; False if it already was."""
        now = self.clock.now()
        key_hash = token_hash(key)
        with self.store.transaction(PARTITION) as part:
            table = part.table("used")
            for doc in table.all():
                if self._expired(doc, now):
                    table.remove(doc["id"])
            if table.get(key_hash):
                return False
            table.insert({"id": key_hash, "expires_at": expires_at.isoformat()})
            return True

    @staticmethod
    def _expired(doc: Mapping[str, Any], now: datetime) -> bool:
        # Valid up to and including the expiry instant.
        return datetime.fromisoformat(doc["expires_at"]) < now
