"""Object-level access (ASVS 8.2.2), route by route from ``app.url_map``.

Every rule with arguments is called (GET and POST, POSTs with a valid CSRF
token and a forged form) with ids of objects that do not exist, that belong to
another Tiers, or that mix one's own object with another's sub-object. The
answer is 404 — never 200, never 500 — and nothing changes in the store.
Positive controls first show that the same routes do serve their owner.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.helpers import csrf_token
from tests.security.conftest import applicant_login, staff_login, store_snapshot
from tests.security.routes import (
    NOT_OBJECTS,
    PUBLIC_DATA_ENDPOINTS,
    arguments,
    fill,
    is_staff_rule,
    nobody_values,
    owner_values,
    parametrised_rules,
)
from tests.security.test_csrf import FORGED, STASH
from tests.security.test_headers import assert_security_headers

SUB_OBJECTS = ("page_id", "file_id", "request_id", "account_id")


def param_rules(app):
    return [(rule, method) for method in ("GET", "POST") for rule in parametrised_rules(app, method)]


def call(client, method: str, path: str, token: str):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**FORGED, "csrf_token": token})


class Probe:
    """Calls routes and gathers every answer that is not the expected one."""

    def __init__(self, app, services, client, token):
        self.app, self.services, self.client, self.token = app, services, client, token
        self.failures: list[str] = []
        self.count = 0

    def expect(self, rule, method: str, values: dict, allowed, why: str):
        path = fill(rule, values)
        before = store_snapshot(self.services.store, ignore=STASH)
        response = call(self.client, method, path, self.token)
        after = store_snapshot(self.services.store, ignore=STASH)
        self.count += 1
        try:
            assert_security_headers(response)
        except AssertionError as error:
            self.failures.append(f"{method} {path} [{rule.endpoint}] : {error}")
        verdict = allowed(response)
        if verdict is not True:
            self.failures.append(f"{method} {path} [{rule.endpoint}] ({why}) : {verdict}")
        if before != after:
            changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
            self.failures.append(f"{method} {path} [{rule.endpoint}] ({why}) : données modifiées {changed}")
        return response

    def check(self):
        assert self.count, "aucune route essayée"
        assert not self.failures, f"{len(self.failures)} sur {self.count} :\n" + "\n".join(self.failures)


def not_found(response):
    return True if response.status_code == 404 else f"attendu 404, obtenu {response.status_code}"


def staff_login_redirect(response):
    if response.status_code == 404:
        return True
    target = urlsplit(response.headers.get("Location", "")).path
    if response.status_code in (302, 303) and target == "/agents/connexion":
        return True
    return f"attendu 404 ou la connexion des agents, obtenu {response.status_code} {target}"


def refused_to_staff(response):
    return True if response.status_code in (403, 404) else f"attendu 403/404, obtenu {response.status_code}"


# -- positive controls: the routes do serve their owner ---------------------------


def test_owner_and_staff_reach_their_objects(app, world):
    owner = app.test_client()
    applicant_login(owner, world.owner)
    file_id = world.filed["answers"]["statuts"]["file_id"]
    for path in (
        f"/demandes/{world.filed['id']}/pieces/{file_id}",
        f"/demandes/{world.filed['id']}/accuse-reception.pdf",
        f"/espace/echanges/{world.filed['id']}",
        f"/tiers/{world.tiers['id']}/comptes",
        f"/demandes/{world.draft['id']}/etape/{world.first_page}",
    ):
        assert owner.get(path).status_code == 200, path
    agent = app.test_client()
    staff_login(agent, world.admin_staff["identifiant"])
    base = f"/agents/demandes/{world.tiers['id']}/{world.filed['id']}"
    for path in (base, f"{base}/fichiers/{file_id}"):
        assert agent.get(path).status_code == 200, path


# -- applicants --------------------------------------------------------------------


def test_outsider_gets_404_for_objects_of_another_tiers(app, services, world):
    client = app.test_client()
    applicant_login(client, world.outsider)
    probe = Probe(app, services, client, csrf_token(client.get("/mon-compte")))
    for rule, method in param_rules(app):
        if is_staff_rule(rule) or rule.endpoint in NOT_OBJECTS:
            continue
        probe.expect(rule, method, owner_values(world, rule.endpoint), not_found, "objets d'un autre Tiers")
    probe.check()


def test_outsider_cannot_reach_foreign_sub_objects_through_his_own(app, services, world):
    """His own Tiers or demande in the URL, another Tiers' request, member or file after it."""
    client = app.test_client()
    applicant_login(client, world.outsider)
    probe = Probe(app, services, client, csrf_token(client.get("/mon-compte")))
    for rule, method in param_rules(app):
        names = arguments(rule)
        if is_staff_rule(rule) or rule.endpoint in NOT_OBJECTS:
            continue
        if not any(name in ("file_id", "request_id", "account_id") for name in names):
            continue
        values = {
            **owner_values(world, rule.endpoint),
            "tiers_id": world.other_tiers["id"],
            "demande_id": world.other_filed["id"],
        }
        probe.expect(rule, method, values, not_found, "son objet, sous-objet d'un autre Tiers")
    probe.check()


def test_applicant_gets_404_for_objects_that_do_not_exist(app, services, world):
    client = app.test_client()
    applicant_login(client, world.owner)
    probe = Probe(app, services, client, csrf_token(client.get("/mon-compte")))
    for rule, method in param_rules(app):
        if is_staff_rule(rule) or rule.endpoint in PUBLIC_DATA_ENDPOINTS:
            continue
        probe.expect(rule, method, nobody_values(), not_found, "ids inexistants")
    probe.check()


