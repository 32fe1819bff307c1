"""Cross-field rules, e.g. total des dépenses = total des recettes.

A rule is checked only when every value it reads is filled: an empty field
gets its own "obligatoire" message, not a confusing rule message.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .computed import compute
from .conditions import evaluate, is_missing, referenced_fields
from .errors import FieldError
from .model import Rule, Spec


def check_rules(spec: Spec, answers: Mapping[str, Any], page_id: str | None = None) -> list[FieldError]:
    """Errors of the rules that fail (only the rules of ``page_id`` if given)."""
    values = {**answers, **compute(spec, answers)}
    errors = []
    for rule in spec.rules:
        page = rule_page(spec, rule)
        if page_id is not None and page != page_id:
            continue
        if not evaluate(rule.when, values):
            continue
        if any(is_missing(values.get(name)) for name in referenced_fields(rule.require)):
            continue
        if not evaluate(rule.require, values):
            errors.append(FieldError(rule_path(rule, page), rule.message, page, code=f"rule:{rule.id}"))
    return errors


def rule_page(spec: Spec, rule: Rule) -> str | None:
    """The page where the rule's message is shown."""
    if rule.page:
        return rule.page
    for name in rule.fields or tuple(referenced_fields(rule.require)):
        for page in spec.pages:
            if any(f.id == name for f in page.fields):
                return page.id
        for item in spec.computed:
            if item.id == name and item.page:
                return item.page
    return None


def rule_path(rule: Rule, page: str | None = None) -> str:
    """The first field the rule names (its message is shown beside it), or the rule id."""
    return rule.fields[0] if rule.fields else rule.id
