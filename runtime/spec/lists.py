"""Shared lists of choices: ``specs/listes/<id>.yaml``.

A list file::

    id: communes
    title: Communes de la Métropole de Lyon
    choices:
      - {value: "69003", label: Albigny-sur-Saône}
      - ...

A choice field names it with ``options_from: communes`` instead of ``choices``.
``insee_departments: ["13", "83"]`` declares that the values are INSEE commune codes of
those départements: each is checked (5 characters, one of the départements, no duplicate).
The loader copies the list's choices into the field, and the spec's version
includes the list's text: an old demande renders with the list of its version.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import SpecError, SpecErrors
from .memo import BoundedMemo
from .model import Choice, SharedList
from .yaml_source import Document, YAMLProblem, parse

LISTS_FOLDER = "listes"
LIST_SCHEMA_PATH = Path(__file__).parent / "schema" / "list.schema.json"
_KEYS = ("id", "title", "description", "insee_departments", "choices")
# An INSEE commune code: the département (2 digits, 2A/2B for Corsica, 3 digits overseas) then the commune.
_INSEE = r"(?:\d{2}|2[AB])\d{3}|97\d{3}"
_ID_PATTERN = "lettres minuscules, chiffres, _ et tirets"

Problem = tuple


def is_list_file(path: str | Path) -> bool:
    return Path(path).parent.name == LISTS_FOLDER


def default_specs_dir() -> Path:
    """The served specs folder (``PORTAIL_SPECS_DIR``, by default ``specs/``)."""
    from .. import ROOT

    return Path(os.environ.get("PORTAIL_SPECS_DIR") or ROOT / "specs")


def catalogue_root(path: str | Path) -> Path | None:
    """The specs folder a file belongs to: the nearest folder whose teleservices/, tiers/ or listes/ holds specs."""
    for folder in Path(path).resolve().parents:
        if any(next((folder / name).glob("*.yaml"), None) for name in ("teleservices", "tiers", LISTS_FOLDER)):
            return folder
    return None


def list_files(specs_dir: str | Path) -> list[Path]:
    """The shared list files of a specs folder; a folder without ``listes/`` uses the served ones,
    else the portal's own (``specs/listes``)."""
    from .. import ROOT

    for folder in (Path(specs_dir), default_specs_dir(), ROOT / "specs"):
        files = sorted((folder / LISTS_FOLDER).glob("*.yaml"))
        if files:
            return files
    return []


def catalogue_lists(path: str | Path) -> dict[str, SharedList]:
    """The valid shared lists of the catalogue a spec file belongs to (for a spec loaded alone)."""
    root = catalogue_root(path) or default_specs_dir()
    lists: dict[str, SharedList] = {}
    for list_path in list_files(root):
        try:
            shared = _load_cached(str(list_path), list_path.stat().st_mtime_ns)
        except (SpecErrors, OSError):
            continue
        lists.setdefault(shared.id, shared)
    return lists


@lru_cache(maxsize=64)
def _load_cached(source: str, _mtime: int) -> SharedList:
    return load_list_text(Path(source).read_text(encoding="utf-8"), source)


def load_list_text(text: str, source: str) -> SharedList:
    """A shared list; raise ``SpecErrors`` listing every problem with its line. Valid lists are
    kept per process by content (every app instance and reload reuses them, like the specs)."""
    shared = _parsed.get_or_build(text, lambda: _parse_list(text, source))
    return shared if shared.source == source else replace(shared, source=source)


_parsed: BoundedMemo[SharedList] = BoundedMemo(64)


def _parse_list(text: str, source: str) -> SharedList:
    try:
        document = parse(text)
    except YAMLProblem as problem:
        raise SpecErrors([SpecError(source, problem.line, problem.column, problem.message)]) from None
    errors = [SpecError(source, *document.position(path, key=key), message)
              for path, key, message in _problems(document)]
    if errors:
        raise SpecErrors(errors)
    data = document.data
    choices = tuple(Choice(c, c) if isinstance(c, str) else Choice(c["value"], c["label"]) for c in data["choices"])
    return SharedList(id=data["id"], title=data["title"], choices=choices, text=text, source=source)


