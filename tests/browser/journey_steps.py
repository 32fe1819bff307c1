"""Steps shared by the journeys, written as a person reads the screens: fields are
found by their label, buttons by their name (a missing label fails the journey).
"""
from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass

from .browser_support import Journey

WORDS = {"zéro": 0, "un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
         "huit": 8, "neuf": 9, "dix": 10}
_counter = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def label(text: str) -> re.Pattern:
    """A field label, with or without the « (obligatoire) » mark."""
    return re.compile(r"^\s*" + re.escape(text) + r"(\s*\(obligatoire\))?\s*$")


def starts(text: str) -> re.Pattern:
    return re.compile(r"^\s*" + re.escape(text))


@dataclass
class Person:
    civilite: str
    prenom: str
    nom: str
    identifiant: str
    email: str
    password: str

    @classmethod
    def new(cls, prenom: str, nom: str, civilite: str = "Monsieur") -> Person:
        n = f"{next(_counter)}{int(time.time() * 1000) % 10**7}"
        ident = re.sub(r"[^a-z]", "", prenom.lower())[:8] + n
        return cls(civilite, prenom, nom, ident, f"{ident}@exemple.fr", "Vannes-Tennis2026")


@dataclass
class Structure:
    famille: str  # "association" or "commune"
    siret: str
    raison_sociale: str
    rna: str = "W561000123"


def siret_for(seed: int) -> str:
    """A valid SIRET (Luhn on the SIREN and on the whole number), different for each seed."""
    from stdnum import luhn

    siren = f"{4 + seed % 5}{(seed * 7919) % 10**7:07d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + f"{(seed % 9000) + 10:04d}"
    return body + luhn.calc_check_digit(body)


def new_structure(name: str, famille: str = "association") -> Structure:
    seed = next(_counter) * 1000 + int(time.time() * 1000) % 997
    return Structure(famille, siret_for(seed), name)


# --------------------------------------------------------------------------- accounts


def answer_captcha(j: Journey) -> None:
    """Answer the anti-robot question (works with and without JavaScript)."""
    page = j.page
    if j.js and page.locator("[data-captcha]").count():  # the browser's proof of work first
        page.locator("[data-captcha-status]").filter(has_text=re.compile("réussie|n'a pas abouti")).wait_for()
    question = page.locator("label[for=captcha_answer]")
    if not question.count() or not question.is_visible():  # solved: the question is not asked
        return
    text = question.inner_text()
    match = re.search(r"Combien font (\S+) plus (\S+)", text)
    if match:
        page.locator("#captcha_answer").fill(str(WORDS[match.group(1)] + WORDS[match.group(2)]))
    else:  # the test backend
        page.locator("#captcha_answer").fill("ok")


def fill_register(j: Journey, person: Person, password_confirm: str | None = None) -> None:
    page = j.page
    page.get_by_role("group", name=starts("Civilité")).get_by_label(person.civilite, exact=True).check()
    page.get_by_label(label("Nom")).fill(person.nom)
    page.get_by_label(label("Prénom")).fill(person.prenom)
    page.get_by_label(label("Identifiant")).fill(person.identifiant)
    page.get_by_label(label("Adresse e-mail")).fill(person.email)
    page.get_by_label(label("Mot de passe")).fill(person.password)
    page.get_by_label(label("Confirmer le mot de passe")).fill(
        person.password if password_confirm is None else password_confirm
    )


def register(j: Journey, person: Person) -> None:
    page = j.page
    j.goto("/")
    j.step("page de connexion")
    page.get_by_role("link", name="S'inscrire").click()
    assert page.locator("h1").inner_text() == "S'inscrire"
    j.step("inscription")
    fill_register(j, person)
    answer_captcha(j)
    page.get_by_role("button", name="S'inscrire").click()
    assert heading(j) == "Inscription enregistrée", (heading(j), j.error_messages())
    j.step("inscription enregistree")


def activate(j: Journey, person: Person) -> None:
    mail = j.server.wait_for_mail(person.email, "Activez votre compte")
    assert f"Bonjour {person.prenom} {person.nom}" in mail.text or person.prenom in mail.text
    link = mail.link("/activation/")
    assert link.startswith(j.server.url)
    j.goto(link)
    assert heading(j) == "Activer mon compte"  # opening the link does not use it up (mail scanners)
    j.page.get_by_role("button", name="Activer mon compte").click()
    assert "Votre compte est activé. Vous pouvez maintenant vous connecter." in j.page.inner_text("main")
    j.step("compte active")


