"""A writer process for the concurrency and SIGKILL tests (not a test module).

Usage: python writer.py ROOT PARTITION COUNT TAG
Inserts COUNT documents (COUNT 0: until killed), printing each id on stdout
only once its transaction has returned, i.e. once the write is acknowledged.
"""
import sys
from itertools import count as forever

from runtime.storage.tinydb_store import TinyDBStore


def main(root: str, partition: str, total: int, tag: str) -> None:
    store = TinyDBStore(root)
    for n in range(total) if total else forever():
        with store.transaction(partition) as part:
            doc_id = part.table("docs").insert({"writer": tag, "n": n, "payload": "x" * 200})
        sys.stdout.write(doc_id + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
