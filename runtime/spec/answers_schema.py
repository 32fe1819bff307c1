"""The JSON Schema (draft 2020-12) of a demande's answers.

A field is required in the schema only when it is always shown; a field shown
under a condition is required through ``if``/``then`` when the condition can
be written in JSON Schema (comparisons with a constant); other conditions
(dates, field references, computed values) are enforced by the form runtime
only. Numbers (integer apart) are accepted as JSON numbers or as decimal texts
("1234.50"), which keep their exact value.

The limits shared with the form runtime (control characters, default number
bounds) and each type's schema fragment live with the type's descriptor
(``runtime/spec/field_types.py``); this module assembles a demande's schema.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import is_field_ref, operator_of
from .field_types import (  # noqa: F401 (re-exported: the names others import from here)
    AMOUNT_MAX,
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_MULTILINE,
    NUMBER_LIMIT,
    control_characters,
    field_schema,
    kind_names,
    no_control_characters,
    number_bounds,
)
from .model import Spec

STATIC_TYPES = kind_names(static=True)


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


def is_control_characters_schema(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("pattern") in (CONTROL_CHARACTERS, CONTROL_CHARACTERS_MULTILINE)


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
