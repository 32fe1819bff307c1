"""Mes échanges: one conversation per demande between its Tiers and staff.

Layout:

- partition ``tiers/<tiers_id>``, table ``messages``: ``{"id", "demande_id",
  "author": {"kind": "applicant"|"staff", "id", "name"}, "body",
  "attachments": [file metadata], "created_at"}``;
- same partition, table ``message_reads``: one read marker per applicant
  account and demande, ``{"id": "<account_id>:<demande_id>", "at"}``;
- partition ``staff``, table ``inbox``: one document per demande with applicant
  messages, ``{"id": demande_id, "tiers_id", "teleservice", "numero", "applicant_messages":
  [created_at...], "read_by": {staff_id: at}}`` so staff unread counts never
  scan every Tiers.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import Document, new_id
from ._base import BaseRepository
from .staff import PARTITION as STAFF_PARTITION
from .staff import can_see

MESSAGES = "messages"
READS = "message_reads"
INBOX = "inbox"


def _partition(tiers_id: str) -> str:
    return f"tiers/{tiers_id}"


class MessageRepository(BaseRepository):
    def _now(self) -> str:
        # Microseconds: a message and a read marker in the same second stay ordered.
        return self.clock.now().isoformat()

    def post(
        self,
        tiers_id: str,
        demande: Mapping[str, Any],
        author: Mapping[str, str],
        body: str,
        attachments: list[Mapping[str, Any]] | None = None,
    ) -> Document:
        """Add a message; the author has read their own conversation."""
        now = self._now()
        message = {
            "id": new_id(),
            "demande_id": demande["id"],
            "author": dict(author),
            "body": body,
            "attachments": [dict(a) for a in attachments or []],
            "created_at": now,
        }
        with self.store.transaction(_partition(tiers_id)) as part:
            part.table(MESSAGES).insert(message)
            if author["kind"] == "applicant":
                _upsert(part.table(READS), f"{author['id']}:{demande['id']}", {"at": now})
        with self.store.transaction(STAFF_PARTITION) as part:
            self._touch_inbox(part.table(INBOX), tiers_id, demande, author, now)
        return message

    @staticmethod
    def _touch_inbox(inbox, tiers_id, demande, author, now) -> None:
        doc = inbox.get(demande["id"]) or {
            "id": demande["id"],
            "tiers_id": tiers_id,
            "teleservice": demande.get("teleservice"),
            "numero": demande.get("numero"),
            "applicant_messages": [],
            "read_by": {},
        }
        if author["kind"] == "applicant":
            doc["applicant_messages"].append(now)
        else:
            doc["read_by"][author["id"]] = now
        _upsert(inbox, doc["id"], doc)

    def conversation(self, tiers_id: str, demande_id: str) -> list[Document]:
        messages = self.store.read(_partition(tiers_id)).table(MESSAGES).find(demande_id=demande_id)
        return sorted(messages, key=lambda m: m["created_at"])

    def find(self, tiers_id: str, message_id: str) -> Document | None:
        return self.store.read(_partition(tiers_id)).table(MESSAGES).get(message_id)

    # Applicant side

    def mark_read_by_applicant(self, tiers_id: str, account_id: str, demande_id: str) -> None:
        with self.store.transaction(_partition(tiers_id)) as part:
            _upsert(part.table(READS), f"{account_id}:{demande_id}", {"at": self._now()})

    def unread_for_applicant(self, tiers_id: str, account_id: str) -> dict[str, int]:
        """Staff messages not yet read by this account, per demande id."""
        part = self.store.read(_partition(tiers_id))
        markers = {doc["id"]: doc["at"] for doc in part.table(READS).all()}
        counts: dict[str, int] = {}
        for message in part.table(MESSAGES).all():
            if message["author"]["kind"] != "staff":
                continue
            seen = markers.get(f"{account_id}:{message['demande_id']}", "")
            if message["created_at"] > seen:
                counts[message["demande_id"]] = counts.get(message["demande_id"], 0) + 1
        return counts

    # Staff side

    def mark_read_by_staff(self, staff_id: str, demande_id: str) -> None:
        with self.store.transaction(STAFF_PARTITION) as part:
            inbox = part.table(INBOX)
            doc = inbox.get(demande_id)
            if doc is not None:
                doc["read_by"][staff_id] = self._now()
                inbox.replace(demande_id, doc)

    def inbox_for_staff(self, staff: Mapping[str, Any]) -> list[Document]:
        """Conversations with applicant messages in the téléservices this agent sees, newest first."""
        docs = [
            doc
            for doc in self.store.read(STAFF_PARTITION).table(INBOX).all()
            if can_see(staff, doc.get("teleservice") or "")
        ]
        return sorted(docs, key=lambda d: d["applicant_messages"][-1] if d["applicant_messages"] else "",
                      reverse=True)

    def unread_for_staff(self, staff: Mapping[str, Any]) -> dict[str, int]:
        """Applicant messages not yet read by this staff member, per demande id,
        limited to the téléservices they see."""
        counts: dict[str, int] = {}
        for doc in self.store.read(STAFF_PARTITION).table(INBOX).all():
            if not can_see(staff, doc.get("teleservice") or ""):
                continue
            seen = doc["read_by"].get(staff["id"], "")
            unread = sum(1 for at in doc["applicant_messages"] if at > seen)
            if unread:
                counts[doc["id"]] = unread
        return counts


def _upsert(table, doc_id: str, fields: Mapping[str, Any]) -> None:
    if table.get(doc_id) is None:
        table.insert({**fields, "id": doc_id})
    else:
        table.update(doc_id, dict(fields))
