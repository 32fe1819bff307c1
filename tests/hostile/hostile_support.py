"""Helpers of the hostile-input tests (shared by their conftest and test modules)."""
from __future__ import annotations

from tests.helpers import PASSWORD, csrf_token


def sign_in(client, account) -> None:
    token = csrf_token(client.get("/connexion"))
    response = client.post(
        "/connexion", data={"csrf_token": token, "login": account["identifiant"], "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


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
