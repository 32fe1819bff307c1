"""Fixtures of the staff tests: the demandes tests' téléservice "quartier" plus
the shipped "patrimoine" téléservice, agents, and transmitted demandes."""
from __future__ import annotations

import shutil

import pytest

from runtime import ROOT
from tests.demandes.support import SPECS, make_tiers
from tests.harness import CHEAP_ARGON2
from tests.helpers import create_account
from tests.staff.support import create_staff, make_app


@pytest.fixture
def specs_dir(tmp_path):
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    shutil.copytree(ROOT / "specs" / "tiers", target / "tiers")
    shutil.copy(ROOT / "specs" / "teleservices" / "patrimoine.yaml", target / "teleservices" / "patrimoine.yaml")
    return target


@pytest.fixture
def app(tmp_path, clock, specs_dir, request):
    # a test of the partitioned index (TinyDB and memory; PostgreSQL's is SQL tables) says so by its marker
    partitioned = request.node.get_closest_marker("partitioned_index") is not None
    return make_app(tmp_path / "data", clock, specs_dir, store="memory", follow_suite=not partitioned)


@pytest.fixture(autouse=True)
def fast_hashing(services):
    """Cheap argon2 parameters: these tests are about instruction, not hashing cost."""
    services.config.update(FAST_ARGON2)


FAST_ARGON2 = CHEAP_ARGON2


@pytest.fixture
def account(services, fast_hashing):
    return create_account(services)


@pytest.fixture
def tiers(services, account):
    return make_tiers(services, account)


@pytest.fixture
def admin(services):
    return create_staff(services, "admin.metropole", "administrateur", [])


@pytest.fixture
def instructeur(services):
    return create_staff(services, "instructeur.quartier", "instructeur", ["quartier"], email="instr@ampmetropole.fr")
