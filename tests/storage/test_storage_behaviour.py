"""The Store contract, checked identically on the memory, TinyDB and PostgreSQL backends."""
from __future__ import annotations

import random
import threading

import pytest

from runtime.storage.base import DuplicateId, NotFound, new_id


def insert(store, partition, doc, table="demandes"):
    with store.transaction(partition) as part:
        return part.table(table).insert(doc)


def test_insert_generates_an_id_stored_in_the_document(store):
    doc_id = insert(store, "tiers/abc", {"statut": "brouillon"})
    assert store.read("tiers/abc").table("demandes").get(doc_id) == {"id": doc_id, "statut": "brouillon"}


def test_insert_keeps_an_explicit_id(store):
    assert insert(store, "accounts", {"id": "a1", "email": "x@example.fr"}, table="accounts") == "a1"
    assert store.read("accounts").table("accounts").get("a1")["email"] == "x@example.fr"


def test_an_id_holding_u0000_is_stored_and_looked_up_like_any_other(store):
    """A key typed by a visitor (an identifiant, an e-mail) may hold U+0000, which PostgreSQL text
    refuses; it must be found or not found, never an error. U+E000 (the escape) stays distinct."""
    assert store.read("account_keys/abc").table("identifiant").get("camille\x00") is None
    for key in ("camille\x00", "camille\ue0000", "camille"):
        insert(store, "account_keys/abc", {"id": key, "account_id": repr(key)}, table="identifiant")
    table = store.read("account_keys/abc").table("identifiant")
    assert [d["id"] for d in table.all()] == ["camille\x00", "camille\ue0000", "camille"]
    assert table.get("camille\x00")["account_id"] == repr("camille\x00")
    with store.transaction("account_keys/abc") as part:
        part.table("identifiant").remove("camille\x00")
    assert store.read("account_keys/abc").table("identifiant").get("camille\x00") is None
    assert store.read("account_keys/abc").table("identifiant").get("camille\ue0000") is not None


def test_insert_with_an_existing_id_is_refused_and_changes_nothing(store):
    insert(store, "accounts", {"id": "a1", "email": "first@example.fr"}, table="accounts")
    with pytest.raises(DuplicateId, match="id déjà utilisé : a1"):
        insert(store, "accounts", {"id": "a1", "email": "second@example.fr"}, table="accounts")
    assert store.read("accounts").table("accounts").all() == [{"id": "a1", "email": "first@example.fr"}]


def test_returned_and_inserted_documents_are_copies(store):
    source = {"answers": {"budget": [1, 2]}}
    with store.transaction("tiers/abc") as part:
        table = part.table("demandes")
        doc_id = table.insert(source)
        source["answers"]["budget"].append(3)
        table.get(doc_id)["answers"]["budget"].append(4)
        table.all()[0]["answers"]["budget"].append(5)
        table.find(id=doc_id)[0]["answers"]["budget"].append(6)
    assert store.read("tiers/abc").table("demandes").get(doc_id)["answers"] == {"budget": [1, 2]}


def test_update_merges_and_returns_the_document(store):
    doc_id = insert(store, "tiers/abc", {"statut": "brouillon", "numero": None})
    with store.transaction("tiers/abc") as part:
        updated = part.table("demandes").update(doc_id, {"statut": "transmise"})
    assert updated == {"id": doc_id, "statut": "transmise", "numero": None}
    assert store.read("tiers/abc").table("demandes").get(doc_id) == updated


def test_replace_drops_old_keys_keeps_id_and_position(store):
    first = insert(store, "tiers/abc", {"n": 1, "old": True})
    second = insert(store, "tiers/abc", {"n": 2})
    with store.transaction("tiers/abc") as part:
        part.table("demandes").replace(first, {"id": "ignored", "n": 10})
    docs = store.read("tiers/abc").table("demandes").all()
    assert docs == [{"id": first, "n": 10}, {"id": second, "n": 2}]


def test_remove(store):
    doc_id = insert(store, "tiers/abc", {"n": 1})
    with store.transaction("tiers/abc") as part:
        part.table("demandes").remove(doc_id)
    assert store.read("tiers/abc").table("demandes").get(doc_id) is None


