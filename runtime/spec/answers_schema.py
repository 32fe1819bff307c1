"""The JSON Schema (draft 2020-12) of a demande's answers.

A field is required in the schema only when it is always shown; a field shown
under a condition is required through ``if``/``then`` when the condition can
be written in JSON Schema (comparisons with a constant); other conditions
(dates, field references, computed values) are enforced by the form runtime
only. Numbers (integer apart) are accepted as JSON numbers or as decimal texts
("1234.50"), which keep their exact value.

The limits below are the single source of two checks: the form runtime's
(``runtime/forms/types.py``) and this schema's, so a value refused beside its
field is refused at transmission too.
- Text answers never hold control characters (C0, DEL, C1) nor the bidirectional
  controls that can disguise a text (U+202E "right-to-left override"...); long
  texts (``textarea``) keep tab, line feed and carriage return.
- Numbers have default bounds when the spec gives none: amounts 0 to
  999 999 999 999,99 € (cents stay exact in the browser's totals), percentages
  0 to 100, integers and decimals within 15 digits. A decimal text is bounded by
  its number of digits (the exact bound of a spec's ``max`` is enforced by the
  form runtime, which ``validate_demande`` runs again on every page).
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .conditions import is_field_ref, operator_of
from .model import Field, Spec

STATIC_TYPES = ("heading", "paragraph")
_TEXT_TYPES = {
    "text": {},
    "textarea": {},
    "email": {"format": "email"},
    "phone": {"pattern": r"^\+?[0-9 .]{10,20}$"},
    "url": {"format": "uri"},
    "siret": {"pattern": r"^[0-9]{14}$"},
    "rna": {"pattern": r"^W[0-9A-Z]{9}$"},
    "iban": {"pattern": r"^[A-Z]{2}[0-9]{2}[0-9A-Z]{10,30}$"},
}
_NUMBER_TYPES = ("decimal", "amount", "percentage")
_FREE_TEXT_TYPES = ("text", "textarea", "email", "url")
MULTILINE_TYPES = ("textarea",)

# One character refused in a text answer (regex valid in Python and ECMA-262).
_BIDI_CONTROLS = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
CONTROL_CHARACTERS = r"[\u0000-\u001f\u007f-\u009f" + _BIDI_CONTROLS + "]"
CONTROL_CHARACTERS_MULTILINE = r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f" + _BIDI_CONTROLS + "]"

AMOUNT_MAX = Decimal("999999999999.99")
NUMBER_LIMIT = Decimal(10**15 - 1)
DEFAULT_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "amount": (Decimal(0), AMOUNT_MAX),
    "percentage": (Decimal(0), Decimal(100)),
    "decimal": (-NUMBER_LIMIT, NUMBER_LIMIT),
    "integer": (-NUMBER_LIMIT, NUMBER_LIMIT),
}
DECIMAL_PLACES = {"amount": 2}


def control_characters(field_type: str) -> str:
    """The regex of one character refused in an answer of this text type."""
    return CONTROL_CHARACTERS_MULTILINE if field_type in MULTILINE_TYPES else CONTROL_CHARACTERS


def number_bounds(field: Field) -> tuple[Decimal, Decimal]:
    """(lowest, highest) value of a number field: the spec's ``min``/``max``, else the type's defaults."""
    low, high = DEFAULT_BOUNDS[field.type]
    options = field.options
    return (Decimal(str(options["min"])) if options.get("min") is not None else low,
            Decimal(str(options["max"])) if options.get("max") is not None else high)


def answers_schema(spec: Spec) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditional: list[dict[str, Any]] = []
    for page in spec.pages:
        for field in page.fields:
            if field.type in STATIC_TYPES:
                continue
            properties[field.id] = field_schema(field)
            if not field.required:
                continue
            conditions = [c for c in (page.when, field.when) if c]
            if not conditions:
                required.append(field.id)
                continue
            predicate = [condition_schema(c) for c in conditions]
            if all(p is not None for p in predicate):
                conditional.append({"if": {"allOf": predicate}, "then": {"required": [field.id]}})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:portail:teleservice:{spec.id}:{spec.version}:{spec.digest[:12]}",
        "title": spec.title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if conditional:
        schema["allOf"] = conditional
    return schema


def field_schema(field: Field) -> dict[str, Any]:
    """The schema of one answer; an optional answer may also be null."""
    schema = _value_schema(field)
    schema["title"] = field.label
    if not field.required and "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = types + ["null"]
    return schema


def _value_schema(field: Field) -> dict[str, Any]:
    options, kind = field.options, field.type
    if kind in _TEXT_TYPES:
        schema: dict[str, Any] = {"type": "string", **_TEXT_TYPES[kind]}
        if field.required:
            schema["minLength"] = 1
        if "min_length" in options:
            schema["minLength"] = options["min_length"]
        if "max_length" in options:
            schema["maxLength"] = options["max_length"]
        if "pattern" in options:
            schema["pattern"] = options["pattern"]
        if kind in _FREE_TEXT_TYPES:
            schema["not"] = no_control_characters(kind)
        return schema
    if kind == "integer" or kind in _NUMBER_TYPES:
        return _number_schema(field)
    if kind == "date":
        return {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    if kind in ("yes_no", "checkbox"):
        return {"type": "boolean"}
    if kind == "choice":
        return {"type": "string", "enum": [c.value for c in field.choices]}
    if kind == "multiple_choice":
        items = {"enum": [c.value for c in field.choices]}
        return {"type": "array", "items": items, "uniqueItems": True, **({"minItems": 1} if field.required else {})}
    if kind == "address":
        return {
            "type": "object",
            "properties": {
                "street": {"type": "string", "minLength": 1, "not": no_control_characters("text")},
                "postcode": {"type": "string", "pattern": r"^[0-9]{5}$"},
                "commune": {"type": "string", "minLength": 1, "not": no_control_characters("text")},
            },
            "required": ["street", "postcode", "commune"],
        }
    if kind == "file":
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
    if kind == "table":
        return _table_schema(field)
    raise ValueError(f"type de champ inconnu : {kind}")


def _table_schema(field: Field) -> dict[str, Any]:
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


def no_control_characters(field_type: str) -> dict[str, Any]:
    """Under ``not``: a text holding a refused character."""
    return {"type": "string", "pattern": control_characters(field_type)}


def is_control_characters_schema(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("pattern") in (CONTROL_CHARACTERS, CONTROL_CHARACTERS_MULTILINE)


def _number_schema(field: Field) -> dict[str, Any]:
    """JSON numbers within the bounds; decimal texts within their number of digits."""
    low, high = number_bounds(field)
    bounds = {"minimum": _json_number(low), "maximum": _json_number(high)}
    if field.type == "integer":
        return {"type": "integer", **bounds}
    digits = len(str(int(max(abs(low), abs(high)))))
    places = DECIMAL_PLACES.get(field.type)
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else r"(\.[0-9]+)?"
    sign = "-?" if low < 0 else ""
    return {"type": ["number", "string"], "pattern": rf"^{sign}[0-9]{{1,{digits}}}{fraction}$", **bounds}


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def condition_schema(condition: Mapping[str, Any]) -> dict[str, Any] | None:
    """The condition as a JSON Schema predicate, or None if it cannot be written so."""
    for key, combine in (("all", "allOf"), ("any", "anyOf")):
        if key in condition:
            parts = [condition_schema(c) for c in condition[key]]
            return None if None in parts else {combine: parts}
    if "not" in condition:
        inner = condition_schema(condition["not"])
        return None if inner is None else {"not": inner}
    if "formula" in condition:  # arithmetic is beyond JSON Schema: the wizard checks it
        return None
    operator = operator_of(condition)
    value = condition[operator]
    if is_field_ref(value):
        return None
    predicate = _predicate(operator, value)
    if predicate is None:
        return None
    name = condition["field"]
    if operator == "is_filled" and not value:
        return {"not": {"required": [name]}} if predicate == {} else {
            "anyOf": [{"not": {"required": [name]}}, {"properties": {name: predicate}}]}
    return {"required": [name], "properties": {name: predicate}}


_EMPTY = {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 0}, {"type": "array", "maxItems": 0}]}


def _predicate(operator: str, value: Any) -> dict[str, Any] | None:
    if operator == "equals":
        return {"const": value}
    if operator == "not_equals":
        return {"not": {"anyOf": [{"const": value}, _EMPTY]}}
    if operator == "in":
        return {"enum": list(value)}
    if operator == "not_in":
        return {"not": {"anyOf": [{"enum": list(value)}, _EMPTY]}}
    if operator == "contains":
        return {"type": "array", "contains": {"const": value}}
    if operator == "is_filled":
        return {"not": _EMPTY} if value else _EMPTY
    numeric = {"greater_than": "exclusiveMinimum", "less_than": "exclusiveMaximum",
               "at_least": "minimum", "at_most": "maximum"}
    if operator in numeric:
        return {"type": "number", numeric[operator]: value}
    return None
