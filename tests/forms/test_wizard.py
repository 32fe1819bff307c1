"""Wizard logic: visible pages, states, locked prefill, whole-demande validation, form cache."""
from __future__ import annotations

from dataclasses import replace

import pytest

from runtime.forms.answers_check import schema_errors
from runtime.forms.builder import build_page_form
from runtime.forms.registry import UnknownFieldType, check_field_types, field_type, type_names
from runtime.forms.wizard import page_form, page_states, validate_demande, visible_pages
from runtime.spec.model import Field, Page, Spec
from tests.forms.conftest import messages, post

COMPLETE = {
    "nom": "Les Amis", "montant": "100.00",
    "adresse": {"street": "1 rue A", "postcode": "13001", "commune": "Aix"},
    "subventionne": False, "statut": "association", "domaines": ["culture"], "accord": True,
    "depenses": [{"poste": "Travaux", "montant": "100.00"}],
    "recettes": [{"financeur": "Ville", "montant": "100.00"}],
}


def test_visible_pages_follow_conditions(spec):
    assert [p.id for p in visible_pages(spec, COMPLETE)] == ["identite", "choix", "budget"]
    assert [p.id for p in visible_pages(spec, {**COMPLETE, "subventionne": True})][-1] == "pieces"


def test_complete_demande_has_no_error(ctx, spec):
    assert validate_demande(spec, COMPLETE) == []


def test_validate_demande_reports_every_page(ctx, spec):
    answers = {**COMPLETE, "subventionne": True, "montant": "12x"}
    del answers["nom"]
    errors = {(e.path, e.page_id): e.message for e in validate_demande(spec, answers)}
    assert errors == {
        ("nom", "identite"): "Renseignez le champ «\u00a0Nom de la structure\u00a0».",
        ("montant", "identite"): "Saisissez un montant en euros, par exemple 1 234,50.",
        ("montant_precedent", "choix"): "Renseignez le champ «\u00a0Montant de la subvention précédente\u00a0».",
        ("statuts", "pieces"): "Joignez le document «\u00a0Statuts\u00a0».",
    }


def test_validate_demande_checks_rules_and_table_rows(ctx, spec):
    answers = {**COMPLETE, "depenses": [{"poste": "Travaux", "montant": "90.00"}, {"montant": "10.00"}]}
    errors = {e.path: e.message for e in validate_demande(spec, answers)}
    assert errors == {"depenses/1/poste": "Dépenses, ligne 2 : Renseignez le champ «\u00a0Poste\u00a0»."}
    answers["recettes"] = [{"financeur": "Ville", "montant": "90.00"}]
    answers["depenses"] = [{"poste": "Travaux", "montant": "100.00"}]
    errors = [(e.path, e.message, e.page_id) for e in validate_demande(spec, answers)]
    assert errors == [("recettes", "Le budget doit être équilibré.", "budget")]


def test_schema_errors_become_french_messages_at_field_paths(ctx, spec):
    answers = {**COMPLETE, "statut": "entreprise", "inconnu": 1,
               "depenses": [{"poste": "Travaux"}], "adresse": {"street": "1 rue A", "postcode": "123"}}
    del answers["nom"]
    found = {(e.path, e.page_id): e.message for e in schema_errors(spec, answers)}
    assert found == {
        ("nom", "identite"): "Renseignez le champ «\u00a0Nom de la structure\u00a0».",
        ("statut", "choix"): "Choisissez une des réponses proposées pour «\u00a0Statut\u00a0».",
        ("inconnu", None): "Cette réponse ne correspond à aucune question du formulaire.",
        ("depenses/0/montant", "budget"): "Dépenses, ligne 1 : Renseignez le champ «\u00a0Montant\u00a0».",
        ("adresse/commune", "identite"): "Renseignez le champ «\u00a0Commune\u00a0».",
        ("adresse/postcode", "identite"): "La réponse à «\u00a0Code postal\u00a0» n'est pas valide.",
    }
    for message in found.values():
        assert "is not" not in message and "required property" not in message