@pytest.mark.parametrize("operation", ["update", "replace", "remove"])
def test_operations_on_a_missing_id_raise_not_found(store, operation):
    insert(store, "tiers/abc", {"n": 1})
    args = {"update": ({"n": 2},), "replace": ({"n": 2},), "remove": ()}[operation]
    with pytest.raises(NotFound), store.transaction("tiers/abc") as part:
        getattr(part.table("demandes"), operation)("missing", *args)


def test_find_by_equality_and_predicate(store):
    with store.transaction("tiers/abc") as part:
        table = part.table("demandes")
        table.insert({"id": "d1", "statut": "transmise", "montant": 100})
        table.insert({"id": "d2", "statut": "transmise", "montant": 5000})
        table.insert({"id": "d3", "statut": "brouillon", "montant": 9000})
        table.insert({"id": "d4"})
    table = store.read("tiers/abc").table("demandes")
    assert [d["id"] for d in table.find(statut="transmise")] == ["d1", "d2"]
    assert [d["id"] for d in table.find(lambda d: d.get("montant", 0) > 1000, statut="transmise")] == ["d2"]
    assert [d["id"] for d in table.find(statut=None)] == ["d4"]
    assert table.find_one(statut="brouillon")["id"] == "d3"
    assert table.find_one(statut="rejetée") is None


def test_an_exception_in_a_transaction_writes_nothing(store):
    doc_id = insert(store, "tiers/abc", {"statut": "brouillon"})
    with pytest.raises(RuntimeError), store.transaction("tiers/abc") as part:
        part.table("demandes").update(doc_id, {"statut": "transmise"})
        part.table("demandes").insert({"id": "other"})
        raise RuntimeError("boom")
    assert store.read("tiers/abc").table("demandes").all() == [{"id": doc_id, "statut": "brouillon"}]


def test_a_failed_first_transaction_creates_no_partition(store):
    with pytest.raises(RuntimeError), store.transaction("tiers/new") as part:
        part.table("demandes").insert({"n": 1})
        raise RuntimeError("boom")
    assert list(store.partitions()) == []


def test_reading_or_touching_without_writing_creates_no_partition(store):
    with store.transaction("tiers/abc") as part:
        assert part.table("demandes").all() == []
    assert store.read("tiers/abc").table_names() == []
    assert list(store.partitions()) == []


def test_a_read_snapshot_is_not_saved_and_is_fresh_per_call(store):
    doc_id = insert(store, "tiers/abc", {"n": 1})
    snapshot = store.read("tiers/abc")
    snapshot.table("demandes").update(doc_id, {"n": 99})
    assert store.read("tiers/abc").table("demandes").get(doc_id)["n"] == 1
    with store.transaction("tiers/abc") as part:
        part.table("demandes").update(doc_id, {"n": 2})
    assert store.read("tiers/abc").table("demandes").get(doc_id)["n"] == 2


def test_partitions_by_prefix_sorted(store):
    for name in ["tiers/b", "tiers/a", "accounts", "index/patrimoine/2026-03", "tiers-archive"]:
        insert(store, name, {"n": 1})
    assert list(store.partitions("tiers/")) == ["tiers/a", "tiers/b"]
    assert list(store.partitions("index/")) == ["index/patrimoine/2026-03"]
    assert list(store.partitions()) == [
        "accounts", "index/patrimoine/2026-03", "tiers-archive", "tiers/a", "tiers/b"
    ]


@pytest.mark.parametrize("prefix", ["../", "/", "tiers/../", "TIERS/"])
def test_a_prefix_that_names_no_partition_lists_nothing(store, prefix):
    insert(store, "tiers/a", {"n": 1})
    assert list(store.partitions(prefix)) == []


def test_table_names_lists_tables_holding_documents(store):
    with store.transaction("tiers/abc") as part:
        part.table("messages").insert({"n": 1})
        part.table("demandes").insert({"n": 1})
        part.table("empty")
    assert store.read("tiers/abc").table_names() == ["demandes", "messages"]


def test_nested_transactions_on_one_partition_are_one_transaction(store):
    with store.transaction("tiers/abc") as outer:
        outer.table("demandes").insert({"id": "d1"})
        with store.transaction("tiers/abc") as inner:
            assert inner.table("demandes").get("d1") == {"id": "d1"}
            inner.table("demandes").insert({"id": "d2"})
        assert outer.table("demandes").get("d2") == {"id": "d2"}
        assert store.read("tiers/abc").table("demandes").all() == []  # not written before the outer exit
    assert [d["id"] for d in store.read("tiers/abc").table("demandes").all()] == ["d1", "d2"]


