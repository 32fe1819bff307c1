"""Storage: a partitioned document store (TinyDB files or memory) and a file store."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Store


def open_store(config: Mapping[str, Any]) -> Store:
    if config["STORE"] == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    from .tinydb_store import TinyDBStore

    # STORE_FSYNC=False is for test suites only: atomic still, but not power-cut proof
    from .index import DERIVED_PREFIXES

    return TinyDBStore(Path(config["DATA_DIR"]) / "db", fsync=config["STORE_FSYNC"], derived=DERIVED_PREFIXES)
