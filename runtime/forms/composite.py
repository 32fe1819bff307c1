"""Composite and static field types: address, table, file, heading, paragraph."""
from __future__ import annotations

import re
from decimal import Decimal

from wtforms import Form
from wtforms.fields import FieldList, FormField

from ..formatting import file_size, quote
from ..spec.computed import column_sum
from ..spec.errors import Error
from ..spec.model import Field
from . import uploads
from .registry import Collected, FieldType, field_type, register, typed_answer
from .types import ScalarType, refuse_foreign_digits, required_message
from .wtfields import FileUploadField, ScalarField

DEFAULT_MAX_MB = 10


class SubForm(Form):
    class Meta:
        locales = ("fr_FR", "fr")


# --- address -----------------------------------------------------------------

ADDRESS_PARTS = (
    ("street", "Numéro et voie", "Renseignez le numéro et la voie.", "street-address"),
    ("postcode", "Code postal", "Renseignez le code postal.", "postal-code"),
    ("commune", "Commune", "Renseignez la commune.", "address-level2"),
)


def parse_postcode(raw: str) -> str:
    refuse_foreign_digits(raw, "le code postal")
    text = re.sub(r"\s+", "", raw)
    if not re.fullmatch(r"[0-9]{5}", text):
        raise ValueError("Le code postal doit comporter 5 chiffres, par exemple 13001.")
    return text


@register
class AddressType(FieldType):
    """A fieldset of street, postcode and commune; value ``{"street","postcode","commune"}``.

    When the address is optional, filling one part makes the others required.
    """

    name = "address"
    grouped = True
    parts = ADDRESS_PARTS

    def make_field(self, field):
        attrs = {
            part: ScalarField(label, parse=parse_postcode if part == "postcode" else str)
            for part, label, _, _ in ADDRESS_PARTS
        }
        return FormField(type("AddressForm", (SubForm,), attrs), label=field.label)

    def collect(self, bound, field, form, previous, ctx):
        typed = {part: typed_answer(self, bound[part], field) for part, *_ in ADDRESS_PARTS}
        answer = {part: value for part, value in typed.items() if value is not None}
        if not answer:
            errors = [Error("", required_message(field), code="field")] if field.required else []
            return Collected(None, errors)
        errors = []
        for part, _, missing, _ in ADDRESS_PARTS:
            sub = bound[part]
            if sub.process_errors:
                errors.append(Error(part, sub.process_errors[0], code="field"))
            elif sub.data is None:
                errors.append(Error(part, missing, code="field"))
        return Collected(answer, errors)

    def to_answer(self, bound, field):
        return bound.data

    def to_raw(self, field, value, name):
        if not isinstance(value, dict):
            return []
        return [(f"{name}-{part}", str(value[part])) for part, *_ in ADDRESS_PARTS if value.get(part)]

    def display(self, field, value):
        if not isinstance(value, dict):
            return ""
        return f"{value.get('street') or ''}, {value.get('postcode') or ''} {value.get('commune') or ''}".strip(", ")


# --- table -------------------------------------------------------------------

BLANK_ROWS_SHOWN = 3  # rows offered without JavaScript when the table is empty


