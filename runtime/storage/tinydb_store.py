"""TinyDB-backed partitioned store (owner: storage domain)."""
from __future__ import annotations

from .memory import MemoryStore


class TinyDBStore(MemoryStore):  # placeholder until the storage domain lands
    def __init__(self, root):
        super().__init__()
        self.root = root
