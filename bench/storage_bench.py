"""Storage figures: cost of a draft save and of a transmission, staff listing
time, start-up check time and memory, as the number of stored demandes grows.

    .venv/bin/python bench/storage_bench.py                  # 100 … 100,000
    .venv/bin/python bench/storage_bench.py --sizes 100,1000 --no-throughput

The data set is written straight to partition files (same layout as the
store and the index write), spread over realistic Tiers: most with 1–10
demandes, a few communes with hundreds. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.storage.base import new_id
from runtime.storage.index import COUNTS, DemandeIndex, bucket_of, shard_of
from runtime.storage.tinydb_store import TinyDBStore

TELESERVICES = {"patrimoine": 30, "sport": 20, "culture": 18, "jeunesse": 10, "environnement": 8,
                "economie": 6, "solidarite": 5, "evenementiel": 3}
STATUTS = {"transmise": 30, "en_instruction": 25, "acceptee": 25, "refusee": 10,
           "complement_demande": 5, "classee_sans_suite": 5}
MONTHS = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]  # 2024-01 … 2026-12
TYPICAL_SIZES = [1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10]


# --- data set -------------------------------------------------------------------------------------

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


# --- operations -----------------------------------------------------------------------------------

def save_draft_step(store: TinyDBStore, tiers_id: str, demande_id: str, rng: random.Random) -> None:
    """What the wizard does on "Enregistrer et continuer": one partition, one write."""
    with store.transaction(f"tiers/{tiers_id}") as part:
        table = part.table("demandes")
        doc = table.get(demande_id)
        doc["answers"]["champ_01"] = f"modifié {rng.random()}"
        doc["page_states"]["p2"] = "complète"
        doc["revision"] += 1
        doc["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        table.replace(demande_id, doc)


def create_draft(store: TinyDBStore, tiers_id: str, tiers_name: str) -> tuple[str, str, str]:
    demande_id = new_id()
    with store.transaction(f"tiers/{tiers_id}") as part:
        part.table("demandes").insert({"id": demande_id, "teleservice": "sport", "status": "brouillon",
                                       "answers": answers(random.Random(1))})
    return tiers_id, tiers_name, demande_id


def transmit(store: TinyDBStore, index: DemandeIndex, tiers_id: str, tiers_name: str, demande_id: str) -> None:
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


@contextmanager
def fsync_disabled():
    """To separate the CPU cost (what the design controls) from the disk's fsync latency."""
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


class DataSet:
    """One data set of ``n`` demandes on disk, and the operations measured on it."""

    def __init__(self, n: int, workdir: Path, ops: int):
        self.n = n
        self.rng = random.Random(n)
        root = workdir / f"n{n}" / "db"
        start = time.perf_counter()
        dataset = generate(root, n, self.rng)
        for path in root.rglob("*.json"):  # steady state: every partition already has its own .bak
            shutil.copyfile(path, path.with_name(path.name + ".bak"))
        self.generated_s = time.perf_counter() - start
        self.store = TinyDBStore(root)
        self.index = DemandeIndex(self.store)
        start = time.perf_counter()
        assert not self.store.check()
        self.check_s = time.perf_counter() - start
        self.typical = [t for t in dataset["typical"] if t[2]]
        self.commune = max(dataset["communes"], key=lambda t: len(t[2]))
        self.drafts = [create_draft(self.store, *self.rng.choice(self.typical)[:2]) for _ in range(2 * ops)]

    def draft_typical(self) -> None:
        tiers_id, _, ids = self.rng.choice(self.typical)
        save_draft_step(self.store, tiers_id, self.rng.choice(ids), self.rng)

    def draft_commune(self) -> None:
        save_draft_step(self.store, self.commune[0], self.rng.choice(self.commune[2]), self.rng)

    def transmit(self) -> None:
        transmit(self.store, self.index, *self.drafts.pop())

    def listing(self) -> None:
        self.index.search({"teleservice": "patrimoine", "statut": "en_instruction"})

    def listing_all(self) -> None:
        self.index.search({})

    def listing_page5(self) -> None:
        self.index.search({"teleservice": "sport"}, page=5)

    def listing_text(self) -> None:
        self.index.search({"teleservice": "culture", "text": "association 12"})


def interleaved(datasets: list[DataSet], operation: str, rounds: int) -> dict[int, tuple[float, float]]:
    """Time ``operation`` on every data set in turn, round after round, so that the
    load of a shared machine weighs the same on every size."""
    durations: dict[int, list[float]] = {d.n: [] for d in datasets}
    for _ in range(rounds):
        for dataset in datasets:
            start = time.perf_counter()
            getattr(dataset, operation)()
            durations[dataset.n].append((time.perf_counter() - start) * 1000)
    return {n: summary(values) for n, values in durations.items()}


