"""PostgreSQL store figures: draft save and transmission at 1,000 and 1,000,000 demandes,
staff listing page 1 (téléservice + statut), a 600-demande commune against a 1-demande
Tiers, the throughput of 20 clients (save + transmit) on TinyDB and PostgreSQL side
by side, and ``portail migrate`` of 100,000 demandes with their pieces.

    .venv/bin/python bench/postgres_bench.py                       # 1,000 and 1,000,000
    .venv/bin/python bench/postgres_bench.py --sizes 1000,100000 --throughput-seconds 10 --migrate-size 10000
    .venv/bin/python bench/postgres_bench.py --sizes "" --no-throughput                 # portail migrate only
    .venv/bin/python bench/postgres_bench.py --sizes "" --no-throughput --migrate-from /tmp/portail-bench/100000

Each data set goes into a throwaway database (``portail_bench_<n>_<random>`` on
$PORTAIL_TEST_DATABASE_URL's server, default 127.0.0.1:5432), dropped at the end. The
documents are those of ``bench/pg_bench_data.py``, in the current layout (a partition per
demande, its summary and its owner's counters; about 2 KB of answers per demande,
75 % transmitted, 8 téléservices over 36 months), bulk-loaded with COPY over realistic
Tiers: most with 1–10 demandes, a few communes with 500+, one of exactly 600. Operations
go through the real store and index (``PostgresStore``, ``DemandeIndex``), interleaved
between sizes so that the load of a shared machine weighs the same on each. Printed,
never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg
from pg_bench_data import (
    NUMERO_PREFIX,
    TYPICAL_SIZES,
    _wait_for,
    create_draft,
    data_set,
    free_port,
    generate,
    piece_id,
    repository,
    save_draft_step,
    summary,
    transmit,
)

from runtime.storage.index import DemandeIndex
from runtime.storage.pg_index import _values
from runtime.storage.pg_schema import upgrade
from runtime.storage.postgres_store import PostgresStore, dump_document
from runtime.storage.repositories.demandes import numbers_partition

SERVER = os.environ.get("PORTAIL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
COMMUNE_SIZE = 600


def database_url(name: str) -> str:
    base, _, _ = SERVER.rpartition("/")
    return f"{base}/{name}"


def tiers_plan(n: int, rng: random.Random) -> list[tuple[str, int]]:
    """One commune of exactly 600 demandes, four of 500–700 from 100,000 demandes up,
    then Tiers of 1–10 demandes (most 1–3); sums to n."""
    plan = [("commune", min(COMMUNE_SIZE, n // 2))]
    if n >= 100_000:
        plan += [("commune", rng.randint(500, 700)) for _ in range(4)]
    left = n - sum(size for _, size in plan)
    while left > 0:
        size = min(rng.choice(TYPICAL_SIZES), left)
        plan.append(("association", size))
        left -= size
    return plan


class PgDataSet:
    """``n`` demandes in a database of their own, and the operations measured on it."""

    def __init__(self, n: int, ops: int):
        self.n, self.rng = n, random.Random(n)
        self.name = f"portail_bench_{n}_{secrets.token_hex(3)}"
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = database_url(self.name)
        upgrade(self.url)
        start = time.perf_counter()
        self.single, self.commune, self.typical = self._load()
        self.load_s = time.perf_counter() - start
        self.store = PostgresStore(self.url, max_size=4)
        self.index = DemandeIndex(self.store)
        self.repo = repository(self.store)
        self.drafts = [create_draft(self.repo, *self.rng.choice(self.typical)[:2]) for _ in range(2 * ops)]

    def _load(self):
        """COPY the partitions of ``bench/pg_bench_data.py`` (current layout) and the index rows;
        the partition list and the counters by one statement each."""
        single, commune, typical = [], None, []
        loaded = 0
        with psycopg.connect(self.url) as conn, psycopg.connect(self.url) as index_conn:
            index_conn.execute("ALTER TABLE portail_demande_index DISABLE TRIGGER portail_demande_count")
            index_conn.commit()
            with conn.cursor().copy("COPY portail_documents (partition, tbl, id, doc) FROM STDIN") as docs, \
                    index_conn.cursor().copy(
                        "COPY portail_demande_index (id, numero, teleservice, tiers_id, statut, transmitted_at, "
                        "search, row) FROM STDIN") as rows:
                for tiers in data_set(self.n, self.rng, tiers_plan):
                    for name, tables in tiers.partitions.items():
                        for tbl, documents in tables.items():
                            for doc in documents:
                                docs.write_row((name, tbl, doc["id"], dump_document(doc)))
                    for row in tiers.index_rows:
                        rows.write_row(_values(row))
                    entry = (tiers.tiers_id, tiers.name, tiers.demande_ids)
                    size = len(tiers.demande_ids)
                    if tiers.kind == "commune" and size == min(COMMUNE_SIZE, self.n // 2) and commune is None:
                        commune = entry
                    elif tiers.kind == "association":
                        typical.append(entry)
                        if size == 1:
                            single.append(entry)
                    loaded += size
                    if loaded % 100_000 < size:
                        print(f"    {loaded} demandes chargées", flush=True)
            index_conn.commit()
            conn.execute("INSERT INTO portail_partitions (name) SELECT DISTINCT partition FROM portail_documents")
            conn.execute("INSERT INTO portail_demande_counts (teleservice, statut, n) "
                         "SELECT teleservice, statut, count(*) FROM portail_demande_index GROUP BY 1, 2")
            conn.execute("ALTER TABLE portail_demande_index ENABLE TRIGGER portail_demande_count")
            # transmissions of the bench number after every generated demande
            series = f"{NUMERO_PREFIX}-2026"
            conn.execute("INSERT INTO portail_documents (partition, tbl, id, doc) VALUES (%s, 'counters', %s, %s)",
                         (numbers_partition(series), series, json.dumps({"id": series, "value": loaded})))
            conn.execute("INSERT INTO portail_partitions (name) VALUES (%s)", (numbers_partition(series),))
            conn.commit()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        return single, commune, typical

    def close(self) -> None:
        self.store.close()
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    # operations ------------------------------------------------------------
    def draft_single(self) -> None:
        tiers_id, _, ids = self.rng.choice(self.single)
        save_draft_step(self.repo, tiers_id, ids[0], self.rng)

    def draft_typical(self) -> None:
        tiers_id, _, ids = self.rng.choice(self.typical)
        save_draft_step(self.repo, tiers_id, self.rng.choice(ids), self.rng)

    def draft_commune(self) -> None:
        save_draft_step(self.repo, self.commune[0], self.rng.choice(self.commune[2]), self.rng)

    def transmit(self) -> None:
        transmit(self.repo, self.index, *self.drafts.pop())

    def listing(self) -> None:
        self.index.search({"teleservice": "patrimoine", "statut": "en_instruction"})

    def listing_page5(self) -> None:
        self.index.search({"teleservice": "sport"}, page=5)

    def listing_text(self) -> None:
        self.index.search({"teleservice": "culture", "text": "association 12"})


# --- throughput: one gunicorn server, 20 clients, save + transmit ------------------------------------

def throughput(env_extra: dict, targets: list[tuple[str, str]], seconds: float) -> str:
    port = free_port()
    env = {**os.environ, **env_extra}
    server = __import__("subprocess").Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT / "bench"),
         "--log-level", "warning", "pg_save_app:application"],
        env=env, cwd=ROOT,
    )
    try:
        _wait_for(port)
        latencies: list[float] = []
        kinds: Counter = Counter()
        errors = [0]
        stop = time.monotonic() + seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                tiers_id, demande_id = rng.choice(targets)
                path = f"/save/{tiers_id}/{demande_id}" if rng.random() < 0.8 else f"/transmit/{tiers_id}"
                connection = HTTPConnection("127.0.0.1", port, timeout=60)
                start = time.perf_counter()
                connection.request("POST", path)
                status = connection.getresponse().status
                latencies.append((time.perf_counter() - start) * 1000)
                kinds[path.split("/")[1]] += 1
                errors[0] += status != 204
                connection.close()

        clients = [threading.Thread(target=client, args=(i,)) for i in range(20)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        median, p95 = summary(latencies)
        return (f"{len(latencies) / seconds:6.0f} opérations/s ({kinds['save']} enregistrements, "
                f"{kinds['transmit']} transmissions), médiane {median:.1f} ms, p95 {p95:.1f} ms, erreurs {errors[0]}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def side_by_side(n: int, seconds: float) -> None:
    """The same data set (n demandes) on TinyDB and on PostgreSQL, the same load, one after the other."""
    workdir = Path(tempfile.mkdtemp(prefix="pg-bench-"))
    pg = None
    try:
        rng = random.Random(42)
        tiny = generate(workdir / "db", n, rng)
        for path in (workdir / "db").rglob("*.json"):  # steady state: every partition has its .bak
            shutil.copyfile(path, path.with_name(path.name + ".bak"))
        tiny_targets = [(t[0], t[2][0]) for t in tiny["typical"] if t[2]][:2000]
        pg = PgDataSet(n, 0)
        pg_targets = [(t[0], t[2][0]) for t in pg.typical][:2000]
        os.sync()
        print(f"\nDébit, gunicorn 4 workers, 20 clients, {seconds:.0f} s, 80 % enregistrements d'étape / "
              f"20 % création + transmission, {n} demandes :")
        backends = (("TinyDB", {"BENCH_STORE": str(workdir / "db")}, tiny_targets),
                    ("PostgreSQL", {"BENCH_DATABASE_URL": pg.url}, pg_targets))
        for _round in range(3):  # alternated: a shared machine's load falls on both
            for label, env, targets in backends:
                print(f"  {label:<10} {throughput(env, targets, seconds)}", flush=True)
    finally:
        if pg is not None:
            pg.close()
        shutil.rmtree(workdir, ignore_errors=True)


def interleaved(datasets: list[PgDataSet], operations: list[str], rounds: int) -> dict[str, dict[int, tuple]]:
    """Each round times every operation on every data set in turn, so that the load of a
    shared machine weighs the same on every size and every operation."""
    durations = {op: {d.n: [] for d in datasets} for op in operations}
    for _ in range(rounds):
        for op in operations:
            for dataset in datasets:
                start = time.perf_counter()
                getattr(dataset, op)()
                durations[op][dataset.n].append((time.perf_counter() - start) * 1000)
    return {op: {n: summary(values) for n, values in per_size.items()} for op, per_size in durations.items()}


def migrate_figure(n: int, source: Path | None = None) -> None:
    """``portail migrate`` of a TinyDB data folder: ``source`` (read only, e.g. the realistic
    data set of bench/realistic_data.py), else one of n demandes written here, each with a 4 KB
    piece. Two passes: the copy, then a run that finds everything up to date."""
    from runtime.storage.migrate import migrate

    workdir = Path(tempfile.mkdtemp(prefix="pg-bench-migrate-"))
    name = f"portail_bench_migrate_{secrets.token_hex(3)}"
    try:
        if source is None:
            start = time.perf_counter()
            generate(workdir / "db", n, random.Random(7), pieces=True)
            uploads, rng = workdir / "uploads", random.Random(8)
            for number in range(1, n + 1):
                file_id = piece_id(number)
                folder = uploads / file_id[:2]
                folder.mkdir(parents=True, exist_ok=True)
                (folder / file_id).write_bytes(rng.randbytes(4096))
            print(f"\nMigration : {n} demandes et {n} pièces de 4 Ko écrites en {time.perf_counter() - start:.0f} s",
                  flush=True)
            source = workdir
        else:
            print(f"\nMigration de {source}", flush=True)
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        for attempt in ("première passe", "seconde passe (rien à copier)"):
            start = time.perf_counter()
            report = migrate(source, database_url(name), echo=lambda _line: None)
            print(f"  portail migrate, {attempt} : {time.perf_counter() - start:.0f} s ({report.partitions} partitions, "
                  f"{report.documents} documents : {report.copied} copiées, {report.skipped} à jour ; "
                  f"{report.index_rows} lignes d'index ; {report.files} pièces dont {report.files_copied} copiées ; "
                  f"{len(report.mismatches)} écart)", flush=True)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


def _pair(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.2f}/{figures[1]:.2f}"


def store_figures(sizes: list[int], ops: int) -> None:
    """Draft saves, transmissions and listings on a data set of each size, interleaved."""
    datasets: list[PgDataSet] = []
    try:
        for n in sizes:
            print(f"{n} demandes : chargement…", flush=True)
            datasets.append(PgDataSet(n, ops))
            d = datasets[-1]
            with psycopg.connect(d.url) as conn:
                size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
            print(f"{n} demandes : chargées en {d.load_s:.0f} s ({size}), commune de {len(d.commune[2])} demandes, "
                  f"{len(d.single)} Tiers d'une seule demande", flush=True)
        figures = interleaved(datasets, ["draft_single", "draft_typical", "draft_commune", "transmit"], ops)
        figures.update(interleaved(datasets, ["listing", "listing_page5"], 50))
        figures.update(interleaved(datasets, ["listing_text"], 10))
        print("\nms, médiane/p95, mesures entrelacées entre tailles ; liste = 1re page de 50, "
              "téléservice + statut")
        print(f"{'demandes':>10} {'brouillon Tiers 1 dem.':>23} {'Tiers typique':>14} {'commune 600':>12} "
              f"{'transmission':>13} {'liste filtrée':>14} {'page 5':>12} {'texte':>12}")
        for n in sizes:
            f = {k: v[n] for k, v in figures.items()}
            print(f"{n:>10} {_pair(f['draft_single']):>23} {_pair(f['draft_typical']):>14} "
                  f"{_pair(f['draft_commune']):>12} {_pair(f['transmit']):>13} {_pair(f['listing']):>14} "
                  f"{_pair(f['listing_page5']):>12} {_pair(f['listing_text']):>12}")
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            for name in ("draft_typical", "transmit"):
                ratio = figures[name][large][0] / figures[name][small][0]
                print(f"{name} : {large} / {small} = {ratio:.2f}×")
            for n in sizes:
                ratio = figures["draft_commune"][n][0] / figures["draft_single"][n][0]
                print(f"{n} demandes : commune de 600 / Tiers d'une demande = {ratio:.2f}×")
    finally:
        for d in datasets:
            d.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--throughput-size", type=int, default=10_000)
    parser.add_argument("--throughput-seconds", type=float, default=15)
    parser.add_argument("--throughput", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--migrate-size", type=int, default=100_000, help="0: no portail migrate figure")
    parser.add_argument("--migrate-from", type=Path, help="migrate this TinyDB data folder instead (read only)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        store_figures(sizes, args.ops)
    if args.throughput:
        side_by_side(args.throughput_size, args.throughput_seconds)
    if args.migrate_size or args.migrate_from:
        migrate_figure(args.migrate_size, args.migrate_from)


if __name__ == "__main__":
    main()