@register
class TableType(FieldType):
    """Repeatable rows of typed columns; value: a list of row dicts.

    Blank rows are ignored (the page offers a few, without JavaScript).
    """

    name = "table"
    grouped = True

    def make_field(self, field):
        attrs = {col.id: field_type(col.type).make_field(col) for col in field.columns}
        row_form = type(f"{field.id}_row", (SubForm,), attrs)
        # max_entries: rows posted beyond max_rows are never even built (a post of
        # 5,000 rows costs what a post of max_rows does), and never stored.
        return FieldList(FormField(row_form), label=field.label, min_entries=0, max_entries=self.max_rows(field))

    def rows_shown(self, field, filled: int) -> int:
        """How many rows the page shows: the rows filled plus one blank row."""
        low = max(self.min_rows(field), BLANK_ROWS_SHOWN if filled == 0 else filled + 1)
        return min(low, self.max_rows(field) or low)

    def min_rows(self, field) -> int:
        return int(field.options.get("min_rows", 1 if field.required else 0))

    def max_rows(self, field) -> int | None:
        high = field.options.get("max_rows")
        return int(high) if high else None

    def collect(self, bound, field, form, previous, ctx):
        rows, errors = [], []
        for index, entry in enumerate(bound.entries):
            row_form = entry.form
            if all(not (sub.raw_data and str(sub.raw_data[0]).strip()) for sub in row_form):
                continue
            row = {}
            for col in field.columns:
                collected = field_type(col.type).collect(row_form[col.id], col, row_form, None, ctx)
                if collected.answer is not None:
                    row[col.id] = collected.answer
                errors += [Error(f"{index}/{col.id}", row_message(field, index, e.message), code=e.code)
                           for e in collected.errors]
            rows.append(row)
        errors += self.count_errors(field, len(rows))
        high = self.max_rows(field)
        if high and self.posted_rows(field, getattr(form, "portail_formdata", None)) > high:
            errors.append(Error("", too_many_rows(field, high), code="field"))
        return Collected(rows or None, errors)

    @staticmethod
    def posted_rows(field, formdata) -> int:
        """How many rows were posted (``<table>-<n>-<column>`` keys), kept or not."""
        prefix = f"{field.id}-"
        indices = set()
        for key in formdata or ():
            if key.startswith(prefix):
                number = key[len(prefix):].partition("-")[0]
                if number.isdigit():
                    indices.add(number)
        return len(indices)

    def count_errors(self, field, count: int) -> list[Error]:
        low, high = self.min_rows(field), self.max_rows(field)
        if count < low:
            noun = "ligne" if low == 1 else "lignes"
            return [Error("", f"Ajoutez au moins {low} {noun} au tableau {quote(field.label)}.", code="field")]
        if high and count > high:
            return [Error("", f"Le tableau {quote(field.label)} ne peut pas avoir plus de {high} lignes.", code="field")]
        return []

    def to_raw(self, field, value, name):
        pairs: list[tuple[str, str]] = []
        for index, row in enumerate(value if isinstance(value, list) else []):
            for col in field.columns:
                cell = row.get(col.id) if isinstance(row, dict) else None
                if cell is not None:
                    pairs += field_type(col.type).to_raw(col, cell, f"{name}-{index}-{col.id}")
        return pairs

    def totals(self, field, rows) -> dict[str, str]:
        """Displayed totals of the columns listed in ``totals``."""
        result = {}
        for col in field.columns:
            if col.id in (field.options.get("totals") or ()):
                result[col.id] = field_type(col.type).display(col, str(column_sum(rows or [], col.id)))
        return result

    def display(self, field, value):
        return f"{len(value or [])} ligne(s)"


def too_many_rows(field, high: int) -> str:
    return (f"Le tableau {quote(field.label)} ne peut pas avoir plus de {high} lignes. "
            f"Seules les {high} premières lignes envoyées ont été enregistrées.")


def row_message(table: Field, index: int, message: str) -> str:
    """An error of a table's row names the table: a step may hold two tables, each with a line 1."""
    return f"{table.label}, ligne {index + 1} : {message}"


# --- file --------------------------------------------------------------------


@register
class FileType(FieldType):
    """An upload; keeps the stored file when none is sent, unless "remove" is checked."""

    name = "file"

    def make_field(self, field):
        return FileUploadField(field.label)

    def accept(self, field) -> list[str]:
        return list(field.options.get("accept") or uploads.DEFAULT_ACCEPT)

    def max_bytes(self, field) -> int:
        return int(Decimal(str(field.options.get("max_size_mb") or DEFAULT_MAX_MB)) * 1024 * 1024)

    def collect(self, bound, field, form, previous, ctx):
        upload = bound.data
        removed = bool(form.portail_formdata.get(f"{field.id}-remove")) if hasattr(form, "portail_formdata") else False
        if upload is not None:
            refused = uploads.check_upload(upload, self.accept(field), self.max_bytes(field))
            if refused:
                return Collected(None if removed else previous, [refused])
            if ctx.save_file is None:
                raise RuntimeError("save_file manquant pour enregistrer un fichier")
            return Collected(ctx.save_file(upload), [])
        kept = None if removed else previous
        if kept is None and field.required:
            return Collected(None, [Error("", f"Joignez le document {quote(field.label)}.", code="field")])
        return Collected(kept, [])

    def to_raw(self, field, value, name):
        return []

    def display(self, field, value):
        if not isinstance(value, dict):
            return ""
        return f"{value.get('filename', '')} ({file_size(value.get('size') or 0)})"

    def accept_text(self, field) -> str:
        return uploads.accept_text(self.accept(field))


# --- static blocks -------------------------------------------------------------


class StaticType(FieldType):
    def make_field(self, field):
        return None

    def text(self, field) -> str:
        return field.options.get("text") or field.label


@register
class HeadingType(StaticType):
    name = "heading"


@register
class ParagraphType(StaticType):
    name = "paragraph"


__all__ = ["AddressType", "FileType", "HeadingType", "ParagraphType", "ScalarType", "TableType"]
