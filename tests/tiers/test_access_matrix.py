"""Access rules of the Tiers routes, for each kind of visitor.

Only a Tiers' administrator sees and decides attachment requests and
downloads their documents; ids of objects the visitor has no right to give
404, and the attempt is logged on ``portail.access``.
"""
from __future__ import annotations

import io
import logging

import pytest

from tests.tiers.conftest import SIRET, forged_csrf, login, make_account

ROLES = ("admin", "member", "requester", "outsider", "anonymous")
LOGIN = "→login"  # redirect to the login page
HOME = "→espace"  # redirect to the espace personnel

# route name → expected outcome per role, in the order of ROLES
MATRIX = {
    "select": (200, 200, HOME, 200, LOGIN),
    "members": (200, 404, 404, 404, LOGIN),
    "members_current": (200, 404, 404, 200, LOGIN),  # the outsider administers its own Tiers
    "decide": (302, 404, 404, 404, LOGIN),
    "piece": (200, 404, 404, 404, LOGIN),
    "remove": (302, 404, 404, 404, LOGIN),
    "transfer": (HOME, 404, 404, 404, LOGIN),  # the former administrator leaves the page
    "decide_foreign_request": (404, 404, 404, 404, LOGIN),
}
LOGGED = {"members", "decide", "piece", "remove", "transfer", "decide_foreign_request"}


@pytest.fixture
def matrix_world(app, services, world):
    piece = services.files.save(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "statuts <script>.pdf", "application/pdf")
    with_piece, _ = services.repos.tiers.request_rattachement(
        world.tiers["id"], make_account(services, "Ana", "Pièce")["id"], "association", SIRET, piece)
    foreign, _ = services.repos.tiers.request_rattachement(
        world.other_tiers["id"], make_account(services, "Eve", "Ailleurs")["id"], "commune",
        world.other_tiers["siret"], None)
    return world, with_piece, foreign


def call(client, app, route, world, with_piece, foreign):
    base = f"/tiers/{world.tiers['id']}/comptes"
    token = {"csrf_token": forged_csrf(client, app)}
    requests = {
        "select": lambda: client.get("/tiers/choisir"),
        "members": lambda: client.get(base),
        "members_current": lambda: client.get("/tiers/comptes"),
        "decide": lambda: client.post(f"{base}/demandes/{world.request['id']}", data={**token, "decision": "accepter"}),
        "piece": lambda: client.get(f"{base}/demandes/{with_piece['id']}/piece"),
        "remove": lambda: client.post(f"{base}/{world.member['id']}/retrait", data=token),
        "transfer": lambda: client.post(f"{base}/{world.member['id']}/administrateur", data=token),
        "decide_foreign_request": lambda: client.post(f"{base}/demandes/{foreign['id']}",
                                                      data={**token, "decision": "accepter"}),
    }
    return requests[route]()


def outcome(response):
    if response.status_code == 302:
        location = response.headers["Location"]
        if location.startswith("/connexion"):
            return LOGIN
        if location == "/espace/":
            return HOME
    return response.status_code


@pytest.mark.parametrize("route", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, services, matrix_world, route, role, caplog):
    world, with_piece, foreign = matrix_world
    account = {"admin": world.admin, "member": world.member, "requester": world.requester,
               "outsider": world.outsider, "anonymous": None}[role]
    if account:
        login(client, account)
    with caplog.at_level(logging.WARNING, logger="portail.access"):
        response = call(client, app, route, world, with_piece, foreign)
    expected = MATRIX[route][ROLES.index(role)]
    assert outcome(response) == expected
    if expected == 404 and route in LOGGED:
        assert [r for r in caplog.records if r.name == "portail.access"], "tentative non journalisée"
    # nothing changed for those without rights
    if expected in (404, LOGIN):
        repo = services.repos.tiers
        assert repo.member_role(world.tiers["id"], world.member["id"]) == "membre"
        assert repo.rattachement(world.tiers["id"], world.request["id"])["status"] == "pending"
        assert repo.rattachement(world.other_tiers["id"], foreign["id"])["status"] == "pending"


def test_piece_is_served_as_an_attachment_with_a_safe_name(client, matrix_world):
    world, with_piece, _ = matrix_world
    login(client, world.admin)
    response = client.get(f"/tiers/{world.tiers['id']}/comptes/demandes/{with_piece['id']}/piece")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4\n%%EOF\n"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "<" not in disposition and "script.pdf" in disposition
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/tiers/../registry/comptes", "/tiers/registry/comptes", "/tiers/%2e%2e/comptes"])
def test_odd_tiers_ids_are_404(client, world, path):
    login(client, world.admin)
    assert client.get(path).status_code == 404
