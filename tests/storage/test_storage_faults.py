"""Several writer processes, and writers killed with SIGKILL mid-write."""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.storage.tinydb_store import TinyDBStore

WRITER = str(Path(__file__).with_name("writer.py"))
# Each run is a process start and a kill 0 to 20 ms into its fsynced writes; 40 runs leave
# several torn temporary files (asserted), which is what the test is about.
KILLED_WRITERS = 40


def start_writer(root, partition, count, tag):
    return subprocess.Popen(
        [sys.executable, WRITER, str(root), partition, str(count), tag],
        stdout=subprocess.PIPE, text=True,
    )


def assert_every_file_is_valid_json(root):
    files = list(Path(root).rglob("*.json"))
    assert files
    for path in files:
        json.loads(path.read_bytes())
    assert not list(Path(root).rglob(".*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["same partition", "different partitions"])
def test_four_processes_of_100_writes_lose_nothing(tmp_path, layout):
    partitions = ["tiers/shared"] * 4 if layout == "same partition" else [f"tiers/t{i}" for i in range(4)]
    writers = [start_writer(tmp_path, p, 100, f"w{i}") for i, p in enumerate(partitions)]
    acknowledged = [w.communicate(timeout=120)[0].split() for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0]

    store = TinyDBStore(tmp_path)
    docs = [d for name in store.partitions("tiers/") for d in store.read(name).table("docs").all()]
    assert len(docs) == 400
    assert len({d["id"] for d in docs}) == 400
    assert {d["id"] for d in docs} == {i for ids in acknowledged for i in ids}
    for tag in ("w0", "w1", "w2", "w3"):
        assert sorted(d["n"] for d in docs if d["writer"] == tag) == list(range(100))
    assert_every_file_is_valid_json(tmp_path)


@pytest.mark.slow
def test_writers_killed_at_random_moments_lose_no_acknowledged_write(tmp_path):
    rng = random.Random(20260315)
    acknowledged: set[str] = set()
    store = TinyDBStore(tmp_path)
    for run in range(KILLED_WRITERS):
        writer = start_writer(tmp_path, "tiers/victim", 0, f"run{run}")
        acknowledged.add(writer.stdout.readline().strip())  # it is in its write loop now
        time.sleep(rng.uniform(0, 0.02))
        writer.send_signal(signal.SIGKILL)
        acknowledged.update(writer.stdout.read().split())
        writer.wait()
        writer.stdout.close()
        stored = {d["id"] for d in store.read("tiers/victim").table("docs").all()}
        missing = acknowledged - stored
        assert not missing, f"run {run}: acknowledged writes lost: {sorted(missing)[:3]}"
    assert len(acknowledged) > KILLED_WRITERS
    assert list(tmp_path.rglob(".*.tmp")), "no kill landed during a write: the test proved nothing"
    for pattern in ("*.json", "*.json.bak"):  # a killed writer may leave only a stale .tmp beside them
        for path in tmp_path.rglob(pattern):
            json.loads(path.read_bytes())
