"""A writer process for the concurrency and SIGKILL tests (not a test module).

Usage: python writer.py ROOT PARTITION COUNT TAG   (ROOT: a folder, or a postgresql:// URL)
Inserts COUNT documents (COUNT 0: until killed), printing each id on stdout
only once its transaction has returned, i.e. once the write is acknowledged.
"""
import sys
from itertools import count as forever

from runtime.storage.tinydb_store import TinyDBStore

# These writers test durability, not the request budget: four fsynced writers on one partition of a
# loaded machine may wait longer than a request would (5 s) for their turn, and must not give up.
LOCK_WAIT_SECONDS = 120


def open_store(root: str):
    if root.startswith("postgresql://"):
        from runtime.storage.postgres_store import PostgresStore

        return PostgresStore(root, min_size=1, max_size=2, lock_wait=LOCK_WAIT_SECONDS)
    return TinyDBStore(root, lock_wait=LOCK_WAIT_SECONDS)


def main(root: str, partition: str, total: int, tag: str) -> None:
    store = open_store(root)
    for n in range(total) if total else forever():
        with store.transaction(partition) as part:
            doc_id = part.table("docs").insert({"writer": tag, "n": n, "payload": "x" * 200})
        sys.stdout.write(doc_id + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
