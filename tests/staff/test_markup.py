"""Markup of the staff pages: unique ids, labelled fields, no inline script or style."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.staff.support import demande_url, file_demande, staff_login


@pytest.fixture
def pages(client, services, admin, tiers):
    demande = file_demande(services, tiers)
    services.repos.messages.post(tiers["id"], demande, {"kind": "applicant", "id": "a", "name": "Camille"}, "Bonjour")
    staff_login(client, "admin.metropole")
    return ["/agents/demandes", demande_url(demande), "/agents/echanges", "/agents/specs", "/agents/comptes",
            f"/agents/comptes/{admin['id']}", "/agents/apercu/quartier/projet",
            "/agents/apercu/quartier/fin/recapitulatif", "/agents/editeur/quartier", "/agents/editeur/quartier/historique"]


def test_ids_are_unique_and_fields_labelled(client, pages):
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert [i for i, n in ids.items() if n > 1] == [], path
        fields = re.findall(r'<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', html)
        for field_id in fields:
            assert f'for="{field_id}"' in html, (path, field_id)
        assert "<script>" not in html and " style=" not in html, path