def _problems(document: Document) -> list[tuple[tuple, bool, str]]:
    data = document.data
    if not isinstance(data, dict):
        return [((), False, "une liste partagée est un ensemble de clés (id, title, choices)")]
    problems = [((key,), True, f"clé inconnue « {key} » (clés permises : {', '.join(_KEYS)})")
                for key in data if key not in _KEYS]
    for key, name in (("id", "identifiant manquant (id)"), ("title", "titre manquant (title)"),
                      ("choices", "liste de choix manquante (choices)")):
        if key not in data:
            problems.append(((), False, name))
    if not isinstance(data.get("id", ""), str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", data.get("id", "a")):
        problems.append((("id",), False, f"identifiant de liste invalide : {_ID_PATTERN}"))
    choices = data.get("choices", [])
    if not isinstance(choices, list) or ("choices" in data and not choices):
        return problems + [(("choices",), False, "la liste de choix doit contenir au moins un choix")]
    departments = data.get("insee_departments")
    if departments is not None and not _valid_departments(departments):
        problems.append((("insee_departments",), False, ("insee_departments : une liste de codes de département "
                                                         "entre guillemets, par exemple [\"13\", \"83\"]")))
        departments = None
    seen: set[str] = set()
    for k, choice in enumerate(choices):
        if isinstance(choice, Mapping):
            if set(choice) != {"value", "label"} or not all(isinstance(v, str) and v for v in choice.values()):
                problems.append((("choices", k), False, "un choix est un texte, ou value et label (deux textes)"))
                continue
            value = choice["value"]
        elif isinstance(choice, str) and choice:
            value = choice
        else:
            problems.append((("choices", k), False, ("un choix est un texte, ou value et label (deux textes) ; "
                                                     "mettez les nombres entre guillemets")))
            continue
        if value in seen:
            problems.append((("choices", k), False, f"valeur de choix « {value} » en double"))
        seen.add(value)
        if departments is not None:
            problems += [(("choices", k), False, message) for message in _insee_problems(value, departments)]
    return problems


def _valid_departments(departments: Any) -> bool:
    return isinstance(departments, list) and bool(departments) and all(
        isinstance(d, str) and re.fullmatch(r"\d{2,3}|2[AB]", d) for d in departments)


def _insee_problems(value: str, departments: list[str]) -> list[str]:
    """A list that declares ``insee_departments`` holds INSEE commune codes of those départements."""
    if not re.fullmatch(_INSEE, value):
        return [(f"« {value} » n'est pas un code INSEE de commune (5 caractères : le département puis la commune, "
                "par exemple \"13055\")")]
    if not any(value.startswith(d) for d in departments):
        return [(f"le code INSEE « {value} » n'est dans aucun des départements de la liste "
                f"(insee_departments : {', '.join(departments)})")]
    return []


def resolve_lists(data: dict[str, Any], lists: Mapping[str, SharedList]) -> tuple[list[str], list[Problem]]:
    """Copy each ``options_from`` list's choices into its field; the ids used and the problems."""
    used: list[str] = []
    problems: list[Problem] = []
    for path, field in _choice_fields(data):
        name = field.get("options_from")
        if name is None or field.get("type") not in ("choice", "multiple_choice"):
            continue
        if "choices" in field:
            message = "« choices » et « options_from » ensemble : gardez l'un ou l'autre"
            problems.append((path + ("options_from",), message))
            continue
        shared = lists.get(name)
        if shared is None:
            known = ", ".join(sorted(lists)) or "aucune"
            message = f"liste partagée inconnue « {name} » (listes disponibles : {known})"
            problems.append((path + ("options_from",), message))
            field["choices"] = [{"value": "?", "label": "?"}]  # keeps the checks going, without cascade:
            field["__unresolved__"] = True  # its values are unknown, so no value is refused
            continue
        field["choices"] = [{"value": c.value, "label": c.label} for c in shared.choices]
        if name not in used:
            used.append(name)
    return used, problems


def _choice_fields(data: Mapping[str, Any]):
    for i, page in enumerate(data.get("pages", ())):
        for j, field in enumerate(page.get("fields", ())):
            yield ("pages", i, "fields", j), field
            for k, column in enumerate(field.get("columns", ())):
                yield ("pages", i, "fields", j, "columns", k), column
