"""Issue 6 in Chromium: the other shipped téléservices. An association deposits the
« Subvention de fonctionnement aux associations » end to end (live conditions, tables
with totals, a rule flagged before leaving the page, uploads, récapitulatif, number, mail);
a commune deposits the « Aide à l'investissement des communes » end to end (conditional
question and document, a financing table with totals, a balanced-plan rule, a refused
upload, récapitulatif, number, mail, PDF), and sees a téléservice not open yet as such."""
from __future__ import annotations

import io
import re

import pytest

from .browser_support import assert_accessible
from .journey_steps import (
    Person,
    add_row,
    choose_teleservice,
    create_tiers,
    expect_step,
    fill_address,
    fill_row,
    group,
    heading,
    is_shown,
    label,
    menu,
    new_account,
    new_structure,
    next_step,
    pdf_file,
    transmit,
    yes_no,
)

pytestmark = pytest.mark.browser

FONCTIONNEMENT = "Subvention de fonctionnement aux associations"


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_subvention_de_fonctionnement_de_bout_en_bout(new_journey, screens, live_server, js):
    j = new_journey("association", js=js)
    page = j.page
    person = Person.new("Inès", "MOREL", civilite="Madame")
    new_account(j, person)
    structure = new_structure("LES PETITS DÉBROUILLARDS DU 13E")
    create_tiers(j, structure, person)
    choose_teleservice(j, FONCTIONNEMENT)

    expect_step(j, 1, "Identification de l'association")
    main = page.locator("main").inner_text()
    assert structure.raison_sociale in main and structure.rna in main  # from the Tiers, read-only
    page.get_by_label(label("Objet de l'association (tel qu'il figure dans les statuts)")).fill(
        "Diffuser la culture scientifique auprès des enfants et des jeunes des quartiers nord."
    )
    j.step("identification")
    next_step(j)

    expect_step(j, 2, "Relations avec l'administration")
    agrement_type = page.get_by_label(label("Type d'agrément"))
    # With JavaScript a conditional question appears when the answer calls for it; without,
    # it is shown with a note saying when to answer it.
    if js:
        agrement_type.wait_for(state="hidden")  # hidden by static/js/portail/live_form.js once it has run
    else:
        assert agrement_type.is_visible()
    yes_no(j, "L'association bénéficie-t-elle d'un agrément administratif", True)
    agrement_type.wait_for(state="visible")
    agrement_type.select_option(label="Jeunesse et éducation populaire")
    yes_no(j, "L'association est-elle reconnue d'utilité publique", False)
    yes_no(j, "L'association a-t-elle reçu une subvention de la Métropole l'an dernier", True)
    page.get_by_label(label("Montant reçu (€)")).fill("2500")
    j.step("relations")
    next_step(j)

    expect_step(j, 3, "Moyens humains")
    page.get_by_label(label("Nombre d'adhérents")).fill("140")
    page.get_by_label(label("Nombre de bénévoles réguliers")).fill("18")
    etp = page.get_by_label(label("Nombre de salariés en équivalent temps plein travaillé (ETPT)"))
    page.get_by_label(label("Nombre de salariés")).fill("2")
    page.get_by_label(label("Nombre de salariés")).press("Tab")
    etp.wait_for(state="visible")
    etp.fill("1,5")
    j.step("moyens humains")
    next_step(j)

    expect_step(j, 4, "Budget prévisionnel de l'association")
    page.get_by_label(label("Exercice concerné")).fill("2027")
    fill_row(j, {"Compte": "64 - Charges de personnel", "Montant (€)": "30000"}, 1, table="Charges")
    produits = group(j, "Produits")
    produits.get_by_label("Origine (financeur, cotisations, ventes...), ligne 1", exact=True).fill("Cotisations")
    produits.get_by_label("Montant (€), ligne 1", exact=True).fill("10000")
    page.get_by_label(label("Montant de la subvention sollicitée auprès de la Métropole (€)")).fill("20000")
    rule = page.locator(".portail-rule").filter(has_text=re.compile("équilibr"))
    if not js:
        next_step(j)  # checked by the server when the page is sent
        expect_step(j, 4, "Budget prévisionnel de l'association")
    rule.first.wait_for(state="visible")  # with JavaScript, flagged before leaving the page
    j.step("budget desequilibre")
    # Saved unbalanced, then reopened: nothing typed yet, so neither the rule warning nor the
    # error summary (issue 12, items 7 and 12); the step list still says « En erreur ».
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect_step(j, 4, "Budget prévisionnel de l'association")
    page.goto(page.url.split("#")[0])
    expect_step(j, 4, "Budget prévisionnel de l'association")
    assert not rule.first.is_visible()
    assert not page.locator(".govuk-error-summary").count()
    assert "En erreur" in page.get_by_role("navigation", name="Étapes de la demande").inner_text()
    j.step("budget rouvert sans avertissement")
    produits.get_by_label("Origine (financeur, cotisations, ventes...), ligne 2", exact=True).fill("Métropole")
    produits.get_by_label("Montant (€), ligne 2", exact=True).fill("20000")
    if js:
        rule.first.wait_for(state="hidden")
    if js:
        total = produits.locator("[data-total=montant] output")
        assert re.sub(r"\D", "", total.inner_text()).startswith("30000"), total.inner_text()
    j.step("budget equilibre")
    next_step(j)

    expect_step(j, 5, "Projet associatif")
    page.get_by_label(label("Décrivez les actions que la subvention permettra de mener")).fill(
        "Ateliers scientifiques hebdomadaires dans trois centres sociaux."
    )
    accueil = page.get_by_label(label("Comment les personnes en situation de handicap sont-elles accueillies ?"))
    if js:
        accueil.wait_for(state="hidden")  # hidden by static/js/portail/live_form.js once it has run (no race with the load)
    else:
        assert accueil.is_visible()
    group(j, "Publics visés").get_by_label("Enfants", exact=True).check()
    group(j, "Publics visés").get_by_label("Personnes en situation de handicap", exact=True).check()
    accueil.wait_for(state="visible")
    accueil.fill("Locaux de plain-pied, animateurs formés à l'accueil des enfants autistes.")
    page.get_by_label(label("Communes de la Métropole où se déroulent les actions")).fill("Marseille, Septèmes")
    j.step("projet")
    next_step(j)

    expect_step(j, 6, "Coordonnées bancaires")
    page.get_by_label(label("IBAN du compte de l'association")).fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label(label("Titulaire du compte")).fill(structure.raison_sociale)
    page.get_by_label(label("Relevé d'identité bancaire")).set_input_files(pdf_file("rib.pdf"))
    j.step("banque")
    next_step(j)

    expect_step(j, 7, "Pièces justificatives")
    page.get_by_label(label("Statuts de l'association, datés et signés")).set_input_files(pdf_file("statuts.pdf"))
    page.get_by_label(label("Derniers comptes approuvés par l'assemblée générale")).set_input_files(
        pdf_file("comptes.pdf")
    )
    page.get_by_label(label("Dernier rapport d'activité")).set_input_files(pdf_file("rapport.pdf"))
    page.get_by_label(re.compile("^L'association s'engage à respecter le contrat d'engagement républicain")).check()
    j.step("pieces")
    next_step(j)

    mark = live_server.outbox_mark()
    transmit(j, "fonctionnement")
    assert heading(j) == "Demande transmise"
    numero = page.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"FONCT-\d{4}-\d{6}", numero), numero
    j.step("demande transmise")
    mail = live_server.wait_for_mail(person.email, f"Accusé de réception de votre demande {numero}", since=mark)
    assert f"«\u00a0{FONCTIONNEMENT}\u00a0» a bien été transmise" in mail.text
    menu(j, "Mes aides")
    row = page.locator("tr").filter(has_text=numero)
    assert "Transmise" in row.inner_text()
    j.step("mes aides")
    assert_accessible(screens)


