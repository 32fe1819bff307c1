"""The staff téléservice editor, independent of Flask: check a YAML text through the one gate,
publish it (bump the version, write the spec file, snapshot it, record who, when and why, make
every worker reload), list the versions of a téléservice with their diffs, revert to one.

Specs stay text files: publishing writes ``specs/teleservices/<file>.yaml`` (atomically) and the
catalog's store snapshot (partition ``specs``, table ``versions``); the publications (who, when,
reason) go to table ``publications`` of the same partition.
"""
from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..spec.catalog import PARTITION, VERSIONS, Catalog
from ..spec.errors import SpecError, SpecErrors
from ..spec.lint import ACCOUNT_PREFILL, check_catalog
from ..spec.lists import is_list_file
from ..spec.model import Spec
from ..storage.base import new_id

PUBLICATIONS = "publications"
MAX_REASON = 300
_VERSION_LINE = re.compile(r'^version:[ \t]*(["\']?)([^"\'\n#]*?)\1[ \t]*(#.*)?$', re.MULTILINE)
_TRAILING_NUMBER = re.compile(r"(\d+)(\D*)$")

class EditorError(Exception):
    """A publication refused for a reason that is not a lint error (French message)."""


@dataclass(frozen=True)
class Publication:
    spec: Spec
    previous_version_key: str


def shared_lists(catalog: Catalog) -> dict:
    """The shared lists the one gate accepts in the catalogue, by id."""
    return check_catalog([p for p in catalog.spec_files() if is_list_file(p)]).lists


def editor_schema(catalog: Catalog) -> dict[str, Any]:
    """The spec JSON Schema the editor completes from: the lint's own schema (field types filled
    from ``field_types.py``) plus, as ``examples``, the catalogue's shared list ids for
    ``options_from`` and the pre-fill sources (Tiers creation fields, account data) for ``prefill``."""
    import copy

    from ..spec.schema_errors import spec_schema

    schema = copy.deepcopy(spec_schema())
    properties = schema["$defs"]["field"]["properties"]
    properties["options_from"]["examples"] = sorted(shared_lists(catalog))
    tiers = catalog.tiers_creation
    tiers_fields = [f.id for f in tiers.fields() if f.type not in ("heading", "paragraph")] if tiers else []
    properties["prefill"]["examples"] = [f"tiers.{name}" for name in tiers_fields] + \
        [f"account.{name}" for name in ACCOUNT_PREFILL]
    return schema


def _served(catalog: Catalog, spec_id: str) -> Spec:
    spec = catalog.get(spec_id)
    if spec is None or spec.kind != "teleservice":
        raise EditorError(f"Aucun téléservice « {spec_id} » n'est en service.")
    return spec


def check_text(catalog: Catalog, spec_id: str, text: str) -> list[SpecError]:
    """Errors of ``text`` as the new version of ``spec_id`` (the one gate, against the rest of the
    catalogue), each placed at its line and column; the file is named as in the specs folder."""
    served = _served(catalog, spec_id)
    source = Path(served.source)
    errors, spec = _gate(catalog, text, relative_path(source, catalog.specs_dir), source)
    if not errors and spec is not None and spec.id != spec_id:
        errors.append(SpecError(errors_name(catalog, source), _line_of_id(text), 5,
                                f"l'identifiant d'un téléservice en service ne change pas : gardez « {spec_id} » "
                                "(un nouvel identifiant est un nouveau téléservice, dans un nouveau fichier)"))
    return errors


def check_new(catalog: Catalog, text: str) -> tuple[list[SpecError], Spec | None]:
    """Errors of ``text`` as a new téléservice (``teleservices/<id>.yaml``), and the spec when it has none."""
    errors, spec = _gate(catalog, text, Path("teleservices") / "nouveau.yaml", None)
    if errors or spec is None:
        return errors, None
    problem = None
    if spec.kind != "teleservice":
        problem = "l'éditeur crée des téléservices : écrivez « kind: teleservice »"
    elif new_file(catalog, spec.id).exists():
        problem = f"le fichier teleservices/{spec.id}.yaml existe déjà : choisissez un autre identifiant"
    if problem:
        return [SpecError("teleservices/nouveau.yaml", _line_of_id(text), 5, problem)], None
    return [], spec


