"""French formatting of what people read: amounts, numbers, dates, quotes, names.

The one place for it (no Flask): the templates use it through the filters
registered once in ``runtime/web/setup.py``; the PDF, the mails, the exports and
the field types call it directly.

- amounts: ``12 000,00 €`` with a narrow no-break space (U+202F) between the
  thousands and before the euro sign, so an amount never breaks across lines;
- dates: ``15 juin 2026`` in sentences, ``15/06/2026`` in tables and fields,
  ``26/11/2026 à 14 h 05`` for a moment;
- quotes: ``« texte »`` with no-break spaces inside, so a line never breaks after « ;
- people: ``Madame Camille MARTIN``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import MAX_PREC, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from .clock import METROPOLE_TIME

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
CIVILITIES = {"m": "Monsieur", "m.": "Monsieur", "monsieur": "Monsieur", "mr": "Monsieur",
              "mme": "Madame", "madame": "Madame", "mme.": "Madame"}
_OPEN_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \u00a0\u202f]*»")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


# --- numbers and amounts ------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def quantized(number: Decimal, places: int) -> Decimal:
    """Rounded half up to ``places`` decimals, however many digits."""
    return number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, Context(prec=MAX_PREC))


def french_number(value: Any, places: int | None = None, group_four_digits: bool = True) -> str:
    """``1234.5`` → ``1 234,5`` (narrow no-break space between thousands); without
    ``group_four_digits``, a whole number of four digits stays ``2027`` (French usage allows
    it, and a year is never grouped).

    A draft keeps what was typed even when it is not a number: that text is shown as typed.
    """
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if places is not None:
        number = quantized(number, places)
    text = format(number, "f")
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, decimals = digits.partition(".")
    groups, grouped = [], group_four_digits or len(whole) > 4
    while grouped and len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return sign + NARROW_NBSP.join([whole, *groups]) + ("," + decimals if decimals else "")


def single_newlines(text: str) -> str:
    """Each line break as one character: browsers post a textarea's breaks as ``\r\n``, and
    a length limit counts what the person sees."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# Both separators, grouped by three: « 1.234,50 » (French) or « 1,234.50 » (a pasted English figure).
_GROUPED = {re.compile(r"[-+]?\d{1,3}(\.\d{3})+,\d+"): ".", re.compile(r"[-+]?\d{1,3}(,\d{3})+\.\d+"): ","}
_PLAIN_DECIMAL = re.compile(r"[-+]?\d+(\.\d+)?|[-+]?\.\d+")


_DOTTED_THOUSANDS = re.compile(r"[-+]?\d{1,3}(\.\d{3})+")


def dotted_thousands(raw: str) -> bool:
    """« 5.000 »: five thousand to a French reader, five to ``Decimal``; an amount assumes neither."""
    return bool(_DOTTED_THOUSANDS.fullmatch(_SPACES.sub("", raw).rstrip("€")))


def parse_decimal(raw: str) -> Decimal | None:
    """A number as a French person types it: ``1 234,50``, ``1234.5``, ``1.234,50``; None otherwise."""
    text = _SPACES.sub("", raw)
    for grouped, separator in _GROUPED.items():
        if grouped.fullmatch(text):
            text = text.replace(separator, "")
    text = text.replace(",", ".")
    if not _PLAIN_DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def format_amount(value: Any) -> str:
    """``"12000"``, ``12000.5``, ``Decimal`` → ``12 000,00 €``; ``""`` when empty; a text
    that is not a number (a draft keeps what was typed) is shown as typed."""
    number = _decimal(value)
    if number is None:
        return "" if value in (None, "") else str(value)
    return french_number(number, 2) + NARROW_NBSP + "€"


def format_percentage(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return "" if value in (None, "") else str(value)
    return french_number(number) + NARROW_NBSP + "%"


# --- dates --------------------------------------------------------------------------


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def format_date(value: Any) -> str:
    """A date in a sentence: ``15 juin 2026`` (``1er`` for the first of the month)."""
    if not value:
        return ""
    day = _date(value)
    if day is None:
        return str(value)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def format_short_date(value: Any) -> str:
    """A date in a table or a field: ``15/06/2026``; a text that is not a date, as is."""
    if not value:
        return ""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", value):
        return value
    day = _date(value)
    return day.strftime("%d/%m/%Y") if day else str(value)


def _moment_text(value: Any, render: Callable[[datetime], str]) -> str:
    """``render`` of the moment in the Métropole's time; a text that is not a moment, as is."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return render(moment.astimezone(METROPOLE_TIME) if moment.tzinfo is not None else moment)


def format_datetime(value: Any, with_time: bool = True) -> str:
    """A moment in a table, in the Métropole's time: ``26/11/2026 à 14 h 05``."""
    return _moment_text(value, lambda moment: moment.strftime("%d/%m/%Y à %H h %M" if with_time else "%d/%m/%Y"))


def format_moment(value: Any) -> str:
    """A moment in a sentence, in the Métropole's time: ``15 juin 2026 à 14 h 05``."""
    return _moment_text(value, lambda moment: f"{format_date(moment.date())} à {format_time(moment)}")


def format_time(value: Any) -> str:
    """The time of day of a moment, in the Métropole's time: ``14 h 05``."""
    return _moment_text(value, lambda moment: moment.strftime("%H h %M"))


def format_siret(value: Any) -> str:
    """``732 829 320 00074``: the SIREN in threes, then the establishment's five digits."""
    text = str(value or "")
    return f"{text[:3]} {text[3:6]} {text[6:9]} {text[9:]}" if len(text) == 14 and text.isdigit() else text


def file_size(size: int) -> str:
    """``969 octets``, ``12 Ko``, ``1,5 Mo``."""
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} Ko"
    return french_number(round(Decimal(size) / (1024 * 1024), 1)) + " Mo"


# --- text -----------------------------------------------------------------------


def quote(text: Any) -> str:
    """``« text »`` with no-break spaces inside."""
    return f"«{NBSP}{text}{NBSP}»"


def sentence(text: str) -> str:
    """``text`` ended by a period, unless it ends with a quotation that has its own:
    « Cochez la case « J'atteste sur l'honneur. » », not « … l'honneur. ». »."""
    return text if text.endswith(f".{NBSP}»") else text + "."


def typography(text: str) -> str:
    """No-break spaces inside the « » of a French text (a line never breaks after «)."""
    if "«" not in text and "»" not in text:
        return text
    return _CLOSE_QUOTE.sub(NBSP + "»", _OPEN_QUOTE.sub("«" + NBSP, text))


def paragraphs(text: Any) -> list[str]:
    """The paragraphs of a text written with blank lines between them (French typography applied)."""
    return [typography(part.strip()) for part in _BLANK_LINE.split(str(text or "").strip()) if part.strip()]


# --- people -----------------------------------------------------------------------


def display_name(person: Mapping[str, Any] | None, civility: bool = True) -> str:
    """``Madame Camille MARTIN``: civilité (optional), prénom, NOM upper-cased."""
    person = person or {}
    title = CIVILITIES.get(str(person.get("civilite") or "").strip().lower(), "") if civility else ""
    parts = [title, str(person.get("prenom") or "").strip(), str(person.get("nom") or "").strip().upper()]
    return " ".join(p for p in parts if p)
