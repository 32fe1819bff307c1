"""Wizard logic of a demande: visible pages, page states, page and demande
validation. Pure logic: the caller passes the posted data, files and answers.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from werkzeug.datastructures import CombinedMultiDict, MultiDict

from ..spec.computed import compute, computed_dependencies
from ..spec.conditions import evaluate, referenced_fields
from ..spec.errors import FieldError
from ..spec.model import Field, Page, Spec
from ..spec.rules import check_rules, rule_page
from ..vocabulary import PageState
from .builder import PortailForm, build_page_form
from .registry import CollectContext, field_type

ACTION = "_action"  # table buttons without JavaScript: "add:<table>", "remove:<table>:<row>"
STATE_TODO, STATE_DONE, STATE_ERROR = PageState.TODO, PageState.DONE, PageState.ERROR


@dataclass
class PageResult:
    answers: dict  # every answer of the demande, this page's included
    errors: list[FieldError]
    form: PortailForm  # bound to what was posted: re-render it to redisplay
    stay: bool = False  # a table row was added or removed: show the page again
    values: dict = dc_field(default_factory=dict)


# --- visibility ---------------------------------------------------------------


def condition_values(spec: Spec, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What conditions read: the answers plus the computed values."""
    return {**answers, **compute(spec, answers)}


def visible_pages(spec: Spec, answers: Mapping[str, Any]) -> list[Page]:
    if all(page.when is None for page in spec.pages):  # nothing to evaluate: spare the computed values
        return list(spec.pages)
    values = condition_values(spec, answers)
    return [page for page in spec.pages if evaluate(page.when, values)]


def hidden_fields(spec: Spec, page: Page, answers: Mapping[str, Any]) -> set[str]:
    """Ids of the page's fields hidden by their condition.

    A hidden field counts as unanswered for the conditions of the others, so
    the evaluation is repeated until nothing changes.
    """
    hidden: set[str] = set()
    if all(f.when is None for f in page.fields):  # nothing to evaluate: spare the computed values
        return hidden
    while True:
        values = condition_values(spec, {k: v for k, v in answers.items() if k not in hidden})
        now = {f.id for f in page.fields if f.when is not None and not evaluate(f.when, values)}
        if now == hidden:
            return hidden
        hidden = now


def visible_fields(spec: Spec, page: Page, answers: Mapping[str, Any]) -> list[Field]:
    hidden = hidden_fields(spec, page, answers)
    return [f for f in page.fields if f.id not in hidden]


# --- prefill ------------------------------------------------------------------


def prefill_value(prefill: Mapping[str, Any] | None, source: str | None) -> Any:
    """``"tiers.address.commune"`` looked up in the prefill context."""
    value: Any = prefill or {}
    for key in (source or "").split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def with_prefill(page: Page, answers: Mapping[str, Any], prefill: Mapping[str, Any] | None) -> dict:
    """Locked fields always take the prefill; others only when unanswered."""
    result = dict(answers)
    for f in page.fields:
        if not f.prefill:
            continue
        value = prefill_value(prefill, f.prefill)
        if f.locked or (f.id not in answers and value is not None):
            result[f.id] = value
    return result


# --- forms --------------------------------------------------------------------


def raw_from_answers(page: Page, answers: Mapping[str, Any]) -> MultiDict:
    """The raw data a browser would post for these answers."""
    pairs: list[tuple[str, str]] = []
    for f in page.fields:
        ftype = field_type(f.type)
        if not ftype.static and answers.get(f.id) is not None:
            pairs += ftype.to_raw(f, answers[f.id], f.id)
    return MultiDict(pairs)