def errors_name(catalog: Catalog, source: Path) -> str:
    return str(relative_path(source, catalog.specs_dir))


def new_file(catalog: Catalog, spec_id: str) -> Path:
    return Path(catalog.specs_dir) / "teleservices" / f"{spec_id}.yaml"


def _line_of_id(text: str) -> int:
    return next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("id:")), 1)


def _gate(catalog: Catalog, text: str, relative: Path, replaces: Path | None) -> tuple[list[SpecError], Spec | None]:
    """The one gate on ``text`` written as ``relative`` in a copy of the catalogue (``replaces`` left out)."""
    with tempfile.TemporaryDirectory(prefix="portail-editeur-") as folder:
        candidate = Path(folder) / relative
        candidate.parent.mkdir(parents=True, exist_ok=True)
        candidate.write_text(text, encoding="utf-8")
        context = [p for p in catalog.spec_files() if replaces is None or p.resolve() != replaces.resolve()]
        verdict = check_catalog([candidate], context)
        errors = [SpecError(str(relative), e.line, e.column, e.message) for e in verdict.all_errors()]
        return errors, verdict.specs.get(str(candidate))


def relative_path(source: Path, root: Path) -> Path:
    try:
        return source.resolve().relative_to(Path(root).resolve())
    except ValueError:
        return Path("teleservices") / source.name


