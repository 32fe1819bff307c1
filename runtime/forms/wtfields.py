"""Small WTForms fields and validators shared by the field types.

Conversion happens in ``process_formdata`` (a ``ValueError`` carries the French
message); validators then work on converted data only, so a stored answer
re-posted as raw data is checked exactly like a fresh post.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wtforms import Field as WTField
from wtforms.validators import StopValidation

from ..spec.answers_schema import CONTROL_CHARACTERS
from ..spec.conditions import is_missing

CONTROL_MESSAGE = ("Ce champ contient des caractères non autorisés (caractères de contrôle) : "
                   "effacez son contenu et saisissez de nouveau le texte.")

Parse = Callable[[str], Any]
Format = Callable[[Any], str]


class PortailField(WTField):
    """Base: no further validation once the value could not be converted."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class ScalarField(PortailField):
    """One text input; ``parse`` converts the stripped string or raises ValueError.

    A converted text holding a character matched by ``refused`` (control characters:
    ``runtime.spec.answers_schema.control_characters``) is refused; checked after
    ``parse`` so a type's own message (SIRET: digits only...) comes first.
    """

    def __init__(self, label=None, validators=None, parse: Parse = str, fmt: Format = str,
                 refused: str = CONTROL_CHARACTERS, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parse = parse
        self.fmt = fmt
        self.refused = re.compile(refused)

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if raw:
            data = self.parse(raw)
            if isinstance(data, str) and self.refused.search(data):
                raise ValueError(CONTROL_MESSAGE)
            self.data = data

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.fmt(self.data)


class MultiValueField(PortailField):
    """Checkboxes: the list of checked values."""

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if v]

    def _value(self):
        return self.data or []


class FileUploadField(PortailField):
    """A file input; ``data`` is the uploaded FileStorage or None."""

    def process_formdata(self, valuelist):
        self.data = None
        for value in valuelist:
            if getattr(value, "filename", None):
                self.data = value

    def _value(self):
        return ""


class Required:
    """Required, on converted data (works for posts and stored answers)."""

    def __init__(self, message: str):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        # A required box must be ticked; a number 0 is an answer (``0 == False``: identity test).
        if is_missing(field.data) or field.data is False:
            raise StopValidation(self.message)


class Check:
    """Any check on converted data: ``test(data)`` returns a message or None."""

    def __init__(self, test: Callable[[Any], str | None]):
        self.test = test

    def __call__(self, form, field):
        if is_missing(field.data):
            return
        message = self.test(field.data)
        if message:
            raise StopValidation(message)
