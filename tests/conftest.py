"""Shared fixtures: a fresh app with a temporary data folder."""
from __future__ import annotations

import os

import pytest

# No test of durability needs fsync from the app: the fault tests open their stores with fsync on.
# Set in the environment so gunicorn servers started by the browser tests inherit it.
os.environ.setdefault("PORTAIL_STORE_FSYNC", "0")

from runtime.app import create_app
from runtime.clock import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=["memory"])
def store_kind(request):
    return request.param


@pytest.fixture
def app(tmp_path, clock):
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(tmp_path / "data"),
            "STORE": "tinydb",
            "BASE_URL": "http://portail.test",
            "CLOCK": clock,
            "SECRET_KEY": "test-secret",
            "CAPTCHA_BACKEND": "test",
            # Cheap argon2id parameters: tests hash many passwords on a small machine.
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    yield app


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
