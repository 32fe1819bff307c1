"""A tiny WSGI app for the throughput figure of bench/storage_bench.py:
``POST /save/<tiers_id>/<demande_id>`` saves a draft step in the store at $BENCH_STORE."""
from __future__ import annotations

import os
import random

from storage_bench import save_draft_step

from runtime.storage.tinydb_store import TinyDBStore

store = TinyDBStore(os.environ["BENCH_STORE"])


def application(environ, start_response):
    _, action, tiers_id, demande_id = (environ["PATH_INFO"].split("/") + ["", "", ""])[:4]
    if environ["REQUEST_METHOD"] != "POST" or action != "save":
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    save_draft_step(store, tiers_id, demande_id, random.Random())
    start_response("204 No Content", [])
    return [b""]
