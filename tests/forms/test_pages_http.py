"""Pages rendered and posted through HTTP (test blueprint of conftest.py)."""
from __future__ import annotations

import io
import re

import pytest


def html_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<[a-z]+ [^>]*id="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"pas d'élément #{element_id}"
    return match.group(0)


def test_labels_hints_and_autocomplete(fclient):
    html = html_of(fclient.get("/essai/identite"))
    assert '<label class="govuk-label" for="nom">Nom de la structure <span class="portail-required">(obligatoire)</span></label>' in html
    assert "Les champs suivis de la mention" in html  # the marker is explained
    assert 'autocomplete="organization"' in tag(html, "nom")
    assert 'aria-describedby="description-hint"' in tag(html, "description")
    assert 'autocomplete="postal-code"' in tag(html, "adresse-postcode")
    assert re.search(r'<fieldset class="govuk-fieldset" id="adresse"[^>]*>\s*<legend[^>]*>Adresse du siège', html)
    assert '<h2 class="govuk-heading-m">Votre structure</h2>' in html
    assert 'type="date"' in tag(html, "date_debut")


def test_error_summary_and_messages_tied_to_fields(fclient):
    html = html_of(fclient.post("/essai/identite", data={"nom": "", "montant": "douze", "adresse-street": "1 rue A",
                                                        "adresse-postcode": "13001", "adresse-commune": "Aix"}))
    assert 'class="govuk-error-summary"' in html and 'role="alert"' in html
    assert '<a href="#nom">Renseignez le champ «\u00a0Nom de la structure\u00a0».</a>' in html
    assert '<a href="#montant">Saisissez un montant en euros, par exemple 1 234,50.</a>' in html
    assert 'aria-describedby="nom-error"' in tag(html, "nom")
    assert 'aria-describedby="montant-hint montant-error"' in tag(html, "montant")
    assert '<p id="montant-error" class="govuk-error-message"><span class="govuk-visually-hidden">Erreur :</span> Saisissez un montant en euros, par exemple 1 234,50.</p>' in html
    assert 'value="douze"' in tag(html, "montant")  # what was typed comes back
    assert 'value="1 rue A"' in tag(html, "adresse-street")


def test_radios_in_fieldset_and_redisplayed(fclient):
    html = html_of(fclient.post("/essai/choix", data={"subventionne": "true", "statut": "commune"}))
    assert 'checked' in tag(html, "statut-2")  # "commune" is the second choice
    assert 'checked' in tag(html, "subventionne")
    assert '<a href="#domaines">Cochez au moins une réponse pour «\u00a0Domaines d&#39;action\u00a0».</a>' in html
    assert re.search(r'<fieldset class="govuk-fieldset" aria-describedby="domaines-hint domaines-error">\s*'
                     r'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Domaines d&#39;action', html)


def test_conditional_field_hidden_ignored_and_its_errors_dropped(fclient, draft):
    data = {"subventionne": "false", "montant_precedent": "pas un montant", "statut": "commune",
            "domaines": "sport", "accord": "true"}
    assert fclient.post("/essai/choix", data=data).get_data(as_text=True) == "enregistré"
    assert "montant_precedent" not in draft.answers
    html = html_of(fclient.get("/essai/choix"))
    wrapper = tag(html, "champ-montant_precedent")
    assert "data-when='{\"equals\": true, \"field\": \"subventionne\"}'" in wrapper
    # its condition reads a field of this page: shown without JavaScript, with a note; marked as
    # not asked, so that a scripted page hides it from its first paint (.js [data-unasked])
    assert "hidden" not in wrapper and "data-unasked" in wrapper
    assert ('<p class="govuk-inset-text portail-nojs-only">À remplir seulement si vous avez répondu «\u00a0Oui\u00a0» '
            "à «\u00a0Avez-vous déjà été subventionné ?\u00a0».</p>") in html


