"""The one gate: which spec files are accepted, and every error of the others.

``check_catalog`` is run by ``portail lint``, by the catalog (start-up, ``portail
reload``, the staff "Recharger" button, hence the staff Specs page and the
preview, which read the catalog): one function, one result. A spec it refuses
is never served.

Each file is checked alone (YAML, JSON Schema, semantic checks, shared lists)
and then against the rest of the catalogue: duplicate ids, number prefixes
shared by two téléservices, ``prefill`` sources (the Tiers creation form's
fields, the account's data) and their type.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .conditions import evaluate
from .errors import SpecError, SpecErrors
from .field_types import value_types
from .lists import catalogue_root, default_specs_dir, is_list_file, list_files, load_list_text
from .loader import load_spec_text, read_text
from .model import Field, SharedList, Spec

# What ``account.<key>`` may pre-fill, with the field type of each value (see web/accounts.py).
ACCOUNT_PREFILL = {"email": "email", "nom": "text", "prenom": "text", "civilite": "text", "identifiant": "text"}
# Types whose value is a plain text: a text or textarea field can receive any of them.
_TEXT_VALUES = tuple(name for name, value in value_types().items() if value == "text")


@dataclass
class Verdict:
    """The gate's result: accepted specs and lists by file, and the errors of the others."""

    specs: dict[str, Spec] = field(default_factory=dict)
    lists: dict[str, SharedList] = field(default_factory=dict)  # by list id
    errors: dict[str, tuple[SpecError, ...]] = field(default_factory=dict)  # by file

    def all_errors(self) -> list[SpecError]:
        return [e for source in sorted(self.errors) for e in self.errors[source]]

    def refuse(self, source: str, errors: Iterable[SpecError]) -> None:
        self.errors[source] = self.errors.get(source, ()) + tuple(errors)
        self.specs.pop(source, None)


def catalog_files(folder: str | Path) -> list[Path]:
    """Every spec and shared list file of a specs folder (without ``listes/``: the served lists)."""
    files = sorted(p for p in Path(folder).rglob("*.yaml") if p.is_file())
    if any(is_list_file(p) for p in files):
        return files
    return files + list_files(folder)


def check_catalog(files: Iterable[str | Path], context: Iterable[str | Path] = ()) -> Verdict:
    """Check ``files`` (with the other files of their catalogue, ``context``, whose own errors are not reported)."""
    files = [Path(f) for f in files]
    checked = {str(f) for f in files}
    everything = list(dict.fromkeys([Path(c) for c in context if str(c) not in checked] + files))
    verdict = Verdict()
    texts: dict[str, str] = {}
    for path in everything:
        try:
            texts[str(path)] = read_text(path)
        except SpecErrors as exc:
            verdict.refuse(str(path), exc.errors)
    _load_lists(verdict, [p for p in everything if is_list_file(p) and str(p) in texts], texts)
    for path in everything:
        source = str(path)
        if is_list_file(path) or source not in texts:
            continue
        try:
            verdict.specs[source] = load_spec_text(texts[source], source, verdict.lists)
        except SpecErrors as exc:
            verdict.refuse(source, exc.errors)
    _cross_checks(verdict, [str(p) for p in everything])
    verdict.errors = {s: e for s, e in verdict.errors.items() if s in checked}
    return verdict


def _load_lists(verdict: Verdict, paths: list[Path], texts: Mapping[str, str]) -> None:
    sources: dict[str, str] = {}
    for path in paths:
        source = str(path)
        try:
            shared = load_list_text(texts[source], source)
        except SpecErrors as exc:
            verdict.refuse(source, exc.errors)
            continue
        if shared.id in sources:
            verdict.refuse(source, [SpecError(source, _line_of(shared.text, "id:"), 1,
                                              f"identifiant de liste « {shared.id} » déjà utilisé par "
                                              f"{sources[shared.id]}")])
            continue
        sources[shared.id] = source
        verdict.lists[shared.id] = shared


def _named(source: str) -> str:
    """A spec file as its author knows it, ``teleservices/patrimoine.yaml``: a message shown in
    the browser names no folder of the server."""
    return "/".join(Path(source).parts[-2:])


def _cross_checks(verdict: Verdict, order: list[str]) -> None:
    """Checks of each spec against the others; a spec that fails them is refused."""
    specs = [verdict.specs[s] for s in order if s in verdict.specs]
    tiers_form = next((s for s in specs if s.kind == "tiers_creation"), None)
    first_id: dict[str, str] = {}
    first_prefix: dict[str, str] = {}
    for spec in specs:
        errors = []
        if spec.id in first_id:
            errors.append(SpecError(spec.source, _line_of(spec.text, "id:"), 1,
                                    f"identifiant « {spec.id} » déjà utilisé par {_named(first_id[spec.id])}"))
        else:
            first_id[spec.id] = spec.source
        if spec.number_prefix and spec.kind == "teleservice":
            if spec.number_prefix in first_prefix:
                errors.append(SpecError(spec.source, *_position_of(spec.text, 1, "number_prefix"),
                                        f"préfixe de numéro « {spec.number_prefix} » déjà utilisé par "
                                        f"{_named(first_prefix[spec.number_prefix])} : deux téléservices auraient les "
                                        "mêmes numéros de demande"))
            else:
                first_prefix[spec.number_prefix] = spec.source
        errors += prefill_errors(spec, tiers_form)
        if errors:
            verdict.refuse(spec.source, errors)


