"""Demandes: stored in the partition of their Tiers (``tiers/<tiers_id>``,
table ``demandes``), or, for the Tiers-creation demande of an account that has
no Tiers yet, in ``drafts/<account_id>``.

Demande numbers come from counters kept in the ``registry`` partition; the
form data of an expired session waits in ``pending_drafts`` until the login.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from ...vocabulary import Status
from ..base import Document, new_id
from ..documents import Demande
from ._base import BaseRepository

TABLE = "demandes"
STATUSES = tuple(Status)
PENDING_PARTITION = "pending_drafts"
PENDING_TTL = timedelta(hours=24)


def tiers_partition(tiers_id: str) -> str:
    return f"tiers/{tiers_id}"


def account_partition(account_id: str) -> str:
    return f"drafts/{account_id}"


class DemandeRepository(BaseRepository):
    """Plain-dict access to demandes; every write happens under the lock of
    the demande's partition (``doc["partition"]``)."""

    def create(self, partition: str, doc: Mapping[str, Any]) -> Demande:
        now = self.now_iso()
        document = {
            "id": new_id(),
            "status": Status.BROUILLON,
            "answers": {},
            "set_aside": {},
            "page_states": {},
            "history": [],
            "versions": [],
            "revision": 0,
            "numero": None,
            "transmitted_at": None,
            "created_at": now,
            "updated_at": now,
            **doc,
            "partition": partition,
        }
        with self.store.transaction(partition) as part:
            part.table(TABLE).insert(document)
        return document

    def get(self, partition: str, demande_id: str) -> Demande | None:
        return self.store.read(partition).table(TABLE).get(demande_id)

    def list(self, partition: str) -> list[Demande]:
        docs = self.store.read(partition).table(TABLE).all()
        return sorted(docs, key=lambda d: d.get("created_at") or "", reverse=True)

    def find_anywhere(self, demande_id: str) -> Demande | None:
        """A demande by id whatever its partition (staff side, file downloads)."""
        for prefix in ("tiers/", "drafts/"):
            for name in self.store.partitions(prefix):
                doc = self.get(name, demande_id)
                if doc is not None:
                    return doc
        return None

    def modify(self, partition: str, demande_id: str, change: Callable[[Document], Document | None]) -> Demande | None:
        """Apply ``change`` to a fresh copy under the partition lock.

        ``change`` edits the document in place (or returns a new one); returning
        ``None`` from it after editing is fine. Raise inside it to write nothing.
        Returns the stored document, or ``None`` when the demande does not exist.
        """
        with self.store.transaction(partition) as part:
            table = part.table(TABLE)
            doc = table.get(demande_id)
            if doc is None:
                return None
            result = change(doc)
            doc = result if result is not None else doc
            doc["updated_at"] = self.now_iso()
            doc["revision"] = int(doc.get("revision") or 0) + 1
            table.replace(demande_id, doc)
            return doc

    def remove(self, partition: str, demande_id: str) -> bool:
        with self.store.transaction(partition) as part:
            table = part.table(TABLE)
            if table.get(demande_id) is None:
                return False
            table.remove(demande_id)
            return True

    def next_numero(self, prefix: str, year: int) -> str:
        """``<prefix>-<year>-<6-digit counter>``, unique across the portal."""
        key = f"{prefix}-{year}"
        with self.store.transaction("registry") as part:
            counters = part.table("counters")
            counter = counters.get(key)
            value = (counter["value"] if counter else 0) + 1
            if counter:
                counters.update(key, {"value": value})
            else:
                counters.insert({"id": key, "value": value})
        return f"{key}-{value:06d}"

    # Form data posted after the session expired, kept until the next login.

    def stash_pending(self, payload: Mapping[str, Any]) -> str:
        pending_id = secrets.token_urlsafe(24)
        with self.store.transaction(PENDING_PARTITION) as part:
            table = part.table("pending")
            self._drop_expired(table)
            table.insert({"id": pending_id, "created_at": self.now_iso(), **payload})
        return pending_id

    def pop_pending(self, pending_id: str) -> Document | None:
        with self.store.transaction(PENDING_PARTITION) as part:
            table = part.table("pending")
            doc = table.get(pending_id)
            if doc is None:
                return None
            table.remove(pending_id)
        if doc["created_at"] < (self.clock.now() - PENDING_TTL).isoformat(timespec="seconds"):
            return None
        return doc

    def _drop_expired(self, table) -> None:
        limit = (self.clock.now() - PENDING_TTL).isoformat(timespec="seconds")
        for doc in table.find(lambda d: d["created_at"] < limit):
            table.remove(doc["id"])
