"""Data and operations shared by bench/postgres_bench.py and bench/pg_save_app.py: documents shaped
like the portal's (about 2 KB of answers per demande, 75 % transmitted, 8 téléservices over 36
months, most Tiers with 1–10 demandes, a few communes with hundreds) in the **current layout**
(docs/storage.md): the Tiers in ``tiers/<id>``, each demande in ``demandes/<id>``, its summary row in
``owners/tiers/<id>/<yyyy-mm>`` and its owner's counters in ``owners/tiers/<id>/_counts``, and the
staff index (shards and locators for TinyDB, rows for PostgreSQL). Summaries and counters follow
the demandes repository's own functions (``summary_of``, ``shard_partition``…); the timed draft
save and transmission go through the real ``DemandeRepository`` and ``DemandeIndex``, on any ``Store``.
"""
from __future__ import annotations

import hashlib
import json
import random
import socket
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from runtime.clock import Clock
from runtime.storage.base import Store, new_id
from runtime.storage.index import COUNTS, DemandeIndex, bucket_of, shard_of
from runtime.storage.repositories.demandes import (
    FINAL_STATUSES,
    RECENT_DECISIONS,
    DemandeRepository,
    counts_partition,
    demande_partition,
    numbers_partition,
    shard_partition,
    summary_of,
    tiers_partition,
)

TELESERVICES = {"patrimoine": 30, "sport": 20, "culture": 18, "jeunesse": 10, "environnement": 8,
                "economie": 6, "solidarite": 5, "evenementiel": 3}
STATUTS = {"transmise": 30, "en_instruction": 25, "acceptee": 25, "refusee": 10,
           "complement_demande": 5, "classee_sans_suite": 5}
MONTHS = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]  # 2024-01 … 2026-12
TYPICAL_SIZES = [1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10]
NUMERO_PREFIX = "SUB"