def login(j: Journey, person: Person, remember: bool = False, use_email: bool = False, password: str | None = None) -> None:
    page = j.page
    if "/connexion" not in page.url:
        j.goto("/connexion")
    page.get_by_label(label("Identifiant ou adresse e-mail")).fill(person.email if use_email else person.identifiant)
    page.get_by_label(label("Mot de passe")).fill(password or person.password)
    if remember:
        page.get_by_label("Se souvenir de moi").check()
    page.get_by_role("button", name="Se connecter").click()


def logout(j: Journey) -> None:
    j.page.get_by_role("button", name=re.compile("Se déconnecter|Déconnexion")).first.click()
    assert "Vous êtes déconnecté." in j.page.inner_text("main")


def new_account(j: Journey, person: Person) -> None:
    register(j, person)
    activate(j, person)
    login(j, person)


# --------------------------------------------------------------------------- spec forms


def group(j: Journey, legend: str):
    """A fieldset found by the start of its legend."""
    return j.page.get_by_role("group", name=starts(legend))


def yes_no(j: Journey, legend: str, value: bool) -> None:
    group(j, legend).get_by_label("Oui" if value else "Non", exact=True).check()


def fill_address(j: Journey, legend: str, street: str, postcode: str, commune: str) -> None:
    box = group(j, legend)
    box.get_by_label(label("Numéro et voie")).fill(street)
    box.get_by_label(label("Code postal")).fill(postcode)
    box.get_by_label(label("Commune")).fill(commune)


def heading(j: Journey) -> str:
    return " ".join(j.page.locator("h1").inner_text().split())


def next_step(j: Journey) -> None:
    j.page.get_by_role("button", name="Suivant", exact=True).click()


def expect_step(j: Journey, number: int, title: str) -> None:
    text = heading(j)
    assert re.fullmatch(rf"Étape {number} sur \d+ : {re.escape(title)}", text), (
        f"attendu l'étape {number} « {title} », obtenu « {text} » ; erreurs : {j.summary_errors() or j.error_messages()}"
    )


def transmit(j: Journey, label_step: str) -> None:
    """On the récapitulatif: tick the attestation and transmit."""
    page = j.page
    assert heading(j) == "Récapitulatif de votre demande"
    j.step(f"recapitulatif {label_step}")
    page.locator("#attestation").check()
    page.get_by_role("button", name="Transmettre").click()


def create_tiers(j: Journey, structure: Structure, person: Person) -> None:
    """Case 1: the Tiers-creation demande, page by page, from the espace personnel."""
    page = j.page
    page.get_by_role("link", name="Créer mon tiers").click()
    expect_step(j, 1, "Famille de la structure")
    j.step("tiers famille")
    group(j, "Je suis ou je représente").get_by_label(
        "Une association" if structure.famille == "association" else "Une commune", exact=True
    ).check()
    next_step(j)
    expect_step(j, 2, "Identification de la structure")
    page.get_by_label(label("Numéro SIRET")).fill(structure.siret)
    page.get_by_label(label("Raison sociale")).fill(structure.raison_sociale)
    if structure.famille == "association":
        page.get_by_label(label("Numéro RNA")).fill(structure.rna)
    else:
        assert page.get_by_label(label("Numéro RNA")).count() == 0 or not page.get_by_label(label("Numéro RNA")).is_visible()
    j.step("tiers identification")
    next_step(j)
    expect_step(j, 3, "Adresse du siège")
    fill_address(j, "Adresse du siège de la structure", "12 allée des Tilleuls", "13001", "Marseille")
    j.step("tiers adresse")
    next_step(j)
    expect_step(j, 4, "Représentant légal")
    group(j, "Civilité").get_by_label("Madame", exact=True).check()
    page.get_by_label(label("Nom")).fill("MARTIN")
    page.get_by_label(label("Prénom")).fill("Claire")
    page.get_by_label(label("Fonction")).fill("Présidente")
    page.get_by_label(label("Adresse électronique")).fill("presidence@exemple.fr")
    page.get_by_label(label("Téléphone")).fill("04 91 00 00 01")
    j.step("tiers representant")
    next_step(j)
    expect_step(j, 5, "Coordonnées de la structure")
    assert page.get_by_label(label("Adresse électronique de la structure")).input_value() == person.email
    page.get_by_label(label("Téléphone de la structure")).fill("0491000002")
    j.step("tiers coordonnees")
    next_step(j)
    transmit(j, "tiers")


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def menu(j: Journey, name: str) -> None:
    """A link of the espace personnel's menu."""
    j.page.get_by_role("navigation", name="Espace personnel").get_by_role("link", name=name).click()


