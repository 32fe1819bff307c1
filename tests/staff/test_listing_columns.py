"""The demandes listing as an agent uses it (issue 12, item 17): the amount requested, sorting,
exports of what the filters select, dates as the field shows them, cards on a phone; and
Échanges naming the Tiers, téléservice and status of each conversation."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.demandes.support import OTHER_SIRET, make_tiers
from tests.helpers import create_account, csrf_token, login, page_text
from tests.staff.support import ANSWERS, file_demande, staff_login

AMOUNTS = {"a": "1500.00", "b": "250.00", "c": "12000.00"}


@pytest.fixture
def filed(client, services, admin, tiers):
    other = make_tiers(services, create_account(services, "autre0001", "autre@exemple.fr"), OTHER_SIRET,
                       name="Théâtre du Vieux-Port")
    demandes = {
        "a": file_demande(services, tiers, answers={**ANSWERS, "montant_sollicite": AMOUNTS["a"]},
                          transmitted_at="2026-06-10T09:00:00+00:00"),
        "b": file_demande(services, other, answers={**ANSWERS, "montant_sollicite": AMOUNTS["b"]},
                          transmitted_at="2026-03-02T09:00:00+00:00", status="acceptee"),
        "c": file_demande(services, tiers, answers={**ANSWERS, "montant_sollicite": AMOUNTS["c"]},
                          transmitted_at="2026-05-05T09:00:00+00:00", status="en_instruction"),
        "none": file_demande(services, other, teleservice="patrimoine", answers={},
                             transmitted_at="2026-04-01T09:00:00+00:00", status="refusee"),
    }
    staff_login(client, "admin.metropole")
    return demandes


def order_of(client, filed, query=""):
    """The keys of the demandes in the order the listing shows them."""
    html = page_text(client.get("/agents/demandes" + query))
    by_numero = {d["numero"]: key for key, d in filed.items()}
    return [by_numero[n] for n in re.findall(r'<a class="govuk-link" href="/agents/demandes/[^"]+">([^<]+)</a>', html)]


def header(html: str, label: str) -> str:
    """The opening <th> of the column whose link says ``label``."""
    return re.search(rf'<th [^>]*>\s*<a [^>]*>{label}<', html).group(0)


def test_the_amount_requested_is_a_column(client, filed):
    html = page_text(client.get("/agents/demandes"))
    assert ">Montant demandé<" in html
    cells = re.findall(r'data-label="Montant demandé">([^<]*)</td>', html)
    assert cells == ["1\u202f500,00\u202f€", "12\u202f000,00\u202f€", "", "250,00\u202f€"]  # newest first


@pytest.mark.parametrize("query, expected", [
    ("", ["a", "c", "none", "b"]),
    ("?sort=date&order=asc", ["b", "none", "c", "a"]),
    ("?sort=montant", ["c", "a", "b", "none"]),
    ("?sort=montant&order=asc", ["b", "a", "c", "none"]),
    ("?sort=statut", ["a", "c", "b", "none"]),
    ("?sort=statut&order=desc", ["none", "b", "c", "a"]),
    ("?sort=montant&order=asc&status=acceptee", ["b"]),
    ("?sort=nimporte&order=quoi", ["a", "c", "none", "b"]),
])
def test_sort_by_date_amount_and_status(client, filed, query, expected):
    assert order_of(client, filed, query) == expected


def test_sortable_headers_say_how_the_list_is_sorted(client, filed):
    html = page_text(client.get("/agents/demandes"))
    assert 'aria-sort="descending"' in header(html, "Transmise le")
    assert "aria-sort" not in header(html, "Montant demandé")
    assert html.count("aria-sort=") == 1
    assert 'href="/agents/demandes?sort=montant&order=desc"' in html
    assert 'href="/agents/demandes?sort=date&order=asc"' in html  # the current column's link turns the order

    html = page_text(client.get("/agents/demandes?sort=montant&order=asc&status=acceptee"))
    assert 'aria-sort="ascending"' in header(html, "Montant demandé")
    assert html.count("aria-sort=") == 1
    assert "Montant demandé<span class=\"govuk-visually-hidden\"> (trier par ordre décroissant)</span>" in html
    assert 'href="/agents/demandes?status=acceptee&sort=montant&order=desc"' in html
    assert '<input type="hidden" name="sort" value="montant">' in html  # filtering again keeps the sort


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_export_links_without_a_filter_export_everything(client, filed, services):
    html = page_text(client.get("/agents/demandes"))
    assert 'href="/agents/export.csv"' in html and 'href="/agents/export.xlsx"' in html
    response = client.get("/agents/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="demandes-2026-06-15.csv"'
    numeros = [row["Numéro"] for row in read_csv(response.data)]
    assert numeros == [filed[k]["numero"] for k in ("a", "c", "none", "b")]
    assert client.get("/agents/export.xlsx").status_code == 200


def test_export_links_export_what_the_filters_select(client, filed):
    html = page_text(client.get("/agents/demandes?status=en_instruction&sort=montant"))
    assert "Exporter les demandes sélectionnées par les filtres" in html
    assert 'href="/agents/export.csv?status=en_instruction&sort=montant&order=desc"' in html
    rows = read_csv(client.get("/agents/export.csv?status=en_instruction").data)
    assert [row["Numéro"] for row in rows] == [filed["c"]["numero"]]

    html = page_text(client.get("/agents/demandes?teleservice=quartier&q=theatre"))
    assert 'href="/agents/export/quartier.csv?q=theatre"' in html
    rows = read_csv(client.get("/agents/export/quartier.csv?q=theatre").data)
    assert [row["Numéro"] for row in rows] == [filed["b"]["numero"]]
    assert client.get("/agents/export.csv?status=perdue").status_code == 400


def test_an_instructeur_exports_only_the_teleservices_they_see(app, services, filed, instructeur):
    agent = app.test_client()
    staff_login(agent, "instructeur.quartier")
    numeros = [row["Numéro"] for row in read_csv(agent.get("/agents/export.csv").data)]
    assert numeros == [filed[k]["numero"] for k in ("a", "c", "b")]  # not the patrimoine demande
    assert agent.get("/agents/export/patrimoine.csv").status_code == 404
    assert agent.get("/agents/export.csv?teleservice=patrimoine").status_code == 400


def test_date_filters_speak_the_format_the_field_shows(client, filed):
    html = page_text(client.get("/agents/demandes"))
    assert "Par exemple 31/01/2026" in html and "Par exemple 31/12/2026" in html
    assert "2026-01-31" not in html
    assert order_of(client, filed, "?date_from=01/04/2026&date_to=31/05/2026") == ["c", "none"]
    assert 'value="2026-04-01"' in page_text(client.get("/agents/demandes?date_from=01/04/2026"))


def test_every_column_has_its_name_in_the_cards_of_small_screens(client, filed):
    html = page_text(client.get("/agents/demandes"))
    table = html[html.index("<table"):html.index("</table>")]
    assert "portail-cards" in table
    headers = [re.sub(r"<[^>]+>| \(trier par ordre \w+\)| [▲▼]", "", h).strip()
               for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.DOTALL)]
    first_row = table[table.index("<tbody"):table.index("</tr>", table.index("<tbody"))]
    assert re.findall(r'data-label="([^"]+)"', first_row) == headers


def test_echanges_names_the_tiers_teleservice_and_status(app, client, services, filed, account):
    applicant = app.test_client()
    assert login(applicant, account["identifiant"]).status_code == 302
    path = f"/espace/echanges/{filed['c']['id']}"
    applicant.post(path, data={"csrf_token": csrf_token(applicant.get(path)), "body": "Bonjour"},
                   content_type="multipart/form-data")
    html = page_text(client.get("/agents/echanges"))
    row = html[html.index("<tbody"):html.index("</tbody>")]
    cells = dict(re.findall(r'data-label="([^"]+)">(.*?)</td>', row, re.DOTALL))
    assert filed["c"]["numero"] in cells["Demande"]
    assert cells["Tiers"] == "Les Amis du Panier"
    assert cells["Téléservice"] == "Aide aux projets de quartier"
    assert "En instruction" in cells["Statut"]
