"""The outbox and the jobs are built from their dependencies, with no app:
the domain reaches no service through ``current_app`` (import-linter checks the
imports, these tests that nothing is looked up at run time either)."""
from __future__ import annotations

import pytest

from runtime.clock import Clock
from runtime.domain.effects import INDEX, MAIL, OUTBOX, Outbox, Timing, oldest_pending
from runtime.domain.jobs import DONE, Jobs
from runtime.storage.memory import MemoryStore


class RecordingMailer:
    """Renders a plain message; keeps what was handed over."""

    def __init__(self):
        self.delivered: list[str] = []

    def build(self, to, template, message_id, **context):
        from email.message import EmailMessage

        message = EmailMessage()
        message["To"], message["Subject"] = to, f"{template} {context.get('numero', '')}".strip()
        message.set_content("Bonjour")
        return message

    def deliver(self, message, effect_id, created_ns):
        self.delivered.append(message["Subject"])


@pytest.fixture
def parts():
    store = MemoryStore()
    clock = Clock()
    reindexed: list[tuple[str, dict | None]] = []
    mailer = RecordingMailer()
    outbox = Outbox(store, clock, mailer, Timing.from_config({}), lambda i, d: reindexed.append((i, d)))
    return store, clock, mailer, outbox, reindexed


def test_an_outbox_without_app_records_and_delivers_after_the_commit(parts):
    store, _clock, mailer, outbox, reindexed = parts
    with outbox.recording("tiers/t1") as rec:
        rec.part.table("demandes").insert({"id": "d1", "status": "transmise"})
        rec.index({"id": "d1", "status": "transmise"})
        rec.mail("camille@example.org", "demandes/accuse_reception", numero="N-1")
    assert mailer.delivered == ["demandes/accuse_reception N-1"]
    assert reindexed == [("d1", {"id": "d1", "status": "transmise"})]
    assert store.read("tiers/t1").table(OUTBOX).all() == []


def test_a_failed_delivery_waits_for_the_worker_pass_of_this_outbox(parts):
    store, clock, mailer, outbox, _reindexed = parts
    failures = ["SMTP down"]

    def flaky(message, effect_id, created_ns):
        if failures:
            raise OSError(failures.pop())
        mailer.delivered.append(message["Subject"])

    mailer.deliver = flaky
    with outbox.recording("tiers/t1") as rec:
        rec.mail("camille@example.org", "tiers/rattachement_accepte")
    assert mailer.delivered == [] and len(store.read("tiers/t1").table(OUTBOX).all()) == 1
    assert oldest_pending(store) is not None
    clock.advance(seconds=31)
    assert outbox.deliver_due() == 1
    assert mailer.delivered == ["tiers/rattachement_accepte"]


def test_an_unknown_kind_is_refused_and_a_registered_one_delivered(parts):
    _store, _clock, _mailer, outbox, _reindexed = parts
    seen = []
    with pytest.raises(ValueError), outbox.recording("tiers/t1") as rec:
        rec.add("fax", {})
    outbox.register("fax", lambda partition, effect: seen.append((partition, effect["payload"])))
    with outbox.recording("tiers/t1") as rec:
        rec.add("fax", {"to": "0491"})
    assert seen == [("tiers/t1", {"to": "0491"})]
    assert {MAIL, INDEX, "fax"} <= set(outbox.handlers)


def test_jobs_without_app_run_their_own_handlers(parts):
    store, clock, *_ = parts
    jobs = Jobs(store, clock, files=None, config={"JOB_LEASE_SECONDS": 60, "JOB_KEEP_DAYS": 1},
                handlers={"count": lambda job, report: {"n": job["params"]["n"] * 2}})
    with pytest.raises(ValueError):
        jobs.submit("export", {}, "agent")  # not registered on this instance
    job = jobs.submit("count", {"n": 21}, "agent")
    assert jobs.submit("count", {"n": 21}, "agent")["id"] == job["id"]  # same job while queued
    finished = jobs.run_next()
    assert finished["status"] == DONE and finished["result"] == {"n": 42}
    clock.advance(days=2)
    assert jobs.prune() == 1 and jobs.get(job["id"]) is None
