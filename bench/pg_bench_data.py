"""Data and operations shared by bench/postgres_bench.py and bench/pg_save_app.py, kept from the
former bench/storage_bench.py: documents shaped like the portal's (about 2 KB of answers per
demande, 75 % transmitted, 8 téléservices over 36 months, most Tiers with 1–10 demandes, a few
communes with hundreds), a TinyDB data folder written straight to partition files, and the
draft save / transmission the throughput figures time on any ``Store``."""
from __future__ import annotations

import json
import random
import socket
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from runtime.storage.base import Store, new_id
from runtime.storage.index import COUNTS, DemandeIndex, bucket_of, shard_of

TELESERVICES = {"patrimoine": 30, "sport": 20, "culture": 18, "jeunesse": 10, "environnement": 8,
                "economie": 6, "solidarite": 5, "evenementiel": 3}
STATUTS = {"transmise": 30, "en_instruction": 25, "acceptee": 25, "refusee": 10,
           "complement_demande": 5, "classee_sans_suite": 5}
MONTHS = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]  # 2024-01 … 2026-12
TYPICAL_SIZES = [1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10]


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


def demande(rng: random.Random, tiers_id: str, tiers_name: str, n: int) -> tuple[dict, dict | None]:
    teleservice = rng.choices(list(TELESERVICES), weights=TELESERVICES.values())[0]
    created = f"{rng.choice(MONTHS)}-{rng.randint(1, 28):02d}T{rng.randint(8, 19):02d}:{rng.randint(0, 59):02d}:00+00:00"
    doc = {"id": new_id(), "teleservice": teleservice, "status": "brouillon", "numero": None,
           "answers": answers(rng), "page_states": {"p1": "complète", "p2": "à compléter"},
           "history": [], "revision": 3, "created_at": created, "updated_at": created,
           "transmitted_at": None, "partition": f"tiers/{tiers_id}"}
    if rng.random() < 0.25:
        return doc, None
    statut = rng.choices(list(STATUTS), weights=STATUTS.values())[0]
    doc.update(status=statut, numero=f"SUB-{created[:4]}-{n:06d}", transmitted_at=created)
    row = {"id": doc["id"], "numero": doc["numero"], "teleservice": teleservice, "tiers_id": tiers_id,
           "tiers_name": tiers_name, "statut": statut, "transmitted_at": created, "updated_at": created,
           "montant_demande": "15000.00"}
    return doc, row


def write_partition(root: Path, name: str, data: dict) -> None:
    path = root / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def generate(root: Path, n: int, rng: random.Random) -> dict:
    shards: dict[str, dict] = defaultdict(dict)
    buckets: dict[str, dict] = defaultdict(dict)
    typical, communes, counter = [], [], 0
    for number, (kind, size) in enumerate(tiers_plan(n, rng)):
        tiers_id = new_id()
        name = f"{'Commune' if kind == 'commune' else 'Association'} {number}"
        docs = {}
        for _ in range(size):
            counter += 1
            doc, row = demande(rng, tiers_id, name, counter)
            docs[doc["id"]] = doc
            if row:
                shards[shard_of(row)][row["id"]] = row
                buckets[bucket_of(row["id"])][row["id"]] = {"id": row["id"], "shard": shard_of(row)}
        tiers = {tiers_id: {"id": tiers_id, "name": name, "kind": kind, "siret": f"{number:014d}"}}
        members = {"m1": {"id": "m1", "account_id": new_id(), "role": "administrateur"}}
        write_partition(root, f"tiers/{tiers_id}", {"tiers": tiers, "members": members, "demandes": docs})
        (communes if kind == "commune" else typical).append((tiers_id, name, list(docs)))
    counts = {}
    for shard, rows in shards.items():
        write_partition(root, f"index/{shard}", {"demandes": rows})
        statuts: dict[str, int] = defaultdict(int)
        for row in rows.values():
            statuts[row["statut"]] += 1
        teleservice, month = shard.split("/")
        counts[shard] = {"id": shard, "teleservice": teleservice, "month": month, "total": len(rows),
                         "statuts": dict(statuts)}
    write_partition(root, COUNTS, {"shards": counts})
    for bucket, entries in buckets.items():
        write_partition(root, bucket, {"demandes": entries})
    return {"typical": typical, "communes": communes}


def save_draft_step(store: Store, tiers_id: str, demande_id: str, rng: random.Random) -> None:
    """What the wizard does on "Enregistrer et continuer": one partition, one write."""
    with store.transaction(f"tiers/{tiers_id}") as part:
        table = part.table("demandes")
        doc = table.get(demande_id)
        doc["answers"]["champ_01"] = f"modifié {rng.random()}"
        doc["page_states"]["p2"] = "complète"
        doc["revision"] += 1
        doc["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        table.replace(demande_id, doc)


def create_draft(store: Store, tiers_id: str, tiers_name: str) -> tuple[str, str, str]:
    demande_id = new_id()
    with store.transaction(f"tiers/{tiers_id}") as part:
        part.table("demandes").insert({"id": demande_id, "teleservice": "sport", "status": "brouillon",
                                       "answers": answers(random.Random(1))})
    return tiers_id, tiers_name, demande_id


def transmit(store: Store, index: DemandeIndex, tiers_id: str, tiers_name: str, demande_id: str) -> None:
    """A draft's transmission: numero (registry), status (its Tiers), then one index row."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with store.transaction("registry") as registry:
        counters = registry.table("counters")
        counter = counters.get("SUB-2026")
        value = (counter["value"] if counter else 0) + 1
        if counter:
            counters.update("SUB-2026", {"value": value})
        else:
            counters.insert({"id": "SUB-2026", "value": value})
    numero = f"SUB-2026-{value:06d}"
    with store.transaction(f"tiers/{tiers_id}") as part:
        part.table("demandes").update(demande_id, {"status": "transmise", "numero": numero,
                                                   "transmitted_at": now, "updated_at": now})
    index.upsert({"id": demande_id, "numero": numero, "teleservice": "sport", "tiers_id": tiers_id,
                  "tiers_name": tiers_name, "statut": "transmise", "transmitted_at": now,
                  "updated_at": now, "montant_demande": "15000.00"})


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
