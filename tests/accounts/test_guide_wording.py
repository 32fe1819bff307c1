"""Issue 12, item 10: the login and registration pages say what the guide says."""
from __future__ import annotations

import html
import re

from tests.accounts.test_captcha import altcha_app  # noqa: F401 - fixture
from tests.helpers import page_text

GUIDE_NOTE = (
    "*En choisissant de cocher «\u00a0se souvenir de moi\u00a0», vous pourrez accéder à votre compte sans avoir "
    "à vous authentifier pendant une durée de 3 mois. Vous pouvez à tout moment mettre fin à l'authentification "
    "prolongée depuis le bouton déconnexion. Si vous utilisez un ordinateur public ou partagé, nous vous "
    "conseillons de vous déconnecter de votre compte dès la fin de votre navigation et en particulier si vous "
    "avez activé l'accès rapide en 1 clic."
)


def test_remember_me_note_is_the_guides_full_text_with_its_asterisk(client):
    text = html.unescape(page_text(client.get("/connexion")))
    assert re.search(r'for="remember">Se souvenir de moi<span aria-hidden="true">\*</span></label>', text)
    assert f'<div id="remember-hint" class="govuk-hint govuk-checkboxes__hint">{GUIDE_NOTE}</div>' in text


def test_without_javascript_the_question_is_asked_and_the_script_can_hide_it(altcha_app):  # noqa: F811
    text = page_text(altcha_app.test_client().get("/inscription"))
    question = re.search(r"<div data-captcha-question>\s*<label[^>]*for=\"captcha_answer\">Combien font", text)
    assert question, "the arithmetic question is in the page, in a block the script hides once solved"
    assert "<div data-captcha-question hidden" not in text
