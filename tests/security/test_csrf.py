"""CSRF on every state change (ASVS 3.5.1), enumerated from ``app.url_map``.

For every rule accepting POST, a POST without a CSRF token — anonymous, as an
applicant and as an agent — never succeeds: the CSRF page (400), a 404, or a
redirect to a login page; and nothing was changed in the store, nor the session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.helpers import csrf_token, page_text
from tests.security.conftest import TELESERVICE, applicant_login, staff_login, store_snapshot
from tests.security.routes import fill, owner_values, rules

# What a forged form could carry: enough for most views to act if the token were not checked.
FORGED = {
    "teleservice": TELESERVICE,
    "force": "1",
    "decision": "accepter",
    "motif": "forgé",
    "message": "Message forgé",
    "body": "Message forgé",
    "note": "Note forgée",
    "status": "accordee",
    "transition": "accorder",
    "action": "next",
    "tiers_id": "x",
    "login": "camille01",
    "identifiant": "admin.metropole",
    "password": "Motdepasse1!",
    "email": "pirate@exemple.fr",
    "new_password": "Piratage1234!",
    "confirm": "y",
}
LOGIN_PAGES = ("/connexion", "/agents/connexion")
# The step views keep what an expired session posted (pending_drafts), applied
# only to the owner's own draft after a new login: that partition may change.
STASH = ("throttle", "pending_drafts")


def logged_in_as(client, role: str) -> bool:
    if role == "applicant":
        return client.get("/mon-compte").status_code == 200
    if role == "staff":
        return client.get("/agents/demandes").status_code == 200
    return client.get("/mon-compte").status_code != 200 and client.get("/agents/demandes").status_code != 200


def sign_in(client, world, role: str) -> None:
    if role == "applicant":
        applicant_login(client, world.owner)
    elif role == "staff":
        assert staff_login(client, world.admin_staff["identifiant"]).status_code == 302
    assert logged_in_as(client, role)


def verdict(response) -> str | None:
    """None when the refusal is acceptable, else why not."""
    status = response.status_code
    if status == 400:
        text = page_text(response)
        if "Formulaire expiré" in text or response.is_json:
            return None
        return "400 sans la page « Formulaire expiré »"
    if status in (401, 403, 404):
        return None
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers.get("Location", "")).path
        return None if target in LOGIN_PAGES else f"redirection vers {target} (l'action a été acceptée ?)"
    return f"statut {status}"


def forged_post(client, services, path: str, headers: dict) -> str | None:
    """POST a forged form without token to ``path``: None if refused and nothing changed, else why not."""
    before = store_snapshot(services.store, ignore=STASH)
    response = client.post(path, data=FORGED, headers=headers)
    after = store_snapshot(services.store, ignore=STASH)
    problem = verdict(response)
    if before != after:
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        problem = (problem + " ; " if problem else "") + f"données modifiées : {changed}"
    return problem


@pytest.mark.parametrize("role", ["anonymous", "applicant", "staff"])
def test_post_without_token_is_refused_everywhere(app, services, world, role):
    client = app.test_client()
    sign_in(client, world, role)
    checked, failures = [], []
    for rule in rules(app, "POST"):
        path = fill(rule, owner_values(world, rule.endpoint))
        for headers in ({}, {"X-Autosave": "1", "X-Requested-With": "XMLHttpRequest"}):
            problem = forged_post(client, services, path, headers)
            if not logged_in_as(client, role):
                problem = (problem + " ; " if problem else "") + "la session a changé"
                client = app.test_client()
                sign_in(client, world, role)
            if problem:
                failures.append(f"POST {path} [{rule.endpoint}] {headers and 'autosave' or ''}: {problem}")
        checked.append(rule.endpoint)
    assert len(checked) >= 20, checked  # the map really was walked
    assert not failures, "\n".join(failures)


def test_the_probe_flags_an_unprotected_route(make_app):
    """A test-only route exempted from CSRF that writes data is reported by ``forged_post``."""
    from runtime.web.setup import csrf

    app = make_app()
    services = app.extensions["portail"]

    @csrf.exempt
    def unprotected():
        with services.store.transaction("accounts") as part:
            part.table("accounts").insert({"identifiant": "forgé"})
        return "ok"

    app.add_url_rule("/_test/sans-jeton", "test_sans_jeton", unprotected, methods=["POST"])
    problem = forged_post(app.test_client(), services, "/_test/sans-jeton", {})
    assert problem and "statut 200" in problem and "données modifiées : ['accounts']" in problem
    # and a protected route is not: the probe does not cry wolf
    assert forged_post(app.test_client(), services, "/connexion", {}) is None


def test_anonymous_step_post_never_touches_the_draft(app, services, world):
    """The expired-session stash of a step never writes into the demande itself."""
    client = app.test_client()
    url = f"/demandes/{world.draft['id']}/etape/{world.first_page}"
    before = services.repos.demandes.get(f"tiers/{world.tiers['id']}", world.draft["id"])
    response = client.post(url, data={"intitule": "forgé", "nom": "forgé"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    assert services.repos.demandes.get(f"tiers/{world.tiers['id']}", world.draft["id"]) == before


def test_logout_is_post_only_and_needs_the_token(app, world):
    client = app.test_client()
    applicant_login(client, world.owner)
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400
    assert logged_in_as(client, "applicant")
    token = csrf_token(client.get("/mon-compte"))
    response = client.post("/deconnexion", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert logged_in_as(client, "anonymous")


def test_staff_logout_is_post_only_and_needs_the_token(app, world):
    client = app.test_client()
    staff_login(client, world.admin_staff["identifiant"])
    assert client.get("/agents/deconnexion").status_code == 405
    assert client.post("/agents/deconnexion").status_code == 400
    assert logged_in_as(client, "staff")
    token = csrf_token(client.get("/agents/demandes"))
    assert client.post("/agents/deconnexion", data={"csrf_token": token}).status_code in (302, 303)
    assert logged_in_as(client, "anonymous")


def test_token_of_another_session_is_refused(app, world):
    """A token is bound to its session: one taken from an attacker's session is useless."""
    attacker = app.test_client()
    stolen = csrf_token(attacker.get("/connexion"))
    victim = app.test_client()
    applicant_login(victim, world.owner)
    response = victim.post("/deconnexion", data={"csrf_token": stolen})
    assert response.status_code == 400
    assert logged_in_as(victim, "applicant")


