"""What changed between two transmitted versions of a demande, answer by answer.

A demande sent back after a complement keeps every transmitted version
(``versions``: ``{"at", "version_key", "answers"}``). ``compare`` lists the
answers whose text differs (a file counts as changed when its content does),
in the order of the newer version's pages; ``changed_steps`` names their steps,
for the history. No Flask.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..forms.registry import computed_text, field_type
from ..forms.wizard import visible_pages
from ..spec.computed import compute
from ..spec.conditions import evaluate
from ..spec.model import Spec
from .demandes import format_value

NOT_ASKED = "Question non posée"


@dataclass(frozen=True)
class AnswerChange:
    page_id: str
    page_title: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class _Entry:
    page_id: str
    page_title: str
    label: str
    text: str
    identity: str  # what "the same answer" means: the text, or a file's content


def _entries(spec: Spec, answers: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], _Entry]]:
    """Each answer the applicant was asked (visible pages and fields), a table row by row, then the computed values."""
    values = {**answers, **compute(spec, answers)}
    for page in visible_pages(spec, answers):
        for f in page.fields:
            if field_type(f.type).static or (f.when and not evaluate(f.when, values)):
                continue
            value = answers.get(f.id)
            if f.type == "table":
                rows = [row for row in value or () if isinstance(row, Mapping)]
                for number, row in enumerate(rows, start=1):
                    text = " ; ".join(f"{c.label} : {format_value(c, row.get(c.id))}" for c in f.columns)
                    yield (f.id, str(number)), _Entry(page.id, page.title, f"{f.label} – ligne {number}", text, text)
                if rows:
                    continue
            text = format_value(f, value)
            identity = _file_identity(value) if f.type == "file" else text
            yield (f.id,), _Entry(page.id, page.title, f.label, text, identity)
        for c in spec.computed:
            if c.page == page.id:
                text = computed_text(c, values.get(c.id))
                yield ("=", c.id), _Entry(page.id, page.title, c.label, text, text)


def _file_identity(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    return json.dumps([value.get("sha256") or value.get("file_id"), value.get("filename")])


def compare(before_spec: Spec, before: Mapping[str, Any], after_spec: Spec, after: Mapping[str, Any]) -> list[AnswerChange]:
    """The answers that differ from ``before`` to ``after``, in the newer version's page order
    (answers that only the older version had come last, under their former step)."""
    old = dict(_entries(before_spec, before))
    new = dict(_entries(after_spec, after))
    changes = []
    for key in [*new, *(k for k in old if k not in new)]:
        was, now = old.get(key), new.get(key)
        if was is not None and now is not None and was.identity == now.identity:
            continue
        where = now or was
        after_text = now.text if now else NOT_ASKED
        if was is not None and now is not None and was.text == now.text:
            after_text += " (nouveau fichier)"
        changes.append(AnswerChange(where.page_id, where.page_title, where.label,
                                    was.text if was else NOT_ASKED, after_text))
    return changes


def changed_steps(changes: list[AnswerChange]) -> list[str]:
    """Titles of the steps holding a change, each once, in order."""
    return list(dict.fromkeys(change.page_title for change in changes))


def by_step(changes: list[AnswerChange]) -> list[tuple[str, list[AnswerChange]]]:
    """The changes grouped under their step's title (one table per step)."""
    groups: dict[str, list[AnswerChange]] = {}
    for change in changes:
        groups.setdefault(change.page_title, []).append(change)
    return list(groups.items())


def history_detail(changes: list[AnswerChange]) -> str:
    """The detail of a re-transmission in the history."""
    steps = changed_steps(changes)
    if not steps:
        return "Aucune réponse modifiée"
    return ("Étape modifiée : " if len(steps) == 1 else "Étapes modifiées : ") + ", ".join(steps)
