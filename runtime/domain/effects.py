"""Transactional outbox: what must follow a write is recorded by that write.

A transmission, a status change, a rattachement decision or a message has
consequences outside its partition: a row of the staff index, mails, later
webhooks. They used to be done after the write, as separate steps, so a
process killed in between lost them for good. Now each one is an *effect*
document written in the table ``outbox`` of the **same partition, in the same
transaction** as the business change: the change and its effects are stored
together or not at all, on every ``Store`` (a transaction is atomic for one
partition only, which is all this needs).

Usage (``outbox`` is ``services().outbox``, an ``Outbox`` built once in ``Services``
with its store, clock, mailer and timing; the domain services receive it in their constructor)::

    with outbox.recording("tiers/abc") as rec:         # hint first, then the partition's transaction
        stored = repo.modify("tiers/abc", demande_id, change)   # joins the same transaction
        rec.index(stored)                              # staff index row, recomputed at delivery
        rec.mail(address, "demandes/accuse_reception", **context)  # rendered now, sent at delivery
    # committed: the request tries to deliver right away (after-commit attempt)

``outbox.record(part, kind, payload)`` is the low-level form for code that already
holds a partition handle.

Finding pending effects without scanning every partition: before the
business write commits, a *hint* naming the partition is written in one of
16 buckets ``outbox/<x>`` (intent first: a crash after the hint leaves at
worst a hint with nothing behind it). The request drops its hint once its
effects are delivered, unless another writer is on its way (``release_hint``);
``portail worker`` visits the hints that are due, delivers, and drops a hint
once its partition has had nothing pending for ``OUTBOX_HINT_GRACE_SECONDS``.

Delivery is idempotent and retried with exponential backoff:

- a new effect belongs to the request that recorded it for
  ``OUTBOX_LEASE_SECONDS`` (more than the request time budget): only that
  request delivers it meanwhile, so a double submission never sends twice;
- after that anyone may *claim* it: the claim moves ``next_attempt_at`` by the
  backoff (30 s, 1 min, 2 min... up to 1 h) in the partition's transaction,
  then delivers, then removes the effect; a failure keeps it with its error;
- a mail's idempotency key is its effect id: the outbox folder names the
  ``.eml`` after it (written at most once) and the ``Message-ID`` is derived
  from it. SMTP: a crash between the server's acceptance and the removal of
  the effect (a few milliseconds) would hand it over again, with the same
  ``Message-ID``;
- an index effect re-reads the demande and upserts its row: always current,
  whatever the order.
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from ..storage.base import Store, new_id
from ..tracing import current_request_id

log = logging.getLogger("portail.outbox")

OUTBOX = "outbox"  # table of effects in the business partition
HINTS_PREFIX = "outbox/"
HINTS = "hints"
BUCKETS = "0123456789abcdef"

MAIL = "mail"
INDEX = "index"

Handler = Callable[[str, Mapping[str, Any]], None]


@dataclass(frozen=True)
class Timing:
    lease: timedelta
    retry_base: timedelta
    retry_max: timedelta
    hint_grace: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Timing:
        return cls(
            lease=timedelta(seconds=config.get("OUTBOX_LEASE_SECONDS", 120)),
            retry_base=timedelta(seconds=config.get("OUTBOX_RETRY_BASE_SECONDS", 30)),
            retry_max=timedelta(seconds=config.get("OUTBOX_RETRY_MAX_SECONDS", 3600)),
            hint_grace=timedelta(seconds=config.get("OUTBOX_HINT_GRACE_SECONDS", 600)),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next attempt after ``attempts`` attempts (doubling, capped)."""
        return min(self.retry_base * (2 ** max(attempts - 1, 0)), self.retry_max)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def hint_partition(partition: str) -> str:
    return HINTS_PREFIX + hashlib.sha1(partition.encode()).hexdigest()[0]


