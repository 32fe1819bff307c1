"""Fixtures of the cross-cutting security tests: a small world with two Tiers,
their applicants, a pending attachment, a draft and a transmitted demande, and
two agents (an administrator and an instructeur of another téléservice).

Everything is created through the repositories or the real HTTP flow, so the
tests below exercise the routes exactly as a browser would.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from runtime.app import create_app
from runtime.domain.demandes import index_summary
from runtime.passwords import hash_password
from runtime.storage.index import DemandeIndex
from tests.harness import post_staff_login, test_config
from tests.helpers import PASSWORD, create_account, csrf_token
from tests.helpers import login as http_login
from tests.pg_support import suite_store

SIRET = "73282932000074"
OTHER_SIRET = "35600000000048"
TELESERVICE = "fonctionnement-associations"  # families [association], open 2026-10-01 → 2027-01-31
OTHER_TELESERVICE = "patrimoine"
TODAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def app_config(tmp_path, clock, **overrides) -> dict:
    clock.offset = TODAY - datetime.now(UTC)
    return test_config(tmp_path / "data", clock, **{"STORE": suite_store("memory"), **overrides})


@pytest.fixture
def make_app(tmp_path, clock):
    """A dedicated app with some configuration changed (each call its own data folder)."""
    counter = iter(range(1000))

    def factory(**overrides):
        return create_app(app_config(tmp_path / f"app{next(counter)}", clock, **overrides))

    return factory


@pytest.fixture
def app(tmp_path, clock):
    return create_app(app_config(tmp_path, clock))


def create_staff(services, identifiant: str, role: str, teleservices: list[str]) -> dict:
    return services.repos.staff.create(
        {
            "identifiant": identifiant,
            "email": f"{identifiant}@ampmetropole.fr",
            "nom": identifiant.replace(".", " ").title(),
            "role": role,
            "teleservices": teleservices,
            "password_hash": hash_password(PASSWORD, services.config),
        }
    )


staff_login = post_staff_login


def applicant_login(client, account: dict):
    response = http_login(client, account["identifiant"])
    assert response.status_code == 302, "connexion du demandeur impossible"
    return response


def transmitted_demande(services, tiers: dict, teleservice: str = TELESERVICE) -> dict:
    """A transmitted demande stored and indexed as the demandes domain does."""
    spec = services.catalog.get(teleservice)
    at = TODAY.isoformat()
    stored = services.files.save(io.BytesIO(PDF), "statuts.pdf", "application/pdf")
    answers = {"statuts": stored}
    demande = services.repos.demandes.create(
        f"tiers/{tiers['id']}",
        {
            "teleservice": spec.id,
            "teleservice_title": spec.title,
            "kind": spec.kind,
            "version_key": spec.version_key,
            "tiers_id": tiers["id"],
            "status": "transmise",
            "numero": services.repos.demandes.next_numero("SEC", 2026),
            "answers": answers,
            "transmitted_at": at,
            "versions": [{"at": at, "version_key": spec.version_key, "answers": answers}],
            "history": [],
        },
    )
    DemandeIndex(services.store).upsert(
        {**index_summary(demande, spec), "tiers_name": tiers["raison_sociale"]}
    )
    return demande


@dataclass
class World:
    owner: dict  # applicant, administrator of ``tiers``
    outsider: dict  # applicant, administrator of ``other_tiers`` only
    requester: dict  # applicant with a pending attachment request on ``tiers``
    tiers: dict
    other_tiers: dict
    request: dict  # the pending attachment request
    draft: dict  # draft demande of ``tiers`` (started through HTTP)
    filed: dict  # transmitted demande of ``tiers``, with a stored file (answers["statuts"])
    other_filed: dict  # transmitted demande of ``other_tiers``
    admin_staff: dict
    other_instructeur: dict  # instructeur of another téléservice only
    first_page: str


@pytest.fixture
def world(app, services) -> World:
    owner = create_account(services, "camille01", "camille@exemple.fr")
    outsider = create_account(services, "intrus01", "intrus@exemple.fr", prenom="Igor", nom="Intrus")
    requester = create_account(services, "paul0001", "paul@exemple.fr", prenom="Paul", nom="Martin")
    adresse = {"street": "2 rue du Panier", "postcode": "13002", "commune": "Marseille"}
    with app.app_context():
        tiers = services.repos.tiers.create_tiers(
            {
                "siret": SIRET,
                "raison_sociale": "Les Amis du Panier",
                "famille": "association",
                "email": "contact@panier.fr",
                "adresse": adresse,
            },
            owner["id"],
        )
        other = services.repos.tiers.create_tiers(
            {
                "siret": OTHER_SIRET,
                "raison_sociale": "Club Intrus",
                "famille": "association",
                "email": "contact@intrus.fr",
                "adresse": adresse,
            },
            outsider["id"],
        )
        request, _ = services.repos.tiers.request_rattachement(
            tiers["id"], requester["id"], "association", SIRET, None
        )
    filed = transmitted_demande(services, tiers)
    other_filed = transmitted_demande(services, other)
    spec = services.catalog.get(TELESERVICE)
    client = app.test_client()
    applicant_login(client, owner)
    token = csrf_token(client.get("/mon-compte"))
    response = client.post("/demandes/nouvelle", data={"csrf_token": token, "teleservice": TELESERVICE})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    draft_id = response.headers["Location"].split("/demandes/")[1].split("/")[0]
    draft = services.repos.demandes.get(f"tiers/{tiers['id']}", draft_id)
    assert draft is not None
    return World(
        owner=owner,
        outsider=outsider,
        requester=requester,
        tiers=tiers,
        other_tiers=other,
        request=request,
        draft=draft,
        filed=filed,
        other_filed=other_filed,
        admin_staff=create_staff(services, "admin.metropole", "administrateur", []),
        other_instructeur=create_staff(
            services, "instructeur.patrimoine", "instructeur", [OTHER_TELESERVICE]
        ),
        first_page=spec.pages[0].id,
    )


def store_snapshot(store, ignore: tuple[str, ...] = ("throttle",)) -> dict:
    """Every document of the store, by partition and table (for "nothing changed" checks)."""
    snapshot = {}
    for partition in sorted(store.partitions("")):
        if partition.startswith(ignore):
            continue
        part = store.read(partition)
        snapshot[partition] = {
            name: sorted(json.dumps(doc, sort_keys=True) for doc in part.table(name).all())
            for name in part.table_names()
        }
    return snapshot


def upload(name: str = "piece.pdf", data: bytes = PDF):
    return (io.BytesIO(data), name)
