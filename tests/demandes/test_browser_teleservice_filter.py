"""« Choix du téléservice » in Chromium: the live filter (static/js/portail/teleservice_filter.js)
follows what is typed and the theme chosen; without JavaScript the whole list is there and the
form asks the server. Pages come from the Flask test client through Playwright's routing."""
from __future__ import annotations

import pytest

from tests.demandes.test_applicant_findings import add_teleservices

pytestmark = pytest.mark.browser

BASE = "http://portail.test"


def routed_page(browser, client, js: bool):
    def handle(route, request):
        if not request.url.startswith(BASE):
            route.abort()
            return
        response = client.open(request.url[len(BASE):], method=request.method, data=request.post_data_buffer,
                               headers={k: v for k, v in request.headers.items() if k.lower() == "content-type"})
        route.fulfill(status=response.status_code, headers=dict(response.headers), body=response.get_data())

    context = browser.new_context(locale="fr-FR", java_script_enabled=js)
    page = context.new_page()
    page.route("**/*", handle)
    return context, page


def shown_titles(page) -> list[str]:
    return page.locator(".portail-teleservices__item:visible h2").all_text_contents()


def test_typing_filters_the_list_live(browser, client, user, services, specs_dir):
    add_teleservices(services, specs_dir, 9)
    context, page = routed_page(browser, client, js=True)
    try:
        page.goto(f"{BASE}/demandes/")
        page.locator("html[data-portail-ready]").wait_for(state="attached")
        assert len(shown_titles(page)) == 10
        page.fill("#mots", "equipements sportifs 3")  # no accent typed: the folded text matches
        assert shown_titles(page) == ["Équipements sportifs n° 3"]
        assert page.locator("[data-filter-count]").text_content() == "1 téléservice sur 10"
        page.fill("#mots", "piscine")
        assert shown_titles(page) == [] and page.locator("[data-filter-none]").is_visible()
        page.fill("#mots", "")
        page.select_option("#theme", "Sport")
        assert len(shown_titles(page)) == 9 and "Aide aux projets de quartier" not in shown_titles(page)
        assert page.locator("[data-filter-count]").text_content() == "9 téléservices sur 10"
        assert not page.locator("[data-filter-none]").is_visible()
    finally:
        context.close()


def test_without_javascript_the_list_is_whole_and_the_server_filters(browser, client, user, services, specs_dir):
    add_teleservices(services, specs_dir, 9)
    context, page = routed_page(browser, client, js=False)
    try:
        page.goto(f"{BASE}/demandes/")
        assert len(shown_titles(page)) == 10
        page.fill("#mots", "Équipements sportifs 3")
        page.get_by_role("button", name="Filtrer").click()
        page.wait_for_url("**/demandes/?mots=*")
        assert shown_titles(page) == ["Équipements sportifs n° 3"]
    finally:
        context.close()
