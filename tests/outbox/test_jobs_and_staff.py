"""Staff side: a status change and a message record their effects with the
write; a large export and the index rebuild run as jobs of ``portail worker``,
with their progress shown and a download for the agent who asked."""
from __future__ import annotations

import csv
import io

import pytest

from runtime.domain import jobs
from runtime.worker import run_once
from tests.helpers import outbox, page_text
from tests.outbox.support import crash_after_commit, index_row, pending
from tests.staff.support import create_staff, demande_url, file_demande, post, staff_login


@pytest.fixture
def admin(services):
    return create_staff(services, "admin.metropole", "administrateur", [])


@pytest.fixture
def other_admin(services):
    return create_staff(services, "autre.admin", "administrateur", [])


@pytest.fixture
def agent(client, admin, tiers):
    assert staff_login(client, "admin.metropole").status_code == 302
    return admin


@pytest.fixture
def demandes(services, tiers):
    return [file_demande(services, tiers, transmitted_at=f"2026-06-{day:02d}T09:00:00+00:00") for day in (3, 4, 5)]


def test_a_status_change_records_its_index_row_and_mail_with_the_write(client, services, agent, demandes,
                                                                      monkeypatch, clock, app):
    demande = demandes[0]
    crash_after_commit(monkeypatch)
    response = post(client, demande_url(demande) + "/statut", {"target": "en_instruction"},
                    token_from=demande_url(demande))
    assert response.status_code == 302
    kinds = sorted(e["kind"] for e in pending(services, f"demandes/{demande['id']}"))
    assert kinds == ["index", "mail"]
    assert index_row(services, demande["id"])["statut"] == "transmise"  # not delivered yet
    monkeypatch.undo()
    clock.advance(seconds=services.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert run_once(app).effects == 2
    assert index_row(services, demande["id"])["statut"] == "en_instruction"
    assert [m.subject for m in outbox(services)].count(outbox(services)[-1].subject) == 1


def test_a_message_records_its_mail_with_the_write(client, services, agent, demandes, monkeypatch):
    demande = demandes[0]
    crash_after_commit(monkeypatch)
    post(client, demande_url(demande) + "/messages", {"body": "Merci de joindre le devis signé."},
         token_from=demande_url(demande))
    assert [e["kind"] for e in pending(services, f"conversations/{demande['id']}")] == ["mail"]  # with the message
    assert services.repos.messages.conversation(demande["tiers_id"], demande["id"])[0]["body"].startswith("Merci")


def _export_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def test_a_small_export_is_sent_at_once(client, services, agent, demandes):
    response = client.get("/agents/export/quartier.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert len(_export_rows(response)) == 4


def test_a_large_export_is_a_job_with_progress_and_a_download(client, services, agent, demandes, app):
    services.config["EXPORT_INLINE_MAX_ROWS"] = 2
    offer = client.get("/agents/export/quartier.csv")
    assert offer.status_code == 200
    assert "compte 3 demandes : il est préparé en arrière-plan" in page_text(offer)
    response = post(client, "/agents/export/quartier.csv", token_from="/agents/export/quartier.csv")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    waiting = page_text(client.get(job_url))
    assert "Export en cours de préparation (0 %) : en attente de traitement" in waiting
    assert f'href="{job_url}"' in waiting and "Actualiser" in waiting
    again = post(client, "/agents/export/quartier.csv", token_from="/agents/export/quartier.csv")
    assert again.headers["Location"] == job_url  # a second click does not queue a second export
    assert run_once(app).jobs == 1
    ready = page_text(client.get(job_url))
    assert "Export prêt" in ready and "3 demande(s) exportée(s)" in ready
    download = client.get(job_url + "/fichier")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert "demandes-quartier-2026-06-15.csv" in download.headers["Content-Disposition"]
    rows = _export_rows(download)
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {d["numero"] for d in demandes}


def test_progress_is_stored_while_the_job_runs(client, services, app, agent, demandes, monkeypatch):
    seen = []
    monkeypatch.setattr(jobs, "REPORT_EVERY", 0)
    real_update = services.jobs._update

    def spy(job_id, changes):
        if "progress" in changes and changes.get("status") is None:
            seen.append(changes["progress"])
        real_update(job_id, changes)

    monkeypatch.setattr(services.jobs, "_update", spy)
    services.config["EXPORT_INLINE_MAX_ROWS"] = 0
    job_url = post(client, "/agents/export.xlsx?status=transmise", token_from="/agents/demandes").headers["Location"]
    with app.app_context():
        finished = services.jobs.run_next()
    assert seen == [33, 66, 99]  # then 100 with the result
    assert finished["status"] == "done" and finished["progress"] == 100
    assert finished["result"]["file"]["filename"].endswith(".xlsx") and finished["result"]["rows"] == 3
    assert finished["params"]["filters"]["status"] == "transmise"
    assert finished["request_id"] and job_url.endswith(finished["id"])


def test_an_instructeur_s_export_job_keeps_to_their_teleservices(client, services, app, tiers, demandes):
    create_staff(services, "instr.patrimoine", "instructeur", ["patrimoine"])
    assert staff_login(client, "instr.patrimoine").status_code == 302
    services.config["EXPORT_INLINE_MAX_ROWS"] = -1
    job_url = post(client, "/agents/export.csv", token_from="/agents/demandes").headers["Location"]
    run_once(app)
    assert _export_rows(client.get(job_url + "/fichier"))[1:] == []  # none of the 3 "quartier" demandes


def test_someone_else_s_job_and_file_are_404(client, services, agent, other_admin, demandes, app):
    with app.app_context():
        job = services.jobs.submit("export", {"teleservice": "quartier", "fmt": "csv"}, other_admin["id"])
        services.jobs.run_next()
    assert client.get(f"/agents/taches/{job['id']}").status_code == 404
    assert client.get(f"/agents/taches/{job['id']}/fichier").status_code == 404
    client.post("/agents/deconnexion", data={"csrf_token": ""})
    anonymous = app.test_client()
    assert anonymous.get(f"/agents/taches/{job['id']}/fichier").status_code in (302, 404)


def test_a_failed_job_says_so(client, services, agent, demandes, app, monkeypatch):
    from runtime.web.staff import exports

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(exports, "build_export", broken)
    services.config["EXPORT_INLINE_MAX_ROWS"] = 0
    job_url = post(client, "/agents/export/quartier.csv", token_from="/agents/demandes").headers["Location"]
    run_once(app)
    text = page_text(client.get(job_url))
    assert "La préparation a échoué" in text and "disque plein" not in text
    assert client.get(job_url + "/fichier").status_code == 404


def test_index_rebuild_is_a_job_for_administrators(client, services, agent, demandes, app):
    from runtime.storage.index import DemandeIndex

    DemandeIndex(services.store).remove(demandes[1]["id"])
    response = post(client, "/agents/index/reconstruire", token_from="/agents/specs")
    job_url = response.headers["Location"]
    assert "Reconstruction en cours (0 %)" in page_text(client.get(job_url))
    run_once(app)
    assert "3 demande(s) transmise(s) indexée(s)" in page_text(client.get(job_url))
    assert index_row(services, demandes[1]["id"]) is not None


def test_a_job_whose_worker_died_is_taken_over(services, app, admin, demandes, clock):
    with app.app_context():
        job = services.jobs.submit("index_rebuild", {}, admin["id"])
        services.jobs._claim()  # a worker took it, then was killed
        assert services.jobs.run_next() is None
        clock.advance(seconds=services.config["JOB_LEASE_SECONDS"] + 1)
        assert services.jobs.run_next()["status"] == "done"
        assert services.jobs.get(job["id"])["result"]["indexed"] == 3


def test_effect_kinds_are_checked(app, services):
    with app.app_context(), pytest.raises(ValueError), services.outbox.recording("tiers/x") as rec:
        rec.add("fax", {})


def test_an_export_job_writes_its_file_as_the_rows_are_produced(app, services, monkeypatch):
    """The file store reads the job's file as a stream: it has received data before the last
    chunk exists, so the whole file is never held in memory."""
    produced, seen_at_first_read = [], []
    save = services.files.save

    def chunks():
        for n in range(5):
            produced.append(n)
            yield f"ligne {n}\n".encode() * 1000

    def recording_save(stream, filename, content_type=None, max_bytes=None):
        original_read = stream.read

        def read(size=-1):
            data = original_read(size)
            if not seen_at_first_read:
                seen_at_first_read.append(len(produced))
            return data

        stream.read = read
        return save(stream, filename, content_type, max_bytes)

    monkeypatch.setattr(services.files, "save", recording_save)
    with app.app_context():
        meta = services.jobs.save_result_file(chunks(), "demandes.csv", "text/csv")
    assert seen_at_first_read == [1] and len(produced) == 5
    assert meta["size"] == sum(len(f"ligne {n}\n".encode()) * 1000 for n in range(5))
