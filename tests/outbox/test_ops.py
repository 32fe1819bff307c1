"""Operations: /healthz for the load balancer, one JSON log line per request."""
from __future__ import annotations

import json

from runtime.domain import effects
from tests.demandes.support import fill_valid, start, transmit
from tests.outbox.support import crash_after_commit


def test_healthz_reports_the_store_the_specs_and_late_effects(client, services):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "ok" and body["store"] == "ok"
    assert body["specs"] >= 1 and "spec_generation" in body
    assert body["oldest_pending_effect"] is None and body["oldest_pending_effect_age_s"] is None


def test_healthz_shows_the_age_of_a_late_effect_without_leaving_the_rotation(client, user, services, clock,
                                                                            monkeypatch):
    crash_after_commit(monkeypatch)
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    clock.advance(hours=1)
    body = client.get("/healthz").get_json()
    assert 3590 <= body["oldest_pending_effect_age_s"] <= 3610
    assert body["status"] == "degraded"
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_store_is_unreachable(client, services, monkeypatch):
    def down(prefix=""):
        raise OSError("connexion refusée")

    monkeypatch.setattr(services.store, "partitions", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["store"] == "error"


def test_one_json_line_per_request_with_its_id(client, user, caplog):
    with caplog.at_level("INFO", logger="portail.request"):
        response = client.get("/espace/", headers={"X-Request-Id": "abc-123"})
        anonymous = client.get("/healthz")
    assert response.headers["X-Request-Id"] == "abc-123"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portail.request"]
    assert lines[0]["request_id"] == "abc-123"
    assert {k: lines[0][k] for k in ("method", "path", "status", "user")} == {
        "method": "GET", "path": "/espace/", "status": 200, "user": "applicant"}
    assert isinstance(lines[0]["duration_ms"], float)
    assert lines[1]["request_id"] == anonymous.headers["X-Request-Id"] != "abc-123"
    assert len(lines[1]["request_id"]) == 16


def test_a_strange_request_id_is_replaced(client, caplog):
    response = client.get("/healthz", headers={"X-Request-Id": "<script>" + "x" * 100})
    assert response.headers["X-Request-Id"].isalnum() and len(response.headers["X-Request-Id"]) == 16


def test_storage_check_reports_late_effects_and_missing_index_rows(client, user, services, clock, monkeypatch, app):
    from click.testing import CliRunner

    from runtime.cli import main

    crash_after_commit(monkeypatch)
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    monkeypatch.undo()
    bucket = next(iter(services.store.partitions(effects.HINTS_PREFIX)))
    with services.store.transaction(bucket) as part:  # a hint lost (crash before its write reached disk)
        for hint in part.table(effects.HINTS).all():
            part.table(effects.HINTS).remove(hint["id"])
    monkeypatch.setenv("PORTAIL_DATA", app.config["DATA_DIR"])
    monkeypatch.setenv("PORTAIL_STORE", app.config["STORE"])  # the command opens the app's store
    runner = CliRunner()
    result = runner.invoke(main, ["storage", "check", "--effects-older-than-minutes", "0"])
    assert result.exit_code == 1, result.output
    assert "Effet en attente depuis le" in result.output and "mail" in result.output
    assert "Demande transmise absente de l'index : QUARTIER-2026-000001" in result.output
    assert "portail index rebuild" in result.output
    assert "signalés de nouveau au worker" in result.output
    hints = [h for b in services.store.partitions(effects.HINTS_PREFIX)
             for h in services.store.read(b).table(effects.HINTS).all()]
    assert len(hints) == 1