def page_form(
    spec: Spec,
    page_id: str,
    answers: Mapping[str, Any],
    prefill: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> PortailForm:
    """The page's form filled from stored answers (to show the page)."""
    page = spec.page(page_id)
    filled = with_prefill(page, answers, prefill)
    form = _instantiate(spec, page, raw_from_answers(page, filled), meta)
    _attach(form, filled, spec)
    _add_blank_rows(page, form)
    return form


def _instantiate(spec: Spec, page: Page, formdata, meta) -> PortailForm:
    form_class = build_page_form(spec, page.id)
    return form_class(formdata=formdata, meta=dict(meta or {}))


def _attach(form: PortailForm, answers: Mapping[str, Any], spec: Spec, formdata=None) -> None:
    form.portail_answers = dict(answers)
    form.portail_values = condition_values(spec, answers)
    form.portail_formdata = formdata if formdata is not None else MultiDict()


def _add_blank_rows(page: Page, form: PortailForm) -> None:
    for f in page.fields:
        if f.type == "table":
            bound = form[f.id]
            wanted = field_type("table").rows_shown(f, len(bound.entries))
            while len(bound.entries) < wanted:
                bound.append_entry()


# --- page validation ----------------------------------------------------------


def validate_page(
    spec: Spec,
    page_id: str,
    formdata: Mapping[str, Any],
    files: Mapping[str, Any] | None,
    answers: Mapping[str, Any],
    prefill: Mapping[str, Any] | None = None,
    *,
    save_file: Callable[[Any], dict] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> PageResult:
    """Validate a posted page against the spec.

    Returns every answer of the demande with this page's updated, even when
    there are errors (what was typed is kept as a draft). Fields hidden by a
    condition lose their answer and their errors; data posted for them and for
    locked pre-filled fields is ignored. ``save_file(file_storage) -> dict``
    stores an accepted upload.
    """
    page = spec.page(page_id)
    raw = _page_raw(page, formdata, answers, prefill)
    action = str(raw.get(ACTION) or "")
    raw = _remove_row(raw, action)
    posted = CombinedMultiDict([raw, files]) if files else raw
    form = _instantiate(spec, page, posted, meta)
    ctx = CollectContext(save_file=save_file)
    collected, errors_by_field = {}, {}
    form.portail_formdata = raw
    # uploads last: a file posted for a field hidden by the other answers is never stored
    fields = sorted((f for f in page.fields if not field_type(f.type).static), key=lambda f: f.type == "file")
    for f in fields:
        if f.type == "file" and f.id in hidden_fields(spec, page, _merge(spec, page, answers, collected)):
            continue
        result = field_type(f.type).collect(form[f.id], f, form, answers.get(f.id), ctx)
        collected[f.id] = result.answer
        errors_by_field[f.id] = result.errors
    new_answers = _merge(spec, page, answers, collected)
    _attach(form, new_answers, spec, raw)
    if action:
        _add_row(form, action)
        return PageResult(new_answers, [], form, stay=True, values=form.portail_values)
    errors = [
        FieldError(_join(f.id, error.path), error.message, page.id, code=error.code)
        for f in visible_fields(spec, page, new_answers)
        for error in errors_by_field.get(f.id, ())
    ]
    if not errors:
        errors = check_rules(spec, new_answers, page.id)
    return PageResult(new_answers, errors, form, values=form.portail_values)


def _page_raw(page: Page, formdata, answers, prefill) -> MultiDict:
    """Posted data, with the posted values of locked fields replaced by the prefill."""
    raw = MultiDict(formdata.items(multi=True) if hasattr(formdata, "items") else formdata)
    for f in page.fields:
        if f.prefill and f.locked:
            for key in [k for k in raw if k == f.id or k.startswith(f.id + "-")]:
                raw.poplist(key)
            value = prefill_value(prefill, f.prefill)
            if value is not None:
                for name, text in field_type(f.type).to_raw(f, value, f.id):
                    raw.add(name, text)
    return raw


def _merge(spec: Spec, page: Page, answers, collected) -> dict:
    merged = dict(answers)
    for field_id, value in collected.items():
        if value is None:
            merged.pop(field_id, None)
        else:
            merged[field_id] = value
    for field_id in hidden_fields(spec, page, merged):
        merged.pop(field_id, None)
    return merged


def _remove_row(raw: MultiDict, action: str) -> MultiDict:
    match = re.fullmatch(r"remove:([\w-]+):(\d+)", action)
    if not match:
        return raw
    table, removed = match.group(1), int(match.group(2))
    pattern = re.compile(rf"{re.escape(table)}-(\d+)-(.+)")
    result = MultiDict()
    for key, value in raw.items(multi=True):
        cell = pattern.fullmatch(key)
        if cell is None:
            result.add(key, value)
        elif int(cell.group(1)) != removed:
            index = int(cell.group(1))
            result.add(f"{table}-{index - 1 if index > removed else index}-{cell.group(2)}", value)
    return result


def _add_row(form: PortailForm, action: str) -> None:
    match = re.fullmatch(r"add:([\w-]+)", action)
    if match and match.group(1) in form:
        table = form[match.group(1)]
        if hasattr(table, "append_entry"):
            table.append_entry()


def _join(field_id: str, sub: str) -> str:
    return f"{field_id}/{sub}" if sub else field_id


# --- the whole demande ----------------------------------------------------------


def validate_demande(spec: Spec, answers: Mapping[str, Any], prefill: Mapping[str, Any] | None = None) -> list[FieldError]:
    """Every error of the demande: each visible page re-validated from the
    stored answers, the rules, and the answers' JSON Schema."""
    from .answers_check import schema_errors

    errors: list[FieldError] = []
    for page in visible_pages(spec, answers):
        result = validate_page(
            spec, page.id, raw_from_answers(page, answers), None, answers, prefill, meta={"csrf": False}
        )
        errors += result.errors
    seen = {e.path for e in errors}
    for error in check_rules(spec, answers) + schema_errors(spec, answers):
        if error.path not in seen:
            seen.add(error.path)
            errors.append(error)
    return errors


def page_states(
    spec: Spec,
    answers: Mapping[str, Any],
    visited: set[str] | None = None,
    prefill: Mapping[str, Any] | None = None,
    known: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """State of each visible page: ``PageState.TODO`` (never saved, or required
    answers missing), ``DONE`` or ``ERROR`` (an answer is invalid).

    ``known``: states already known for some pages (see ``unchanged_pages``),
    taken as they are instead of validating those pages again."""
    states = {}
    for page in visible_pages(spec, answers):
        if known and page.id in known:
            states[page.id] = known[page.id]
            continue
        errors = validate_page(
            spec, page.id, raw_from_answers(page, answers), None, answers, prefill, meta={"csrf": False}
        ).errors
        if visited is not None and page.id not in visited:
            states[page.id] = STATE_TODO
        elif not errors:
            states[page.id] = STATE_DONE
        elif all(_answer_at(answers, e.path) is None for e in errors):
            states[page.id] = STATE_TODO
        else:
            states[page.id] = STATE_ERROR
    return states


def _answer_at(answers: Mapping[str, Any], path: str) -> Any:
    value: Any = answers
    for key in path.split("/"):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, Mapping):
            value = value.get(key)
        else:
            return None
    return None if value in ("", [], {}) else value


_dependencies: dict[tuple[str, str], frozenset[str]] = {}
_DEPENDENCIES_MAX = 256
_dependencies_lock = threading.Lock()


def page_dependencies(spec: Spec, page: Page) -> frozenset[str]:
    """Every answer ``validate_page`` reads to validate ``page``: its own fields
    (columns included), what the conditions of its fields read, what the rules
    shown on it read, and what the computed values among those read, transitively.
    Field types read only their own answer (and the prefill, the same for the
    whole demande). Kept per spec version read from a file (its digest names it)."""
    version = getattr(spec, "version_key", None) if getattr(spec, "digest", "") else None
    key = (version or "", page.id)
    names = _dependencies.get(key) if version else None
    if names is None:
        names = _page_dependencies(spec, page)
        if version:
            with _dependencies_lock:
                if len(_dependencies) >= _DEPENDENCIES_MAX:
                    _dependencies.pop(next(iter(_dependencies)))
                _dependencies[key] = names
    return names


def _page_dependencies(spec: Spec, page: Page) -> frozenset[str]:
    names: set[str] = set()

    def add_fields(fields) -> None:
        for f in fields:
            names.add(f.id)
            names.update(referenced_fields(f.when))
            add_fields(f.columns)

    add_fields(page.fields)
    for rule in spec.rules:
        if rule_page(spec, rule) == page.id:
            names.update(referenced_fields(rule.when))
            names.update(referenced_fields(rule.require))
    computed = {c.id: c for c in spec.computed}
    pending = [name for name in names if name in computed]
    while pending:
        for name in computed_dependencies(computed[pending.pop()]):
            if name not in names:
                names.add(name)
                if name in computed:
                    pending.append(name)
    return frozenset(names)


def unchanged_pages(spec: Spec, before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """Ids of the pages whose validation reads no answer that differs between
    ``before`` and ``after`` (``page_dependencies``): validated with the same
    prefill, each has the same errors, hence the same state, on both."""
    changed = {k for k in before.keys() | after.keys() if (k in before) != (k in after) or before.get(k) != after.get(k)}
    return {page.id for page in spec.pages if not changed & page_dependencies(spec, page)}
