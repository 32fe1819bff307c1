"""The staff summary index, on both backends, checked against a brute-force listing."""
from __future__ import annotations

import random
import re
import unicodedata
from datetime import date

import pytest

from runtime.storage.index import DemandeIndex


def summary(n, teleservice="patrimoine", statut="transmise", month="2026-03", day=1, **extra):
    return {
        "id": f"d{n:05d}",
        "numero": f"SUB-2026-{n:06d}",
        "teleservice": teleservice,
        "tiers_id": extra.pop("tiers_id", "t1"),
        "tiers_name": extra.pop("tiers_name", "Association des amis"),
        "statut": statut,
        "transmitted_at": f"{month}-{day:02d}T10:{n % 60:02d}:00+00:00",
        "montant_demande": "1500.00",
        **extra,
    }


@pytest.fixture
def index(store):
    return DemandeIndex(store)


def test_upsert_then_get(index):
    index.upsert(summary(1))
    assert index.get("d00001")["numero"] == "SUB-2026-000001"
    assert index.get("unknown") is None


def test_a_status_change_moves_the_counters_not_the_row(index):
    index.upsert(summary(1))
    index.upsert(summary(2))
    index.upsert(summary(1, statut="acceptee"))
    assert index.counts() == {"patrimoine": {"transmise": 1, "acceptee": 1}}
    assert index.get("d00001")["statut"] == "acceptee"
    rows, total = index.search({"teleservice": "patrimoine"})
    assert total == 2 and len(rows) == 2


def test_the_status_key_of_the_demandes_repository_is_accepted(index):
    row = dict(summary(1))
    row["status"] = row.pop("statut")
    index.upsert(row)
    assert index.search({"statut": "transmise"})[1] == 1


def test_a_new_transmission_date_moves_the_row_to_its_shard(index):
    index.upsert(summary(1, month="2026-01"))
    index.upsert(summary(1, month="2026-04", statut="transmise"))
    rows, total = index.search({})
    assert total == 1 and rows[0]["transmitted_at"].startswith("2026-04")
    assert index.counts() == {"patrimoine": {"transmise": 1}}


def test_remove(index):
    index.upsert(summary(1))
    assert index.remove("d00001") is True
    assert index.remove("d00001") is False
    assert index.search({}) == ([], 0)
    assert index.counts() == {}


@pytest.mark.parametrize(
    "bad, message",
    [({"teleservice": None}, "sans teleservice"), ({"transmitted_at": "hier"}, "date de transmission"),
     ({"teleservice": "../x"}, "identifiant de téléservice"), ({"id": ""}, "sans id")],
)
def test_incomplete_summaries_are_refused(index, bad, message):
    with pytest.raises(ValueError, match=message):
        index.upsert({**summary(1), **bad})


def test_newest_first_across_months_and_teleservices(index):
    index.upsert(summary(1, month="2026-01", day=5))
    index.upsert(summary(2, teleservice="sport", month="2026-03", day=2))
    index.upsert(summary(3, month="2026-03", day=9))
    index.upsert(summary(4, teleservice="sport", month="2025-12", day=30))
    rows, total = index.search({})
    assert [r["id"] for r in rows] == ["d00003", "d00002", "d00001", "d00004"]
    assert total == 4


def test_filters_restriction_text_and_dates(index):
    index.upsert(summary(1, tiers_id="t1", tiers_name="Commune de Cassis", month="2026-01"))
    index.upsert(summary(2, tiers_id="t2", tiers_name="Les Amis du Vieux-Port", month="2026-02"))
    index.upsert(summary(3, teleservice="sport", tiers_id="t2", tiers_name="Club Nautique", month="2026-02"))
    assert [r["id"] for r in index.search({"text": "vieux port"})[0]] == ["d00002"]
    assert index.search({"text": "amis marseille"}) == ([], 0)
    assert [r["id"] for r in index.search({"text": "VIEUX-PORT amis"})[0]] == ["d00002"]
    assert [r["id"] for r in index.search({"text": "cassis"})[0]] == ["d00001"]
    assert [r["id"] for r in index.search({"text": "SUB-2026-000003"})[0]] == ["d00003"]
    assert [r["id"] for r in index.search({"tiers_id": "t2"})[0]] == ["d00003", "d00002"]
    assert index.search({}, teleservices={"sport"})[1] == 1
    assert index.search({"teleservice": "patrimoine"}, teleservices={"sport"}) == ([], 0)
    assert index.search({"date_from": date(2026, 2, 1), "date_to": "2026-02-28"})[1] == 2
    assert index.search({"date_to": "2026-01-01"})[1] == 1
    assert index.search({"date_to": "2025-12-31"})[1] == 0
    assert [r["id"] for r in index.search({"tiers_id": "t2", "text": "vi"})[0]] == ["d00002"]  # a short word
    index.upsert(summary(4, tiers_id="T/4 x", month="2026-02"))  # an id that cannot name a partition
    assert [r["id"] for r in index.search({"tiers_id": "T/4 x"})[0]] == ["d00004"]



