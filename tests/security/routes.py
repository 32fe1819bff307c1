"""The URL rules of the portal, enumerated from ``app.url_map`` and filled with ids.

Every test of this package walks the routes from here, so a route added by any
domain is checked without anybody having to list it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

# Routes whose arguments are not objects of the portal (one-time links of mails).
TOKEN_ENDPOINTS = {"accounts.activate", "accounts.confirm_email", "accounts.reset_password"}
# Routes whose argument is public data, not an object of the portal (company directory look-up).
PUBLIC_DATA_ENDPOINTS = {"tiers.siret_lookup"}
NOT_OBJECTS = TOKEN_ENDPOINTS | PUBLIC_DATA_ENDPOINTS
# Arguments that name no object (a file format): a rule with only these is walked like one without arguments.
NOT_OBJECT_ARGUMENTS = {"fmt"}


def rules(app, method: str) -> list:
    """Rules accepting ``method``, static files excluded, in a stable order."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if method in rule.methods and rule.endpoint != "static"),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def arguments(rule) -> list[str]:
    return _ARGUMENT.findall(rule.rule)


def fill(rule, values: dict[str, str]) -> str:
    """The path of ``rule`` with each argument taken from ``values``."""
    missing = [name for name in arguments(rule) if name not in values]
    assert not missing, (
        f"{rule.rule} : aucune valeur de test pour {missing} (ajoutez-la dans tests/security/routes.py)"
    )
    return _ARGUMENT.sub(lambda match: values[match.group(1)], rule.rule)


def unknown_id() -> str:
    """An id shaped like the store's ids that no object has."""
    return secrets.token_hex(16)


def nobody_values() -> dict[str, str]:
    """Ids of objects that do not exist, for every argument name used by the portal."""
    return {
        "tiers_id": unknown_id(),
        "demande_id": unknown_id(),
        "page_id": "page_inexistante",
        "account_id": unknown_id(),
        "request_id": unknown_id(),
        "file_id": unknown_id(),
        "spec_id": "teleservice-inexistant",
        "list_id": "liste-inexistante",
        "teleservice": "teleservice-inexistant",
        "fmt": "csv",
        "token": secrets.token_urlsafe(32),
        "staff_id": unknown_id(),
        "siret": "00000000000000",
        "job_id": unknown_id(),
    }


def owner_values(world, endpoint: str) -> dict[str, str]:
    """Real ids of the world's first Tiers (``world.tiers``) for ``endpoint``.

    Applicant views of a draft get the draft; conversations, receipts and staff
    views get the transmitted demande (a draft does not exist for them).
    """
    draft_views = {
        "demandes.step",
        "demandes.autosave",
        "demandes.recap",
        "demandes.delete",
        "demandes.transmit",
    }
    return {
        "tiers_id": world.tiers["id"],
        "demande_id": world.draft["id"] if endpoint in draft_views else world.filed["id"],
        "page_id": world.first_page,
        "account_id": world.owner["id"],
        "request_id": world.request["id"],
        "file_id": world.filed["answers"]["statuts"]["file_id"],
        "spec_id": world.filed["teleservice"],
        "list_id": "communes",
        "teleservice": world.filed["teleservice"],
        "fmt": "csv",
        "token": secrets.token_urlsafe(32),
        "staff_id": world.other_instructeur["id"],
        "siret": world.tiers["siret"],
        "job_id": unknown_id(),  # a job is only ever the requester's: tests/outbox checks its access
    }


def is_staff_rule(rule) -> bool:
    return rule.endpoint.startswith("staff.")


def parametrised_rules(app, method: str) -> Iterator:
    """Rules with at least one argument naming an object."""
    for rule in rules(app, method):
        if set(arguments(rule)) - NOT_OBJECT_ARGUMENTS:
            yield rule
