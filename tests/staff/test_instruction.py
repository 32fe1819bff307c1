"""Instruction of a demande: transitions, mails, notes, history, Mes aides."""
from __future__ import annotations

import pytest

from runtime.domain import workflow
from runtime.storage.index import DemandeIndex
from tests.helpers import last_mail, login, outbox, page_text
from tests.staff.support import demande_url, file_demande, post, staff_login


@pytest.fixture
def demande(services, tiers):
    return file_demande(services, tiers)


@pytest.fixture
def agent(client, admin):
    assert staff_login(client, "admin.metropole").status_code == 302
    return admin


def move(client, demande, target, **details):
    return post(client, demande_url(demande) + "/statut", {"target": target, **details},
                token_from=demande_url(demande))


def stored(services, demande):
    return services.repos.demandes.get(demande["partition"], demande["id"])


def test_only_meaningful_transitions_are_offered(client, agent, demande):
    text = page_text(client.get(demande_url(demande)))
    for label in ("Prendre en instruction", "Demander un complément", "Accepter", "Refuser", "Classer sans suite"):
        assert label in text
    move(client, demande, "refusee", reason="Hors du périmètre du dispositif.")
    text = page_text(client.get(demande_url(demande)))
    assert "Prendre en instruction" not in text
    assert 'name="target"' not in text


@pytest.mark.parametrize(
    "status, target",
    [("transmise", "transmise"), ("acceptee", "refusee"), ("refusee", "en_instruction"),
     ("classee_sans_suite", "acceptee"), ("complement_demande", "acceptee"), ("transmise", "brouillon")],
)
def test_refused_transitions(status, target):
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition_changes({"status": status}, target, workflow.Actor("staff", "s1", "Agent"), "2026-06-15",
                                    {"amount": "10", "reason": "x", "message": "x"})
    assert {e.path: e.message for e in refused.value.errors}["status"] == (
        f"Une demande « {workflow.STATUS_LABELS[status]} » ne peut pas passer à « {workflow.STATUS_LABELS[target]} »."
    )


def test_forged_transition_is_refused_and_nothing_changes(client, services, agent, demande):
    move(client, demande, "acceptee", amount="100")
    response = move(client, demande, "en_instruction")
    assert response.status_code == 400
    assert "Une demande « Acceptée » ne peut pas passer à « En instruction »." in page_text(response)
    assert stored(services, demande)["status"] == "acceptee"


@pytest.mark.parametrize(
    "raw, message",
    [("", "Saisissez le montant accordé."),
     ("mille", "Le montant accordé doit être un nombre en euros, par exemple 1500 ou 1500,50."),
     ("12,345", "Le montant accordé doit être un nombre en euros, par exemple 1500 ou 1500,50."),
     ("0", "Le montant accordé doit être supérieur à 0 €."),
     ("-5", "Le montant accordé doit être supérieur à 0 €."),
     ("5.000", "Le montant accordé doit être un nombre en euros, par exemple 1500 ou 1500,50."),
     ("1" + "0" * 40, "Le montant accordé doit être inférieur à 1\u202f000\u202f000\u202f000,00\u202f€.")],
)
def test_accept_needs_a_valid_amount(client, services, agent, demande, raw, message):
    response = move(client, demande, "acceptee", amount=raw)
    assert response.status_code == 400
    text = page_text(response)
    assert text.count(message) == 2  # in the summary and beside the field
    assert 'href="#acceptee-amount"' in text
    assert f'value="{raw}"' in text
    assert stored(services, demande)["status"] == "transmise"


def test_refuse_needs_a_reason(client, agent, demande):
    response = move(client, demande, "refusee", reason="  ")
    assert response.status_code == 400
    assert "Saisissez le motif du refus." in page_text(response)


@pytest.mark.parametrize("target", ["refusee", "classee_sans_suite"])
def test_a_motif_is_bounded_like_a_message(client, services, agent, demande, target):
    response = move(client, demande, target, reason="x" * 5001)
    assert response.status_code == 400
    assert "Le motif ne doit pas dépasser 5\u202f000 caractères." in page_text(response)
    assert stored(services, demande)["status"] == "transmise"


@pytest.mark.parametrize("typed", ["1 250,5", "1.250,50"])
def test_accept_with_amount_mails_and_shows_in_mes_aides(app, client, services, agent, account, demande, typed):
    response = move(client, demande, "acceptee", amount=typed)
    assert response.status_code == 302
    doc = stored(services, demande)
    assert doc["status"] == "acceptee"
    assert doc["decision"]["amount"] == "1250.50"
    entry = doc["history"][-1]
    assert entry["action"] == "Statut : Acceptée"
    assert entry["detail"] == "Montant accordé : 1\u202f250,50\u202f€"
    assert entry["actor"]["name"] == "Admin Metropole"
    assert DemandeIndex(services.store).get(demande["id"])["statut"] == "acceptee"

    mail = last_mail(services, to=account["email"])
    assert mail.subject == f"Votre demande {demande['numero']} est acceptée"
    assert "Montant accordé : 1\u202f250,50\u202f€" in mail.text
    assert "http://portail.test/espace/aides" in mail.text

    applicant = app.test_client()
    login(applicant, account["identifiant"])
    aides = page_text(applicant.get("/espace/aides"))
    assert demande["numero"] in aides
    assert "Acceptée" in aides
    assert "Montant accordé : 1\u202f250,50\u202f€" in aides


