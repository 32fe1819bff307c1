"""Scalar field types: one small class per spec type."""
from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret
from wtforms.validators import StopValidation

from ..spec.model import Field
from .registry import FieldType, register
from .wtfields import Check, MultiValueField, Required, ScalarField

SPACES = re.compile(r"[\s\u00a0\u202f]+")
NARROW_NBSP = "\u202f"


def required_message(field: Field) -> str:
    return f"Renseignez le champ « {field.label} »."


def choice_message(field: Field) -> str:
    return f"Choisissez une réponse pour « {field.label} »."


class ScalarType(FieldType):
    """A single input converted by ``parse`` and checked by ``checks``."""

    def parse(self, field: Field, raw: str) -> Any:
        return raw

    def checks(self, field: Field) -> list:
        return []

    def required(self, field: Field) -> list:
        return [Required(required_message(field))] if field.required else []

    def make_field(self, field: Field):
        return ScalarField(
            field.label,
            validators=self.required(field) + self.checks(field),
            parse=lambda raw: self.parse(field, raw),
            fmt=lambda value: self.format(field, value),
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
        message = opts.get("pattern_message") or f"Le format de « {field.label} » n'est pas valide."
        checks.append(Check(lambda v: None if pattern.fullmatch(v) else message))
    return checks


@register
class TextType(ScalarType):
    name = "text"

    def checks(self, field):
        return length_checks(field)

    def json_schema(self, field):
        schema: dict[str, Any] = {"type": "string"}
        if field.options.get("max_length"):
            schema["maxLength"] = field.options["max_length"]
        if field.options.get("min_length"):
            schema["minLength"] = field.options["min_length"]
        return schema


@register
class TextareaType(TextType):
    name = "textarea"


# --- numbers -----------------------------------------------------------------


def range_checks(field: Field, convert=Decimal, fmt=str) -> list:
    checks = []
    low, high = field.options.get("min"), field.options.get("max")
    if low is not None:
        checks.append(Check(lambda v: None if convert(v) >= convert(low) else f"La valeur doit être au moins {fmt(low)}."))
    if high is not None:
        checks.append(Check(lambda v: None if convert(v) <= convert(high) else f"La valeur doit être au plus {fmt(high)}."))
    return checks


def parse_decimal(raw: str) -> Decimal | None:
    text = SPACES.sub("", raw).replace(",", ".")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?|[-+]?\.\d+", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def french_number(value: Any, places: int | None = None) -> str:
    """``1234.5`` → ``1 234,5`` (narrow no-break space between thousands)."""
    number = Decimal(str(value))
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    sign, digits = ("-", str(number)[1:]) if number < 0 else ("", str(number))
    whole, _, decimals = digits.partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    whole = NARROW_NBSP.join([whole, *groups])
    return sign + whole + ("," + decimals if decimals else "")


@register
class IntegerType(ScalarType):
    name = "integer"

    def parse(self, field, raw):
        text = SPACES.sub("", raw)
        if not re.fullmatch(r"[-+]?[0-9]+", text):
            raise ValueError("Saisissez un nombre entier, par exemple 12.")
        return int(text)

    def checks(self, field):
        return range_checks(field, convert=int)

    def display(self, field, value):
        return french_number(value)

    def json_schema(self, field):
        schema: dict[str, Any] = {"type": "integer"}
        for key, word in (("min", "minimum"), ("max", "maximum")):
            if field.options.get(key) is not None:
                schema[word] = field.options[key]
        return schema


DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


@register
class DecimalType(ScalarType):
    """Stored as a decimal string (``"12.5"``): exact, JSON-friendly."""

    name = "decimal"
    message = "Saisissez un nombre, par exemple 12,5."
    places: int | None = None

    def parse(self, field, raw):
        number = parse_decimal(raw)
        if number is None:
            raise ValueError(self.message)
        if self.places is not None:
            if number != number.quantize(Decimal(1).scaleb(-self.places), ROUND_HALF_UP):
                raise ValueError(self.message)
            number = number.quantize(Decimal(1).scaleb(-self.places))
        return str(number)

    def checks(self, field):
        return range_checks(field, fmt=french_number)

    def format(self, field, value):
        return str(value).replace(".", ",")

    def display(self, field, value):
        return french_number(value, self.places)

    def json_schema(self, field):
        return {"type": "string", "pattern": DECIMAL_PATTERN}


@register
class AmountType(DecimalType):
    """Euros: accepts ``1 234,50`` or ``1234.5``; stored ``"1234.50"``."""

    name = "amount"
    message = "Saisissez un montant en euros, par exemple 1 234,50."
    places = 2

    def checks(self, field):
        low = field.options.get("min", 0)
        return range_checks(Field(field.id, field.type, options={**field.options, "min": low}),
                            fmt=lambda v: french_number(v) + " €")

    def parse(self, field, raw):
        return super().parse(field, raw.rstrip("€ \u00a0\u202f").rstrip())

    def display(self, field, value):
        return french_number(value, 2) + NARROW_NBSP + "€"

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}


