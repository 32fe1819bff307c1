"""In-memory implementation of the store, for fast unit tests.

It behaves like ``TinyDBStore`` in every observable way (same errors, same
rollback, same reentrant transactions), which ``tests/storage`` checks by
running every behaviour test against both.

A stored document is never changed in place: a write stores a new copy. So a
read or a transaction starts from shallow copies of the partition's tables
(its own dicts, the documents shared) and copies only the documents it
returns, instead of the whole partition.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .base import (
    LOCK_WAIT_SECONDS,
    Document,
    DuplicateId,
    LockTimeout,
    NotFound,
    Partition,
    Store,
    Table,
    check_partition_name,
    clone,
    new_id,
)


class MemoryTable(Table):
    def __init__(self, docs: dict[str, Document]):
        self._docs = docs

    def insert(self, doc: Mapping[str, Any]) -> str:
        doc = clone(dict(doc))
        doc_id = doc.setdefault("id", new_id())
        if doc_id in self._docs:
            raise DuplicateId(doc_id)
        self._docs[doc_id] = doc
        return doc_id

    def get(self, doc_id: str) -> Document | None:
        doc = self._docs.get(doc_id)
        return clone(doc) if doc is not None else None

    def all(self) -> list[Document]:
        return [clone(d) for d in self._docs.values()]

    def update(self, doc_id: str, changes: Mapping[str, Any]) -> Document:
        if doc_id not in self._docs:
            raise NotFound(doc_id)
        self._docs[doc_id] = {**clone(self._docs[doc_id]), **clone(dict(changes))}
        return clone(self._docs[doc_id])

    def replace(self, doc_id: str, doc: Mapping[str, Any]) -> None:
        if doc_id not in self._docs:
            raise NotFound(doc_id)
        new = clone(dict(doc))
        new["id"] = doc_id
        self._docs[doc_id] = new

    def remove(self, doc_id: str) -> None:
        if self._docs.pop(doc_id, None) is None:
            raise NotFound(doc_id)

    def find(self, predicate: Callable[[Document], bool] | None = None, **equals: Any) -> list[Document]:
        return [
            clone(d)
            for d in self._docs.values()
            if all(d.get(k) == v for k, v in equals.items()) and (predicate is None or predicate(d))
        ]


class MemoryPartition(Partition):
    def __init__(self, name: str, tables: dict[str, dict[str, Document]]):
        self.name = name
        self._tables = tables

    def table(self, name: str) -> Table:
        return MemoryTable(self._tables.setdefault(name, {}))

    def table_names(self) -> list[str]:
        return sorted(name for name, docs in self._tables.items() if docs)


class MemoryStore(Store):
    def __init__(self, lock_wait: float = LOCK_WAIT_SECONDS) -> None:
        self.lock_wait = lock_wait
        self._data: dict[str, dict[str, dict[str, Document]]] = {}
        self._locks: dict[str, threading.RLock] = defaultdict(threading.RLock)
        self._guard = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def transaction(self, partition: str) -> Iterator[Partition]:
        check_partition_name(partition)
        active = self._active()
        if partition in active:  # nested in the same thread: one transaction
            yield active[partition]
            return
        with self._guard:
            lock = self._locks[partition]
        if not lock.acquire(timeout=self.lock_wait):
            raise LockTimeout(partition)
        try:
            working = _tables_of(self._data.get(partition, {}))
            active[partition] = MemoryPartition(partition, working)
            try:
                yield active[partition]
            finally:
                del active[partition]
            if any(working.values()) or partition in self._data:
                self._data[partition] = working
        finally:
            lock.release()

    def read(self, partition: str) -> Partition:
        check_partition_name(partition)
        return MemoryPartition(partition, _tables_of(self._data.get(partition, {})))

    def partitions(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(p for p in list(self._data) if p.startswith(prefix)))

    def _active(self) -> dict[str, MemoryPartition]:
        if not hasattr(self._local, "partitions"):
            self._local.partitions = {}
        return self._local.partitions


def _tables_of(stored: dict[str, dict[str, Document]]) -> dict[str, dict[str, Document]]:
    """The partition's tables as dicts of their own, sharing the (never changed) documents."""
    return {name: dict(docs) for name, docs in stored.items()}
