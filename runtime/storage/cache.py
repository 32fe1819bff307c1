"""One read per partition per request: a ``Store`` wrapper with a read cache.

``CachedStore(store)`` behaves exactly like ``store``; inside ``read_scope()``
(the web layer opens one per request) a ``read()`` of a partition already
read in that scope is answered from memory instead of reading and parsing
the file again. A transaction on a partition drops its cached copy, before
and after, so a request always reads what it has just written.

The documents of a ``read()`` snapshot are shared by the readers of one
request (copying them out cost more than parsing the file): as the
``Store`` interface says, a snapshot is read-only; copy a document before
changing it.

Outside a scope (command line, background work) every ``read()`` goes to
the store, as before.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .base import CorruptPartition, Partition, Store

_scope: ContextVar[dict[str, Partition] | None] = ContextVar("portail_read_cache", default=None)


def begin_scope() -> Any:
    """Start caching reads in this context; returns the token for ``end_scope``."""
    return _scope.set({})


def end_scope(token: Any) -> None:
    try:
        _scope.reset(token)
    except ValueError:  # token made in another context (streamed response): just stop caching
        _scope.set(None)


@contextmanager
def read_scope() -> Iterator[None]:
    token = begin_scope()
    try:
        yield
    finally:
        end_scope(token)


class CachedStore(Store):
    def __init__(self, inner: Store):
        self.inner = inner

    def __getattr__(self, name: str) -> Any:  # root, path, fsync... of the wrapped store
        return getattr(self.inner, name)

    def before_fork(self) -> None:
        self.inner.before_fork()

    def after_fork(self) -> None:
        self.inner.after_fork()

    @property
    def lock_wait(self) -> float:  # type: ignore[override]
        return self.inner.lock_wait

    @lock_wait.setter
    def lock_wait(self, seconds: float) -> None:
        self.inner.lock_wait = seconds

    @contextmanager
    def transaction(self, partition: str) -> Iterator[Partition]:
        cache = _scope.get()
        if cache is not None:
            cache.pop(partition, None)
        try:
            with self.inner.transaction(partition) as part:
                yield part
        finally:
            if cache is not None:
                cache.pop(partition, None)

    def read(self, partition: str) -> Partition:
        cache = _scope.get()
        if cache is None:
            return self.inner.read(partition)
        snapshot = cache.get(partition)
        if snapshot is None:
            snapshot = self.inner.read(partition)  # CorruptPartition propagates, nothing cached
            cache[partition] = snapshot
        return snapshot

    def partitions(self, prefix: str = "") -> Iterator[str]:
        return self.inner.partitions(prefix)

    def check(self) -> list[CorruptPartition]:
        return self.inner.check()


@contextmanager
def uncached_reads() -> Iterator[None]:
    """Reads inside the block go to the store, even within a request's scope
    (an export reads every shard and demande once: keeping them would hold
    them all in memory)."""
    token = _scope.set(None)
    try:
        yield
    finally:
        end_scope(token)


def uncached(store: Store) -> Store:
    """The store without the request cache: for work that reads many partitions
    once each (an export), which must not keep them all in memory."""
    return store.inner if isinstance(store, CachedStore) else store


__all__ = ["CachedStore", "begin_scope", "end_scope", "read_scope", "uncached", "uncached_reads"]
