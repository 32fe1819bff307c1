"""TiersRepository over the memory store: creation, attachments, roles, audit."""
from __future__ import annotations

import pytest

from runtime.clock import Clock
from runtime.storage.memory import MemoryStore
from runtime.storage.repositories.tiers import (
    AlreadyMember,
    InvalidSiret,
    LastAdministrator,
    NotAdministrator,
    NotMember,
    RequestNotPending,
    SiretTaken,
    TiersRepository,
    normalise_siret,
)

SIRET = "73282932000074"
ADMIN, OTHER, THIRD = "a" * 32, "b" * 32, "c" * 32


@pytest.fixture
def repo():
    return TiersRepository(MemoryStore(), Clock())


@pytest.fixture
def tiers(repo):
    return repo.create_tiers({"siret": SIRET, "raison_sociale": "Tennis club de Vannes", "famille": "association"},
                             ADMIN)


def attach(repo, tiers, account_id):
    request, _ = repo.request_rattachement(tiers["id"], account_id, "association", SIRET, None)
    repo.decide_rattachement(tiers["id"], request["id"], True, "", ADMIN)


@pytest.mark.parametrize("raw", ["73282932000074", "732 829 320 00074", " 73282932000074 ", "732\u00a0829\u00a0320\u00a000074"])
def test_siret_normalised_by_removing_spaces(raw):
    assert normalise_siret(raw) == SIRET


@pytest.mark.parametrize("raw", [
    "７３２８２９３２００００７４",  # fullwidth digits
    "73282932000075",  # bad checksum
    "7328293200007",  # 13 digits
    "732.829.320.00074",
    "",
    "٧٣٢٨٢٩٣٢٠٠٠٠٧٤",  # Arabic-Indic digits
])
def test_siret_refused(raw):
    with pytest.raises(InvalidSiret) as error:
        normalise_siret(raw)
    assert str(error.value) == "Le numéro SIRET doit comporter 14 chiffres et être valide."


def test_create_makes_the_account_administrator(repo, tiers):
    assert tiers["siret"] == SIRET and tiers["raison_sociale"] == "Tennis club de Vannes"
    assert repo.member_role(tiers["id"], ADMIN) == "admin"
    assert [t["id"] for t in repo.tiers_of_account(ADMIN)] == [tiers["id"]]
    assert repo.find_by_siret("732 829 320 00074")["id"] == tiers["id"]
    assert [e["action"] for e in repo.audit(tiers["id"])] == ["creation"]


def test_same_siret_with_spaces_is_taken(repo, tiers):
    with pytest.raises(SiretTaken) as error:
        repo.create_tiers({"siret": "732 829 320 00074"}, OTHER)
    assert error.value.tiers_id == tiers["id"]
    assert repo.tiers_of_account(OTHER) == []


def test_pending_request_is_not_duplicated(repo, tiers):
    first, created = repo.request_rattachement(tiers["id"], OTHER, "association", SIRET, None)
    again, created_again = repo.request_rattachement(tiers["id"], OTHER, "association", SIRET, None)
    assert created and not created_again and again["id"] == first["id"]
    assert len(repo.rattachements(tiers["id"], "pending")) == 1
    assert [r["id"] for r in repo.pending_of_account(OTHER)] == [first["id"]]


def test_accepting_makes_a_member_once(repo, tiers):
    request, _ = repo.request_rattachement(tiers["id"], OTHER, "association", SIRET, None)
    repo.decide_rattachement(tiers["id"], request["id"], True, "", ADMIN)
    assert repo.member_role(tiers["id"], OTHER) == "membre"
    assert repo.pending_of_account(OTHER) == []
    with pytest.raises(RequestNotPending):
        repo.decide_rattachement(tiers["id"], request["id"], False, "", ADMIN)
    with pytest.raises(AlreadyMember):
        repo.request_rattachement(tiers["id"], OTHER, "association", SIRET, None)


def test_refusal_keeps_the_reason_and_gives_no_access(repo, tiers):
    request, _ = repo.request_rattachement(tiers["id"], OTHER, "association", SIRET, None)
    decided = repo.decide_rattachement(tiers["id"], request["id"], False, "  Inconnu du bureau  ", ADMIN)
    assert decided["status"] == "refused" and decided["reason"] == "Inconnu du bureau"
    assert repo.member_role(tiers["id"], OTHER) is None


def test_only_the_administrator_decides(repo, tiers):
    attach(repo, tiers, OTHER)
    request, _ = repo.request_rattachement(tiers["id"], THIRD, "association", SIRET, None)
    with pytest.raises(NotAdministrator):
        repo.decide_rattachement(tiers["id"], request["id"], True, "", OTHER)
    with pytest.raises(NotAdministrator):
        repo.remove_member(tiers["id"], ADMIN, OTHER)


def test_last_administrator_cannot_be_removed_or_give_the_role_to_itself(repo, tiers):
    with pytest.raises(LastAdministrator) as error:
        repo.remove_member(tiers["id"], ADMIN, ADMIN)
    assert "doit toujours avoir un administrateur" in str(error.value)
    with pytest.raises(LastAdministrator):
        repo.transfer_admin(tiers["id"], ADMIN, ADMIN)
    with pytest.raises(NotMember):
        repo.transfer_admin(tiers["id"], THIRD, ADMIN)
    assert repo.member_role(tiers["id"], ADMIN) == "admin"


def test_transfer_and_remove(repo, tiers):
    attach(repo, tiers, OTHER)
    repo.transfer_admin(tiers["id"], OTHER, ADMIN)
    assert repo.member_role(tiers["id"], OTHER) == "admin"
    assert repo.member_role(tiers["id"], ADMIN) == "membre"
    repo.remove_member(tiers["id"], ADMIN, OTHER)
    assert repo.member_role(tiers["id"], ADMIN) is None
    assert repo.tiers_of_account(ADMIN) == []
    actions = [(e["action"], e["by"], e["target"]) for e in repo.audit(tiers["id"])]
    assert actions == [
        ("creation", ADMIN, ADMIN),
        ("demande_rattachement", OTHER, OTHER),
        ("rattachement_accepte", ADMIN, OTHER),
        ("transfert_administration", ADMIN, OTHER),
        ("retrait", OTHER, ADMIN),
    ]


@pytest.mark.parametrize("bad_id", ["../registry", "registry", "", None, "A" * 32])
def test_foreign_looking_ids_find_nothing(repo, tiers, bad_id):
    assert repo.get(bad_id) is None
    assert repo.member_role(bad_id, ADMIN) is None
