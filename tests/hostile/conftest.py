"""Fixtures of the hostile-input tests: the real portal (shipped specs), cheap hashing,
no registration throttling (these tests register many accounts from one address)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hostile_support import make_tiers, sign_in

from tests.harness import CHEAP_ARGON2, build_app
from tests.helpers import create_account
from tests.pg_support import suite_store

# A day when every shipped téléservice is open (patrimoine: 2026-09-01 → 2027-03-31).
TODAY = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FAST = CHEAP_ARGON2


@pytest.fixture
def app(tmp_path, clock):
    clock.offset = TODAY - datetime.now(UTC)
    return build_app(tmp_path / "data", clock, STORE=suite_store("memory"), THROTTLE_REGISTER=(10_000, 3600),
                     THROTTLE_LOGIN=(10_000, 60), **FAST)


@pytest.fixture
def account(services):
    return create_account(services)


@pytest.fixture
def user(client, account):
    """A logged-in applicant without a Tiers yet."""
    sign_in(client, account)
    return account


@pytest.fixture
def tiers(services, account):
    return make_tiers(services, account)


@pytest.fixture
def member(client, account, tiers):
    """A logged-in applicant acting for its Tiers."""
    sign_in(client, account)
    return account