def prefill_errors(spec: Spec, tiers_form: Spec | None) -> list[SpecError]:
    """Every ``prefill`` must name a value that exists, of a type the target field can show."""
    errors = []
    for target in spec.fields():
        if not target.prefill:
            continue
        origin, _, name = target.prefill.partition(".")
        problem = _prefill_problem(target, origin, name, tiers_form, spec.families)
        if problem:
            line, column = _position_of(spec.text, target.line, "prefill")
            errors.append(SpecError(spec.source, line, column, f"pré-remplissage « {target.prefill} » : {problem}"))
    return errors


def _prefill_problem(target: Field, origin: str, name: str, tiers_form: Spec | None,
                     families: tuple[str, ...]) -> str | None:
    if origin == "account":
        source_type = ACCOUNT_PREFILL.get(name)
        if source_type is None:
            return f"le compte n'a pas de donnée « {name} » (données : {', '.join(sorted(ACCOUNT_PREFILL))})"
        source = Field(name, source_type)
    else:
        if tiers_form is None:
            return None  # no Tiers creation form in this catalogue: nothing to check against
        source = next((f for f in tiers_form.fields() if f.id == name), None)
        if source is None:
            return f"le formulaire de création de tiers n'a pas de champ « {name} »"
        if target.locked and target.required:
            problem = _maybe_empty(source, families)
            if problem:
                return (f"« {name} » {problem} : verrouillé (locked) et obligatoire, ce champ resterait vide et "
                        "bloquerait le demandeur ; retirez « required » ou « locked »")
    return prefill_type_problem(source, target)


def _maybe_empty(source: Field, families: tuple[str, ...]) -> str | None:
    """Why a Tiers may lack this value (None when every Tiers of these families has it)."""
    if not source.required:
        return "est facultatif dans le formulaire de création de tiers"
    missing = [family for family in families if not evaluate(source.when, {"famille": family})]
    if missing:
        return f"n'est pas demandé aux tiers de la famille « {missing[0]} » (voir families)"
    return None


def prefill_type_problem(source: Field, target: Field) -> str | None:
    """Why a value of ``source``'s type cannot go into ``target`` (None when it can)."""
    if source.type == target.type:
        if source.type in ("choice", "multiple_choice"):
            missing = {c.value for c in source.choices} - {c.value for c in target.choices}
            if missing:
                return f"valeurs absentes des choix du champ : {', '.join(sorted(missing))}"
        return None
    if target.type in ("text", "textarea") and source.type in _TEXT_VALUES:
        return None
    return (f"une valeur de type {source.type} ne peut pas remplir un champ de type {target.type} "
            f"(voir « Pré-remplissage » dans docs/spec-language.md)")


def _line_of(text: str, prefix: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return 1


def _position_of(text: str, start: int, key: str) -> tuple[int, int]:
    """Line and column of the value of the first ``key:`` at or after line ``start``."""
    lines = text.splitlines()
    for number in range(max(start, 1), len(lines) + 1):
        line = lines[number - 1]
        index = line.find(f"{key}:")
        if index >= 0 and (index == 0 or line[index - 1] in " {,-"):
            after = line[index + len(key) + 1:]
            return number, index + len(key) + 2 + (len(after) - len(after.lstrip()))
    return max(start, 1), 1


# --- portail lint ---------------------------------------------------------------------


def spec_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(catalog_files(path) if path.is_dir() else [path])
    return files


def lint_paths(paths: Iterable[str | Path], catalogue: str | Path | None = None) -> list[SpecError]:
    """Errors of the given files and folders (folders: every ``*.yaml`` inside).

    A folder is a catalogue by itself; a file is checked against the rest of its
    catalogue (the specs folder it lies in, else ``catalogue``, by default the
    served specs folder)."""
    paths = [Path(p) for p in paths]
    files = spec_files(paths)
    context: list[Path] = []
    for path in paths:
        if path.is_dir():
            continue
        context += catalog_files(catalogue_root(path) or Path(catalogue or default_specs_dir()))
    resolved = {f.resolve() for f in files}
    context = [c for c in dict.fromkeys(context) if c.resolve() not in resolved]
    return check_catalog(files, context).all_errors()