def test_field_depending_on_another_page_is_hidden(ctx, spec):
    from dataclasses import replace

    from runtime.forms.templating import FormsHelper

    page = spec.page("choix")
    fields = tuple(replace(f, when={"field": "nom", "equals": "Autre"}) if f.id == "statut_liste" else f
                   for f in page.fields)
    page = replace(page, fields=fields)
    helper = FormsHelper()
    assert helper.hidden_ids(spec, page, {"nom": "Les Amis"}) == {"statut_liste"}
    assert helper.hidden_ids(spec, page, {"nom": "Autre"}) == set()
    assert helper.condition_note(spec, page, fields[3]) == ""


def test_a_conditional_text_says_when_it_applies_not_to_fill_it(ctx, spec):
    from dataclasses import replace

    from runtime.forms.templating import FormsHelper
    from runtime.spec.model import Field

    page = spec.page("choix")
    note = Field("note", "paragraph", options={"text": "Un cas à part."}, when={"field": "subventionne", "equals": True})
    page = replace(page, fields=(*page.fields, note))
    assert FormsHelper().condition_note(spec, page, note) == (
        "Concerne seulement le cas où vous avez répondu «\u00a0Oui\u00a0» à «\u00a0Avez-vous déjà été subventionné ?\u00a0».")


def test_conditional_field_shown_and_required_when_condition_holds(fclient, draft):
    data = {"subventionne": "true", "statut": "commune", "domaines": "sport", "accord": "true"}
    html = html_of(fclient.post("/essai/choix", data=data))
    assert '<a href="#montant_precedent">Renseignez le champ «\u00a0Montant de la subvention précédente\u00a0».</a>' in html
    assert "hidden" not in tag(html, "champ-montant_precedent")
    assert "data-unasked" not in tag(html, "champ-montant_precedent")


def test_table_rows_labelled_and_errors_on_row_path(fclient):
    data = {"depenses-0-poste": "Travaux", "depenses-0-montant": "100", "depenses-1-poste": "Études",
            "depenses-1-montant": "cent", "depenses-2-poste": "", "depenses-2-montant": ""}
    html = html_of(fclient.post("/essai/budget", data=data))
    assert '<a href="#depenses-1-montant">Dépenses, ligne 2 : Saisissez un montant en euros, par exemple 1 234,50.</a>' in html
    assert '<label class="govuk-label govuk-visually-hidden" for="depenses-1-montant">Montant, ligne 2</label>' in html
    assert 'aria-describedby="depenses-1-montant-error"' in tag(html, "depenses-1-montant")
    assert 'value="cent"' in tag(html, "depenses-1-montant")
    assert re.search(r'<fieldset class="govuk-fieldset" id="depenses"[^>]*>\s*<legend', html)
    # without JavaScript, the page posted by a table button opens at the new row, or at the table
    assert 'value="add:depenses" formaction="#depenses-3-poste"' in html
    assert 'value="remove:depenses:1" formaction="#depenses"' in html


def test_table_min_rows_and_totals(fclient, draft):
    html = html_of(fclient.post("/essai/budget", data={"depenses-0-poste": "", "depenses-0-montant": ""}))
    assert '<a href="#depenses">Ajoutez au moins 1 ligne au tableau «\u00a0Dépenses\u00a0».</a>' in html
    data = {"depenses-0-poste": "Travaux", "depenses-0-montant": "1 000", "depenses-1-poste": "Études",
            "depenses-1-montant": "234,5", "recettes-0-financeur": "Ville", "recettes-0-montant": "1234,50"}
    assert fclient.post("/essai/budget", data=data).get_data(as_text=True) == "enregistré"
    assert draft.answers["depenses"] == [{"poste": "Travaux", "montant": "1000.00"},
                                         {"poste": "Études", "montant": "234.50"}]
    html = html_of(fclient.get("/essai/budget"))
    assert '<output aria-live="polite">1\u202f234,50\u00a0€</output>'.replace("\u00a0", "\u202f") in html
    assert "Total des dépenses : <strong><output aria-live=\"polite\">1\u202f234,50\u202f€</output>" in html


