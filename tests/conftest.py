"""Shared fixtures: a fresh app with a temporary data folder."""
from __future__ import annotations

import os

import pytest

# No test of durability needs fsync from the app: the fault tests open their stores with fsync on.
# Set in the environment so gunicorn servers started by the browser tests inherit it.
os.environ.setdefault("PORTAIL_STORE_FSYNC", "0")

from runtime.clock import Clock
from tests.harness import build_app


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


@pytest.fixture
def app(tmp_path, clock):
    return build_app(tmp_path / "data", clock)


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
