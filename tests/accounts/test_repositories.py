"""Token and throttle repositories as units, on a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runtime.clock import Clock
from runtime.storage.memory import MemoryStore
from runtime.storage.repositories.accounts import AccountRepository, DuplicateAccount, normalise_email
from runtime.storage.repositories.throttle import ThrottleRepository
from runtime.storage.repositories.tokens import TokenRepository


class FrozenClock(Clock):
    def __init__(self):
        super().__init__()
        self.start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.start + self.offset


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def store():
    return MemoryStore()


def test_token_valid_at_expiry_invalid_one_second_later(store, clock):
    tokens = TokenRepository(store, clock)
    token = tokens.issue("reset", "acc1", timedelta(hours=1))
    assert len(token) >= 43  # 256 bits in URL-safe base64
    clock.advance(hours=1)
    assert tokens.peek("reset", token)["account_id"] == "acc1"
    clock.advance(seconds=1)
    assert tokens.peek("reset", token) is None
    assert tokens.consume("reset", token) is None


def test_token_stored_hashed_and_single_use(store, clock):
    tokens = TokenRepository(store, clock)
    token = tokens.issue("activation", "acc1", timedelta(hours=72))
    stored = store.read("tokens").table("tokens").all()
    assert token not in repr(stored) and len(stored[0]["hash"]) == 64
    assert tokens.consume("reset", token) is None  # another kind
    assert tokens.consume("activation", token, account_id="acc2") is None  # another account
    assert tokens.consume("activation", token)["account_id"] == "acc1"
    assert tokens.consume("activation", token) is None


def test_newer_token_and_revoke(store, clock):
    tokens = TokenRepository(store, clock)
    first = tokens.issue("reset", "acc1", timedelta(hours=1))
    second = tokens.issue("reset", "acc1", timedelta(hours=1))
    other = tokens.issue("reset", "acc2", timedelta(hours=1))
    assert tokens.peek("reset", first) is None and tokens.peek("reset", second)
    tokens.revoke("acc1", ["reset"])
    assert tokens.peek("reset", second) is None and tokens.peek("reset", other)


def test_mark_used_once_until_expiry(store, clock):
    tokens = TokenRepository(store, clock)
    until = clock.now() + timedelta(minutes=30)
    assert tokens.mark_used("captcha:abc", until) is True
    assert tokens.mark_used("captcha:abc", until) is False
    clock.advance(minutes=31)
    assert tokens.mark_used("captcha:xyz", clock.now() + timedelta(minutes=1)) is True
    assert len(store.read("tokens").table("used").all()) == 1  # the expired marker is gone


def test_throttle_window_and_pruning(store, clock):
    throttle = ThrottleRepository(store, clock)
    for _ in range(3):
        throttle.record("login:a", 60)
    assert throttle.retry_after("login:a", 3, 60) == 60
    assert throttle.retry_after("login:a", 4, 60) == 0
    clock.advance(seconds=30)
    assert throttle.retry_after("login:a", 3, 60) == 30
    clock.advance(seconds=31)
    assert throttle.retry_after("login:a", 3, 60) == 0
    throttle.record("login:b", 60)
    assert len(store.read("throttle").table("counters").all()) == 1
    assert "login:b" not in repr(store.read("throttle").table("counters").all())


def test_accounts_unique_identifiant_and_email(store, clock):
    accounts = AccountRepository(store, clock)
    base = {"civilite": "madame", "nom": "M", "prenom": "C", "password_hash": "h"}
    accounts.create({**base, "identifiant": "camille01", "email": "c@exemple.fr"})
    with pytest.raises(DuplicateAccount) as taken:
        accounts.create({**base, "identifiant": "Camille01", "email": "autre@exemple.fr"})
    assert taken.value.field == "identifiant"
    with pytest.raises(DuplicateAccount) as taken:
        accounts.create({**base, "identifiant": "autre0001", "email": " C@EXEMPLE.FR"})
    assert taken.value.field == "email"
    assert normalise_email("  Jean.Dupont@Mairie.FR ") == "Jean.Dupont@mairie.fr"
    assert accounts.by_login("C@exemple.fr")["identifiant"] == "camille01"
