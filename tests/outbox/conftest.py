"""Fixtures of the outbox, jobs and operations tests: the demandes tests' app
(téléservice "quartier", fixed date) on the suite's store (PostgreSQL when
PORTAIL_DATABASE_URL is set, else TinyDB, not memory), so that a second app or the
worker can open the same data, as after a crash."""
from __future__ import annotations

import pytest

from tests.demandes.support import account, app, specs_dir, tiers, user  # noqa: F401
from tests.pg_support import SUITE_STORE


@pytest.fixture
def store_name() -> str:
    return SUITE_STORE
