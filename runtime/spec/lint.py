"""``portail lint``: every error of every spec file at once."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import SpecError, SpecErrors
from .loader import load_spec_file
from .model import Spec


def spec_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    return files


def lint_paths(paths: Iterable[str | Path]) -> list[SpecError]:
    """Errors of the given files and folders (folders: every ``*.yaml`` inside)."""
    errors: list[SpecError] = []
    specs: list[Spec] = []
    for path in spec_files(paths):
        try:
            specs.append(load_spec_file(path))
        except SpecErrors as exc:
            errors.extend(exc.errors)
    errors.extend(cross_file_errors(specs))
    return errors


def cross_file_errors(specs: list[Spec]) -> list[SpecError]:
    """Duplicate ids across files; ``tiers.X`` prefills naming no field of the Tiers creation form."""
    errors = []
    first_source: dict[str, str] = {}
    for spec in specs:
        if spec.id in first_source:
            errors.append(SpecError(spec.source, _id_line(spec), 1,
                                    f"identifiant « {spec.id} » déjà utilisé par {first_source[spec.id]}"))
        else:
            first_source[spec.id] = spec.source
    tiers_forms = [s for s in specs if s.kind == "tiers_creation"]
    if tiers_forms:
        tiers_fields = {f.id for f in tiers_forms[0].fields()}
        for spec in specs:
            for field in spec.fields():
                source, _, name = (field.prefill or "").partition(".")
                if source == "tiers" and name not in tiers_fields:
                    errors.append(SpecError(spec.source, field.line, 1,
                                            f"pré-remplissage « {field.prefill} » : le formulaire de création de "
                                            f"tiers n'a pas de champ « {name} »"))
    return errors


def _id_line(spec: Spec) -> int:
    for number, line in enumerate(spec.text.splitlines(), start=1):
        if line.startswith("id:"):
            return number
    return 1
