"""Password hashing (argon2id) and the password policy of the user guide.

Shared by applicant accounts and staff accounts. The policy numbers come from
the configuration (``PASSWORD_MIN_LENGTH``, ``PASSWORD_MAX_LENGTH``,
``PASSWORD_MIN_KINDS``); the same rule is checked live in the browser by
``static/js/portail/accounts.js`` (reading them from ``data-*`` attributes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

KIND_NAMES = ("majuscule", "minuscule", "chiffre", "caractère spécial")
_hashers: dict[tuple[int, int, int], PasswordHasher] = {}


def character_kinds(password: str) -> set[str]:
    """Kinds of characters present; any Unicode letter counts (é is lower case)."""
    kinds = set()
    for char in password:
        if char.isupper():
            kinds.add("majuscule")
        elif char.islower():
            kinds.add("minuscule")
        elif char.isdigit():
            kinds.add("chiffre")
        else:
            kinds.add("caractère spécial")
    return kinds


def password_rule(config: Mapping[str, Any]) -> str:
    """The rule as stated under every new-password field."""
    return (
        f"Entre {config['PASSWORD_MIN_LENGTH']} et {config['PASSWORD_MAX_LENGTH']} caractères, "
        f"avec au moins {config['PASSWORD_MIN_KINDS']} des 4 types suivants : "
        "majuscule, minuscule, chiffre, caractère spécial."
    )


def password_error(password: str, config: Mapping[str, Any]) -> str | None:
    """The French message for the first rule the password breaks, or None."""
    if not password:
        return "Saisissez un mot de passe."
    if len(password) < config["PASSWORD_MIN_LENGTH"]:
        return f"Le mot de passe doit contenir au moins {config['PASSWORD_MIN_LENGTH']} caractères."
    if len(password) > config["PASSWORD_MAX_LENGTH"]:
        return f"Le mot de passe doit contenir au plus {config['PASSWORD_MAX_LENGTH']} caractères."
    if len(character_kinds(password)) < config["PASSWORD_MIN_KINDS"]:
        return (
            f"Le mot de passe doit contenir au moins {config['PASSWORD_MIN_KINDS']} des 4 types "
            "de caractères suivants : majuscule, minuscule, chiffre, caractère spécial."
        )
    return None


def hasher(config: Mapping[str, Any]) -> PasswordHasher:
    """The argon2id hasher for the configured parameters (argon2-cffi defaults otherwise)."""
    defaults = PasswordHasher()
    params = (
        int(config.get("ARGON2_TIME_COST", defaults.time_cost)),
        int(config.get("ARGON2_MEMORY_COST", defaults.memory_cost)),
        int(config.get("ARGON2_PARALLELISM", defaults.parallelism)),
    )
    if params not in _hashers:
        _hashers[params] = PasswordHasher(time_cost=params[0], memory_cost=params[1], parallelism=params[2])
    return _hashers[params]


def hash_password(password: str, config: Mapping[str, Any]) -> str:
    return hasher(config).hash(password)


def verify_password(password_hash: str | None, password: str, config: Mapping[str, Any]) -> bool:
    if not password_hash:
        return False
    try:
        return hasher(config).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, config: Mapping[str, Any]) -> bool:
    return hasher(config).check_needs_rehash(password_hash)


def burn_time(password: str, config: Mapping[str, Any]) -> None:
    """Spend the time of one verification, so an unknown login answers as slowly as a known one."""
    verify_password(_dummy_hash(config), password, config)


_dummy_hashes: dict[int, str] = {}


def _dummy_hash(config: Mapping[str, Any]) -> str:
    key = id(hasher(config))
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher(config).hash("mot-de-passe-factice")
    return _dummy_hashes[key]
