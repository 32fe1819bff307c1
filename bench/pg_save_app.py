"""A tiny WSGI app for the throughput figures of bench/postgres_bench.py:
``POST /save/<tiers_id>/<demande_id>`` saves a draft step, ``POST /transmit/<tiers_id>`` creates a
draft and transmits it (numero, status, summary, index row) through the real demandes repository, in the store at $BENCH_STORE (a TinyDB folder)
or $BENCH_DATABASE_URL (PostgreSQL)."""
from __future__ import annotations

import os
import random

from pg_bench_data import create_draft, repository, save_draft_step, transmit

from runtime.storage.index import DemandeIndex
from runtime.storage.tinydb_store import TinyDBStore

if os.environ.get("BENCH_DATABASE_URL"):
    from runtime.storage.postgres_store import PostgresStore

    store = PostgresStore(os.environ["BENCH_DATABASE_URL"], max_size=4)
else:
    store = TinyDBStore(os.environ["BENCH_STORE"])
index = DemandeIndex(store)
repo = repository(store)


def application(environ, start_response):
    _, action, tiers_id, demande_id = (environ["PATH_INFO"].split("/") + ["", "", ""])[:4]
    if environ["REQUEST_METHOD"] != "POST" or action not in ("save", "transmit"):
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    if action == "save":
        save_draft_step(repo, tiers_id, demande_id, random.Random())
    else:
        transmit(repo, index, *create_draft(repo, tiers_id, "Association"))
    start_response("204 No Content", [])
    return [b""]
