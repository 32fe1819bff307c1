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
from ..spec.errors import Error

CIVILITES = [("madame", "Madame"), ("monsieur", "Monsieur")]
IDENTIFIANT_PATTERN = re.compile(r"[A-Za-z0-9]+")
# Pragmatic: one @, a dotted domain, no spaces, controls or characters that mean
# something in a mail header (the address goes into the To: header).
_ADDRESS_CHAR = r"[^@\s\x00-\x1f\x7f<>(),;:\"\[\]\\]"
EMAIL_PATTERN = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.(?:(?!\.){_ADDRESS_CHAR})+")
# Length caps of the free-text fields, each with its French message; nothing typed is ever
# truncated (no maxlength attribute either): too long is refused and redisplayed as typed.
NAME_MAX = 100
EMAIL_MAX = 254  # RFC 5321 path limit
LOGIN_MAX = EMAIL_MAX  # the login field takes an identifiant or an e-mail address
# Passwords typed to log in or to prove one's identity: argon2 hashes any length, this only
# bounds the work per request. New passwords follow the policy (PASSWORD_MAX_LENGTH).
PASSWORD_INPUT_MAX = 1024
# C0 and C1 controls (line breaks included), line/paragraph separators, bidi embeddings,
# overrides and isolates.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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


def at_most(limit: int, message: str) -> Length:
    return Length(max=limit, message=message.format(limit=limit))


def valid_email(form, field) -> None:
    if len(field.data) > EMAIL_MAX:
        raise ValidationError(f"L'adresse e-mail doit contenir au plus {EMAIL_MAX} caractères.")
    if not EMAIL_PATTERN.fullmatch(field.data):
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


def single_line(message: str):
    """Refuse control characters, line breaks and bidi overrides (they can disguise a name)."""

    def check(form, field) -> None:
        if field.data and CONTROL_CHARACTERS.search(field.data):
            raise ValidationError(message)

    return check


def name_field(label: str, subject: str) -> StringField:
    """A name: ``label`` "Nom", ``subject`` "Le nom" (for the messages)."""
    return StringField(
        label,
        filters=[_strip],
        validators=[
            required(f"Saisissez votre {label.lower()}."),
            at_most(NAME_MAX, f"{subject} doit contenir au plus {{limit}} caractères."),
            single_line(f"{subject} ne peut contenir ni retour à la ligne ni caractère de contrôle."),
        ],
    )


def email_field(label: str = "Adresse e-mail") -> StringField:
    return StringField(
        label, filters=[_strip], validators=[required("Saisissez votre adresse e-mail."), valid_email]
    )


def typed_password_field(label: str, empty_message: str) -> PasswordField:
    """An existing password typed to log in or to confirm an action (not a new one)."""
    too_long = "Le mot de passe doit contenir au plus {limit} caractères."
    return PasswordField(label, validators=[required(empty_message), at_most(PASSWORD_INPUT_MAX, too_long)])


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField("Mot de passe", validators=[valid_new_password]),
        PasswordField("Confirmer le mot de passe", validators=[same_as_password]),
    )


class ProfileForm(FlaskForm):
    civilite = RadiosField("Civilité", CIVILITES, validators=[valid_civilite])
    nom = name_field("Nom", "Le nom")
    prenom = name_field("Prénom", "Le prénom")


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
        validators=[
            required("Saisissez votre identifiant ou votre adresse e-mail."),
            at_most(LOGIN_MAX, "L'identifiant ou l'adresse e-mail doit contenir au plus {limit} caractères."),
        ],
    )
    password = typed_password_field("Mot de passe", "Saisissez votre mot de passe.")
    remember = BooleanField("Se souvenir de moi")


class EmailForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = typed_password_field("Mot de passe actuel", "Saisissez votre mot de passe actuel.")
    password, password_confirm = new_password_fields()


class ChangeEmailForm(FlaskForm):
    new_email = email_field("Nouvelle adresse e-mail")
    email_password = typed_password_field("Mot de passe actuel", "Saisissez votre mot de passe actuel.")


def form_errors(form: FlaskForm, extra: list[Error] | None = None) -> list[Error]:
    """The first error of each WTForms field in page order (path: the HTML id the summary links
    to, the first radio of a group), then ``extra``."""
    errors = []
    for field in form:
        if field.errors:
            anchor = f"{field.id}-0" if field.type == "RadiosField" else field.id
            errors.append(Error(anchor, field.errors[0], code="field"))
    errors.extend(extra or ())
    return errors
