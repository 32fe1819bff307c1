"""Password policy and hashing as units; demo data."""

from __future__ import annotations

import re

import pytest

from runtime.config import DEFAULTS
from runtime.demo import DEMO_SEEDERS, seed_demo_data
from runtime.passwords import character_kinds, hash_password, password_error, password_rule, verify_password
from tests.helpers import login

KINDS = (
    "Le mot de passe doit contenir au moins 3 des 4 types de caractères suivants : "
    "majuscule, minuscule, chiffre, caractère spécial."
)


def test_rule_text_comes_from_configuration():
    assert password_rule(DEFAULTS) == (
        "Entre 10 et 20 caractères, avec au moins 3 des 4 types suivants : "
        "majuscule, minuscule, chiffre, caractère spécial."
    )
    assert password_rule({**DEFAULTS, "PASSWORD_MIN_LENGTH": 12}).startswith("Entre 12 et 20 caractères")


@pytest.mark.parametrize(
    "password, expected",
    [
        ("Abcdefgh1!", None),
        ("abcdefgh1!", None),
        ("ABCDEFGH1!", None),
        ("Abcdefghij", KINDS),
        ("Éléphant 1", None),
        ("éléphant1x", KINDS),
        ("          ", KINDS),
        ("Abcdefgh1", "Le mot de passe doit contenir au moins 10 caractères."),
        ("A" * 10 + "b" * 10 + "1", "Le mot de passe doit contenir au plus 20 caractères."),
        ("", "Saisissez un mot de passe."),
    ],
)
def test_password_policy_unit(password, expected):
    assert password_error(password, DEFAULTS) == expected


def test_character_kinds_unicode():
    assert character_kinds("éÉ1 ") == {"minuscule", "majuscule", "chiffre", "caractère spécial"}
    assert character_kinds("ß") == {"minuscule"}


def test_hash_is_argon2id_and_verifies():
    config = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}
    stored = hash_password("Motdepasse1!", config)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Motdepasse1!", config)
    assert not verify_password(stored, "Motdepasse1! ", config)
    assert not verify_password("pas un hash", "x", config)
    assert not verify_password(None, "x", config)


def test_production_hashes_with_the_recommended_argon2id_parameters():
    """The suite hashes with cheap parameters (tests/harness.py); production keeps the costly
    ones (64 MiB, 3 passes, 4 lanes), and a hash records them."""
    stored = hash_password("Motdepasse1!", DEFAULTS)
    assert (DEFAULTS["ARGON2_MEMORY_COST"], DEFAULTS["ARGON2_TIME_COST"], DEFAULTS["ARGON2_PARALLELISM"]) == (
        65536, 3, 4)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(stored, "Motdepasse1!", DEFAULTS)


def test_demo_account_is_created_once_and_can_log_in(app, services):
    lines = seed_demo_data(app)
    assert DEMO_SEEDERS[0].__name__ == "seed_demo_account"
    match = re.search(r"Compte usager de démonstration : identifiant (\S+) / mot de passe (\S+)", lines[0])
    assert match
    assert password_error(match.group(2), services.config) is None
    assert login(app.test_client(), match.group(1), match.group(2)).status_code == 302
    assert not any("Compte usager" in line for line in seed_demo_data(app))


def test_other_domains_can_add_demo_seeders(app, monkeypatch):
    seen = {}

    def seeder(app, context):
        seen.update(context)
        return ["Tiers de démonstration : ASSOCIATION DÉMO"]

    monkeypatch.setattr("runtime.demo.DEMO_SEEDERS", [*DEMO_SEEDERS, seeder])
    lines = seed_demo_data(app)
    assert lines[-1] == "Tiers de démonstration : ASSOCIATION DÉMO"
    assert seen["account"]["identifiant"] == "demo2024"
