"""The one test harness: the configuration of a test app and the sign-in helpers.

- ``test_config(data_dir, clock, **overrides)``: what every test app shares (data under
  the test's folder, fake captcha, cheap argon2id, a fixed base URL, the suite's store:
  PostgreSQL on this run's database when ``PORTAIL_DATABASE_URL`` is set, else TinyDB);
  suites override only what differs (``SPECS_DIR``, throttles...). A test about TinyDB
  files on purpose says ``STORE="tinydb"``.
- ``make_app`` fixture (``tests/conftest.py``): ``make_app(**overrides)`` builds a
  fresh app, each in its own data folder; ``app`` is ``make_app()``.
- ``STORES`` and ``store_config(request, name)``: the stores a storage-sensitive behaviour
  test is parametrised over (``@pytest.mark.parametrize("store_name", STORES)`` where the
  suite's app fixture reads a ``store_name`` fixture), PostgreSQL on this run's database
  (emptied for the test; skipped without a server), and ``close_store(app)`` after it.
- ``sign_in(client, account)`` / ``sign_in_staff(client, staff)``: the session Flask-Login
  would write (fast; the login forms have their own tests), or through the login form
  with ``via_form=True`` (the response, a redirect, is checked).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from runtime.app import create_app
from runtime.clock import Clock
from tests.helpers import PASSWORD, csrf_token
from tests.pg_support import SUITE_STORE

# Cheap argon2id parameters: tests hash many passwords on a small machine (the production
# defaults are checked by tests/accounts/test_passwords_and_demo.py).
CHEAP_ARGON2: dict[str, Any] = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "BASE_URL": "http://portail.test",
    "SECRET_KEY": "test-secret",
    "CAPTCHA_BACKEND": "test",
    **CHEAP_ARGON2,
}


def test_config(data_dir: Path | str, clock: Clock, **overrides: Any) -> dict[str, Any]:
    return {**BASE_CONFIG, "DATA_DIR": str(data_dir), "STORE": SUITE_STORE, "CLOCK": clock, **overrides}


test_config.__test__ = False  # not a test, whatever its name

STORES = ("memory", "tinydb", "postgresql")


def store_config(request, store_name: str) -> dict[str, Any]:
    """The configuration of the store named: PostgreSQL on this run's database (the ``pg_url``
    fixture empties it for the test, or skips it without a server)."""
    if store_name == "postgresql":
        return {"STORE": "postgresql", "DATABASE_URL": request.getfixturevalue("pg_url")}
    return {"STORE": store_name}


def close_store(app) -> None:
    """Close the store's pool (PostgreSQL) at the end of a test."""
    close = getattr(app.extensions["portail"].store, "close", None)
    if close is not None:
        close()


def run_worker_once(environment: dict[str, str]):
    """A pass of ``portail worker --once`` on the portal ``environment`` configures (``PORTAIL_*``
    variables, as the service reads them), in this process: the command's app and its pass
    (``runtime.worker.run_once``), without a process start and the portal's import (a second on
    a small machine; the command itself: tests/outbox/test_worker_command.py)."""
    from unittest import mock

    from runtime.worker import run_once

    with mock.patch.dict(os.environ, environment):
        app = create_app()
        try:
            return run_once(app)
        finally:
            close_store(app)


def build_app(data_dir: Path | str, clock: Clock, **overrides: Any):
    return create_app(test_config(data_dir, clock, **overrides))


def run_folder(tmp_path_factory) -> Path:
    """The folder of this test run, shared by its processes: each pytest-xdist worker has its
    own folder (``popen-gw0``...) inside the run's."""
    folder = tmp_path_factory.getbasetemp()
    return folder.parent if os.environ.get("PYTEST_XDIST_WORKER") else folder


# What the tests' worker processes run: imported once by the process they are forked from.
PRELOADED_MODULES = ["tests.storage.writer", "tests.tiers.race_worker"]