def test_page_states(ctx, spec):
    answers = {**COMPLETE, "montant": "abc"}
    del answers["depenses"]
    assert page_states(spec, answers) == {"identite": "en_erreur", "choix": "complete", "budget": "a_completer"}
    assert page_states(spec, COMPLETE, visited={"identite"})["choix"] == "a_completer"


def locked_spec(spec: Spec) -> Spec:
    page = spec.page("identite")
    fields = tuple(replace(f, prefill="tiers.siret", locked=True) if f.id == "siret" else
                   replace(f, prefill="account.email") if f.id == "courriel" else f for f in page.fields)
    return replace(spec, digest="locked", pages=(replace(page, fields=fields),) + spec.pages[1:])


def test_locked_prefill_wins_over_the_post(ctx, spec):
    locked = locked_spec(spec)
    prefill = {"tiers": {"siret": "73282932000074"}, "account": {"email": "a@exemple.fr"}}
    data = {"nom": "X", "montant": "1", "siret": "35600000000048", "courriel": "b@exemple.fr",
            "adresse-street": "1 rue A", "adresse-postcode": "13001", "adresse-commune": "Aix"}
    result = post(locked, "identite", data, prefill=prefill)
    assert result.errors == []
    assert result.answers["siret"] == "73282932000074"
    assert result.answers["courriel"] == "b@exemple.fr"  # not locked: the applicant may change it
    form = page_form(locked, "identite", {}, prefill, meta={"csrf": False})
    assert form.courriel._value() == "a@exemple.fr"


def test_hidden_field_posted_data_ignored(ctx, spec):
    data = {"subventionne": "false", "montant_precedent": "500", "statut": "commune", "domaines": "sport",
            "accord": "true"}
    result = post(spec, "choix", data, answers={"montant_precedent": "400.00"})
    assert result.errors == []
    assert "montant_precedent" not in result.answers


def test_form_class_cached_per_version(spec):
    first = build_page_form(spec, "identite")
    assert build_page_form(spec, "identite") is first
    changed = replace(spec, digest="autre-version")
    assert build_page_form(changed, "identite") is not first
    assert build_page_form(spec, "choix") is not first


def test_every_spec_type_registered():
    assert set(type_names()) >= {
        "text", "textarea", "integer", "decimal", "amount", "percentage", "date", "email", "phone", "url",
        "yes_no", "choice", "multiple_choice", "checkbox", "siret", "rna", "iban", "address", "file", "table",
        "heading", "paragraph"}


def test_unknown_type_is_refused():
    with pytest.raises(UnknownFieldType, match="Type de champ inconnu : couleur"):
        check_field_types([Field("teinte", "couleur", label="Teinte")])
    with pytest.raises(UnknownFieldType):
        field_type("couleur")


def test_duplicate_type_name_refused():
    from runtime.forms.registry import FieldType, register

    class Again(FieldType):
        name = "text"

    with pytest.raises(ValueError, match="Type de champ déclaré deux fois : text"):
        register(Again)


def test_reserved_field_id_refused():
    bad = Spec(id="x", kind="teleservice", version="1", title="X", digest="r",
               pages=(Page(id="p", title="P", fields=(Field("validate", "text", label="Valider"),)),))
    with pytest.raises(ValueError, match="Identifiant de champ réservé : validate"):
        build_page_form(bad, "p")


def test_shipped_specs_render(app, client):
    """Every page of every shipped spec renders through render_page."""
    from pathlib import Path

    from flask import render_template_string

    from runtime.spec.loader import load_spec_file

    template = '{% import "macros/forms.html" as forms %}{{ forms.render_page(form, page, spec) }}'
    with app.test_request_context():
        for path in sorted(p for p in Path(app.config["SPECS_DIR"]).rglob("*.yaml") if p.parent.name != "listes"):
            loaded = load_spec_file(path)
            for page in loaded.pages:
                form = page_form(loaded, page.id, {})
                html = render_template_string(template, form=form, page=page, spec=loaded)
                assert 'name="csrf_token"' in html
                assert messages  # keep the helper import used