def test_each_status_sends_its_mail(client, services, agent, account, demande):
    move(client, demande, "en_instruction")
    assert last_mail(services, to=account["email"]).subject == f"Votre demande {demande['numero']} est en instruction"
    move(client, demande, "classee_sans_suite", reason="Projet abandonné par l'association.")
    mail = last_mail(services, to=account["email"])
    assert mail.subject == f"Votre demande {demande['numero']} est classée sans suite"
    assert "Motif : Projet abandonné par l'association." in mail.text


def test_refusal_reason_is_escaped_in_the_html_mail(client, services, agent, account, demande):
    move(client, demande, "refusee", reason="<script>alert(1)</script>")
    mail = last_mail(services, to=account["email"])
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "Motif : <script>alert(1)</script>" in mail.text


def test_private_notes_are_for_staff_only(app, client, services, agent, account, demande):
    response = post(client, demande_url(demande) + "/notes", {"note": ""}, token_from=demande_url(demande))
    assert response.status_code == 400
    assert "Saisissez le texte de la note." in page_text(response)
    post(client, demande_url(demande) + "/notes", {"note": "Appeler la trésorière"}, token_from=demande_url(demande))
    assert "Appeler la trésorière" in page_text(client.get(demande_url(demande)))
    applicant = app.test_client()
    login(applicant, account["identifiant"])
    for path in ("/espace/aides", f"/espace/echanges/{demande['id']}"):
        assert "Appeler la trésorière" not in page_text(applicant.get(path))
    assert not any("trésorière" in mail.text for mail in outbox(services))


def test_demande_page_shows_recap_documents_and_history(client, agent, demande):
    text = page_text(client.get(demande_url(demande)))
    assert "Fête de quartier" in text
    assert "devis.pdf" in text
    assert "Historique" in text
    assert "Les Amis du Panier" in text


def test_documents_download_as_attachments(client, services, agent, tiers):
    from io import BytesIO

    from tests.demandes.support import PDF
    from tests.staff.support import ANSWERS

    meta = services.files.save(BytesIO(PDF), "devis <signé>.pdf", "application/pdf")
    demande = file_demande(services, tiers, answers={**ANSWERS, "devis": meta})
    page = page_text(client.get(demande_url(demande)))
    assert f"/fichiers/{meta['file_id']}" in page
    response = client.get(f"{demande_url(demande)}/fichiers/{meta['file_id']}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"{demande_url(demande)}/fichiers/{'z' * 32}").status_code == 404


def test_history_says_who_when_what(client, services, agent, demande):
    move(client, demande, "en_instruction")
    move(client, demande, "complement_demande", message="Il manque le RIB.", pages=["pieces"])
    text = page_text(client.get(demande_url(demande)))
    history = text[text.index('id="historique"'):]
    assert "15 juin 2026" in history
    assert "Admin Metropole" in history
    assert "Statut : En instruction" in history
    assert "Statut : Complément demandé" in history
    assert "Il manque le RIB." in history


def test_complement_names_only_existing_steps(client, services, agent, demande):
    response = move(client, demande, "complement_demande", message="x", pages=["inexistante"])
    assert response.status_code == 400
    assert "Choisissez des étapes de la demande dans la liste." in page_text(response)
    response = move(client, demande, "complement_demande", message="", pages=["budget"])
    text = page_text(response)
    assert "Décrivez ce qui manque dans la demande." in text
    assert 'value="budget" checked' in text


def test_status_change_survives_a_mail_server_down(client, services, agent, demande):
    services.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT=2)
    response = move(client, demande, "en_instruction")
    assert response.status_code == 302
    assert stored(services, demande)["status"] == "en_instruction"


def test_complement_summary_names_the_steps(client, agent, demande):
    move(client, demande, "complement_demande", message="Il manque le RIB.", pages=["pieces", "budget"])
    text = page_text(client.get(demande_url(demande)))
    assert "Étapes à compléter : Budget, Pièces justificatives" in text


def test_listing_names_tiers_indexed_without_name(client, services, agent, tiers):
    from runtime.domain.demandes import index_summary

    demande = file_demande(services, tiers)
    DemandeIndex(services.store).upsert(index_summary(demande, services.catalog.get("quartier")))
    assert "Les Amis du Panier" in page_text(client.get("/agents/demandes"))


def test_notes_and_messages_are_in_the_history(client, services, agent, demande):
    url = demande_url(demande)
    post(client, url + "/notes", {"note": "Dossier complet"}, token_from=url)
    post(client, url + "/messages", {"body": "Bonjour"}, token_from=url, content_type="multipart/form-data")
    actions = [(e["action"], e["actor"]["name"]) for e in stored(services, demande)["history"]]
    assert actions == [("Note interne ajoutée", "Admin Metropole"), ("Message envoyé au demandeur", "Admin Metropole")]
    assert "Dossier complet" not in str(stored(services, demande)["history"])
