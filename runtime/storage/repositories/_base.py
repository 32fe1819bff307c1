from __future__ import annotations

from ...clock import Clock
from ..base import Store


class BaseRepository:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    def now_iso(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")
