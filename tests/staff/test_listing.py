"""The staff list of demandes: filters and pagination over the index."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager

import pytest

from runtime.web.staff import listing as staff_views
from tests.demandes.support import OTHER_SIRET, make_tiers
from tests.helpers import create_account, page_text
from tests.staff.support import file_demande, staff_login


@pytest.fixture
def filed(client, services, admin, tiers):
    other = make_tiers(services, create_account(services, "autre0001", "autre@exemple.fr"), OTHER_SIRET,
                       name="Théâtre du Vieux-Port")
    demandes = {
        "june": file_demande(services, tiers, transmitted_at="2026-06-10T09:00:00+00:00"),
        "march": file_demande(services, other, transmitted_at="2026-03-02T09:00:00+00:00"),
        "patrimoine": file_demande(services, other, teleservice="patrimoine", answers={},
                                   transmitted_at="2026-05-05T09:00:00+00:00", status="en_instruction"),
    }
    staff_login(client, "admin.metropole")
    return demandes


def listed(client, query=""):
    return page_text(client.get("/agents/demandes" + query))


@pytest.mark.parametrize(
    "query, expected",
    [("", {"june", "march", "patrimoine"}),
     ("?teleservice=quartier", {"june", "march"}),
     ("?status=en_instruction", {"patrimoine"}),
     ("?q=theatre+vieux", {"march", "patrimoine"}),
     ("?date_from=2026-04-01", {"june", "patrimoine"}),
     ("?date_from=2026-04-01&date_to=2026-05-31", {"patrimoine"}),
     (f"?tiers={OTHER_SIRET}", {"march", "patrimoine"}),
     ("?tiers=73282932000074", {"june"})],
)
def test_filters(client, filed, query, expected):
    text = listed(client, query)
    shown = {key for key, demande in filed.items() if demande["numero"] in text}
    assert shown == expected
    assert f"{len(expected)} demande(s)" in text


def test_search_by_number(client, filed):
    text = listed(client, f"?q={filed['march']['numero']}")
    assert "1 demande(s)" in text


@pytest.mark.parametrize(
    "query, field, message",
    [("?date_from=2026-02-30", "date_from", "La date de début doit être une date réelle, par exemple 31/03/2026."),
     ("?date_to=demain", "date_to", "La date de fin doit être une date réelle, par exemple 31/03/2026."),
     ("?tiers=123", "tiers", "Le SIRET doit comporter 14 chiffres."),
     ("?status=perdue", "status", "Choisissez un statut dans la liste."),
     ("?date_from=31/03/2026&date_to=01/03/2026", "date_to",
      "La date de fin doit être égale ou postérieure à la date de début.")],
)
def test_invalid_filters_are_explained(client, filed, query, field, message):
    response = client.get("/agents/demandes" + query)
    assert response.status_code == 400
    text = page_text(response)
    assert text.count(message) == 2
    assert f'href="#{field}"' in text


def test_pagination_keeps_the_filters(client, services, filed, tiers, monkeypatch):
    monkeypatch.setattr(staff_views, "PER_PAGE", 2)
    first = listed(client, "?teleservice=quartier")
    assert "page 1 sur 1" in first
    file_demande(services, tiers, transmitted_at="2026-06-11T09:00:00+00:00")
    first = listed(client, "?teleservice=quartier")
    assert "3 demande(s) – page 1 sur 2" in first
    assert "/agents/demandes?page=2&amp;teleservice=quartier" in client.get(
        "/agents/demandes?teleservice=quartier").get_data(as_text=True)
    second = listed(client, "?teleservice=quartier&page=2")
    assert filed["march"]["numero"] in second
    assert filed["june"]["numero"] not in second
    beyond = client.get("/agents/demandes?teleservice=quartier&page=999")  # a kept link, fewer demandes since
    assert beyond.status_code == 302
    assert beyond.headers["Location"] == "/agents/demandes?teleservice=quartier&page=2"


@contextmanager
def held_index_partitions(store, teleservices, months):
    """Every partition of the staff index held open (nested transactions join them): thousands of
    rows are loaded with one copy of each partition instead of one per row (as bench/realistic_data.py).
    On PostgreSQL the index is SQL tables, not partitions: nothing to hold."""
    from runtime.storage.index import COUNTS

    if getattr(store, "shared", False):
        yield
        return
    names = [COUNTS] + [f"index/_where/{i:02x}" for i in range(256)]
    names += [f"index/{t}/2026-{m:02d}" for t in sorted(teleservices) for m in months]
    names += [f"index/{kind}/{i:03x}" for kind in ("_text", "_vocab") for i in range(16 ** 3)]
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(store.transaction(name))
        yield


def test_listing_counts_and_filters_thousands_of_demandes(client, services, instructeur):
    """Counts and filters over 3,000 demandes of two téléservices (how fast: bench/realistic.py, not a test)."""
    from runtime.storage.index import DemandeIndex

    rows = [{"id": f"d{i:05d}", "numero": f"QUARTIER-2026-{i:06d}", "tiers_id": f"t{i % 700}",
             "tiers_name": f"Association {i}", "teleservice": "quartier" if i % 2 else "patrimoine",
             "status": "transmise" if i % 3 else "acceptee",
             "transmitted_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00+00:00"} for i in range(3000)]
    index = DemandeIndex(services.store)
    with held_index_partitions(services.store, {"quartier", "patrimoine"}, range(1, 13)):
        for row in rows:
            index.upsert(row)
    mine = [r for r in rows if r["teleservice"] == "quartier"]
    staff_login(client, "instructeur.quartier")
    for query, total in [("", len(mine)),
                         ("?status=acceptee", sum(r["status"] == "acceptee" for r in mine)),
                         ("?q=association+2999", 1),
                         ("?date_from=2026-12-01&page=3", sum(r["transmitted_at"] >= "2026-12" for r in mine))]:
        text = page_text(client.get("/agents/demandes" + query))
        assert f"{total} demande(s)" in text, query
