"""What every page of the staff blueprint shares: the blueprint, the agent
signed in, the téléservices they see."""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask_login import current_user

from ...domain import workflow
from ...services import services
from ...storage.repositories.staff import visible_teleservices
from ...vocabulary import StaffRole
from ..identity import staff_required  # noqa: F401  (re-exported for the staff modules)

bp = Blueprint("staff", __name__, url_prefix="/agents")
access_log = logging.getLogger("portail.access")
log = logging.getLogger("portail.staff")

ADMIN = StaffRole.ADMINISTRATEUR
SAFE_ID = re.compile(r"[a-z0-9_-]{1,64}")


def current_staff() -> dict[str, Any]:
    """The stored document of the agent signed in."""
    return current_user.doc


def staff_name(doc: Mapping[str, Any]) -> str:
    return str(doc.get("nom") or doc.get("identifiant") or "Agent")


def actor() -> workflow.Actor:
    return workflow.Actor(kind="staff", id=current_user.id, name=staff_name(current_staff()))


def teleservice_titles() -> dict[str, str]:
    """Title of every published téléservice, by id."""
    return {spec.id: spec.title for spec in services().catalog.teleservices()}


def visible_titles() -> dict[str, str]:
    """Titles of the téléservices this agent sees (all of them for an administrateur)."""
    titles = teleservice_titles()
    allowed = visible_teleservices(current_staff())
    if allowed is None:
        return titles
    return {key: titles.get(key, key) for key in allowed}


def unread_total() -> int:
    """Applicant messages this agent has not read (the « Échanges » menu badge)."""
    if not current_user.is_authenticated or current_user.kind != "staff":
        return 0
    return sum(services().repos.messages.unread_for_staff(current_staff()).values())
