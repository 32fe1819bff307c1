"""What a request of an applicant costs in storage (issue 11): each read is a
small partition of this account, Tiers or demande, read once; lists read
summaries written with the demande; Mes aides is paged; a table is bounded by
``max_rows`` at every save (issue 12.19); a lost double submission takes no
number (issue 12.21)."""
from __future__ import annotations

import re
import threading
from collections import Counter

import pytest
from stdnum import luhn as stdnum_luhn

from runtime.domain.demandes import DemandeService
from runtime.domain.workflow import Actor
from runtime.storage.base import Store
from runtime.storage.index import DemandeIndex
from runtime.vocabulary import PageState
from tests.demandes.support import (
    VALID,
    fill_valid,
    make_tiers,
    quick_account,
    save_step,
    start,
    step_url,
    stored,
    text_of,
    transmit,
)
from tests.harness import STORES
from tests.helpers import page_text


class RecordingStore(Store):
    """Counts the partitions read from (and written to) the real store."""

    def __init__(self, inner):
        self.inner = inner
        self.reads: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()

    def __getattr__(self, name):  # what only one backend has (PostgreSQL's sql_transaction...)
        return getattr(self.inner, name)

    def transaction(self, partition):
        self.writes[partition] += 1
        return self.inner.transaction(partition)

    def read(self, partition):
        self.reads[partition] += 1
        return self.inner.read(partition)

    def partitions(self, prefix=""):
        self.reads[f"<list {prefix}>"] += 1
        return self.inner.partitions(prefix)

    def reset(self):
        self.reads.clear()
        self.writes.clear()


@pytest.fixture
def recorder(services):
    recording = RecordingStore(services.store.inner)
    services.store.inner = recording
    return recording


def crowd(services, count=12):
    """Other accounts and Tiers with demandes: none of them may be read by our requests."""
    for n in range(count):
        other = quick_account(services, f"autre{n:04d}", f"autre{n}@exemple.fr")
        siret = _luhn_complete(_luhn_complete(f"{n + 100:08d}") + "0000")
        tiers = make_tiers(services, other, siret=siret, name=f"Structure {n}")
        services.repos.demandes.create(f"tiers/{tiers['id']}", {"teleservice": "quartier", "version_key": "x"})


def _luhn_complete(prefix: str) -> str:
    """``prefix`` and the digit that makes it pass the Luhn check (SIREN, then SIRET)."""
    return next(prefix + str(d) for d in range(10) if stdnum_luhn.is_valid(prefix + str(d)))


def owned(name: str, account_id: str, tiers_id: str, demande_id: str | None = None) -> bool:
    allowed = (f"accounts/{account_id}", f"memberships/{account_id}", f"tiers/{tiers_id}", f"inboxes/{tiers_id}",
               f"owners/tiers/{tiers_id}/", f"owners/drafts/{account_id}/", "specs")
    if demande_id:
        allowed += (f"demandes/{demande_id}", f"conversations/{demande_id}")
    return any(name == a or (a.endswith("/") and name.startswith(a)) for a in allowed)


def test_a_logged_in_request_reads_only_small_partitions_of_its_own_once(client, user, services, tiers,
                                                                         recorder):
    crowd(services)
    demande_id = start(client)
    save_step(client, demande_id, "projet", VALID["projet"])
    for path in (step_url(demande_id, "structure"), "/espace/", "/espace/sollicitations", "/espace/aides",
                 f"/demandes/{demande_id}/recapitulatif", "/espace/echanges"):
        recorder.reset()
        assert client.get(path).status_code == 200, path
        assert recorder.reads, path
        strangers = [name for name in recorder.reads if not owned(name, user["id"], tiers["id"], demande_id)]
        assert strangers == [], (path, strangers)
        assert max(recorder.reads.values()) == 1, (path, recorder.reads)  # each partition read once
        assert not recorder.writes, (path, recorder.writes)  # a page shown writes nothing


def test_a_save_writes_the_demande_and_its_summary_only(client, user, services, tiers, recorder):
    demande_id = start(client)
    recorder.reset()
    assert save_step(client, demande_id, "projet", VALID["projet"]).status_code == 302
    written = set(recorder.writes)
    assert f"demandes/{demande_id}" in written
    assert all(owned(name, user["id"], tiers["id"], demande_id) for name in written), written
    assert f"tiers/{tiers['id']}" not in written  # the Tiers partition is not rewritten by a save


def test_a_transmission_writes_no_partition_that_grows_with_the_total(client, user, services, tiers, recorder):
    """Its own partitions, the number series, the index rows of its month (shard, postings of
    its words that month, its locator, its Tiers' month), the index counters and vocabulary; never
    ``registry``."""
    crowd(services)
    demande_id = start(client)
    fill_valid(client, demande_id)
    recorder.reset()
    assert transmit(client, demande_id).status_code == 302
    month = stored(services, tiers, demande_id)["transmitted_at"][:7]
    bounded = (f"numbers/quartier-{month[:4]}", "index/_counts", f"index/quartier/{month}",
               f"index/_where/{demande_id}", f"index/_text/{month}/", "index/_vocab/", "outbox/",
                   f"index/_tiers/{tiers['id']}/{month}")
    shared = [name for name in recorder.writes if not owned(name, user["id"], tiers["id"], demande_id)
              and not name.startswith(bounded)]
    assert shared == []
    assert "registry" not in recorder.writes


