"""The téléservice editor in Chromium: CodeMirror replaces the textarea, a mistake typed gets a
lint marker at its exact line and column (server lint, debounced), Escape then Tab leaves the
editor, and the corrected text is published with a reason."""
from __future__ import annotations

import pytest

from .browser_support import assert_accessible
from .journey_steps import heading, label, staff_login

pytestmark = pytest.mark.browser

SPEC_ID = "appel-a-projets-2030"  # tests/browser/specs/: a test téléservice, not a shipped one


def test_editeur_marque_l_erreur_pendant_la_saisie_puis_publie(new_journey, screens, agent):
    j = new_journey("agent")
    page = j.page
    staff_login(j, *agent)
    j.goto(f"/agents/editeur/{SPEC_ID}")
    assert heading(j) == "Modifier « Appel à projets 2030 – équipements sportifs de proximité »"
    editor = page.locator(".portail-editor .cm-content")
    editor.wait_for(state="visible")
    assert not page.locator("textarea#yaml").is_visible()  # enhanced: the textarea stays as the form's field
    j.step("editeur")

    # A mistake typed on line 1: the marker covers the unknown key « foo », from its first column.
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("foo: bar")
    page.keyboard.press("Enter")
    marker = page.locator(".cm-lintRange-error")
    marker.wait_for(state="visible")
    assert marker.inner_text() == "foo"
    assert page.locator(".cm-lint-marker-error").count() == 1
    page.locator(".cm-lint-marker-error").hover()
    tooltip = page.locator(".cm-tooltip-lint")
    tooltip.wait_for(state="visible")
    assert "Ligne 1, colonne 1 : clé inconnue « foo »" in tooltip.inner_text()
    j.step("editeur erreur marquee", audit=False)

    # Keyboard only: Escape then Tab leaves the editor (no focus trap).
    editor.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("!document.activeElement.closest('.cm-editor')"), page.evaluate(
        "document.activeElement.outerHTML.slice(0, 80)")

    # Correct it (delete line 1), add a comment, publish with a reason.
    editor.focus()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Delete")
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("# Relu dans l'éditeur")
    marker.wait_for(state="detached")
    page.get_by_role("button", name="Publier").click()
    assert "Différences avec la version en service" in page.locator("main").inner_text()
    assert "# Relu dans l'éditeur" in page.locator(".portail-diff").inner_text()
    page.get_by_label("Raison de la publication (obligatoire)").fill("Relecture de la spec")
    j.step("editeur publication")
    page.get_by_role("button", name="Confirmer la publication").click()
    assert heading(j) == "Historique des versions de « Appel à projets 2030 – équipements sportifs de proximité »"
    main = page.locator("main").inner_text()
    assert "Version 2030.2 publiée : elle est en service." in main
    assert "Relecture de la spec" in main
    j.step("editeur historique")
    assert_accessible(screens)


def test_editeur_propose_cles_et_valeurs_du_schema(new_journey, agent):
    """Completion from the spec JSON Schema: the keys of a field, the field types, the shared
    list ids for options_from; Enter accepts, Escape closes, the keyboard alone does it all."""
    j = new_journey("agent")
    page = j.page
    staff_login(j, *agent)
    j.goto("/agents/specs/nouveau")
    editor = page.locator(".portail-editor .cm-content")
    editor.wait_for(state="visible")
    page.wait_for_function("() => window.PortailSchemaCompletion !== undefined")  # a function: polled without eval (CSP)

    def choose():  # CodeMirror ignores Enter for 75 ms after a list opens (no accidental choice while typing)
        page.wait_for_timeout(200)
        page.keyboard.press("Enter")

    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("      - id: commune\n        ")
    page.keyboard.type("ty")
    options = page.locator(".cm-tooltip-autocomplete li")
    options.first.wait_for(state="visible")
    assert "type" in options.all_inner_texts()
    assert "id" not in options.all_inner_texts()  # already written in this field
    choose()
    page.keyboard.type("multiple_ch")
    options.first.wait_for(state="visible")
    assert options.all_inner_texts() == ["multiple_choice"]
    choose()
    page.keyboard.insert_text("\n        options_")
    page.keyboard.press("Control+Space")
    options.first.wait_for(state="visible")
    assert options.all_inner_texts() == ["options_from"]
    choose()
    page.keyboard.press("Control+Space")
    options.first.wait_for(state="visible")
    assert {"communes", "domaines-intervention"} <= set(options.all_inner_texts())
    page.keyboard.press("Escape")
    options.first.wait_for(state="detached")
    page.keyboard.type("communes")
    page.keyboard.press("Escape")
    text = page.evaluate("document.getElementById('yaml').value")
    assert text.endswith("      - id: commune\n        type: multiple_choice\n        options_from: communes"), text[-120:]
    assert page.evaluate("""() => window.PortailSchemaCompletion.keysAndValues(
        {properties: {pages: {items: {properties: {fields: {items: {$ref: '#/$defs/f'}}}}}},
         $defs: {f: {properties: {widget: {enum: ['radios', 'select']}}}}},
        ['pages:', '- id: p', '  fields:', '  - id: a'], '    widget: ').values""") == ["radios", "select"]


