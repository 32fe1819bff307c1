"""Pièces justificatives: upload, refusal, replacement, removal, download."""
from __future__ import annotations

from tests.demandes.support import (
    OTHER_SIRET,
    PDF,
    make_tiers,
    pdf_upload,
    quick_account,
    save_step,
    sign_in,
    start,
    step_url,
    stored,
    text_of,
)
from tests.helpers import page_text


def upload(client, demande_id, data, action="save"):
    return save_step(client, demande_id, "pieces", data, action=action, content_type="multipart/form-data")


def test_wrong_content_renamed_pdf_is_refused_and_page_kept(client, user, services, tiers):
    demande_id = start(client)
    response = upload(client, demande_id, {"devis": pdf_upload(b"MZ\x90\x00 not a pdf", "devis.pdf"),
                                           "commentaire": "Devis de l'imprimeur"})
    assert response.status_code == 200
    html = page_text(response)
    assert "Le contenu du fichier ne correspond pas à un fichier PDF" in html
    assert 'href="#devis"' in html  # in the error summary
    assert "Devis de l&#39;imprimeur" in response.get_data(as_text=True) or "Devis de l'imprimeur" in html
    doc = stored(services, tiers, demande_id)
    assert "devis" not in doc["answers"]
    assert doc["answers"]["commentaire"] == "Devis de l'imprimeur"


def test_too_large_file_is_refused(client, user, services, tiers):
    demande_id = start(client)
    big = PDF + b"0" * (1024 * 1024)
    response = upload(client, demande_id, {"devis": pdf_upload(big), "commentaire": "Trop lourd"})
    assert response.status_code == 200
    assert "Le fichier dépasse la taille maximale de 1 Mo." in text_of(response)
    assert "devis" not in stored(services, tiers, demande_id)["answers"]


def test_upload_replace_remove_and_download(client, user, services, tiers):
    demande_id = start(client)
    upload(client, demande_id, {"devis": pdf_upload(name="../../devis été.pdf")})
    first = stored(services, tiers, demande_id)["answers"]["devis"]
    assert first["filename"] == "devis été.pdf"
    page = client.get(step_url(demande_id, "pieces"))
    assert "Fichier actuel : devis été.pdf" in text_of(page)
    with client.get(f"/demandes/{demande_id}/pieces/{first['file_id']}") as download:
        assert download.status_code == 200
        assert download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert "devis%20%C3%A9t%C3%A9.pdf" in download.headers["Content-Disposition"]
    upload(client, demande_id, {"devis": pdf_upload(PDF + b"%v2", "nouveau.pdf")})
    second = stored(services, tiers, demande_id)["answers"]["devis"]
    assert second["file_id"] != first["file_id"] and second["filename"] == "nouveau.pdf"
    upload(client, demande_id, {"devis-remove": "true"})
    assert "devis" not in stored(services, tiers, demande_id)["answers"]
    assert client.get(f"/demandes/{demande_id}/pieces/{second['file_id']}").status_code == 404


def test_document_of_another_tiers_and_unknown_file(client, user, services, tiers):
    demande_id = start(client)
    upload(client, demande_id, {"devis": pdf_upload()})
    file_id = stored(services, tiers, demande_id)["answers"]["devis"]["file_id"]
    assert client.get(f"/demandes/{demande_id}/pieces/inconnu").status_code == 404
    stranger = quick_account(services, "zoe0001", "zoe@exemple.fr")
    other = make_tiers(services, stranger, siret=OTHER_SIRET, name="Autre structure")
    other_demande = services.repos.demandes.create(f"tiers/{other['id']}", {"teleservice": "quartier"})
    # a file id of this Tiers asked through a demande of another: refused
    sign_in(client, stranger)
    assert client.get(f"/demandes/{other_demande['id']}/pieces/{file_id}").status_code == 404
    assert client.get(f"/demandes/{demande_id}/pieces/{file_id}").status_code == 404