def test_numbers_continue_the_series_kept_in_the_registry_before(client, user, services, tiers):
    with services.store.transaction("registry") as part:  # a data folder of the previous layout
        part.table("counters").insert({"id": "QUARTIER-2026", "value": 41})
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    assert stored(services, tiers, demande_id)["numero"] == "QUARTIER-2026-000042"


def test_summaries_are_written_with_the_demande(client, user, services, tiers):
    demande_id = start(client)
    owner = f"tiers/{tiers['id']}"
    (row,), total = services.repos.demandes.summaries(owner)
    assert (total, row["id"], row["status"], row["progress"]) == (1, demande_id, "brouillon", 0)
    assert row["next_page"]["id"] == "projet"
    save_step(client, demande_id, "projet", VALID["projet"])
    (row,), _ = services.repos.demandes.summaries(owner)
    assert row["progress"] == 25 and row["next_page"] == {"id": "structure", "title": "Votre structure"}
    assert stored(services, tiers, demande_id)["page_states"]["projet"] == PageState.DONE
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    services.repos.demandes.modify(owner, demande_id, lambda d: d.update(status="acceptee",
                                                                        status_at="2026-06-20T10:00:00+00:00",
                                                                        decision={"amount": "900.00"}))
    (row,), _ = services.repos.demandes.summaries(owner)
    assert (row["status"], row["numero"], row["montant_demande"]) == ("acceptee", "QUARTIER-2026-000001", "1500.00")
    assert [d["id"] for d in services.repos.demandes.recent_decisions(owner)] == [demande_id]
    assert services.repos.demandes.summaries(owner, ("brouillon",)) == ([], 0)


def test_every_demande_is_reachable_from_mes_aides_and_the_dashboard_shows_decisions(client, user, services,
                                                                                      tiers):
    draft = start(client)
    save_step(client, draft, "projet", VALID["projet"])
    filed = start(client, force=True)
    fill_valid(client, filed)
    transmit(client, filed)
    decided = start(client, force=True)
    fill_valid(client, decided)
    transmit(client, decided)
    services.repos.demandes.modify(f"tiers/{tiers['id']}", decided, lambda d: d.update(
        status="refusee", status_at="2026-06-16T10:00:00+00:00", decision={"reason": "Budget épuisé."}))
    aides = page_text(client.get("/espace/aides"))
    text = text_of(client.get("/espace/aides"))
    for demande_id in (draft, filed, decided):
        assert f"/demandes/{demande_id}/recapitulatif" in aides
    assert f'href="{step_url(draft, "structure")}"' in aides  # the draft: its next step
    assert "Brouillon" in text and "Transmise" in text and "Refusée" in text and "Motif : Budget épuisé." in text
    assert "attend sa prise en charge par le service instructeur" in text
    sollicitations = page_text(client.get("/espace/sollicitations"))
    assert draft in sollicitations and filed in sollicitations and decided not in sollicitations
    dashboard = text_of(client.get("/espace/"))
    assert "QUARTIER-2026-000001, transmise le 15 juin 2026" in dashboard
    assert "Décisions récentes" in dashboard and "QUARTIER-2026-000002 – Refusée" in dashboard


def test_mes_aides_is_paged_and_reads_only_the_months_it_shows(client, user, services, tiers, recorder):
    owner = f"tiers/{tiers['id']}"
    for n in range(45):  # 45 demandes over 9 months, 5 a month
        month = 1 + n // 5
        services.repos.demandes.create(owner, {
            "teleservice": "quartier", "teleservice_title": "Aide aux projets de quartier", "version_key": "x",
            "status": "transmise", "numero": f"QUARTIER-2026-{n + 1:06d}",
            "created_at": f"2026-{month:02d}-10T10:{n:02d}:00+00:00",
            "transmitted_at": f"2026-{month:02d}-11T10:00:00+00:00"})
    recorder.reset()
    first = text_of(client.get("/espace/aides"))
    assert "45 demande(s) – page 1 sur 5" in first
    numbers = re.findall(r"QUARTIER-2026-(\d{6})", first)
    assert numbers[0] == "000045" and len(set(numbers)) == 10
    # page 1 comes from the newest rows kept with the counters: no month shard read
    assert not [n for n in recorder.reads if n.startswith(f"owners/{owner}/20")]
    recorder.reset()
    third = text_of(client.get("/espace/aides?page=3"))
    assert sorted(set(re.findall(r"QUARTIER-2026-(\d{6})", third))) == [f"{n:06d}" for n in range(16, 26)]
    assert sorted(n for n in recorder.reads if n.startswith(f"owners/{owner}/20")) == [
        f"owners/{owner}/2026-0{m}" for m in (4, 5)]  # the newer months are skipped by their counters
    last = text_of(client.get("/espace/aides?page=5"))
    assert sorted(set(re.findall(r"QUARTIER-2026-(\d{6})", last))) == [f"{n:06d}" for n in range(1, 6)]
    assert 'rel="prev"' in page_text(client.get("/espace/aides?page=5"))