def preloaded_processes():
    """The ``multiprocessing`` context of the tests' worker processes (writers killed mid-write,
    races between two processes): each is forked from one server process per test process that
    has imported the portal's stores and app once (``forkserver``). A start then costs a fork,
    not an interpreter and its imports (a third of a second with psycopg on a small machine,
    for each of the 40 writers killed); what the process runs is the same code. They inherit the
    environment of that server, i.e. of the test process when it first started one: pass what
    a test sets (a store's URL, a data folder) as arguments."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED_MODULES)
    return context


def stop_server(process: subprocess.Popen, grace_seconds: float = 5) -> None:
    """Stop a server started in its own session (gunicorn, ``portail serve``) and its workers:
    SIGTERM to the group, then SIGKILL to whatever is left after ``grace_seconds``. A gunicorn
    worker forked just as SIGTERM arrives still runs the master's handlers, which only queue the
    signal for the master: that worker lives on until gunicorn's own graceful timeout (30 s), so
    a test waiting for it would time out instead of checking what it is about."""
    if process.poll() is not None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=30)


def _signal_group(process: subprocess.Popen, signal_number: int) -> None:
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        pass  # the whole group has exited meanwhile


def share_url_builders() -> None:
    """Compile werkzeug's URL builders once per process instead of once per app.

    Each app compiles two small Python functions per URL rule (about 400 rules) to build
    its URLs: an eighth of the suite's CPU, which builds an app per test. Their code is a
    pure function of the rule's text, parsed parts and default names (values are read
    through the bound rule when a URL is built), so the same code serves every app; a rule
    whose defaults fill one of its own variables is compiled as usual. Without the private
    method (another werkzeug), nothing is changed.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    builders: dict[tuple, Any] = {}

    def shared_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    shared_builder.shared = True
    Rule._compile_builder = shared_builder


def share_rule_parsing() -> None:
    """Parse each URL rule once per process instead of once per app.

    ``Rule.compile`` parses the rule's text into the parts the matcher walks, its trace and
    its converters: about 400 rules per app, a fifth of the cost of building one. The result
    is a function of the rule's text, its host or subdomain, ``merge_slashes`` and the map's
    converter classes, so a rule already parsed with the same ones reuses it (converters are
    stateless: their ``map`` is never read), and so are its URL builders for the same defaults
    (``share_url_builders`` makes them once; this skips even computing its key). Without the
    private attributes (another werkzeug), nothing is changed.
    """
    from werkzeug.routing.rules import Rule

    compile_rule = Rule.compile
    if getattr(compile_rule, "shared", False) or not hasattr(Rule, "_parse_rule"):
        return
    parsed: dict[tuple, tuple] = {}
    made: dict[tuple, tuple] = {}  # (parse key, defaults) -> the two URL builders

    def shared_compile(self) -> None:
        url_map = self.map
        domain_rule = (self.host or "") if url_map.host_matching else (self.subdomain or "")
        key = (self.rule, domain_rule, self.merge_slashes, tuple(url_map.converters.items()))
        known = parsed.get(key)
        if known is None:
            compile_rule(self)
            variables = frozenset(name for dynamic, name in self._trace if dynamic)
            parsed[key] = (tuple(self._parts), tuple(self._trace), dict(self._converters), variables)
            return
        parts, trace, converters, variables = known
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments.update(variables)
        builders_key = (key, repr(sorted((self.defaults or {}).items(), key=lambda item: item[0])))
        builders = made.get(builders_key)
        if builders is None:  # the same rule with other defaults gets builders of its own
            builders = made[builders_key] = (self._compile_builder(False), self._compile_builder(True))
        self._build, self._build_unknown = (builder.__get__(self, None) for builder in builders)

    shared_compile.shared = True
    Rule.compile = shared_compile


def sign_in(client, account: dict, via_form: bool = False, password: str = PASSWORD) -> None:
    """Log an applicant account in."""
    if via_form:
        token = csrf_token(client.get("/connexion"))
        response = client.post("/connexion", data={"csrf_token": token, "login": account["identifiant"],
                                                    "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return
    _session_login(client, f"a:{account['id']}:{account.get('auth_epoch', 0)}")


def sign_in_staff(client, staff: dict, via_form: bool = False, password: str = PASSWORD) -> None:
    """Log a staff account in."""
    if via_form:
        response = post_staff_login(client, staff["identifiant"], password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return
    _session_login(client, f"s:{staff['id']}:{staff.get('auth_epoch', 0)}")


def post_staff_login(client, identifiant: str, password: str = PASSWORD):
    """Post the staff login form (fresh CSRF token); the response is not followed."""
    token = csrf_token(client.get("/agents/connexion"))
    return client.post("/agents/connexion", data={"csrf_token": token, "identifiant": identifiant,
                                                  "password": password})


def sign_out(client) -> None:
    with client.session_transaction() as session:
        session.clear()


def _session_login(client, user_id: str) -> None:
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user_id
        session["_fresh"] = True
