"""TinyDB-backed partitioned store: one TinyDB JSON file per partition.

Partition ``tiers/abc`` lives in ``<root>/tiers/abc.json`` (a plain TinyDB
database: ``{table: {doc_id: doc}}``, our string ids as TinyDB document ids),
with its previous version in ``abc.json.bak`` and its lock in ``abc.lock``.

TinyDB itself is neither thread- nor process-safe and rewrites the whole file
on every change; so TinyDB only works here on data we read under the lock
(``_PartitionStorage``), and the transaction writes the file once, atomically,
at the end. See docs/storage.md.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document as TinyDocument
from tinydb.table import Table as TinyTable

from .base import (
    LOCK_WAIT_SECONDS,
    PARTITION_NAME,
    CorruptPartition,
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
from .durable import replace_atomically

SUFFIX = ".json"


class _PartitionStorage(Storage):
    """TinyDB storage over data already read under the partition lock.

    TinyDB calls ``write`` after every change; we keep the data in memory and
    note the change, so the transaction makes one atomic write at the end.
    """

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.changed = False

    def read(self) -> dict[str, Any]:
        return self.data

    def write(self, data: dict[str, Any]) -> None:
        self.data = data
        self.changed = True

    def close(self) -> None:
        pass


class _StringIdTable(TinyTable):
    """Documents keyed by our string ids (``new_id()``), not TinyDB's counters."""

    document_id_class = str

    def _get_next_id(self) -> str:
        return new_id()


class _PartitionDB(TinyDB):
    table_class = _StringIdTable


class TinyDBTable(Table):
    def __init__(self, table: TinyTable, copy_out: Callable[[Document], Document] = clone):
        self._table = table
        self._out = copy_out

    def insert(self, doc: Mapping[str, Any]) -> str:
        doc = clone(dict(doc))
        doc_id = doc.setdefault("id", new_id())
        if self._table.contains(doc_id=doc_id):
            raise DuplicateId(doc_id)
        self._table.insert(TinyDocument(doc, doc_id=doc_id))
        return doc_id

    def get(self, doc_id: str) -> Document | None:
        doc = self._table.get(doc_id=doc_id)
        return self._out(dict(doc)) if doc is not None else None

    def all(self) -> list[Document]:
        return [self._out(dict(d)) for d in self._table]

    def update(self, doc_id: str, changes: Mapping[str, Any]) -> Document:
        self._require(doc_id)
        self._table.update(clone(dict(changes)), doc_ids=[doc_id])
        return self.get(doc_id)

    def replace(self, doc_id: str, doc: Mapping[str, Any]) -> None:
        self._require(doc_id)
        new = clone(dict(doc))
        new["id"] = doc_id

        def swap(stored: dict) -> None:  # in place, so the document keeps its position
            stored.clear()
            stored.update(new)

        self._table.update(swap, doc_ids=[doc_id])

    def remove(self, doc_id: str) -> None:
        self._require(doc_id)
        self._table.remove(doc_ids=[doc_id])

    def find(self, predicate: Callable[[Document], bool] | None = None, **equals: Any) -> list[Document]:
        def matches(d: Mapping[str, Any]) -> bool:
            return all(d.get(k) == v for k, v in equals.items()) and (predicate is None or predicate(d))

        return [self._out(dict(d)) for d in self._table.search(matches)]

    def _require(self, doc_id: str) -> None:
        if not self._table.contains(doc_id=doc_id):
            raise NotFound(doc_id)


class TinyDBPartition(Partition):
    def __init__(self, name: str, data: dict[str, Any], snapshot: bool = False):
        self.name = name
        self.storage = _PartitionStorage(data)
        self._db = _PartitionDB(storage=lambda: self.storage)
        # a snapshot is parsed afresh for its caller alone: its documents need no deep copy
        self._copy_out = _identity if snapshot else clone

    def table(self, name: str) -> Table:
        # cache_size=0: no query cache can outlive a change made through another path
        return TinyDBTable(self._db.table(name, cache_size=0), self._copy_out)

    def table_names(self) -> list[str]:
        return sorted(name for name, docs in self.storage.data.items() if docs)

    def has_documents(self) -> bool:
        return any(self.storage.data.values())


