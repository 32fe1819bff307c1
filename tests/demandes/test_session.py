"""Nothing typed is lost when the session expires."""
from __future__ import annotations

import pytest

from tests.demandes.support import OTHER_SIRET, make_tiers, start, step_url, text_of
from tests.helpers import FROM_THIS_SITE, create_account, csrf_token, login, page_text


def test_post_after_session_expiry_is_kept_until_login(client, services):
    account = create_account(services, identifiant="paulette01", email="paulette@exemple.fr")
    tiers = make_tiers(services, account)
    assert login(client, "paulette01").status_code == 302
    demande_id = start(client)
    token = csrf_token(client.get(step_url(demande_id, "projet")))
    client.delete_cookie("session")  # the session cookie expired in the browser
    response = client.post(step_url(demande_id, "projet"), headers=FROM_THIS_SITE, data={
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


def test_an_account_with_two_tiers_finds_what_it_typed_after_logging_in_again(client, services):
    """Logged in again, no Tiers is chosen yet: the demande's own Tiers becomes the one acted for."""
    account = create_account(services, identifiant="marc2026", email="marc@exemple.fr")
    make_tiers(services, account, name="Les Amis du Patrimoine")
    etoile = make_tiers(services, account, siret=OTHER_SIRET, name="L'Étoile")
    login(client, "marc2026")
    client.post("/tiers/choisir", data={"csrf_token": csrf_token(client.get("/tiers/choisir")),
                                        "tiers_id": etoile["id"]})
    demande_id = start(client)
    token = csrf_token(client.get(step_url(demande_id, "projet")))
    client.delete_cookie("session")
    client.post(step_url(demande_id, "projet"), headers=FROM_THIS_SITE, data={"csrf_token": token,
                                                                              "intitule": "Fête du quartier",
                                                      "participants": "40", "action": "next"})
    back = login(client, "marc2026", next=step_url(demande_id, "projet"))
    page = client.get(back.headers["Location"])
    assert page.status_code == 200
    assert "Ce que vous aviez saisi avant l'expiration de votre session a été enregistré" in text_of(page)
    assert "Vous agissez désormais pour le tiers « L'Étoile »." in text_of(page)
    assert services.repos.demandes.get(f"tiers/{etoile['id']}", demande_id)["answers"]["intitule"] == "Fête du quartier"


def test_expired_autosave_answers_401_with_login_link(client, services, user, tiers):
    demande_id = start(client)
    with client.session_transaction() as session:
        session.clear()
    response = client.post(step_url(demande_id, "projet") + "/autosave", headers=FROM_THIS_SITE,
                           data={"intitule": "En arrière-plan"})
    assert response.status_code == 401
    assert response.get_json()["login_url"].startswith("/connexion?next=")


def test_pending_draft_of_someone_else_is_not_applied(client, services, user, tiers):
    pending = services.repos.demandes.stash_pending(
        {"demande_id": "inconnu", "page_id": "projet", "form": {"intitule": ["Intrus"]}})
    with client.session_transaction() as session:
        session["pending_draft"] = pending
    assert "Ce que vous aviez saisi" not in text_of(client.get("/espace/"))
    assert services.repos.demandes.pop_pending(pending) is None  # used once, then gone


def pending_count(services) -> int:
    return len(services.store.read("pending_drafts").table("pending").all())


def test_expired_session_stash_is_bounded(app, services):
    """Anyone can post to a step without a session: what is kept must stay small."""
    browser = app.test_client()
    step = step_url("0" * 32, "projet")
    huge = browser.post(step, headers=FROM_THIS_SITE, data={"intitule": "x" * 70_000})
    assert huge.status_code == 302
    assert "ce que vous venez de saisir n'a pas pu être conservé" in text_of(
        browser.get(huge.headers["Location"]))
    assert pending_count(services) == 0
    for text in ("Premier essai", "Second essai"):  # one stash per browser session: the last post
        browser.post(step, headers=FROM_THIS_SITE, data={"intitule": text})
    pending = services.store.read("pending_drafts").table("pending").all()
    assert [p["form"]["intitule"] for p in pending] == [["Second essai"]]
    for _ in range(25):  # new visitors from one address
        app.test_client().post(step, headers=FROM_THIS_SITE, data={"intitule": "Encore"})
    assert pending_count(services) == 20


@pytest.mark.parametrize("sent_by", [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://ailleurs.example"}, {}])
def test_a_post_from_another_site_keeps_nothing_and_leaves_the_session_alone(client, services, user, tiers, sent_by):
    """A page of another site posting to a step must neither plant answers nor log the applicant out."""
    demande_id = start(client)
    stranger = client.application.test_client()
    forged = stranger.post(step_url(demande_id, "projet"), headers=sent_by, data={"intitule": "Planté"})
    assert forged.status_code == 302 and "Set-Cookie" not in forged.headers
    assert pending_count(services) == 0
