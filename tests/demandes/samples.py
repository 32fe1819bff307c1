"""Valid answers generated from the field types of a spec, and the form data
a browser would post for them: one generator for every téléservice, so a test
proves that a spec can really be deposited.

Values are chosen to satisfy the usual rules of the shipped specs without
knowing them: every amount outside a table is ``BASE_AMOUNT`` and the amounts
of a table share it between its rows (so a budget or a financing plan is
balanced and the aid asked never exceeds a total); the dates of a spec follow
each other in the order of its fields (so a end comes after its start).
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict

from runtime.forms.registry import field_type
from runtime.spec.model import Field, Page, Spec
from tests.demandes.support import PDF

BASE_AMOUNT = Decimal(1200)
FIRST_DATE = date(2026, 11, 2)
DATE_STEP = timedelta(days=31)
CONSTANTS = {
    "email": "dossier@exemple.fr",
    "phone": "04 91 00 00 02",
    "url": "https://www.exemple.fr",
    "siret": "73282932000074",
    "rna": "W133001234",
    "iban": "FR7630006000011234567890189",
    "address": {"street": "12 rue de la République", "postcode": "13002", "commune": "Marseille"},
    "yes_no": True,
    "checkbox": True,
}
TEXT = "Réponse de démonstration"
LONG_TEXT = "Description de démonstration : le projet est mené avec les habitants du quartier."


def _clamp(value: Any, field: Field) -> Any:
    low, high = field.options.get("min"), field.options.get("max")
    if low is not None and value < type(value)(str(low)):
        value = type(value)(str(low))
    if high is not None and value > type(value)(str(high)):
        value = type(value)(str(high))
    return value


def _sized(base: str, field: Field) -> str:
    """``base`` repeated up to the minimum length, cut at the maximum."""
    text = base
    while len(text) < (field.options.get("min_length") or 0):
        text += " " + base
    return text[: field.options.get("max_length") or len(text)]


def _date(field: Field, ordinal: int) -> str:
    return str(_clamp((FIRST_DATE + ordinal * DATE_STEP).isoformat(), field))


def _table(field: Field) -> list[dict[str, Any]]:
    rows = max(field.options.get("min_rows") or 1, 1)
    share = (BASE_AMOUNT / rows).quantize(Decimal("0.01"))
    return [
        {col.id: str(share) if col.type == "amount" else sample_answer(col) for col in field.columns}
        for _ in range(rows)
    ]


def sample_answer(field: Field, ordinal: int = 0) -> Any:
    """A valid answer of ``field``; ``ordinal`` is the rank of a date field in its spec."""
    kind = field.type
    if kind in CONSTANTS:
        return CONSTANTS[kind]
    if kind == "text":
        return _sized(TEXT, field)
    if kind == "textarea":
        return _sized(LONG_TEXT, field)
    if kind == "integer":
        return _clamp(10, field)
    if kind in ("decimal", "percentage"):
        return str(_clamp(Decimal("2.5") if kind == "decimal" else Decimal(50), field))
    if kind == "amount":
        return str(_clamp(BASE_AMOUNT, field))
    if kind == "date":
        return _date(field, ordinal)
    if kind == "choice":
        return field.choices[0].value
    if kind == "multiple_choice":
        return [field.choices[0].value]
    if kind == "table":
        return _table(field)
    raise AssertionError(f"pas de valeur d'exemple pour le type {kind!r} ({field.id})")


def page_post_data(spec: Spec, page: Page) -> MultiDict:
    """What a browser posts for ``page`` filled with sample answers (files as PDF uploads)."""
    date_ranks = {f.id: rank for rank, f in enumerate(f for f in spec.fields() if f.type == "date")}
    data = MultiDict()
    for f in page.fields:
        ftype = field_type(f.type)
        if ftype.static or f.locked:
            continue
        if f.type == "file":
            assert "pdf" in f.options.get("accept", ["pdf"]), f.id
            data.add(f.id, (io.BytesIO(PDF), f"{f.id}.pdf"))
            continue
        for name, value in ftype.to_raw(f, sample_answer(f, date_ranks.get(f.id, 0)), f.id):
            data.add(name, value)
    return data
