"""Journey 2 (case 2 of the guide): a second person of the same structure registers,
asks to be attached with a pièce justificative, the administrator accepts, the exact
mail of the guide arrives, and the new member continues the administrator's draft."""
from __future__ import annotations

import pytest

from .browser_support import assert_accessible, form_semantics
from .journey_steps import (
    PATRIMOINE,
    Person,
    choose_teleservice,
    continue_patrimoine,
    create_tiers,
    expect_step,
    group,
    heading,
    label,
    menu,
    new_account,
    new_structure,
    patrimoine_eligibilite,
    pdf_file,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_cas2_rattachement_et_reprise_du_brouillon(new_journey, screens, live_server, js):
    # The administrator: account, Tiers, and a draft left after its first step.
    admin = new_journey("admin", js=js)
    jean = Person.new("Jean", "DUPOND")
    new_account(admin, jean)
    structure = new_structure("TENNIS CLUB DE VANNES")
    create_tiers(admin, structure, jean)
    choose_teleservice(admin, PATRIMOINE)
    patrimoine_eligibilite(admin, protege=False)
    expect_step(admin, 2, "Votre structure")
    admin.page.get_by_role("button", name="Enregistrer le brouillon").click()
    admin.step("brouillon enregistre")

    # The second person: account, then the attachment request.
    member = new_journey("membre", js=js)
    marie = Person.new("Marie", "CURIE", civilite="Madame")
    new_account(member, marie)
    page = member.page
    page.get_by_role("link", name="Demandez votre rattachement à ce tiers").click()
    assert heading(member) == "Rattachement à un tiers existant"
    member.step("rattachement")
    # A first try with an unknown SIRET: a French message beside the field, the rest kept.
    group(member, "Je suis ou je représente un(e)").get_by_label("Association", exact=True).check()
    page.get_by_label(label("SIRET")).fill("73282932000074")
    page.get_by_label(label("Pièce justificative")).set_input_files(pdf_file("delegation.pdf"))
    page.get_by_role("button", name="Valider").click()
    assert (
        "Erreur : Aucune structure portant ce numéro SIRET n'est connue du portail." in member.error_messages()
    ), member.error_messages()
    assert not form_semantics(member), form_semantics(member)
    member.step("rattachement siret inconnu")
    page.get_by_label(label("SIRET")).fill(structure.siret)
    if page.get_by_label(label("Pièce justificative")).count() and "delegation.pdf" not in page.locator("main").inner_text():
        page.get_by_label(label("Pièce justificative")).set_input_files(pdf_file("delegation.pdf"))
    mark = live_server.outbox_mark()
    page.get_by_role("button", name="Valider").click()
    assert (
        f"Votre demande de rattachement au tiers {structure.raison_sociale} a été transmise à son administrateur. "
        "Vous recevrez un mail dès qu'elle aura été examinée." in page.locator("main").inner_text()
    )
    member.step("rattachement transmis")

    # The administrator is told, sees the request and its document, and accepts.
    live_server.wait_for_mail(jean.email, f"Demande de rattachement : {structure.raison_sociale}", since=mark)
    admin.page.get_by_role("link", name="Comptes rattachés").click()
    assert heading(admin) == "Comptes rattachés"
    card = admin.page.locator(".govuk-summary-card").filter(has_text=marie.email)
    assert "CURIE" in card.inner_text()
    assert card.get_by_role("link", name="Télécharger delegation.pdf").count() == 1
    admin.step("comptes rattaches demande en attente")
    mark = live_server.outbox_mark()
    card.get_by_role("button", name="Accepter").click()
    admin.step("rattachement accepte")
    members_table = admin.page.locator("table").first.inner_text()
    assert marie.email in members_table

    mail = live_server.wait_for_mail(marie.email, "rattaché", since=mark)
    expected = [
        "Madame Marie CURIE,",
        f"Suite à votre demande, votre compte a été rattaché au tiers de {structure.raison_sociale}.",
        "Vous pouvez à présent accéder à tous les services de l'Espace Usagers pour votre tiers.",
        "En vous remerciant pour votre confiance,",
        "Métropole Aix Marseille Provence",
    ]
    lines = [line.strip() for line in mail.text.splitlines() if line.strip()]
    assert [line for line in lines if line in expected] == expected, mail.text

    # The member continues the administrator's draft from Mes sollicitations.
    menu(member, "Tableau de bord")
    assert f"Vous agissez pour {structure.raison_sociale}" in page.locator("header").inner_text()
    member.step("tableau de bord membre")
    menu(member, "Mes sollicitations")
    row = page.locator("tr").filter(has_text=PATRIMOINE)
    assert row.count() == 1
    member.step("mes sollicitations")
    row.get_by_role("link", name=f"Reprendre « {PATRIMOINE} »").click()
    expect_step(member, 2, "Votre structure")
    numero = continue_patrimoine(member, structure, marie, protege=False, prefilled_email=jean.email)
    menu(member, "Mes aides")
    assert numero in page.locator("main").inner_text()
    member.step("mes aides membre")
    menu(admin, "Mes aides")
    assert numero in admin.page.locator("main").inner_text()
    admin.step("mes aides administrateur")
    assert_accessible(screens)
