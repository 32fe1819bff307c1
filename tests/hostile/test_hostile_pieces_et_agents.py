"""Hostile files (types and names) on the attachment form, and hostile text reaching the
agents' pages, the applicant's Mes échanges and the CSV export."""
from __future__ import annotations

import csv
import io

import pytest
from hostile_payloads import FILES, HOSTILE_FILENAMES, MARKUP, PDF_BYTES, VALID_SIRET, payload_is_inert
from hostile_support import make_tiers, sign_in

from runtime.storage.files import FILE_ID
from tests.helpers import create_account, csrf_token, field_error, page_text
from tests.staff.support import create_staff, file_demande, staff_login


@pytest.fixture
def club(services):
    """A Tiers administered by someone else, that the logged-in user asks to join."""
    admin = create_account(services, identifiant="admin0001", email="admin@exemple.fr")
    return admin, make_tiers(services, admin, siret=VALID_SIRET, name="Tennis club de Vannes")


def ask_to_join(client, filename: str, content: bytes, content_type: str = "application/pdf"):
    token = csrf_token(client.get("/tiers/rattachement"))
    return client.post(
        "/tiers/rattachement",
        data={"csrf_token": token, "famille": "association", "siret": VALID_SIRET,
              "piece_justificative": (io.BytesIO(content), filename, content_type)},
        content_type="multipart/form-data",
    )


def uploaded_files(services) -> list:
    """What the file store holds: files of the uploads folder, or ids of the PostgreSQL store."""
    if not hasattr(services.files, "root"):
        return services.files.ids()
    root = services.files.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("case", list(FILES), ids=list(FILES))
def test_hostile_file_type_is_refused_beside_the_field(client, services, user, club, case):
    filename, content, content_type = FILES[case]
    response = ask_to_join(client, filename, content, content_type)
    assert response.status_code == 400
    message = field_error(response, "piece_justificative")
    assert message and message.startswith("Le "), message
    assert services.repos.tiers.rattachements(club[1]["id"]) == []
    assert uploaded_files(services) == []


@pytest.mark.parametrize("case", list(HOSTILE_FILENAMES), ids=list(HOSTILE_FILENAMES))
def test_hostile_file_name_is_stored_safely_and_shown_inert(app, client, services, user, club, case):
    filename = HOSTILE_FILENAMES[case]
    response = ask_to_join(client, filename, PDF_BYTES)
    if case == "entete":
        # The line break cuts the name in the multipart header itself: what reaches the portal
        # has no « .pdf » extension any more, and is refused like any other wrong type.
        assert response.status_code == 400
        assert field_error(response, "piece_justificative") == "Le fichier doit être au format PDF, JPG ou PNG."
        assert uploaded_files(services) == []
        return
    assert response.status_code == 302, field_error(response, "piece_justificative")
    (request,) = services.repos.tiers.rattachements(club[1]["id"])
    file_id = request["piece"]["file_id"]
    assert FILE_ID.fullmatch(file_id)  # the stored name never comes from the user
    if hasattr(services.files, "root"):  # a folder (PostgreSQL keeps no file on disk)
        stored = services.files.path(file_id)
        assert stored.resolve().is_relative_to(services.files.root.resolve())
    with services.files.open(file_id) as stored:
        assert stored.read() == PDF_BYTES

    admin_client = app.test_client()
    sign_in(admin_client, club[0])
    page = admin_client.get(f"/tiers/{club[1]['id']}/comptes")
    assert page.status_code == 200
    assert payload_is_inert(page.get_data(as_text=True), filename)
    download = admin_client.get(f"/tiers/{club[1]['id']}/comptes/demandes/{request['id']}/piece")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "\r" not in disposition and "\n" not in disposition and ".." not in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------ agents, échanges, export

ANSWERS = {
    "situe_metropole": True, "proprietaire": True, "protege": False, "travaux_commences": False,
    "raison_sociale": MARKUP["script"], "siret": VALID_SIRET,
    "referent_nom": "=HYPERLINK(\"http://evil.example\",\"clic\")", "intitule": MARKUP["jinja"],
    "description": MARKUP["img-onerror"], "montant_sollicite": "1500.00",
}


@pytest.fixture
def filed(services, account, tiers):
    return file_demande(services, tiers, teleservice="patrimoine", answers=ANSWERS)


@pytest.fixture
def agent(app, services):
    create_staff(services, "agent.hostile", "administrateur", [])
    client = app.test_client()
    assert staff_login(client, "agent.hostile").status_code == 302
    return client


def test_hostile_answers_are_inert_on_the_agent_page(agent, filed):
    page = agent.get(f"/agents/demandes/{filed['tiers_id']}/{filed['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for payload in (MARKUP["script"], MARKUP["img-onerror"]):
        assert payload_is_inert(html, payload)
        assert payload in page_text(page)
    assert MARKUP["jinja"] in page_text(page)  # {{7*7}} shown as typed, not 49


@pytest.mark.parametrize("payload", list(MARKUP.values()), ids=list(MARKUP))
def test_hostile_message_is_inert_for_the_agent_and_the_applicant(client, member, agent, filed, payload):
    path = f"/espace/echanges/{filed['id']}"
    token = csrf_token(client.get(path))
    response = client.post(path, data={"csrf_token": token, "body": payload}, follow_redirects=True)
    assert response.status_code == 200
    assert payload_is_inert(response.get_data(as_text=True), payload)
    assert payload in page_text(response)
    staff_page = agent.get(f"/agents/demandes/{filed['tiers_id']}/{filed['id']}")
    assert payload_is_inert(staff_page.get_data(as_text=True), payload)
    assert payload in page_text(staff_page)


def test_csv_export_keeps_payloads_as_inert_text(agent, filed):
    export = agent.get("/agents/export/patrimoine.csv")
    assert export.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    cells = list(row.values())
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells), cells
    assert "'=HYPERLINK(\"http://evil.example\",\"clic\")" in cells
    assert MARKUP["jinja"] in cells
