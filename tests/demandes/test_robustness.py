"""Staff access to documents, hostile text in the PDF, mail server down, concurrent numbering."""
from __future__ import annotations

import io
import threading

import pytest
from pypdf import PdfReader

from runtime.domain.pdf import printable
from runtime.storage.repositories.demandes import DemandeRepository
from tests.demandes.support import VALID, fill_valid, save_step, start, stored, text_of, transmit
from tests.helpers import outbox, page_text


def staff_client(app, services, teleservices):
    staff = services.repos.staff.create({"identifiant": f"agent-{'-'.join(teleservices)}", "nom": "Agent",
                                         "role": "instructeur", "teleservices": teleservices})
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"s:{staff['id']}:0"
        session["_fresh"] = True
    return client


def test_staff_of_the_teleservice_downloads_documents(app, client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    recap = page_text(client.get(f"/demandes/{demande_id}/recapitulatif"))
    file_id = stored(services, tiers, demande_id)["answers"]["devis"]["file_id"]
    assert f'href="/demandes/{demande_id}/pieces/{file_id}" download>devis.pdf (' in recap
    agent = staff_client(app, services, ["quartier"])
    with agent.get(f"/demandes/{demande_id}/pieces/{file_id}") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
    assert agent.get(f"/demandes/{demande_id}/accuse-reception.pdf").status_code == 200
    outsider = staff_client(app, services, ["patrimoine"])
    assert outsider.get(f"/demandes/{demande_id}/pieces/{file_id}").status_code == 404


def test_the_pdf_prints_every_letter_a_name_may_hold_and_leaves_out_what_it_cannot():
    assert printable("Fête « spéciale » – 2 € “ok” œuvre 😀") == "Fête « spéciale » – 2 € “ok” œuvre "
    assert printable("Łukasz Şahin, Nguyễn, Ελένη, Иван") == "Łukasz Şahin, Nguyễn, Ελένη, Иван"
    assert printable("Nguye\u0302\u0303n") == "Nguyễn"  # typed decomposed: composed for the font


def test_pdf_with_hostile_text(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    save_step(client, demande_id, "projet", {"intitule": "Fête “été” de Łukasz – 😀 <script>", "participants": "3",
                                             "partenaire": "false"})
    assert transmit(client, demande_id).status_code == 302
    response = client.get(f"/demandes/{demande_id}/accuse-reception.pdf")
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    assert "Intitulé du projet : Fête “été” de Łukasz – <script>" in text
    main = client.get(f"/demandes/{demande_id}/recapitulatif").get_data(as_text=True).split("<main", 1)[1]
    assert "&lt;script&gt;" in main and "<script>" not in main


def test_transmission_survives_smtp_down(app, client, user, services, tiers, caplog):
    services.config["MAIL_BACKEND"] = "smtp"
    services.config["SMTP_HOST"], services.config["SMTP_PORT"] = "127.0.0.1", 9  # nothing listens there
    services.config["SMTP_TIMEOUT"] = 2
    demande_id = start(client)
    fill_valid(client, demande_id)
    response = transmit(client, demande_id)
    assert response.status_code == 302
    assert stored(services, tiers, demande_id)["status"] == "transmise"
    assert any("QUARTIER-2026-000001" in m.subject for m in outbox(services))  # the copy stays
    assert "non transmis au serveur SMTP" in caplog.text
    assert "QUARTIER-2026-000001" in text_of(client.get(response.headers["Location"]))


@pytest.mark.parametrize("store_name", ["tinydb", "postgresql"])
def test_numbers_unique_under_concurrency(services):
    repo = DemandeRepository(services.store, services.clock)
    numbers, lock = [], threading.Lock()

    def take():
        for _ in range(10):
            numero = repo.next_numero("PATRIMOINE", 2026)
            with lock:
                numbers.append(numero)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"PATRIMOINE-2026-{n:06d}" for n in range(1, 41)]


def test_a_save_behind_a_held_lock_gets_the_french_retry_page_not_a_hang(client, user, services, tiers):
    """Another worker holds the demande's partition past the wait budget: 503 « réessayez », nothing saved."""
    from runtime.storage.repositories.demandes import demande_partition

    demande_id = start(client)
    services.store.lock_wait = 0.2
    holding, release = threading.Event(), threading.Event()

    def hold():
        with services.store.transaction(demande_partition(demande_id)):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert holding.wait(30)
    try:
        response = save_step(client, demande_id, "projet", VALID["projet"], action="save")
    finally:
        release.set()
        holder.join(30)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    page = text_of(response)
    assert "Service très sollicité" in page and "réessayez dans quelques instants" in page
    assert "intitule" not in (stored(services, tiers, demande_id).get("answers") or {})
    assert save_step(client, demande_id, "projet", VALID["projet"], action="save").status_code == 302
    assert stored(services, tiers, demande_id)["answers"]["intitule"] == "Fête de quartier"
