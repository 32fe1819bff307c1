"""The worker processes of the concurrency and SIGKILL tests (not a test module): started
through ``tests.harness.preloaded_processes``, which has imported this module, hence the stores.
"""
from __future__ import annotations

from itertools import count as forever

from runtime.storage.base import LockTimeout
from runtime.storage.postgres_store import PostgresStore
from runtime.storage.tinydb_store import TinyDBStore

# These writers test durability, not the request budget: four fsynced writers on one partition of a
# loaded machine may wait longer than a request would (5 s) for their turn, and must not give up.
LOCK_WAIT_SECONDS = 120


def open_store(root: str):
    """``root``: a folder, or a postgresql:// URL."""
    if root.startswith("postgresql://"):
        return PostgresStore(root, min_size=1, max_size=2, lock_wait=LOCK_WAIT_SECONDS)
    return TinyDBStore(root, lock_wait=LOCK_WAIT_SECONDS)


def write(acknowledgements, root: str, partition: str, total: int, tag: str) -> None:
    """Insert ``total`` documents (0: until killed), sending each id on ``acknowledgements`` only
    once its transaction has returned, i.e. once the write is acknowledged."""
    store = open_store(root)
    for n in range(total) if total else forever():
        with store.transaction(partition) as part:
            doc_id = part.table("docs").insert({"writer": tag, "n": n, "payload": "x" * 200})
        acknowledgements.send_bytes(doc_id.encode())


def nest(root: str, first: str, second: str, ready, go, result) -> None:
    """Hold ``first``, then take ``second`` (the lock-order inversion test); ``result`` gets
    "written" or "timeout"."""
    store = TinyDBStore(root, fsync=False, lock_wait=0.25)
    try:
        with store.transaction(first):
            ready.set()
            go.wait(30)
            with store.transaction(second) as inner:
                inner.table("docs").insert({"by": first})
        result.put("written")
    except LockTimeout:
        result.put("timeout")
