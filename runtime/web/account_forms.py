"""Hand-written forms of the account screens (accounts are not spec-driven).

Every message is French and names the rule that was broken.
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from ..passwords import password_error
from ..services import services

CIVILITES = [("madame", "Madame"), ("monsieur", "Monsieur")]
IDENTIFIANT_PATTERN = re.compile(r"[A-Za-z0-9]+")
# Pragmatic: one @, a dotted domain, no spaces, controls or characters that mean
# something in a mail header (the address goes into the To: header).
_ADDRESS_CHAR = r"[^@\s\x00-\x1f\x7f<>(),;:\"\[\]\\]"
EMAIL_PATTERN = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.(?:(?!\.){_ADDRESS_CHAR})+")
NAME_MAX = 100


class RadiosField(StringField):
    """One value among ``choices`` (value, label), rendered as GOV.UK radios."""

    def __init__(self, label: str, choices: list[tuple[str, str]], **kwargs):
        super().__init__(label, **kwargs)
        self.choices = choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def required(message: str) -> DataRequired:
    return DataRequired(message=message)


def valid_civilite(form, field) -> None:
    if field.data not in dict(CIVILITES):
        raise StopValidation("Sélectionnez votre civilité.")


def valid_identifiant(form, field) -> None:
    config = services().config
    low, high = config["IDENTIFIANT_MIN_LENGTH"], config["IDENTIFIANT_MAX_LENGTH"]
    if not IDENTIFIANT_PATTERN.fullmatch(field.data):
        raise ValidationError("L'identifiant ne peut contenir que des lettres sans accent et des chiffres.")
    if not low <= len(field.data) <= high:
        raise ValidationError(f"L'identifiant doit contenir entre {low} et {high} caractères.")


def valid_email(form, field) -> None:
    if len(field.data) > 254 or not EMAIL_PATTERN.fullmatch(field.data):
        raise ValidationError("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.")


def valid_new_password(form, field) -> None:
    message = password_error(field.data or "", services().config)
    if message:
        raise StopValidation(message)


def same_as_password(form, field) -> None:
    if not field.data:
        raise StopValidation("Confirmez le mot de passe.")
    if field.data != form.password.data:
        raise ValidationError("Les deux mots de passe ne sont pas identiques.")


def name_field(label: str, empty_message: str, too_long: str) -> StringField:
    return StringField(
        label, filters=[_strip], validators=[required(empty_message), Length(max=NAME_MAX, message=too_long)]
    )


def email_field(label: str = "Adresse e-mail") -> StringField:
    return StringField(
        label, filters=[_strip], validators=[required("Saisissez votre adresse e-mail."), valid_email]
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField("Mot de passe", validators=[valid_new_password]),
        PasswordField("Confirmer le mot de passe", validators=[same_as_password]),
    )


class ProfileForm(FlaskForm):
    civilite = RadiosField("Civilité", CIVILITES, validators=[valid_civilite])
    nom = name_field("Nom", "Saisissez votre nom.", f"Le nom doit contenir au plus {NAME_MAX} caractères.")
    prenom = name_field(
        "Prénom", "Saisissez votre prénom.", f"Le prénom doit contenir au plus {NAME_MAX} caractères."
    )


class RegisterForm(ProfileForm):
    identifiant = StringField(
        "Identifiant", filters=[_strip], validators=[required("Saisissez un identifiant."), valid_identifiant]
    )
    email = email_field()
    password, password_confirm = new_password_fields()
    professionnel = BooleanField("Je suis un professionnel")
    # Honeypot: hidden from people, filled by naive robots.
    site_web = StringField("Ne pas remplir ce champ")


class LoginForm(FlaskForm):
    login = StringField(
        "Identifiant ou adresse e-mail",
        filters=[_strip],
        validators=[required("Saisissez votre identifiant ou votre adresse e-mail.")],
    )
    password = PasswordField("Mot de passe", validators=[required("Saisissez votre mot de passe.")])
    remember = BooleanField("Se souvenir de moi")


class EmailForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Mot de passe actuel", validators=[required("Saisissez votre mot de passe actuel.")]
    )
    password, password_confirm = new_password_fields()


class ChangeEmailForm(FlaskForm):
    new_email = email_field("Nouvelle adresse e-mail")
    email_password = PasswordField(
        "Mot de passe actuel", validators=[required("Saisissez votre mot de passe actuel.")]
    )


def form_errors(form: FlaskForm, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``(field id, message)`` pairs in page order, for the error summary."""
    errors = []
    for field in form:
        if field.errors:
            anchor = f"{field.id}-0" if field.type == "RadiosField" else field.id
            errors.append((anchor, field.errors[0]))
    errors.extend((extra or {}).items())
    return errors