@register
class PercentageType(DecimalType):
    name = "percentage"
    message = "Saisissez un pourcentage, par exemple 12,5."

    def parse(self, field, raw):
        return super().parse(field, raw.rstrip("% \u00a0\u202f").rstrip())

    def checks(self, field):
        opts = {"min": 0, "max": 100, **field.options}
        return range_checks(Field(field.id, field.type, options=opts), fmt=lambda v: french_number(v) + " %")

    def display(self, field, value):
        return french_number(value) + NARROW_NBSP + "%"


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
            checks.append(Check(lambda v: None if v >= str(low) else f"La date doit être le {french_date(low)} ou après."))
        if high:
            checks.append(Check(lambda v: None if v <= str(high) else f"La date doit être le {french_date(high)} ou avant."))
        return checks

    def display(self, field, value):
        return french_date(value)

    def json_schema(self, field):
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def french_date(value: Any) -> str:
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        year, month, day = text.split("-")
        return f"{day}/{month}/{year}"
    return text


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

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$"}


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

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^0[1-9]( [0-9]{2}){4}$"}


@register
class UrlType(ScalarType):
    name = "url"

    def parse(self, field, raw):
        url = raw if re.match(r"https?://", raw, re.IGNORECASE) else "https://" + raw
        if not re.fullmatch(r"https?://[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?", url, re.IGNORECASE):
            raise ValueError("Saisissez une adresse web valide, par exemple https://www.exemple.fr.")
        return url

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^https?://"}


# --- identifiers -----------------------------------------------------------------


def ascii_digits(raw: str, name: str) -> str:
    text = SPACES.sub("", raw)
    if any(c.isdigit() and not c.isascii() for c in text):
        raise ValueError(f"Saisissez le {name} avec les chiffres ordinaires 0 à 9.")
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"Le {name} ne doit contenir que des chiffres.")
    return text


@register
class SiretType(ScalarType):
    name = "siret"

    def parse(self, field, raw):
        digits = ascii_digits(raw, "numéro SIRET")
        if len(digits) != 14:
            raise ValueError("Le numéro SIRET doit comporter 14 chiffres.")
        if not stdnum_siret.is_valid(digits):
            raise ValueError("Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis.")
        return digits

    def display(self, field, value):
        text = str(value)
        return f"{text[:3]} {text[3:6]} {text[6:9]} {text[9:]}" if len(text) == 14 else text

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^[0-9]{14}$"}


@register
class RnaType(ScalarType):
    name = "rna"

    def parse(self, field, raw):
        text = SPACES.sub("", raw).upper()
        if not re.fullmatch(r"W[0-9]{9}", text):
            raise ValueError("Le numéro RNA commence par W suivi de 9 chiffres, par exemple W131234567.")
        return text

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^W[0-9]{9}$"}


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

    def json_schema(self, field):
        return {"type": "string", "pattern": r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"}


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

    def json_schema(self, field):
        return {"type": "boolean"}


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

    def json_schema(self, field):
        return {"type": "string", "enum": [c.value for c in field.choices]}


@register
class MultipleChoiceType(FieldType):
    name = "multiple_choice"
    grouped = True

    def make_field(self, field):
        valid = {c.value for c in field.choices}
        checks = [Check(lambda v: None if set(v) <= valid else "Choisissez parmi les réponses proposées.")]
        required = [Required(f"Cochez au moins une réponse pour « {field.label} ».")] if field.required else []
        return MultiValueField(field.label, validators=required + checks)

    def to_answer(self, bound, field):
        return list(bound.data) if bound.data else None

    def to_raw(self, field, value, name):
        return [(name, v) for v in value or []]

    def display(self, field, value):
        labels = {c.value: c.label for c in field.choices}
        return ", ".join(labels.get(v, v) for v in value or [])

    def json_schema(self, field):
        return {"type": "array", "items": {"type": "string", "enum": [c.value for c in field.choices]},
                "uniqueItems": True}


@register
class CheckboxType(ScalarType):
    """One box: true when checked; required means it must be checked."""

    name = "checkbox"

    def parse(self, field, raw):
        return raw in ("true", "y", "on", "1")

    def required(self, field):
        return [Required(f"Cochez la case « {field.label} ».")] if field.required else []

    def to_answer(self, bound, field):
        return bool(bound.data)

    def to_raw(self, field, value, name):
        return [(name, "true")] if value else []

    def display(self, field, value):
        return "Oui" if value else "Non"

    def json_schema(self, field):
        return {"type": "boolean"}

    def is_empty(self, value):
        return not value
