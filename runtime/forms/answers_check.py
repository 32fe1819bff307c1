"""The answers of a demande checked against their JSON Schema, every error
turned into a French message at a field path (never jsonschema's own text)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import jsonschema

from ..formatting import quote, sentence
from ..spec.answers_schema import is_control_characters_schema
from ..spec.errors import FieldError
from ..spec.model import Field, Spec
from .composite import row_message
from .registry import field_type
from .wtfields import CONTROL_MESSAGE


def answers_schema_of(spec: Spec) -> dict:
    from ..spec.answers_schema import answers_schema

    return answers_schema(spec)


def schema_errors(spec: Spec, answers: Mapping[str, Any], schema: dict | None = None) -> list[FieldError]:
    validator = jsonschema.Draft202012Validator(schema or answers_schema_of(spec))
    errors, seen = [], set()
    for error in validator.iter_errors(dict(answers)):
        for path in _error_paths(error):
            if path and path not in seen:
                seen.add(path)
                errors.append(_field_error(spec, path, error))
    return errors


def _error_paths(error: jsonschema.ValidationError) -> list[tuple]:
    """Where the error belongs; a ``required`` error points at the parent."""
    path = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        return [path + (name,) for name in error.validator_value if name not in error.instance]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties") or ())
        return [path + (name,) for name in error.instance if name not in allowed]
    return [path]


def _locate(spec: Spec, path: tuple) -> tuple[Field | None, Field | None, int | None, str | None]:
    """(field, column, row index, page id) named by a path into the answers."""
    try:
        field = spec.field(str(path[0]))
    except KeyError:
        return None, None, None, None
    page_id = next((p.id for p in spec.pages if any(f.id == field.id for f in p.fields)), None)
    if field.type == "table" and len(path) >= 3 and isinstance(path[1], int):
        column = next((c for c in field.columns if c.id == path[2]), None)
        return field, column, path[1], page_id
    return field, None, None, page_id


def _field_error(spec: Spec, path: tuple, error: jsonschema.ValidationError) -> FieldError:
    field, column, row, page_id = _locate(spec, path)
    text_path = "/".join(str(p) for p in path)
    if field is None:
        message = "Cette réponse ne correspond à aucune question du formulaire."
        return FieldError(text_path, message, None, code=f"schema:{error.validator}")
    target = column or field
    if field.type == "address" and len(path) >= 2:
        target = Field(str(path[1]), "text", label=_address_label(str(path[1])))
        text_path = f"{field.id}/{path[1]}"
    message = _message(target, error)
    if row is not None:
        message = row_message(field, row, message)
    return FieldError(text_path, message, page_id, code=f"schema:{error.validator}")


def _address_label(part: str) -> str:
    from .composite import ADDRESS_PARTS

    return next((label for name, label, *_ in ADDRESS_PARTS if name == part), part)


def _number(field: Field, value: Any) -> str:
    """A bound as the field's own messages write it (``999 999 999 999,99 €``)."""
    bound_text = getattr(field_type(field.type), "bound_text", None)  # number types
    return bound_text(Decimal(str(value))) if bound_text else str(value)


def _message(field: Field, error: jsonschema.ValidationError) -> str:
    label, kind, value = field.label, error.validator, error.validator_value
    if kind == "required" or (kind == "minLength" and value == 1):
        if field.type == "file":
            return f"Joignez le document {quote(label)}."
        return sentence(f"Renseignez le champ {quote(label)}")
    if kind == "pattern" and field.options.get("pattern_message"):
        return str(field.options["pattern_message"])
    if kind == "enum":
        return f"Choisissez une des réponses proposées pour {quote(label)}."
    if kind in ("minItems", "maxItems"):
        count = len(error.instance) if isinstance(error.instance, list) else 0
        found = field_type("table").count_errors(field, count)
        if found:
            return found[0][1]
    if kind == "not" and is_control_characters_schema(value):
        return CONTROL_MESSAGE
    if kind in ("minimum", "exclusiveMinimum"):
        return f"La valeur de {quote(label)} doit être au moins {_number(field, value)}."
    if kind in ("maximum", "exclusiveMaximum"):
        return f"La valeur de {quote(label)} doit être au plus {_number(field, value)}."
    if kind == "minLength":
        return f"Saisissez au moins {value} caractère{'s' if value > 1 else ''} pour {quote(label)}."
    if kind == "maxLength":
        return f"Saisissez au plus {value} caractères pour {quote(label)}."
    return f"La réponse à {quote(label)} n'est pas valide."
