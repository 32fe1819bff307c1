"""Storage: a partitioned document store (TinyDB files or memory) and a file store."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .base import Store


def open_store(config: Mapping[str, Any]) -> Store:
    if config["STORE"] == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    from .tinydb_store import TinyDBStore

    return TinyDBStore(Path(config["DATA_DIR"]) / "db")
