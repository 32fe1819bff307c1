"""Several writer processes, and writers killed with SIGKILL mid-write."""
from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from runtime.storage.tinydb_store import TinyDBStore
from tests.harness import preloaded_processes
from tests.storage import writer

# Each run is a process start and a kill 0 to 20 ms into its fsynced writes; 40 runs leave
# several torn temporary files (asserted), which is what the test is about.
KILLED_WRITERS = 40
MAX_KILLED_WRITERS = 400


class Writer:
    """A writer process (``tests/storage/writer.py``) and the ids it acknowledged, in order."""

    def __init__(self, root, partition: str, count: int, tag: str):
        context = preloaded_processes()
        self.acknowledgements, sending_end = context.Pipe(duplex=False)
        self.process = context.Process(target=writer.write, args=(sending_end, str(root), partition, count, tag))
        self.process.start()
        sending_end.close()

    def first_id(self, timeout: float = 60) -> str:
        """The first acknowledged id: the writer is in its write loop now."""
        assert self.acknowledgements.poll(timeout), "the writer acknowledged nothing"
        return self.acknowledgements.recv_bytes().decode()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)

    def ids(self, timeout: float = 120) -> list[str]:
        """Every id acknowledged until the process ended (done, or killed), then reaped."""
        received = []
        while self.acknowledgements.poll(timeout):
            try:
                received.append(self.acknowledgements.recv_bytes().decode())
            except EOFError:
                break
        self.acknowledgements.close()
        self.process.join(timeout)
        return received



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
    writers = [Writer(tmp_path, p, 100, f"w{i}") for i, p in enumerate(partitions)]
    acknowledged = [w.ids() for w in writers]
    assert [w.process.exitcode for w in writers] == [0, 0, 0, 0]

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
    run = 0
    # On a fast machine with tmpfs, a write is a small part of a writer's loop: kill until some
    # kills have struck one mid-write (its temporary file left behind), within a bound.
    while run < KILLED_WRITERS or (not list(tmp_path.rglob(".*.tmp")) and run < MAX_KILLED_WRITERS):
        victim = Writer(tmp_path, "tiers/victim", 0, f"run{run}")
        acknowledged.add(victim.first_id())
        time.sleep(rng.uniform(0, 0.02))
        victim.kill()
        acknowledged.update(victim.ids())
        stored = {d["id"] for d in store.read("tiers/victim").table("docs").all()}
        missing = acknowledged - stored
        assert not missing, f"run {run}: acknowledged writes lost: {sorted(missing)[:3]}"
        run += 1
    assert len(acknowledged) > KILLED_WRITERS
    assert list(tmp_path.rglob(".*.tmp")), f"no kill of {run} landed during a write: the test proved nothing"
    for pattern in ("*.json", "*.json.bak"):  # a killed writer may leave only a stale .tmp beside them
        for path in tmp_path.rglob(pattern):
            json.loads(path.read_bytes())
