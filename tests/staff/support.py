"""Helpers of the staff tests."""
from __future__ import annotations

from runtime.domain.demandes import index_summary, requested_amount
from runtime.passwords import hash_password
from runtime.storage.index import DemandeIndex
from tests.demandes.support import set_today
from tests.harness import build_app, post_staff_login
from tests.helpers import PASSWORD, csrf_token
from tests.pg_support import suite_store

ANSWERS = {
    "intitule": "Fête de quartier",
    "participants": 120,
    "partenaire": False,
    "raison_sociale": "Les Amis du Panier",
    "contact_email": "camille@exemple.fr",
    "montant_sollicite": "1500.00",
    "devis": {"file_id": "f" * 32, "filename": "devis.pdf", "size": 40, "content_type": "application/pdf"},
}


def make_app(data_dir, clock, specs_dir, store="memory", follow_suite=True):
    """``store="memory"`` follows the suite (PostgreSQL when it runs on it) unless ``follow_suite=False``."""
    set_today(clock)
    return build_app(data_dir, clock, STORE=suite_store(store) if follow_suite else store, SPECS_DIR=str(specs_dir))


def create_staff(services, identifiant, role, teleservices, email=None):
    return services.repos.staff.create({
        "identifiant": identifiant,
        "email": email or f"{identifiant}@ampmetropole.fr",
        "nom": identifiant.replace(".", " ").title(),
        "role": role,
        "teleservices": teleservices,
        "password_hash": hash_password(PASSWORD, services.config),
    })


staff_login = post_staff_login


def file_demande(services, tiers, teleservice="quartier", answers=None, transmitted_at="2026-06-10T09:00:00+00:00",
                 numero=None, status="transmise"):
    """A transmitted demande stored and indexed as the demandes domain does."""
    spec = services.catalog.get(teleservice)
    answers = dict(ANSWERS if answers is None else answers)
    partition = f"tiers/{tiers['id']}"
    numero = numero or services.repos.demandes.next_numero(teleservice.upper(), 2026)
    requested = requested_amount(spec, answers)  # kept at each save (runtime.domain.demandes.refresh_progress)
    demande = services.repos.demandes.create(partition, {
        "montant_demande": None if requested is None else str(requested),
        "teleservice": spec.id,
        "teleservice_title": spec.title,
        "kind": spec.kind,
        "version_key": spec.version_key,
        "tiers_id": tiers["id"],
        "status": status,
        "numero": numero,
        "answers": answers,
        "transmitted_at": transmitted_at,
        "versions": [{"at": transmitted_at, "version_key": spec.version_key, "answers": answers}],
        "history": [],
    })
    DemandeIndex(services.store).upsert({**index_summary(demande, spec), "tiers_name": tiers.get("raison_sociale")})
    return demande


def demande_url(demande):
    return f"/agents/demandes/{demande['tiers_id']}/{demande['id']}"


def post(client, path, data=None, token_from=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client.get(token_from or "/agents/demandes")))
    return client.post(path, data=data, **kwargs)
