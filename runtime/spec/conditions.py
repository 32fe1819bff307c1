"""Evaluation of declarative conditions (never ``eval``).

A condition is a JSON-like dict, the same structure the browser script reads::

    {"field": "statut", "equals": "autre"}
    {"field": "date_fin", "after": {"field": "date_debut"}}
    {"all": [...]}  {"any": [...]}  {"not": {...}}
    {"formula": <AST>, "text": "montant > 1000"}   (see ``runtime.spec.formulas``)

``values`` holds the answers plus the computed values. A value that is missing
(absent, ``None``, empty text, empty list) makes every comparison false, so a
question depending on an unanswered one stays hidden; only ``is_filled`` looks
at emptiness itself.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from . import formulas

COMBINATORS = ("all", "any", "not")
OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "greater_than",
    "less_than",
    "at_least",
    "at_most",
    "before",
    "after",
    "is_filled",
    "contains",
)
NUMERIC_OPERATORS = ("greater_than", "less_than", "at_least", "at_most")
DATE_OPERATORS = ("before", "after")


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple)) and len(value) == 0)


def evaluate(condition: Mapping[str, Any] | None, values: Mapping[str, Any]) -> bool:
    """True when the condition holds for these values (``None`` always holds)."""
    if condition is None:
        return True
    if "all" in condition:
        return all(evaluate(c, values) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, values) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], values)
    if "formula" in condition:
        return formulas.holds(condition["formula"], values.get)
    operator = operator_of(condition)
    actual = values.get(condition["field"])
    expected = condition[operator]
    if operator == "is_filled":
        return is_missing(actual) != bool(expected)
    if is_field_ref(expected):
        expected = values.get(expected["field"])
        if is_missing(expected):
            return False
    if is_missing(actual):
        return False
    return _COMPARISONS[operator](actual, expected)


def operator_of(condition: Mapping[str, Any]) -> str:
    for key in condition:
        if key in OPERATORS:
            return key
    raise ValueError(f"condition sans opérateur : {dict(condition)!r}")


def is_field_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"field"}


def referenced_fields(condition: Mapping[str, Any] | None) -> Iterator[str]:
    """Every field or computed id a condition reads."""
    if not isinstance(condition, Mapping):
        return
    for key in ("all", "any"):
        for sub in condition.get(key) or ():
            yield from referenced_fields(sub)
    if "not" in condition:
        yield from referenced_fields(condition["not"])
    if "formula" in condition:
        yield from formulas.references(condition["formula"])
    if isinstance(condition.get("field"), str):
        yield condition["field"]
    for operator in OPERATORS:
        if is_field_ref(condition.get(operator)):
            yield condition[operator]["field"]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float, str)):
        try:
            return Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            return None
    return None


def _scalar(value: Any) -> Any:
    """A comparable form: numbers as Decimal, dates as ISO text, the rest as is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _same(actual: Any, expected: Any) -> bool:
    actual, expected = _scalar(actual), _scalar(expected)
    if isinstance(actual, Decimal) or isinstance(expected, Decimal):
        a, b = _number(actual), _number(expected)
        return a is not None and b is not None and a == b
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return actual == expected


def _equals(actual: Any, expected: Any) -> bool:
    if isinstance(actual, (list, tuple)):
        return sorted(map(str, actual)) == sorted(map(str, expected if isinstance(expected, (list, tuple)) else [expected]))
    return _same(actual, expected)


def _member(actual: Any, options: Any) -> bool:
    options = options if isinstance(options, (list, tuple)) else [options]
    items = actual if isinstance(actual, (list, tuple)) else [actual]
    return any(_same(item, option) for item in items for option in options)


def _ordered(test: Callable[[Any, Any], bool], numeric: bool) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        if numeric:
            a, b = _number(actual), _number(expected)
        else:
            a, b = _scalar(actual), _scalar(expected)
            if not (isinstance(a, str) and isinstance(b, str)):
                return False
        if a is None or b is None:
            return False
        return test(a, b)

    return compare


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, (list, tuple)):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, str) and isinstance(expected, str):
        return expected in actual
    return False


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "not_equals": lambda a, b: not _equals(a, b),
    "in": _member,
    "not_in": lambda a, b: not _member(a, b),
    "greater_than": _ordered(lambda a, b: a > b, numeric=True),
    "less_than": _ordered(lambda a, b: a < b, numeric=True),
    "at_least": _ordered(lambda a, b: a >= b, numeric=True),
    "at_most": _ordered(lambda a, b: a <= b, numeric=True),
    "before": _ordered(lambda a, b: a < b, numeric=False),
    "after": _ordered(lambda a, b: a > b, numeric=False),
    "contains": _contains,
}
