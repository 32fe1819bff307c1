"""Export of a téléservice's demandes to CSV and XLSX."""
from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from runtime import ROOT
from runtime.domain import export
from tests.staff.support import file_demande, staff_login

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"clic\")", "+33 1 23", "-2+3", "@SUM(A1)", "\tcachée", "\rretour"]

ANSWERS = {
    "raison_sociale": HOSTILE[0],
    "adresse": {"street": "2 rue du Panier", "postcode": "13002", "commune": "Marseille"},
    "intitule": HOSTILE[3],
    "protege": True,
    "nature_intervention": [],
    "description": HOSTILE[4],
    "architecte": HOSTILE[5],
    "referent_nom": HOSTILE[2],
    "referent_telephone": HOSTILE[1],
    "depenses": [{"poste": "Charpente", "montant": "10000.00"}, {"poste": "=1+1", "montant": "2500.50"}],
    "recettes": [{"financeur": "Association", "nature": "fonds_propres", "montant": "12500.50"}],
    "montant_sollicite": "6000",
    "devis": {"file_id": "d" * 32, "filename": "devis.pdf", "size": 10, "content_type": "application/pdf"},
}


@pytest.fixture
def exported(client, services, admin, tiers):
    demande = file_demande(services, tiers, teleservice="patrimoine", answers=ANSWERS)
    staff_login(client, "admin.metropole")
    return demande


def read_csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def read_xlsx(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_csv_has_one_column_per_field_and_flattened_values(client, exported):
    response = client.get("/agents/export/patrimoine.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="demandes-patrimoine-2026-06-15.csv"'
    (row,) = read_csv(response.data)
    assert row["Numéro"] == exported["numero"]
    assert row["Tiers"] == "Les Amis du Panier"
    assert row["Statut"] == "Transmise"
    assert row["Adresse du siège – voie"] == "2 rue du Panier"
    assert row["Adresse du siège – code postal"] == "13002"
    assert row["Adresse du siège – commune"] == "Marseille"
    assert row["Dépenses prévisionnelles – Poste de dépense"] == "Charpente\n'=1+1"
    assert row["Dépenses prévisionnelles – Montant HT (€)"] == "10000,00\n2500,50"
    assert row["Total des dépenses"] == "12500,50"
    assert row["Devis détaillés des travaux"] == "devis.pdf"
    assert row["L'édifice ou l'objet est-il protégé au titre des monuments historiques ?"] == "Oui"
    assert "Type de protection" in row  # unanswered fields keep their column
    assert "hors_metropole" not in row  # static blocks have none


def test_csv_neutralises_formulas(client, exported):
    (row,) = read_csv(client.get("/agents/export/patrimoine.csv").data)
    assert row["Raison sociale"] == "'" + HOSTILE[0]
    assert row["Intitulé du projet"] == "'@SUM(A1)"
    assert row["Nom et prénom de la personne chargée du dossier"] == "'-2+3"
    assert row["Téléphone de la personne chargée du dossier"] == "'+33 1 23"
    assert row["Description du projet"] == "'\tcachée"
    assert row["Architecte du patrimoine ou architecte en chef des monuments historiques chargé de la maîtrise "
               "d'œuvre"] == "'\rretour"


def test_xlsx_reads_back_with_text_not_formulas(client, exported):
    response = client.get("/agents/export/patrimoine.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    (row,) = read_xlsx(response.data)
    assert row["Raison sociale"] == "'" + HOSTILE[0]
    assert row["Intitulé du projet"] == "'@SUM(A1)"
    assert row["Montant de l'aide sollicitée auprès de la Métropole (€)"] == 6000
    assert row["Total des recettes"] == pytest.approx(12500.5)
    assert row["Adresse du siège – commune"] == "Marseille"


def test_unknown_format_is_404(client, exported):
    assert client.get("/agents/export/patrimoine.pdf").status_code == 404


def test_neutralise_keeps_numbers_and_plain_text():
    assert export.neutralise(Decimal(-5)) == Decimal(-5)
    assert export.neutralise("Marseille") == "Marseille"
    assert export.neutralise("=1") == "'=1"
    assert export.neutralise(None) is None


def test_each_demande_is_exported_with_the_labels_of_the_version_it_was_filed_under(client, services, admin, tiers,
                                                                                      specs_dir):
    from tests.staff.support import ANSWERS as QUARTIER

    old = file_demande(services, tiers, answers={**QUARTIER, "publics": ["seniors", "enfants"]})
    path = specs_dir / "teleservices" / "quartier.yaml"
    text = path.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
    text = text.replace("{value: seniors, label: Seniors}", "{value: aines, label: Personnes âgées}")
    text = text.replace("{value: enfants, label: Enfants}", "{value: enfants, label: Jeunes enfants}")
    path.write_text(text, encoding="utf-8")
    assert services.catalog.reload() == []
    new = file_demande(services, tiers, answers={**QUARTIER, "publics": ["aines", "enfants"]})
    staff_login(client, "admin.metropole")
    rows = {row["Numéro"]: row for row in read_csv(client.get("/agents/export/quartier.csv").data)}
    assert rows[old["numero"]]["Publics visés"] == "Seniors; Enfants"  # as filed, never the raw « seniors »
    assert rows[new["numero"]]["Publics visés"] == "Personnes âgées; Jeunes enfants"
    assert rows[old["numero"]]["Version du téléservice"] == "1"  # as the spec names it, not its technical key
    assert rows[new["numero"]]["Version du téléservice"] == "2"


def test_an_export_of_several_teleservices_leaves_the_values_of_the_others_empty(client, services, admin, tiers,
                                                                                specs_dir):
    """A demande of fonctionnement has no « Total des dépenses » of patrimoine: its cell is empty, never 0."""
    shutil.copy(ROOT / "specs" / "teleservices" / "fonctionnement-associations.yaml", specs_dir / "teleservices")
    assert services.catalog.reload() == []
    patrimoine = file_demande(services, tiers, teleservice="patrimoine", answers=ANSWERS)
    fonctionnement = file_demande(services, tiers, teleservice="fonctionnement-associations", answers={
        "charges": [{"compte": "60", "detail": "Fournitures", "montant": "1200.00"}],
        "produits": [{"origine": "Cotisations", "acquis": True, "montant": "1200.00"}],
    })
    staff_login(client, "admin.metropole")
    rows = {row["Numéro"]: row for row in read_csv(client.get("/agents/export.csv").data)}
    heritage, association = (services.catalog.get(t).title for t in ("patrimoine", "fonctionnement-associations"))
    assert rows[patrimoine["numero"]]["Téléservice"] == heritage
    assert rows[fonctionnement["numero"]]["Téléservice"] == association
    assert rows[patrimoine["numero"]][f"{heritage} – Total des dépenses"] == "12500,50"
    assert rows[patrimoine["numero"]][f"{association} – Total des charges"] == ""
    assert rows[fonctionnement["numero"]][f"{association} – Total des charges"] == "1200,00"
    assert rows[fonctionnement["numero"]][f"{association} – Écart entre produits et charges"] == "0,00"
    assert rows[fonctionnement["numero"]][f"{heritage} – Total des dépenses"] == ""
    assert rows[fonctionnement["numero"]][f"{heritage} – Total des recettes"] == ""
    # one field id, two questions: each téléservice's own column, under its own label
    assert rows[patrimoine["numero"]][f"{heritage} – Raison sociale"] == "'" + HOSTILE[0]
    assert rows[patrimoine["numero"]][f"{association} – Nom de l'association"] == ""
    assert rows[patrimoine["numero"]]["Montant demandé"] == "6000"
