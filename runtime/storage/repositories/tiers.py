"""The Tiers: structures, their member accounts, attachment requests, audit trail.

Layout:
- ``tiers/<tiers_id>``: table ``tiers`` (one document, id = tiers_id),
  ``members`` (id = account_id: ``account_id``, ``role`` "admin"|"membre", ``since``),
  ``rattachements`` (attachment requests), ``audit`` (who did what, when);
- ``registry``: table ``siret`` (id = normalised SIRET → ``tiers_id``), claimed
  while the registry partition is locked so one SIRET never gives two Tiers;
- ``memberships/<account_id>``: table ``tiers`` (id = tiers_id), an index of the
  account's Tiers so the accounts file is not rewritten on each change. The
  ``members`` table of the Tiers stays the authority: the index is always
  re-checked against it.

Lock order, always: ``registry`` → ``tiers/<id>`` → ``memberships/<account>``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stdnum.fr import siret as stdnum_siret

from ...spec.errors import ErrorRaised
from ...vocabulary import RattachementStatus, TiersRole
from ..base import Document, new_id
from ..documents import Tiers
from ._base import BaseRepository

ADMIN = TiersRole.ADMIN
MEMBER = TiersRole.MEMBRE
PENDING, ACCEPTED, REFUSED = RattachementStatus.PENDING, RattachementStatus.ACCEPTED, RattachementStatus.REFUSED

_SPACES = re.compile("[ \u00a0\u202f]")
_ASCII_SIRET = re.compile("[0-9]{14}")


class TiersError(ErrorRaised):
    """A refused Tiers operation; ``str()`` is the French message for the user,
    ``.error`` the portal's one error type (code ``tiers:<reason>``)."""

    code = "tiers"


class InvalidSiret(TiersError):
    code = "tiers:invalid_siret"

    def __init__(self) -> None:
        super().__init__("Le numéro SIRET doit comporter 14 chiffres et être valide.", "siret")


class SiretTaken(TiersError):
    """The SIRET already belongs to a Tiers (``tiers_id``)."""

    code = "tiers:siret_taken"

    def __init__(self, tiers_id: str, siret: str):
        self.tiers_id, self.siret = tiers_id, siret
        super().__init__(f"Une structure portant le numéro SIRET {siret} existe déjà sur le portail.", "siret")


class LastAdministrator(TiersError):
    code = "tiers:last_administrator"

    def __init__(self) -> None:
        super().__init__(
            "Cette structure doit toujours avoir un administrateur : "
            "transmettez d'abord le rôle d'administrateur à un autre compte rattaché."
        )


class NotMember(TiersError):
    code = "tiers:not_member"

    def __init__(self) -> None:
        super().__init__("Ce compte n'est pas rattaché à cette structure.")


class NotAdministrator(TiersError):
    code = "tiers:not_administrator"

    def __init__(self) -> None:
        super().__init__("Seul l'administrateur de la structure peut faire cette action.")


class AlreadyMember(TiersError):
    code = "tiers:already_member"

    def __init__(self) -> None:
        super().__init__("Votre compte est déjà rattaché à cette structure.")


class RequestNotPending(TiersError):
    code = "tiers:request_not_pending"

    def __init__(self) -> None:
        super().__init__("Cette demande de rattachement a déjà été traitée.")


def tiers_name(tiers: Mapping[str, Any] | None) -> str:
    """How a Tiers is named in listings, mails and the staff index: its raison sociale."""
    return str((tiers or {}).get("raison_sociale") or "")


def normalise_siret(raw: str) -> str:
    """The SIRET without spaces; raise ``InvalidSiret`` unless it is 14 ASCII digits
    with a valid checksum (fullwidth or other Unicode digits are refused)."""
    siret = _SPACES.sub("", str(raw or ""))
    if not _ASCII_SIRET.fullmatch(siret) or not stdnum_siret.is_valid(siret):
        raise InvalidSiret()
    return siret


def _partition(tiers_id: str) -> str:
    return f"tiers/{tiers_id}"


def _memberships(account_id: str) -> str:
    return f"memberships/{account_id}"