def test_owner_gets_404_for_unknown_sub_objects_of_his_own(app, services, world):
    """Each argument in turn replaced by an unknown id, the others his own."""
    client = app.test_client()
    applicant_login(client, world.owner)
    probe = Probe(app, services, client, csrf_token(client.get("/mon-compte")))
    unknown = nobody_values()
    for rule, method in param_rules(app):
        if is_staff_rule(rule) or rule.endpoint in NOT_OBJECTS:
            continue
        for name in arguments(rule):
            if name in SUB_OBJECTS or len(arguments(rule)) == 1:
                values = {**owner_values(world, rule.endpoint), name: unknown[name]}
                probe.expect(rule, method, values, not_found, f"{name} inconnu")
    probe.check()


def test_staff_routes_give_applicants_no_clue(app, services, world):
    """An applicant on agents' routes: the same refusal whether the object exists or not."""
    client = app.test_client()
    applicant_login(client, world.owner)
    probe = Probe(app, services, client, csrf_token(client.get("/mon-compte")))
    for rule, method in param_rules(app):
        if not is_staff_rule(rule):
            continue
        known = probe.expect(
            rule, method, owner_values(world, rule.endpoint), staff_login_redirect, "demandeur"
        )
        unknown = probe.expect(
            rule, method, nobody_values(), staff_login_redirect, "demandeur, ids inexistants"
        )
        if known.status_code != unknown.status_code:
            probe.failures.append(
                f"{method} {rule.rule} : {known.status_code} si l'objet existe, {unknown.status_code} sinon"
            )
    probe.check()


# -- agents ------------------------------------------------------------------------


def test_agent_without_rights_gets_404(app, services, world):
    """An instructeur of another téléservice: 404 on the demande, its files, its export.
    Routes reserved to a role (administrateur) may answer 403, the same for any id."""
    client = app.test_client()
    assert staff_login(client, world.other_instructeur["identifiant"]).status_code == 302
    probe = Probe(app, services, client, csrf_token(client.get("/agents/demandes")))
    for rule, method in param_rules(app):
        if is_staff_rule(rule):
            unknown = probe.expect(rule, method, nobody_values(), refused_to_staff, "ids inexistants")
            # specs are not secret among agents; preview answers are the agent's own
            if rule.endpoint in ("staff.preview", "staff.preview_start", "staff.preview_recap", "staff.preview_clear"):
                continue
            if unknown.status_code == 403:  # a role check, before any object is looked up
                probe.expect(rule, method, owner_values(world, rule.endpoint), refused_to_staff, "rôle")
            else:
                probe.expect(
                    rule, method, owner_values(world, rule.endpoint), not_found, "hors de ses téléservices"
                )
                if unknown.status_code != 404:
                    probe.failures.append(
                        f"{method} {rule.rule} : attendu 404 pour des ids inexistants, "
                        f"obtenu {unknown.status_code}"
                    )
        elif rule.endpoint not in NOT_OBJECTS:
            probe.expect(
                rule, method, owner_values(world, rule.endpoint), refused_to_staff, "route des demandeurs"
            )
    probe.check()


def test_agent_gets_404_for_mismatched_or_unknown_ids(app, services, world):
    """An administrator: demande under another Tiers' id, unknown file, unknown téléservice."""
    client = app.test_client()
    assert staff_login(client, world.admin_staff["identifiant"]).status_code == 302
    probe = Probe(app, services, client, csrf_token(client.get("/agents/demandes")))
    unknown = nobody_values()
    for rule, method in param_rules(app):
        if not is_staff_rule(rule):
            continue
        names = arguments(rule)
        if "tiers_id" in names:
            values = {**owner_values(world, rule.endpoint), "tiers_id": world.other_tiers["id"]}
            probe.expect(rule, method, values, not_found, "demande sous l'id d'un autre Tiers")
        for name in names:
            if name in ("demande_id", "file_id", "page_id", "spec_id", "teleservice", "staff_id"):
                values = {**owner_values(world, rule.endpoint), name: unknown[name]}
                probe.expect(rule, method, values, not_found, f"{name} inconnu")
    probe.check()


def no_tiers_refusal(response):
    """An account without a current Tiers: 404, or sent to create/choose one — never the object."""
    if response.status_code == 404:
        return True
    target = urlsplit(response.headers.get("Location", "")).path
    if response.status_code in (302, 303) and target in ("/espace/", "/tiers/choisir"):
        return True
    return f"attendu 404 (ou l'invitation à choisir un Tiers), obtenu {response.status_code} {target}"


def test_pending_requester_sees_nothing_of_the_tiers(app, services, world):
    """Asking to be attached gives no access until the administrator accepts."""
    client = app.test_client()
    applicant_login(client, world.requester)
    probe = Probe(app, services, client, csrf_token(client.get("/mon-compte")))
    for rule, method in param_rules(app):
        if is_staff_rule(rule) or rule.endpoint in NOT_OBJECTS:
            continue
        known = probe.expect(
            rule, method, owner_values(world, rule.endpoint), no_tiers_refusal, "demande en attente"
        )
        unknown = probe.expect(rule, method, nobody_values(), no_tiers_refusal, "ids inexistants")
        if known.status_code != unknown.status_code:
            probe.failures.append(
                f"{method} {rule.rule} : {known.status_code} si l'objet existe, {unknown.status_code} sinon"
            )
    probe.check()


def test_company_directory_look_up_is_off_by_default_and_for_applicants_only(app, world):
    assert not app.config.get("SIRET_LOOKUP_URL")
    anonymous = app.test_client().get(f"/tiers/siret/{world.tiers['siret']}")
    assert anonymous.status_code == 302
    assert urlsplit(anonymous.headers["Location"]).path == "/connexion"
    client = app.test_client()
    applicant_login(client, world.outsider)
    assert client.get(f"/tiers/siret/{world.tiers['siret']}").status_code == 404
