"""Export of a téléservice's demandes to CSV and XLSX (owner: staff domain).

Columns: the demande's metadata (numéro, Tiers, statut, dates, montant
accordé), then one column per field of the spec, in page order. Columns come
from every spec version the exported demandes were filed under: the fields of
the newest version first, then those that only older versions had.

Flattening choices:
- ``address`` → three columns "<label> – voie", "– code postal", "– commune";
- ``table`` → one column per table column; the cell lists the rows' values in
  row order, one per line (so a budget line stays readable in a spreadsheet
  cell and the number of columns does not depend on the number of rows);
- ``choice``/``multiple_choice`` → the choice labels (joined by "; ");
  ``yes_no``/``checkbox`` → "Oui"/"Non"; ``file`` → the file name;
- ``date`` → a date (a real date cell in XLSX, "31/03/2026" in CSV);
- computed values (totals) → one column each, after the fields;
- ``heading``/``paragraph`` carry no value and have no column.

Numbers stay numbers in XLSX (amounts formatted with two decimals, dates
shown day/month/year); CSV writes a decimal comma. Every text cell that a spreadsheet would read
as a formula (first character ``= + - @``, tab or carriage return) is
prefixed with a quote (OWASP "CSV injection").

Exports stream (``stream``): the demandes are read once, in the order of the
staff index, and each row is written as it is produced, so memory stays
bounded whatever the number of rows. CSV leaves the server row batch by row
batch; XLSX is written by openpyxl's write-only mode to a temporary file and
sent from it.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from ..formatting import format_short_date
from ..spec.computed import compute
from ..spec.field_types import Cell, export_cell, field_kind, kind_names, to_date, to_number
from .workflow import status_label

STATIC_TYPES = kind_names(static=True)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ADDRESS_PARTS = (("street", "voie"), ("postcode", "code postal"), ("commune", "commune"))
# XLSX display formats by column kind (the cell keeps its number or date value).
XLSX_FORMATS = {"amount": "#,##0.00", "date": "DD/MM/YYYY"}



@dataclass(frozen=True)
class Column:
    key: str
    title: str
    extract: Callable[[Mapping[str, Any]], Cell]
    kind: str = "text"  # "amount" and "date" get an XLSX display format
    # The téléservices whose demandes have a value here (empty: every demande, e.g. « Numéro »).
    teleservices: frozenset[str] = frozenset()


def _kind(field) -> str:
    return field_kind(field.type).export_format


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _table_cell(column_field, rows: Any) -> Cell:
    if not isinstance(rows, list) or not rows:
        return None
    values = [export_cell(column_field, row.get(column_field.id)) for row in rows if isinstance(row, Mapping)]
    # Each line neutralised: a spreadsheet may split the cell on its line breaks.
    return "\n".join(_csv_text(neutralise(v)) for v in values)


def answers(demande: Mapping[str, Any]) -> Mapping[str, Any]:
    return demande.get("answers") or {}


def _as_filed(filed: Mapping[str, Mapping[str, Any]], demande: Mapping[str, Any], field) -> Any:
    """The definition of ``field`` in the version the demande was filed under (its labels), else ``field``."""
    return (filed.get(demande.get("version_key") or "") or {}).get(field.id, field)


def _filed_column(table, column, filed, demande) -> Any:
    own = _as_filed(filed, demande, table)
    return next((c for c in getattr(own, "columns", ()) if c.id == column.id), column)


def _field_columns(field, filed: Mapping[str, Mapping[str, Any]] | None = None) -> list[Column]:
    filed = filed or {}
    if field.type == "address":
        return [
            Column(
                f"{field.id}.{part}",
                f"{field.label} – {title}",
                lambda d, part=part: (answers(d).get(field.id) or {}).get(part) or None,
            )
            for part, title in ADDRESS_PARTS
        ]
    if field.type == "table":
        def table_cell(d, col):
            rows = answers(d).get(field.id)
            return _table_cell(_filed_column(field, col, filed, d), rows) if rows else None

        return [
            Column(f"{field.id}.{col.id}", f"{field.label} – {col.label}", lambda d, col=col: table_cell(d, col))
            for col in field.columns
        ]

    def cell(d):
        # Most cells of a multi-téléservice export are empty: the filed definition only for an answer.
        value = answers(d).get(field.id)
        return None if value is None else export_cell(_as_filed(filed, d, field), value)

    return [Column(field.id, field.label or field.id, cell, _kind(field))]


class _RowComputations:
    """The computed values of the row being written, computed once for all its columns."""

    def __init__(self) -> None:
        self.demande: Mapping[str, Any] | None = None
        self.values: dict[str, dict[str, Any]] = {}

    def of(self, spec, demande: Mapping[str, Any]) -> dict[str, Any]:
        if demande is not self.demande:
            self.demande, self.values = demande, {}
        if spec.version_key not in self.values:
            self.values[spec.version_key] = compute(spec, answers(demande))
        return self.values[spec.version_key]


def _computed_column(spec, computed, versions: Mapping[str, Any], row: _RowComputations) -> Column:
    """The value under the version the demande was filed under, else under ``spec`` (a value added
    since); empty for a demande of another téléservice (an export of several)."""
    def extract(d):
        own = versions.get(d.get("version_key") or "")
        if own is not None and any(c.id == computed.id for c in own.computed):
            filed_spec = own
        elif d.get("teleservice", spec.id) == spec.id:
            filed_spec = spec
        else:
            return None
        return to_number(row.of(filed_spec, d).get(computed.id))

    return Column(f"computed.{computed.id}", computed.label or computed.id, extract,
                  "amount" if computed.type == "amount" else "text")


META_COLUMNS = (
    Column("numero", "Numéro", lambda d: d.get("numero")),
    Column("tiers", "Tiers", lambda d: d.get("tiers_name")),
    Column("status", "Statut", lambda d: status_label(d.get("status"))),
    Column("transmitted_at", "Transmise le", lambda d: to_date(d.get("transmitted_at")), "date"),
    Column("requested", "Montant demandé", lambda d: to_number(d.get("montant_demande")), "amount"),
    Column("amount", "Montant accordé", lambda d: to_number((d.get("decision") or {}).get("amount")), "amount"),
)


def _version_label(versions: Mapping[str, Any], demande: Mapping[str, Any]) -> str | None:
    """The version a demande was filed under as its spec names it (« 2026.1 »), not its key."""
    key = demande.get("version_key")
    spec = versions.get(key or "")
    return str(spec.version) if spec is not None else key


def columns_for(specs: Iterable[Any]) -> list[Column]:
    """Columns for demandes filed under these spec versions (newest first). Each demande's cells
    use the labels of the version it was filed under (an option renamed since keeps its filed label).

    An export of several téléservices names each demande's téléservice, and keeps the questions
    of each téléservice in columns of their own, titled « <téléservice> – <question> »: two
    téléservices may use one field id for two different questions."""
    specs = list(specs)
    versions = {spec.version_key: spec for spec in specs}
    filed = {key: {f.id: f for f in spec.fields()} for key, spec in versions.items()}
    titles: dict[str, str] = {}
    for spec in specs:
        titles.setdefault(spec.id, spec.title)  # the newest version's title
    several = len(titles) > 1
    columns = {c.key: c for c in META_COLUMNS}
    columns["version"] = Column("version", "Version du téléservice", lambda d: _version_label(versions, d))
    if several:
        teleservice = Column("teleservice", "Téléservice", lambda d: titles.get(d.get("teleservice")))
        columns = {"numero": columns.pop("numero"), "teleservice": teleservice, **columns}
    owners: dict[str, set[str]] = {}
    row = _RowComputations()
    for spec in specs:
        fields = [f for f in spec.fields() if f.type not in STATIC_TYPES]
        candidates = [c for f in fields for c in _field_columns(f, filed)]
        candidates += [_computed_column(spec, c, versions, row) for c in spec.computed]
        for column in candidates:
            if several:
                column = replace(column, key=f"{spec.id}/{column.key}", title=f"{titles[spec.id]} – {column.title}")
            columns.setdefault(column.key, column)
            owners.setdefault(column.key, set()).add(spec.id)
    return [replace(c, teleservices=frozenset(owners.get(c.key, ()))) for c in columns.values()]


def rows_for(columns: list[Column], demandes: Iterable[Mapping[str, Any]]) -> list[list[Cell]]:
    return list(iter_rows(columns, demandes))


def iter_rows(columns: list[Column], demandes: Iterable[Mapping[str, Any]]) -> Iterator[list[Cell]]:
    """One row per demande, produced as the demandes come. In an export of several téléservices
    most columns belong to the others: a demande's row reads only its téléservice's columns."""
    plans: dict[str | None, list[tuple[int, Column]]] = {}
    for demande in demandes:
        teleservice = demande.get("teleservice")
        plan = plans.get(teleservice)
        if plan is None:
            plan = plans[teleservice] = [
                (i, c) for i, c in enumerate(columns)
                if teleservice is None or not c.teleservices or teleservice in c.teleservices
            ]
        row: list[Cell] = [None] * len(columns)
        for i, column in plan:
            row[i] = neutralise(column.extract(demande))
        yield row


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")  # French spreadsheets read a decimal comma
    if isinstance(value, date):
        return format_short_date(value)
    return str(value)


CSV_BATCH = 200  # rows per chunk sent


def to_csv(columns: list[Column], rows: Iterable[list[Cell]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what French Excel opens directly."""
    return b"".join(iter_csv(columns, rows))


