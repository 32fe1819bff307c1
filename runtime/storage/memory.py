"""In-memory implementation of the store, for fast unit tests."""
from __future__ import annotations

import copy
import threading
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from .base import Document, NotFound, Partition, Store, Table, new_id


class MemoryTable(Table):
    def __init__(self, docs: dict[str, Document]):
        self._docs = docs

    def insert(self, doc: Mapping[str, Any]) -> str:
        doc = copy.deepcopy(dict(doc))
        doc_id = doc.setdefault("id", new_id())
        if doc_id in self._docs:
            raise ValueError(f"id déjà utilisé : {doc_id}")
        self._docs[doc_id] = doc
        return doc_id

    def get(self, doc_id: str) -> Document | None:
        doc = self._docs.get(doc_id)
        return copy.deepcopy(doc) if doc is not None else None

    def all(self) -> list[Document]:
        return [copy.deepcopy(d) for d in self._docs.values()]

    def update(self, doc_id: str, changes: Mapping[str, Any]) -> Document:
        if doc_id not in self._docs:
            raise NotFound(doc_id)
        self._docs[doc_id].update(copy.deepcopy(dict(changes)))
        return copy.deepcopy(self._docs[doc_id])

    def replace(self, doc_id: str, doc: Mapping[str, Any]) -> None:
        if doc_id not in self._docs:
            raise NotFound(doc_id)
        new = copy.deepcopy(dict(doc))
        new["id"] = doc_id
        self._docs[doc_id] = new

    def remove(self, doc_id: str) -> None:
        if self._docs.pop(doc_id, None) is None:
            raise NotFound(doc_id)


class MemoryPartition(Partition):
    def __init__(self, name: str, tables: dict[str, dict[str, Document]]):
        self.name = name
        self._tables = tables

    def table(self, name: str) -> Table:
        return MemoryTable(self._tables.setdefault(name, {}))

    def table_names(self) -> list[str]:
        return sorted(self._tables)


class MemoryStore(Store):
    def __init__(self) -> None:
        self._data: dict[str, dict[str, dict[str, Document]]] = {}
        self._locks: dict[str, threading.RLock] = defaultdict(threading.RLock)
        self._guard = threading.Lock()

    @contextmanager
    def transaction(self, partition: str) -> Iterator[Partition]:
        with self._guard:
            lock = self._locks[partition]
        with lock:
            working = copy.deepcopy(self._data.get(partition, {}))
            yield MemoryPartition(partition, working)
            if any(working.values()) or partition in self._data:
                self._data[partition] = working

    def read(self, partition: str) -> Partition:
        return MemoryPartition(partition, copy.deepcopy(self._data.get(partition, {})))

    def partitions(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(p for p in list(self._data) if p.startswith(prefix)))