def choose_teleservice(j: Journey, title: str) -> None:
    page = j.page
    menu(j, "Tableau de bord")
    page.get_by_role("link", name="Déposer une nouvelle demande").click()
    assert heading(j) == "Choix du téléservice"
    j.step("choix du teleservice")
    item = page.locator("li").filter(has=page.get_by_role("heading", name=title, exact=True))
    item.get_by_role("button", name="Déposer une demande").click()


def is_shown(locator) -> bool:
    return locator.count() > 0 and locator.first.is_visible()


def fill_row(j: Journey, values: dict[str, str], row: int, table: str | None = None) -> None:
    """Fill one row of a table by its cells' labels (« Montant, ligne 2 »), within the
    table's fieldset when two tables share column names."""
    scope = group(j, table) if table else j.page
    for column, value in values.items():
        control = scope.get_by_label(f"{column}, ligne {row}", exact=True)
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)


def add_row(j: Journey, table_legend: str) -> None:
    group(j, table_legend).get_by_role("button", name="Ajouter une ligne").click()


PROTECTION_NOTE = (
    "À remplir seulement si vous avez répondu « Oui » à « L'édifice ou l'objet est-il protégé au titre "
    "des monuments historiques ? »."
)


def patrimoine_eligibilite(j: Journey, protege: bool = True) -> None:
    """Page 1 of the patrimoine téléservice. With JavaScript the conditional question appears
    live; without, it is shown with a note saying when to answer it, and the server applies
    the condition (the conditional page « Travaux sur monument protégé » follows or not)."""
    expect_step(j, 1, "Critères d'éligibilité")
    protection = group(j, "Type de protection")
    if j.js:
        assert not is_shown(protection), "« Type de protection » ne doit apparaître que pour un édifice protégé"
    else:
        assert is_shown(protection)
        assert PROTECTION_NOTE in " ".join(j.page.locator("main").inner_text().split())
    j.step("eligibilite")
    yes_no(j, "L'édifice ou l'objet est-il situé sur le territoire", True)
    yes_no(j, "Votre structure est-elle propriétaire", True)
    yes_no(j, "L'édifice ou l'objet est-il protégé", protege)
    yes_no(j, "Les travaux ont-ils déjà commencé", False)
    if protege and j.js:
        protection.wait_for(state="visible")  # shown at once, from the same spec, by static/js/portail/live_form.js
        j.step("eligibilite condition affichee")
    if protege:
        protection.get_by_label("Classé monument historique", exact=True).check()
    next_step(j)


PATRIMOINE = "Soutien à la restauration et à la valorisation du patrimoine"


def deposit_patrimoine(j: Journey, structure: Structure, person: Person, protege: bool = True) -> str:
    """Case 1 continued: a demande of the patrimoine téléservice, up to its number."""
    choose_teleservice(j, PATRIMOINE)
    patrimoine_eligibilite(j, protege)
    return continue_patrimoine(j, structure, person, protege)