def test_table_max_rows(fclient):
    data = {f"depenses-{i}-poste": f"Poste {i}" for i in range(5)}
    data.update({f"depenses-{i}-montant": "1" for i in range(5)})
    html = html_of(fclient.post("/essai/budget", data=data))
    assert "Le tableau «\u00a0Dépenses\u00a0» ne peut pas avoir plus de 4 lignes." in html


def test_rule_flagged_on_its_field(fclient):
    data = {"depenses-0-poste": "Travaux", "depenses-0-montant": "100",
            "recettes-0-financeur": "Ville", "recettes-0-montant": "90"}
    html = html_of(fclient.post("/essai/budget", data=data))
    assert '<a href="#recettes">Le budget doit être équilibré.</a>' in html
    assert 'data-rule=' in html


def test_add_and_remove_rows_without_javascript(fclient, draft):
    data = {"depenses-0-poste": "A", "depenses-0-montant": "1", "depenses-1-poste": "B", "depenses-1-montant": "2",
            "_action": "add:depenses"}
    html = html_of(fclient.post("/essai/budget", data=data))
    assert "govuk-error-summary" not in html
    assert 'id="depenses-2-poste"' in html and 'value=""' in tag(html, "depenses-2-poste")
    assert draft.answers["depenses"][1] == {"poste": "B", "montant": "2.00"}
    data["_action"] = "remove:depenses:0"
    html = html_of(fclient.post("/essai/budget", data=data))
    assert 'value="B"' in tag(html, "depenses-0-poste")
    assert draft.answers["depenses"] == [{"poste": "B", "montant": "2.00"}]


def test_blank_rows_offered_on_an_empty_table(fclient):
    html = html_of(fclient.get("/essai/budget"))
    assert 'id="depenses-2-poste"' in html and 'id="depenses-3-poste"' not in html
    assert "<template data-row-template>" in html
    assert "Ajouter une ligne" in html


def pdf(name="statuts.pdf", content=b"%PDF-1.4 test"):
    return (io.BytesIO(content), name)


def test_file_uploaded_kept_and_removed(fclient, draft):
    draft.answers = {"subventionne": True}
    html = html_of(fclient.post("/essai/pieces", data={"statuts": pdf(content=b"<html>")}))
    assert '<a href="#statuts">Le contenu du fichier ne correspond pas à un fichier PDF : il doit être au format PDF.</a>' in html
    assert fclient.post("/essai/pieces", data={"statuts": pdf()}).get_data(as_text=True) == "enregistré"
    assert draft.answers["statuts"]["filename"] == "statuts.pdf"
    # no new file: the stored one is kept
    assert fclient.post("/essai/pieces", data={}).get_data(as_text=True) == "enregistré"
    assert draft.answers["statuts"]["file_id"] == "f1"
    html = html_of(fclient.get("/essai/pieces"))
    assert "Fichier actuel : <strong>statuts.pdf (10 octets)</strong>" in html
    assert 'enctype="multipart/form-data"' in html
    html = html_of(fclient.post("/essai/pieces", data={"statuts-remove": "true"}))
    assert '<a href="#statuts">Joignez le document «\u00a0Statuts\u00a0».</a>' in html
    assert "statuts" not in draft.answers


def test_file_refusals(fclient, draft):
    draft.answers = {"subventionne": True}
    html = html_of(fclient.post("/essai/pieces", data={"statuts": pdf("statuts.exe")}))
    assert "Le fichier doit être au format PDF." in html
    big = b"%PDF-" + b"0" * (1024 * 1024)
    html = html_of(fclient.post("/essai/pieces", data={"statuts": pdf(content=big)}))
    assert "Le fichier dépasse la taille maximale de 1 Mo." in html
    assert draft.saved == []