def touch_hint(store: Store, partition: str, now: datetime, lease: timedelta) -> None:
    """Say "effects may be pending in ``partition``" before they are written."""
    with store.transaction(hint_partition(partition)) as part:
        hints = part.table(HINTS)
        hint = hints.get(partition)
        due = _iso(now + lease)
        if hint is None:
            hints.insert({"id": partition, "partition": partition, "since": _iso(now), "at": _iso(now),
                          "due": due, "oldest": _iso(now), "writers": 1})
        else:
            hints.update(partition, {"at": _iso(now), "due": min(hint["due"], due),
                                     "oldest": hint.get("oldest") or _iso(now),
                                     "writers": hint.get("writers", 0) + 1})


def release_hint(store: Store, partition: str) -> None:
    """The request that touched the hint is done (committed and delivered, or rolled back):
    the hint goes when no other writer is on its way and nothing is pending, so the
    buckets hold what is pending, not every partition ever written (a portal without a
    worker would read and rewrite ever larger buckets). A writer still between its touch
    and its commit counts in ``writers``; one that comes later touches a new hint. A crash
    leaves ``writers`` above zero: the worker drops the hint after the grace period."""
    with store.transaction(hint_partition(partition)) as part:
        hints = part.table(HINTS)
        hint = hints.get(partition)
        if hint is None:
            return
        writers = max(hint.get("writers", 1) - 1, 0)
        if writers == 0 and not store.read(partition).table(OUTBOX).all():
            hints.remove(partition)
        else:
            hints.update(partition, {"writers": writers})


# --------------------------------------------------------------------------- the outbox


