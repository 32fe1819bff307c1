"""Each field type: valid values converted, invalid ones refused with their exact French message."""
from __future__ import annotations

import pytest

from runtime.forms.types import DOTTED_THOUSANDS_MESSAGE
from tests.forms.conftest import messages, post

IDENTITE_OK = {"nom": "Les Amis", "montant": "10", "adresse-street": "1 rue de la Paix",
               "adresse-postcode": "13001", "adresse-commune": "Marseille"}


def identite(spec, **data):
    return post(spec, "identite", {**IDENTITE_OK, **data})


@pytest.mark.parametrize(
    "field, typed, stored",
    [
        ("nom", "  Les Amis  ", "Les Amis"),
        ("description", "Une ligne\nDeux lignes", "Une ligne\nDeux lignes"),
        ("description", "x" * 10, "x" * 10),
        ("effectif", " 12 ", 12),
        ("ratio", "12,5", "12.5"),
        ("montant", "1 234,50", "1234.50"),
        ("montant", "1\u202f234,5 €", "1234.50"),
        ("montant", "1234.5", "1234.50"),
        ("montant", "1.234,50", "1234.50"),  # French grouping by dots
        ("montant", "1,234.50", "1234.50"),  # a figure pasted from an English spreadsheet
        ("taux", "33,3 %", "33.3"),
        ("date_debut", "2026-07-14", "2026-07-14"),
        ("date_debut", "14/07/2026", "2026-07-14"),
        ("courriel", "Camille@Exemple.FR", "Camille@exemple.fr"),
        ("telephone", "04.91.99.99.00", "04 91 99 99 00"),
        ("telephone", "+33 4 91 99 99 00", "04 91 99 99 00"),
        ("site", "www.ampmetropole.fr", "https://www.ampmetropole.fr"),
        ("siret", "732 829 320 00074", "73282932000074"),
        ("siret", "356 000 000 00048", "35600000000048"),  # La Poste head office
        ("siret", "35600000010014", "35600000010014"),  # La Poste: no Luhn, digits sum multiple of 5
        ("rna", "w131234567", "W131234567"),
        ("iban", "fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ],
)
def test_valid_values_are_converted(ctx, spec, field, typed, stored):
    result = identite(spec, **{field: typed})
    assert result.errors == []
    assert result.answers[field] == stored


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("nom", "", "Renseignez le champ «\u00a0Nom de la structure\u00a0»."),
        ("nom", "x" * 21, "Saisissez au plus 20 caractères."),
        ("description", "Court", "Saisissez au moins 10 caractères."),
        ("description", "x" * 41, "Saisissez au plus 40 caractères."),
        ("effectif", "douze", "Saisissez un nombre entier, par exemple 12."),
        ("effectif", "12,5", "Saisissez un nombre entier, par exemple 12."),
        ("effectif", "501", "La valeur doit être au plus 500."),
        ("ratio", "1,2,3", "Saisissez un nombre, par exemple 12,5."),
        ("montant", "12,345", "Saisissez un montant en euros, par exemple 1 234,50."),
        ("montant", "douze euros", "Saisissez un montant en euros, par exemple 1 234,50."),
        ("montant", "5.000", DOTTED_THOUSANDS_MESSAGE),  # never read as 5 €
        ("montant", "-5", "La valeur doit être au moins 0 €."),
        ("taux", "120", "La valeur doit être au plus 100 %."),
        ("date_debut", "31/02/2026", "Cette date n'existe pas : vérifiez le jour et le mois."),
        ("date_debut", "2026-02-30", "Cette date n'existe pas : vérifiez le jour et le mois."),
        ("date_debut", "demain", "Saisissez une date au format JJ/MM/AAAA, par exemple 14/07/2026."),
        ("courriel", "camille.exemple.fr", "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
        ("telephone", "12345", "Saisissez un numéro de téléphone français à 10 chiffres, par exemple 04 91 99 99 00."),
        ("site", "pas une adresse", "Saisissez une adresse web valide, par exemple https://www.exemple.fr."),
        ("siret", "7328293200007", "Le numéro SIRET doit comporter 14 chiffres."),
        ("siret", "73282932000075", "Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis."),
        ("siret", "７３２８２９３２０００７４", "Saisissez le numéro SIRET avec les chiffres ordinaires 0 à 9."),
        ("siret", "7328293200007A", "Le numéro SIRET ne doit contenir que des chiffres."),
        ("rna", "W12345", "Le numéro RNA commence par W suivi de 9 chiffres, par exemple W131234567."),
        ("iban", "FR76 3000 6000 0112 3456 7890 188", "Cet IBAN n'est pas valide : vérifiez les caractères saisis."),
        ("adresse-postcode", "1300", "Le code postal doit comporter 5 chiffres, par exemple 13001."),
    ],
)
def test_invalid_values_get_their_french_message(ctx, spec, field, typed, message):
    result = identite(spec, **{field: typed})
    path = field.replace("-", "/")
    assert messages(result) == {path: message}
    if field != "nom":  # the draft keeps what was typed
        assert field.split("-")[0] in result.answers


def test_a_number_that_does_not_convert_is_shown_again_as_typed(ctx, spec):
    from runtime.forms.registry import field_type

    montant = spec.field("montant")
    assert identite(spec, montant="1.23,4").errors
    assert field_type("amount").format(montant, "1.23,4") == "1.23,4"
    assert field_type("amount").format(montant, "1234.50") == "1234,50"


def test_a_year_is_shown_without_a_thousands_space(ctx, spec):
    from runtime.forms.registry import field_type

    effectif = spec.field("effectif")
    assert field_type("integer").display(effectif, 2027) == "2027"
    assert field_type("integer").display(effectif, 12500) == "12\u202f500"


def test_address_parts_required(ctx, spec):
    result = identite(spec, **{"adresse-street": "", "adresse-commune": ""})
    assert messages(result) == {
        "adresse/street": "Renseignez le numéro et la voie.",
        "adresse/commune": "Renseignez la commune.",
    }


def test_address_entirely_missing(ctx, spec):
    result = identite(spec, **{"adresse-street": "", "adresse-postcode": "", "adresse-commune": ""})
    assert messages(result) == {"adresse": "Renseignez le champ «\u00a0Adresse du siège\u00a0»."}
    assert "adresse" not in result.answers


def test_address_value(ctx, spec):
    result = identite(spec)
    assert result.answers["adresse"] == {"street": "1 rue de la Paix", "postcode": "13001", "commune": "Marseille"}


CHOIX_OK = {"subventionne": "false", "statut": "association", "domaines": "culture", "accord": "true"}


def choix(spec, data):
    return post(spec, "choix", {**CHOIX_OK, **data})


def test_choices_converted(ctx, spec):
    from werkzeug.datastructures import MultiDict

    data = MultiDict([*CHOIX_OK.items(), ("domaines", "sport"), ("statut_liste", "no")])
    result = post(spec, "choix", data)
    assert result.errors == []
    assert result.answers["subventionne"] is False
    assert result.answers["statut"] == "association"
    assert result.answers["statut_liste"] == "no"  # a choice value "no" stays a string
    assert result.answers["domaines"] == ["culture", "sport"]
    assert result.answers["accord"] is True


@pytest.mark.parametrize(
    "data, path, message",
    [
        ({"subventionne": ""}, "subventionne", "Choisissez une réponse pour «\u00a0Avez-vous déjà été subventionné ?\u00a0»."),
        ({"subventionne": "peut-être"}, "subventionne", "Choisissez une réponse pour «\u00a0Avez-vous déjà été subventionné ?\u00a0»."),
        ({"statut": ""}, "statut", "Choisissez une réponse pour «\u00a0Statut\u00a0»."),
        ({"statut": "entreprise"}, "statut", "Choisissez une des réponses proposées."),
        ({"statut_liste": "autre"}, "statut_liste", "Choisissez une des réponses proposées."),
        ({"domaines": ""}, "domaines", "Cochez au moins une réponse pour «\u00a0Domaines d'action\u00a0»."),
        ({"domaines": "peche"}, "domaines", "Choisissez parmi les réponses proposées."),
        ({"accord": ""}, "accord", "Cochez la case «\u00a0J'accepte les conditions\u00a0»."),
    ],
)
def test_choice_errors(ctx, spec, data, path, message):
    assert messages(choix(spec, data)) == {path: message}


def test_wtforms_french_messages_are_on(ctx, spec):
    from runtime.forms.builder import build_page_form

    form = build_page_form(spec, "identite")(meta={"csrf": False})
    assert form.meta.get_translations(form).gettext("This field is required.") == "Ce champ est requis."
