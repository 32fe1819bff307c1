"""From YAML text to a validated, frozen ``Spec``.

Three passes, each reporting every problem it finds with file, line and
column: safe YAML parsing, the JSON Schema of the language, semantic checks.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from .checks import SpecChecker
from .conditions import referenced_fields
from .errors import SpecError, SpecErrors
from .model import FAMILIES, Choice, Computed, Field, Page, Rule, Spec
from .rules import rule_page
from .schema_errors import schema_problems
from .yaml_source import MAX_BYTES, Document, YAMLProblem, parse

# Keys of a field that have their own attribute in ``Field``; the others go to ``options``.
_FIELD_ATTRIBUTES = ("id", "type", "label", "hint", "required", "when", "prefill", "locked", "autocomplete",
                     "choices", "columns")


def load_spec_file(path: str | Path) -> Spec:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecErrors([SpecError(str(path), 1, 1, f"fichier trop volumineux (plus de {MAX_BYTES // 1024} Ko)")])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecErrors([SpecError(str(path), 1, 1, "fichier illisible : encodage UTF-8 attendu")]) from None
    except OSError as exc:
        raise SpecErrors([SpecError(str(path), 1, 1, f"fichier illisible ({exc.strerror})")]) from None
    return load_spec_text(text, str(path))


def load_spec_text(text: str, source: str = "<texte>") -> Spec:
    """Parse, validate and build; raise ``SpecErrors`` listing every problem.

    Valid specs are kept per process (keyed by source and content), so that
    every app instance and every reload reuses the work already done."""
    key = (source, hashlib.sha256(text.encode("utf-8")).hexdigest())
    spec = _parsed.get(key)
    if spec is None:
        spec = build_spec(validate_text(text, source), text, source)
        if len(_parsed) >= _PARSED_MAX:
            _parsed.pop(next(iter(_parsed)))
        _parsed[key] = spec
    return spec


_parsed: dict[tuple[str, str], Spec] = {}
_PARSED_MAX = 256


def validate_text(text: str, source: str) -> dict[str, Any]:
    try:
        document = parse(text)
    except YAMLProblem as problem:
        raise SpecErrors([SpecError(source, problem.line, problem.column, problem.message)]) from None
    if not isinstance(document.data, dict):
        raise SpecErrors([SpecError(source, 1, 1, "la spec doit être un ensemble de clés (id, kind, title, pages...)")])
    errors = [SpecError(source, line, column, message) for line, column, message in schema_problems(document)]
    if not errors:
        errors = [_located(document, source, path, message) for path, message in SpecChecker(document.data).run()]
    if errors:
        raise SpecErrors(sorted(errors, key=lambda e: (e.line, e.column)))
    _attach_lines(document)
    return document.data


def _located(document: Document, source: str, path: tuple[Any, ...], message: str) -> SpecError:
    line, column = document.position(path, key=bool(path) and isinstance(path[-1], str))
    return SpecError(source, line, column, message)


def _attach_lines(document: Document) -> None:
    """Remember each page's, field's, computed value's and rule's line for later messages."""
    data = document.data

    def mark(item: dict[str, Any], path: tuple[Any, ...]) -> None:
        item["__line__"] = document.position(path)[0]

    for i, page in enumerate(data["pages"]):
        mark(page, ("pages", i))
        for j, field in enumerate(page["fields"]):
            mark(field, ("pages", i, "fields", j))
            for k, column in enumerate(field.get("columns", ())):
                mark(column, ("pages", i, "fields", j, "columns", k))
    for key in ("computed", "rules"):
        for k, item in enumerate(data.get(key, ())):
            mark(item, (key, k))


def build_spec(data: Mapping[str, Any], text: str, source: str) -> Spec:
    computed = tuple(_computed(c) for c in data.get("computed", ()))
    computed_ids = {c.id for c in computed}
    spec = Spec(
        id=data["id"],
        kind=data["kind"],
        version=str(data["version"]),
        title=data["title"],
        pages=tuple(_page(p) for p in data["pages"]),
        preamble=data.get("preamble"),
        description=data.get("description"),
        theme=data.get("theme"),
        families=tuple(data.get("families", FAMILIES)),
        opens=_date(data.get("opens")),
        closes=_date(data.get("closes")),
        number_prefix=data.get("number_prefix"),
        computed=computed,
        rules=tuple(_rule(r, computed_ids) for r in data.get("rules", ())),
        attestation=data.get("attestation"),
        source=source,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
    )
    return _with_pages(spec)


def _with_pages(spec: Spec) -> Spec:
    """Fill the page of each computed value and rule that does not name one."""
    page_of = {f.id: page.id for page in spec.pages for f in page.fields}
    computed = tuple(
        c if c.page else replace(c, page=page_of.get((c.sum or "").partition(".")[0]) or _last_page(c, page_of, spec))
        for c in spec.computed
    )
    spec = replace(spec, computed=computed)
    rules = tuple(r if r.page else replace(r, page=rule_page(spec, r)) for r in spec.rules)
    return replace(spec, rules=rules)


def _last_page(item: Computed, page_of: dict[str, str], spec: Spec) -> str | None:
    computed_pages = {c.id: c.page for c in spec.computed}
    pages = [page_of.get(name) or computed_pages.get(name) for name in item.difference or ()]
    order = [p.id for p in spec.pages]
    known = [p for p in pages if p in order]
    return max(known, key=order.index) if known else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _page(data: Mapping[str, Any]) -> Page:
    return Page(
        id=data["id"],
        title=data["title"],
        fields=tuple(_field(f) for f in data["fields"]),
        intro=data.get("intro"),
        when=data.get("when"),
        line=data.get("__line__", 0),
    )


def _field(data: Mapping[str, Any]) -> Field:
    options = {k: v for k, v in data.items() if k not in _FIELD_ATTRIBUTES and k != "__line__"}
    return Field(
        id=data["id"],
        type=data["type"],
        label=data.get("label", ""),
        hint=data.get("hint"),
        required=data.get("required", False),
        when=data.get("when"),
        options=options,
        choices=tuple(_choice(c) for c in data.get("choices", ())),
        columns=tuple(_field(c) for c in data.get("columns", ())),
        prefill=data.get("prefill"),
        locked=data.get("locked", False),
        autocomplete=data.get("autocomplete"),
        line=data.get("__line__", 0),
    )


def _choice(data: str | Mapping[str, str]) -> Choice:
    if isinstance(data, str):
        return Choice(value=data, label=data)
    return Choice(value=data["value"], label=data["label"])


def _computed(data: Mapping[str, Any]) -> Computed:
    difference = data.get("difference")
    return Computed(
        id=data["id"],
        label=data["label"],
        sum=data.get("sum"),
        difference=tuple(difference) if difference else None,
        page=data.get("page"),
        line=data.get("__line__", 0),
    )


def _rule(data: Mapping[str, Any], computed_ids: set[str]) -> Rule:
    fields = data.get("fields") or [n for n in referenced_fields(data["require"]) if n not in computed_ids]
    return Rule(
        id=data["id"],
        require=data["require"],
        message=data["message"],
        when=data.get("when"),
        page=data.get("page"),
        fields=tuple(dict.fromkeys(fields)),
        line=data.get("__line__", 0),
    )