def continue_patrimoine(
    j: Journey, structure: Structure, person: Person, protege: bool = True, prefilled_email: str | None = None
) -> str:
    """From the page « Votre structure » to the number of the transmitted demande.

    ``prefilled_email``: the address expected in the referent's field (the account's, unless
    another member saved the page before)."""
    page = j.page
    expect_step(j, 2, "Votre structure")
    main = page.locator("main").inner_text()
    assert structure.raison_sociale in main and structure.siret in main.replace(" ", "")
    # Pre-filled from the Tiers and read-only: no input for them.
    assert page.get_by_label(label("Raison sociale")).count() == 0
    referent_email = page.get_by_label(label("Adresse électronique de la personne chargée du dossier"))
    assert referent_email.input_value() == (prefilled_email or person.email)
    referent_email.fill(person.email)
    page.get_by_label(label("Nom et prénom de la personne chargée du dossier")).fill(f"{person.prenom} {person.nom}")
    page.get_by_label(label("Téléphone de la personne chargée du dossier")).fill("0612345678")
    j.step("structure preremplie")
    next_step(j)

    expect_step(j, 3, "Description du projet")
    page.get_by_label(label("Intitulé du projet")).fill("Restauration de la toiture de la chapelle Saint-Roch")
    page.get_by_label(label("Nom de l'édifice ou de l'objet")).fill("Chapelle Saint-Roch")
    fill_address(j, "Adresse de l'édifice", "1 place de l'Église", "13100", "Aix-en-Provence")
    group(j, "Nature de l'intervention").get_by_label("Travaux de restauration", exact=True).check()
    page.get_by_label(label("Description du projet")).fill(
        "La toiture de la chapelle laisse passer l'eau : reprise de la charpente et des tuiles anciennes."
    )
    yes_no(j, "L'édifice est-il ouvert au public", False)
    page.get_by_label(label("Date de début prévue")).fill("2027-04-01")
    page.get_by_label(label("Date de fin prévue")).fill("2027-09-30")
    j.step("projet")
    next_step(j)

    if protege:
        expect_step(j, 4, "Travaux sur monument protégé")
        page.get_by_label(label("Où en est l'autorisation de travaux de la DRAC ?")).select_option(
            label="Demande déposée, en cours d'instruction"
        )
        page.get_by_label(label(
            "Architecte du patrimoine ou architecte en chef des monuments historiques chargé de la maîtrise d'œuvre"
        )).fill("Cabinet Durand")
        j.step("page conditionnelle monument protege")
        next_step(j)

    expect_step(j, 5 if protege else 4, "Budget du projet")
    fill_row(j, {"Poste de dépense": "Charpente et couverture", "Montant HT (€)": "10000"}, 1)
    fill_row(j, {"Financeur": "Métropole", "Nature du financement": "Aide demandée à la Métropole",
                 "Montant (€)": "6000"}, 1)
    add_row(j, "Recettes prévisionnelles")
    fill_row(j, {"Financeur": "Association", "Nature du financement": "Fonds propres", "Montant (€)": "4000"}, 2)
    page.get_by_label(label("Montant de l'aide sollicitée auprès de la Métropole (€)")).fill("6000")
    j.step("budget")
    next_step(j)

    expect_step(j, 6 if protege else 5, "Pièces justificatives")
    # A renamed HTML page is refused, with a French message beside the field; the rest is kept.
    page.get_by_label(label("Devis détaillés des travaux")).set_input_files(
        {"name": "devis.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>alert(1)</script></html>"}
    )
    page.get_by_label(label("Plan de financement signé")).set_input_files(pdf_file("plan.pdf"))
    next_step(j)
    expect_step(j, 6 if protege else 5, "Pièces justificatives")
    assert (
        "Erreur : Le contenu du fichier ne correspond pas à un fichier PDF : il doit être au format PDF."
        in j.error_messages()
    ), j.error_messages()
    j.step("piece refusee")
    page.get_by_label(label("Devis détaillés des travaux")).set_input_files(pdf_file("devis.pdf"))
    page.get_by_label(label("Photographies de l'édifice dans son état actuel")).set_input_files(pdf_file("photos.pdf"))
    if page.get_by_label(label("Plan de financement signé")).count() and "plan.pdf" not in page.locator("main").inner_text():
        page.get_by_label(label("Plan de financement signé")).set_input_files(pdf_file("plan.pdf"))
    j.step("pieces")
    next_step(j)

    transmit(j, "patrimoine")
    assert page.locator("h1").inner_text() == "Demande transmise"
    numero = page.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"PATRIMOINE-\d{4}-\d{6}", numero), numero
    j.step("demande transmise")
    return numero


# --------------------------------------------------------------------------- staff


def staff_login(j: Journey, identifiant: str, password: str) -> None:
    j.goto("/agents/connexion")
    assert heading(j) == "Connexion à l'espace agents"
    j.step("connexion agent")
    j.page.get_by_label(label("Identifiant")).fill(identifiant)
    j.page.get_by_label(label("Mot de passe")).fill(password)
    j.page.get_by_role("button", name="Se connecter").click()
