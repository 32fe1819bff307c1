"""Scalar field types: one small class per spec type."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret
from wtforms.validators import StopValidation

from ..formatting import (
    dotted_thousands,
    format_amount,
    format_percentage,
    format_short_date,
    format_siret,
    french_number,
    parse_decimal,
    quantized,
    quote,
    sentence,
    single_newlines,
)
from ..spec.field_types import FieldKind, control_characters, number_bounds
from ..spec.model import Field
from .registry import FieldType, register
from .wtfields import Check, MultiValueField, Required, ScalarField

SPACES = re.compile(r"[\s\u00a0\u202f]+")
DOTTED_THOUSANDS_MESSAGE = ("Écrivez le montant sans point entre les milliers, par exemple 5000 ou 5 000 ; "
                            "les centimes après une virgule, par exemple 1 234,50.")


def required_message(field: Field) -> str:
    return sentence(f"Renseignez le champ {quote(field.label)}")


def choice_message(field: Field) -> str:
    return f"Choisissez une réponse pour {quote(field.label)}."


def refuse_foreign_digits(raw: str, noun: str) -> None:
    """Digits other than ASCII 0-9 (fullwidth, Arabic-Indic, superscript...) are refused:
    they look like digits but are not what the portal stores or compares."""
    if any(c.isdigit() and not c.isascii() for c in raw):
        raise ValueError(f"Saisissez {noun} avec les chiffres ordinaires 0 à 9.")


class ScalarType(FieldType):
    """A single input converted by ``parse`` and checked by ``checks``.

    Before ``parse``, a type read as digits (``digits_of`` names what is typed, e.g.
    "le montant") refuses non-ASCII digits; after it, a text value holding control
    characters is refused by ``ScalarField`` (see ``runtime.spec.answers_schema``).
    """

    @property
    def digits_of(self) -> str | None:
        return self.kind.digits_of

    def parse(self, field: Field, raw: str) -> Any:
        return raw

    def convert(self, field: Field, raw: str) -> Any:
        if self.digits_of:
            refuse_foreign_digits(raw, self.digits_of)
        return self.parse(field, raw)

    def checks(self, field: Field) -> list:
        return []

    def required(self, field: Field) -> list:
        return [Required(required_message(field))] if field.required else []

    def make_field(self, field: Field):
        return ScalarField(
            field.label,
            validators=self.required(field) + self.checks(field),
            parse=lambda raw: self.convert(field, raw),
            fmt=lambda value: self.format(field, value),
            refused=control_characters(field.type),
        )


# --- text ------------------------------------------------------------------


def length_checks(field: Field) -> list:
    opts = field.options
    checks = []
    low, high = opts.get("min_length"), opts.get("max_length")
    if low:
        checks.append(Check(lambda v: None if len(v) >= low else f"Saisissez au moins {low} caractères."))
    if high:
        checks.append(Check(lambda v: None if len(v) <= high else f"Saisissez au plus {high} caractères."))
    if opts.get("pattern"):
        pattern = re.compile(opts["pattern"])
        message = opts.get("pattern_message") or f"Le format de {quote(field.label)} n'est pas valide."
        checks.append(Check(lambda v: None if pattern.fullmatch(v) else message))
    return checks


@register
class TextType(ScalarType):
    name = "text"

    def checks(self, field):
        return length_checks(field)


@register
class TextareaType(TextType):
    name = "textarea"

    def parse(self, field, raw):
        return single_newlines(raw)


# --- numbers -----------------------------------------------------------------


class NumberType(ScalarType):
    """Numbers: bounded by the spec's ``min``/``max`` or the type's defaults
    (``runtime.spec.answers_schema.number_bounds``)."""


    def checks(self, field):
        low, high = number_bounds(field)
        return [
            Check(lambda v: None if Decimal(v) >= low else f"La valeur doit être au moins {self.bound_text(low)}."),
            Check(lambda v: None if Decimal(v) <= high else f"La valeur doit être au plus {self.bound_text(high)}."),
        ]

    def bound_text(self, value: Decimal) -> str:
        """A bound in a message (a year stays ``2026``)."""
        return str(value)


_CANONICAL_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


@register
class IntegerType(NumberType):
    name = "integer"

    def parse(self, field, raw):
        text = SPACES.sub("", raw)
        if not re.fullmatch(r"[-+]?[0-9]+", text):
            raise ValueError("Saisissez un nombre entier, par exemple 12.")
        return int(text)

    def display(self, field, value):
        return french_number(value, group_four_digits=False)  # « Exercice concerné : 2027 »


@register
class DecimalType(NumberType):
    """Stored as a decimal string (``"12.5"``): exact, JSON-friendly."""

    name = "decimal"
    message = "Saisissez un nombre, par exemple 12,5."
    places: int | None = None
    suffix = ""

    def parse(self, field, raw):
        number = parse_decimal(raw)
        if number is None:
            raise ValueError(self.message)
        if self.places is not None:
            exact = quantized(number, self.places)
            if number != exact:
                raise ValueError(self.message)
            number = exact
        return str(number)

    def bound_text(self, value):
        return french_number(value) + self.suffix

    def format(self, field, value):
        """A stored number with a decimal comma; a text kept as typed (not a number) as is."""
        text = str(value)
        return text.replace(".", ",") if _CANONICAL_DECIMAL.fullmatch(text) else text

    def display(self, field, value):
        return french_number(value, self.places)


@register
class AmountType(DecimalType):
    """Euros: accepts ``1 234,50`` or ``1234.5``; stored ``"1234.50"``."""

    name = "amount"
    message = "Saisissez un montant en euros, par exemple 1 234,50."
    places = 2
    suffix = " €"

    def parse(self, field, raw):
        if dotted_thousands(raw):
            raise ValueError(DOTTED_THOUSANDS_MESSAGE)
        return super().parse(field, raw.rstrip("€ \u00a0\u202f").rstrip())

    def display(self, field, value):
        return format_amount(value)


@register
class PercentageType(DecimalType):
    name = "percentage"
    message = "Saisissez un pourcentage, par exemple 12,5."
    suffix = " %"

    def parse(self, field, raw):
        return super().parse(field, raw.rstrip("% \u00a0\u202f").rstrip())

    def display(self, field, value):
        return format_percentage(value)


# --- dates -------------------------------------------------------------------

DATE_FORMAT_MESSAGE = "Saisissez une date au format JJ/MM/AAAA, par exemple 14/07/2026."


@register
class DateType(ScalarType):
    """Stored ISO (``2026-07-14``); accepts the date input's ISO or JJ/MM/AAAA."""

    name = "date"

    def parse(self, field, raw):
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
        french = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw)
        if iso:
            year, month, day = (int(x) for x in iso.groups())
        elif french:
            day, month, year = (int(x) for x in french.groups())
        else:
            raise ValueError(DATE_FORMAT_MESSAGE)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            raise ValueError("Cette date n'existe pas : vérifiez le jour et le mois.") from None

    def checks(self, field):
        checks = []
        low, high = field.options.get("min"), field.options.get("max")
        if low:
            checks.append(Check(lambda v: None if v >= str(low) else f"La date doit être le {format_short_date(low)} ou après."))
        if high:
            checks.append(Check(lambda v: None if v <= str(high) else f"La date doit être le {format_short_date(high)} ou avant."))
        return checks

    def display(self, field, value):
        return format_short_date(value)


