"""Staff accounts management (owner: staff domain), shared by the "Comptes des
agents" pages and the ``portail staff`` command.

Every change is written to the audit trail of the ``staff`` partition by the
repository, in the same transaction; removing the last active administrateur
(role change or deactivation) raises ``LastAdministrateur``. ``StaffAccounts(repo, config)``
is built once in ``Services`` (``services().staff_accounts``).
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ..passwords import hash_password
from ..storage.repositories.staff import assignment_text
from ..vocabulary import StaffRole

CLI_ACTOR = {"kind": "cli", "id": "cli", "name": "Ligne de commande"}
ROLE_LABELS = {role: role.label for role in StaffRole}


def new_staff_password() -> str:
    """A random password that meets the portal's policy (shown once, never stored in clear)."""
    alphabet = "abcdefghijkmnpqrstuvwxyz"
    return (
        secrets.choice(alphabet.upper())
        + "".join(secrets.choice(alphabet) for _ in range(7))
        + "".join(secrets.choice("23456789") for _ in range(4))
        + secrets.choice("-!?*")
        + "".join(secrets.choice(alphabet) for _ in range(3))
    )


class StaffAccounts:
    """Staff account changes over ``repos.staff``; passwords hashed with the configured parameters."""

    def __init__(self, repo: Any, config: Mapping[str, Any]):
        self.repo, self.config = repo, config

    def _hashed(self, password: str) -> str:
        return hash_password(password, self.config)

    def create(self, identifiant: str, email: str, role: str, teleservices: list[str], nom: str = "",
               actor: Mapping[str, str] | None = None) -> tuple[dict[str, Any], str]:
        """Create a staff account with a generated password; returns it and the password.

        Raises ``DuplicateIdentifiant``.
        """
        password = new_staff_password()
        doc = self.repo.create({
            "identifiant": identifiant,
            "email": email,
            "nom": nom or identifiant,
            "role": role,
            "teleservices": list(teleservices),
            "password_hash": self._hashed(password),
        }, actor=actor)
        return doc, password

    def change_assignment(self, staff_id: str, role: str, teleservices: list[str],
                          actor: Mapping[str, str]) -> dict[str, Any] | None:
        """New role and téléservices (effective at the agent's next request)."""
        changes = {"role": role, "teleservices": list(teleservices)}
        return self.repo.change(staff_id, changes, actor, "Rôle et téléservices modifiés",
                                assignment_text(changes))

    def set_active(self, staff_id: str, active: bool, actor: Mapping[str, str]) -> dict[str, Any] | None:
        """Deactivate (the agent can no longer log in, open sessions end) or reactivate an account."""
        action = "Compte réactivé" if active else "Compte désactivé"
        return self.repo.change(staff_id, {"active": active}, actor, action, end_sessions=not active)

    def reset_password(self, staff_id: str, actor: Mapping[str, str]) -> tuple[dict[str, Any] | None, str]:
        """A new random password (returned to be shown once); open sessions end."""
        password = new_staff_password()
        doc = self.repo.change(staff_id, {"password_hash": self._hashed(password)}, actor,
                               "Mot de passe réinitialisé", end_sessions=True)
        return doc, password
