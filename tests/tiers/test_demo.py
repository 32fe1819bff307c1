"""The demo Tiers administered by the demo account."""
from __future__ import annotations

from runtime.demo import DEMO_SEEDERS, seed_demo_account, seed_demo_tiers


def test_demo_account_administers_the_demo_tiers(app, services):
    context: dict = {}
    with app.app_context():
        seed_demo_account(app, context)
        lines = seed_demo_tiers(app, context)
        assert seed_demo_tiers(app, context) == []  # run again: nothing new
    assert lines == [("Tiers de démonstration : Association Les Amis du Patrimoine (SIRET 40483304800022), "
                      "administré par le compte de démonstration")]
    [tiers] = services.repos.tiers.tiers_of_account(context["account"]["id"])
    assert tiers["raison_sociale"] == "Association Les Amis du Patrimoine" and tiers["role"] == "admin"
    assert any(seeder is seed_demo_tiers for seeder in DEMO_SEEDERS)
