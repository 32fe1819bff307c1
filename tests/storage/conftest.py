"""Storage fixtures: every behaviour test runs against every backend."""
from __future__ import annotations

import pytest

from runtime.storage.index import DERIVED_PREFIXES
from runtime.storage.memory import MemoryStore
from runtime.storage.tinydb_store import TinyDBStore


@pytest.fixture(params=["memory", "tinydb", "postgresql"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    if request.param == "postgresql":
        return request.getfixturevalue("pg_store")
    # as open_store makes it in the test suites: fsync off (behaviours, not durability: that is
    # checked by test_storage_tinydb.py and the fault tests, with fsync on)
    return TinyDBStore(tmp_path / "db", fsync=False, derived=DERIVED_PREFIXES)


@pytest.fixture
def tinydb_store(tmp_path):
    return TinyDBStore(tmp_path / "db")
