"""Issue 6 in Chromium: the other shipped téléservices. An association deposits the
« Subvention de fonctionnement aux associations » end to end (live conditions, tables
with totals, a rule flagged before leaving the page, uploads, récapitulatif, number, mail);
a commune sees the « Aide à l'investissement des communes » not open yet."""
from __future__ import annotations

import re

import pytest

from .browser_support import assert_accessible
from .journey_steps import (
    Person,
    choose_teleservice,
    create_tiers,
    expect_step,
    fill_row,
    group,
    heading,
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
    assert agrement_type.is_visible() is not js
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
    assert accueil.is_visible() is not js
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
    assert f"« {FONCTIONNEMENT} » a bien été transmise" in mail.text
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
    item = j.page.locator("li").filter(
        has=j.page.get_by_role("heading", name="Aide à l'investissement des communes", exact=True)
    )
    assert "Pas encore ouvert" in item.inner_text()
    assert "Ouverture le 15 janvier 2027." in " ".join(item.inner_text().split())
    assert item.get_by_role("button").count() == 0
    # Patrimoine is open to communes, the association's subsidy is not offered to them.
    assert j.page.get_by_role("heading", name="Soutien à la restauration et à la valorisation du patrimoine").count() == 1
    assert j.page.get_by_role("heading", name=FONCTIONNEMENT).count() == 0
    j.step("choix du teleservice commune")
    assert_accessible(screens)
