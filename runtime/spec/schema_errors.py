"""Validation against the spec language's JSON Schema, with French messages
located at the right line."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from .field_types import kind_names
from .yaml_source import Document

SCHEMA_PATH = Path(__file__).parent / "schema" / "spec.schema.json"

_TYPE_NAMES = {
    "string": "un texte",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "true ou false",
    "array": "une liste",
    "object": "un ensemble de clés (objet)",
    "null": "vide",
}
_MISSING_NAMES = {
    "label": "libellé manquant (label)",
    "title": "titre manquant (title)",
    "id": "identifiant manquant (id)",
    "type": "type de champ manquant (type)",
    "text": "texte manquant (text)",
    "choices": "liste de choix manquante (choices, ou options_from pour une liste partagée)",
    "columns": "colonnes du tableau manquantes (columns)",
    "fields": "liste des champs manquante (fields)",
    "message": "message d'erreur de la règle manquant (message)",
    "require": "condition de la règle manquante (require)",
    "pages": "liste des pages manquante (pages)",
    "kind": "nature de la spec manquante (kind)",
    "version": "version manquante (version)",
}


_TYPE_LISTS = {
    "all": {},
    "value": {"static": False},
    "static": {"static": True},
    "choices": {"choices": True},
}


@lru_cache(maxsize=1)
def spec_schema() -> dict[str, Any]:
    """The spec language's JSON Schema; the lists of field types (``"x-field-types"``
    markers in the file) come from the descriptors of ``field_types.py``."""
    return _with_type_enums(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _with_type_enums(node: Any) -> Any:
    if isinstance(node, dict):
        if "x-field-types" in node:
            node = {**node, "enum": list(kind_names(**_TYPE_LISTS[node["x-field-types"]]))}
        return {key: _with_type_enums(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_type_enums(value) for value in node]
    return node


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(spec_schema())


def schema_problems(document: Document) -> Iterator[tuple[int, int, str]]:
    """(line, column, message) of every schema error, in document order."""
    seen = set()
    for error in _validator().iter_errors(document.data):
        for leaf in _leaves(error):
            located = _locate(document, leaf)
            if located not in seen:
                seen.add(located)
                yield located


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The most specific errors: inside anyOf/oneOf, those of the closest branch."""
    if error.validator in ("anyOf", "oneOf") and error.context and "x-message" not in error.schema:
        # a branch refused only for its type (a formula text where keys were written) says nothing
        context = [e for e in error.context if not (e.validator == "type" and not e.relative_path)] or error.context
        deepest = max(context, key=lambda e: len(e.relative_path))
        if len(deepest.relative_path) > 0:
            yield from _leaves(deepest)
            return
        best = jsonschema.exceptions.best_match(context)
        if best is not None and best.validator != "type":
            yield from _leaves(best)
            return
    yield error


def _locate(document: Document, error: jsonschema.ValidationError) -> tuple[int, int, str]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        line, column = document.position(path + (extra[0],), key=True)
        keys = ", ".join(allowed)
        names = ", ".join(f"« {k} »" for k in extra)
        word = "clé inconnue" if len(extra) == 1 else "clés inconnues"
        return line, column, f"{word} {names} (clés permises : {keys})"
    line, column = document.position(path, key=bool(path))
    if error.validator == "type" and isinstance(error.instance, (int, float)) and not isinstance(error.instance, bool):
        return line, column, _number_for_text(error, _as_typed(document, path, error.instance))
    return line, column, _message(error, path)


def _as_typed(document: Document, path: tuple, value: Any) -> str:
    """A number as the file writes it (``1.10``, which YAML reads as 1.1)."""
    line, column = document.position(path)
    if 1 <= line <= len(document.lines):
        token = re.split(r" #|[,}\]]", document.lines[line - 1][column - 1:], maxsplit=1)[0].strip()
        if token:
            return token
    return _short(value)


def _number_for_text(error: jsonschema.ValidationError, typed: str) -> str:
    expected = error.schema["type"] if isinstance(error.schema["type"], list) else [error.schema["type"]]
    message = f"« {typed} » devrait être " + " ou ".join(_TYPE_NAMES[t] for t in expected)
    return message + (f' : écrivez-le entre guillemets ("{typed}")' if "string" in expected else "")


def _message(error: jsonschema.ValidationError, path: tuple) -> str:
    validator, instance, schema = error.validator, error.instance, error.schema
    if "x-message" in schema:
        return f"{schema['x-message']} (« {_short(instance)} »)"
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return _MISSING_NAMES.get(missing, f"clé obligatoire manquante « {missing} »")
    if validator == "enum":
        if path and path[-1] == "type":
            return f"type de champ inconnu « {_short(instance)} » (types permis : {', '.join(schema['enum'])})"
        return f"valeur « {_short(instance)} » non permise (valeurs permises : {', '.join(map(str, schema['enum']))})"
    if validator == "type":
        expected = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return f"« {_short(instance)} » devrait être " + " ou ".join(_TYPE_NAMES[t] for t in expected)
    if validator == "minLength":
        return "texte vide"
    if validator == "minItems":
        return "liste vide" if schema["minItems"] == 1 else f"au moins {schema['minItems']} éléments attendus"
    if validator == "maxItems":
        return f"au plus {schema['maxItems']} éléments attendus"
    if validator == "uniqueItems":
        return "valeur en double dans la liste"
    if validator == "minimum":
        return f"valeur {_short(instance)} trop petite (minimum {schema['minimum']})"
    if validator == "exclusiveMinimum":
        return f"valeur {_short(instance)} trop petite (doit dépasser {schema['exclusiveMinimum']})"
    if validator == "maximum":
        return f"valeur {_short(instance)} trop grande (maximum {schema['maximum']})"
    if validator == "minProperties":
        return "condition vide"
    return f"valeur invalide « {_short(instance)} »"


def _short(value: Any) -> str:
    """A value as the staff member wrote it, never in program words (None, {...})."""
    if value is None:
        return "vide"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "ensemble de clés " + ", ".join(map(str, value)) if value else "ensemble de clés vide"
    if isinstance(value, list):
        return "liste de " + str(len(value)) + " élément(s)"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