def test_the_text_search_finds_a_demande_by_number_tiers_applicant_and_commune_only(index):
    """The fields of issue 11: the téléservice's title, the same in every row of a téléservice,
    is its filter's job; posted, its words listed every demande of the month and every
    transmission rewrote those lists."""
    index.upsert(summary(1, tiers_name="Les Amis du Lavoir", applicant="Camille Martin", commune="Cassis",
                         title="Soutien à la restauration du patrimoine"))
    for text in ("SUB-2026-000001", "lavoir", "martin", "cassis"):
        assert [r["id"] for r in index.search({"text": text})[0]] == ["d00001"], text
    for text in ("restauration", "soutien patrimoine"):
        assert index.search({"text": text}) == ([], 0), text

def test_pages_match_a_brute_force_listing(index):
    rng = random.Random(7)
    rows = []
    for n in range(160):
        row = summary(
            n,
            teleservice=rng.choice(["patrimoine", "sport", "culture"]),
            statut=rng.choice(["transmise", "en_instruction", "acceptee", "refusee"]),
            month=f"2025-{rng.randint(1, 12):02d}",
            day=rng.randint(1, 28),
            tiers_id=f"t{rng.randint(1, 20)}",
        )
        rows.append(index.upsert(row))
    newest_first = sorted(rows, key=lambda r: (r["transmitted_at"], r["id"]), reverse=True)
    cases = [{}, {"teleservice": "sport"}, {"statut": "refusee"}, {"teleservice": "culture", "statut": "acceptee"},
             {"tiers_id": "t3"}, {"statut": "transmise", "date_from": "2025-03-15", "date_to": "2025-07-02"},
             {"date_from": "2025-03-15"}, {"date_to": "2025-10-31"}, {"date_from": "2025-02-01", "date_to": "2025-02-28"},
             {"teleservice": "sport", "date_from": "2025-01-20", "date_to": "2025-11-05"}]
    for filters in cases:
        expected = [r for r in newest_first if _brute_match(r, filters)]
        assert list(index.scan(filters)) == expected, filters  # what an export walks
        for page in (1, 2, 3, 5, 10):
            found, total = index.search(filters, page=page, per_page=17)
            assert total == len(expected), filters
            assert found == expected[(page - 1) * 17 : page * 17], (filters, page)


def test_text_search_pages_match_a_brute_force_listing(index):
    """Across months and téléservices, alone and with other filters and a restriction."""
    rng = random.Random(11)
    pool = ["Lavoir", "Panier", "Calanque", "Joliette", "Rouet", "Goudes"]
    rows = []
    for n in range(150):
        name = " ".join(rng.sample(pool, rng.randint(1, 3)))
        rows.append(index.upsert(summary(
            n, teleservice=rng.choice(["patrimoine", "sport", "culture"]),
            statut=rng.choice(["transmise", "acceptee"]), month=f"2025-{rng.randint(1, 12):02d}",
            day=rng.randint(1, 28), tiers_name=name)))
    newest_first = sorted(rows, key=lambda r: (r["transmitted_at"], r["id"]), reverse=True)
    cases = [({"text": "panier"}, None), ({"text": "pani"}, None), ({"text": "Lavoir calanque"}, None),
             ({"text": "rouet", "teleservice": "sport"}, None), ({"text": "goudes"}, {"culture", "sport"}),
             ({"text": "joliette", "statut": "acceptee"}, None), ({"text": "lavoir", "teleservice": "sport"},
                                                                   {"culture"})]
    for filters, allowed in cases:
        typed = filters["text"].lower().split()
        expected = [r for r in newest_first
                    if all(any(w.lower().startswith(t) for w in r["tiers_name"].split()) for t in typed)
                    and _brute_match(r, {k: v for k, v in filters.items() if k != "text"})
                    and (allowed is None or r["teleservice"] in allowed)]
        assert [r["id"] for r in index.scan(filters, allowed)] == [r["id"] for r in expected], filters
        for page in (1, 2, 4):
            found, total = index.search(filters, page=page, per_page=13, teleservices=allowed)
            assert total == len(expected), filters
            assert [r["id"] for r in found] == [r["id"] for r in expected[(page - 1) * 13: page * 13]], (filters, page)


