"""What the applicant was told is never lost: a transmission's index row and
accusés de réception are stored with it and delivered exactly once, even when
the process dies right after the write (transactional outbox)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from runtime.domain import effects
from runtime.mail import Mailer, MailError
from runtime.worker import run_once
from tests.demandes.support import fill_valid, start, stored, transmit
from tests.harness import STORES
from tests.outbox.support import crash_after_commit, index_row, pending, receipts, restarted_app


def transmitted(client, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    response = transmit(client, demande_id)
    assert response.status_code == 302
    return stored(services, tiers, demande_id)


@pytest.mark.parametrize("store_name", STORES)
def test_transmission_delivers_its_index_row_and_mails_at_once(client, user, services, tiers):
    demande = transmitted(client, services, tiers)
    assert demande["status"] == "transmise"
    assert index_row(services, demande["id"])["numero"] == demande["numero"]
    assert len(receipts(services, demande["numero"])) == 2  # the account and the Tiers
    assert pending(services, f"demandes/{demande['id']}") == []


def test_effects_are_written_with_the_transmission(client, user, services, tiers, monkeypatch):
    crash_after_commit(monkeypatch)
    demande = transmitted(client, services, tiers)
    kinds = sorted(e["kind"] for e in pending(services, f"demandes/{demande['id']}"))
    assert kinds == ["index", "mail", "mail"]
    assert receipts(services) == [] and index_row(services, demande["id"]) is None


def test_nothing_is_written_when_recording_an_effect_fails(client, user, services, tiers, monkeypatch):
    demande_id = start(client)
    fill_valid(client, demande_id)

    def broken(*args, **kwargs):
        raise RuntimeError("rendu impossible")

    monkeypatch.setattr(Mailer, "build", broken)
    response = transmit(client, demande_id)
    assert response.status_code == 500
    demande = stored(services, tiers, demande_id)
    assert demande["status"] == "brouillon" and not demande["transmitted_at"]
    assert pending(services, f"demandes/{demande['id']}") == []


def test_a_new_process_delivers_what_a_killed_one_left_exactly_once(client, user, services, tiers, clock,
                                                                    monkeypatch, app):
    crash_after_commit(monkeypatch)
    demande = transmitted(client, services, tiers)
    monkeypatch.undo()
    worker_app = restarted_app(app)
    assert run_once(worker_app).effects == 0  # still owned by the request that recorded them
    clock.advance(seconds=services.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert run_once(worker_app).effects == 3
    assert run_once(worker_app).effects == 0
    assert len(receipts(services, demande["numero"])) == 2
    assert index_row(services, demande["id"])["numero"] == demande["numero"]
    assert pending(services, f"demandes/{demande['id']}") == []


@pytest.mark.parametrize("store_name", STORES)
def test_already_transmitted_path_redrives_pending_effects(client, user, services, tiers, clock, monkeypatch):
    crash_after_commit(monkeypatch)
    demande = transmitted(client, services, tiers)
    monkeypatch.undo()
    clock.advance(seconds=services.config["OUTBOX_LEASE_SECONDS"] + 1)
    response = transmit(client, demande["id"])  # the applicant retries after the error page
    assert response.status_code == 302 and response.headers["Location"].endswith("/confirmation")
    assert len(receipts(services, demande["numero"])) == 2
    assert index_row(services, demande["id"]) is not None
    transmit(client, demande["id"])
    assert len(receipts(services, demande["numero"])) == 2


@pytest.mark.parametrize("store_name", STORES)
def test_a_double_submission_does_not_steal_the_first_request_s_effects(client, user, services, tiers,
                                                                       monkeypatch):
    crash_after_commit(monkeypatch)
    demande = transmitted(client, services, tiers)
    monkeypatch.undo()
    transmit(client, demande["id"])  # at once: the first request may still be delivering
    assert receipts(services) == []
    assert len(pending(services, f"demandes/{demande['id']}")) == 3


@pytest.mark.parametrize("store_name", STORES)
def test_mail_failures_are_retried_with_backoff_and_sent_once(client, user, services, tiers, clock, monkeypatch,
                                                             app):
    real_deliver = Mailer.deliver
    calls = []

    def flaky(self, message, key, stamp_ns):
        calls.append(key)
        if len(calls) <= 2:
            raise MailError("serveur SMTP injoignable")
        return real_deliver(self, message, key, stamp_ns)

    monkeypatch.setattr(Mailer, "deliver", flaky)
    demande = transmitted(client, services, tiers)
    left = pending(services, f"demandes/{demande['id']}")
    assert [e["kind"] for e in left] == ["mail", "mail"]
    assert all(e["attempts"] == 1 and "SMTP" in e["last_error"] for e in left)
    assert index_row(services, demande["id"]) is not None  # the index row did not wait for the mails
    assert run_once(app).effects == 0  # backoff: not due yet
    clock.advance(seconds=31)
    assert run_once(app).effects == 2
    clock.advance(hours=2)
    assert run_once(app).effects == 0
    assert len(receipts(services, demande["numero"])) == 2


def test_a_crash_after_handing_the_mail_over_does_not_send_it_twice(client, user, services, tiers, clock,
                                                                    monkeypatch, app):
    """Delivered, then killed before the effect was settled: the retry finds its .eml."""
    real_complete = effects._complete
    crash_after_commit(monkeypatch)
    demande = transmitted(client, services, tiers)
    clock.advance(seconds=services.config["OUTBOX_LEASE_SECONDS"] + 1)

    def killed(*args, **kwargs):
        raise SystemExit("kill -9")

    monkeypatch.setattr(effects, "_complete", killed)
    with pytest.raises(SystemExit):
        run_once(app)
    monkeypatch.setattr(effects, "_complete", real_complete)
    assert len(receipts(services, demande["numero"])) == 2  # handed over...
    assert len(pending(services, f"demandes/{demande['id']}")) == 3  # ...but not settled
    clock.advance(hours=1)
    assert run_once(app).effects == 3
    assert len(receipts(services, demande["numero"])) == 2


def test_effects_carry_the_request_id_into_their_delivery(client, user, services, tiers, monkeypatch, caplog, clock,
                                                          app):
    crash_after_commit(monkeypatch)
    demande_id = start(client)
    fill_valid(client, demande_id)
    from tests.demandes.support import post_form

    post_form(client, f"/demandes/{demande_id}/transmettre", {"attestation": "oui"},
              token_from=f"/demandes/{demande_id}/recapitulatif", headers={"X-Request-Id": "lb-4242"})
    demande = stored(services, tiers, demande_id)
    assert {e["request_id"] for e in pending(services, f"demandes/{demande['id']}")} == {"lb-4242"}
    monkeypatch.undo()
    clock.advance(seconds=services.config["OUTBOX_LEASE_SECONDS"] + 1)
    with caplog.at_level("INFO", logger="portail.outbox"):
        run_once(app)
    delivered = [r.getMessage() for r in caplog.records if r.name == "portail.outbox"]
    assert len(delivered) == 3 and all("requête lb-4242" in line for line in delivered)


@pytest.mark.parametrize("store_name", STORES)
def test_a_transmission_delivered_at_once_leaves_no_hint(client, user, services, tiers):
    """The hint buckets hold what is pending, not every partition ever written: a portal
    without a worker would otherwise rewrite ever larger buckets at every transmission."""
    demande = transmitted(client, services, tiers)
    bucket = effects.hint_partition(f"demandes/{demande['id']}")  # effects live in the demande's partition
    assert services.store.read(bucket).table(effects.HINTS).all() == []
    assert effects.oldest_pending(services.store) is None


@pytest.mark.parametrize("store_name", STORES)
def test_hints_lead_the_worker_and_are_dropped_when_nothing_is_pending(client, user, services, tiers, clock, app,
                                                                        monkeypatch):
    def unreachable(self, message, key, stamp_ns):
        raise MailError("serveur SMTP injoignable")

    monkeypatch.setattr(Mailer, "deliver", unreachable)
    demande = transmitted(client, services, tiers)
    partition = f"demandes/{demande['id']}"
    bucket = effects.hint_partition(partition)
    hint = services.store.read(bucket).table(effects.HINTS).get(partition)
    assert hint is not None and hint["writers"] == 0  # the mails wait: the worker must find them
    monkeypatch.undo()
    clock.advance(seconds=services.config["OUTBOX_RETRY_BASE_SECONDS"] + 1)
    assert run_once(app).effects == 2
    clock.advance(seconds=services.config["OUTBOX_HINT_GRACE_SECONDS"] + 1)
    run_once(app)  # visits, finds nothing pending
    run_once(app)
    assert services.store.read(bucket).table(effects.HINTS).all() == []
    with app.app_context():
        assert effects.oldest_pending(services.store) is None


def test_a_writer_on_its_way_keeps_the_hint_of_a_partition(services):
    """Two requests touch the same partition's hint; the first one done must not drop it."""
    partition = "demandes/abc"
    now = services.clock.now()
    effects.touch_hint(services.store, partition, now, timedelta(minutes=2))
    effects.touch_hint(services.store, partition, now, timedelta(minutes=2))
    bucket = effects.hint_partition(partition)
    effects.release_hint(services.store, partition)
    assert services.store.read(bucket).table(effects.HINTS).get(partition)["writers"] == 1
    effects.release_hint(services.store, partition)
    assert services.store.read(bucket).table(effects.HINTS).get(partition) is None
