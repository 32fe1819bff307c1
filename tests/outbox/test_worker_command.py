"""``portail worker``: a loop stopped cleanly by SIGTERM; ``--once`` for one pass."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from runtime import ROOT
from tests.pg_support import SUITE_STORE


def portail(data_dir, *args, **kwargs):
    env = dict(os.environ, PORTAIL_DATA=str(data_dir), PORTAIL_STORE=SUITE_STORE, PORTAIL_SECRET_KEY="worker-test",
               PORTAIL_WORKER_INTERVAL_SECONDS="0.2")
    return subprocess.Popen([sys.executable, "-c", "from runtime.cli import main; main()", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_worker_stops_cleanly_on_sigterm(tmp_path):
    worker = portail(tmp_path / "data", "worker")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while not any("Worker démarré" in line for line in lines):
        assert worker.poll() is None and time.monotonic() < deadline, "".join(lines)
        time.sleep(0.1)
    time.sleep(0.5)  # a few passes of the loop (one every 0.2 s)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, "".join(lines)
    reader.join(timeout=5)
    err = "".join(lines)
    assert "arrêt après la tâche en cours" in err and "Worker arrêté" in err


def test_worker_once_makes_one_pass(tmp_path):
    worker = portail(tmp_path / "data", "worker", "--once")
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "0 effet(s) livré(s), 0 tâche(s) exécutée(s)." in out
