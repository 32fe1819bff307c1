"""Every shipped téléservice can be started, each step shown and the récapitulatif read."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runtime import ROOT
from runtime.spec.catalog import Catalog
from tests.demandes.support import make_tiers, quick_account, set_today, sign_in, start, step_url, text_of

SHIPPED = Catalog.load(ROOT / "specs").teleservices()


@pytest.fixture
def specs_dir():
    return ROOT / "specs"


@pytest.mark.parametrize("spec", SHIPPED, ids=lambda s: s.id)
def test_shipped_teleservice_walkthrough(client, services, clock, spec):
    opens = spec.opens or datetime(2026, 1, 1).date()
    set_today(clock, datetime(opens.year, opens.month, opens.day, 10, tzinfo=UTC))
    account = quick_account(services)
    make_tiers(services, account, famille=spec.families[0])
    sign_in(client, account)
    demande_id = start(client, spec.id)
    for page in spec.pages:
        response = client.get(step_url(demande_id, page.id))
        assert response.status_code in (200, 302), page.id
    recap = client.get(f"/demandes/{demande_id}/recapitulatif")
    assert recap.status_code == 200
    assert spec.title in text_of(recap)
