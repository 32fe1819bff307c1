"""Shared fixtures: a fresh app with a temporary data folder."""
from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Test modules rewritten by pytest (assertions) are cached in their __pycache__ (git-ignored) even
# where the environment sets PYTHONDONTWRITEBYTECODE: rewriting the suite's 230 modules again cost
# each process (each xdist worker) about 3 s of CPU at every run.
sys.dont_write_bytecode = False

# No test of durability needs fsync from the app: the fault tests open their stores with fsync on.
# Set in the environment so gunicorn servers started by the browser tests inherit it.
os.environ.setdefault("PORTAIL_STORE_FSYNC", "0")


def use_memory_file_system(candidate: Path = Path("/dev/shm"), room: int = 2**30) -> None:
    """Temporary folders (``tmp_path``, and those of the servers the tests start) in memory when the
    machine has a writable tmpfs with room, unless ``TMPDIR`` says where: every save of a test is a
    file written and renamed, and on the disk's file system those renames cost a tenth of the suite's
    time (issue 12). The fault tests kill processes, not the machine: a page cache is all they need."""
    if os.environ.get("TMPDIR") or not (candidate.is_dir() and os.access(candidate, os.W_OK)):
        return
    if shutil.disk_usage(candidate).free < room:
        return
    os.environ["TMPDIR"] = str(candidate)
    tempfile.tempdir = None  # read TMPDIR again


use_memory_file_system()

from runtime.clock import Clock
from tests.harness import build_app, run_folder, share_rule_parsing, share_url_builders

share_url_builders()
share_rule_parsing()
from tests.pg_support import ON_POSTGRES, PgTestDatabase


@pytest.fixture(scope="session", autouse=True)
def shared_template_code(tmp_path_factory):
    """The run's processes (xdist workers, the servers the tests start) keep the templates they
    compile in one folder of the run, as a server's workers do (runtime/forms/code_folder.py)."""
    os.environ["PORTAIL_TEMPLATE_CACHE_DIR"] = str(run_folder(tmp_path_factory) / "template-code")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_app(tmp_path, clock):
    """``make_app(**overrides)``: a fresh app, each call in its own data folder (tests/harness.py)."""
    counter = iter(range(1000))

    def factory(**overrides):
        return build_app(tmp_path / f"app{next(counter)}" / "data", clock, **overrides)

    return factory


@pytest.fixture(scope="session")
def pg_database():
    """The PostgreSQL database of this run, created on first use, dropped at the end."""
    database = PgTestDatabase()
    saved = os.environ.get("PORTAIL_DATABASE_URL")
    if ON_POSTGRES:  # commands reading the environment must use the test database too
        os.environ["PORTAIL_DATABASE_URL"] = database.require()
    yield database
    if saved is not None:
        os.environ["PORTAIL_DATABASE_URL"] = saved
    database.drop()


@pytest.fixture
def pg_url(pg_database):
    """The URL of the run's database, emptied for this test (skipped without a server)."""
    url = pg_database.require()
    pg_database.empty()
    return url


@pytest.fixture
def pg_store(pg_url):
    from runtime.storage.postgres_store import PostgresStore

    store = PostgresStore(pg_url, min_size=1, max_size=8)
    yield store
    store.close()


@pytest.fixture(autouse=ON_POSTGRES)
def _empty_database_per_test(request, monkeypatch):
    """On PostgreSQL every test starts from an empty database, whatever app it builds, and the
    pools of the stores it opened are closed after it: a pool left to the garbage collector joins
    its threads from ``__del__``, in the middle of whatever import the next test runs (Python 3.11
    then raises ``KeyError`` from the import lock)."""
    if not ON_POSTGRES:
        yield
        return
    import runtime.storage

    database = request.getfixturevalue("pg_database")
    request.getfixturevalue("pg_url")
    opened, open_store = [], runtime.storage.open_store

    def recording_open_store(config):
        opened.append(open_store(config))
        return opened[-1]

    monkeypatch.setattr(runtime.storage, "open_store", recording_open_store)
    yield
    for store in opened:
        close = getattr(store, "close", None)
        if close is not None:
            close()
    database.disconnect_all()  # connections opened outside the app's store (commands, processes)


def _backend_overrides(request) -> dict:
    if not ON_POSTGRES:
        return {"STORE": "tinydb"}
    return {"STORE": "postgresql", "DATABASE_URL": request.getfixturevalue("pg_url")}


@pytest.fixture
def app(tmp_path, clock, request):
    app = build_app(tmp_path / "data", clock, **_backend_overrides(request))
    yield app
    close = getattr(app.extensions["portail"].store, "close", None)
    if close is not None:
        close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def services(app):
    return app.extensions["portail"]


@pytest.fixture(scope="session")
def playwright_driver():
    """The one Playwright driver of the run: the sync API allows a single one per thread."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Debian's Chromium, shared by every browser test."""
    from tests.browser.browser_support import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium est introuvable à {CHROMIUM}. Installez-le avec : apt-get install -y chromium "
            "(ne lancez pas « playwright install »).",
            pytrace=False,
        )
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def pytest_collection_finish(session):
    """What exists once the tests are collected (modules, items) lives until the end: out of the
    garbage collector's sight, its full passes do not walk it again and again (a tenth of the
    CPU time of a suite that builds an app per test went to collections)."""
    gc.collect()
    gc.freeze()


# Rough cost of a test, to hand the longest files out first (pytest-xdist, --dist loadfile).
BROWSER_TEST_COST, SLOW_TEST_COST, TEST_COST = 20.0, 8.0, 0.05


def pytest_collection_modifyitems(config, items):
    """Files in decreasing order of cost: the journeys of ``tests/browser`` first (one live server
    per worker, started once), then the other files with browser or slow tests, then the rest in
    their usual order. Two workers that took the long files first end together; xdist's own order
    (files with the most tests first) left the long journeys, few tests each, for the end, one
    worker running them while the other had nothing left. A file's tests keep their order."""
    cost: dict[str, float] = {}
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        path = item.nodeid.split("::", 1)[0]
        first.setdefault(path, index)
        if item.get_closest_marker("browser"):
            cost[path] = cost.get(path, 0.0) + BROWSER_TEST_COST
        elif item.get_closest_marker("slow"):
            cost[path] = cost.get(path, 0.0) + SLOW_TEST_COST
        else:
            cost[path] = cost.get(path, 0.0) + TEST_COST

    def order(item):
        path = item.nodeid.split("::", 1)[0]
        if path.startswith("tests/browser/"):
            return (0, -cost[path], first[path])
        if cost[path] >= SLOW_TEST_COST:
            return (1, -cost[path], first[path])
        return (2, 0.0, first[path])

    items.sort(key=order)