# --- contact -------------------------------------------------------------------

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")


@register
class EmailType(ScalarType):
    name = "email"

    def parse(self, field, raw):
        if not EMAIL.fullmatch(raw):
            raise ValueError("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")
        local, _, domain = raw.rpartition("@")
        return f"{local}@{domain.lower()}"


@register
class PhoneType(ScalarType):
    """French numbers, stored ``04 91 99 99 00``."""

    name = "phone"

    def parse(self, field, raw):
        digits = re.sub(r"[\s\u00a0\u202f.\-()]", "", raw)
        digits = re.sub(r"^(\+33|0033)", "0", digits)
        if not re.fullmatch(r"0[1-9][0-9]{8}", digits):
            raise ValueError("Saisissez un numéro de téléphone français à 10 chiffres, par exemple 04 91 99 99 00.")
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


@register
class UrlType(ScalarType):
    name = "url"

    def parse(self, field, raw):
        url = raw if re.match(r"https?://", raw, re.IGNORECASE) else "https://" + raw
        if not re.fullmatch(r"https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?", url, re.IGNORECASE):
            raise ValueError("Saisissez une adresse web valide, par exemple https://www.exemple.fr.")
        return url


# --- identifiers -----------------------------------------------------------------


@register
class SiretType(ScalarType):
    name = "siret"

    def parse(self, field, raw):
        digits = SPACES.sub("", raw)
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("Le numéro SIRET ne doit contenir que des chiffres.")
        if len(digits) != 14:
            raise ValueError("Le numéro SIRET doit comporter 14 chiffres.")
        if not stdnum_siret.is_valid(digits):
            raise ValueError("Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis.")
        return digits

    def display(self, field, value):
        return format_siret(value)