def test_every_form_of_the_pages_carries_a_token(app, world):
    """Each ``<form method="post">`` of the main pages has a csrf_token field."""
    import re

    client = app.test_client()
    applicant_login(client, world.owner)
    pages = [
        "/mon-compte",
        "/espace/",
        "/demandes/",
        "/tiers/comptes",
        "/tiers/rattachement",
        "/tiers/choisir",
        f"/demandes/{world.draft['id']}/etape/{world.first_page}",
        f"/demandes/{world.draft['id']}/recapitulatif",
        f"/demandes/{world.draft['id']}/supprimer",
        f"/espace/echanges/{world.filed['id']}",
    ]
    anonymous = app.test_client()
    missing, post_forms = [], 0
    for who, path in [("demandeur", p) for p in pages] + [
        ("anonyme", p)
        for p in (
            "/connexion",
            "/inscription",
            "/mot-de-passe-oublie",
            "/recuperer-identifiants",
            "/activation/renvoyer",
            "/agents/connexion",
        )
    ]:
        response = (client if who == "demandeur" else anonymous).get(path)
        if response.status_code != 200:
            continue
        for form in re.findall(
            r"<form\b[^>]*>.*?</form>", response.get_data(as_text=True), re.DOTALL | re.IGNORECASE
        ):
            opening = form[: form.find(">") + 1]
            if re.search(r'method="post"', opening, re.IGNORECASE):
                post_forms += 1
                if 'name="csrf_token"' not in form:
                    missing.append(f"{who} {path} : {opening}")
    assert post_forms >= 15, post_forms
    assert not missing, "\n".join(missing)


def stored_bytes(store) -> int:
    return sum(
        len(doc)
        for tables in store_snapshot(store, ignore=()).values()
        for docs in tables.values()
        for doc in docs
    )


def test_tokenless_anonymous_posts_cannot_fill_the_store(app, services):
    """The expired-session stash of the step views is the only write open to anyone without a
    token: it must stay bounded (size cap, throttling, or refusal of unknown demandes), else
    anonymous clients fill the disk. 40 posts of 100 kB may leave at most 1 MB."""
    before = stored_bytes(services.store)
    for n in range(40):
        client = app.test_client()  # a new anonymous visitor each time
        response = client.post(f"/demandes/{n:032x}/etape/identification", data={"champ": "x" * 100_000})
        assert response.status_code in (302, 400, 404, 413, 429), response.status_code
    grown = stored_bytes(services.store) - before
    assert grown < 1_000_000, f"{grown} octets stockés pour 4 Mo envoyés sans jeton ni compte"