def test_every_text_query_shape_matches_a_brute_force_listing(index, store):
    """Prefixes expanding to many words (numbers), several words, number prefixes, with
    téléservice, status, dates, a Tiers and a restriction, and a Tiers with each of these
    filters without text: pages and totals equal a scan of every row by the word-prefix
    rule (PostgreSQL matches substrings: see pg_index.py)."""
    if hasattr(store, "pool"):
        pytest.skip("PostgreSQL: text search by substring (LIKE), not by word prefix")
    rng = random.Random(5)
    pool = ["Lavoir", "Lavandes", "Panier", "Calanque", "Martin", "Marseille", "Marthe", "Élan"]
    rows = []
    for n in range(240):
        year = rng.choice([2025, 2026])
        rows.append(index.upsert(summary(
            n, numero=f"{rng.choice(['PAT', 'SPO'])}-{year}-{rng.choice([n, 20260 + n % 12, 123 * n]):06d}",
            teleservice=rng.choice(["patrimoine", "sport", "culture"]), applicant=rng.choice(["", "Camille Martin"]),
            statut=rng.choice(["transmise", "acceptee", "refusee"]), month=f"{year}-{rng.randint(1, 3):02d}",
            day=rng.randint(1, 28), tiers_name=" ".join(rng.sample(pool, rng.randint(1, 3))) + f" {n % 13}",
            tiers_id=f"t{n % 4}")))
    for n in range(0, 240, 7):  # status changes, moves to another Tiers and removals keep the postings exact
        rows[n] = index.upsert({**rows[n], "statut": "acceptee"})
    for n in range(1, 240, 17):
        rows[n] = index.upsert({**rows[n], "tiers_id": "t3", "statut": "refusee"})
    for n in range(3, 240, 31):
        index.remove(rows[n]["id"])
    rows = [r for n, r in enumerate(rows) if n % 31 != 3 or n < 3]
    newest_first = sorted(rows, key=lambda r: (r["transmitted_at"], r["id"]), reverse=True)
    cases = [({"text": "PAT-2026"}, None), ({"text": "2026"}, None), ({"text": "123"}, None), ({"text": "000"}, None),
             ({"text": "lav mar"}, None), ({"text": "martin lavoir"}, None), ({"text": "elan 202"}, None),
             ({"text": "spo-2025", "statut": "acceptee"}, None), ({"text": "mar", "statut": "refusee"}, {"sport"}),
             ({"text": "lava", "date_from": "2025-02-10", "date_to": "2026-01-15"}, None),
             ({"text": "pat 2026 marseille", "teleservice": "culture", "statut": "transmise"}, {"culture", "sport"}),
             ({"text": "mart", "date_to": "2025-03-14", "tiers_id": "t1"}, None), ({"text": "lyon"}, None),
             ({"tiers_id": "t2"}, None), ({"tiers_id": "t3", "statut": "refusee"}, None),
             ({"tiers_id": "t0", "teleservice": "sport", "date_from": "2025-02-10"}, {"sport", "culture"}),
             ({"tiers_id": "t1", "date_from": "2025-01-20", "date_to": "2026-02-03"}, {"patrimoine"}),
             ({"tiers_id": "t1", "text": "lav mar"}, None), ({"tiers_id": "t3", "text": "2026"}, None),
             ({"tiers_id": "t2", "text": "pat-2026", "statut": "transmise"}, {"patrimoine", "culture"}),
             ({"tiers_id": "t0", "text": "mar", "teleservice": "culture", "date_from": "2025-03-01",
               "date_to": "2026-02-20"}, None), ({"tiers_id": "t3", "text": "lyon"}, None), ({"tiers_id": "t9"}, None)]
    for filters, allowed in cases:
        expected = [r for r in newest_first if _words_begin(r, filters.get("text", ""))
                    and _brute_match(r, {k: v for k, v in filters.items() if k != "text"})
                    and (allowed is None or r["teleservice"] in allowed)]
        for page in (1, 2, 5):
            found, total = index.search(filters, page=page, per_page=11, teleservices=allowed)
            assert total == len(expected), filters
            assert found == expected[(page - 1) * 11: page * 11], (filters, page)


def _words_begin(row, text):
    """Every typed word of 3 letters or more begins a word of the row (a number also
    counts without its leading zeros), accents and case aside."""
    def fold(value):
        return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)).lower()

    words = set(re.findall(r"[0-9a-z]+", fold(" ".join(str(row.get(f) or "") for f in
                                                       ("numero", "tiers_name", "title", "applicant", "commune")))))
    words |= {w.lstrip("0") for w in words if w.isdigit()}
    typed = [w for w in re.findall(r"[0-9a-z]+", fold(text)) if len(w) >= 3]
    return all(any(w.startswith(t) for w in words) for t in typed)


