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
from .computed import computed_dependencies
from .conditions import referenced_fields
from .errors import SpecError, SpecErrors
from .formulas import AMOUNT
from .formulas import parse as parse_formula
from .lists import catalogue_lists, resolve_lists
from .memo import BoundedMemo
from .model import FAMILIES, Choice, Computed, Field, Page, Rule, SharedList, Spec
from .rules import rule_page
from .schema_errors import schema_problems
from .yaml_source import MAX_BYTES, Document, YAMLProblem, parse

# Keys of a field that have their own attribute in ``Field``; the others go to ``options``.
_FIELD_ATTRIBUTES = ("id", "type", "label", "hint", "required", "when", "prefill", "locked", "autocomplete",
                     "choices", "columns")
Lists = Mapping[str, SharedList]


def load_spec_file(path: str | Path, lists: Lists | None = None) -> Spec:
    """A spec file; ``lists`` by default: the shared lists of its catalogue (see ``lists.catalogue_lists``)."""
    return load_spec_text(read_text(path), str(Path(path)), catalogue_lists(path) if lists is None else lists)


def read_text(path: str | Path) -> str:
    """A spec or list file's text; raise ``SpecErrors`` when it cannot be read."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecErrors([SpecError(str(path), 1, 1, f"fichier trop volumineux (plus de {MAX_BYTES // 1024} Ko)")])
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecErrors([SpecError(str(path), 1, 1, "fichier illisible : encodage UTF-8 attendu")]) from None
    except OSError as exc:
        raise SpecErrors([SpecError(str(path), 1, 1, f"fichier illisible ({exc.strerror})")]) from None


def load_spec_text(text: str, source: str = "<texte>", lists: Lists | None = None) -> Spec:
    """Parse, validate and build; raise ``SpecErrors`` listing every problem.

    Valid specs are kept per process (keyed by content), so that every app instance and
    every reload reuses the work already done; the same text under another file name (a copy
    of the catalogue) is the same spec with its own ``source``."""
    lists = lists or {}
    key = _digest(text, [lists[k].text for k in sorted(lists)])
    def build() -> Spec:
        data, used = validate_text(text, source, lists)
        return build_spec(data, text, source, tuple((k, lists[k].text) for k in used))

    spec = _parsed.get_or_build(key, build)
    return spec if spec.source == source else replace(spec, source=source)


_parsed: BoundedMemo[Spec] = BoundedMemo(256)


def _digest(text: str, list_texts) -> str:
    """Identifies a version: the spec's text and the texts of the shared lists it uses."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for list_text in list_texts:
        digest.update(b"\0" + list_text.encode("utf-8"))
    return digest.hexdigest()


def validate_text(text: str, source: str, lists: Lists | None = None) -> tuple[dict[str, Any], list[str]]:
    """The checked data and the ids of the shared lists it uses; raise ``SpecErrors``."""
    try:
        document = parse(text)
    except YAMLProblem as problem:
        raise SpecErrors([SpecError(source, problem.line, problem.column, problem.message)]) from None
    if not isinstance(document.data, dict):
        raise SpecErrors([SpecError(source, 1, 1, "la spec doit être un ensemble de clés (id, kind, title, pages...)")])
    errors = [SpecError(source, line, column, message) for line, column, message in schema_problems(document)]
    used: list[str] = []
    if not errors:
        used, problems = resolve_lists(document.data, lists or {})
        checker = SpecChecker(document.data)
        problems += checker.run()
        errors = [_located(document, source, *problem) for problem in problems]
    if errors:
        raise SpecErrors(sorted(set(errors), key=lambda e: (e.line, e.column)))
    _attach_lines(document, {c: checker.computed_type(c, frozenset()) for c in checker.computed})
    return document.data, used


def _located(document: Document, source: str, path: tuple[Any, ...], message: str,
             offset: int | None = None) -> SpecError:
    if offset is not None:
        line, column = document.position_in_value(path, offset)
    else:
        line, column = document.position(path, key=bool(path) and isinstance(path[-1], str))
    return SpecError(source, line, column, message, path="/".join(str(part) for part in path))


def _attach_lines(document: Document, computed_types: Mapping[str, str]) -> None:
    """Remember each page's, field's, computed value's and rule's line for later messages,
    and how each computed value is shown (its formula type)."""
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
    for item in data.get("computed", ()):
        item["__type__"] = "amount" if computed_types.get(item["id"]) == AMOUNT else "decimal"


def build_spec(data: Mapping[str, Any], text: str, source: str, lists: tuple[tuple[str, str], ...] = ()) -> Spec:
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
        digest=_digest(text, [list_text for _, list_text in lists]),
        text=text,
        lists=lists,
    )
    return _with_pages(spec)


def _with_pages(spec: Spec) -> Spec:
    """Fill the page of each computed value (the last page it reads) and rule that does not name one."""
    page_of = {f.id: page.id for page in spec.pages for f in page.fields}
    order = [p.id for p in spec.pages]
    by_id = {c.id: c for c in spec.computed}

    def page(item: Computed, seen: frozenset[str]) -> str | None:
        if item.page:
            return item.page
        pages = [page(by_id[name], seen | {name}) if name in by_id and name not in seen else page_of.get(name)
                 for name in computed_dependencies(item)]
        known = [p for p in pages if p in order]
        return max(known, key=order.index) if known else None

    spec = replace(spec, computed=tuple(replace(c, page=page(c, frozenset({c.id}))) for c in spec.computed))
    rules = tuple(r if r.page else replace(r, page=rule_page(spec, r)) for r in spec.rules)
    return replace(spec, rules=rules)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def condition(value: Any) -> Any:
    """A condition as the runtime reads it: a formula text becomes ``{"formula": AST, "text": ...}``."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"formula": parse_formula(value), "text": value}
    if "not" in value:
        return {"not": condition(value["not"])}
    for key in ("all", "any"):
        if key in value:
            return {key: [condition(c) for c in value[key]]}
    return value


def _page(data: Mapping[str, Any]) -> Page:
    return Page(
        id=data["id"],
        title=data["title"],
        fields=tuple(_field(f) for f in data["fields"]),
        intro=data.get("intro"),
        when=condition(data.get("when")),
        line=data.get("__line__", 0),
    )


def _field(data: Mapping[str, Any]) -> Field:
    options = {k: v for k, v in data.items() if k not in _FIELD_ATTRIBUTES and not k.startswith("__")}
    return Field(
        id=data["id"],
        type=data["type"],
        label=data.get("label", ""),
        hint=data.get("hint"),
        required=data.get("required", False),
        when=condition(data.get("when")),
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
        expression=data.get("formula"),
        formula=parse_formula(data["formula"]) if "formula" in data else None,
        type=data.get("__type__", "amount"),
        page=data.get("page"),
        line=data.get("__line__", 0),
    )


def _rule(data: Mapping[str, Any], computed_ids: set[str]) -> Rule:
    require = condition(data["require"])
    fields = data.get("fields") or [n for n in referenced_fields(require) if n not in computed_ids]
    return Rule(
        id=data["id"],
        require=require,
        message=data["message"],
        when=condition(data.get("when")),
        page=data.get("page"),
        fields=tuple(dict.fromkeys(fields)),
        line=data.get("__line__", 0),
    )
