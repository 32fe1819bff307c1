"""Two processes (two app instances on the same store: the suite's) create the same SIRET at the same moment."""
from __future__ import annotations

import os

import pytest

from runtime.app import create_app
from tests.harness import preloaded_processes
from tests.pg_support import SUITE_STORE
from tests.tiers.race_worker import create_same_sirets

SIRETS = ["73282932000074", "35600000000048", "44306184100047", "55208131766522", "40483304800022"]
ACCOUNTS = ["a" * 32, "b" * 32]


@pytest.mark.slow
def test_same_siret_in_two_processes_gives_one_tiers(tmp_path):
    # Passed whole to the workers: they inherit the environment of the process they are forked from.
    config = {"DATA_DIR": str(tmp_path / "data"), "STORE": SUITE_STORE, "SECRET_KEY": "course",
              "CAPTCHA_BACKEND": "test", "DATABASE_URL": os.environ.get("PORTAIL_DATABASE_URL", "")}
    create_app(config)
    ctx = preloaded_processes()
    barrier, results = ctx.Barrier(len(ACCOUNTS)), ctx.Queue()
    workers = [ctx.Process(target=create_same_sirets, args=(config, account, SIRETS, barrier, results))
               for account in ACCOUNTS]
    for worker in workers:
        worker.start()
    outcomes = []
    while len(outcomes) < len(SIRETS) * len(ACCOUNTS):
        outcomes.append(results.get(timeout=60))
        assert outcomes[-1][2] != "error", outcomes[-1]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    app = create_app(config)
    services = app.extensions["portail"]
    for siret in SIRETS:
        mine = [o for o in outcomes if o[0] == siret]
        created = [o for o in mine if o[2] == "created"]
        taken = [o for o in mine if o[2] == "taken"]
        assert len(created) == 1 and len(taken) == 1, mine
        winner_id = created[0][3]
        assert taken[0][3] == winner_id  # the loser is told which Tiers holds the SIRET
        assert services.repos.tiers.find_by_siret(siret)["id"] == winner_id
        loser = taken[0][1]
        assert services.repos.tiers.tiers_of_account(loser) == [] or all(
            t["siret"] != siret for t in services.repos.tiers.tiers_of_account(loser))
    stored = [services.store.read(name).table("tiers").all() for name in services.store.partitions("tiers/")]
    assert sorted(doc["siret"] for docs in stored for doc in docs) == sorted(SIRETS)