INVESTISSEMENT = "Aide à l'investissement des communes"
NOT_YET_OPEN = "Appel à projets 2030 – équipements sportifs de proximité"  # tests/browser/specs/
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def flat(text: str) -> str:
    return re.sub(r"[\s\u202f\xa0]+", " ", text)


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_aide_investissement_communes_de_bout_en_bout(new_journey, screens, live_server, js):
    from pypdf import PdfReader

    j = new_journey("commune", js=js)
    page = j.page
    person = Person.new("Sophie", "GARNIER", civilite="Madame")
    new_account(j, person)
    structure = new_structure("COMMUNE DE ROQUEVAIRE", famille="commune")
    create_tiers(j, structure, person)  # the real Tiers-creation wizard, famille « commune »
    choose_teleservice(j, INVESTISSEMENT)

    # 1. La commune: name and SIRET from the Tiers (read-only), the agent's address from the account.
    expect_step(j, 1, "La commune")
    main = page.locator("main").inner_text()
    assert structure.raison_sociale in main and structure.siret in main.replace(" ", "")
    assert page.get_by_label(label("Commune")).count() == 0
    assert page.get_by_label(label("Adresse électronique de l'agent")).input_value() == person.email
    page.get_by_label(label("Population municipale (dernier recensement)")).fill("9120")
    page.get_by_label(label("Agent chargé du dossier")).fill(f"{person.prenom} {person.nom}")
    page.get_by_label(label("Téléphone de l'agent")).fill("04 42 32 91 00")
    j.step("commune")
    next_step(j)

    # 2. L'opération: the energy-gain question appears only for an energy renovation.
    expect_step(j, 2, "L'opération")
    page.get_by_label(label("Intitulé de l'opération")).fill("Rénovation énergétique de l'école Jean-Moulin")
    gain = page.get_by_label(label("Gain de consommation d'énergie attendu (%)"))
    assert is_shown(gain) is not js  # without JavaScript it is shown with a note saying when to answer it
    group(j, "Catégorie d'équipement").get_by_label("Rénovation énergétique d'un bâtiment communal", exact=True).check()
    gain.wait_for(state="visible")
    if js:
        j.step("operation condition affichee")
    gain.fill("45")
    page.get_by_label(label("Description de l'opération")).fill(
        "Isolation des combles et des murs par l'extérieur, remplacement des menuiseries et de la "
        "chaudière fioul par une pompe à chaleur dans l'école élémentaire Jean-Moulin (12 classes)."
    )
    fill_address(j, "Adresse de l'équipement", "4 avenue Jean-Moulin", "13360", "Roquevaire")
    page.get_by_label(label("Date de la délibération du conseil municipal")).fill("2026-10-12")
    page.get_by_label(label("Date prévisionnelle de début des travaux")).fill("2027-04-06")
    page.get_by_label(label("Date prévisionnelle d'achèvement")).fill("2027-08-27")
    page.get_by_label(label("Page internet présentant le projet")).fill("https://www.roquevaire.fr/ecole-jean-moulin")
    j.step("operation")
    next_step(j)

    # 3. Plan de financement: a table with totals and the balanced-plan rule.
    expect_step(j, 3, "Plan de financement")
    page.get_by_label(label("Coût total de l'opération HT (€)")).fill("480000")
    page.get_by_label(label("Taux de TVA applicable (%)")).fill("20")
    fill_row(j, {"Financeur": "Métropole Aix-Marseille-Provence", "État de la demande": "Sollicité",
                 "Montant (€)": "144000", "Part du coût total (%)": "30"}, 1, table="Financements")
    fill_row(j, {"Financeur": "Département des Bouches-du-Rhône", "État de la demande": "Obtenu",
                 "Montant (€)": "192000", "Part du coût total (%)": "40"}, 2, table="Financements")
    page.get_by_label(label("Fonds de concours sollicité auprès de la Métropole (€)")).fill("144000")
    page.get_by_label(label("Autofinancement de la commune (€)")).fill("144000")
    rule = page.locator(".portail-rule").filter(has_text="Le total des financements doit être égal au coût total")
    if not js:
        next_step(j)  # checked by the server when the page is sent
        expect_step(j, 3, "Plan de financement")
    rule.first.wait_for(state="visible")  # with JavaScript, flagged before leaving the page
    j.step("plan de financement desequilibre")
    add_row(j, "Financements")
    fill_row(j, {"Financeur": "Commune (autofinancement)", "État de la demande": "Obtenu",
                 "Montant (€)": "144000", "Part du coût total (%)": "30"}, 3, table="Financements")
    if js:
        rule.first.wait_for(state="hidden")
        totals = group(j, "Financements")
        montant = totals.locator("[data-total=montant] output")
        part = totals.locator("[data-total=part] output")
        assert re.sub(r"\D", "", montant.inner_text()).startswith("480000"), montant.inner_text()
        assert re.sub(r"\D", "", part.inner_text()).startswith("100"), part.inner_text()
    j.step("plan de financement equilibre")
    next_step(j)

    # 4. Pièces: the energy audit is asked because of the category; a disguised image is refused.
    expect_step(j, 4, "Pièces justificatives")
    audit = page.get_by_label(label("Audit énergétique"))
    assert is_shown(audit)
    page.get_by_label(label(
        "Délibération du conseil municipal approuvant l'opération et son plan de financement"
    )).set_input_files(pdf_file("deliberation.pdf"))
    page.get_by_label(label("Devis ou estimation détaillée du maître d'œuvre")).set_input_files(pdf_file("devis.pdf"))
    audit.set_input_files({"name": "audit.pdf", "mimeType": "application/pdf", "buffer": PNG})
    certification = page.get_by_label(label("Je certifie que l'opération n'a pas reçu de commencement d'exécution."))
    certification.check()
    next_step(j)
    expect_step(j, 4, "Pièces justificatives")
    assert any("ne correspond pas à un fichier PDF" in m for m in j.error_messages()), j.error_messages()
    main = page.locator("main").inner_text()
    assert "deliberation.pdf" in main and "devis.pdf" in main, "les pièces acceptées sont gardées"
    j.step("piece refusee")
    page.get_by_label(label("Audit énergétique")).set_input_files(pdf_file("audit-energetique.pdf"))
    if not certification.is_checked():
        certification.check()
    j.step("pieces")
    next_step(j)

    # Récapitulatif: every answer, the financing table with its totals.
    assert heading(j) == "Récapitulatif de votre demande", (heading(j), j.summary_errors())
    recap = flat(page.locator("main").inner_text())
    for expected in ("Rénovation énergétique de l'école Jean-Moulin", "Rénovation énergétique d'un bâtiment communal",
                     "Département des Bouches-du-Rhône", "Commune (autofinancement)", "audit-energetique.pdf",
                     structure.raison_sociale):
        assert expected in recap, expected
    totals_row = flat(page.locator(".portail-summary-table .portail-table__totals").first.inner_text())
    assert "480 000" in totals_row and "100" in totals_row, totals_row
    mark = live_server.outbox_mark()
    transmit(j, "investissement")
    assert heading(j) == "Demande transmise"
    numero = page.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"INVEST-\d{4}-\d{6}", numero), numero
    j.step("demande transmise")

    mail = live_server.wait_for_mail(person.email, f"Accusé de réception de votre demande {numero}", since=mark)
    assert f"«\u00a0{INVESTISSEMENT}\u00a0» a bien été transmise" in mail.text
    assert f"Numéro de la demande : {numero}" in mail.text
    assert "Rénovation énergétique de l'école Jean-Moulin" in mail.text

    href = page.get_by_role("link", name="Télécharger l'accusé de réception (PDF)").get_attribute("href")
    response = j.context.request.get(live_server.url + href if href.startswith("/") else href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages))
    assert numero in text and structure.raison_sociale in text and INVESTISSEMENT in text, text[:500]

    menu(j, "Mes aides")
    row = page.locator("tr").filter(has_text=numero)
    assert "Transmise" in row.inner_text()
    j.step("mes aides")
    assert_accessible(screens)


