"""Nothing typed is lost when the session expires."""
from __future__ import annotations

from tests.demandes.support import make_tiers, start, step_url, text_of
from tests.helpers import create_account, csrf_token, login, page_text


def test_post_after_session_expiry_is_kept_until_login(client, services):
    account = create_account(services, identifiant="paulette01", email="paulette@exemple.fr")
    tiers = make_tiers(services, account)
    assert login(client, "paulette01").status_code == 302
    demande_id = start(client)
    token = csrf_token(client.get(step_url(demande_id, "projet")))
    client.delete_cookie("session")  # the session cookie expired in the browser
    response = client.post(step_url(demande_id, "projet"), data={
        "csrf_token": token, "intitule": "Repas partagé", "participants": "60", "action": "next"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
    assert "Votre session a expiré. Connectez-vous à nouveau" in text_of(client.get(response.headers["Location"]))
    assert "intitule" not in services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)["answers"]
    back = login(client, "paulette01", next=step_url(demande_id, "projet"))
    assert back.headers["Location"] == step_url(demande_id, "projet")
    page = client.get(back.headers["Location"])
    assert "Ce que vous aviez saisi avant l'expiration de votre session a été enregistré" in text_of(page)
    assert 'value="Repas partagé"' in page_text(page)
    answers = services.repos.demandes.get(f"tiers/{tiers['id']}", demande_id)["answers"]
    assert answers["intitule"] == "Repas partagé" and answers["participants"] == 60


def test_expired_autosave_answers_401_with_login_link(client, services, user, tiers):
    demande_id = start(client)
    with client.session_transaction() as session:
        session.clear()
    response = client.post(step_url(demande_id, "projet") + "/autosave", data={"intitule": "En arrière-plan"})
    assert response.status_code == 401
    assert response.get_json()["login_url"].startswith("/connexion?next=")


def test_pending_draft_of_someone_else_is_not_applied(client, services, user, tiers):
    pending = services.repos.demandes.stash_pending(
        {"demande_id": "inconnu", "page_id": "projet", "form": {"intitule": ["Intrus"]}})
    with client.session_transaction() as session:
        session["pending_draft"] = pending
    assert "Ce que vous aviez saisi" not in text_of(client.get("/espace/"))
    assert services.repos.demandes.pop_pending(pending) is None  # used once, then gone
