"""Mes échanges: conversations between a Tiers and staff, unread counts, mails."""
from __future__ import annotations

import io

import pytest

from runtime.formatting import format_moment
from tests.demandes.support import OTHER_SIRET, PDF, make_tiers
from tests.helpers import create_account, csrf_token, last_mail, login, outbox, page_text
from tests.staff.support import demande_url, file_demande, staff_login


@pytest.fixture
def demande(services, tiers):
    return file_demande(services, tiers)


@pytest.fixture
def applicant(app, account):
    client = app.test_client()
    assert login(client, account["identifiant"]).status_code == 302
    return client


@pytest.fixture
def agent(app, instructeur, admin):
    client = app.test_client()
    assert staff_login(client, "instructeur.quartier").status_code == 302
    return client


def write(client, path, body, attachment=None, token_from=None):
    data = {"csrf_token": csrf_token(client.get(token_from or path)), "body": body}
    if attachment is not None:
        data["attachment"] = attachment
    return client.post(path, data=data, content_type="multipart/form-data")


def conversation_url(demande):
    return f"/espace/echanges/{demande['id']}"


def test_applicant_message_reaches_assigned_staff_with_unread_count(services, applicant, agent, demande):
    response = write(applicant, conversation_url(demande), "Bonjour, le devis a changé.")
    assert response.status_code == 302
    mail = last_mail(services, to="instr@ampmetropole.fr")
    assert mail.subject == f"Nouveau message du demandeur : demande {demande['numero']}"
    assert f"http://portail.test{demande_url(demande)}#echanges" in mail.text
    assert not [m for m in outbox(services) if m.to == "admin.metropole@ampmetropole.fr"]

    listing = page_text(agent.get("/agents/demandes"))
    assert "1 non lu(s)" in listing
    page = page_text(agent.get(demande_url(demande)))
    assert "Bonjour, le devis a changé." in page
    assert "non lu" not in page_text(agent.get("/agents/demandes"))
    inbox = page_text(agent.get("/agents/echanges"))
    assert demande["numero"] in inbox
    assert "non lu" not in inbox


def test_staff_reply_with_attachment_notifies_applicant(services, applicant, agent, account, demande):
    response = write(agent, demande_url(demande) + "/messages", "Merci d'envoyer le RIB.",
                     (io.BytesIO(PDF), "modele-rib.pdf"), token_from=demande_url(demande))
    assert response.status_code == 302
    mail = last_mail(services, to=account["email"])
    assert mail.subject == f"Nouveau message sur votre demande {demande['numero']}"
    assert f"http://portail.test/espace/echanges/{demande['id']}" in mail.text

    assert "1 non lu(s)" in page_text(applicant.get("/espace/echanges"))
    page = page_text(applicant.get(conversation_url(demande)))
    assert "Merci d'envoyer le RIB." in page
    assert f"modele-rib.pdf</a> ({len(PDF)} octets)" in page  # the one size format (runtime.formatting.file_size)
    (sent,) = services.repos.messages.conversation(demande["tiers_id"], demande["id"])
    assert f"le {format_moment(sent['created_at'])}" in page  # « le 15 juin 2026 à 14 h 05 », local time
    assert "non lu" not in page_text(applicant.get("/espace/echanges"))

    (message,) = services.repos.messages.conversation(demande["tiers_id"], demande["id"])
    file_id = message["attachments"][0]["file_id"]
    download = applicant.get(f"{conversation_url(demande)}/fichiers/{file_id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    "body, attachment, field, message",
    [("", None, "body", "Saisissez votre message."),
     ("x" * 5001, None, "body", "Le message ne doit pas dépasser 5\u202f000 caractères."),
     ("Voici", (io.BytesIO(b"<html><script>alert(1)</script></html>"), "piece.pdf"), "attachment",
      "Le contenu du fichier ne correspond pas à un fichier PDF"),
     ("Voici", (io.BytesIO(b"MZ\x90\x00"), "virus.exe"), "attachment", "Le fichier doit être au format")],
)
def test_bad_messages_are_refused_in_french(services, applicant, demande, body, attachment, field, message):
    response = write(applicant, conversation_url(demande), body, attachment)
    assert response.status_code == 400
    text = page_text(response)
    assert text.count(message) == 2
    assert f'href="#{field}"' in text
    assert f'aria-describedby="{field}-hint {field}-error"' in text
    if body and len(body) < 100:
        assert f">{body}</textarea>" in text
    assert services.repos.messages.conversation(demande["tiers_id"], demande["id"]) == []