def test_readonly_recap(fclient, draft):
    draft.answers = {"nom": "Les Amis", "montant": "1234.50", "date_debut": "2026-07-14", "subventionne": True,
                     "domaines": ["culture", "sport"], "depenses": [{"poste": "Travaux", "montant": "100.00"}],
                     "adresse": {"street": "1 rue A", "postcode": "13001", "commune": "Aix"}}
    html = html_of(fclient.get("/essai-recap"))
    assert '<dt class="govuk-summary-list__key">Montant demandé</dt>' in html
    assert "1\u202f234,50\u202f€" in html
    assert "14/07/2026" in html
    assert "Culture, Sport" in html
    assert "1 rue A, 13001 Aix" in html
    assert '<th scope="row" class="govuk-table__header">Total</th>' in html
    assert "Non renseigné" in html
    assert '<h2 class="govuk-heading-m">Pièces</h2>' in html  # visible page (subventionne)


def test_file_of_a_hidden_page_field_is_not_stored(ctx, spec):
    from dataclasses import replace

    from werkzeug.datastructures import FileStorage, MultiDict

    from runtime.forms.wizard import validate_page

    page = spec.page("pieces")
    fields = (replace(page.fields[0], when={"field": "subventionne", "equals": True}),)
    hidden_spec = replace(spec, digest="hidden-file", pages=(replace(page, fields=fields),))
    saved = []
    files = MultiDict({"statuts": FileStorage(io.BytesIO(b"%PDF-1.4"), "statuts.pdf")})
    result = validate_page(hidden_spec, "pieces", MultiDict(), files, {"subventionne": False},
                           save_file=saved.append, meta={"csrf": False})
    assert saved == [] and result.errors == [] and "statuts" not in result.answers


def test_error_summary_lists_errors_of_the_one_type(ctx):
    from flask import render_template_string

    from runtime.spec.errors import Error

    summary = '{% import "macros/forms.html" as forms %}{{ forms.error_summary(errors) }}'
    errors = [Error("email", "Saisissez votre adresse e-mail."), Error("email", "Second message, shown beside."),
              Error("", "Le téléservice est fermé."), Error("", "La demande est déjà transmise."),
              Error("depenses/2/montant", "Saisissez un montant.")]
    html = render_template_string(summary, errors=errors)
    assert '<a href="#email">Saisissez votre adresse e-mail.</a>' in html and "Second message" not in html
    assert "<li>Le téléservice est fermé.</li>" in html and "<li>La demande est déjà transmise.</li>" in html
    assert '<a href="#depenses-2-montant">Saisissez un montant.</a>' in html
    assert render_template_string('{% import "macros/forms.html" as forms %}{{ forms.error_summary([]) }}') == ""
    with pytest.raises(AttributeError):  # no other shape: a dict of field → message is not an error list
        render_template_string(summary, errors={"email": ["Saisissez votre adresse e-mail."]})


def test_error_summary_takes_links_labels_and_an_introduction(ctx):
    from flask import render_template_string

    from runtime.spec.errors import Error

    html = render_template_string(
        '{% import "macros/forms.html" as forms %}'
        '{% macro href(e) %}/etape/{{ e.page_id }}#{{ e.anchor }}{% endmacro %}'
        '{% macro label(e) %}Étape {{ e.page_id }} : {{ e.message }}{% endmacro %}'
        '{% call forms.error_summary(errors, title="Refusée", href=href, label=label, always=True) %}'
        '<p>Le service a refusé.</p>{% endcall %}',
        errors=[Error("nom", "Saisissez le nom.", page_id="identite")])
    assert "Refusée" in html and "<p>Le service a refusé.</p>" in html
    assert '<a href="/etape/identite#nom">Étape identite : Saisissez le nom.</a>' in html
    intro_only = render_template_string(
        '{% import "macros/forms.html" as forms %}{% call forms.error_summary([], always=True) %}'
        '<p>Refus.</p>{% endcall %}')
    assert "<p>Refus.</p>" in intro_only and "<ul" not in intro_only


def test_recap_shows_a_value_that_could_not_be_read_as_typed(fclient, draft):
    # A draft keeps what was typed, even text in an amount cell: the récapitulatif shows it as typed.
    draft.answers = {"nom": "Les Amis", "montant": "douze", "depenses": [{"poste": "Travaux", "montant": "abc"}]}
    response = fclient.get("/essai-recap")
    assert response.status_code == 200
    html = html_of(response)
    assert "douze" in html and "abc" in html
