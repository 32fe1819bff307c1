"""Storage fixtures: every behaviour test runs against both backends."""
from __future__ import annotations

import pytest

from runtime.storage.memory import MemoryStore
from runtime.storage.tinydb_store import TinyDBStore


@pytest.fixture(params=["memory", "tinydb"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return TinyDBStore(tmp_path / "db")


@pytest.fixture
def tinydb_store(tmp_path):
    return TinyDBStore(tmp_path / "db")
