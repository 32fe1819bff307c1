"""``portail storage upgrade``: a data folder of the round-2 layout (one
``accounts`` partition; demandes, messages and notes inside ``tiers/<id>``)
moves to the current layout and works as before."""
from __future__ import annotations

from click.testing import CliRunner

from runtime.cli import main as cli
from runtime.storage.index import DemandeIndex
from tests.staff.support import ANSWERS, make_app

ACCOUNT = {"id": "0a" * 16, "civilite": "madame", "nom": "Martin", "prenom": "Camille", "identifiant": "camille01",
           "identifiant_key": "camille01", "email": "camille@exemple.fr", "email_key": "camille@exemple.fr",
           "password_hash": "x", "active": True, "auth_epoch": 0, "created_at": "2026-01-02T10:00:00+00:00"}
TIERS_ID = "0b" * 16


def old_layout(services, spec):
    store = services.store
    with store.transaction("accounts") as part:
        part.table("accounts").insert(ACCOUNT)
    with store.transaction(f"tiers/{TIERS_ID}") as part:
        part.table("tiers").insert({"id": TIERS_ID, "siret": "73282932000074", "raison_sociale": "Les Amis du Panier",
                                    "famille": "association"})
        part.table("members").insert({"id": ACCOUNT["id"], "account_id": ACCOUNT["id"], "role": "admin",
                                      "since": "2026-01-02T10:00:00+00:00"})
        common = {"teleservice": spec.id, "teleservice_title": spec.title, "kind": "teleservice",
                  "version_key": spec.version_key, "tiers_id": TIERS_ID, "partition": f"tiers/{TIERS_ID}",
                  "created_by": ACCOUNT["id"], "history": [], "versions": [], "set_aside": {}, "revision": 1,
                  "created_at": "2026-06-01T10:00:00+00:00", "updated_at": "2026-06-01T10:00:00+00:00"}
        part.table("demandes").insert({**common, "id": "d1" * 16, "status": "brouillon", "answers": {},
                                       "numero": None, "transmitted_at": None})
        part.table("demandes").insert({**common, "id": "d2" * 16, "status": "transmise", "answers": dict(ANSWERS),
                                       "numero": "QUARTIER-2026-000001",
                                       "transmitted_at": "2026-06-02T10:00:00+00:00"})
        part.table("messages").insert({"id": "m1" * 16, "demande_id": "d2" * 16, "body": "Bonjour",
                                       "author": {"kind": "staff", "id": "s1", "name": "Agent"},
                                       "attachments": [], "created_at": "2026-06-03T10:00:00+00:00"})
        part.table("staff_notes").insert({"id": "n1" * 16, "demande_id": "d2" * 16, "body": "À vérifier",
                                          "author": {"kind": "staff", "id": "s1", "name": "Agent"},
                                          "at": "2026-06-03T11:00:00+00:00"})
    with store.transaction(f"memberships/{ACCOUNT['id']}") as part:
        part.table("tiers").insert({"id": TIERS_ID, "since": "2026-01-02T10:00:00+00:00"})
    with store.transaction("staff") as part:
        part.table("inbox").insert({"id": "d2" * 16, "tiers_id": TIERS_ID, "teleservice": spec.id,
                                    "numero": "QUARTIER-2026-000001", "applicant_messages": ["2026-06-03T09:00:00"],
                                    "read_by": {}})


def test_upgrade_moves_the_round_2_layout(tmp_path, specs_dir, clock, monkeypatch):
    monkeypatch.setenv("PORTAIL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PORTAIL_SPECS_DIR", str(specs_dir))
    monkeypatch.setenv("PORTAIL_STORE", "tinydb")  # the data folder written below, whatever the suite's store
    app = make_app(tmp_path / "data", clock, specs_dir, store="tinydb")
    services = app.extensions["portail"]
    with app.app_context():
        old_layout(services, services.catalog.get("quartier"))

    for _ in range(2):  # a second run finds nothing left to move
        result = CliRunner().invoke(cli, ["storage", "upgrade"])
        assert result.exit_code == 0, result.output
    assert "0 compte(s), 0 demande(s), 0 message(s) déplacé(s)." in result.output

    app = make_app(tmp_path / "data", clock, specs_dir, store="tinydb")
    services = app.extensions["portail"]
    with app.app_context():
        repos = services.repos
        assert repos.accounts.by_identifiant("Camille01")["id"] == ACCOUNT["id"]
        assert repos.accounts.by_email("camille@exemple.fr")["id"] == ACCOUNT["id"]
        owner = f"tiers/{TIERS_ID}"
        rows, total = repos.demandes.summaries(owner)
        assert total == 2 and {r["status"] for r in rows} == {"brouillon", "transmise"}
        draft = repos.demandes.get(owner, "d1" * 16)
        assert draft["progress"] == 0 and draft["next_page"]["id"] == "projet"
        assert [m["body"] for m in repos.messages.conversation(TIERS_ID, "d2" * 16)] == ["Bonjour"]
        assert repos.messages.unread_for_applicant(TIERS_ID, ACCOUNT["id"]) == {"d2" * 16: 1}
        assert [n["body"] for n in repos.staff.notes(TIERS_ID, "d2" * 16)] == ["À vérifier"]
        assert repos.messages.unread_for_staff({"id": "s2", "role": "administrateur"}) == {"d2" * 16: 1}
        rows, total = DemandeIndex(services.store).search({"text": "panier"})
        assert [r["numero"] for r in rows] == ["QUARTIER-2026-000001"]
        old = services.store.read(owner)
        assert not old.table("demandes").all() and not old.table("messages").all()
        assert not services.store.read("accounts").table("accounts").all()
