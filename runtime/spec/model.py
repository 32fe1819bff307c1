"""The spec model: what a YAML spec becomes once loaded and validated.

Frozen dataclasses, no Flask, no WTForms. The loader (``runtime.spec.loader``)
builds them; the form runtime (``runtime.forms``) and the web layer read them.

Vocabulary of data states (kept consistently across the code base):
- *raw*: what the browser posted (a MultiDict of strings);
- *answers*: converted values of a demande, a dict ``{field_id: value}`` where a
  table is a list of row dicts, an address a dict, a file a dict
  ``{"file_id", "filename", "size", "content_type"}``;
- *document*: what the repository stores (answers plus metadata).

Conditions (``Condition``) are plain JSON-like dicts kept as written in YAML,
so that the very same structure is serialised into the page for the browser
script and evaluated by ``runtime.spec.conditions`` on the server::

    {"field": "statut", "equals": "autre"}
    {"field": "montant", "greater_than": 1000}
    {"field": "date_fin", "after": {"field": "date_debut"}}
    {"all": [cond, ...]}  {"any": [cond, ...]}  {"not": cond}
    {"formula": <AST>, "text": "montant > 1000"}   (a formula written as text)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any

Condition = Mapping[str, Any]

SPEC_KINDS = ("teleservice", "tiers_creation", "rattachement")
FAMILIES = ("association", "commune")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One field of a page (or one column of a table)."""

    id: str
    type: str
    label: str = ""
    hint: str | None = None
    required: bool = False
    when: Condition | None = None
    # Constraints and type-specific options, as written in the spec
    # (min_length, max_length, min, max, pattern, pattern_message, choices,
    # widget, accept, max_size_mb, min_rows, max_rows, totals, text, ...).
    options: Mapping[str, Any] = dc_field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    columns: tuple[Field, ...] = ()  # only for type "table"
    # Pre-fill source, e.g. "tiers.siret" or "account.email"; ``locked`` makes
    # the pre-filled value read-only for the applicant.
    prefill: str | None = None
    locked: bool = False
    autocomplete: str | None = None
    line: int = 0  # line in the YAML file, for error messages


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    fields: tuple[Field, ...]
    intro: str | None = None
    when: Condition | None = None
    line: int = 0


@dataclass(frozen=True)
class Computed:
    """A value computed from answers: ``sum`` of a table column
    (``"depenses.montant"``), ``difference`` of two values (a - b), or a
    ``formula`` (``expression`` as written, ``formula`` its AST, see
    ``runtime.spec.formulas``)."""

    id: str
    label: str
    sum: str | None = None
    difference: tuple[str, str] | None = None
    expression: str | None = None
    formula: Mapping[str, Any] | None = None
    type: str = "amount"  # how it is shown: "amount" (€) or "decimal" (a number, e.g. a percentage)
    page: str | None = None  # page where it is displayed
    line: int = 0


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: ``require`` is a condition that must hold."""

    id: str
    require: Condition
    message: str
    when: Condition | None = None
    page: str | None = None
    fields: tuple[str, ...] = ()  # fields beside which the message is shown
    line: int = 0


@dataclass(frozen=True)
class SharedList:
    """A named list of choices (``specs/listes/<id>.yaml``), used with ``options_from``."""

    id: str
    title: str
    choices: tuple[Choice, ...]
    text: str = ""
    source: str = ""


@dataclass(frozen=True)
class Spec:
    id: str
    kind: str  # one of SPEC_KINDS
    version: str
    title: str
    pages: tuple[Page, ...]
    preamble: str | None = None
    description: str | None = None
    theme: str | None = None  # groups the téléservices in "Choix du téléservice"
    families: tuple[str, ...] = FAMILIES
    opens: date | None = None
    closes: date | None = None
    number_prefix: str | None = None
    computed: tuple[Computed, ...] = ()
    rules: tuple[Rule, ...] = ()
    attestation: str | None = None
    source: str = ""  # file path
    digest: str = ""  # sha256 of the file's text: identifies this exact version
    text: str = ""  # the YAML text itself, stored with each demande's version
    lists: tuple[tuple[str, str], ...] = ()  # (id, YAML text) of the shared lists it uses, versioned with it

    @property
    def version_key(self) -> str:
        """Identifies the exact spec version (id, declared version, content)."""
        return f"{self.id}@{self.version}#{self.digest[:12]}"

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    def fields(self) -> list[Field]:
        """Every field of every page, in order (table columns not expanded)."""
        return [f for page in self.pages for f in page.fields]

    def field(self, field_id: str) -> Field:
        for f in self.fields():
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def is_open(self, today: date) -> bool:
        if self.opens and today < self.opens:
            return False
        return not (self.closes and today > self.closes)