def test_teleservice_pas_encore_ouvert_pour_une_commune(new_journey, screens):
    j = new_journey("commune")
    person = Person.new("Marc", "ROCHE")
    new_account(j, person)
    create_tiers(j, new_structure("COMMUNE DE GÉMENOS", famille="commune"), person)
    menu(j, "Tableau de bord")
    j.page.get_by_role("link", name="Déposer une nouvelle demande").click()
    assert heading(j) == "Choix du téléservice"
    # A téléservice written for the tests (tests/browser/specs/), opening in 2030.
    item = j.page.locator("li").filter(has=j.page.get_by_role("heading", name=NOT_YET_OPEN, exact=True))
    assert "Pas encore ouvert" in item.inner_text()
    assert "Ouverture le 15 janvier 2030." in " ".join(item.inner_text().split())
    assert item.get_by_role("button").count() == 0
    # The shipped investment aid is open to communes, like patrimoine; the association's subsidy is not offered.
    for title in (INVESTISSEMENT, "Soutien à la restauration et à la valorisation du patrimoine"):
        open_item = j.page.locator("li").filter(has=j.page.get_by_role("heading", name=title, exact=True))
        assert open_item.get_by_role("button", name="Déposer une demande").count() == 1, title
    assert j.page.get_by_role("heading", name=FONCTIONNEMENT).count() == 0
    j.step("choix du teleservice commune")
    assert_accessible(screens)
