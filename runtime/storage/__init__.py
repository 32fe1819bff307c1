"""Storage: a partitioned document store (TinyDB files, PostgreSQL or memory) and a file store."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import LOCK_WAIT_SECONDS, Store


def open_store(config: Mapping[str, Any]) -> Store:
    lock_wait = float(config.get("STORE_LOCK_WAIT_SECONDS", LOCK_WAIT_SECONDS))
    if config["STORE"] == "memory":
        from .memory import MemoryStore

        return MemoryStore(lock_wait=lock_wait)
    if config["STORE"] == "postgresql":
        if not config.get("DATABASE_URL"):
            raise RuntimeError("STORE = \"postgresql\" demande PORTAIL_DATABASE_URL=postgresql://…")
        from .postgres_store import PostgresStore

        return PostgresStore(config["DATABASE_URL"], max_size=int(config.get("DATABASE_POOL_SIZE", 10)),
                             lock_wait=lock_wait)
    from .index import DERIVED_PREFIXES
    from .tinydb_store import TinyDBStore

    # STORE_FSYNC=False is for test suites only: atomic still, but not power-cut proof
    return TinyDBStore(Path(config["DATA_DIR"]) / "db", fsync=config["STORE_FSYNC"], derived=DERIVED_PREFIXES,
                       lock_wait=lock_wait)


def open_file_store(config: Mapping[str, Any], store: Store):
    """Uploaded files: a local folder by default, PostgreSQL beside a PostgreSQL store."""
    if config.get("FILE_STORE") == "postgresql":
        from .pg_files import PgFileStore

        if not hasattr(store, "pool"):
            raise RuntimeError("FILE_STORE = \"postgresql\" demande le stockage PostgreSQL (PORTAIL_DATABASE_URL)")
        return PgFileStore(store)
    from .files import FileStore

    return FileStore(Path(config["DATA_DIR"]) / "uploads", fsync=config.get("STORE_FSYNC", True))
