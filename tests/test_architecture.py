"""The recipes of docs/architecture.md, kept true: what adding a field type, a status or a
store requires is checked here (the layer rules: tests/test_code_quality.py)."""
from __future__ import annotations

from runtime import ROOT
from runtime.domain import workflow
from runtime.forms.registry import field_type
from runtime.spec.field_types import field_kinds
from runtime.vocabulary import Status

DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
SPEC_DOC = (ROOT / "docs" / "spec-language.md").read_text(encoding="utf-8")


def test_every_field_type_has_its_form_class_templates_and_doc_section():
    for kind in field_kinds():
        ftype = field_type(kind.name)  # a form class, or the generic one for a type that parses itself
        for template in (ftype.template, ftype.readonly_template):
            assert (ROOT / "templates" / template).exists(), template
        assert f"`{kind.name}`" in SPEC_DOC, kind.name


def test_every_status_has_a_label_a_tag_transitions_and_its_mails():
    for status in Status:
        assert status in workflow.STATUS_LABELS and status in workflow.STATUS_TAGS, status
        assert status in workflow.TRANSITIONS, status
    for target in {t for targets in workflow.TRANSITIONS.values() for t in targets}:
        assert target in workflow.ACTION_LABELS, target
        for suffix in ("subject.txt", "txt", "html"):
            assert (ROOT / "templates" / "mails" / "staff" / f"statut_{target}.{suffix}").exists(), target


def test_the_recipes_name_the_places_that_exist():
    for path in ("runtime/spec/field_types.py", "runtime/vocabulary.py", "runtime/storage/base.py",
                 "runtime/storage/__init__.py", "tests/storage/conftest.py", "runtime/services.py",
                 "tests/harness.py", "tests/forms/parity_corpus.json"):
        assert f"`{path}`" in DOC, path
        assert (ROOT / path).exists(), path


def test_every_script_module_is_loaded_once_core_first_start_last():
    """static/js/portail/*.js are classic scripts on one namespace: base.html loads each once, in
    the order core.js's header gives (core first, start last), and the header names each."""
    import re

    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    loaded = re.findall(r'"(\w+)"', re.search(r"{% for module in \[(.*?)\] %}", base, re.DOTALL)[1])
    modules = sorted(p.stem for p in (ROOT / "static" / "js" / "portail").glob("*.js"))
    assert sorted(loaded) == modules and len(set(loaded)) == len(loaded)
    assert loaded[0] == "core" and loaded[-1] == "start"
    header = (ROOT / "static" / "js" / "portail" / "core.js").read_text(encoding="utf-8").split("*/")[0]
    assert all(f"{name}.js" in header for name in modules)
    assert base.index("js/formulas.js") < base.index("{% for module in")  # computed.js calls Portail.formulas


def test_the_layer_contracts_hold_without_exceptions():
    """docs/architecture.md, rule 4: no ``ignore_imports`` parks a debt in the contracts."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert [c["name"] for c in contracts["contracts"] if c.get("ignore_imports")] == []
