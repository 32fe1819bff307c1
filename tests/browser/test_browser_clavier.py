"""A journey driven by the keyboard alone (Tab, Maj+Tab, Entrée, Espace, flèches):
register (the anti-robot check solved by the browser), activate, log in, create the
Tiers page by page and transmit it. The test only reads which element has the focus;
every action goes through ``page.keyboard``."""
from __future__ import annotations

import re

import pytest

from .browser_support import Journey, assert_accessible
from .journey_steps import Person, heading, new_structure

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  const own = el.labels && el.labels.length ? el.labels[0].innerText : (el.innerText || el.value || '');
  return own.replace(/\\s+/g, ' ').trim();
}"""


class Keyboard:
    def __init__(self, j: Journey):
        self.j = j
        self.page = j.page

    def focused(self) -> str:
        return self.page.evaluate(FOCUSED)

    def tab_to(self, name: str, limit: int = 60) -> None:
        """Press Tab until the focused control's label (or text) starts with ``name``."""
        pattern = re.compile(r"^" + re.escape(name))
        seen = []
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            text = self.focused()
            seen.append(text)
            if pattern.match(text):
                return
        raise AssertionError(f"« {name} » n'est pas atteignable au clavier ; focus successifs : {seen}")

    def type_in(self, name: str, text: str) -> None:
        self.tab_to(name)
        self.page.keyboard.type(text)

    def press(self, name: str, key: str = "Enter") -> None:
        """Tab to a button or link and activate it; waits for the page it leads to."""
        self.tab_to(name)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def radio(self, first_option: str, moves: int = 0) -> None:
        """Tab into a radio group (focus on its first option), arrow to the wanted one, Space."""
        self.tab_to(first_option)
        for _ in range(moves):
            self.page.keyboard.press("ArrowDown")
        self.page.keyboard.press("Space")


def test_parcours_au_clavier_seul(new_journey, screens, live_server):
    j = new_journey("clavier")
    kb = Keyboard(j)
    person = Person.new("Hélène", "ROUX", civilite="Madame")
    j.goto("/connexion")
    j.page.keyboard.press("Tab")
    assert kb.focused() == "Aller au contenu", "le lien d'évitement doit être le premier arrêt du clavier"
    kb.press("S'inscrire")
    assert heading(j) == "S'inscrire"
    kb.radio("Madame")
    kb.type_in("Nom", person.nom)
    kb.type_in("Prénom", person.prenom)
    kb.type_in("Identifiant", person.identifiant)
    kb.type_in("Adresse e-mail", person.email)
    kb.type_in("Mot de passe", person.password)
    kb.type_in("Confirmer le mot de passe", person.password)
    # The anti-robot proof of work is solved by the browser: nothing to type.
    j.page.locator("[data-captcha-status]").filter(has_text="Vérification automatique réussie").wait_for()
    j.step("inscription au clavier")
    kb.press("S'inscrire")
    assert heading(j) == "Inscription enregistrée", j.error_messages()

    mail = live_server.wait_for_mail(person.email, "Activez votre compte")
    j.goto(mail.link("/activation/"))  # followed from the mail client
    kb.press("Activer mon compte")
    kb.type_in("Identifiant ou adresse e-mail", person.identifiant)
    kb.type_in("Mot de passe", person.password)
    kb.press("Se connecter")
    assert heading(j) == "Bienvenue sur le Portail des Aides"
    j.step("espace personnel au clavier")

    structure = new_structure("CHORALE DU VIEUX-PORT")
    kb.press("Créer mon tiers")
    assert heading(j).endswith("Famille de la structure")
    kb.radio("Une association")
    kb.press("Suivant")
    assert heading(j).endswith("Identification de la structure"), j.error_messages()
    kb.type_in("Numéro SIRET", structure.siret)
    kb.type_in("Raison sociale", structure.raison_sociale)
    kb.type_in("Numéro RNA", structure.rna)
    kb.press("Suivant")
    assert heading(j).endswith("Adresse du siège"), j.error_messages()
    kb.type_in("Numéro et voie", "3 quai du Port")
    kb.type_in("Code postal", "13002")
    kb.type_in("Commune", "Marseille")
    kb.press("Suivant")
    assert heading(j).endswith("Représentant légal"), j.error_messages()
    kb.radio("Madame")
    kb.type_in("Nom", "ROUX")
    kb.type_in("Prénom", "Hélène")
    kb.type_in("Fonction", "Présidente")
    kb.type_in("Adresse électronique", "presidence@chorale.example")
    kb.type_in("Téléphone", "0491000003")
    kb.press("Suivant")
    assert heading(j).endswith("Coordonnées de la structure"), j.error_messages()
    kb.type_in("Téléphone de la structure", "0491000004")
    kb.press("Suivant")
    assert heading(j) == "Récapitulatif de votre demande", j.error_messages()
    j.step("recapitulatif au clavier")
    kb.tab_to("J'atteste sur l'honneur")
    j.page.keyboard.press("Space")
    assert j.page.locator("#attestation").is_checked()
    kb.press("Transmettre")
    assert heading(j) == "Demande transmise"
    j.step("tiers transmis au clavier")
    assert_accessible(screens)
