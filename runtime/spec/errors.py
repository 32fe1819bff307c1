"""The error shapes of the spec language.

``SpecError`` locates a problem in a spec file (``path:line:column: message``);
``FieldError`` locates a problem in a demande's answers (a path into the data,
e.g. ``budget/depenses/2/montant``, a French message, the page, a code).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecError:
    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class SpecErrors(Exception):
    """Every error found in one or several spec files."""

    def __init__(self, errors: Iterable[SpecError]):
        self.errors = list(errors)
        super().__init__(str(self))

    def __iter__(self) -> Iterator[SpecError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str
    page_id: str | None = None
    code: str = ""
