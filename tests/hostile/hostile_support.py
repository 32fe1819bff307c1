"""Helpers of the hostile-input tests (shared by their conftest and test modules)."""
from __future__ import annotations

from tests import harness


def sign_in(client, account) -> None:
    harness.sign_in(client, account, via_form=True)


def make_tiers(services, account, siret="73282932000074", name="Les Amis du Panier", famille="association"):
    return services.repos.tiers.create_tiers(
        {
            "siret": siret,
            "raison_sociale": name,
            "famille": famille,
            "email": f"contact-{siret}@exemple.fr",
            "adresse": {"street": "2 rue du Panier", "postcode": "13002", "commune": "Marseille"},
        },
        account["id"],
    )