class TinyDBStore(Store):
    """Partitioned TinyDB files under ``root``; safe across threads and processes."""

    def __init__(self, root: str | os.PathLike[str], fsync: bool = True, derived: tuple[str, ...] = (),
                 lock_wait: float = LOCK_WAIT_SECONDS):
        self.root = Path(root)
        self.fsync = fsync
        self.lock_wait = lock_wait
        # Partitions under these prefixes hold data rebuilt from others (`portail index
        # rebuild`): written atomically, without the fsyncs (a power cut may lose their last
        # writes, never corrupt them).
        self.derived = derived
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.RLock] = defaultdict(threading.RLock)
        self._guard = threading.Lock()
        self._local = threading.local()

    def path(self, partition: str) -> Path:
        return self.root / (check_partition_name(partition) + SUFFIX)

    @contextmanager
    def transaction(self, partition: str) -> Iterator[Partition]:
        path = self.path(partition)
        active = self._active()
        if partition in active:  # nested in the same thread: one transaction, written at the outer exit
            yield active[partition]
            return
        deadline = time.monotonic() + self.lock_wait
        with _thread_lock(self._thread_lock(partition), partition, deadline), \
                _process_lock(path, partition, deadline):
            raw = _read_bytes(path)
            part = TinyDBPartition(partition, _parse(partition, path, raw))
            active[partition] = part
            try:
                yield part
            finally:
                del active[partition]
            self._commit(path, raw, part, fsync=self.fsync and not partition.startswith(self.derived or ("\0",)))

    def read(self, partition: str) -> Partition:
        path = self.path(partition)
        return TinyDBPartition(partition, _parse(partition, path, _read_bytes(path)), snapshot=True)

    def tables(self, partition: str) -> dict[str, list[Document]]:
        """The partition's non-empty tables, documents in stored order, parsed once without
        TinyDB objects (bulk readers: ``portail migrate``); a damaged file raises ``CorruptPartition``."""
        path = self.path(partition)
        data = _parse(partition, path, _read_bytes(path))
        return {name: list(docs.values()) for name, docs in data.items() if docs}

    def partitions(self, prefix: str = "") -> Iterator[str]:
        folder_part = prefix.rpartition("/")[0]
        if folder_part and not PARTITION_NAME.fullmatch(folder_part):
            return iter(())  # cannot name a partition, and must not walk outside the root
        start = self.root / folder_part
        found = []
        for folder, _dirs, names in os.walk(start):
            relative = Path(folder).relative_to(self.root).as_posix()
            for file_name in names:
                if not file_name.endswith(SUFFIX):
                    continue
                name = file_name[: -len(SUFFIX)]
                name = name if relative == "." else f"{relative}/{name}"
                if name.startswith(prefix) and PARTITION_NAME.fullmatch(name):
                    found.append(name)
        return iter(sorted(found))

    def check(self) -> list[CorruptPartition]:
        problems = []
        for name in self.partitions():
            try:
                self.read(name)
            except CorruptPartition as problem:
                problems.append(problem)
        return problems

    def _commit(self, path: Path, raw: bytes | None, part: TinyDBPartition, fsync: bool = True) -> None:
        if not part.storage.changed or (raw is None and not part.has_documents()):
            return
        payload = dump_partition(part.storage.data)
        if payload != raw:
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, payload, backup=True, fsync=fsync)

    def _thread_lock(self, partition: str) -> threading.RLock:
        with self._guard:
            return self._locks[partition]

    def _active(self) -> dict[str, TinyDBPartition]:
        if not hasattr(self._local, "partitions"):
            self._local.partitions = {}
        return self._local.partitions


def _identity(doc: Document) -> Document:
    return doc


@contextmanager
def _thread_lock(lock: threading.RLock, partition: str, deadline: float) -> Iterator[None]:
    """The partition's lock among the threads of this process, waited for until ``deadline``."""
    if not lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
        raise LockTimeout(partition)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _process_lock(path: Path, partition: str, deadline: float) -> Iterator[None]:
    """An exclusive ``flock`` on ``<name>.lock`` beside the partition file, waited for until
    ``deadline`` (``flock`` itself cannot time out: non-blocking attempts, a few ms apart)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(partition) from None
                time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
                pause = min(pause * 2, 0.02)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


# As strict as ``json.dumps``: a datetime or a dataclass put in a document by mistake is refused,
# never written in a format of orjson's choosing; int keys become strings, as json writes them.
DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dump_partition(data: Mapping[str, Any]) -> bytes:
    """A partition's tables as compact UTF-8 JSON (orjson: 2 to 5 times faster than json, which
    every request pays on the partitions it writes and reads)."""
    return orjson.dumps(data, default=_refuse, option=DUMP_OPTIONS)


def _parse(partition: str, path: Path, raw: bytes | None) -> dict[str, Any]:
    """The partition's tables; a missing file is empty, a damaged one is refused."""
    if raw is None:
        return {}
    if not raw.strip():
        raise CorruptPartition(partition, str(path), "fichier vide")
    try:
        data = orjson.loads(raw)
    except ValueError as error:
        raise CorruptPartition(partition, str(path), f"JSON invalide : {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values())
        for table in data.values()
    ):
        raise CorruptPartition(partition, str(path), "structure inattendue")
    return data
