"""Files leave the portal as attachments, never rendered inline, names not forgeable (ASVS 5.4.x)."""

from __future__ import annotations

from tests.security.conftest import applicant_login, staff_login
from tests.security.test_headers import assert_security_headers


def assert_attachment(response, where: str) -> None:
    assert response.status_code == 200, where
    disposition = response.headers.get("Content-Disposition", "")
    assert disposition.startswith("attachment"), f"{where} : Content-Disposition={disposition!r}"
    assert disposition.count("filename=") <= 1 and disposition.count("filename*=") <= 1, (
        f"{where} : {disposition}"
    )
    assert response.mimetype != "text/html", where
    assert_security_headers(response)


def test_documents_and_receipts_are_attachments(app, world):
    file_id = world.filed["answers"]["statuts"]["file_id"]
    owner = app.test_client()
    applicant_login(owner, world.owner)
    for path in (
        f"/demandes/{world.filed['id']}/pieces/{file_id}",
        f"/demandes/{world.filed['id']}/accuse-reception.pdf",
    ):
        assert_attachment(owner.get(path), path)
    agent = app.test_client()
    staff_login(agent, world.admin_staff["identifiant"])
    for path in (
        f"/agents/demandes/{world.tiers['id']}/{world.filed['id']}/fichiers/{file_id}",
        f"/agents/export/{world.filed['teleservice']}.csv",
        f"/agents/export/{world.filed['teleservice']}.xlsx",
    ):
        assert_attachment(agent.get(path), path)


def test_export_file_name_cannot_be_forged_through_the_url(app, world):
    """The téléservice of the URL goes into Content-Disposition: a quote must not add parameters."""
    agent = app.test_client()
    staff_login(agent, world.admin_staff["identifiant"])
    response = agent.get("/agents/export/x%22%3B%20filename%3D%22evil.html.csv")
    disposition = response.headers.get("Content-Disposition", "")
    assert response.status_code == 404, f"{response.status_code} {disposition}"
    assert "evil.html" not in disposition
