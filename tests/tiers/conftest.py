"""Helpers of the Tiers tests: accounts, logged-in clients, a Tiers with its members."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from runtime.mail import Outbox
from tests.harness import build_app, close_store, sign_in, sign_out, store_config
from tests.pg_support import suite_store

SIRET = "73282932000074"
OTHER_SIRET = "35600000000048"


def make_account(services, prenom="Jean", nom="Dupond", civilite="monsieur") -> dict:
    n = secrets.token_hex(4)  # this module is imported twice (conftest and helpers): no shared counter
    account = services.repos.accounts.create({
        "civilite": civilite, "nom": nom, "prenom": prenom, "identifiant": f"compte{n}",
        "email": f"{prenom.lower()}.{nom.lower()}{n}@exemple.fr", "password_hash": "x",
    })
    return services.repos.accounts.activate(account["id"])


login = sign_in
logout = sign_out


def make_tiers(app, services, admin: dict, siret=SIRET, name="Tennis club de Vannes", famille="association"):
    with app.app_context():
        return services.repos.tiers.create_tiers(
            {"siret": siret, "raison_sociale": name, "famille": famille, "email": "contact@tcv.fr"}, admin["id"]
        )


def attach(app, services, tiers: dict, account: dict) -> None:
    repo = services.repos.tiers
    request, _ = repo.request_rattachement(tiers["id"], account["id"], tiers["famille"], tiers["siret"], None)
    admin = next(m for m in repo.members(tiers["id"]) if m["role"] == "admin")
    repo.decide_rattachement(tiers["id"], request["id"], True, "", admin["account_id"])


def outbox(services) -> Outbox:
    return services.mailer.outbox


def csrf_token(client, path: str) -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"pas de jeton CSRF sur {path}"
    return match.group(1)


@dataclass
class World:
    """A Tiers with its administrator, a member, a pending requester, and another Tiers."""

    tiers: dict
    other_tiers: dict
    admin: dict
    member: dict
    requester: dict
    outsider: dict
    request: dict


@pytest.fixture
def world(app, services) -> World:
    admin = make_account(services, "Jean", "Dupond")
    member = make_account(services, "Marie", "Curie", "madame")
    requester = make_account(services, "Paul", "Martin")
    outsider = make_account(services, "Zoé", "Autre", "madame")
    tiers = make_tiers(app, services, admin)
    other = make_tiers(app, services, outsider, OTHER_SIRET, "Commune de Cassis", "commune")
    attach(app, services, tiers, member)
    request, _ = services.repos.tiers.request_rattachement(tiers["id"], requester["id"], "association", SIRET, None)
    return World(tiers, other, admin, member, requester, outsider, request)


def forged_csrf(client, app) -> str:
    """A valid CSRF token for this client's session, whatever pages its role may see."""
    from itsdangerous import URLSafeTimedSerializer

    raw = "jeton-de-test-" + "0" * 26
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def store_name() -> str:
    """The memory store: most of these tests check access rules and pages, not durability (the
    duplicate-SIRET race test runs two processes on TinyDB); the decisions are parametrised
    over every store (``tests.harness.STORES``)."""
    return suite_store("memory")


@pytest.fixture
def app(tmp_path, clock, store_name, request):
    app = build_app(tmp_path / "data", clock, **store_config(request, store_name))
    yield app
    close_store(app)
