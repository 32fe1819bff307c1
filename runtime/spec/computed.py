"""Computed values: a ``formula``, the ``sum`` of a table column, the ``difference`` of two values.

Values are Decimal; a difference with a missing operand is ``None``; the sum of
an empty table is 0. A computed value may use other computed values (the lint
refuses cycles). Formulas are evaluated by ``runtime.spec.formulas``.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from . import formulas
from .memo import BoundedMemo
from .model import Computed, Spec


def computed_dependencies(item: Computed | Mapping[str, Any]) -> list[str]:
    """Ids a computed value reads (a model ``Computed`` or its data as written)."""
    if isinstance(item, Mapping):
        if "formula" in item:
            try:
                return formulas.references(formulas.parse(item["formula"]))
            except formulas.FormulaError:
                return []
        if "sum" in item:
            return [item["sum"].partition(".")[0]]
        return list(item.get("difference", ()))
    if item.formula is not None:
        return formulas.references(item.formula)
    if item.sum:
        return [item.sum.partition(".")[0]]
    return list(item.difference or ())


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from an answer (number or numeric text), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            return None
    return None


def column_sum(rows: Any, column: str) -> Decimal:
    total = Decimal(0)
    for row in rows if isinstance(rows, list) else ():
        amount = to_decimal(row.get(column)) if isinstance(row, Mapping) else None
        if amount is not None:
            total += amount
    return total


_recent: BoundedMemo[dict[str, Decimal | None]] = BoundedMemo(64)


def compute(spec: Spec, answers: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """Every computed value of the spec for these answers.

    A page is validated and rendered from the same answers several times (the
    visible pages, the hidden fields, the form's values): the results of the
    latest answers are kept, keyed by the spec version and the answers' text."""
    if not spec.computed:
        return {}
    version = getattr(spec, "version_key", None) if getattr(spec, "digest", "") else None
    if not version:  # a spec built in memory (tests, the editor's checks): no digest identifies it
        return _compute(spec, answers)
    known = _recent.get_or_build((version, repr(answers)), lambda: _compute(spec, answers))
    return dict(known)


def _compute(spec: Spec, answers: Mapping[str, Any]) -> dict[str, Decimal | None]:
    by_id = {c.id: c for c in spec.computed}
    results: dict[str, Decimal | None] = {}

    def value_of(name: str, seen: frozenset[str]) -> Decimal | None:
        if name in by_id:
            if name not in results:
                if name in seen:  # a cycle: the lint refuses it, never loop
                    return None
                results[name] = evaluate_one(by_id[name], seen | {name})
            return results[name]
        return to_decimal(answers.get(name))

    def lookup(name: str, seen: frozenset[str]) -> Any:
        return value_of(name, seen) if name in by_id else answers.get(name)

    def evaluate_one(item: Computed, seen: frozenset[str]) -> Decimal | None:
        if item.formula is not None:
            return formulas.evaluate_number(item.formula, lambda name: lookup(name, seen))
        if item.sum:
            table, _, column = item.sum.partition(".")
            return column_sum(answers.get(table), column)
        if item.difference:
            a, b = (value_of(name, seen) for name in item.difference)
            return None if a is None or b is None else a - b
        return None

    for item in spec.computed:
        value_of(item.id, frozenset())
    return results