def test_a_message_of_5000_characters_with_line_breaks_is_sent(services, applicant, demande):
    body = ("x" * 99 + "\r\n") * 50  # 5 000 characters as the applicant sees them, 5 050 as posted
    assert write(applicant, conversation_url(demande), body, token_from=conversation_url(demande)).status_code == 302
    [sent] = services.repos.messages.conversation(demande["tiers_id"], demande["id"])
    assert sent["body"] == ("x" * 99 + "\n") * 49 + "x" * 99


def test_applicant_sees_only_own_tiers_conversations(app, services, applicant, demande):
    stranger_account = create_account(services, "autre0001", "autre@exemple.fr")
    stranger = make_tiers(services, stranger_account, OTHER_SIRET, name="Autre Tiers")
    foreign = file_demande(services, stranger)
    services.repos.messages.post(stranger["id"], foreign, {"kind": "staff", "id": "s", "name": "Agent"}, "Secret")
    assert applicant.get(conversation_url(foreign)).status_code == 404
    assert write(applicant, conversation_url(demande), "x", token_from=conversation_url(demande)).status_code == 302
    forged = applicant.post(conversation_url(foreign), data={"csrf_token": csrf_token(applicant.get("/espace/echanges")),
                                                              "body": "intrusion"})
    assert forged.status_code == 404
    listing = page_text(applicant.get("/espace/echanges"))
    assert demande["numero"] in listing
    assert foreign["numero"] not in listing


def test_staff_cannot_download_files_of_other_demandes(services, agent, demande, tiers):
    other = file_demande(services, tiers)
    services.repos.messages.post(tiers["id"], other, {"kind": "staff", "id": "s", "name": "Agent"}, "Pièce",
                                 [{"file_id": "a" * 32, "filename": "x.pdf"}])
    assert agent.get(f"{demande_url(demande)}/fichiers/{'a' * 32}").status_code == 404


def test_unread_counts_are_per_reader(services, demande, instructeur, admin):
    messages = services.repos.messages
    messages.post(demande["tiers_id"], demande, {"kind": "applicant", "id": "a1", "name": "Camille"}, "Un")
    messages.post(demande["tiers_id"], demande, {"kind": "applicant", "id": "a1", "name": "Camille"}, "Deux")
    assert messages.unread_for_staff(instructeur) == {demande["id"]: 2}
    messages.mark_read_by_staff(instructeur["id"], demande["id"])
    assert messages.unread_for_staff(instructeur) == {}
    assert messages.unread_for_staff(admin) == {demande["id"]: 2}
    messages.post(demande["tiers_id"], demande, {"kind": "staff", "id": instructeur["id"], "name": "I"}, "Réponse")
    assert messages.unread_for_applicant(demande["tiers_id"], "a1") == {demande["id"]: 1}
    assert messages.unread_for_applicant(demande["tiers_id"], "a2") == {demande["id"]: 1}
    messages.mark_read_by_applicant(demande["tiers_id"], "a1", demande["id"])
    assert messages.unread_for_applicant(demande["tiers_id"], "a1") == {}
    assert messages.unread_for_applicant(demande["tiers_id"], "a2") == {demande["id"]: 1}


def test_unread_badge_in_the_espace_menu(services, applicant, agent, demande):
    write(agent, demande_url(demande) + "/messages", "Une question", token_from=demande_url(demande))
    menu = page_text(applicant.get("/espace/aides"))
    assert '1<span class="govuk-visually-hidden"> message(s) non lu(s)</span>' in menu
    applicant.get(conversation_url(demande))
    assert "message(s) non lu(s)" not in page_text(applicant.get("/espace/aides"))


def test_staff_message_without_csrf_token_is_refused(services, agent, demande):
    response = agent.post(demande_url(demande) + "/messages", data={"body": "Sans jeton"})
    assert response.status_code == 400
    assert services.repos.messages.conversation(demande["tiers_id"], demande["id"]) == []


def test_staff_echanges_lists_from_the_conversation_summaries_without_reading_demandes(
        services, applicant, agent, demande, tiers):
    from tests.demandes.test_request_costs import RecordingStore

    assert write(applicant, conversation_url(demande), "Bonjour, une question.").status_code == 302
    services.staff_index.reindex({**demande, "status": "en_instruction"})  # a staff decision, after the message
    recording = RecordingStore(services.store.inner)
    services.store.inner = recording
    inbox = page_text(agent.get("/agents/echanges"))
    assert demande["numero"] in inbox and tiers["raison_sociale"] in inbox
    assert "En instruction" in inbox
    read = [name for name in recording.reads if name.startswith(("demandes/", "index/", "tiers/"))]
    assert read == []
