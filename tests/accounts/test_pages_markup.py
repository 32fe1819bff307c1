"""Markup of the account pages: unique ids, labels for every input, no inline script or style."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.helpers import create_account, login, register

ANONYMOUS_PAGES = [
    "/connexion",
    "/inscription",
    "/mot-de-passe-oublie",
    "/recuperer-identifiants",
    "/activation/renvoyer",
]


def check_markup(html: str) -> None:
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert not [i for i, n in ids.items() if n > 1], ids
    for input_id in re.findall(
        r'<input[^>]*\sid="([^"]+)"[^>]*type="(?:text|email|password|radio|checkbox)"', html
    ):
        assert f'for="{input_id}"' in html, input_id
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert " style=" not in html and " onclick=" not in html


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_pages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    check_markup(response.get_data(as_text=True))


def test_pages_with_errors(client, services):
    check_markup(register(client, nom="", password="x").get_data(as_text=True))
    check_markup(login(client, "x", "y").get_data(as_text=True))


def test_account_page(client, services):
    create_account(services)
    login(client)
    check_markup(client.get("/mon-compte").get_data(as_text=True))