@register
class RnaType(ScalarType):
    name = "rna"

    def parse(self, field, raw):
        text = SPACES.sub("", raw).upper()
        if not re.fullmatch(r"W[0-9]{9}", text):
            raise ValueError("Le numéro RNA commence par W suivi de 9 chiffres, par exemple W131234567.")
        return text


@register
class IbanType(ScalarType):
    name = "iban"

    def parse(self, field, raw):
        try:
            return stdnum_iban.validate(raw)
        except StdnumError:
            raise ValueError("Cet IBAN n'est pas valide : vérifiez les caractères saisis.") from None

    def format(self, field, value):
        return stdnum_iban.format(value) if stdnum_iban.is_valid(value) else value


# --- choices -------------------------------------------------------------------


@register
class YesNoType(ScalarType):
    name = "yes_no"
    grouped = True
    choices = (("true", "Oui"), ("false", "Non"))

    def parse(self, field, raw):
        if raw not in ("true", "false"):
            raise ValueError(choice_message(field))
        return raw == "true"

    def required(self, field):
        return [YesNoRequired(choice_message(field))] if field.required else []

    def format(self, field, value):
        if isinstance(value, str):
            return value
        return "true" if value else "false"

    def display(self, field, value):
        return "Oui" if value else "Non"


class YesNoRequired(Required):
    def __call__(self, form, field):
        if field.data is None:
            raise StopValidation(self.message)


@register
class ChoiceType(ScalarType):
    """Radios (default) or a select list (``widget: select``)."""

    name = "choice"

    grouped = True

    def parse(self, field, raw):
        if raw not in {c.value for c in field.choices}:
            raise ValueError("Choisissez une des réponses proposées.")
        return raw

    def required(self, field):
        return [Required(choice_message(field))] if field.required else []

    def display(self, field, value):
        return next((c.label for c in field.choices if c.value == value), str(value))


@register
class MultipleChoiceType(FieldType):
    name = "multiple_choice"
    grouped = True

    def make_field(self, field):
        valid = {c.value for c in field.choices}
        checks = [Check(lambda v: None if set(v) <= valid else "Choisissez parmi les réponses proposées.")]
        required = [Required(f"Cochez au moins une réponse pour {quote(field.label)}.")] if field.required else []
        return MultiValueField(field.label, validators=required + checks)

    def to_answer(self, bound, field):
        return list(bound.data) if bound.data else None

    def to_raw(self, field, value, name):
        return [(name, v) for v in value or []]

    def display(self, field, value):
        labels = {c.value: c.label for c in field.choices}
        return ", ".join(labels.get(v, v) for v in value or [])


@register
class CheckboxType(ScalarType):
    """One box: true when checked; required means it must be checked."""

    name = "checkbox"

    def parse(self, field, raw):
        return raw in ("true", "y", "on", "1")

    def required(self, field):
        return [Required(sentence(f"Cochez la case {quote(field.label)}"))] if field.required else []

    def to_answer(self, bound, field):
        return bool(bound.data)

    def to_raw(self, field, value, name):
        return [(name, "true")] if value else []

    def display(self, field, value):
        return "Oui" if value else "Non"

    def is_empty(self, value):
        return not value


# --- types described in the spec layer only ------------------------------------------


def described_type(kind: FieldKind) -> type[ScalarType]:
    """The form class of a text-like type whose descriptor converts its own values
    (``kind.parse``): a single input, the descriptor's conversion and display."""
    if kind.parse is None:
        raise ValueError(f"Le type « {kind.name} » n'a ni classe de formulaire ni conversion (parse)")
    return type(f"Described{kind.name.title().replace('_', '')}Type", (ScalarType,), {
        "name": kind.name,
        "parse": lambda self, field, raw: kind.parse(field, raw),
        "display": lambda self, field, value: kind.display(field, value),
    })
