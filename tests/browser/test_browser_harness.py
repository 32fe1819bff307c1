"""The harness itself: the real portal under gunicorn answers Chromium."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from .browser_support import assert_accessible

pytestmark = pytest.mark.browser


def test_live_server_runs_two_gunicorn_workers(live_server):
    # gunicorn replaces a worker that timed out or died (the package's server has then run
    # for minutes under a loaded machine): wait for the master to fork it again.
    deadline = time.monotonic() + 30
    while len(_workers(live_server)) != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_workers(live_server)) == 2, live_server.log()[-3000:]


def _workers(live_server) -> list[Path]:
    return [
        p for p in Path("/proc").iterdir()
        if p.name.isdigit() and _parent_pid(p) == live_server.process.pid
    ]


def _parent_pid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_error_page_is_french_and_accessible(new_journey, screens, js):
    journey = new_journey("visiteur", js=js)
    response = journey.goto("/page-qui-n-existe-pas")
    assert response.status == 404
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert journey.page.locator("h1").inner_text() == "Page introuvable"
    assert journey.page.title().startswith("Page introuvable")
    assert journey.page.locator("html").get_attribute("lang") == "fr"
    journey.step("page introuvable")
    assert_accessible(screens)


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_audit_catches_an_unlabelled_input(new_journey, screens, live_server, js):
    """The auditor is not blind: an input without label is reported in both modes."""
    journey = new_journey("controle", js=js)
    bad = '<!DOCTYPE html><html lang="fr"><head><title>t</title></head><body><main><input type="text"></main></body></html>'
    journey.context.route(live_server.url + "/__mauvaise_page__", lambda route: route.fulfill(body=bad, content_type="text/html"))
    journey.goto("/__mauvaise_page__")
    journey.step("page sans libelle")
    assert [f.rule for f in screens.findings] == ["label"]
    screens.findings.clear()


def test_audits_without_javascript_see_each_page_and_its_stylesheet(new_journey, screens, live_server):
    """A JS-off page is audited in a copy where axe-core runs: the second copy of a journey is
    written into the first one's window, and must be the new page, styled as the real one."""
    journey = new_journey("controle", js=False)
    journey.goto("/connexion")
    real = journey.page.content()
    faulty = real.replace("<main", '<main><input type="text" id="champ-sans-libelle"></main><main hidden', 1)
    for name, html in (("bonne", real), ("mauvaise", faulty)):
        journey.context.route(f"{live_server.url}/__{name}_page__", _serving(html))
    journey.goto("/__bonne_page__")
    journey.step("page correcte")
    assert screens.findings == []
    journey.goto("/__mauvaise_page__")
    journey.step("page sans libelle")
    assert [f.rule for f in screens.findings] == ["label"]
    screens.findings.clear()
    copy = journey._audit_page
    assert copy.locator("#champ-sans-libelle").count() == 1
    style = "getComputedStyle(document.querySelector('h1')).cssText"
    assert copy.evaluate(style) == journey.page.evaluate(style)


def _serving(html: str):
    return lambda route: route.fulfill(body=html, content_type="text/html")
