"""The demande page as an agent instructs it (issue 12, items 14 to 16): the file first and one
decision panel; what changed between two transmitted versions; a complement offers this demande's steps."""
from __future__ import annotations

import re

import pytest

from runtime.domain import versions
from tests.demandes.support import save_step, transmit
from tests.helpers import login, page_text
from tests.staff.support import ANSWERS, demande_url, file_demande, post, staff_login

FIELD_NAMES = ('name="amount"', 'name="reason"', 'name="message"', 'name="pages"')


@pytest.fixture
def agent(client, admin):
    assert staff_login(client, "admin.metropole").status_code == 302
    return admin


@pytest.fixture
def demande(services, tiers):
    return file_demande(services, tiers)


def text_of(html: str) -> str:
    """Visible text, ASCII whitespace collapsed (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(html: str, anchor: str) -> str:
    """The HTML of the <section> whose id is ``anchor``."""
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def transition_forms(html: str) -> int:
    return html.count('action="/agents/demandes/') - html.count('/notes"') - html.count('/messages"')


# 14. The file first, one decision panel


def test_the_file_comes_before_one_closed_decision_panel(client, agent, demande):
    html = page_text(client.get(demande_url(demande)))
    assert html.index('id="recapitulatif"') < html.index('id="documents"') < html.index('id="decision"')
    panel = section(html, "decision")
    assert transition_forms(html) == 0
    assert not any(name in html for name in FIELD_NAMES)
    links = re.findall(r'href="([^"]*\?action=[^"#]+)#decision">([^<]+)</a>', panel)
    assert [label for _, label in links] == [
        "Prendre en instruction", "Demander un complément", "Accepter", "Refuser", "Classer sans suite"]


def test_choosing_an_action_opens_that_form_alone(client, agent, demande):
    html = page_text(client.get(demande_url(demande) + "?action=acceptee"))
    panel = section(html, "decision")
    assert transition_forms(html) == 1
    assert 'name="target" value="acceptee"' in panel
    assert 'name="amount"' in panel and 'name="reason"' not in html and 'name="message"' not in html
    assert "Montant demandé : 1\u202f500,00\u202f€" in text_of(panel)
    assert "Choisir une autre action" in panel
    assert transition_forms(page_text(client.get(demande_url(demande) + "?action=inconnue"))) == 0


def test_a_refused_decision_reopens_its_own_form(client, agent, demande):
    url = demande_url(demande)
    response = post(client, url + "/statut", {"target": "refusee", "reason": ""}, token_from=url)
    assert response.status_code == 400
    html = page_text(response)
    assert transition_forms(html) == 1
    assert 'name="target" value="refusee"' in section(html, "decision")
    assert "Saisissez le motif du refus." in html


def test_the_demande_summary_shows_the_amount_requested(client, agent, demande):
    assert "Montant demandé 1\u202f500,00\u202f€" in text_of(page_text(client.get(demande_url(demande))))


def test_the_file_shows_the_computed_values_beside_the_answers(client, services, agent, tiers):
    filed = file_demande(services, tiers, teleservice="patrimoine", answers={
        "depenses": [{"poste": "Charpente", "montant": "10000.00"}],
        "recettes": [{"financeur": "Ville", "nature": "fonds_propres", "montant": "10000.00"}],
        "montant_sollicite": "2500.00"})
    page = text_of(page_text(client.get(demande_url(filed))))
    assert "Total des dépenses 10\u202f000,00\u202f€" in page
    assert "Part de l'aide sollicitée dans les dépenses (%) 25" in page


# 15. What changed between two versions


def retransmit(app, client, services, account, demande, pages, steps):
    """The agent asks a complement on ``pages``; the applicant saves ``steps`` and sends the demande again."""
    url = demande_url(demande)
    response = post(client, url + "/statut", {"target": "complement_demande", "message": "À revoir.", "pages": pages},
                    token_from=url)
    assert response.status_code == 302
    applicant = app.test_client()
    login(applicant, account["identifiant"])
    for page_id, data in steps.items():
        assert save_step(applicant, demande["id"], page_id, data).status_code == 302
    assert transmit(applicant, demande["id"]).status_code == 302
    return services.repos.demandes.get(demande["partition"], demande["id"])


def test_changes_between_versions_are_shown_answer_by_answer(app, client, services, agent, account, demande):
    retransmit(app, client, services, account, demande, ["budget"], {"budget": {"montant_sollicite": "1800"}})
    html = page_text(client.get(demande_url(demande)))
    changes = section(html, "modifications")
    assert "Modifications entre les versions n° 1 et n° 2" in changes
    rows = re.findall(r'<th scope="row"[^>]*>(.*?)</th>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>', changes)
    assert rows == [("Montant sollicité", "1\u202f500,00\u202f€", "1\u202f800,00\u202f€")]
    assert "Étape « Budget »" in changes
    assert html.index('id="modifications"') < html.index('id="decision"')


def test_the_history_names_the_changed_steps(app, client, services, agent, account, demande):
    doc = retransmit(app, client, services, account, demande, ["budget", "projet"], {
        "budget": {"montant_sollicite": "1800"},
        "projet": {"intitule": "Grande fête de quartier", "participants": "120", "partenaire": "false"},
    })
    entry = doc["history"][-1]
    assert (entry["action"], entry["detail"]) == ("Compléments transmis", "Étapes modifiées : Le projet, Budget")
    history = section(page_text(client.get(demande_url(demande))) + "</section>", "historique")
    assert "Étapes modifiées : Le projet, Budget" in history
    assert "Voir les modifications de la version n° 2" in history


def test_the_history_is_shown_as_cards_on_small_screens(app, client, services, agent, account, demande):
    """At 375 px each history entry is a card with every column named (issue 12: the table
    scrolled sideways); the browser journey checks the layout, this the markup it relies on."""
    retransmit(app, client, services, account, demande, ["budget"], {"budget": {"montant_sollicite": "1800"}})
    html = page_text(client.get(demande_url(demande)))
    table = html[html.index("<table", html.index('id="historique"')):]
    table = table[:table.index("</table>")]
    assert "portail-cards" in table[:table.index(">")]
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)
    assert headers == ["Date", "Par", "Action"]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table[table.index("<tbody"):], re.DOTALL)
    assert len(rows) >= 2
    for row in rows:
        assert re.findall(r'data-label="([^"]+)"', row) == headers


def test_a_retransmission_without_change_says_so(app, client, services, agent, account, demande):
    doc = retransmit(app, client, services, account, demande, ["budget"], {"budget": {"montant_sollicite": "1500"}})
    assert doc["history"][-1]["detail"] == "Aucune réponse modifiée"
    changes = section(page_text(client.get(demande_url(demande))), "modifications")
    assert "Aucune réponse n'a changé entre ces deux versions." in changes


def test_any_two_versions_can_be_compared(app, client, services, agent, account, demande):
    retransmit(app, client, services, account, demande, ["budget"], {"budget": {"montant_sollicite": "1800"}})
    retransmit(app, client, services, account, demande, ["budget"], {"budget": {"montant_sollicite": "2000"}})
    html = page_text(client.get(demande_url(demande)))
    assert "Modifications entre les versions n° 2 et n° 3" in html
    changes = text_of(section(page_text(client.get(demande_url(demande) + "?from=1&to=3")), "modifications"))
    assert "Modifications entre les versions n° 1 et n° 3" in changes
    assert "Montant sollicité 1\u202f500,00\u202f€ 2\u202f000,00\u202f€" in changes


def test_compare_names_questions_newly_asked_or_no_longer_asked(services):
    spec = services.catalog.get("quartier")
    before = {**ANSWERS, "partenaire": False}
    after = {**ANSWERS, "partenaire": True, "role_partenaire": "Prêt de salle", "nom_partenaire": "Centre social"}
    changes = versions.compare(spec, before, spec, after)
    assert [(c.page_title, c.label, c.before, c.after) for c in changes] == [
        ("Le projet", "Le projet a-t-il un partenaire ?", "Non", "Oui"),
        ("Le projet", "Rôle du partenaire dans le projet", versions.NOT_ASKED, "Prêt de salle"),
        ("Le partenariat", "Nom du partenaire", versions.NOT_ASKED, "Centre social"),
    ]
    back = versions.compare(spec, after, spec, before)
    assert [(c.label, c.before, c.after) for c in back][2] == ("Nom du partenaire", "Centre social", versions.NOT_ASKED)


def test_a_replaced_file_with_the_same_name_is_a_change(services):
    spec = services.catalog.get("quartier")
    after = {**ANSWERS, "devis": {**ANSWERS["devis"], "file_id": "g" * 32, "sha256": "1" * 64}}
    (change,) = versions.compare(spec, ANSWERS, spec, after)
    assert change.label == "Devis" and change.after.endswith("(nouveau fichier)")


# 16. A complement offers the steps of this demande


def test_the_complement_offers_only_the_steps_the_applicant_saw(client, services, agent, tiers):
    demande = file_demande(services, tiers)  # partenaire: non → step « Le partenariat » hidden
    html = page_text(client.get(demande_url(demande) + "?action=complement_demande"))
    offered = re.findall(r'name="pages" type="checkbox" value="([^"]+)"', html)
    assert offered == ["projet", "structure", "budget", "pieces"]
    url = demande_url(demande)
    response = post(client, url + "/statut", {"target": "complement_demande", "message": "x",
                                              "pages": ["partenariat"]}, token_from=url)
    assert response.status_code == 400
    assert "Choisissez des étapes de la demande dans la liste." in page_text(response)

    with_partner = file_demande(services, tiers, answers={**ANSWERS, "partenaire": True, "nom_partenaire": "MJC"})
    html = page_text(client.get(demande_url(with_partner) + "?action=complement_demande"))
    assert "partenariat" in re.findall(r'name="pages" type="checkbox" value="([^"]+)"', html)