def test_nested_transactions_on_other_partitions_are_independent(store):
    with pytest.raises(RuntimeError), store.transaction("tiers/abc") as outer:
        outer.table("demandes").insert({"id": "d1"})
        with store.transaction("index/_counts") as inner:
            inner.table("shards").insert({"id": "s1"})
        raise RuntimeError("boom")
    assert store.read("tiers/abc").table("demandes").all() == []
    assert store.read("index/_counts").table("shards").all() == [{"id": "s1"}]


@pytest.mark.parametrize(
    "name", ["", "../etc", "/abs", "tiers/../x", "Tiers", "a//b", "a/", "a.json", "a b", "tiers/é"]
)
def test_invalid_partition_names_are_refused(store, name):
    with pytest.raises(ValueError, match="nom de partition invalide"):
        store.read(name)
    with pytest.raises(ValueError, match="nom de partition invalide"), store.transaction(name):
        pass


def test_concurrent_threads_never_lose_an_increment(store):
    insert(store, "throttle", {"id": "counter", "n": 0}, table="counters")

    def work():
        for _ in range(25):
            with store.transaction("throttle") as part:
                table = part.table("counters")
                table.update("counter", {"n": table.get("counter")["n"] + 1})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read("throttle").table("counters").get("counter")["n"] == 200


def test_new_ids_are_unique_and_sortable_by_time():
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert ids[0][:12] <= ids[-1][:12]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def apply(table, operation, doc_id, value):
    if operation == "insert":
        return table.insert({"id": doc_id, **value})
    if operation == "fail":
        table.insert({"x": 1})
        raise ZeroDivisionError
    if operation == "remove":
        return table.remove(doc_id)
    return getattr(table, operation)(doc_id, value)


@pytest.mark.parametrize("with_postgresql", [False, True], ids=["memory-tinydb", "memory-tinydb-postgresql"])
def test_every_backend_gives_the_same_results_for_a_random_sequence(tmp_path, request, with_postgresql):
    from runtime.storage.memory import MemoryStore
    from runtime.storage.tinydb_store import TinyDBStore

    rng = random.Random(3)
    stores = [MemoryStore(), TinyDBStore(tmp_path / "db")]
    if with_postgresql:
        stores.append(request.getfixturevalue("pg_store"))
    for step in range(300):
        partition, table = rng.choice(["tiers/a", "tiers/b", "accounts"]), rng.choice(["t1", "t2"])
        operation, doc_id = rng.choice(["insert", "update", "replace", "remove", "fail"]), f"d{rng.randint(0, 15)}"
        value = {"n": step, "nested": {"k": [step, rng.random()]}}
        outcomes = []
        for store in stores:
            try:
                with store.transaction(partition) as part:
                    outcomes.append(("ok", apply(part.table(table), operation, doc_id, value)))
            except (DuplicateId, NotFound, ZeroDivisionError) as error:
                outcomes.append(("error", type(error).__name__))
        assert all(outcome == outcomes[0] for outcome in outcomes), (step, operation)
    for name in ["tiers/a", "tiers/b", "accounts"]:
        snapshots = [store.read(name) for store in stores]
        for other in snapshots[1:]:
            assert snapshots[0].table_names() == other.table_names()
            for table in snapshots[0].table_names():
                assert snapshots[0].table(table).all() == other.table(table).all()
    for other in stores[1:]:
        assert list(stores[0].partitions()) == list(other.partitions())


def test_any_text_round_trips_nul_and_private_use_characters_included(store):
    # a refused field is still saved in the draft as typed: hostile text must be stored as is
    doc = {"id": "d1", "nom": "Asso\x00ciation", "k\x00": ["\ue000", "\ue0000", "\\u0000", "é\u202e"]}
    insert(store, "tiers/abc", doc)
    assert store.read("tiers/abc").table("demandes").get("d1") == doc
    with store.transaction("tiers/abc") as part:
        assert part.table("demandes").all() == [doc]
        part.table("demandes").update("d1", {"autre": "\x00"})
    assert store.read("tiers/abc").table("demandes").find(autre="\x00") == [{**doc, "autre": "\x00"}]
