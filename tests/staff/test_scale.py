"""Staff side at scale (issue 11): exports stream, each demande read once in
index order without re-reading its Tiers; the text search answers from the
index built when demandes are indexed, without scanning the shards."""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from runtime.domain import export
from runtime.domain.demandes import index_summary
from runtime.storage.index import DemandeIndex
from tests.demandes.test_request_costs import RecordingStore
from tests.staff.support import file_demande, staff_login


@pytest.fixture
def recorder(services):
    recording = RecordingStore(services.store.inner)
    services.store.inner = recording
    return recording


def test_csv_chunks_leave_before_the_last_demande_is_read(monkeypatch):
    monkeypatch.setattr(export, "CSV_BATCH", 2)
    read = []

    def demandes():
        for n in range(10):
            read.append(n)
            yield {"numero": f"N-{n}", "status": "transmise"}

    columns = list(export.META_COLUMNS)
    chunks = export.stream("csv", columns, demandes())
    first = next(chunks)
    assert first.startswith("\ufeffNuméro;".encode()) and b"N-1" in first
    assert len(read) < 10  # sent before the other demandes were even read
    rest = b"".join(chunks)
    assert len(read) == 10 and b"N-9" in rest


def test_xlsx_is_written_row_by_row_in_write_only_mode():
    columns = list(export.META_COLUMNS)
    rows = ({"numero": f"N-{n}", "status": "transmise", "transmitted_at": "2026-06-10T09:00:00+00:00"}
            for n in range(3))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(export.stream("xlsx", columns, rows)))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Numéro" and [v[0] for v in values[1:]] == ["N-0", "N-1", "N-2"]
    assert sheet["D2"].number_format == "DD/MM/YYYY"


def test_export_streams_and_reads_each_demande_once_without_its_tiers(client, services, admin, tiers, recorder):
    filed = [file_demande(services, tiers, transmitted_at=f"2026-0{m}-10T09:00:00+00:00") for m in (3, 4, 5, 6)]
    staff_login(client, "admin.metropole")
    recorder.reset()
    response = client.get("/agents/export/quartier.csv")
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [r["Numéro"] for r in rows] == [d["numero"] for d in reversed(filed)]  # index order: newest first
    assert {r["Tiers"] for r in rows} == {"Les Amis du Panier"}
    demandes = Counter({n: c for n, c in recorder.reads.items() if n.startswith("demandes/")})
    assert sorted(demandes) == sorted(f"demandes/{d['id']}" for d in filed) and set(demandes.values()) == {1}
    assert f"tiers/{tiers['id']}" not in recorder.reads


@pytest.mark.partitioned_index
def test_text_search_answers_from_the_postings_reading_only_the_locator_of_the_row_shown(services, tiers, recorder):
    index = DemandeIndex(services.store)
    tiers = {**tiers, "representant_prenom": "Camille", "representant_nom": "Martin",
             "adresse": {"street": "1 rue", "postcode": "13600", "commune": "La Ciotat"}}
    demande = file_demande(services, tiers)
    row = index.upsert(index_summary(demande, services.catalog.get("quartier"), tiers["raison_sociale"], tiers))
    recorder.reset()
    for text in ("pani", "Amis du Panier", "ciotat", "martin", demande["numero"], demande["numero"][-6:],
                 "AMIS"):
        rows, total = index.search({"text": text}, 1, 50)
        assert [r["id"] for r in rows] == [demande["id"]] and total == 1, text
    assert index.search({"text": "lyon"}, 1, 50) == ([], 0)
    assert index.search({"text": "panier lyon"}, 1, 50) == ([], 0)
    shards = {n for n in recorder.reads if n.startswith("index/") and not n.startswith("index/_")}
    assert shards == set()  # the row shown comes from the copy in its locator, no whole shard is read
    assert {n for n in recorder.reads if n.startswith("index/_where/")} == {f"index/_where/{row['id']}"}


@pytest.mark.partitioned_index
def test_a_word_of_every_row_is_still_answered_from_the_postings_of_each_month(services, recorder):
    index = DemandeIndex(services.store)
    for n in range(6):
        month = "05" if n < 3 else "06"
        index.upsert({"id": f"d{n:05d}", "numero": f"Q-{n:06d}", "teleservice": "quartier", "statut": "transmise",
                      "tiers_name": "Commune de Marseille", "transmitted_at": f"2026-{month}-10T09:00:0{n}+00:00"})
    recorder.reset()
    rows, total = index.search({"text": "marseille"}, 1, 2)
    assert total == 6 and [r["id"] for r in rows] == ["d00005", "d00004"]  # newest first
    assert not [n for n in recorder.reads if n.startswith("index/quartier/2026-05")]  # page 1 is all June
    assert index.search({"text": "marseille 000003"}, 1, 10)[1] == 1
    rows, total = index.search({"text": "marseille", "statut": "transmise"}, 2, 4)
    assert total == 6 and [r["id"] for r in rows] == ["d00001", "d00000"]


@pytest.mark.partitioned_index
def test_a_write_rewrites_only_the_postings_of_its_month_and_a_status_change_one(services, recorder):
    """A posting holds the demandes of one month: what a transmission rewrites does not grow with the total;
    a status change rewrites the month's status postings alone, and its row's locator."""
    index = DemandeIndex(services.store)
    for n in range(5):
        index.upsert({"id": f"d{n:05d}", "numero": f"Q-{n:06d}", "teleservice": "quartier", "statut": "transmise",
                      "tiers_name": "Commune de Marseille", "transmitted_at": f"2026-0{n + 1}-10T09:00:00+00:00"})
    recorder.reset()
    index.upsert({"id": "d00009", "numero": "Q-000009", "teleservice": "quartier", "statut": "transmise",
                  "tiers_name": "Commune de Marseille", "transmitted_at": "2026-06-11T09:00:00+00:00"})
    text = {n for n in recorder.writes if n.startswith("index/_text/")}
    assert text and all(n.startswith("index/_text/2026-06/") for n in text)
    assert "index/_text/2026-06/statuts" not in text and not [n for n in recorder.writes if "_vocab" in n]
    assert not [n for n in recorder.writes if n.startswith("index/_where/") and n != "index/_where/d00009"]
    recorder.reset()
    index.upsert({"id": "d00009", "numero": "Q-000009", "teleservice": "quartier", "statut": "en_instruction",
                  "tiers_name": "Commune de Marseille", "transmitted_at": "2026-06-11T09:00:00+00:00"})
    assert [n for n in recorder.writes if n.startswith("index/_text/")] == ["index/_text/2026-06/statuts"]
    assert index.get("d00009")["statut"] == "en_instruction"
    assert index.search({"text": "marseille", "statut": "en_instruction"}, 1, 10)[1] == 1
    index.remove("d00009")
    assert index.search({"text": "marseille"}, 1, 10)[1] == 5