def _brute_match(row, filters):
    day = row["transmitted_at"][:10]
    return all(
        day >= value if key == "date_from" else day <= value if key == "date_to" else row[key] == value
        for key, value in filters.items()
    )


def test_a_tiers_listing_reads_its_own_postings_and_the_rows_shown(index, store, monkeypatch):
    if hasattr(store, "pool"):
        pytest.skip("PostgreSQL: the listing is one SQL query")
    for n in range(60):
        index.upsert(summary(n, month=f"2025-{1 + n % 12:02d}", tiers_id=("t1", "t2")[n % 2], tiers_name="Club"))
    read = []
    original = store.read
    monkeypatch.setattr(store, "read", lambda name: read.append(name) or original(name))
    rows, total = index.search({"tiers_id": "t1", "text": "club"}, per_page=4)
    assert total == 30 and all(r["tiers_id"] == "t1" for r in rows) and len(rows) == 4
    assert not [name for name in read if name.startswith("index/_tiers/t2") or name.count("/") == 2
                and not name.startswith("index/_")]  # no other Tiers' postings, no shard


@pytest.mark.parametrize(("filters", "total", "extra_reads"), [
    ({"teleservice": "patrimoine", "statut": "transmise"}, 120, []),
    # a date range: its whole months are counted from the counters, only the month it cuts is read
    ({"teleservice": "patrimoine", "date_from": "2025-03-05"}, 96, ["index/patrimoine/2025-03"]),
], ids=["counters", "dates"])
def test_the_first_page_reads_only_the_newest_shards(index, store, monkeypatch, filters, total, extra_reads):
    if not hasattr(store, "root") and hasattr(store, "pool"):
        pytest.skip("PostgreSQL: no shards, the listing is one SQL query (see bench/postgres_bench.py)")
    for month in range(1, 13):
        for n in range(10):
            index.upsert(summary(month * 100 + n, month=f"2025-{month:02d}", day=n + 1))
    read = []
    original = store.read
    monkeypatch.setattr(store, "read", lambda name: read.append(name) or original(name))
    rows, found = index.search(filters, per_page=15)
    assert found == total and [r["id"] for r in rows][:2] == ["d01209", "d01208"]
    assert read == ["index/_counts", "index/patrimoine/2025-12", "index/patrimoine/2025-11", *extra_reads]


def test_rebuild_counts_repairs_counters_after_a_crash(index, store):
    index.upsert(summary(1))
    index.upsert(summary(2, statut="acceptee"))
    assert index.rebuild_counts() is False
    damage_counters(store)
    assert index.rebuild_counts() is True
    assert index.counts() == {"patrimoine": {"transmise": 1, "acceptee": 1}}


def damage_counters(store):
    if hasattr(store, "pool"):  # PostgreSQL: counters kept by a trigger; damage them by hand
        with store.sql_transaction() as conn:
            conn.execute("UPDATE portail_demande_counts SET n = 7 WHERE statut = 'transmise'")
        return
    with store.transaction("index/_counts") as part:  # as if the process died before this write
        part.table("shards").update("patrimoine/2026-03", {"total": 7, "statuts": {"transmise": 7}})


def test_demande_numbers_are_unique_in_the_index(index, store):
    if not hasattr(store, "pool"):
        pytest.skip("unique constraint of the PostgreSQL index")
    from runtime.storage.base import StorageError

    index.upsert(summary(1))
    with pytest.raises(StorageError, match="déjà utilisée"):
        index.upsert({**summary(2), "numero": summary(1)["numero"]})
    assert index.get("d00002") is None and index.counts() == {"patrimoine": {"transmise": 1}}


def test_a_rebuild_writes_the_tiers_postings_of_an_index_of_the_previous_layout(index, store):
    if hasattr(store, "pool"):
        pytest.skip("PostgreSQL: no postings")
    for n in range(12):
        index.upsert(summary(n, month=f"2025-{1 + n % 4:02d}", tiers_id=("t1", "t2")[n % 2]))
    expected = index.search({"tiers_id": "t1"})
    for name in list(store.partitions("index/_tiers/")):  # as layout 3 left them: none
        with store.transaction(name) as part:
            part.table("postings").remove("demandes")
    with store.transaction("index/_tiers/t9/2024-01") as part:  # a stale posting is emptied
        part.table("postings").insert({"id": "demandes", "rows": "2024-01-01T10:00:00+00:00 d99999 sport transmise"})
    assert index.search({"tiers_id": "t1"}) == ([], 0)
    assert index.rebuild_text() == 12
    assert index.search({"tiers_id": "t1"}) == expected and expected[1] == 6
    assert index.search({"tiers_id": "t9"}) == ([], 0)