def iter_csv(columns: list[Column], rows: Iterable[list[Cell]]) -> Iterator[bytes]:
    """The CSV in chunks of ``CSV_BATCH`` rows, each written as soon as its rows exist."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(c.title) for c in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(v) for v in row])
        if number % CSV_BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def to_xlsx(columns: list[Column], rows: Iterable[list[Cell]], title: str = "Demandes") -> bytes:
    return b"".join(iter_xlsx(columns, rows, title))


def iter_xlsx(columns: list[Column], rows: Iterable[list[Cell]], title: str = "Demandes",
              chunk: int = 64 * 1024) -> Iterator[bytes]:
    """The workbook, written row by row in write-only mode (memory bounded) to a
    temporary file, then sent from it in chunks."""
    from openpyxl import Workbook  # here, not at import: a worker that never exports never loads it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([_header_cell(sheet, c.title) for c in columns])
    formats = [XLSX_FORMATS.get(c.kind) for c in columns]
    for row in rows:
        # neutralise() left no string starting with "=": openpyxl stores them all as text.
        sheet.append([_xlsx_cell(sheet, value, number_format) for value, number_format in zip(row, formats)])
    with tempfile.TemporaryFile() as target:
        workbook.save(target)
        target.seek(0)
        while data := target.read(chunk):
            yield data


def _header_cell(sheet, title: str):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=neutralise(title))
    cell.font = Font(bold=True)
    return cell


def _xlsx_cell(sheet, value: Cell, number_format: str | None):
    value = _xlsx_value(value)
    if number_format is None or value is None or isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell  # cached by Python after the first cell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def stream(fmt: str, columns: list[Column], demandes: Iterable[Mapping[str, Any]], title: str = "Demandes") -> Iterator[bytes]:
    """The export file of ``demandes`` (an iterator: read one by one) in chunks."""
    rows = iter_rows(columns, demandes)
    return iter_csv(columns, rows) if fmt == "csv" else iter_xlsx(columns, rows, title)


def filed_demandes(index_rows: Iterable[Mapping[str, Any]], read_demande: Callable[[str], Mapping[str, Any] | None],
                   tiers_name_of: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    """The transmitted demandes of index rows, in the index's order, each read
    once, with the name of its Tiers taken from the row (the Tiers is read
    only for a row indexed without it, once per Tiers)."""
    names: dict[str, str] = {}
    for row in index_rows:
        demande = read_demande(row["id"])
        if demande is None or demande.get("status") in (None, "brouillon"):
            continue
        name = row.get("tiers_name")
        tiers_id = demande.get("tiers_id") or ""
        if not name and tiers_id:
            if tiers_id not in names:
                names[tiers_id] = tiers_name_of(tiers_id)
            name = names[tiers_id]
        yield {**demande, "tiers_name": name or ""}


def _xlsx_value(value: Cell) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
