"""Mes échanges: one conversation per demande between its Tiers and staff.

Layout (nothing here is in the Tiers partition, so a Tiers' partition stays
small whatever it says to the Métropole):

- partition ``conversations/<demande_id>``, table ``messages``: ``{"id",
  "demande_id", "author": {"kind": "applicant"|"staff", "id", "name"},
  "body", "attachments": [file metadata], "created_at"}``;
- partition ``inboxes/<tiers_id>``: table ``conversations``, one small
  document per demande that has messages, ``{"id": demande_id, "count",
  "last_at", "staff_messages": [created_at...]}``, and table
  ``message_reads``, one read marker per applicant account and demande,
  ``{"id": "<account_id>:<demande_id>", "at"}``: the unread badge of the
  espace reads this one partition;
- partition ``staff_inbox``, table ``inbox``: one document per demande with
  applicant messages, ``{"id": demande_id, "tiers_id", "teleservice",
  "numero", "tiers_name", "teleservice_title", "statut",
  "applicant_messages": [created_at...], "read_by": {staff_id: at}}``
  so staff unread counts never scan every Tiers, and the staff « Échanges »
  page lists the conversations from it alone (``note_status`` keeps the
  status current when the demande's index row changes).

Lock order of ``post``: ``conversations/<id>``, then ``inboxes/<tiers_id>``,
then ``staff_inbox``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..base import Document, new_id
from ._base import BaseRepository
from .staff import can_see

MESSAGES = "messages"
READS = "message_reads"
CONVERSATIONS = "conversations"
INBOX = "inbox"
STAFF_INBOX = "staff_inbox"
SAFE_ID = re.compile(r"[0-9a-z_-]{1,64}")


def conversation_partition(demande_id: str) -> str:
    return f"conversations/{demande_id}"


def inbox_partition(tiers_id: str) -> str:
    return f"inboxes/{tiers_id}"


def _safe(value: Any) -> bool:
    return isinstance(value, str) and SAFE_ID.fullmatch(value) is not None


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
        tiers_name: str | None = None,
    ) -> Document:
        """Add a message; the author has read their own conversation. ``tiers_name`` is
        kept with the conversation for the staff list."""
        now = self._now()
        message = {
            "id": new_id(),
            "demande_id": demande["id"],
            "author": dict(author),
            "body": body,
            "attachments": [dict(a) for a in attachments or []],
            "created_at": now,
        }
        with self.store.transaction(conversation_partition(demande["id"])) as part:
            part.table(MESSAGES).insert(message)
            count = len(part.table(MESSAGES).all())
            with self.store.transaction(inbox_partition(tiers_id)) as inbox:
                conversations = inbox.table(CONVERSATIONS)
                doc = conversations.get(demande["id"]) or {"id": demande["id"], "staff_messages": []}
                doc.update(count=count, last_at=now)
                if author["kind"] == "staff":
                    doc["staff_messages"].append(now)
                else:
                    _upsert(inbox.table(READS), f"{author['id']}:{demande['id']}", {"at": now})
                _upsert(conversations, demande["id"], doc)
        with self.store.transaction(STAFF_INBOX) as part:
            self._touch_inbox(part.table(INBOX), tiers_id, demande, author, now, tiers_name)
        return message

    @staticmethod
    def _touch_inbox(inbox, tiers_id, demande, author, now, tiers_name=None) -> None:
        doc = inbox.get(demande["id"]) or {"id": demande["id"], "tiers_id": tiers_id, "applicant_messages": [],
                                            "read_by": {}}
        doc.update(teleservice=demande.get("teleservice"), numero=demande.get("numero"),
                   teleservice_title=demande.get("teleservice_title"), statut=demande.get("status"))
        if tiers_name or "tiers_name" not in doc:
            doc["tiers_name"] = tiers_name
        if author["kind"] == "applicant":
            doc["applicant_messages"].append(now)
        else:
            doc["read_by"][author["id"]] = now
        _upsert(inbox, doc["id"], doc)

    def conversation(self, tiers_id: str, demande_id: str) -> list[Document]:
        if not _safe(demande_id):
            return []
        messages = self.store.read(conversation_partition(demande_id)).table(MESSAGES).all()
        return sorted(messages, key=lambda m: m["created_at"])

    def find(self, tiers_id: str, message_id: str) -> Document | None:
        for demande_id in self.conversation_ids(tiers_id):
            message = self.store.read(conversation_partition(demande_id)).table(MESSAGES).get(message_id)
            if message is not None:
                return message
        return None

    def conversation_ids(self, tiers_id: str) -> list[str]:
        if not _safe(tiers_id):
            return []
        return [doc["id"] for doc in self.store.read(inbox_partition(tiers_id)).table(CONVERSATIONS).all()]

    def summaries(self, tiers_id: str) -> dict[str, Document]:
        """``{demande_id: {"count", "last_at"}}`` of the Tiers' conversations (one small read)."""
        if not _safe(tiers_id):
            return {}
        return {doc["id"]: doc for doc in self.store.read(inbox_partition(tiers_id)).table(CONVERSATIONS).all()}

    # Applicant side

    def mark_read_by_applicant(self, tiers_id: str, account_id: str, demande_id: str) -> None:
        with self.store.transaction(inbox_partition(tiers_id)) as part:
            _upsert(part.table(READS), f"{account_id}:{demande_id}", {"at": self._now()})

    def unread_for_applicant(self, tiers_id: str, account_id: str) -> dict[str, int]:
        """Staff messages not yet read by this account, per demande id."""
        if not _safe(tiers_id):
            return {}
        part = self.store.read(inbox_partition(tiers_id))
        markers = {doc["id"]: doc["at"] for doc in part.table(READS).all()}
        counts: dict[str, int] = {}
        for doc in part.table(CONVERSATIONS).all():
            seen = markers.get(f"{account_id}:{doc['id']}", "")
            unread = sum(1 for at in doc.get("staff_messages") or () if at > seen)
            if unread:
                counts[doc["id"]] = unread
        return counts

    # Staff side

    def note_status(self, tiers_id: str, demande_id: str, statut: str, numero: str | None = None) -> None:
        """Keep the status shown by the staff « Échanges » list current. Reads the
        Tiers' small inbox first: ``staff_inbox`` is only opened for a demande with
        a conversation whose status (or number) changed."""
        if not _safe(tiers_id) or demande_id not in self.summaries(tiers_id):
            return
        known = self.store.read(STAFF_INBOX).table(INBOX).get(demande_id)
        if known is None or (known.get("statut") == statut and known.get("numero") == (numero or known.get("numero"))):
            return
        with self.store.transaction(STAFF_INBOX) as part:
            inbox = part.table(INBOX)
            if inbox.get(demande_id) is not None:
                inbox.update(demande_id, {"statut": statut, **({"numero": numero} if numero else {})})

    def mark_read_by_staff(self, staff_id: str, demande_id: str) -> None:
        with self.store.transaction(STAFF_INBOX) as part:
            inbox = part.table(INBOX)
            doc = inbox.get(demande_id)
            if doc is not None:
                doc["read_by"][staff_id] = self._now()
                inbox.replace(demande_id, doc)

    def inbox_for_staff(self, staff: Mapping[str, Any]) -> list[Document]:
        """Conversations with applicant messages in the téléservices this agent sees, newest first."""
        docs = [
            doc
            for doc in self.store.read(STAFF_INBOX).table(INBOX).all()
            if can_see(staff, doc.get("teleservice") or "")
        ]
        return sorted(docs, key=lambda d: d["applicant_messages"][-1] if d["applicant_messages"] else "",
                      reverse=True)

    def unread_for_staff(self, staff: Mapping[str, Any]) -> dict[str, int]:
        """Applicant messages not yet read by this staff member, per demande id,
        limited to the téléservices they see."""
        counts: dict[str, int] = {}
        for doc in self.store.read(STAFF_INBOX).table(INBOX).all():
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
