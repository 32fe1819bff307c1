"""The realistic bench's data set (bench/realistic_data.py) is built through the portal's own
code: what it generates is what an applicant and an agent see through HTTP. Guards the bench
against changes of the storage layout; no figure is asserted."""
from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import csrf_token, login, page_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
realistic_data = pytest.importorskip("realistic_data")
pytestmark = pytest.mark.slow  # a data set built, a load run: seconds, handed out early (tests/conftest.py)


@pytest.fixture(scope="module")
def data_set(tmp_path_factory):
    """Built where the generator stages its work when it can (``/dev/shm``): the finished folder
    is then renamed into place, not copied file by file (20,000 files) to the test's disk."""
    stage = realistic_data.staging_root()
    if stage is None:
        root = tmp_path_factory.mktemp("bench")
    else:
        stage.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="test-", dir=stage))
    try:
        folder = realistic_data.build(100, root=root, report=lambda *_: None)
        yield folder, json.loads((folder / "manifest.json").read_text())
    finally:
        if stage is not None:
            shutil.rmtree(root, ignore_errors=True)


def test_the_data_set_has_the_shapes_of_issue_11(data_set):
    _, manifest = data_set
    assert manifest["demandes"] == 100
    assert manifest["accounts"] == 15  # 0.15 per demande
    assert manifest["communes"] == [10, 8, 7, 6, 4, 2]  # 2,000 … 500 at 100,000, the biggest ~10 at 100
    assert 0.6 <= manifest["transmitted"] / manifest["demandes"] <= 0.9
    assert manifest["small"]["demandes"] == 2


def test_an_applicant_of_the_data_set_logs_in_and_sees_its_demandes(data_set):
    folder, manifest = data_set
    client = realistic_data.app_for(folder / "data").test_client()
    assert login(client, manifest["small"]["identifiant"], manifest["password"]).status_code == 302
    listing = page_text(client.get("/espace/sollicitations"))
    assert "Soutien à la restauration et à la valorisation du patrimoine" in listing  # the draft
    aides = page_text(client.get("/espace/aides"))
    assert re.search(r"[A-Z-]+-20\d\d-\d{6}", aides)  # the transmitted one, with its number
    draft = manifest["small"]["drafts"][0]["id"]
    assert client.get(f"/demandes/{draft}/etape/projet").status_code == 200


def test_an_agent_finds_every_transmitted_demande_in_the_listing(data_set):
    folder, manifest = data_set
    client = realistic_data.app_for(folder / "data").test_client()
    page = client.get("/agents/connexion")
    client.post("/agents/connexion", data={"csrf_token": csrf_token(page), "identifiant": "agent01",
                                           "password": manifest["staff"]["password"]})
    listing = page_text(client.get("/agents/demandes"))
    assert f"{manifest['transmitted']} demande(s)" in listing
    assert "En instruction" in listing


@pytest.mark.skipif(not Path("/usr/bin/wrk").exists(), reason="Debian's wrk is not installed")
def test_the_wrk_load_logs_each_client_in_and_times_every_route(data_set):
    """The bench's wrk load (bench/realistic.py --load wrk) against the portal served over
    HTTP: each connection carries its own client's session (a save needs its CSRF token and
    its session), and every route of every client is timed and answered 2xx/3xx."""
    from threading import Event, Thread

    from werkzeug.serving import make_server

    from runtime.storage.repositories.demandes import tiers_partition

    realistic = pytest.importorskip("realistic")
    folder, manifest = data_set
    app = realistic_data.app_for(folder / "data")
    probe = manifest["small"]
    draft = (tiers_partition(probe["tiers_id"]), realistic.probe_draft(probe))
    repo = app.extensions["portail"].repos.demandes
    before = repo.get(*draft)["updated_at"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        subject = type("Subject", (), {"manifest": manifest, "post": realistic.step_post_data(app, manifest["small"]),
                                       "filters": realistic.listing_filters(manifest)})()
        clients = realistic.load_clients(subject, server.port, Event(), [], applicants=1, staff=1)
        by_route = realistic.run_wrk(server.port, clients, seconds=1, warm_up=0)
    finally:
        server.shutdown()
    errors = by_route.pop("_errors")
    assert "_socket_errors" not in by_route
    assert set(by_route) == {"step GET", "step save", "tableau de bord", "Mes sollicitations", "Mes aides",
                             *(name for name in realistic.listing_filters(manifest) if name != "listing, dates")}
    assert all(by_route.values())
    assert not errors
    assert repo.get(*draft)["updated_at"] > before  # saved through its own session and CSRF token
