"""The SIRET look-up in Chromium: on the Tiers-creation wizard, the raison sociale and then the
address are pre-filled from the (local stand-in) company directory, and it is announced."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.helpers import PASSWORD, create_account
from tests.pg_support import suite_store
from tests.tiers.conftest import SIRET
from tests.tiers.directory_stub import Directory


@pytest.fixture
def directory():
    server = Directory()
    yield server
    server.close()


@pytest.fixture
def portal(tmp_path, clock, directory):
    """The portal with the look-up on, served on 127.0.0.1 in a thread."""
    from runtime.app import create_app

    app = create_app({
        "DATA_DIR": str(tmp_path / "data"), "STORE": suite_store("memory"), "BASE_URL": "http://127.0.0.1",
        "CLOCK": clock, "SECRET_KEY": "test-secret", "CAPTCHA_BACKEND": "test", "SIRET_LOOKUP_URL": directory.url,
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
    })
    with app.app_context():
        create_account(app.extensions["portail"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def page(portal, browser):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=portal, locale="fr-FR")
    expect.set_options(timeout=10_000)  # as the journeys wait: a loaded 2-core machine answers slower
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.browser
def test_raison_sociale_then_address_are_prefilled_and_announced(page, directory):
    from playwright.sync_api import expect

    page.goto("/connexion")
    page.get_by_label("Identifiant ou adresse e-mail").fill("camille01")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto("/tiers/creer")
    page.get_by_label("Une association").check()
    page.get_by_role("button", name="Suivant").click()

    status = page.locator("[data-siret-lookup-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    page.get_by_label("Numéro SIRET").fill(SIRET)
    expect(page.get_by_label("Raison sociale")).to_have_value("TENNIS CLUB DE VANNES")
    expect(status).to_have_text(
        "Raison sociale pré-remplie depuis l'annuaire des entreprises : vérifiez-la."
    )
    page.get_by_label("Numéro RNA").fill("W561001234")
    page.get_by_role("button", name="Suivant").click()

    expect(page.get_by_label("Numéro et voie")).to_have_value("12 RUE DU PORT")
    expect(page.get_by_label("Code postal")).to_have_value("13002")
    expect(page.get_by_label("Commune")).to_have_value("MARSEILLE")
    expect(page.locator("[data-siret-lookup-status]")).to_have_text(
        "Adresse pré-remplie depuis l'annuaire des entreprises : vérifiez-la."
    )
    assert directory.paths == [f"/search?q={SIRET}"] * 2

    # What the applicant typed is never overwritten by a later look-up.
    page.get_by_label("Commune").fill("Marseille 2e")
    page.get_by_role("button", name="Précédent").click()
    page.get_by_role("button", name="Suivant").click()
    expect(page.get_by_label("Commune")).to_have_value("Marseille 2e")
    page.wait_for_function("() => document.getElementById('siret-lookup-config').dataset.lookedUp")  # a function: polled without eval (CSP)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Commune")).to_have_value("Marseille 2e")
    expect(page.locator("[data-siret-lookup-status]")).to_have_text("")
