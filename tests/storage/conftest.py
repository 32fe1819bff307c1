"""Storage fixtures: every behaviour test runs against both backends."""
from __future__ import annotations

import pytest

from runtime.storage.index import DERIVED_PREFIXES
from runtime.storage.memory import MemoryStore
from runtime.storage.tinydb_store import TinyDBStore


@pytest.fixture(params=["memory", "tinydb"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return TinyDBStore(tmp_path / "db", derived=DERIVED_PREFIXES)  # as open_store makes it


@pytest.fixture
def tinydb_store(tmp_path):
    return TinyDBStore(tmp_path / "db")
