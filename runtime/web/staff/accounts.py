"""« Comptes des agents » (administrateurs): create an account, change its role
and téléservices, deactivate or reactivate it, reset its password. Routes of the
``staff`` blueprint; the rules and the audit trail are in ``runtime.domain.staff_accounts``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from ...domain import staff_accounts as accounts_service
from ...services import services
from ...spec.errors import Error
from ...storage.repositories.staff import LastAdministrateur
from ...vocabulary import StaffRole
from .common import ADMIN, SAFE_ID, actor, bp, log, staff_required, teleservice_titles

IDENTIFIANT = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_assignment(form: Mapping[str, Any], teleservices: Mapping[str, str]) -> tuple[dict, list[Error]]:
    """Role and téléservices of an account, with a French error per invalid one."""
    values = {"role": form.get("role") or "", "teleservices": [t for t in form.getlist("teleservices") if t]}
    errors: list[Error] = []
    if values["role"] not in tuple(StaffRole):
        errors.append(Error("role", "Choisissez le rôle de l'agent."))
    if any(t not in teleservices for t in values["teleservices"]):
        errors.append(Error("teleservices", "Choisissez des téléservices dans la liste."))
    elif values["role"] == StaffRole.INSTRUCTEUR and not values["teleservices"]:
        errors.append(Error("teleservices", "Choisissez au moins un téléservice à instruire."))
    return values, errors


def _check_staff_form(form: Mapping[str, Any], teleservices: Mapping[str, str]) -> tuple[dict, list[Error]]:
    values = {
        "identifiant": (form.get("identifiant") or "").strip().lower(),
        "email": (form.get("email") or "").strip(),
        "nom": (form.get("nom") or "").strip(),
    }
    errors: list[Error] = []
    if not IDENTIFIANT.fullmatch(values["identifiant"]):
        errors.append(Error("identifiant", "L'identifiant doit compter de 3 à 40 caractères : lettres "
                                           "minuscules, chiffres, point, tiret ou tiret bas."))
    elif services().repos.staff.find_by_identifiant(values["identifiant"]):
        errors.append(Error("identifiant", "Cet identifiant est déjà utilisé."))
    if not EMAIL.fullmatch(values["email"]):
        errors.append(Error("email", "Saisissez une adresse électronique valide, par exemple "
                                     "prenom.nom@ampmetropole.fr."))
    if not values["nom"]:
        errors.append(Error("nom", "Saisissez le nom de l'agent."))
    assignment, assignment_errors = _check_assignment(form, teleservices)
    return {**values, **assignment}, errors + assignment_errors


def _auditactor() -> dict[str, str]:
    return dict(actor().__dict__)


@bp.route("/comptes", methods=["GET", "POST"])
@staff_required(ADMIN)
def accounts():
    """Staff accounts: list and creation; the generated password is shown once, never stored in clear."""
    titles = teleservice_titles()
    values: dict[str, Any] = {"teleservices": []}
    errors: list[Error] = []
    created = None
    if request.method == "POST":
        values, errors = _check_staff_form(request.form, titles)
        if not errors:
            doc, password = services().staff_accounts.create(
                values["identifiant"], values["email"], values["role"], values["teleservices"], values["nom"],
                actor=_auditactor())
            log.info("Agent %s créé par %s", doc["identifiant"], current_user.id)
            created, values = {"doc": doc, "password": password}, {"teleservices": []}
    response = render_template(
        "staff/comptes.html",
        page_title="Comptes des agents",
        active_menu="comptes",
        staff_accounts=services().repos.staff.list(),
        titles=titles,
        role_labels=accounts_service.ROLE_LABELS,
        values=values,
        errors=errors,
        created=created,
    ), (400 if errors else 200)
    return _no_store(response) if created else response


def _load_account(staff_id: str) -> dict[str, Any]:
    doc = services().repos.staff.get(staff_id) if SAFE_ID.fullmatch(staff_id) else None
    if doc is None:
        abort(404)
    return doc


def _render_account(doc: Mapping[str, Any], values: Mapping[str, Any] | None = None,
                    errors: list[Error] | None = None, new_password: str | None = None, status: int = 200):
    response = render_template(
        "staff/compte.html",
        page_title=f"Compte de {doc.get('nom') or doc['identifiant']}",
        active_menu="comptes",
        agent=doc,
        titles=teleservice_titles(),
        role_labels=accounts_service.ROLE_LABELS,
        values=values or {"role": doc.get("role"), "teleservices": doc.get("teleservices") or []},
        errors=errors or [],
        new_password=new_password,
        audit=services().repos.staff.audit(doc["id"]),
    ), status
    return _no_store(response) if new_password else response


def _no_store(response):
    """A page showing a password in clear is never kept by a cache or the browser history."""
    body, status = response
    return body, status, {"Cache-Control": "no-store"}


def _after_change(doc: Mapping[str, Any], message: str):
    """Flash, then back to the account; an administrateur who demoted or deactivated
    themselves leaves the pages they may no longer see."""
    flash(message, "success")
    if doc["id"] != current_user.id:
        return redirect(url_for(".account", staff_id=doc["id"]))
    if not doc.get("active", True):
        logout_user()
        return redirect(url_for(".login"))
    if doc.get("role") != ADMIN:
        return redirect(url_for(".demandes"))
    return redirect(url_for(".account", staff_id=doc["id"]))


@bp.route("/comptes/<staff_id>", methods=["GET", "POST"])
@staff_required(ADMIN)
def account(staff_id: str):
    doc = _load_account(staff_id)
    if request.method == "GET":
        return _render_account(doc)
    values, errors = _check_assignment(request.form, teleservice_titles())
    if errors:
        return _render_account(doc, values, errors, status=400)
    try:
        changed = services().staff_accounts.change_assignment(staff_id, values["role"], values["teleservices"],
                                                              _auditactor())
    except LastAdministrateur as error:
        return _render_account(doc, values, [Error("role", str(error), code="staff")], status=400)
    log.info("Agent %s : rôle et téléservices modifiés par %s", doc["identifiant"], current_user.id)
    return _after_change(changed, "Rôle et téléservices enregistrés.")


def _set_active(staff_id: str, active: bool):
    doc = _load_account(staff_id)
    try:
        changed = services().staff_accounts.set_active(staff_id, active, _auditactor())
    except LastAdministrateur as error:
        return _render_account(doc, errors=[Error("desactiver", str(error), code="staff")], status=400)
    log.info("Agent %s %s par %s", doc["identifiant"], "réactivé" if active else "désactivé", current_user.id)
    message = "Le compte est réactivé." if active else \
        "Le compte est désactivé : l'agent ne peut plus se connecter et ses sessions sont fermées."
    return _after_change(changed, message)


@bp.post("/comptes/<staff_id>/desactiver")
@staff_required(ADMIN)
def deactivate_account(staff_id: str):
    return _set_active(staff_id, False)


@bp.post("/comptes/<staff_id>/reactiver")
@staff_required(ADMIN)
def reactivate_account(staff_id: str):
    return _set_active(staff_id, True)


@bp.post("/comptes/<staff_id>/mot-de-passe")
@staff_required(ADMIN)
def reset_account_password(staff_id: str):
    _load_account(staff_id)
    doc, password = services().staff_accounts.reset_password(staff_id, _auditactor())
    log.info("Agent %s : mot de passe réinitialisé par %s", doc["identifiant"], current_user.id)
    if doc["id"] == current_user.id:
        logout_user()
    return _render_account(doc, new_password=password)
