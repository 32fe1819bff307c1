"""The per-page compiled templates: one per (spec version, page), so a new version of a
spec (a reload of the catalogue) renders with its own fields, never a stale template."""
from __future__ import annotations

from flask import current_app, render_template_string

from runtime.forms.templating import page_templates
from runtime.forms.wizard import page_form
from runtime.spec.loader import load_spec_text
from tests.forms.conftest import NO_CSRF, SPEC_YAML

PAGE = '{% import "macros/forms.html" as forms %}{{ forms.render_page(form, page, spec, []) }}'


def render(spec, page_id="identite") -> str:
    form = page_form(spec, page_id, {}, meta=NO_CSRF)
    return render_template_string(PAGE, form=form, page=spec.page(page_id), spec=spec)


def compiled(spec, page_id="identite"):
    return page_templates.get(current_app.jinja_env, spec, spec.page(page_id))


def test_a_page_is_compiled_once_per_version(ctx, spec):
    render(spec)
    assert compiled(spec) is compiled(spec)
    assert compiled(spec, "choix") is not compiled(spec)


def test_a_new_spec_version_gets_a_new_compiled_template(ctx, spec):
    assert "Nom de la structure" in render(spec)
    newer = load_spec_text(SPEC_YAML.replace('version: "1"', 'version: "2"')
                           .replace("label: Nom de la structure", "label: Dénomination"), "essai.yaml")
    assert newer.version_key != spec.version_key
    html = render(newer)
    assert "Dénomination" in html and "Nom de la structure" not in html
    assert compiled(newer) is not compiled(spec)
    assert "Nom de la structure" in render(spec)  # a demande filed under the old version still renders it


def test_an_edited_spec_keeping_its_version_number_is_a_new_version(ctx, spec):
    edited = load_spec_text(SPEC_YAML.replace("label: Ratio", "label: Ratio financier"), "essai.yaml")
    assert edited.version == spec.version and edited.version_key != spec.version_key
    assert "Ratio financier" in render(edited)
    assert compiled(edited) is not compiled(spec)


def _both_templates(spec, page_id):
    """The folded template of a page and the plain template of the same source."""
    env = current_app.jinja_env
    page = spec.page(page_id)
    return page_templates.compile(env, spec, page), env.from_string(page_templates.source(env, page))


def test_compile_time_folding_changes_nothing_in_the_output(ctx, spec):
    # Folding evaluates at compile time what depends only on the spec: every page of
    # every shipped spec, with and without errors, must render exactly as the plain template.
    from runtime import ROOT
    from runtime.spec.loader import load_spec_file

    specs = [spec] + [load_spec_file(path) for path in sorted(p for p in (ROOT / "specs").rglob("*.yaml") if p.parent.name != "listes")]
    for one in specs:
        for page in one.pages:
            folded, plain = _both_templates(one, page.id)  # compiled once, rendered with and without errors
            with_errors = {f.id: "Ce champ est obligatoire." for f in page.fields}
            for errs in ({}, with_errors):
                context = {"form": page_form(one, page.id, {}, meta=NO_CSRF), "page": page, "spec": one,
                           "fields": page.fields, "errs": errs, "answers": {}, "hidden_ids": set()}
                assert folded.render(**context) == plain.render(**context), f"{one.id}/{page.id}"
