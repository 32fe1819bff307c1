"""A lock held too long gives ``LockTimeout`` (a French "réessayez"), never a hang:
the wait budget of every backend, a lock-order inversion between threads and
between processes (TinyDB ``flock``). The 503 page of a request: tests/demandes/test_robustness.py."""
from __future__ import annotations

import threading

import pytest

from runtime.storage.base import LockTimeout, StorageError
from tests.harness import preloaded_processes
from tests.storage.writer import nest


def hold(store, partition: str, holding: threading.Event, release: threading.Event) -> threading.Thread:
    def run():
        with store.transaction(partition) as part:
            part.table("docs").insert({"id": "held"})
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert holding.wait(30)
    return thread


def test_a_lock_held_past_the_budget_raises_lock_timeout_and_writes_nothing(store):
    store.lock_wait = 0.1
    holding, release = threading.Event(), threading.Event()
    holder = hold(store, "tiers/busy", holding, release)
    try:
        with pytest.raises(LockTimeout) as caught, store.transaction("tiers/busy") as part:
            part.table("docs").insert({"id": "late"})
    finally:
        release.set()
        holder.join(30)
    assert isinstance(caught.value, StorageError) and caught.value.partition == "tiers/busy"
    assert "réessayez" in str(caught.value)
    assert [d["id"] for d in store.read("tiers/busy").table("docs").all()] == ["held"]
    with store.transaction("tiers/busy") as part:  # free again: the next writer goes through
        part.table("docs").insert({"id": "after"})
    assert {d["id"] for d in store.read("tiers/busy").table("docs").all()} == {"held", "after"}


def test_other_partitions_do_not_wait_for_a_held_one(store):
    store.lock_wait = 0.1
    holding, release = threading.Event(), threading.Event()
    holder = hold(store, "tiers/busy", holding, release)
    try:
        with store.transaction("tiers/free") as part:
            part.table("docs").insert({"id": "free"})
    finally:
        release.set()
        holder.join(30)
    assert store.read("tiers/free").table("docs").get("free") is not None


def test_a_lock_order_inversion_between_threads_ends_in_lock_timeout_not_a_hang(store):
    """Thread 1 nests a then b, thread 2 b then a: without a budget both would wait for ever."""
    store.lock_wait = 0.15
    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def nest(name: str, first: str, second: str) -> None:
        try:
            with store.transaction(first) as outer:
                outer.table("docs").insert({"id": name})
                barrier.wait()
                with store.transaction(second) as inner:
                    inner.table("docs").insert({"id": name})
            outcomes[name] = "written"
        except LockTimeout:
            outcomes[name] = "timeout"

    threads = [threading.Thread(target=nest, args=("one", "tiers/a", "tiers/b"), daemon=True),
               threading.Thread(target=nest, args=("two", "tiers/b", "tiers/a"), daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "deadlock: a thread never returned"
    assert "timeout" in outcomes.values()
    for name, outcome in outcomes.items():  # a writer that timed out left nothing half-done in its outer partition
        first = "tiers/a" if name == "one" else "tiers/b"
        assert (store.read(first).table("docs").get(name) is not None) == (outcome == "written")


def test_a_lock_order_inversion_between_processes_ends_in_lock_timeout_not_a_hang(tmp_path):
    """Two worker processes taking two partition files in opposite orders (``flock``)."""
    context = preloaded_processes()
    go, result = context.Event(), context.Queue()
    readies = [context.Event(), context.Event()]
    processes = [
        context.Process(target=nest, args=(str(tmp_path), "tiers/a", "tiers/b", readies[0], go, result)),
        context.Process(target=nest, args=(str(tmp_path), "tiers/b", "tiers/a", readies[1], go, result)),
    ]
    for process in processes:
        process.start()
    try:
        assert all(ready.wait(60) for ready in readies)
        go.set()
        for process in processes:
            process.join(60)
        assert not any(process.is_alive() for process in processes), "deadlock: a worker never returned"
        outcomes = [result.get(timeout=10) for _ in processes]
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    assert "timeout" in outcomes
