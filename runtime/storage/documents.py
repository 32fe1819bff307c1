"""The documents the repositories return, typed (``TypedDict``: they stay plain dicts,
stored as JSON). Keys are those written by ``runtime/storage/repositories/<name>.py``;
``total=False`` because older documents may lack a key added later.
"""
from __future__ import annotations

from typing import Any, TypedDict

from ..vocabulary import StaffRole, Status


class Address(TypedDict, total=False):
    street: str
    postcode: str
    commune: str


class Demande(TypedDict, total=False):
    id: str
    partition: str  # tiers/<tiers_id> or drafts/<account_id>
    teleservice: str
    teleservice_title: str
    kind: str
    version_key: str
    tiers_id: str | None
    status: Status
    answers: dict[str, Any]
    set_aside: dict[str, Any]
    visited: list[str]
    page_states: dict[str, str]  # page id -> PageState
    created_by: str
    created_at: str
    updated_at: str
    transmitted_at: str | None
    numero: str | None
    history: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    revision: int
    complement: dict[str, Any] | None
    decision: dict[str, Any] | None


class Tiers(TypedDict, total=False):
    """A Tiers: the answers of the Tiers-creation demande at the top level, plus these keys."""

    id: str
    siret: str
    raison_sociale: str
    famille: str
    adresse: Address
    email: str
    created_at: str
    role: str  # TiersRole of the account, on the documents of ``tiers_of_account``


class Account(TypedDict, total=False):
    id: str
    civilite: str
    nom: str
    prenom: str
    identifiant: str
    email: str
    email_key: str
    identifiant_key: str
    password_hash: str
    professionnel: bool
    active: bool
    auth_epoch: int
    created_at: str
    activated_at: str | None


class StaffAccount(TypedDict, total=False):
    id: str
    identifiant: str
    email: str
    nom: str
    role: StaffRole
    teleservices: list[str]
    password_hash: str
    active: bool
    auth_epoch: int
    created_at: str
