"""The optional company-directory look-up (issue 5): off by default, manual entry is the path; when
configured, an HTTP adapter of the "recherche-entreprises" API shape, tested against a tiny local
server on 127.0.0.1, never blocking the applicant."""
from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from flask import render_template_string

from runtime.siret_lookup import HttpLookup, NullLookup, get_siret_lookup, parse_directory_answer
from tests.pg_support import suite_store
from tests.tiers.conftest import SIRET, login, make_account
from tests.tiers.directory_stub import CANNED, FOUND, SIREN, Directory


@pytest.fixture
def directory():
    server = Directory()
    yield server
    server.close()


@pytest.fixture
def lookup_app(tmp_path, clock, directory):
    from runtime.app import create_app

    return create_app({
        "TESTING": True, "DATA_DIR": str(tmp_path / "data"), "STORE": suite_store("memory"), "BASE_URL": "http://portail.test",
        "CLOCK": clock, "SECRET_KEY": "test-secret", "CAPTCHA_BACKEND": "test",
        "SIRET_LOOKUP_URL": directory.url, "THROTTLE_SIRET_LOOKUP": (3, 600),
    })


def logged_in_client(app):
    client = app.test_client()
    login(client, make_account(app.extensions["portail"]))
    return client


# -- the adapter ------------------------------------------------------------------


def test_http_adapter_parses_the_directory_answer(directory):
    assert HttpLookup(directory.url).lookup(SIRET) == FOUND
    assert directory.paths == [f"/search?q={SIRET}"]


def test_head_office_address_in_parts_when_the_siret_is_the_siege():
    siege = SIREN + "00041"
    assert parse_directory_answer(CANNED, siege) == {
        "raison_sociale": "TENNIS CLUB DE VANNES",
        "adresse": {"street": "3 AVENUE DU STADE", "postcode": "56000", "commune": "VANNES"},
    }


@pytest.mark.parametrize(
    "answer",
    [
        {"results": []},
        {"results": [{**CANNED["results"][0], "siren": "356000000"}]},  # another company
        {"results": [{**CANNED["results"][0], "nom_raison_sociale": "[NON-DIFFUSIBLE]", "nom_complet": ""}]},
    ],
)
def test_unknown_or_unpublished_companies_are_not_found(answer):
    assert parse_directory_answer(answer, SIRET) is None


def test_an_establishment_the_answer_does_not_list_gives_the_name_only():
    answer = {"results": [{**CANNED["results"][0], "matching_etablissements": []}]}
    assert parse_directory_answer(answer, SIRET) == {
        "raison_sociale": "TENNIS CLUB DE VANNES",
        "adresse": {"street": "", "postcode": "", "commune": ""},
    }


@pytest.mark.parametrize(
    "status, body",
    [(500, '{"erreur": "indisponible"}'), (429, "{}"), (200, "<html>pas du JSON</html>"), (200, "[1, 2]")],
)
def test_errors_and_nonsense_give_none_and_a_log_line(directory, caplog, status, body):
    directory.status, directory.body = status, body
    with caplog.at_level(logging.WARNING, logger="portail.siret_lookup"):
        assert HttpLookup(directory.url).lookup(SIRET) is None
    assert f"Annuaire des entreprises indisponible pour le SIRET {SIRET}" in caplog.text


def test_server_down_gives_none(caplog):
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="portail.siret_lookup"):
        assert HttpLookup(f"http://127.0.0.1:{port}/search?q={{siret}}").lookup(SIRET) is None
    assert time.monotonic() - started < 3
    assert "Annuaire des entreprises indisponible" in caplog.text


def test_slow_server_gives_none_at_the_timeout(directory):
    directory.delay = 1.0
    started = time.monotonic()
    assert HttpLookup(directory.url, timeout=0.3).lookup(SIRET) is None
    assert time.monotonic() - started < 0.9


# -- configuration and endpoint ---------------------------------------------------


def test_off_by_default_and_the_endpoint_is_404(app, services):
    with app.app_context():
        assert isinstance(get_siret_lookup(services.config), NullLookup)
        assert app.extensions["siret_lookup"] is get_siret_lookup(services.config)  # built once
    client = logged_in_client(app)
    assert client.get(f"/tiers/siret/{SIRET}").status_code == 404


def test_endpoint_answers_json_for_a_logged_in_applicant(lookup_app, directory):
    client = logged_in_client(lookup_app)
    response = client.get(f"/tiers/siret/{SIRET[:3]} {SIRET[3:]}")
    assert response.status_code == 200
    assert response.get_json() == {"found": True, **FOUND}
    directory.body = json.dumps({"results": []})
    assert client.get(f"/tiers/siret/{SIRET}").get_json() == {"found": False}


def test_endpoint_when_the_directory_is_down_answers_not_found(lookup_app, directory):
    directory.status = 503
    response = logged_in_client(lookup_app).get(f"/tiers/siret/{SIRET}")
    assert response.status_code == 200 and response.get_json() == {"found": False}


def test_endpoint_needs_a_login_and_a_valid_siret(lookup_app, directory):
    anonymous = lookup_app.test_client().get(f"/tiers/siret/{SIRET}")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    invalid = logged_in_client(lookup_app).get("/tiers/siret/12345678901234")
    assert invalid.status_code == 400
    assert invalid.get_json()["error"] == "Le numéro SIRET doit comporter 14 chiffres et être valide."
    assert directory.paths == []


def test_endpoint_is_throttled(lookup_app, directory):
    client = logged_in_client(lookup_app)
    for _ in range(3):
        assert client.get(f"/tiers/siret/{SIRET}").status_code == 200
    refused = client.get(f"/tiers/siret/{SIRET}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["found"] is False
    assert len(directory.paths) == 3


# -- the partial included by the Tiers-creation wizard ------------------------------

PARTIAL = '{% include "tiers/_siret_lookup.html" %}'


def test_partial_renders_nothing_when_off(app):
    with app.test_request_context("/"):
        assert render_template_string(PARTIAL, demande={"answers": {"siret": SIRET}}).strip() == ""


def test_partial_gives_the_endpoint_and_the_known_siret(lookup_app):
    with lookup_app.test_request_context("/"):
        first_step = render_template_string(PARTIAL)
        later_step = render_template_string(PARTIAL, demande={"answers": {"siret": SIRET}})
    assert 'id="siret-lookup-config"' in first_step and 'data-url="/tiers/siret/SIRET"' in first_step
    assert "data-siret=" not in first_step
    assert 'aria-live="polite"' in first_step
    assert f'data-siret="{SIRET}"' in later_step