class Outbox:
    """Records effects with the business writes and delivers them.

    Built once in ``Services`` with what delivering needs: the store, the clock,
    the mailer (``build``/``deliver``), the timing (``Timing.from_config``), and
    ``reindex(demande_id, demande_or_None)`` which refreshes a staff index row
    (``StaffIndexer.reindex_effect``). ``register(kind, handler)`` adds a kind."""

    def __init__(self, store: Store, clock: Any, mailer: Any, timing: Timing,
                 reindex: Callable[[str, Mapping[str, Any] | None], None]):
        self.store, self.clock, self.mailer, self.timing = store, clock, mailer, timing
        self._reindex = reindex
        self.handlers: dict[str, Handler] = {MAIL: self._deliver_mail, INDEX: self._deliver_index}

    def register(self, kind: str, handler: Handler) -> None:
        """Add a kind of effect (e.g. webhooks): ``handler(partition, effect)``, idempotent."""
        self.handlers[kind] = handler

    # ----------------------------------------------------------------------- recording

    def recording(self, partition: str) -> Recording:
        """``with outbox.recording(partition) as rec:`` (see the module's documentation)."""
        return Recording(self, partition)

    def record(self, part, kind: str, payload: Mapping[str, Any], effect_id: str | None = None,
               hint: bool = True) -> dict[str, Any]:
        """Record one effect in the open transaction ``part`` (committed with it)."""
        if kind not in self.handlers:
            raise ValueError(f"effet inconnu : {kind}")
        now = self.clock.now()
        if hint:
            touch_hint(self.store, part.name, now, self.timing.lease)
        effect = {
            "id": effect_id or new_id(),
            "kind": kind,
            "payload": dict(payload),
            "created_at": _iso(now),
            "created_ns": time.time_ns(),
            "next_attempt_at": _iso(now + self.timing.lease),
            "attempts": 0,
            "last_error": None,
            "request_id": current_request_id(),
        }
        part.table(OUTBOX).insert(effect)
        return effect

    def render_mail(self, to: str, template: str, effect_id: str, **context: Any) -> str:
        from ..mail.backends import WIRE_POLICY

        message = self.mailer.build(to, template, message_id=effect_id, **context)
        return message.as_bytes(policy=WIRE_POLICY).decode("utf-8")

    # ----------------------------------------------------------------------- handlers

    def _deliver_mail(self, partition: str, effect: Mapping[str, Any]) -> None:
        from ..mail import MailError

        message = email.message_from_bytes(effect["payload"]["message"].encode("utf-8"),
                                           policy=email.policy.default)
        try:
            self.mailer.deliver(message, effect["id"], effect["created_ns"])
        except MailError:
            log.warning("Courriel %s non transmis au serveur SMTP (copie dans l'outbox) : nouvel essai plus tard",
                        effect["id"])
            raise

    def _deliver_index(self, partition: str, effect: Mapping[str, Any],
                       demande: Mapping[str, Any] | None = None) -> None:
        # without ``demande`` the row is computed from the demande read again (it may have moved)
        self._reindex(effect["payload"]["demande_id"], demande)

    # ----------------------------------------------------------------------- delivery

    def _attempt(self, partition: str, batch: Iterable[Mapping[str, Any]], outcome: Outcome,
                 written: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        for effect in batch:
            try:
                if written and effect["id"] in written:
                    self._deliver_index(partition, effect, written[effect["id"]])
                else:
                    self.handlers[effect["kind"]](partition, effect)
            except Exception as error:  # noqa: BLE001 - kept and retried; the request or the loop goes on
                outcome.failed[effect["id"]] = f"{type(error).__name__}: {error}"[:500]
                log.warning("Effet %s (%s) de %s en échec, tentative %s (requête %s) : %s", effect["id"],
                            effect["kind"], partition, effect["attempts"] or 1, effect.get("request_id"), error)
            else:
                outcome.delivered.append(effect["id"])
                log.info("Effet %s (%s) de %s livré (requête %s)", effect["id"], effect["kind"], partition,
                         effect.get("request_id"))

    def deliver_recorded(self, partition: str, recorded: list[Mapping[str, Any]],
                         written: Mapping[str, Mapping[str, Any]] | None = None) -> Outcome:
        """The after-commit attempt of the request that recorded these effects."""
        outcome = Outcome()
        self._attempt(partition, recorded, outcome, written)
        try:
            _complete(self.store, partition, outcome, self.clock.now(), self.timing, claimed=False)
            if outcome.failed:  # the worker must come back at the first retry, not at the end of the lease
                _bring_forward(self.store, partition, outcome.next_due)
        except Exception:  # the business write stands; the worker finishes the job
            log.exception("Effets de %s livrés mais non soldés (le worker s'en chargera)", partition)
        return outcome

    def deliver_partition(self, partition: str) -> Outcome:
        """Claim the effects of ``partition`` that are due, deliver them, settle them."""
        store, timing, now = self.store, self.timing, self.clock.now()
        due = [e for e in store.read(partition).table(OUTBOX).all() if e["next_attempt_at"] <= _iso(now)]
        claimed: list[dict[str, Any]] = []
        if due:
            with store.transaction(partition) as part:
                table = part.table(OUTBOX)
                for effect in table.all():
                    if effect["next_attempt_at"] <= _iso(now):  # not claimed by someone else meanwhile
                        attempts = effect["attempts"] + 1
                        claimed.append(table.update(effect["id"], {
                            "attempts": attempts, "next_attempt_at": _iso(now + timing.backoff(attempts))}))
        outcome = Outcome()
        self._attempt(partition, claimed, outcome)
        _complete(store, partition, outcome, now, timing, claimed=True)
        return outcome

    def redrive(self, partition: str) -> Outcome:
        """Deliver what is pending and due in one partition now (the "already
        transmitted" path: the user retried, maybe after a crash)."""
        try:
            return self.deliver_partition(partition)
        except Exception:  # a retry never fails because of a late effect
            log.exception("Relance des effets de %s impossible", partition)
            return Outcome()

    def deliver_due(self) -> int:
        """One pass of the worker over the hints; returns the number of effects delivered."""
        store = self.store
        delivered = 0
        for bucket in sorted(store.partitions(HINTS_PREFIX)):
            now = self.clock.now()
            outcomes: dict[str, Outcome] = {}
            for hint in store.read(bucket).table(HINTS).all():
                if hint["due"] > _iso(now):
                    continue
                try:
                    outcome = self.deliver_partition(hint["partition"])
                except Exception:  # one damaged partition must not stop the others
                    log.exception("Livraison des effets de %s impossible", hint["partition"])
                    continue
                delivered += len(outcome.delivered)
                outcomes[hint["partition"]] = outcome
            if outcomes:  # one write of the bucket for the pass (after an outage it holds thousands)
                _settle_hints(store, bucket, outcomes, now, self.timing)
        return delivered


_open = threading.local()


class Recording:
    """Open the partition's transaction; effects added are committed with the
    business change, then delivered right after the commit. A recording
    opened inside another one on the same partition joins it."""

    def __init__(self, outbox: Outbox, partition: str):
        self.outbox = outbox
        self.partition = partition
        self.store = outbox.store
        self.effects: list[dict[str, Any]] = []
        self.written: dict[str, dict[str, Any]] = {}  # effect id → document as written (index effects)
        self.part = None
        self._outer: Recording | None = None
        self._hinted = False

    def __enter__(self) -> Self:
        opened = _open.__dict__.setdefault("recordings", {})
        self._outer = opened.get(self.partition)
        self._transaction = self.store.transaction(self.partition)
        self.part = self._transaction.__enter__()
        if self._outer is None:
            opened[self.partition] = self
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            result = self._transaction.__exit__(exc_type, exc, tb)
        finally:
            if self._outer is None:
                _open.recordings.pop(self.partition, None)
        if self._outer is not None:
            self._outer.effects.extend(self.effects)
            self._outer._hinted = self._outer._hinted or self._hinted
            return result
        if exc_type is None and self.effects:
            self.outbox.deliver_recorded(self.partition, self.effects, self.written)
        if self._hinted:
            try:
                release_hint(self.store, self.partition)
            except Exception:  # the hint stays: the worker drops it after the grace period
                log.exception("Indice des effets de %s non libéré", self.partition)
        return result

    def add(self, kind: str, payload: Mapping[str, Any], effect_id: str | None = None) -> dict[str, Any]:
        owner = self._outer or self
        effect = self.outbox.record(self.part, kind, payload, effect_id, hint=not owner._hinted)
        owner._hinted = self._hinted = True
        self.effects.append(effect)
        return effect

    def index(self, demande: Mapping[str, Any]) -> dict[str, Any]:
        """Refresh the staff index row of this demande (read again by a later delivery;
        the after-commit attempt uses ``demande`` as written, which holds even when
        this transaction was joined by an outer one still open)."""
        effect = self.add(INDEX, {"demande_id": demande["id"]})
        (self._outer or self).written[effect["id"]] = dict(demande)
        return effect

    def mail(self, to: str | None, template: str, **context: Any) -> dict[str, Any] | None:
        """A mail rendered now (the state the user saw), handed over at delivery."""
        if not to:
            log.warning("Courriel %s non envoyé : adresse inconnue", template)
            return None
        effect_id = new_id()
        text = self.outbox.render_mail(to, template, effect_id, **context)
        return self.add(MAIL, {"to": to, "template": template, "message": text}, effect_id)


# --------------------------------------------------------------------------- settling


@dataclass
class Outcome:
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    remaining: list[dict[str, Any]] = field(default_factory=list)  # still in the partition afterwards

    @property
    def next_due(self) -> str | None:
        return min((e["next_attempt_at"] for e in self.remaining), default=None)

    @property
    def oldest(self) -> str | None:
        return min((e["created_at"] for e in self.remaining), default=None)


def _complete(store: Store, partition: str, outcome: Outcome, now: datetime, timing: Timing,
              claimed: bool) -> None:
    """Remove what was delivered, keep failures with their error and next attempt."""
    if outcome.delivered or outcome.failed:
        with store.transaction(partition) as part:
            table = part.table(OUTBOX)
            for effect_id in outcome.delivered:
                if table.get(effect_id) is not None:
                    table.remove(effect_id)
            for effect_id, error in outcome.failed.items():
                effect = table.get(effect_id)
                if effect is None:
                    continue
                changes: dict[str, Any] = {"last_error": error}
                if not claimed:  # the request's own attempt counts as the first one
                    changes["attempts"] = effect["attempts"] + 1
                    changes["next_attempt_at"] = _iso(now + timing.backoff(changes["attempts"]))
                table.update(effect_id, changes)
            outcome.remaining = table.all()
    else:
        outcome.remaining = store.read(partition).table(OUTBOX).all()


def _bring_forward(store: Store, partition: str, due: str | None) -> None:
    if due is None:
        return
    with store.transaction(hint_partition(partition)) as part:
        hint = part.table(HINTS).get(partition)
        if hint is not None and hint["due"] > due:
            part.table(HINTS).update(partition, {"due": due})


def _settle_hints(store: Store, bucket: str, outcomes: Mapping[str, Outcome], now: datetime,
                  timing: Timing) -> None:
    with store.transaction(bucket) as part:
        hints = part.table(HINTS)
        for partition, outcome in outcomes.items():
            _settle_hint(hints, partition, outcome, now, timing)


def _settle_hint(hints, partition: str, outcome: Outcome, now: datetime, timing: Timing) -> None:
    hint = hints.get(partition)
    if outcome.remaining:
        changes = {"due": outcome.next_due, "oldest": outcome.oldest}
        if hint is None:
            hints.insert({"id": partition, "partition": partition, "since": _iso(now), "at": _iso(now),
                          **changes})
        else:
            hints.update(partition, changes)
        return
    if hint is None:
        return
    at = datetime.fromisoformat(hint["at"])
    if at + timing.hint_grace <= now:
        hints.remove(partition)  # no request touched it for the grace period: nothing can be on its way
    elif at + timing.lease > now:
        hints.update(partition, {"due": _iso(at + timing.lease), "oldest": hint.get("oldest")})
    else:
        hints.update(partition, {"due": _iso(at + timing.hint_grace), "oldest": None})


# --------------------------------------------------------------------------- reports


def oldest_pending(store: Store) -> str | None:
    """Creation time of the oldest effect not yet known delivered (an upper
    bound: a hint is cleared by the worker's next visit), from the hints only."""
    oldest = [h["oldest"] for b in store.partitions(HINTS_PREFIX) for h in store.read(b).table(HINTS).all()
              if h.get("oldest")]
    return min(oldest, default=None)


@dataclass(frozen=True)
class PendingEffect:
    partition: str
    id: str
    kind: str
    created_at: str
    attempts: int
    last_error: str | None
    hinted: bool


def pending_effects(store: Store, older_than: str) -> list[PendingEffect]:
    """Every effect created before ``older_than`` (ISO), in any partition (a
    full scan, for ``portail storage check``); ``hinted`` False means the
    worker could not find it (``repair_hints`` fixes that)."""
    hinted = {h["partition"] for b in store.partitions(HINTS_PREFIX) for h in store.read(b).table(HINTS).all()}
    found = []
    for name in store.partitions(""):
        if name.startswith(HINTS_PREFIX) or OUTBOX not in store.read(name).table_names():
            continue
        for effect in store.read(name).table(OUTBOX).all():
            if effect["created_at"] < older_than:
                found.append(PendingEffect(name, effect["id"], effect["kind"], effect["created_at"],
                                           effect["attempts"], effect.get("last_error"), name in hinted))
    return found


def repair_hints(store: Store, pending: Iterable[PendingEffect], now: datetime) -> int:
    """Give the worker a hint for every partition whose pending effects it cannot see."""
    missing = sorted({p.partition for p in pending if not p.hinted})
    for partition in missing:
        touch_hint(store, partition, now, timedelta(0))
    return len(missing)