def measure(datasets: list[DataSet], ops: int) -> dict[str, dict[int, tuple[float, float]]]:
    figures = {name: interleaved(datasets, name, ops) for name in ("draft_typical", "draft_commune", "transmit")}
    with fsync_disabled():
        for name in ("draft_typical", "draft_commune", "transmit"):
            figures["cpu_" + name] = interleaved(datasets, name, ops // 2)
    for name, rounds in (("listing", 30), ("listing_all", 30), ("listing_page5", 30), ("listing_text", 5)):
        figures[name] = interleaved(datasets, name, rounds)
    return figures


# --- memory and throughput --------------------------------------------------------------------------

RSS_PROBE = """
import sys, resource
sys.path.insert(0, {root!r})
from runtime.storage import open_store
from runtime.storage.index import DemandeIndex
store = open_store({{"STORE": "tinydb", "DATA_DIR": {data!r}}})
assert not store.check()
DemandeIndex(store).search({{"teleservice": "patrimoine", "statut": "en_instruction"}})
{extra}
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(status["VmRSS"].strip(), "|", status["VmHWM"].strip())
"""
APP_PROBE = """
from runtime.app import create_app
create_app({{"DATA_DIR": {data!r}, "SECRET_KEY": "bench"}})
"""


def rss(data_dir: Path, with_app: bool) -> str:
    extra = APP_PROBE.format(data=str(data_dir)) if with_app else ""
    code = RSS_PROBE.format(root=str(ROOT), data=str(data_dir), extra=extra)
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        return "échec : " + (result.stderr.strip().splitlines() or ["?"])[-1]
    current, peak = result.stdout.strip().split("|")
    return f"RSS {current.strip()} (pic {peak.strip()})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throughput(data_dir: Path, dataset_targets: list[tuple[str, str]], seconds: float = 10.0) -> str:
    port = free_port()
    env = {**os.environ, "BENCH_STORE": str(data_dir / "db")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT / "bench"),
         "--log-level", "warning", "save_app:application"],
        env=env, cwd=ROOT,
    )
    try:
        _wait_for(port)
        latencies: list[float] = []
        errors = [0]
        stop = time.monotonic() + seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                tiers_id, demande_id = rng.choice(dataset_targets)
                connection = HTTPConnection("127.0.0.1", port, timeout=30)
                start = time.perf_counter()
                connection.request("POST", f"/save/{tiers_id}/{demande_id}")
                status = connection.getresponse().status
                latencies.append((time.perf_counter() - start) * 1000)
                errors[0] += status != 204
                connection.close()

        clients = [threading.Thread(target=client, args=(i,)) for i in range(20)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        latencies.sort()
        return (f"{len(latencies) / seconds:.0f} enregistrements/s, médiane {statistics.median(latencies):.1f} ms, "
                f"p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms, erreurs {errors[0]}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn n'a pas démarré")


def _pair(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.2f}/{figures[1]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--throughput", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--workdir", default=None, help="default: a temporary folder, removed at the end")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="storage-bench-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        datasets = []
        for n in sizes:
            datasets.append(DataSet(n, workdir, args.ops))
            print(f"{n} demandes : données écrites en {datasets[-1].generated_s:.1f} s, "
                  f"contrôle au démarrage (check) {datasets[-1].check_s:.2f} s, "
                  f"plus grande commune {len(datasets[-1].commune[2])} demandes", flush=True)
        os.sync()  # measure a settled disk, not the write-back of the data sets
        f = measure(datasets, args.ops)
        print("\nms, médiane/p95, mesures entrelacées entre tailles ; « CPU » = sans fsync ; liste = 1re page de 50")
        print(f"{'demandes':>9} {'brouillon asso':>15} {'brouillon commune':>18} {'transmission':>14} "
              f"{'| CPU asso':>10} {'commune':>8} {'transm.':>8} "
              f"{'| liste filtrée':>15} {'liste tout':>11} {'page 5':>7} {'texte':>7}")
        for n in sizes:
            print(f"{n:>9} {_pair(f['draft_typical'][n]):>15} {_pair(f['draft_commune'][n]):>18} "
                  f"{_pair(f['transmit'][n]):>14} | {f['cpu_draft_typical'][n][0]:>8.2f} "
                  f"{f['cpu_draft_commune'][n][0]:>8.2f} {f['cpu_transmit'][n][0]:>8.2f} | "
                  f"{_pair(f['listing'][n]):>13} {f['listing_all'][n][0]:>11.2f} {f['listing_page5'][n][0]:>7.2f} "
                  f"{f['listing_text'][n][0]:>7.1f}")
        biggest = workdir / f"n{sizes[-1]}"
        print(f"Mémoire d'un processus après ouverture du magasin à {sizes[-1]} demandes : {rss(biggest, False)}")
        print(f"Même chose avec create_app complet : {rss(biggest, True)}")
        if args.throughput:
            store = TinyDBStore(biggest / "db")
            targets = [(name.removeprefix("tiers/"), doc["id"]) for name in list(store.partitions("tiers/"))[:2000]
                       for doc in store.read(name).table("demandes").all()[:1]]
            print(f"gunicorn 4 workers, 20 clients, 10 s, enregistrement d'étape : {throughput(biggest, targets)}")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