def bump_version(text: str, serving: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """The text with a version no earlier version used: the author's own when new, else the serving
    one bumped (« 2026.1 » → « 2026.2 », « 3 » → « 4 »)."""
    match = _VERSION_LINE.search(text)
    declared = match.group(2).strip() if match else ""
    if declared and declared != serving and declared not in taken:
        return text
    bumped = serving
    while bumped == serving or bumped in taken:
        number = _TRAILING_NUMBER.search(bumped)
        bumped = (bumped[:number.start()] + str(int(number.group(1)) + 1) + number.group(2)) if number \
            else f"{bumped}.1"
    line = f'version: "{bumped}"'
    if match:
        return text[:match.start()] + line + text[match.end():]
    return f"{line}\n{text}"


def _taken_versions(catalog: Catalog, spec_id: str) -> set[str]:
    if catalog.store is None:
        return set()
    return {v.get("version") or "" for v in catalog.store.read(PARTITION).table(VERSIONS).find(spec_id=spec_id)}


def publish(catalog: Catalog, spec_id: str, text: str, reason: str, by: dict[str, Any], at: str) -> Publication:
    """Publish ``text`` as the new version of ``spec_id``. Raises ``SpecErrors`` (lint) or ``EditorError``."""
    reason = checked_reason(reason)
    served = _served(catalog, spec_id)
    text = bump_version(text.replace("\r\n", "\n"), served.version, _taken_versions(catalog, spec_id))
    errors = check_text(catalog, spec_id, text)
    if errors:
        raise SpecErrors(errors)
    write_atomically(Path(served.source), text)
    catalog.reload()
    new = catalog.get(spec_id)
    if new is None or new.text != text:
        raise EditorError("La nouvelle version n'a pas pu être mise en service : la version précédente reste en "
                          "service. Rechargez la page et réessayez.")
    record_in_catalog(catalog, PUBLICATIONS, {
        "id": new_id(),
        "spec_id": spec_id,
        "version_key": new.version_key,
        "version": new.version,
        "previous_version_key": served.version_key,
        "by": by.get("id"),
        "by_name": by.get("nom") or by.get("identifiant") or "",
        "at": at,
        "reason": reason,
    })
    catalog.bump_generation()  # every worker reloads, as ``portail reload`` does
    return Publication(new, served.version_key)


def create(catalog: Catalog, text: str, reason: str, by: dict[str, Any], at: str) -> Publication:
    """Publish ``text`` as a new téléservice, in ``teleservices/<id>.yaml``."""
    reason = checked_reason(reason)
    text = text.replace("\r\n", "\n")
    errors, spec = check_new(catalog, text)
    if errors or spec is None:
        raise SpecErrors(errors)
    path = new_file(catalog, spec.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomically(path, text, exclusive=True)
    except FileExistsError:
        raise EditorError(f"Le fichier teleservices/{spec.id}.yaml existe déjà : choisissez un autre identifiant.") \
            from None
    catalog.reload()
    new = catalog.get(spec.id)
    if new is None or new.text != text:
        path.unlink(missing_ok=True)
        catalog.reload()
        raise EditorError("Le nouveau téléservice n'a pas pu être mis en service. Rechargez la page et réessayez.")
    record_in_catalog(catalog, PUBLICATIONS, {
        "id": new_id(), "spec_id": new.id, "version_key": new.version_key, "version": new.version,
        "previous_version_key": None, "by": by.get("id"),
        "by_name": by.get("nom") or by.get("identifiant") or "", "at": at, "reason": reason})
    catalog.bump_generation()
    return Publication(new, "")


def checked_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise EditorError("Indiquez en quelques mots la raison de cette publication.")
    if len(reason) > MAX_REASON:
        raise EditorError(f"La raison tient en {MAX_REASON} caractères au plus.")
    return reason


def write_atomically(path: Path, text: str, exclusive: bool = False) -> None:
    """Write through a temporary file then rename; ``exclusive``: never replace an existing file.
    The file keeps the mode of the one it replaces (a new one: readable by all, as the shipped
    specs; mkstemp's 0600 would hide it from a deployment's other users), and is on disk
    before it is renamed."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if exclusive:
            os.link(temporary, path)  # fails if the file appeared meanwhile
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_in_catalog(catalog: Catalog, table: str, row: dict[str, Any]) -> None:
    """Keep a publication or a list version beside the catalogue (nothing without a store)."""
    if catalog.store is None:
        return
    with catalog.store.transaction(PARTITION) as part:
        part.table(table).insert(row)


@dataclass(frozen=True)
class VersionEntry:
    version_key: str
    version: str
    text: str
    published_at: str
    serving: bool
    publication: dict[str, Any] | None  # who, when, why (None: published from the file, e.g. ``portail reload``)
    diff: list[str]  # unified diff from the version before it


def history(catalog: Catalog, spec_id: str) -> list[VersionEntry]:
    """Every version of ``spec_id`` ever published, newest first, each with its diff from the one before."""
    served = _served(catalog, spec_id)
    snapshot = catalog.store.read(PARTITION)
    versions = sorted(snapshot.table(VERSIONS).find(spec_id=spec_id), key=lambda v: (v.get("published_at") or ""))
    publications = {p["version_key"]: p for p in snapshot.table(PUBLICATIONS).find(spec_id=spec_id)}
    entries, previous = [], ""
    for version in versions:
        entries.append(VersionEntry(
            version_key=version["id"],
            version=version.get("version") or "",
            text=version["text"],
            published_at=(publications.get(version["id"]) or {}).get("at") or version.get("published_at") or "",
            serving=version["id"] == served.version_key,
            publication=publications.get(version["id"]),
            diff=diff_lines(previous, version["text"]),
        ))
        previous = version["text"]
    return entries[::-1]


def diff_lines(before: str, after: str, before_name: str = "avant", after_name: str = "après") -> list[str]:
    return list(difflib.unified_diff(before.splitlines(), after.splitlines(), before_name, after_name, lineterm=""))


def revert(catalog: Catalog, spec_id: str, version_key: str, reason: str, by: dict[str, Any], at: str) -> Publication:
    """Publish the text of an older version as a new version."""
    _served(catalog, spec_id)
    old = catalog.store.read(PARTITION).table(VERSIONS).get(version_key) if catalog.store else None
    if old is None or old.get("spec_id") != spec_id:
        raise EditorError("Cette version n'existe pas.")
    return publish(catalog, spec_id, old["text"], reason, by, at)