def tiers_plan(n: int, rng: random.Random) -> list[tuple[str, int]]:
    """(kind, number of demandes) per Tiers, summing to n."""
    plan = [("commune", min(rng.randint(200, 600), n // 10)) for _ in range(5)]
    left = n - sum(size for _, size in plan)
    while left > 0:
        size = min(rng.choice(TYPICAL_SIZES), left)
        plan.append(("association", size))
        left -= size
    return [p for p in plan if p[1] > 0]


def answers(rng: random.Random) -> dict:
    """About 2 KB of answers, like a real subsidy application."""
    words = ["projet", "association", "quartier", "culture", "sport", "jeunes", "budget", "action", "public", "commune"]
    text = {f"champ_{i:02d}": " ".join(rng.choices(words, k=8)) for i in range(22)}
    budget = [{"poste": rng.choice(words), "montant": str(rng.randint(100, 20000))} for _ in range(6)]
    return {**text, "budget": budget, "iban": "FR7630006000011234567890189", "montant_demande": "15000.00"}


def piece_id(n: int) -> str:
    """The stored-file id of the piece of demande number n (``generate(..., pieces=True)``)."""
    return hashlib.sha256(str(n).encode()).hexdigest()[:32]  # spread over the upload folders like real ids


def demande(rng: random.Random, tiers_id: str, tiers_name: str, n: int, piece: bool = False) -> tuple[dict, dict | None]:
    """A demande document as the repository stores it (with a reference to a 4 KB piece if
    ``piece``), and its staff index row if transmitted."""
    teleservice = rng.choices(list(TELESERVICES), weights=TELESERVICES.values())[0]
    created = f"{rng.choice(MONTHS)}-{rng.randint(1, 28):02d}T{rng.randint(8, 19):02d}:{rng.randint(0, 59):02d}:00+00:00"
    doc = {"id": new_id(), "teleservice": teleservice, "teleservice_title": teleservice.capitalize(),
           "kind": "demande", "tiers_id": tiers_id, "status": "brouillon", "numero": None,
           "answers": answers(rng), "set_aside": {}, "page_states": {"p1": "complète", "p2": "à compléter"},
           "progress": 50, "next_page": "p2", "history": [], "versions": [], "revision": 3,
           "created_at": created, "updated_at": created, "transmitted_at": None, "status_at": created,
           "montant_demande": "15000.00", "partition": tiers_partition(tiers_id)}
    if piece:
        doc["answers"]["devis"] = {"file_id": piece_id(n), "filename": "devis.pdf", "size": 4096,
                                   "content_type": "application/octet-stream"}
    if rng.random() < 0.25:
        return doc, None
    statut = rng.choices(list(STATUTS), weights=STATUTS.values())[0]
    doc.update(status=statut, numero=f"{NUMERO_PREFIX}-{created[:4]}-{n:06d}", transmitted_at=created)
    row = {"id": doc["id"], "numero": doc["numero"], "teleservice": teleservice, "tiers_id": tiers_id,
           "tiers_name": tiers_name, "statut": statut, "transmitted_at": created, "updated_at": created,
           "montant_demande": "15000.00"}
    return doc, row


@dataclass
class TiersData:
    """One Tiers and its demandes, as partitions (name -> table -> documents in stored order)."""

    kind: str
    tiers_id: str
    name: str
    demande_ids: list[str] = field(default_factory=list)
    partitions: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    index_rows: list[dict] = field(default_factory=list)


def tiers_data(rng: random.Random, number: int, kind: str, size: int, first: int, pieces: bool = False) -> TiersData:
    """A Tiers of ``size`` demandes numbered from ``first``, with the summaries and counters the
    demandes repository would have written for them."""
    tiers_id = new_id()
    name = f"{'Commune' if kind == 'commune' else 'Association'} {number}"
    owner = tiers_partition(tiers_id)
    data = TiersData(kind, tiers_id, name)
    data.partitions[owner] = {
        "tiers": [{"id": tiers_id, "raison_sociale": name, "famille": kind, "siret": f"{number:014d}"}],
        "members": [{"id": "m1", "account_id": new_id(), "role": "administrateur"}],
    }
    months: dict[str, dict] = {}
    decisions = []
    for k in range(size):
        doc, row = demande(rng, tiers_id, name, first + k, pieces)
        data.demande_ids.append(doc["id"])
        data.partitions[demande_partition(doc["id"])] = {"demandes": [doc]}
        summary = summary_of(doc)
        shard = data.partitions.setdefault(shard_partition(owner, doc["created_at"]), {"demandes": []})
        shard["demandes"].append(summary)
        month = months.setdefault(doc["created_at"][:7], {"id": doc["created_at"][:7], "total": 0, "statuses": {}})
        month["total"] += 1
        month["statuses"][doc["status"]] = month["statuses"].get(doc["status"], 0) + 1
        if doc["status"] in FINAL_STATUSES:
            decisions.append(summary)
        if row:
            data.index_rows.append(row)
    decisions.sort(key=lambda r: (r.get("status_at") or "", r["id"]), reverse=True)
    data.partitions[counts_partition(owner)] = {"months": list(months.values()),
                                                "decisions": decisions[:RECENT_DECISIONS]}
    return data


def data_set(n: int, rng: random.Random, plan=tiers_plan, pieces: bool = False) -> Iterator[TiersData]:
    """Every Tiers of a data set of n demandes (numbered 1…n), one after the other (nothing kept in memory)."""
    counter = 0
    for number, (kind, size) in enumerate(plan(n, rng)):
        yield tiers_data(rng, number, kind, size, counter + 1, pieces)
        counter += size


def write_partition(root: Path, name: str, tables: dict[str, list[dict]]) -> None:
    """A TinyDB partition file: ``{table: {id: document}}``."""
    path = root / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {table: {doc["id"]: doc for doc in docs} for table, docs in tables.items()}
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def generate(root: Path, n: int, rng: random.Random, plan=tiers_plan, pieces: bool = False) -> dict:
    """A TinyDB data folder (``root`` is its ``db/``) of n demandes; the Tiers by kind. With
    ``pieces`` each demande references a piece, ``piece_id(number)``, to be written by the caller."""
    shards: dict[str, list[dict]] = defaultdict(list)
    buckets: dict[str, list[dict]] = defaultdict(list)
    typical, communes = [], []
    for tiers in data_set(n, rng, plan, pieces):
        for name, tables in tiers.partitions.items():
            write_partition(root, name, tables)
        for row in tiers.index_rows:
            shards[shard_of(row)].append(row)
            buckets[bucket_of(row["id"])].append({"id": row["id"], "shard": shard_of(row)})
        (communes if tiers.kind == "commune" else typical).append((tiers.tiers_id, tiers.name, tiers.demande_ids))
    counts = []
    for shard, rows in shards.items():
        write_partition(root, f"index/{shard}", {"demandes": rows})
        statuts: dict[str, int] = defaultdict(int)
        for row in rows:
            statuts[row["statut"]] += 1
        teleservice, month = shard.split("/")
        counts.append({"id": shard, "teleservice": teleservice, "month": month, "total": len(rows),
                       "statuts": dict(statuts)})
    write_partition(root, COUNTS, {"shards": counts})
    for bucket, entries in buckets.items():
        write_partition(root, bucket, {"demandes": entries})
    series = f"{NUMERO_PREFIX}-2026"  # transmissions of the bench number after every generated demande
    write_partition(root, numbers_partition(series), {"counters": [{"id": series, "value": n}]})
    return {"typical": typical, "communes": communes}


# --- the timed operations, through the real repository -------------------------------------------

def repository(store: Store) -> DemandeRepository:
    return DemandeRepository(store, Clock())


def save_draft_step(repo: DemandeRepository, tiers_id: str, demande_id: str, rng: random.Random) -> None:
    """What the wizard does on "Enregistrer et continuer": the demande, its summary, its counters."""
    def change(doc: dict) -> None:
        doc["answers"]["champ_01"] = f"modifié {rng.random()}"
        doc["page_states"]["p2"] = "complète"

    if repo.modify(tiers_partition(tiers_id), demande_id, change) is None:
        raise LookupError(demande_id)


def create_draft(repo: DemandeRepository, tiers_id: str, tiers_name: str) -> tuple[str, str, str]:
    doc = repo.create(tiers_partition(tiers_id), {"teleservice": "sport", "teleservice_title": "Sport",
                                                  "tiers_id": tiers_id, "answers": answers(random.Random(1))})
    return tiers_id, tiers_name, doc["id"]


def transmit(repo: DemandeRepository, index: DemandeIndex, tiers_id: str, tiers_name: str, demande_id: str) -> None:
    """A draft's transmission: its number taken inside the write that files it, then its index row."""
    def change(doc: dict) -> None:
        now = repo.now_iso()
        doc.update(status="transmise", numero=repo.next_numero(NUMERO_PREFIX, 2026), transmitted_at=now,
                   status_at=now)

    doc = repo.modify(tiers_partition(tiers_id), demande_id, change)
    index.upsert({"id": demande_id, "numero": doc["numero"], "teleservice": "sport", "tiers_id": tiers_id,
                  "tiers_name": tiers_name, "statut": "transmise", "transmitted_at": doc["transmitted_at"],
                  "updated_at": doc["updated_at"], "montant_demande": "15000.00"})


def summary(durations: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    durations = sorted(durations)
    return statistics.median(durations), durations[max(int(len(durations) * 0.95) - 1, 0)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn n'a pas démarré")
