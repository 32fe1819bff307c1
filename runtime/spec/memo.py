"""Values kept within a process by key, the oldest dropped past a limit.

Parsed specs and shared lists (keyed by their text) and computed values (keyed by a
version and the answers) are rebuilt from the same input many times: every app
instance, every reload, every validation of a page. Thread-safe for the gthread and
test servers; a value is a pure function of its key, so two threads building the same
one at once is harmless."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedMemo(Generic[V]):
    def __init__(self, limit: int):
        self._limit = limit
        self._values: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        value = self._values.get(key)
        if value is None:
            value = build()
            with self._lock:
                if len(self._values) >= self._limit:
                    self._values.pop(next(iter(self._values)), None)
                self._values[key] = value
        return value
