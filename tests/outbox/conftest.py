"""Fixtures of the outbox, jobs and operations tests: the demandes tests' app
(téléservice "quartier", fixed date) on TinyDB, so that a second app or the
worker can open the same data folder, as after a crash."""
from __future__ import annotations

import pytest

from tests.demandes.support import account, app, specs_dir, tiers, user  # noqa: F401


@pytest.fixture
def store_name() -> str:
    return "tinydb"
