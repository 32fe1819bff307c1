"""Browser fixtures: the real portal under gunicorn, Debian's Chromium, journeys.

- ``live_server`` (package scope: one server for all journeys, stopped after the last one):
  gunicorn with 2 workers on a free 127.0.0.1 port, a temporary data folder and a
  temporary copy of ``specs/`` plus the téléservices of ``tests/browser/specs/`` (written
  for the journeys, e.g. one not open yet); killed as a process group at the end.
- ``browser`` and ``playwright_driver`` come from ``tests/conftest.py`` (one sync
  Playwright driver per run; Chromium from ``/usr/bin/chromium``, never ``playwright install``).
- ``agent``: an administrateur agent created with ``portail staff add``.
- ``js_context`` / ``nojs_context``: a fresh browser context with JavaScript on / off.
- ``new_journey(actor, js=True)``: one person's tab; ``journey.step(label)``
  screenshots to ``artifacts/screenshots/<test>/NN-step.jpg`` and runs axe-core.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import run_folder

from .browser_support import (
    AUDITED_SHAPES,
    Journey,
    LiveServer,
    Screens,
    write_accessibility_report,
)

CONTEXT_OPTIONS = {"locale": "fr-FR", "viewport": {"width": 1280, "height": 900}}


# Téléservices written for the journeys (e.g. one not open yet), added to the server's specs copy.
TEST_TELESERVICES = Path(__file__).parent / "specs"


@pytest.fixture(scope="session", autouse=True)
def shared_audits(tmp_path_factory):
    """The run's processes share axe-core's findings by page shape, in the run's folder."""
    AUDITED_SHAPES.share(run_folder(tmp_path_factory) / "axe-findings.jsonl")


@pytest.fixture(scope="package")
def live_server(tmp_path_factory):
    server = LiveServer.start(tmp_path_factory.mktemp("portail-live"), extra_teleservices=TEST_TELESERVICES)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def agent(live_server):
    """An administrateur agent created with ``portail staff add``: (identifiant, password)."""
    identifiant = "instructeur.patrimoine"
    return identifiant, live_server.add_staff(identifiant)


@pytest.fixture
def js_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=True, **CONTEXT_OPTIONS)
    yield context
    context.close()


@pytest.fixture
def nojs_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **CONTEXT_OPTIONS)
    yield context
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def screens(request):
    return Screens(request.node.name)


@pytest.fixture
def new_journey(request, browser, live_server, screens):
    """Factory of journeys: ``new_journey("admin")``, ``new_journey("membre", js=False)``."""
    journeys: list[Journey] = []

    def make(actor: str = "", js: bool = True, **options) -> Journey:
        context = browser.new_context(
            base_url=live_server.url, java_script_enabled=js, **{**CONTEXT_OPTIONS, **options}
        )
        journey = Journey(context, screens, live_server, actor, js, browser)
        journeys.append(journey)
        return journey

    yield make
    failed = getattr(request.node, "browser_failed", False)
    if failed:  # the server's side of the story, shown with the failure
        print("---- fin du journal gunicorn ----\n" + live_server.log()[-3000:])
    for journey in journeys:
        if failed and not journey.page.is_closed():
            try:
                journey.page.screenshot(path=str(screens.next_path(f"{journey.actor}-echec")), full_page=True)
            except Exception as error:  # noqa: BLE001 - a screenshot must not hide the real failure
                print(f"capture d'écran de l'échec impossible : {error}")
        journey.close()
    write_accessibility_report(screens)
