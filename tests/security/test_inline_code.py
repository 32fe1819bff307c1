"""No template nor rendered page holds what the CSP blocks (inline scripts,
event handlers, ``javascript:`` URLs, inline styles); every page is in French."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import ROOT
from tests.security.conftest import applicant_login, staff_login
from tests.security.markup import TEMPLATE_PATTERNS, csp_problems
from tests.security.routes import arguments, fill, owner_values, rules
from tests.security.test_headers import assert_security_headers

TEMPLATES = ROOT / "templates"
# Mails are not pages: no CSP applies and mail clients need inline styles.
# Scripts and handlers stay forbidden in them.
STYLE_ALLOWED_IN = ("mails/",)


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_there_are_templates_to_scan():
    assert len(template_files()) > 30


@pytest.mark.parametrize("kind", sorted(TEMPLATE_PATTERNS))
def test_templates_hold_nothing_the_csp_blocks(kind):
    pattern = TEMPLATE_PATTERNS[kind]
    found = []
    for path in template_files():
        name = path.relative_to(TEMPLATES).as_posix()
        if kind in ("attribut style=", "élément <style>") and name.startswith(STYLE_ALLOWED_IN):
            continue
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"templates/{name}:{line}: {match.group(0)[:100]}")
    assert not found, f"{kind} :\n" + "\n".join(found)


def test_the_template_scan_finds_what_it_looks_for():
    """The patterns themselves are checked, so a clean result means something."""
    samples = {
        "script en ligne": "<script>alert(1)</script>",
        "gestionnaire d'événement": '<button class="x" onclick="go()">',
        "URL javascript:": '<a href="javascript:go()">',
        "élément <style>": "<style>p{}</style>",
        "attribut style=": '<div class="a" style="color:red">',
    }
    for kind, sample in samples.items():
        assert TEMPLATE_PATTERNS[kind].search(sample), kind
    assert not TEMPLATE_PATTERNS["script en ligne"].search(
        '<script src="/static/js/portail/core.js" defer></script>'
    )
    assert not TEMPLATE_PATTERNS["attribut style="].search('<p class="govuk-body" data-style="x">')
    problems, lang = csp_problems(
        '<html lang="fr"><p style="x" onclick="y"><script>z()</script>'
        '<a href="javascript:v()">a</a><style>p{}</style></html>'
    )
    assert len(problems) == 5 and lang == "fr"


def walk_get_routes(app, client, values=None) -> dict[str, object]:
    """GET each rule (without arguments, or filled from ``values``); redirects followed."""
    pages = {}
    for rule in rules(app, "GET"):
        if arguments(rule):
            if values is None:
                continue
            path = fill(rule, values(rule.endpoint))
        else:
            path = rule.rule
        response = client.get(path, follow_redirects=True)
        pages[path] = response
    return pages


def check_pages(pages: dict) -> list[str]:
    failures = []
    for path, response in pages.items():
        for step in [*response.history, response]:
            try:
                assert_security_headers(step)
            except AssertionError as error:
                failures.append(f"{path} : {error}")
            if step.status_code >= 500:
                failures.append(f"{path} : statut {step.status_code}")
        if response.mimetype != "text/html":
            continue
        problems, lang = csp_problems(response.get_data(as_text=True))
        failures += [f"{path} → {response.request.path} ({response.status_code}) : {p}" for p in problems]
        if lang != "fr":
            failures.append(f'{path} → {response.request.path} : <html lang="fr"> manquant (lang={lang!r})')
    return failures


def test_pages_anonymous(app, world):
    pages = walk_get_routes(app, app.test_client())
    assert len(pages) >= 15
    assert not (failures := check_pages(pages)), "\n".join(failures)


def test_pages_applicant(app, world):
    client = app.test_client()
    applicant_login(client, world.owner)
    pages = walk_get_routes(app, client, lambda endpoint: owner_values(world, endpoint))
    html_pages = [p for p, r in pages.items() if r.status_code == 200 and r.mimetype == "text/html"]
    assert len(html_pages) >= 15, html_pages
    assert not (failures := check_pages(pages)), "\n".join(failures)


def test_pages_staff(app, world):
    client = app.test_client()
    assert staff_login(client, world.admin_staff["identifiant"]).status_code == 302
    pages = walk_get_routes(app, client, lambda endpoint: owner_values(world, endpoint))
    staff_pages = [p for p, r in pages.items() if p.startswith("/agents") and r.status_code == 200]
    assert len(staff_pages) >= 6, staff_pages
    assert not (failures := check_pages(pages)), "\n".join(failures)


def test_every_step_of_every_teleservice(app, services, world):
    """Each page of the shipped téléservices, rendered in the wizard and in the staff preview."""
    client = app.test_client()
    assert staff_login(client, world.admin_staff["identifiant"]).status_code == 302
    pages = {}
    for spec in services.catalog.teleservices():
        for page in spec.pages:
            path = f"/agents/apercu/{spec.id}/{page.id}"
            pages[path] = client.get(path)
            assert pages[path].status_code == 200, path
    owner = app.test_client()
    applicant_login(owner, world.owner)
    spec = services.catalog.get(world.draft["teleservice"])
    for page in spec.pages:
        path = f"/demandes/{world.draft['id']}/etape/{page.id}"
        pages[path] = owner.get(path, follow_redirects=True)
    assert not (failures := check_pages(pages)), "\n".join(failures)
