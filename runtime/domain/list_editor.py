"""Shared lists (``specs/listes/*.yaml``) edited from the staff space, independent of Flask: check
a list's text through the one gate together with the téléservices that use it, say which use it,
publish it (write the file, reload: each téléservice using it gets a new version, as a list edited
on disk does), keep every published text with who, when and why (partition ``specs``, table
``list_versions``), show the history with diffs, revert to an older text.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..spec.catalog import PARTITION, Catalog
from ..spec.errors import SpecError, SpecErrors
from ..spec.lint import check_catalog
from ..spec.model import SharedList, Spec
from ..storage.base import new_id
from .spec_editor import (
    EditorError,
    checked_reason,
    diff_lines,
    record_in_catalog,
    relative_path,
    shared_lists,
    write_atomically,
)

LIST_VERSIONS = "list_versions"


@dataclass(frozen=True)
class ListUse:
    spec: Spec
    labels: tuple[str, ...]  # the questions that offer the list


def served_list(catalog: Catalog, list_id: str) -> SharedList:
    shared = shared_lists(catalog).get(list_id)
    if shared is None:
        raise EditorError(f"Aucune liste partagée « {list_id} » n'est en service.")
    return shared


def every_list(catalog: Catalog) -> list[tuple[SharedList, list[ListUse]]]:
    """The shared lists in service, each with the téléservices that use it."""
    return [(shared, uses(catalog, shared.id)) for _, shared in sorted(shared_lists(catalog).items())]


def uses(catalog: Catalog, list_id: str) -> list[ListUse]:
    """The specs in service whose choice questions offer ``list_id``."""
    found = []
    for spec in catalog.all():
        if list_id not in dict(spec.lists):
            continue
        fields = [c for f in spec.fields() for c in (f, *f.columns)]
        labels = tuple(f.label or f.id for f in fields if f.options.get("options_from") == list_id)
        found.append(ListUse(spec, labels))
    return found


def check_list(catalog: Catalog, list_id: str, text: str) -> list[SpecError]:
    """Errors of ``text`` as the new ``list_id``: its own, at their line and column, and those it
    would cause in a téléservice using it (a value a condition compares with, removed...), placed
    at the list's ``id`` line and naming the téléservice, its file and its line."""
    served = served_list(catalog, list_id)
    source = Path(served.source)
    relative = relative_path(source, catalog.specs_dir)
    users = uses(catalog, list_id)
    with tempfile.TemporaryDirectory(prefix="portail-liste-") as folder:
        candidate = Path(folder) / relative
        candidate.parent.mkdir(parents=True, exist_ok=True)
        candidate.write_text(text, encoding="utf-8")
        context = [p for p in catalog.spec_files() if p.resolve() != source.resolve()]
        verdict = check_catalog([candidate, *[Path(u.spec.source) for u in users]], context)
        own = [SpecError(str(relative), e.line, e.column, e.message) for e in verdict.errors.get(str(candidate), ())]
        accepted = verdict.lists.get(list_id)
    if own:
        return own
    id_line = _line_of_id(text)
    if accepted is None or accepted.source != str(candidate):
        return [SpecError(str(relative), id_line, 1, f"l'identifiant d'une liste en service ne change pas : gardez "
                                                     f"« {list_id} » (une autre liste est un nouveau fichier)")]
    errors = []
    for use in users:
        for error in verdict.errors.get(use.spec.source, ()):
            where = relative_path(Path(use.spec.source), catalog.specs_dir)
            errors.append(SpecError(str(relative), id_line, 1, f"le téléservice « {use.spec.title} » ({where}, "
                                                               f"ligne {error.line}) : {error.message}"))
    return errors


def _line_of_id(text: str) -> int:
    return next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("id:")), 1)


def publish_list(catalog: Catalog, list_id: str, text: str, reason: str, by: dict[str, Any], at: str) -> SharedList:
    """Publish ``text`` as ``list_id``. Raises ``SpecErrors`` (lint) or ``EditorError``."""
    reason = checked_reason(reason)
    text = text.replace("\r\n", "\n")
    served = served_list(catalog, list_id)
    if Path(catalog.specs_dir).resolve() not in Path(served.source).resolve().parents:
        raise EditorError("Ce dossier de specs n'a pas de dossier listes/ : il utilise les listes du portail, qui ne "
                          "se modifient pas d'ici. Copiez-les dans son dossier listes/ pour les modifier.")
    errors = check_list(catalog, list_id, text)
    if errors:
        raise SpecErrors(errors)
    _keep_first_version(catalog, served)
    write_atomically(Path(served.source), text)
    catalog.reload()
    new = shared_lists(catalog).get(list_id)
    if new is None or new.text != text:
        write_atomically(Path(served.source), served.text)
        catalog.reload()
        raise EditorError("La nouvelle liste n'a pas pu être mise en service : la précédente reste en service.")
    record_in_catalog(catalog, LIST_VERSIONS, {
        "id": new_id(), "list_id": list_id, "text": text, "at": at, "by": by.get("id"),
        "by_name": by.get("nom") or by.get("identifiant") or "", "reason": reason})
    catalog.bump_generation()  # every worker reloads, as ``portail reload`` does
    return new


def _keep_first_version(catalog: Catalog, served: SharedList) -> None:
    """The text in service before the first publication from the staff space (a file put in place)."""
    if catalog.store is not None and not catalog.store.read(PARTITION).table(LIST_VERSIONS).find(list_id=served.id):
        record_in_catalog(catalog, LIST_VERSIONS, {
            "id": new_id(), "list_id": served.id, "text": served.text, "at": "", "by": None,
            "by_name": "", "reason": ""})


@dataclass(frozen=True)
class ListVersion:
    id: str
    text: str
    at: str
    by_name: str
    reason: str
    serving: bool
    diff: list[str]


def list_history(catalog: Catalog, list_id: str) -> list[ListVersion]:
    """Every text of ``list_id`` published from the staff space (and the one before), newest first."""
    served = served_list(catalog, list_id)
    stored = catalog.store.read(PARTITION).table(LIST_VERSIONS).find(list_id=list_id) if catalog.store else []
    versions = [v for _, v in sorted(enumerate(stored), key=lambda iv: (iv[1].get("at") or "", iv[0]))]
    if not versions or versions[-1]["text"] != served.text:  # never published from here, or changed on disk
        versions.append({"id": "", "text": served.text, "at": "", "by_name": "", "reason": ""})
    entries, previous = [], ""
    for number, version in enumerate(versions):
        entries.append(ListVersion(version["id"], version["text"], version.get("at") or "", version.get("by_name") or "",
                                   version.get("reason") or "", number == len(versions) - 1,
                                   diff_lines(previous, version["text"]) if number else []))
        previous = version["text"]
    return entries[::-1]


def revert_list(catalog: Catalog, list_id: str, version_id: str, reason: str, by: dict[str, Any],
                at: str) -> SharedList:
    old = catalog.store.read(PARTITION).table(LIST_VERSIONS).get(version_id) if catalog.store and version_id else None
    if old is None or old.get("list_id") != list_id:
        raise EditorError("Cette version n'existe pas.")
    return publish_list(catalog, list_id, old["text"], reason, by, at)