def test_locked_field_rendered_read_only(ctx, spec):
    from flask import render_template_string

    locked = locked_spec(spec)
    prefill = {"tiers": {"siret": "73282932000074"}}
    form = page_form(locked, "identite", {}, prefill, meta={"csrf": False})
    html = render_template_string('{% import "macros/forms.html" as forms %}{{ forms.render_page(form, page, spec) }}',
                                  form=form, page=locked.page("identite"), spec=locked)
    assert 'name="siret"' not in html
    assert "732 829 320 00074" in html
    assert "Information reprise de votre profil : elle ne peut pas être modifiée ici." in html


def test_every_type_has_its_templates(light_app, tmp_path):
    import jinja2

    from runtime.forms.templating import check_templates

    check_templates(light_app.jinja_env, light_app.template_folder)  # raises when a template is missing
    empty = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)))
    with pytest.raises(RuntimeError, match="Gabarits de champ manquants : fields/"):
        check_templates(empty, str(tmp_path))


def test_page_states_use_the_prefill(ctx, spec):
    locked = locked_spec(spec)
    page = locked.page("identite")
    required = tuple(replace(f, required=True) if f.id == "siret" else f for f in page.fields)
    locked = replace(locked, digest="locked-required", pages=(replace(page, fields=required),) + locked.pages[1:])
    answers = {k: v for k, v in COMPLETE.items()}
    assert page_states(locked, answers)["identite"] == "a_completer"
    prefill = {"tiers": {"siret": "73282932000074"}}
    assert page_states(locked, answers, prefill=prefill)["identite"] == "complete"


def test_table_with_choice_and_yes_no_columns(ctx):
    from flask import render_template_string

    from runtime.spec.model import Choice

    table = Field("lignes", "table", label="Lignes", options={"min_rows": 1}, columns=(
        Field("nature", "choice", label="Nature", required=True, choices=(Choice("etat", "État"), Choice("region", "Région"))),
        Field("acquis", "yes_no", label="Acquis", required=True),
    ))
    spec = Spec(id="t", kind="teleservice", version="1", title="T", digest="tab",
                pages=(Page(id="p", title="P", fields=(table,)),))
    result = post(spec, "p", {"lignes-0-nature": "etat", "lignes-0-acquis": "false",
                              "lignes-1-nature": "mairie", "lignes-1-acquis": ""})
    assert result.answers["lignes"][0] == {"nature": "etat", "acquis": False}
    assert messages(result) == {
        "lignes/1/nature": "Lignes, ligne 2 : Choisissez une des réponses proposées.",
        "lignes/1/acquis": "Lignes, ligne 2 : Choisissez une réponse pour «\u00a0Acquis\u00a0».",
    }
    html = render_template_string('{% import "macros/forms.html" as forms %}{{ forms.render_page(form, page, spec) }}',
                                  form=result.form, page=spec.page("p"), spec=spec)
    assert '<option value="false" selected>Non</option>' in html
    assert '<option value="etat" selected>État</option>' in html


@pytest.mark.parametrize("kind", ["integer", "amount", "decimal", "percentage"])
def test_a_required_number_answered_zero_is_answered(ctx, kind):
    zero = Field("nombre", kind, label="Nombre", required=True, options={"min": 0, "max": 0})
    spec = Spec(id="z", kind="teleservice", version="1", title="Z", digest=f"zero-{kind}",
                pages=(Page(id="p", title="P", fields=(zero,)),))
    assert messages(post(spec, "p", {"nombre": "0"})) == {}
    assert messages(post(spec, "p", {"nombre": ""})) == {"nombre": "Renseignez le champ «\u00a0Nombre\u00a0»."}
