"""The one error type of the portal.

An ``Error`` is what a page shows beside a field (and in the error summary), what
the lint prints and what a log line reports: a ``path`` into the data (a field
path such as ``budget/depenses/2/montant``, a key path of a spec such as
``pages/0/fields/2/type``, "" for the whole), a French ``message`` shown as is,
the ``page_id`` where it is shown, a stable ``code`` for programs and tests
(``field``, ``rule:<id>``, ``schema:<validator>``, ``spec``, ``upload``,
``tiers:siret_taken``, ``workflow``...) and, for a spec, its source location.

``FieldError`` is the same type (its historical name); ``SpecError(source, line,
column, message)`` builds one located in a spec file (``str()`` =
``source:line:column: message``). Exceptions of the domain carry one in ``.error``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Error:
    path: str
    message: str
    page_id: str | None = None
    code: str = ""
    source: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.source is not None:
            return f"{self.source}:{self.line or 1}:{self.column or 1}: {self.message}"
        return self.message

    @property
    def anchor(self) -> str:
        """The HTML id of the element the error is about (``/`` → ``-``)."""
        return self.path.replace("/", "-")


FieldError = Error


def messages_by_path(errors: Iterable[Error] | None) -> dict[str, str]:
    """The first message of each path, in order (what a page shows beside each field)."""
    result: dict[str, str] = {}
    for error in errors or ():
        result.setdefault(error.path, error.message)
    return result


def summary_errors(errors: Iterable[Error] | None) -> list[Error]:
    """What an error summary lists: the first error of each place (a field's path: the one
    shown beside it; a spec's path with its line and column), and every error about the
    whole (path "")."""
    seen: set[tuple] = set()
    shown = []
    for error in errors or ():
        place = (error.path, error.source, error.line, error.column)
        if error.path and place in seen:
            continue
        seen.add(place)
        shown.append(error)
    return shown


def message_at(errors: Iterable[Error] | None, element_id: str) -> str | None:
    """The first message of the error about the HTML element ``element_id`` (its ``anchor``:
    ``acceptee-amount`` for the path ``acceptee/amount``), or None; the template filter ``error_at``."""
    return next((error.message for error in errors or () if error.anchor == element_id), None)


class SpecError(Error):
    """An error located in a spec file."""

    def __init__(self, source: str, line: int, column: int, message: str, path: str = "", code: str = "spec"):
        super().__init__(path, message, None, code, str(source), line, column)


class SpecErrors(Exception):
    """Every error found in one or several spec files."""

    def __init__(self, errors: Iterable[Error]):
        self.errors = list(errors)
        super().__init__(str(self))

    def __iter__(self) -> Iterator[Error]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class ErrorRaised(Exception):
    """An exception carrying one ``Error`` (``str()`` is its French message)."""

    code = "error"

    def __init__(self, message: str, path: str = "", code: str | None = None):
        super().__init__(message)
        self.error = Error(path, message, code=code or self.code)