def test_liste_partagee_modifiee_dans_le_navigateur(new_journey, screens, agent):
    """A shared list in the same editor: a duplicate value marked while typing, the téléservices
    that use the list beside it, the choices added counted, published with a reason."""
    j = new_journey("agent")
    page = j.page
    staff_login(j, *agent)
    j.goto("/agents/specs")
    page.get_by_role("link", name="Modifier la liste Domaines d'intervention de la Métropole").click()
    assert heading(j) == "Modifier la liste « Domaines d'intervention de la Métropole »"
    assert "Subvention de fonctionnement aux associations" in page.get_by_role("region", name="Aperçu de la liste").inner_text()
    editor = page.locator(".portail-editor .cm-content")
    editor.wait_for(state="visible")
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type('  - {value: culture, label: "Doublon"}')
    marker = page.locator(".cm-lintRange-error")
    marker.wait_for(state="visible")
    line = page.evaluate("document.getElementById('yaml').value").count("\n") + 1
    page.locator(".cm-lint-marker-error").hover()
    tooltip = page.locator(".cm-tooltip-lint")
    tooltip.wait_for(state="visible")
    assert f"Ligne {line}, colonne 5 : valeur de choix « culture » en double" in tooltip.inner_text()
    j.step("liste doublon", audit=False)
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Shift+Home")  # to the text's start, then to the line's
    page.keyboard.press("Shift+Home")
    page.keyboard.type('  - {value: numerique, label: "Numérique et innovation"}')
    marker.wait_for(state="detached")
    page.get_by_role("button", name="Publier").click()
    main = page.locator("main").inner_text()
    assert "Différences avec la liste en service" in main and "1 ajouté" in main
    assert "Ajouté : Numérique et innovation (numerique)" in main
    page.get_by_label("Raison de la publication (obligatoire)").fill("Nouveau domaine")
    j.step("liste publication")
    page.get_by_role("button", name="Confirmer la publication").click()
    assert heading(j) == "Historique de la liste « Domaines d'intervention de la Métropole »"
    assert "Nouveau domaine" in page.locator("main").inner_text()
    j.step("liste historique")
    assert_accessible(screens)


def test_sans_javascript_le_texte_se_verifie_et_l_apercu_parcourt_les_etapes(new_journey, screens, agent):
    """Without JavaScript: a textarea, « Vérifier » on submit, the draft's preview walked step by step."""
    j = new_journey("agent", js=False)
    page = j.page
    staff_login(j, *agent)
    j.goto("/agents/specs/nouveau")
    textarea = page.get_by_label("Texte YAML du téléservice")
    assert textarea.is_visible() and page.locator(".portail-editor").count() == 0
    text = textarea.input_value()
    textarea.fill(text.replace("        max_length: 150", "        max_length: 150\n        requierd: true"))
    page.get_by_role("button", name="Vérifier").click()
    line = text.splitlines().index("        max_length: 150") + 2
    assert f"Ligne {line}, colonne 9 : clé inconnue « requierd »" in " ".join(j.summary_errors())
    j.step("sans js erreur")
    page.get_by_label("Texte YAML du téléservice").fill(text)
    page.get_by_role("button", name="Actualiser l'aperçu").click()
    preview = page.get_by_role("region", name="Aperçu du texte : Le projet")
    preview.get_by_label(label("Intitulé du projet")).fill("Fête des voisins")
    preview.get_by_label(label("Montant sollicité (€)")).fill("800")
    preview.get_by_role("button", name="Enregistrer dans l'aperçu et continuer").click()
    recap = page.get_by_role("region", name="Aperçu du texte : Récapitulatif")
    assert "Fête des voisins" in recap.inner_text() and "800,00" in recap.inner_text()
    assert page.get_by_label("Texte YAML du téléservice").input_value() == text  # the text is still the one typed
    j.step("sans js apercu recapitulatif")
    assert_accessible(screens)