def test_page_one_from_the_counters_is_the_page_the_shards_give(services, tiers):
    """Created in any order, changed, removed: the newest rows kept with the counters
    give the same first page as the month shards, for every list."""
    import random

    repo, owner = services.repos.demandes, f"tiers/{tiers['id']}"
    rng, ids = random.Random(7), []
    for n in range(120):
        if ids and rng.random() < 0.25:
            repo.remove(owner, ids.pop(rng.randrange(len(ids))))
        elif ids and rng.random() < 0.3:
            status = rng.choice(("brouillon", "transmise", "en_instruction", "acceptee"))
            repo.modify(owner, rng.choice(ids), lambda doc, status=status: doc.update(status=status))
        else:
            day = rng.randrange(1, 200)
            ids.append(repo.create(owner, {
                "teleservice": "quartier", "version_key": "x", "status": rng.choice(("brouillon", "transmise")),
                "created_at": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T10:{n // 60:02d}:{n % 60:02d}+00:00"})["id"])
        for statuses in (None, ("brouillon",), ("transmise", "en_instruction"), ("acceptee",)):
            for per_page in (5, 10, 20):
                every = list(repo.all_summaries(owner, statuses))
                assert repo.summaries(owner, statuses, per_page=per_page) == (every[:per_page], len(every))


BUDGET_SPEC = """\
id: budget
kind: teleservice
version: "1"
title: Aide au budget
families: [association]
number_prefix: BUDGET
pages:
  - id: budget
    title: Budget
    fields:
      - id: depenses
        type: table
        label: Dépenses prévisionnelles
        max_rows: 30
        columns:
          - id: poste
            type: text
            label: Poste de dépense
            required: true
          - id: montant
            type: amount
            label: Montant (€)
            required: true
"""


def test_a_table_keeps_at_most_max_rows_at_every_save(client, user, services, tiers):
    (services.catalog.specs_dir / "teleservices" / "budget.yaml").write_text(BUDGET_SPEC, encoding="utf-8")
    assert services.catalog.reload() == []
    demande_id = start(client, "budget")
    rows = {f"depenses-{i}-{col}": value for i in range(200) for col, value in (("poste", f"Poste {i}"),
                                                                                  ("montant", "10"))}
    response = save_step(client, demande_id, "budget", rows, action="save")
    assert response.status_code == 200
    assert ("Le tableau « Dépenses prévisionnelles » ne peut pas avoir plus de 30 lignes. Seules les 30 "
            "premières lignes envoyées ont été enregistrées.") in text_of(response)
    kept = stored(services, tiers, demande_id)["answers"]["depenses"]
    assert [row["poste"] for row in kept] == [f"Poste {i}" for i in range(30)]
    # the background save of a draft is bounded the same way
    page = page_text(client.get(step_url(demande_id, "budget")))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    saved = client.post(step_url(demande_id, "budget") + "/autosave", data={**rows, "csrf_token": token},
                        headers={"X-Autosave": "1"})
    assert saved.status_code == 200 and saved.get_json()["saved"]
    assert any("plus de 30 lignes" in e["message"] for e in saved.get_json()["errors"])
    assert len(stored(services, tiers, demande_id)["answers"]["depenses"]) == 30


@pytest.mark.parametrize("store_name", STORES)
def test_a_lost_double_submission_takes_no_number(client, user, services, tiers, monkeypatch):
    from runtime.domain.effects import Outbox

    first, second = start(client), start(client, force=True)
    for demande_id in (first, second):
        fill_valid(client, demande_id)
    spec = services.catalog.get("quartier")
    actor = Actor(kind="applicant", id=user["id"], name="Camille")
    prefill = {"tiers": tiers, "account": user}
    snapshot = stored(services, tiers, first)  # both submissions start from the same draft
    barrier, outcomes, recording = threading.Barrier(2), [], Outbox.recording

    def racing(outbox, partition):
        """Both submissions have checked the draft; they meet, then race for the demande's lock."""
        barrier.wait(timeout=10)
        return recording(outbox, partition)

    monkeypatch.setattr(Outbox, "recording", racing)

    def submit():
        with client.application.app_context():
            service = DemandeService(services.repos.demandes, services.catalog, services.clock, services.outbox,
                                     index=DemandeIndex(services.store), tiers_repo=services.repos.tiers)
            outcomes.append(service.transmit(snapshot, spec, actor, prefill))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()
    assert sorted(o.first_time for o in outcomes) == [False, True]
    assert {o.demande["numero"] for o in outcomes} == {"QUARTIER-2026-000001"}
    transmit(client, second)
    assert stored(services, tiers, second)["numero"] == "QUARTIER-2026-000002"  # 000002 was not burnt
    assert services.store.read("numbers/quartier-2026").table("counters").get("QUARTIER-2026")["value"] == 2
