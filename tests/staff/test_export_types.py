"""Every field type of the shipped téléservices exports sensibly, checked by reading the XLSX back."""
from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime

import pytest
from openpyxl import load_workbook

from runtime import ROOT
from runtime.domain import export
from runtime.spec.loader import load_spec_file
from tests.demandes.support import SPECS
from tests.staff.support import file_demande, staff_login

SHIPPED = sorted((ROOT / "specs" / "teleservices").glob("*.yaml"))

# One answer per type, as the forms store it, and what a spreadsheet shows for it.
TEXT_SAMPLES = {
    "text": "Texte libre",
    "textarea": "Première ligne\nSeconde ligne",
    "email": "contact@exemple.fr",
    "phone": "04 91 99 99 00",
    "url": "https://exemple.fr",
    "siret": "35600000000048",
    "rna": "W133000001",
    "iban": "FR7630006000011234567890189",
}
NUMBER_SAMPLES = {"integer": (12, 12), "decimal": ("3.25", 3.25), "amount": ("1234.50", 1234.5),
                  "percentage": ("12.5", 12.5)}
DATE = "2026-03-31"
ADDRESS = {"street": "2 rue du Panier", "postcode": "13002", "commune": "Marseille"}
COVERED = {*TEXT_SAMPLES, *NUMBER_SAMPLES, "date", "yes_no", "checkbox", "choice", "multiple_choice", "file",
           "address", "table", "heading", "paragraph"}


@pytest.fixture
def specs_dir(tmp_path):
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    shutil.copytree(ROOT / "specs" / "tiers", target / "tiers")
    for path in SHIPPED:
        shutil.copy(path, target / "teleservices" / path.name)
    return target


def sample(field, row: int = 0):
    """The stored answer of a field (row: which table row, so rows differ)."""
    kind = field.type
    if kind in TEXT_SAMPLES:
        return TEXT_SAMPLES[kind]
    if kind in NUMBER_SAMPLES:
        return NUMBER_SAMPLES[kind][0]
    return {
        "date": DATE,
        "yes_no": row == 0,
        "checkbox": row != 0,
        "choice": field.choices[row % len(field.choices)].value if field.choices else None,
        "multiple_choice": [c.value for c in field.choices[:2]],
        "file": {"file_id": "e" * 32, "filename": f"{field.id}-{row}.pdf", "size": 10,
                 "content_type": "application/pdf"},
        "address": ADDRESS,
    }[kind]


def expected(field, row: int = 0):
    """What the XLSX cell holds for ``sample(field, row)``."""
    kind = field.type
    if kind in TEXT_SAMPLES:
        return TEXT_SAMPLES[kind]
    if kind in NUMBER_SAMPLES:
        return NUMBER_SAMPLES[kind][1]
    if kind == "date":
        return datetime(2026, 3, 31)
    if kind in ("yes_no", "checkbox"):
        return "Oui" if sample(field, row) else "Non"
    if kind == "choice":
        return field.choices[row % len(field.choices)].label
    if kind == "multiple_choice":
        return "; ".join(c.label for c in field.choices[:2])
    if kind == "file":
        return f"{field.id}-{row}.pdf"
    raise AssertionError(kind)


def in_table_cell(field, row: int) -> str:
    """A table cell lists each row's value as text (decimal comma, French date)."""
    value = expected(field, row)
    if field.type == "date":
        return "31/03/2026"
    if field.type in NUMBER_SAMPLES:
        return NUMBER_SAMPLES[field.type][0].replace(".", ",") if isinstance(value, float) else str(value)
    return value


def value_fields(spec):
    return [f for f in spec.fields() if f.type not in export.STATIC_TYPES]


def answers_for(spec):
    answers = {}
    for field in value_fields(spec):
        if field.type == "table":
            answers[field.id] = [{c.id: sample(c, row) for c in field.columns} for row in (0, 1)]
        else:
            answers[field.id] = sample(field)
    return answers


def exported_cells(client, spec_id):
    response = client.get(f"/agents/export/{spec_id}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header, row = list(sheet.iter_rows(max_row=2))
    return [c.value for c in header], row


def test_shipped_specs_use_only_covered_types():
    types = {f.type for path in SHIPPED for f in load_spec_file(path).fields()}
    types |= {c.type for path in SHIPPED for f in load_spec_file(path).fields() for c in f.columns}
    assert types <= COVERED, types - COVERED


@pytest.mark.parametrize("spec_id", [path.stem for path in SHIPPED])
def test_every_field_type_exports_sensibly_to_xlsx(client, services, admin, tiers, spec_id):
    spec = services.catalog.get(spec_id)
    file_demande(services, tiers, teleservice=spec_id, answers=answers_for(spec))
    staff_login(client, "admin.metropole")
    titles, cells = exported_cells(client, spec_id)
    columns = export.columns_for([spec])
    assert titles == [c.title for c in columns]
    by_key = {column.key: cell for column, cell in zip(columns, cells, strict=True)}
    assert isinstance(by_key["transmitted_at"].value, datetime)
    for field in value_fields(spec):
        if field.type == "address":
            assert [by_key[f"{field.id}.{part}"].value for part in ADDRESS] == list(ADDRESS.values())
        elif field.type == "table":
            for column in field.columns:
                cell = by_key[f"{field.id}.{column.id}"].value
                assert cell == "\n".join(in_table_cell(column, row) for row in (0, 1)), (field.id, column.id)
        else:
            cell = by_key[field.id]
            assert cell.value == expected(field), (field.id, field.type, cell.value)
            if field.type == "date":
                assert cell.number_format == "DD/MM/YYYY"
            if field.type == "amount":
                assert cell.number_format == "#,##0.00"


def test_csv_writes_dates_the_french_way_and_joins_choices(client, services, admin, tiers):
    spec = services.catalog.get("patrimoine")
    file_demande(services, tiers, teleservice="patrimoine", answers=answers_for(spec))
    staff_login(client, "admin.metropole")
    text = client.get("/agents/export/patrimoine.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    multiple = next(f for f in spec.fields() if f.type == "multiple_choice")
    day = next(f for f in spec.fields() if f.type == "date")
    amount = next(f for f in spec.fields() if f.type == "amount")
    assert row[multiple.label] == "; ".join(c.label for c in multiple.choices[:2])
    assert row[day.label] == "31/03/2026"
    assert row[amount.label] == "1234,50"
    assert row["Transmise le"] == "10/06/2026"


def test_a_value_never_converted_is_exported_as_typed(services):
    """The forms keep what could not be converted; the export shows it rather than failing."""
    spec = services.catalog.get("patrimoine")
    day = next(f for f in spec.fields() if f.type == "date")
    amount = next(f for f in spec.fields() if f.type == "amount")
    columns = export.columns_for([spec])
    (row,) = export.rows_for(columns, [{"answers": {day.id: "31/02/2026", amount.id: "beaucoup"}}])
    cells = dict(zip([c.key for c in columns], row, strict=True))
    assert (cells[day.id], cells[amount.id]) == ("31/02/2026", "beaucoup")
    assert export.to_xlsx(columns, [row])  # still writable