class TiersRepository(BaseRepository):
    # -- reading ---------------------------------------------------------

    def get(self, tiers_id: str) -> Tiers | None:
        if not _valid_id(tiers_id):
            return None
        return self.store.read(_partition(tiers_id)).table("tiers").get(tiers_id)

    def find_by_siret(self, siret: str) -> Tiers | None:
        try:
            key = normalise_siret(siret)
        except InvalidSiret:
            return None
        entry = self.store.read("registry").table("siret").get(key)
        return self.get(entry["tiers_id"]) if entry else None

    def tiers_of_account(self, account_id: str) -> list[Tiers]:
        """The Tiers the account is a member of, each with its ``role``, sorted by name."""
        result = []
        for entry in self.store.read(_memberships(account_id)).table("tiers").all():
            role = self.member_role(entry["id"], account_id)
            tiers = self.get(entry["id"]) if role else None
            if tiers:
                result.append({**tiers, "role": role})
        return sorted(result, key=lambda t: (t.get("raison_sociale") or "").casefold())

    def member_role(self, tiers_id: str, account_id: str | None) -> str | None:
        if not account_id or not _valid_id(tiers_id):
            return None
        member = self.store.read(_partition(tiers_id)).table("members").get(account_id)
        return member["role"] if member else None

    def members(self, tiers_id: str) -> list[Document]:
        members = self.store.read(_partition(tiers_id)).table("members").all()
        return sorted(members, key=lambda m: (m["role"] != ADMIN, m["since"]))

    def rattachements(self, tiers_id: str, status: str | None = None) -> list[Document]:
        table = self.store.read(_partition(tiers_id)).table("rattachements")
        found = table.find(status=status) if status else table.all()
        return sorted(found, key=lambda r: r["created_at"])

    def rattachement(self, tiers_id: str, request_id: str) -> Document | None:
        if not _valid_id(tiers_id):
            return None
        return self.store.read(_partition(tiers_id)).table("rattachements").get(request_id)

    def pending_of_account(self, account_id: str) -> list[Document]:
        """The account's attachment requests still waiting for a decision."""
        result = []
        for entry in self.store.read(_memberships(account_id)).table("requests").all():
            request = self.rattachement(entry["tiers_id"], entry["id"])
            if request and request["status"] == PENDING:
                result.append(request)
        return result

    def audit(self, tiers_id: str) -> list[Document]:
        entries = self.store.read(_partition(tiers_id)).table("audit").all()
        return sorted(entries, key=lambda e: e["seq"])

    # -- case 1: creation ------------------------------------------------

    def create_tiers(self, data: Mapping[str, Any], admin_account_id: str) -> Tiers:
        """Create a Tiers from ``data`` (must hold ``siret``) with its first administrator.

        Raises ``SiretTaken`` when the normalised SIRET is already registered,
        ``InvalidSiret`` when it is not a valid SIRET.
        """
        siret = normalise_siret(data.get("siret", ""))
        tiers_id = new_id()
        now = self.now_iso()
        with self.store.transaction("registry") as registry:
            claimed = registry.table("siret").get(siret)
            if claimed:
                raise SiretTaken(claimed["tiers_id"], siret)
            with self.store.transaction(_partition(tiers_id)) as part:
                part.table("tiers").insert(
                    {**data, "id": tiers_id, "siret": siret, "created_at": now, "created_by": admin_account_id}
                )
                part.table("members").insert({"id": admin_account_id, "account_id": admin_account_id,
                                              "role": ADMIN, "since": now})
                _log(part, now, admin_account_id, "creation", admin_account_id)
            self._index_membership(admin_account_id, tiers_id, now)
            registry.table("siret").insert({"id": siret, "tiers_id": tiers_id, "at": now})
        return self.get(tiers_id)

    # -- case 2: attachment requests ---------------------------------------

    def request_rattachement(
        self, tiers_id: str, account_id: str, famille: str, siret: str, piece: Mapping[str, Any] | None
    ) -> tuple[Document, bool]:
        """File an attachment request; return ``(request, created)``.

        A request already pending for this account is returned unchanged
        (``created`` False). Raises ``AlreadyMember``.
        """
        now = self.now_iso()
        with self.store.transaction(_partition(tiers_id)) as part:
            if part.table("members").get(account_id):
                raise AlreadyMember()
            pending = part.table("rattachements").find_one(account_id=account_id, status=PENDING)
            if pending:
                return pending, False
            request_id = part.table("rattachements").insert({
                "account_id": account_id, "famille": famille, "siret": normalise_siret(siret),
                "piece": dict(piece) if piece else None, "status": PENDING, "reason": "",
                "created_at": now, "decided_at": None, "decided_by": None,
            })
            _log(part, now, account_id, "demande_rattachement", account_id)
            request = part.table("rattachements").get(request_id)
            with self.store.transaction(_memberships(account_id)) as own:
                own.table("requests").insert({"id": request_id, "tiers_id": tiers_id, "at": now})
        return request, True

    def decide_rattachement(
        self, tiers_id: str, request_id: str, accept: bool, reason: str, by: str
    ) -> Document:
        """Accept or refuse a pending request, as administrator ``by``; return the request."""
        now = self.now_iso()
        with self.store.transaction(_partition(tiers_id)) as part:
            _require_admin(part, by)
            requests = part.table("rattachements")
            request = requests.get(request_id)
            if request is None:
                raise KeyError(request_id)
            if request["status"] != PENDING:
                raise RequestNotPending()
            status = ACCEPTED if accept else REFUSED
            request = requests.update(request_id, {"status": status, "reason": reason.strip(),
                                                   "decided_at": now, "decided_by": by})
            requester = request["account_id"]
            if accept and not part.table("members").get(requester):
                part.table("members").insert({"id": requester, "account_id": requester,
                                              "role": MEMBER, "since": now})
            _log(part, now, by, "rattachement_accepte" if accept else "rattachement_refuse", requester,
                 reason.strip())
            if accept:
                self._index_membership(requester, tiers_id, now)
        return request

    # -- administrator's tools ---------------------------------------------

    def remove_member(self, tiers_id: str, account_id: str, by: str) -> None:
        with self.store.transaction(_partition(tiers_id)) as part:
            _require_admin(part, by)
            member = part.table("members").get(account_id)
            if member is None:
                raise NotMember()
            if member["role"] == ADMIN:
                raise LastAdministrator()
            part.table("members").remove(account_id)
            now = self.now_iso()
            _log(part, now, by, "retrait", account_id)
            with self.store.transaction(_memberships(account_id)) as own:
                if own.table("tiers").get(tiers_id):
                    own.table("tiers").remove(tiers_id)

    def transfer_admin(self, tiers_id: str, to_account_id: str, by: str) -> None:
        """Hand the administrator role of ``by`` to another member (``by`` stays a member)."""
        with self.store.transaction(_partition(tiers_id)) as part:
            _require_admin(part, by)
            members = part.table("members")
            if to_account_id == by:
                raise LastAdministrator()
            if members.get(to_account_id) is None:
                raise NotMember()
            members.update(to_account_id, {"role": ADMIN})
            members.update(by, {"role": MEMBER})
            _log(part, self.now_iso(), by, "transfert_administration", to_account_id)

    def update_tiers(self, tiers_id: str, changes: Mapping[str, Any]) -> Tiers:
        """Change the Tiers' data; the SIRET (its registry key) never changes here."""
        changes = {k: v for k, v in changes.items() if k not in ("id", "siret", "created_at", "created_by")}
        with self.store.transaction(_partition(tiers_id)) as part:
            return part.table("tiers").update(tiers_id, changes)

    def _index_membership(self, account_id: str, tiers_id: str, now: str) -> None:
        with self.store.transaction(_memberships(account_id)) as own:
            if not own.table("tiers").get(tiers_id):
                own.table("tiers").insert({"id": tiers_id, "since": now})


def _valid_id(tiers_id: Any) -> bool:
    # ids come from URLs and forms: never let one name another partition
    return isinstance(tiers_id, str) and re.fullmatch("[0-9a-f]{12,64}", tiers_id) is not None


def _require_admin(part, account_id: str) -> None:
    member = part.table("members").get(account_id)
    if not member or member["role"] != ADMIN:
        raise NotAdministrator()


def _log(part, now: str, by: str, action: str, target: str, detail: str = "") -> None:
    audit = part.table("audit")
    # a sequence number: several entries may share the same second
    audit.insert({"seq": len(audit.all()) + 1, "at": now, "by": by, "action": action, "target": target,
                  "detail": detail})
