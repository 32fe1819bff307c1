"""The type of a stored document is read from its bytes, never taken from the client (issue 12, item 18)."""
from __future__ import annotations

import io

import pytest

from runtime import filetypes
from tests.demandes.support import PDF, save_step, start, stored
from tests.staff.support import create_staff, demande_url, file_demande, staff_login


def test_a_pdf_sent_as_html_is_stored_and_served_as_pdf(client, user, services, tiers):
    demande_id = start(client)
    response = save_step(client, demande_id, "pieces", {"devis": (io.BytesIO(PDF), "devis.pdf", "text/html")},
                         action="save", content_type="multipart/form-data")
    assert response.status_code in (200, 302)
    devis = stored(services, tiers, demande_id)["answers"]["devis"]
    assert devis["content_type"] == "application/pdf"
    with client.get(f"/demandes/{demande_id}/pieces/{devis['file_id']}") as download:
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"].startswith("attachment;")


def test_a_reference_recorded_with_the_clients_type_is_served_with_the_detected_one(app, services, tiers):
    """Documents stored before the fix kept ``text/html``: they are served as what their bytes are."""
    ref = services.files.save(io.BytesIO(PDF), "devis.pdf", "text/html")
    ref["content_type"] = "text/html"
    demande = file_demande(services, tiers, answers={"intitule": "Fête", "devis": ref})
    create_staff(services, "admin.metropole", "administrateur", [])
    staff = app.test_client()
    staff_login(staff, "admin.metropole")
    with staff.get(f"{demande_url(demande)}/fichiers/{ref['file_id']}") as download:
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert download.data == PDF


@pytest.mark.parametrize(("content", "name", "expected"), [
    (PDF, "devis.pdf", "application/pdf"),
    (PDF, "devis.html", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n....", "photo.png", "image/png"),
    (b"\xff\xd8\xff\xe0....", "photo.jpg", "image/jpeg"),
    (b"<!DOCTYPE html><script>alert(1)</script>", "page.txt", "application/octet-stream"),
    (b"nom;montant\nA;1\n", "budget.csv", "text/csv"),
    (b"Bonjour", "note.txt", "text/plain"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", "budget.xls", "application/vnd.ms-excel"),
    (b"MZ\x90\x00", "devis.pdf", "application/octet-stream"),
])
def test_sniff_reads_the_bytes(content, name, expected):
    assert filetypes.sniff(io.BytesIO(content), name) == expected


def test_sniff_recognises_office_documents():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert filetypes.sniff(buffer, "lettre.docx") == filetypes.DOCX
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", filetypes.ODF_TEXT)
    assert filetypes.sniff(buffer, "lettre.odt") == filetypes.ODF_TEXT
