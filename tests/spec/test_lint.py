"""Every shipped spec lints clean; every mistake of the corpus (tests/spec/mistakes/, one realistic
staff mistake per file, first line ``# attendu: LIGNE: fragment du message``) yields its message at its line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runtime import ROOT
from runtime.cli import main
from runtime.spec.lint import lint_paths
from runtime.spec.loader import load_spec_file

SHIPPED = sorted((ROOT / "specs").rglob("*.yaml"))
BROKEN = sorted((Path(__file__).parent / "mistakes").glob("*.yaml"))
PROGRAM_WORDS = ("None", "{'", "[]", "True", "False", "Traceback", "dict", "NoneType")
MODELINE = "# yaml-language-server: $schema=../../runtime/spec/schema/spec.schema.json"
ALL_TYPES = {
    "text", "textarea", "integer", "decimal", "amount", "percentage", "date", "email", "phone", "url",
    "yes_no", "choice", "multiple_choice", "checkbox", "siret", "rna", "iban", "address", "file", "table",
    "heading", "paragraph",
}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_spec_lints_clean(path):
    assert lint_paths([path]) == []
    modeline = MODELINE.replace("spec.schema", "list.schema") if path.parent.name == "listes" else MODELINE
    assert path.read_text(encoding="utf-8").splitlines()[0] == modeline


def test_shipped_specs_together_lint_clean():
    assert lint_paths([ROOT / "specs"]) == []


def test_teleservices_use_every_field_type():
    used = set()
    for path in (ROOT / "specs" / "teleservices").glob("*.yaml"):
        for field in load_spec_file(path).fields():
            used.add(field.type)
            used.update(column.type for column in field.columns)
    assert used == ALL_TYPES


def _expectation(path: Path) -> tuple[int, str]:
    match = re.match(r"# attendu: (\d+): (.+)", path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name} : première ligne « # attendu: LIGNE: message » manquante"
    return int(match.group(1)), match.group(2).strip()


def test_mistake_corpus_is_large_and_numbered():
    assert len(BROKEN) >= 60
    assert [p.name[:2] for p in BROKEN] == [f"{n:02d}" for n in range(1, len(BROKEN) + 1)]


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_spec_reports_message_at_line(path):
    line, fragment = _expectation(path)
    errors = lint_paths([path])
    assert errors, "aucune erreur signalée"
    found = [e for e in errors if fragment in e.message]
    assert found, [str(e) for e in errors]
    assert found[0].line == line
    assert found[0].source == str(path)
    assert str(found[0]).startswith(f"{path}:{line}:{found[0].column}: ")
    for error in errors:  # never a program word in what a staff member reads
        assert not any(word in error.message for word in PROGRAM_WORDS), str(error)


def test_lint_reports_errors_of_all_files_at_once(tmp_path):
    errors = lint_paths(BROKEN)
    assert {e.source for e in errors} == {str(p) for p in BROKEN}


def test_duplicate_spec_id_across_files(tmp_path):
    text = (ROOT / "specs" / "tiers" / "rattachement.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    errors = lint_paths([tmp_path])
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'b.yaml'}:2:1: identifiant « rattachement » déjà utilisé par {tmp_path.name}/a.yaml"
    ]


def test_prefill_from_unknown_tiers_field(tmp_path):
    (tmp_path / "tiers.yaml").write_text((ROOT / "specs/tiers/creation-tiers.yaml").read_text(encoding="utf-8"))
    text = (ROOT / "specs/teleservices/patrimoine.yaml").read_text(encoding="utf-8")
    (tmp_path / "p.yaml").write_text(text.replace("prefill: tiers.raison_sociale", "prefill: tiers.nom"))
    errors = [str(e) for e in lint_paths([tmp_path])]
    assert len(errors) == 1
    assert errors[0].endswith("pré-remplissage « tiers.nom » : le formulaire de création de tiers n'a pas de champ « nom »")


def test_cli_lint_exits_1_with_located_messages():
    result = CliRunner().invoke(main, ["lint", str(BROKEN[0].parent)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    unknown_key = BROKEN[0].parent / "37-unknown-key.yaml"
    assert any(line.startswith(f"{unknown_key}:12:9: clé inconnue « requierd »") for line in lines)
    assert lines[-1] == f"{len(lint_paths([BROKEN[0].parent]))} erreur(s)."


def test_cli_lint_clean_specs():
    result = CliRunner().invoke(main, ["lint", str(ROOT / "specs")])
    assert result.exit_code == 0
    assert result.output.strip() == "Aucune erreur."


def test_cli_schema_prints_answers_schema():
    import json

    result = CliRunner().invoke(main, ["schema", "patrimoine"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["properties"]["depenses"]["type"] == "array"
    assert "intitule" in schema["required"]
