"""Demo data for a newcomer, created by ``portail serve`` when the data folder
has no account yet. All demo data lives here (no seeder in domain or web code).

``DEMO_SEEDERS``: functions ``(app, context) -> list[str]`` run in order inside
an application context. ``context["account"]`` is the demo applicant account
document when it was just created (absent otherwise); a seeder may add keys for
the next ones. Each returned line is printed on the console.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask

from .domain.tiers import DEMO_TIERS
from .vocabulary import StaffRole

Seeder = Callable[[Flask, dict[str, Any]], list[str]]

DEMO_IDENTIFIANT = "demo2024"


def seed_demo_account(app: Flask, context: dict[str, Any]) -> list[str]:
    from .passwords import hash_password
    from .services import services

    repos = services().repos
    if repos.accounts.count():
        return []
    password = f"Demo-{secrets.token_hex(4)}{secrets.randbelow(10)}"
    account = repos.accounts.create(
        {
            "civilite": "madame",
            "nom": "Martin",
            "prenom": "Camille",
            "identifiant": DEMO_IDENTIFIANT,
            "email": "camille.martin@exemple.fr",
            "password_hash": hash_password(password, services().config),
            "professionnel": False,
        }
    )
    context["account"] = repos.accounts.activate(account["id"])
    context["account_password"] = password
    return [f"Compte usager de démonstration : identifiant {DEMO_IDENTIFIANT} / mot de passe {password}"]




def seed_demo_tiers(app: Flask, context: dict[str, Any]) -> list[str]:
    """The demo account administers "Association Les Amis du Patrimoine"."""
    from .services import services
    from .storage.repositories.tiers import SiretTaken

    account = context.get("account")
    if not account:
        return []
    try:
        tiers = services().repos.tiers.create_tiers(DEMO_TIERS, account["id"])
    except SiretTaken:
        return []
    context["tiers"] = tiers
    return [(f"Tiers de démonstration : {tiers['raison_sociale']} (SIRET {tiers['siret']}), "
             "administré par le compte de démonstration")]


def seed_demo_staff(app: Flask, context: dict[str, Any]) -> list[str]:
    """An administrateur agent with a random password."""
    from .services import services

    if services().repos.staff.count():
        return []
    _, password = services().staff_accounts.create("admin.metropole", "agent.demo@ampmetropole.fr",
                                                   StaffRole.ADMINISTRATEUR, [], "Agent de démonstration")
    return [f"Agent administrateur de démonstration (/agents/connexion) : admin.metropole / {password}"]


DEMO_SEEDERS: list[Seeder] = [seed_demo_account, seed_demo_tiers, seed_demo_staff]


def seed_demo_data(app: Flask) -> list[str]:
    """Run every demo seeder; return the lines to print."""
    context: dict[str, Any] = {}
    lines: list[str] = []
    with app.app_context():
        for seeder in DEMO_SEEDERS:
            lines.extend(seeder(app, context))
    return lines
