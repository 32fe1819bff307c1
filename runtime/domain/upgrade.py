"""One-shot upgrade of a data folder from the round-2 layout (``portail storage upgrade``).

Round 2 kept every account in one partition ``accounts`` and, in each
``tiers/<id>`` (or ``drafts/<account_id>``), the demandes, the messages, the
read markers and the staff notes; the staff inbox lived in ``staff``. This
moves each to its place in the current layout (docs/storage.md), computing
the progress stored with each demande, then rebuilds the staff index (and
its text index) and the summaries. It is idempotent: what was moved is
removed from the old partition in the same step, so a second run (or a run
after a crash) only moves what is left. Run
with the portal stopped.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..storage.cache import uncached
from ..storage.repositories import Repositories
from ..storage.repositories.accounts import account_partition
from ..storage.repositories.demandes import demande_partition
from ..storage.repositories.messages import (
    CONVERSATIONS,
    MESSAGES,
    READS,
    STAFF_INBOX,
    conversation_partition,
    inbox_partition,
)
from .demandes import refresh_progress
from .indexing import StaffIndexer

OLD_ACCOUNTS = "accounts"


@dataclass(frozen=True)
class UpgradeReport:
    accounts: int
    demandes: int
    messages: int


def upgrade_layout(store, clock, catalog) -> UpgradeReport:
    """``store``, ``clock``, ``catalog``: those of the portal (``services()``)."""
    store = uncached(store)
    repos = Repositories(store, clock)
    accounts = _move_accounts(store, repos)
    demandes = messages = 0
    for owner in [*store.partitions("tiers/"), *store.partitions("drafts/")]:
        demandes += _move_demandes(store, repos, catalog, owner)
        if owner.startswith("tiers/"):
            messages += _move_messages(store, owner.removeprefix("tiers/"))
    _move_staff_inbox(store)
    StaffIndexer(store, repos, catalog).rebuild()
    return UpgradeReport(accounts=accounts, demandes=demandes, messages=messages)


def _move_accounts(store, repos) -> int:
    moved = 0
    with store.transaction(OLD_ACCOUNTS) as old:
        table = old.table("accounts")
        for doc in table.all():
            keys = {"identifiant": doc["identifiant_key"], "email": doc["email_key"]}
            with repos.accounts._locked_keys(keys.values()) as buckets:
                for field, key in keys.items():
                    if buckets[key].table(field).get(key) is None:
                        buckets[key].table(field).insert({"id": key, "account_id": doc["id"]})
                with store.transaction(account_partition(doc["id"])) as part:
                    if part.table("accounts").get(doc["id"]) is None:
                        part.table("accounts").insert(doc)
            table.remove(doc["id"])
            moved += 1
    return moved


def _move_demandes(store, repos, catalog, owner: str) -> int:
    tiers = repos.tiers.get(owner.removeprefix("tiers/")) if owner.startswith("tiers/") else None
    moved = 0
    with store.transaction(owner) as old:
        table = old.table("demandes")
        for doc in table.all():
            doc["partition"] = owner
            spec = catalog.version(doc.get("version_key") or "")
            if spec is not None and doc.get("status") in ("brouillon", "complement_demande"):
                account = repos.accounts.get(doc.get("created_by") or "") or {}
                refresh_progress(spec, doc, {"tiers": dict(tiers or {}), "account": account})
            with store.transaction(demande_partition(doc["id"])) as part:
                if part.table("demandes").get(doc["id"]) is None:
                    part.table("demandes").insert(doc)
                    repos.demandes._write_summary(None, doc)
            table.remove(doc["id"])
            moved += 1
    return moved


def _move_messages(store, tiers_id: str) -> int:
    with store.transaction(f"tiers/{tiers_id}") as old:
        messages = old.table(MESSAGES).all()
        by_demande: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in sorted(messages, key=lambda m: m["created_at"]):
            by_demande[message["demande_id"]].append(message)
        with store.transaction(inbox_partition(tiers_id)) as inbox:
            for demande_id, thread in by_demande.items():
                with store.transaction(conversation_partition(demande_id)) as part:
                    for message in thread:
                        if part.table(MESSAGES).get(message["id"]) is None:
                            part.table(MESSAGES).insert(message)
                _put(inbox.table(CONVERSATIONS), {
                    "id": demande_id, "count": len(thread), "last_at": thread[-1]["created_at"],
                    "staff_messages": [m["created_at"] for m in thread if m["author"]["kind"] == "staff"]})
            for marker in old.table(READS).all():
                _put(inbox.table(READS), marker)
                old.table(READS).remove(marker["id"])
        for message in messages:
            old.table(MESSAGES).remove(message["id"])
        for note in old.table("staff_notes").all():
            with store.transaction(f"notes/{note['demande_id']}") as part:
                _put(part.table("staff_notes"), {**note, "tiers_id": tiers_id})
            old.table("staff_notes").remove(note["id"])
    return len(messages)


def _move_staff_inbox(store) -> None:
    with store.transaction("staff") as old, store.transaction(STAFF_INBOX) as new:
        for doc in old.table("inbox").all():
            _put(new.table("inbox"), doc)
            old.table("inbox").remove(doc["id"])


def _put(table, doc: dict[str, Any]) -> None:
    if table.get(doc["id"]) is None:
        table.insert(doc)
    else:
        table.replace(doc["id"], doc)
