"""The espace personnel: header, menu, dashboard, sollicitations, aides, échanges."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.demandes.support import (
    OTHER_SIRET,
    VALID,
    fill_valid,
    make_tiers,
    quick_account,
    save_step,
    set_today,
    sign_in,
    start,
    step_url,
    text_of,
    transmit,
)
from tests.helpers import page_text

MENU = {
    "/espace/": "Tableau de bord",
    "/espace/sollicitations": "Mes sollicitations",
    "/espace/aides": "Mes aides",
    "/espace/echanges": "Mes échanges",
}


@pytest.mark.parametrize("path, label", MENU.items())
def test_menu_marks_the_current_page(client, user, path, label):
    response = client.get(path)
    assert response.status_code == 200
    html = page_text(response)
    current = re.findall(r'<a class="portail-nav__link" href="([^"]+)" aria-current="page">([^<]+)</a>', html)
    assert current == [(path, label)]
    for other in MENU.values():
        assert other in html


def test_header_names_the_tiers_account_and_logout(client, user):
    html = page_text(client.get("/espace/"))
    assert "Vous agissez pour <strong>Les Amis du Panier</strong>" in html
    assert 'href="/mon-compte">Mon compte</a>' in html
    assert re.search(r'<form method="post" action="/deconnexion"[^>]*>\s*<input type="hidden" name="csrf_token"', html)


def test_espace_needs_login(client):
    for path in MENU:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_dashboard_with_tiers(client, user, clock):
    demande_id = start(client)
    save_step(client, demande_id, "projet", VALID["projet"])
    text = text_of(client.get("/espace/"))
    assert "Bienvenue sur le Portail des Aides" in text
    assert "Votre espace personnel : un accès rapide à votre structure, vos demandes d'aide" in text
    assert "Nom Les Amis du Panier" in text and "SIRET 732 829 320 00074" in text
    assert "Aide aux projets de quartier – Brouillon – 25 % complété" in text
    assert "Prochaine étape : Votre structure" in text
    assert f'href="{step_url(demande_id, "structure")}"' in page_text(client.get("/espace/"))
    assert "Aide aux projets de quartier : dépôt jusqu'au 31 décembre 2026" in text
    set_today(clock, datetime(2027, 2, 1, 9, tzinfo=UTC))
    assert "Aucun téléservice n'est ouvert en ce moment pour votre structure." in text_of(client.get("/espace/"))


def test_dashboard_without_tiers_invites_to_create_it(client, services):
    sign_in(client, quick_account(services))
    response = client.get("/espace/")
    text = text_of(response)
    assert "Créez d'abord votre tiers" in text
    assert "via le téléservice Droit commun - Création de tiers" in text
    html = page_text(response)
    assert 'href="/tiers/creer">Créer mon tiers</a>' in html
    assert 'href="/tiers/rattachement"' in html


def test_sollicitations_lists_drafts_with_completion(client, user):
    demande_id = start(client)
    for page_id in ("projet", "structure"):
        save_step(client, demande_id, page_id, VALID.get(page_id, {}))
    response = client.get("/espace/sollicitations")
    text = text_of(response)
    assert "Aide aux projets de quartier" in text and "50 % complété" in text
    html = page_text(response)
    assert f'href="{step_url(demande_id, "budget")}">Reprendre' in html
    assert f'href="/demandes/{demande_id}/supprimer">Supprimer' in html


def test_sollicitations_empty(client, user):
    assert "Vous n'avez aucune demande en cours." in text_of(client.get("/espace/sollicitations"))


def test_aides_lists_transmitted_demandes(client, user):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    response = client.get("/espace/aides")
    text = text_of(response)
    assert "Déposer une nouvelle demande" in text
    assert "Demandes du tiers « Les Amis du Panier », brouillons compris" in text
    assert ("QUARTIER-2026-000001 Aide aux projets de quartier 15 juin 2026 15 juin 2026 1 500,00 € Transmise "
            "Accusé de réception (PDF)") in text
    assert f'href="/demandes/{demande_id}/accuse-reception.pdf"' in page_text(response)
    # issue 12.8: a transmitted demande is still in progress, so Mes sollicitations lists it too
    sollicitations = text_of(client.get("/espace/sollicitations"))
    assert "QUARTIER-2026-000001" in sollicitations and "Transmise" in sollicitations


def test_aides_shows_only_the_current_tiers(client, user, services):
    other_owner = quick_account(services, "autre0001", "autre@exemple.fr")
    other = make_tiers(services, other_owner, siret=OTHER_SIRET, name="Autre structure")
    services.repos.demandes.create(f"tiers/{other['id']}", {
        "teleservice": "quartier", "teleservice_title": "Aide aux projets de quartier",
        "version_key": "x", "status": "transmise", "numero": "QUARTIER-2026-000999",
        "transmitted_at": "2026-06-01T10:00:00+00:00"})
    assert "QUARTIER-2026-000999" not in text_of(client.get("/espace/aides"))
    assert "Vous n'avez encore aucune demande" in text_of(client.get("/espace/aides"))


def test_echanges_is_a_real_page(client, user):
    response = client.get("/espace/echanges")
    assert response.status_code == 200
    assert re.search(r'<h1 class="govuk-heading-l">\s*Mes échanges\s*</h1>', page_text(response))


def test_aides_shows_complement_request(client, user, services, tiers):
    demande_id = start(client)
    fill_valid(client, demande_id)
    transmit(client, demande_id)
    services.repos.demandes.modify(f"tiers/{tiers['id']}", demande_id, lambda d: d.update(
        status="complement_demande",
        complement={"message": "Joignez le devis signé.", "pages": ["pieces", "budget"]}))
    for path in ("/espace/aides", "/espace/"):
        response = client.get(path)
        text, html = text_of(response), page_text(response)
        assert "Complément demandé : Joignez le devis signé." in text, path
        # the call to action leads to the first step named (in the form's order), each step is linked
        assert re.search(rf'<a class="govuk-button[^"]*"[^>]*href="{step_url(demande_id, "budget")}">'
                         r"Compléter ma demande", html), path
        assert "Étapes à compléter : Budget (demande QUARTIER-2026-000001) Pièces justificatives" in text, path
        assert f'href="{step_url(demande_id, "pieces")}">Pièces justificatives' in html, path
    aides = page_text(client.get("/espace/aides"))
    assert f'href="/demandes/{demande_id}/accuse-reception.pdf"' in aides
    assert client.get(step_url(demande_id, "budget")).status_code == 200
    assert client.get(step_url(demande_id, "projet")).headers["Location"].endswith("/recapitulatif")


def test_aides_links_the_receipt_of_every_transmitted_demande(client, user, services, tiers):
    ids = []
    for _ in range(2):
        ids.append(start(client, force=True))
        fill_valid(client, ids[-1])
        transmit(client, ids[-1])
    services.repos.demandes.modify(f"tiers/{tiers['id']}", ids[0], lambda d: d.update(status="en_instruction"))
    html = page_text(client.get("/espace/aides"))
    for demande_id in ids:
        assert f'href="/demandes/{demande_id}/accuse-reception.pdf"' in html
    assert "Compléter ma demande" not in html
