"""The one French formatting of the portal (runtime/formatting.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from runtime import formatting

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(("value", "shown"), [
    ("12000", f"12{NNBSP}000,00{NNBSP}€"),
    (12000.5, f"12{NNBSP}000,50{NNBSP}€"),
    (Decimal("1234567.891"), f"1{NNBSP}234{NNBSP}567,89{NNBSP}€"),
    ("-1500", f"-1{NNBSP}500,00{NNBSP}€"),
    ("0", f"0,00{NNBSP}€"),
    (None, ""),
    ("", ""),
    ("beaucoup", "beaucoup"),  # a draft keeps what was typed
])
def test_amounts_have_narrow_no_break_spaces(value, shown):
    assert formatting.format_amount(value) == shown


def test_numbers_and_percentages():
    assert formatting.french_number("1234.5") == f"1{NNBSP}234,5"
    assert formatting.french_number(1e3) == f"1{NNBSP}000,0"
    assert formatting.format_percentage("12.5") == f"12,5{NNBSP}%"


def test_a_sentence_ending_with_a_quoted_sentence_has_one_period():
    assert formatting.sentence(f"Cochez la case {formatting.quote('J’atteste sur l’honneur.')}") == (
        f"Cochez la case «{NBSP}J’atteste sur l’honneur.{NBSP}»")
    assert formatting.sentence(f"Renseignez le champ {formatting.quote('Nom')}") == f"Renseignez le champ «{NBSP}Nom{NBSP}»."


def test_a_moment_a_size_and_a_siret_have_one_form_each():
    # in the Métropole's time whatever the server's zone: 12 h 05 UTC is 14 h 05 in Marseille in June
    assert formatting.format_moment("2026-06-15T12:05:00+00:00") == "15 juin 2026 à 14 h 05"
    assert formatting.format_moment("2026-12-31T23:30:00+00:00") == "1er janvier 2027 à 00 h 30"
    assert [formatting.file_size(n) for n in (969, 1500, 1_572_864)] == ["969 octets", "1 Ko", "1,5 Mo"]
    assert formatting.format_siret("73282932000074") == "732 829 320 00074"
    assert formatting.format_siret("inconnu") == "inconnu"


def test_dates():
    assert formatting.format_date("2026-06-15") == "15 juin 2026"
    assert formatting.format_date(date(2026, 1, 1)) == "1er janvier 2026"
    assert formatting.format_date("2026-11-26T14:05:00+00:00") == "26 novembre 2026"
    assert formatting.format_date(None) == ""
    assert formatting.format_short_date("2026-07-14") == "14/07/2026"
    assert formatting.format_short_date("14 juillet") == "14 juillet"  # typed, shown as typed
    assert formatting.format_datetime(datetime(2026, 11, 26, 14, 5)) == "26/11/2026 à 14 h 05"
    assert formatting.format_datetime(datetime(2026, 11, 26, 14, 5, tzinfo=UTC), with_time=False).endswith("/2026")


def test_quotes_never_break_after_the_opening_mark():
    assert formatting.quote("Mes aides") == f"«{NBSP}Mes aides{NBSP}»"
    assert formatting.typography("depuis « Mes aides ».") == f"depuis «{NBSP}Mes aides{NBSP}»."


def test_paragraphs_and_names():
    assert formatting.paragraphs("Un.\n\n  Deux\nsuite.\n") == ["Un.", "Deux\nsuite."]
    assert formatting.paragraphs(None) == []
    assert formatting.paragraphs("Depuis « Mes aides ».") == [f"Depuis «{NBSP}Mes aides{NBSP}»."]
    person = {"civilite": "madame", "prenom": "Zoé", "nom": "de la Tour"}
    assert formatting.display_name(person) == "Madame Zoé DE LA TOUR"
    assert formatting.display_name(person, civility=False) == "Zoé DE LA TOUR"


def test_one_implementation():
    """The old copies are gone: every module uses runtime.formatting."""
    from runtime.domain import demandes, tiers, workflow
    from runtime.forms import types

    assert workflow.format_amount is formatting.format_amount
    assert demandes.format_date is formatting.format_date
    assert tiers.display_name is formatting.display_name
    assert types.french_number is formatting.french_number
    import runtime.web.tiers as web_tiers
    assert not hasattr(web_tiers, "french_datetime")
