"""Field types as the spec language knows them: one descriptor class per YAML ``type``.

A descriptor says everything about a type that does not need a form library:
its name, the YAML keys that apply to it (``options``), whether it is a static
block (no value) or a number, whether it may be a table column, the JSON Schema
of its answer and the cell it gives in an export. Everything else derives from
this registry: the ``type`` enums of the spec JSON Schema (``spec_schema()`` in
``schema_errors.py``), the lint's option and column checks (``checks.py``), the
answers' JSON Schema (``answers_schema.py``), the export (``runtime/domain/export.py``)
and the forms registry (``runtime/forms/registry.py``), which adds WTForms
behaviour and templates.

A simple text-like type can also say how a typed value converts (``parse``,
raising ``ValueError`` with the French message): the forms registry then needs
no class of its own for it. Adding such a type = one class here + its two
templates ``templates/fields/<type>.html`` / ``<type>_ro.html`` + its section
in ``docs/spec-language.md`` (``code_postal`` below is the example).

The limits shared by the form runtime and the answers' JSON Schema live here too:
- Text answers never hold control characters (C0, DEL, C1) nor the bidirectional
  controls that can disguise a text (U+202E "right-to-left override"...); long
  texts (``textarea``) keep tab, line feed and carriage return.
- Numbers have default bounds when the spec gives none: amounts 0 to
  999 999 999 999,99 € (cents stay exact in the browser's totals), percentages
  0 to 100, integers and decimals within 15 digits.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from .model import Field

# One character refused in a text answer (regex valid in Python and ECMA-262).
_BIDI_CONTROLS = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
CONTROL_CHARACTERS = r"[\u0000-\u001f\u007f-\u009f" + _BIDI_CONTROLS + "]"
CONTROL_CHARACTERS_MULTILINE = r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f" + _BIDI_CONTROLS + "]"

AMOUNT_MAX = Decimal("999999999999.99")
NUMBER_LIMIT = Decimal(10**15 - 1)
MULTIPLE_SEPARATOR = "; "
_TEXT_OPTIONS = ("min_length", "max_length", "pattern", "pattern_message")

#: An export cell: text, number, date or nothing.
Cell = str | Decimal | int | date | None

_KINDS: dict[str, FieldKind] = {}


def describe(cls: type[FieldKind]) -> type[FieldKind]:
    """Class decorator: one instance of ``cls`` describes the type ``cls.name``."""
    if not cls.name or cls.name in _KINDS:
        raise ValueError(f"Type de champ sans nom ou décrit deux fois : {cls.__name__}")
    _KINDS[cls.name] = cls()
    return cls


def field_kind(name: str) -> FieldKind:
    """The descriptor of a type (``KeyError`` for an unknown name)."""
    return _KINDS[name]


def field_kinds() -> list[FieldKind]:
    """Every descriptor, in declaration order (the order of the spec JSON Schema's enum)."""
    return list(_KINDS.values())


def kind_names(*, static: bool | None = None, numeric: bool | None = None, column: bool | None = None,
               choices: bool | None = None, boolean: bool | None = None) -> tuple[str, ...]:
    """Names of the types matching every given flag."""
    wanted = {"static": static, "numeric": numeric, "column": column, "choices": choices, "boolean": boolean}
    return tuple(k.name for k in _KINDS.values()
                 if all(flag is None or getattr(k, attr) == flag for attr, flag in wanted.items()))


def value_types() -> dict[str, str]:
    """The value type of each type usable in formulas and pre-filling (see ``FieldKind.value_type``)."""
    return {k.name: k.value_type for k in _KINDS.values() if k.value_type}


def type_options() -> dict[str, tuple[str, ...]]:
    """YAML keys specific to each type (a key of another type is refused by the lint)."""
    return {k.name: k.options for k in _KINDS.values() if k.options}


def control_characters(field_type: str) -> str:
    """The regex of one character refused in an answer of this text type."""
    kind = _KINDS.get(field_type)
    return CONTROL_CHARACTERS_MULTILINE if kind is not None and kind.multiline else CONTROL_CHARACTERS


def no_control_characters(field_type: str) -> dict[str, Any]:
    """Under ``not``: a text holding a refused character."""
    return {"type": "string", "pattern": control_characters(field_type)}


def number_bounds(field: Field) -> tuple[Decimal, Decimal]:
    """(lowest, highest) value of a number field: the spec's ``min``/``max``, else the type's defaults."""
    low, high = field_kind(field.type).bounds
    options = field.options
    return (Decimal(str(options["min"])) if options.get("min") is not None else low,
            Decimal(str(options["max"])) if options.get("max") is not None else high)


def field_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of one answer; an optional answer may also be null."""
    schema = field_kind(field.type).value_schema(field)
    schema["title"] = field.label
    if not field.required and "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = types + ["null"]
    return schema


def export_cell(field: Field, value: Any) -> Cell:
    """One answer as an export cell (``None`` when unanswered)."""
    if value is None or value == "" or value == []:
        return None
    return field_kind(field.type).export_cell(field, value)


def to_number(value: Any) -> Decimal | str | None:
    """A stored number as a Decimal; a value typed but never converted stays as typed."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def to_date(value: Any) -> date | str | None:
    """An ISO date (or datetime) → date; a value typed but never converted stays as typed."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)


class FieldKind:
    """Base descriptor. Subclasses set ``name`` and override what differs."""

    name: ClassVar[str] = ""
    #: YAML keys that only this type accepts
    options: ClassVar[tuple[str, ...]] = ()
    #: a block of text (heading, paragraph): no value, no label, no column
    static: ClassVar[bool] = False
    numeric: ClassVar[bool] = False
    boolean: ClassVar[bool] = False
    choices: ClassVar[bool] = False
    #: may be a column of a table
    column: ClassVar[bool] = True
    #: a long text keeping tab and new lines
    multiline: ClassVar[bool] = False
    #: XLSX display format of its export column: "text", "amount" or "date"
    export_format: ClassVar[str] = "text"
    #: what is typed, for the refusal of non-ASCII digits (e.g. "le montant"); None: not read as digits
    digits_of: ClassVar[str | None] = None
    #: the value in formulas and pre-filling: "number", "amount", "date", "boolean", "text"; None: not usable
    value_type: ClassVar[str | None] = None
    #: a valid typed value, for generated tests (tests/forms/test_property_specs.py)
    example: ClassVar[str | None] = None

    def value_schema(self, field: Field) -> dict[str, Any]:
        raise NotImplementedError(self.name)

    def export_cell(self, field: Field, value: Any) -> Cell:
        return str(value)

    # A type needing no form class of its own implements parse (and display if needed).
    parse: ClassVar[Any] = None

    def display(self, field: Field, value: Any) -> str:
        return str(value)


# --- texts and identifiers ------------------------------------------------------


class TextLike(FieldKind):
    """A string answer, with its JSON Schema format or pattern if any."""

    value_type = "text"
    json_format: ClassVar[str | None] = None
    json_pattern: ClassVar[str | None] = None
    #: free texts refuse control characters in the answers' schema too
    free_text: ClassVar[bool] = False

    def value_schema(self, field):
        options = field.options
        schema: dict[str, Any] = {"type": "string"}
        if self.json_format:
            schema["format"] = self.json_format
        if self.json_pattern:
            schema["pattern"] = self.json_pattern
        if field.required:
            schema["minLength"] = 1
        for key, target in (("min_length", "minLength"), ("max_length", "maxLength"), ("pattern", "pattern")):
            if key in options:
                schema[target] = options[key]
        if self.free_text:
            schema["not"] = no_control_characters(self.name)
        return schema


@describe
class TextKind(TextLike):
    name = "text"
    options = _TEXT_OPTIONS
    free_text = True


@describe
class TextareaKind(TextLike):
    name = "textarea"
    options = _TEXT_OPTIONS
    free_text = True
    multiline = True


class NumberKind(FieldKind):
    """Numbers: JSON numbers within the bounds, or decimal texts within their number of digits."""

    options = ("min", "max")
    numeric = True
    digits_of = "le nombre"
    value_type = "number"
    bounds: ClassVar[tuple[Decimal, Decimal]] = (-NUMBER_LIMIT, NUMBER_LIMIT)
    #: decimals kept (None: any)
    places: ClassVar[int | None] = None

    def value_schema(self, field):
        low, high = number_bounds(field)
        limits = {"minimum": _json_number(low), "maximum": _json_number(high)}
        digits = len(str(int(max(abs(low), abs(high)))))
        fraction = rf"(\.[0-9]{{1,{self.places}}})?" if self.places else r"(\.[0-9]+)?"
        sign = "-?" if low < 0 else ""
        return {"type": ["number", "string"], "pattern": rf"^{sign}[0-9]{{1,{digits}}}{fraction}$", **limits}

    def export_cell(self, field, value):
        return to_number(value)


@describe
class IntegerKind(NumberKind):
    name = "integer"

    def value_schema(self, field):
        low, high = number_bounds(field)
        return {"type": "integer", "minimum": _json_number(low), "maximum": _json_number(high)}


@describe
class DecimalKind(NumberKind):
    name = "decimal"


@describe
class AmountKind(NumberKind):
    name = "amount"
    digits_of = "le montant"
    value_type = "amount"
    bounds = (Decimal(0), AMOUNT_MAX)
    places = 2
    export_format = "amount"


@describe
class PercentageKind(NumberKind):
    name = "percentage"
    digits_of = "le pourcentage"
    bounds = (Decimal(0), Decimal(100))


@describe
class DateKind(FieldKind):
    name = "date"
    options = ("min", "max")
    digits_of = "la date"
    value_type = "date"
    export_format = "date"

    def value_schema(self, field):
        return {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

    def export_cell(self, field, value):
        return to_date(value)


@describe
class EmailKind(TextLike):
    name = "email"
    json_format = "email"
    free_text = True


@describe
class PhoneKind(TextLike):
    name = "phone"
    json_pattern = r"^\+?[0-9 .]{10,20}$"
    digits_of = "le numéro de téléphone"


@describe
class UrlKind(TextLike):
    name = "url"
    json_format = "uri"
    free_text = True


class YesNoLike(FieldKind):
    boolean = True
    value_type = "boolean"

    def value_schema(self, field):
        return {"type": "boolean"}

    def export_cell(self, field, value):
        return "Oui" if value in (True, "oui", "yes", "true", "1") else "Non"


@describe
class YesNoKind(YesNoLike):
    name = "yes_no"


class ChoiceLike(FieldKind):
    choices = True

    def labels(self, field: Field) -> dict[str, str]:
        return {choice.value: choice.label for choice in field.choices}


@describe
class ChoiceKind(ChoiceLike):
    name = "choice"
    options = ("choices", "options_from", "widget")
    value_type = "text"

    def value_schema(self, field):
        return {"type": "string", "enum": [c.value for c in field.choices]}

    def export_cell(self, field, value):
        return self.labels(field).get(str(value), str(value))


@describe
class MultipleChoiceKind(ChoiceLike):
    name = "multiple_choice"
    options = ("choices", "options_from")
    column = False

    def value_schema(self, field):
        items = {"enum": [c.value for c in field.choices]}
        return {"type": "array", "items": items, "uniqueItems": True, **({"minItems": 1} if field.required else {})}

    def export_cell(self, field, value):
        labels = self.labels(field)
        values = value if isinstance(value, list) else [value]
        return MULTIPLE_SEPARATOR.join(labels.get(str(v), str(v)) for v in values)


@describe
class CheckboxKind(YesNoLike):
    name = "checkbox"


@describe
class SiretKind(TextLike):
    name = "siret"
    json_pattern = r"^[0-9]{14}$"
    digits_of = "le numéro SIRET"


@describe
class RnaKind(TextLike):
    name = "rna"
    json_pattern = r"^W[0-9A-Z]{9}$"
    digits_of = "le numéro RNA"


@describe
class IbanKind(TextLike):
    name = "iban"
    json_pattern = r"^[A-Z]{2}[0-9]{2}[0-9A-Z]{10,30}$"
    digits_of = "l'IBAN"


# --- composites --------------------------------------------------------------


@describe
class AddressKind(FieldKind):
    name = "address"
    column = False
    digits_of = "le code postal"

    def value_schema(self, field):
        return {
            "type": "object",
            "properties": {
                "street": {"type": "string", "minLength": 1, "not": no_control_characters("text")},
                "postcode": {"type": "string", "pattern": r"^[0-9]{5}$"},
                "commune": {"type": "string", "minLength": 1, "not": no_control_characters("text")},
            },
            "required": ["street", "postcode", "commune"],
        }


@describe
class FileKind(FieldKind):
    name = "file"
    options = ("accept", "max_size_mb")
    column = False

    def value_schema(self, field):
        return {
            "type": "object",
            "properties": {
                "file_id": {"type": "string", "minLength": 1},
                "filename": {"type": "string"},
                "size": {"type": "integer", "minimum": 0},
                "content_type": {"type": "string"},
                "sha256": {"type": "string"},
            },
            "required": ["file_id", "filename"],
        }

    def export_cell(self, field, value):
        return value.get("filename") if isinstance(value, Mapping) else str(value)


@describe
class TableKind(FieldKind):
    name = "table"
    options = ("columns", "min_rows", "max_rows", "totals")
    column = False

    def value_schema(self, field):
        row = {
            "type": "object",
            "properties": {column.id: field_schema(column) for column in field.columns},
            "required": [column.id for column in field.columns if column.required],
            "additionalProperties": False,
        }
        schema: dict[str, Any] = {"type": "array", "items": row}
        min_rows = field.options.get("min_rows", 1 if field.required else None)
        if min_rows:
            schema["minItems"] = min_rows
        if "max_rows" in field.options:
            schema["maxItems"] = field.options["max_rows"]
        return schema


class StaticKind(FieldKind):
    options = ("text",)
    static = True
    column = False

    def value_schema(self, field):
        raise ValueError(f"le bloc « {self.name} » n'a pas de réponse")


@describe
class HeadingKind(StaticKind):
    name = "heading"


@describe
class ParagraphKind(StaticKind):
    name = "paragraph"


# --- types needing no form class of their own ----------------------------------


@describe
class CodePostalKind(TextLike):
    """A French postcode: five digits (spaces typed are dropped)."""

    name = "code_postal"
    json_pattern = r"^[0-9]{5}$"
    digits_of = "le code postal"
    example = "69003"

    def parse(self, field: Field, raw: str) -> str:
        text = re.sub(r"\s+", "", raw)
        if not re.fullmatch(r"[0-9]{5}", text):
            raise ValueError("Le code postal doit comporter 5 chiffres, par exemple 69003.")
        return text


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
