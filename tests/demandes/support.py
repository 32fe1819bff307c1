"""Fixtures and helpers of the demandes and espace tests.

The app of these tests serves a small téléservice of their own
(``tests/demandes/specs``) and the shipped Tiers specs, on a fixed date.
"""
from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runtime import ROOT
from tests.harness import build_app, close_store, sign_in, store_config
from tests.helpers import csrf_token, page_text
from tests.pg_support import suite_store

SPECS = Path(__file__).parent / "specs"
SIRET = "73282932000074"
OTHER_SIRET = "35600000000048"
TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def set_today(clock, moment: datetime = TODAY) -> None:
    clock.offset = moment - datetime.now(UTC)


@pytest.fixture
def specs_dir(tmp_path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    shutil.copytree(ROOT / "specs" / "tiers", target / "tiers")
    return target


@pytest.fixture
def store_name() -> str:
    """The memory store keeps these tests fast (PostgreSQL when the suite runs on it);
    tests parametrise it to "tinydb"."""
    return suite_store("memory")


@pytest.fixture
def app(tmp_path, clock, specs_dir, store_name, request):
    set_today(clock)
    app = build_app(tmp_path / "data", clock, SPECS_DIR=str(specs_dir), **store_config(request, store_name))
    yield app
    close_store(app)


def make_tiers(services, account, siret=SIRET, name="Les Amis du Panier", famille="association", **extra):
    return services.repos.tiers.create_tiers(
        {
            "siret": siret,
            "raison_sociale": name,
            "famille": famille,
            "email": f"contact-{siret}@exemple.fr",
            "adresse": {"street": "2 rue du Panier", "postcode": "13002", "commune": "Marseille"},
            **extra,
        },
        account["id"],
    )


def quick_account(services, identifiant="camille01", email="camille@exemple.fr") -> dict:
    """An active account without a real password (log it in with ``sign_in``)."""
    account = services.repos.accounts.create(
        {"civilite": "madame", "nom": "Martin", "prenom": "Camille", "identifiant": identifiant,
         "email": email, "password_hash": "x"}
    )
    return services.repos.accounts.activate(account["id"])




@pytest.fixture
def account(services):
    return quick_account(services)


@pytest.fixture
def tiers(services, account):
    return make_tiers(services, account)


@pytest.fixture
def user(client, account, tiers):
    """A logged-in applicant acting for its Tiers."""
    sign_in(client, account)
    return account


def post_form(client, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST with the CSRF token of ``token_from`` (default: the page itself)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client.get(token_from or "/espace/")))
    return client.post(path, data=data, **kwargs)


def start(client, teleservice="quartier", force=False) -> str:
    """Start a demande; returns its id."""
    data = {"teleservice": teleservice}
    if force:
        data["force"] = "1"
    response = post_form(client, "/demandes/nouvelle", data)
    assert response.status_code == 302, page_text(response)
    match = re.search(r"/demandes/([^/]+)/etape/", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def step_url(demande_id: str, page_id: str) -> str:
    return f"/demandes/{demande_id}/etape/{page_id}"


def save_step(client, demande_id, page_id, data, action="next", **kwargs):
    return post_form(client, step_url(demande_id, page_id), {**data, "action": action}, **kwargs)


def pdf_upload(content: bytes = PDF, name: str = "devis.pdf"):
    return (io.BytesIO(content), name)


VALID = {
    "projet": {"intitule": "Fête de quartier", "participants": "120", "partenaire": "false"},
    "structure": {"contact_email": "camille@exemple.fr"},
    "budget": {"montant_sollicite": "1500"},
}


def fill_valid(client, demande_id) -> None:
    """Answer every page of the quartier téléservice, devis included."""
    for page_id, data in VALID.items():
        response = save_step(client, demande_id, page_id, data)
        assert response.status_code == 302, page_text(response)
    response = save_step(client, demande_id, "pieces", {"devis": pdf_upload()},
                         content_type="multipart/form-data")
    assert response.status_code == 302, page_text(response)


def transmit(client, demande_id, attestation=True):
    data = {"attestation": "oui"} if attestation else {}
    return post_form(client, f"/demandes/{demande_id}/transmettre", data,
                     token_from=f"/demandes/{demande_id}/recapitulatif")


def stored(services, tiers, demande_id):
    return services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)


def text_of(response) -> str:
    """The page's text without tags, whitespace collapsed (what a reader sees)."""
    html = page_text(response)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
