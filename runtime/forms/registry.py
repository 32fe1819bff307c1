"""The field-type registry: one small class per spec field type.

A type knows how to make its WTForms field, how to turn the converted WTForms
data into an *answer* value (see ``runtime.spec.model``), how to turn an answer
back into *raw* posted values (so a stored draft and a fresh post follow the
same validation path), its JSON Schema fragment (from ``runtime.spec.answers_schema``)
and its templates.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, ClassVar

from wtforms.fields.core import UnboundField

from ..spec.errors import Error
from ..spec.field_types import FieldKind, field_kind, field_kinds, field_schema, kind_names
from ..spec.model import Field

_REGISTRY: dict[str, FieldType] = {}


class UnknownFieldType(LookupError):
    """A spec names a field type that no class registers."""


def register(cls: type[FieldType]) -> type[FieldType]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``, a type
    the spec layer describes (``runtime/spec/field_types.py``)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} n'a pas de nom de type")
    if cls.name not in kind_names():
        raise ValueError(f"Type de champ non décrit dans runtime/spec/field_types.py : {cls.name}")
    if cls.name in _REGISTRY:
        raise ValueError(f"Type de champ déclaré deux fois : {cls.name}")
    _REGISTRY[cls.name] = cls()
    return cls


# a value it needs is missing, or a division by zero (a share of total expenses of 0 €)
NOT_COMPUTED = "Non calculable avec les réponses actuelles"


def computed_text(computed: Any, value: Any) -> str:
    """A computed value as every page shows it, by its type (``12 000,00 €``, ``32,6``);
    ``NOT_COMPUTED`` while an answer it needs is missing."""
    if value is None:
        return NOT_COMPUTED
    return field_type(computed.type).display(Field(computed.id, computed.type), str(value))


def field_type(name: str) -> FieldType:
    _load_types()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownFieldType(f"Type de champ inconnu : {name}") from None


def type_names() -> list[str]:
    _load_types()
    return sorted(_REGISTRY)


def check_field_types(fields: Iterable[Field]) -> None:
    """Raise ``UnknownFieldType`` for the first unknown type (start-up check)."""
    for f in fields:
        field_type(f.type)
        check_field_types(f.columns)


_loaded = False


def _load_types() -> None:
    # The type modules register themselves on import; imported lazily so that
    # importing the registry alone has no side effect.
    global _loaded
    if not _loaded:
        from . import composite, types  # noqa: F401 (the type modules register themselves)

        for kind in field_kinds():
            if kind.name not in _REGISTRY:
                register(types.described_type(kind))
        _loaded = True


@dataclass
class CollectContext:
    """What validating a page may need beyond the posted data."""

    save_file: Callable[[Any], dict] | None = None


@dataclass
class Collected:
    answer: Any
    #: errors with paths relative to the field ("" for the field itself, "postcode", "2/montant")
    errors: list[Error] = dc_field(default_factory=list)


def typed_answer(ftype: FieldType, bound: Any, field: Field) -> Any:
    """The converted value, or the raw text when conversion failed."""
    if getattr(bound, "process_errors", None) and bound.raw_data:
        return str(bound.raw_data[0]).strip()
    return ftype.to_answer(bound, field)


class FieldType:
    """Base class. Subclasses set ``name`` and override what differs."""

    name: ClassVar[str] = ""
    #: rendered inside a fieldset with a legend (radios, checkboxes, groups)
    grouped: ClassVar[bool] = False

    @property
    def kind(self) -> FieldKind:
        """What the spec layer knows of the type (options, static, numeric, schema, export)."""
        return field_kind(self.name)

    @property
    def static(self) -> bool:
        """Static blocks (heading, paragraph) have no value and no WTForms field."""
        return self.kind.static

    @property
    def template(self) -> str:
        return f"fields/{self.name}.html"

    @property
    def readonly_template(self) -> str:
        return f"fields/{self.name}_ro.html"

    def make_field(self, field: Field) -> UnboundField:
        raise NotImplementedError

    def to_answer(self, bound: Any, field: Field) -> Any:
        """Converted answer from a processed WTForms field (``None`` if empty)."""
        return bound.data

    def collect(self, bound: Any, field: Field, form: Any, previous: Any, ctx: CollectContext) -> Collected:
        """Validate a processed field: its answer and its errors.

        Errors are ``Error`` objects whose path is relative to the field
        ("" for the field itself, ``"postcode"``, ``"2/montant"``).
        A value that could not be converted is kept as typed, so a draft never
        loses what the applicant wrote.
        """
        if bound.validate(form):
            return Collected(self.to_answer(bound, field), [])
        return Collected(typed_answer(self, bound, field), [Error("", bound.errors[0], code="field")])

    def to_raw(self, field: Field, value: Any, name: str) -> list[tuple[str, str]]:
        """Raw (name, string) pairs a browser would post for ``value``."""
        if value is None:
            return []
        return [(name, self.format(field, value))]

    def format(self, field: Field, value: Any) -> str:
        """The value as typed in the input (editable form); a value kept as
        typed (a string that did not convert) must come back unchanged."""
        return str(value)

    def display(self, field: Field, value: Any) -> str:
        """The value as shown read-only (récapitulatif)."""
        return self.format(field, value)

    def json_schema(self, field: Field) -> dict:
        """The JSON Schema of an answer: one source, the type's descriptor
        (the spec layer compiles a demande's schema without the form runtime)."""
        return field_schema(field)

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == [] or value == {}
