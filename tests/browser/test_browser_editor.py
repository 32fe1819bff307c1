"""The téléservice editor in Chromium: CodeMirror replaces the textarea, a mistake typed gets a
lint marker at its exact line and column (server lint, debounced), Escape then Tab leaves the
editor, and the corrected text is published with a reason."""
from __future__ import annotations

import pytest

from .browser_support import assert_accessible
from .journey_steps import heading, staff_login

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

    # A mistake typed on line 1: the marker covers « foo: bar » from its first column.
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("foo: bar")
    page.keyboard.press("Enter")
    marker = page.locator(".cm-lintRange-error")
    marker.wait_for(state="visible")
    assert marker.inner_text() == "foo: bar"
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
